"""VJPs of the utility functions (only ``diff`` is differentiable).

``diff`` differences ``concat([prepend, x, append], axis)`` ``n`` times. The
adjoint of one differencing step ``y_i = z_{i+1} - z_i`` is
``z̄ = -diff(g, prepend=0, append=0)``; it is applied ``n`` times and the
result is split back into the cotangents of ``x`` (slot 0), ``prepend``
(slot 1) and ``append`` (slot 2). When the concatenation is no longer than
``n`` the output is empty and every cotangent is zero. With ``n=0`` the
result is ``x`` alone (NumPy, torch and JAX ignore ``prepend``/``append``
then), so their cotangents are zero.
"""

from __future__ import annotations

from .._registry import defvjp_joint


def _cut(ndim: int, axis: int, start=None, stop=None) -> tuple:
    return (slice(None),) * axis + (slice(start, stop),) + (slice(None),) * (ndim - axis - 1)


def _diff(xp, g, ans, x, /, *, axis=-1, n=1, prepend=None, append=None):
    ax = axis % x.ndim
    p = 0 if prepend is None else prepend.shape[ax]
    q = 0 if append is None else append.shape[ax]
    m = x.shape[ax]
    if n == 0:
        return (g,) + tuple(None if a is None else xp.zeros_like(a) for a in (prepend, append))
    if p + m + q <= n:
        return tuple(None if a is None else xp.zeros_like(a) for a in (x, prepend, append))
    pad = xp.zeros_like(g[_cut(g.ndim, ax, 0, 1)])
    for _ in range(n):
        g = -xp.diff(g, axis=ax, prepend=pad, append=pad)
    return (g[_cut(g.ndim, ax, p, p + m)],
            None if prepend is None else g[_cut(g.ndim, ax, 0, p)],
            None if append is None else g[_cut(g.ndim, ax, p + m)])


defvjp_joint("diff", _diff)
