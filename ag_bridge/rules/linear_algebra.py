"""VJPs of the main namespace's linear algebra functions (and their ``linalg`` aliases).

All four are bilinear or linear: the cotangent of one operand contracts ``g``
with the conjugate of the other (PyTorch's conjugate-Wirtinger convention);
``vecdot`` conjugates its first argument, so that one gets ``conj(g)``.
Batch broadcasting is undone by the engine.
"""

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


def _td_axes(axes, n1, n2):
    """tensordot's ``axes`` as two lists of non-negative contracted axes."""
    if isinstance(axes, int):
        return list(range(n1 - axes, n1)), list(range(axes))
    return [a % n1 for a in axes[0]], [a % n2 for a in axes[1]]


def _unpermute(xp, r, labels):
    """Permute ``r``, whose axis i is the operand's axis ``labels[i]``, into the operand's order."""
    perm = tuple(labels.index(j) for j in range(len(labels)))
    return r if perm == tuple(range(len(perm))) else xp.permute_dims(r, perm)


def _tensordot_1(xp, g, ans, x1, x2, /, *, axes=2):
    a1, a2 = _td_axes(axes, x1.ndim, x2.ndim)
    free1 = [d for d in range(x1.ndim) if d not in a1]
    free2 = [d for d in range(x2.ndim) if d not in a2]
    r = xp.tensordot(g, cj(xp, x2), axes=(tuple(range(len(free1), g.ndim)), tuple(free2)))
    return _unpermute(xp, r, free1 + [a1[a2.index(b)] for b in sorted(a2)])


def _tensordot_2(xp, g, ans, x1, x2, /, *, axes=2):
    a1, a2 = _td_axes(axes, x1.ndim, x2.ndim)
    free1 = [d for d in range(x1.ndim) if d not in a1]
    free2 = [d for d in range(x2.ndim) if d not in a2]
    r = xp.tensordot(cj(xp, x1), g, axes=(tuple(free1), tuple(range(len(free1)))))
    return _unpermute(xp, r, [a2[a1.index(b)] for b in sorted(a1)] + free2)


def _matrix_transpose(xp, g, ans, x, /):
    return xp.matrix_transpose(g)


defvjp("matmul", _matmul_1, _matmul_2)
defvjp("linalg.matmul", _matmul_1, _matmul_2)
defvjp("vecdot", _vecdot_1, _vecdot_2)
defvjp("linalg.vecdot", _vecdot_1, _vecdot_2)
defvjp("tensordot", _tensordot_1, _tensordot_2)
defvjp("linalg.tensordot", _tensordot_1, _tensordot_2)
defvjp("matrix_transpose", _matrix_transpose)
defvjp("linalg.matrix_transpose", _matrix_transpose)
