"""``adj(x)^H``, the cotangent factor of ``det``, correct at singular matrices to every order.

``d det(A) = tr(adj(A) dA)``, and ``adj(A)`` (the transposed cofactor matrix, a polynomial
of degree n-1 in A's entries) is defined everywhere, also where ``det(A) inv(A)`` is 0 * inf.

* Well-conditioned A (``s_min > eps^(1/4) s_max``): ``conj(det) inv(A)^H``, one solve, exact
  to every order (also at repeated singular values, e.g. orthogonal matrices).
* Otherwise, the value is the SVD form ``adj(A) = det(U) det(V^H) V diag(prod_{j!=i} s_j) U^H``.
* Under create_graph (A recorded, to be differentiated again) the same value is rebuilt so
  that no derivative goes through the SVD's, whose divisions by ``s_i^2 - s_j^2`` and (complex)
  by ``s_i`` are 0/0 or rounding noise at a singular matrix (the relative phase of a null pair
  of singular vectors is free). With U, s, V taken as constants from A's value,
  ``A = U M V^H`` holds exactly for ``M = diag(s) + U^H (A - A_value) V`` (whose value is
  exactly ``diag(s)``), and adjugates multiply: ``adj(A) = det(U) det(V^H) V adj(M) U^H``.
  ``adj(M)`` comes from block elimination against the leading block M11 of the singular values
  within ``eps^(-1/4)`` of the largest (well-conditioned), with the Schur complement
  ``C = M22 - M21 M11^-1 M12``:

      adj(M) = det(M11) [[det(C) W + Y adj(C) Z, -Y adj(C)], [-adj(C) Z, adj(C)]],
      W = M11^-1, Y = W M12, Z = M21 W,

  which holds for any invertible M11 and never divides by the small values. ``C`` (value
  ``diag`` of the small values) takes the closed forms for 1x1 and 2x2, up to 8x8 the
  Faddeev-LeVerrier recurrence (products and sums only, so its derivatives stay accurate
  however small the values; the value itself is the exact product form), and beyond that
  recurses with its own largest value as the scale. A block of k exact zeros (a zero matrix)
  takes Faddeev-LeVerrier up to k = 64 (O(k^4)); beyond, adj and its first k-2 derivatives
  vanish there and a constant zero is returned, so derivatives of det of order k and above are
  missed. Cost O(n^3) besides.

Under ``jax.jit`` (no concrete values to choose the blocks) a recorded singular A still
differentiates through the SVD form.
"""

from __future__ import annotations

from ._linalg_util import _recorded, chain, diag, diag_embed, eye, inv_h, mH
from ._util import cj

__all__ = ["adjugate_h"]

#: largest block of small singular values given by the Faddeev-LeVerrier recurrence (O(k^4))
FL_MAX = 8
#: largest block of exact zeros given by it; a larger one gives a constant zero (O(k^4) is too much)
FL_ZERO_MAX = 64


def _exclusive_prod(xp, s):
    """p_i = prod_{j != i} s_j, exact with zeros (O(n^2), below the O(n^3) of the SVD)."""
    n = s.shape[-1]
    mask = eye(xp, n, like=s) == 1
    return xp.prod(xp.where(mask, 1, s[..., None, :]), axis=-1)


def _concrete_all(xp, cond):
    """``bool(all(cond))``, or None where the value is not concrete (a tracer under jax.jit)."""
    try:
        return bool(xp.all(cond))
    except TypeError:  # jax's TracerBoolConversionError is a TypeError
        return None


def _tau(xp, dtype):
    """The relative size below which a singular value counts as small: eps^(1/4)."""
    return xp.finfo(dtype).eps ** 0.25


def adjugate_h(xp, x, d):
    """``adj(x)^H`` (= conj(det) inv(x)^H when x is invertible), correct at singular x.

    ``d`` is ``det(x)``. See the module docstring for the three forms; the choice between the
    solve and the SVD form is per matrix of a batch (under jax.jit, with no concrete values,
    both are computed and selected). All O(n^3).
    """
    n = x.shape[-1]
    if n == 0:
        return xp.zeros_like(x)
    rec = _recorded(x)
    xc = x.detach() if rec else x
    s = xp.linalg.svdvals(xc)
    well = s[..., -1] > _tau(xp, x.dtype) * s[..., 0]
    ok = _concrete_all(xp, well)
    if ok:
        return cj(xp, d)[..., None, None] * inv_h(xp, x)
    if rec and ok is not None:
        return _recorded_adjugate_h(xp, x, xc)
    u, s, vh = xp.linalg.svd(x, full_matrices=False)
    phase = cj(xp, xp.linalg.det(u) * xp.linalg.det(vh))
    adj = phase[..., None, None] * xp.matmul(u * _exclusive_prod(xp, s)[..., None, :], vh)
    if ok is None or bool(xp.any(well)):  # traced, or a batch mixing both kinds: select per matrix
        well = well[..., None, None]
        safe = xp.where(well, x, eye(xp, n, like=x))  # keeps the solve off singular matrices
        adj = xp.where(well, cj(xp, d)[..., None, None] * inv_h(xp, safe), adj)
    return adj


def _recorded_adjugate_h(xp, x, xc):
    """``adj(x)^H`` for a recorded ``x`` (value ``xc``), differentiable without the SVD's derivative."""
    u, s, vh = xp.linalg.svd(xc, full_matrices=False)  # constants
    phase = cj(xp, xp.linalg.det(u) * xp.linalg.det(vh))
    m = diag_embed(xp, xp.astype(s, x.dtype)) + chain(xp, mH(xp, u), x - xc, mH(xp, vh))
    adj, _ = _adj_det(xp, m, s)
    return phase[..., None, None] * chain(xp, u, mH(xp, adj), vh)


def _count(xp, mask):
    """The smallest number of True along the last axis over the batch (a Python int)."""
    return int(xp.min(xp.sum(xp.astype(mask, xp.float32), axis=-1)))


def _adj_det(xp, m, t, top=True):
    """``(adj(m), det(m))`` for ``m`` whose value is ``diag(t)`` (``t`` constant, descending, >= 0).

    ``top``: ``t`` holds all of A's singular values; otherwise the small ones of a Schur complement.
    """
    k = m.shape[-1]
    if k == 1:
        return xp.ones_like(m), m[..., 0, 0]
    if k == 2:
        a, b, c, e = m[..., 0, 0], m[..., 0, 1], m[..., 1, 0], m[..., 1, 1]
        adj = xp.stack([xp.stack([e, -b], axis=-1), xp.stack([-c, a], axis=-1)], axis=-2)
        return adj, a * e - b * c
    if not top and k <= FL_MAX:
        return _faddeev_leverrier(xp, m, t)
    r = _count(xp, t > _tau(xp, t.dtype) * t[..., :1])
    if r == 0:  # a matrix of the batch is exactly 0 here
        if k > FL_ZERO_MAX and not bool(xp.any(t[..., 0] > 0)):
            return m * 0, m[..., 0, 0] * 0  # recorded zeros: still a function of A
        return _faddeev_leverrier(xp, m, t)
    if r == k:
        dm = xp.linalg.det(m)
        return dm[..., None, None] * xp.linalg.inv(m), dm
    m11, m12, m21, m22 = m[..., :r, :r], m[..., :r, r:], m[..., r:, :r], m[..., r:, r:]
    w = xp.linalg.inv(m11)
    y, z = xp.matmul(w, m12), xp.matmul(m21, w)
    adjc, detc = _adj_det(xp, m22 - xp.matmul(m21, y), t[..., r:], top=False)
    yc = xp.matmul(y, adjc)
    top_rows = xp.concat([detc[..., None, None] * w + xp.matmul(yc, z), -yc], axis=-1)
    bottom = xp.concat([-xp.matmul(adjc, z), adjc], axis=-1)
    d11 = xp.linalg.det(m11)
    return d11[..., None, None] * xp.concat([top_rows, bottom], axis=-2), d11 * detc


def _exact_value(xp, value, f):
    """``f``'s derivatives with the value ``value`` (``f``'s own value differs by rounding)."""
    return value + (f - f.detach()) if _recorded(f) else value


def _faddeev_leverrier(xp, c, t):
    """``(adj(c), det(c))`` for ``c`` of value ``diag(t)``: the derivatives from the characteristic
    polynomial (B_j = c B_{j-1} + a_{k-j+1} I, a_{k-j} = -tr(c B_j) / j, B_0 = 0, a_k = 1;
    adj(c) = (-1)^(k+1) B_k, det(c) = (-1)^k a_0: products and sums only), the value exact."""
    k = c.shape[-1]
    i = eye(xp, k, like=c)
    b, a = i, -xp.sum(diag(xp, c), axis=-1)  # j = 1
    for j in range(2, k + 1):
        b = xp.matmul(c, b) + a[..., None, None] * i
        a = -xp.sum(diag(xp, xp.matmul(c, b)), axis=-1) / j
    sign = 1 if k % 2 else -1
    tc = xp.astype(t, c.dtype)
    return (_exact_value(xp, diag_embed(xp, _exclusive_prod(xp, tc)), sign * b),
            _exact_value(xp, xp.prod(tc, axis=-1), -sign * a))
