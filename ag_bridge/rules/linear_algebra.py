"""VJPs of the main namespace's linear algebra functions."""

from __future__ import annotations

from .._registry import defvjp
from ._util import cj


def _matmul_1(xp, g, ans, x1, x2):
    if x2.ndim == 1:
        return xp.expand_dims(g, axis=-1) * cj(xp, x2) if x1.ndim > 1 else g * cj(xp, x2)
    if x1.ndim == 1:
        return xp.matmul(cj(xp, x2), xp.expand_dims(g, axis=-1))[..., 0]
    return xp.matmul(g, cj(xp, xp.matrix_transpose(x2)))


def _matmul_2(xp, g, ans, x1, x2):
    if x1.ndim == 1:
        return xp.expand_dims(cj(xp, x1), axis=-1) * xp.expand_dims(g, axis=-2) if x2.ndim > 1 \
            else g * cj(xp, x1)
    if x2.ndim == 1:
        return xp.matmul(cj(xp, xp.matrix_transpose(x1)), xp.expand_dims(g, axis=-1))[..., 0]
    return xp.matmul(cj(xp, xp.matrix_transpose(x1)), g)


def _vecdot_1(xp, g, ans, x1, x2, /, *, axis=-1):
    return x2 * cj(xp, xp.expand_dims(g, axis=axis if axis < 0 else axis - max(x1.ndim, x2.ndim)))


def _vecdot_2(xp, g, ans, x1, x2, /, *, axis=-1):
    return x1 * xp.expand_dims(g, axis=axis if axis < 0 else axis - max(x1.ndim, x2.ndim))


defvjp("matmul", _matmul_1, _matmul_2)
defvjp("linalg.matmul", _matmul_1, _matmul_2)
defvjp("vecdot", _vecdot_1, _vecdot_2)
defvjp("linalg.vecdot", _vecdot_1, _vecdot_2)
