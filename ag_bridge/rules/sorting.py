"""VJPs of the sorting functions (only ``sort`` carries values).

``sort`` routes each cotangent back to the element that landed there:
``x̄ = take_along_axis(g, argsort(idx), axis)`` with ``idx = argsort(x)``
under the same ``axis``/``descending``/``stable`` options. With ties the
stable order decides which tied element receives which slot's cotangent
(torch, JAX and HIPS autograd agree: ``sum(sort([3, 1, 3]) * [1, 10, 100])``
has gradient ``[10, 1, 100]``).
"""

from __future__ import annotations

from .._registry import defvjp


def _sort(xp, g, ans, x, /, *, axis=-1, descending=False, stable=True):
    idx = xp.argsort(x, axis=axis, descending=descending, stable=stable)
    inv = xp.argsort(idx, axis=axis)  # the inverse permutation: where each element landed
    if x.ndim == 1:  # take is everywhere; dask has no take_along_axis
        return xp.take(g, inv, axis=0)
    return xp.take_along_axis(g, inv, axis=axis)


defvjp("sort", _sort)
