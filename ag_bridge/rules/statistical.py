"""VJPs of the statistical functions: reductions and cumulative sums/products.

Conventions (docs/semantics.md; evidence and these details in docs/conventions.md):

* ``max``/``min``: tied extreme elements split the gradient equally,
  ``g * mask / count(mask)`` (torch ``amax``, JAX and HIPS autograd agree).
* ``std`` at a constant slice (std = 0): the derivative ``(x - mean) /
  ((N - c) * std)`` is 0/0 there; ag_bridge returns 0 for that slice, like
  torch (JAX gives NaN). ``var`` is smooth and needs no special case.
* ``prod`` is exact with one or several zeros: the product of the *other*
  elements comes from exclusive cumulative products taken from both ends (no
  division). Second derivatives are exact too.
* ``cumulative_prod`` is exact with zeros in O(n): positions before the first
  zero of a slice use ``rev_cumsum(g * y) / x``, the first zero and later
  positions use the products with that zero replaced by one (torch and JAX:
  ``cumprod([2, 0, 3])`` has gradient ``[1, 8, 0]`` for a cotangent of ones).
  That formula is right at first order only (its masks are constants when it
  is differentiated again), so under ``create_graph`` the rule is instead
  ``conj(L_k) R_k`` with ``L`` the exclusive cumulative product and ``R_k =
  g_k + conj(x_{k+1}) R_{k+1}`` solved by doubling in log2(n) steps: a
  polynomial in ``x``, exact at every order with any number of zeros
  (``prod`` inherits it through its exclusive cumulative products).
* ``cumulative_sum``/``cumulative_prod`` with ``axis=None`` accept 1-D input
  only (the standard leaves 0-d unspecified); ``include_initial`` drops the
  cotangent of the leading constant slot. A ``dtype`` argument computes in
  that dtype; the engine casts the cotangent back to the input's dtype.
"""

from __future__ import annotations

import math

from .._array import Array
from .._registry import defvjp
from ._util import cj, expand_to, norm_axes


def _count(shape: tuple, axis) -> int:
    if axis is None:
        return math.prod(shape)
    return math.prod(shape[a] for a in norm_axes(axis, len(shape)))


def _axis(axis, ndim: int) -> int:
    """The axis of a cumulative function (None: the only axis of a 1-D array)."""
    return 0 if axis is None else axis % max(ndim, 1)


def _cut(ndim: int, axis: int, start=None, stop=None) -> tuple:
    """An index selecting ``start:stop`` along ``axis``."""
    return (slice(None),) * axis + (slice(start, stop),) + (slice(None),) * (ndim - axis - 1)


def _rcumsum(xp, a, axis: int):
    """Reverse cumulative sum along ``axis``: out_k = sum_{i>=k} a_i."""
    return xp.flip(xp.cumulative_sum(xp.flip(a, axis=axis), axis=axis), axis=axis)


def _sum(xp, g, ans, x, /, *, axis=None, dtype=None, keepdims=False):
    return expand_to(xp, g, x, axis, keepdims)


def _mean(xp, g, ans, x, /, *, axis=None, keepdims=False):
    if getattr(x, "mask", None) is not None:  # masked arrays (marray): 1 / the unmasked count
        return expand_to(xp, g, x, axis, keepdims) / xp.sum(xp.ones_like(x), axis=axis, keepdims=True)
    # divide the reduced cotangent, then broadcast it (one small division, not one per element)
    return expand_to(xp, g / max(_count(x.shape, axis), 1), x, axis, keepdims)


def _others(xp, x, axes: tuple):
    """For each element, the product of the other elements of its reduced slice.

    Exclusive cumulative products from the left and from the right, multiplied:
    no division, so exact with any number of zeros.
    """
    keep = tuple(a for a in range(x.ndim) if a not in axes)
    perm = keep + axes
    t = xp.permute_dims(x, perm) if perm != tuple(range(x.ndim)) else x
    outer, inner = t.shape[:len(keep)], t.shape[len(keep):]
    t = xp.reshape(t, outer + (math.prod(inner),))
    left = xp.cumulative_prod(t, axis=-1, include_initial=True)[..., :-1]
    right = xp.cumulative_prod(xp.flip(t, axis=-1), axis=-1, include_initial=True)[..., :-1]
    o = xp.reshape(left * xp.flip(right, axis=-1), outer + inner)
    if perm == tuple(range(x.ndim)):
        return o
    return xp.permute_dims(o, tuple(sorted(range(x.ndim), key=perm.__getitem__)))


def _prod(xp, g, ans, x, /, *, axis=None, dtype=None, keepdims=False):
    if dtype is not None:
        x = xp.astype(x, dtype)
    return expand_to(xp, g, x, axis, keepdims) * cj(xp, _others(xp, x, norm_axes(axis, x.ndim)))


def _centered(xp, x, axis):
    return x - xp.mean(x, axis=axis, keepdims=True)


def _dof(xp, x, axis, correction):
    """N - correction; for masked arrays (marray) N counts the unmasked elements of each slice."""
    if getattr(x, "mask", None) is not None:
        return xp.sum(xp.ones_like(x), axis=axis, keepdims=True) - correction
    return float(_count(x.shape, axis) - correction)


def _var(xp, g, ans, x, /, *, axis=None, correction=0.0, keepdims=False):
    # d var / dx = 2 (x - mean) / (N - c); complex x: the same (conjugate-Wirtinger, g real)
    return expand_to(xp, g, x, axis, keepdims) * _centered(xp, x, axis) * 2 / _dof(xp, x, axis, correction)


def _std(xp, g, ans, x, /, *, axis=None, correction=0.0, keepdims=False):
    dof = _dof(xp, x, axis, correction)
    s = expand_to(xp, ans, x, axis, keepdims)
    gs = expand_to(xp, g, x, axis, keepdims)
    return xp.where(s == 0, 0, gs * _centered(xp, x, axis) / (xp.where(s == 0, 1, s) * dof))


def _extreme(xp, g, ans, x, /, *, axis=None, keepdims=False):
    if x.ndim == 0:
        return g
    mask = xp.astype(x == expand_to(xp, ans, x, axis, keepdims), x.dtype)
    count = xp.sum(mask, axis=norm_axes(axis, x.ndim), keepdims=True)
    return expand_to(xp, g, x, axis, keepdims) * mask / count


def _cumsum(xp, g, ans, x, /, *, axis=None, dtype=None, include_initial=False):
    ax = _axis(axis, x.ndim)
    if include_initial:
        g = g[_cut(g.ndim, ax, 1)]
    return _rcumsum(xp, g, ax)


def _cumprod(xp, g, ans, x, /, *, axis=None, dtype=None, include_initial=False):
    ax = _axis(axis, x.ndim)
    if include_initial:
        g, ans = g[_cut(g.ndim, ax, 1)], ans[_cut(ans.ndim, ax, 1)]
    if dtype is not None:
        x = xp.astype(x, dtype)
    if isinstance(g, Array):  # create_graph: a polynomial in x, exact at every order
        return _cumprod_scan(xp, g, x, ax)
    return _cumprod_fast(xp, g, ans, x, ax)


def _cumprod_fast(xp, g, ans, x, ax):
    # x̄_k = sum_{i>=k} g_i prod_{j<=i, j!=k} x_j (conjugated for complex). z: a slice's first zero.
    # Exact with any number of zeros, but through masks: right at first order only.
    zero = x == 0
    seen = xp.cumulative_sum(xp.astype(zero, xp.int32), axis=ax)  # zeros in x[..., :k+1]
    before, first = seen == 0, zero & (seen == 1)
    # k < z: sum_{i>=k} g_i y_i / x_k  (y_i = 0 from z on)
    a = _rcumsum(xp, g * cj(xp, ans), ax) / cj(xp, xp.where(before, x, 1))
    # k >= z: x_z * sum_{i>=k} g_i y1_i / x_k, y1 = cumprod with x_z -> 1, x_z read as 1 at k = z
    y1 = xp.cumulative_prod(xp.where(first, 1, x), axis=ax)
    xz = xp.sum(xp.where(first, x, 0), axis=ax, keepdims=True)
    ok = first | ((seen == 1) & ~zero)  # z itself, or later non-zero entries before a second zero
    b = _rcumsum(xp, g * cj(xp, y1), ax) * cj(xp, xp.where(first, 1, xz) / xp.where(ok & ~first, x, 1))
    return xp.where(before, a, xp.where(ok, b, 0))


def _shift(xp, a, ax: int, s: int):
    """``a[k + s]`` along ``ax``, zeros past the end."""
    n = a.shape[ax]
    pad = xp.zeros_like(a[_cut(a.ndim, ax, 0, min(s, n))])
    return pad if s >= n else xp.concat([a[_cut(a.ndim, ax, s)], pad], axis=ax)


def _cumprod_scan(xp, g, x, ax):
    """x̄_k = conj(L_k) R_k: ``L_k = prod_{j<k} x_j`` (an exclusive cumulative product) and
    ``R_k = g_k + conj(x_{k+1}) R_{k+1}``, a reverse linear recurrence solved by doubling
    (log2(n) steps of products and sums). No division and no mask: zero-safe at every order."""
    n = x.shape[ax]
    left = xp.cumulative_prod(x, axis=ax, include_initial=True)[_cut(x.ndim, ax, 0, n)]
    a, r, s = _shift(xp, cj(xp, x), ax, 1), g, 1
    while s < n:
        r = r + a * _shift(xp, r, ax, s)
        a = a * _shift(xp, a, ax, s)
        s *= 2
    return cj(xp, left) * r


defvjp("sum", _sum)
defvjp("mean", _mean)
defvjp("prod", _prod)
defvjp("var", _var)
defvjp("std", _std)
defvjp("max", _extreme)
defvjp("min", _extreme)
defvjp("cumulative_sum", _cumsum)
defvjp("cumulative_prod", _cumprod)
