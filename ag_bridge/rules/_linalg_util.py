"""Helpers of the linalg rules: matrix plumbing and the decompositions' VJP cores.

Everything is written against the namespace ``xp`` the rule is handed, so the
same code runs in a plain backward (raw backend) and under create_graph
(recorded, giving higher derivatives). Shapes are ``(..., m, n)``; ``mH`` is
the conjugate transpose. Costs: every core is a fixed number of matrix
products and solves of the decomposition's own size (O(n^3) for n x n, O(mnk)
for an m x n SVD/QR with k = min(m, n)); nothing builds n^2 x n^2 Jacobians.

Gaps between eigen/singular values (and singular values themselves, for the
projections of a non-square SVD) are divided by honestly (a tie gives
inf/NaN, like torch), except where the numerator is zero *for good*: built
only from slices of the vector cotangents that are exactly zero and constant
(:func:`settled_zero`). Those terms are dropped per eigen/singular value (per
pair for the gaps), so losses on the values alone, or on the vectors of
simple values only, stay finite at repeated or zero values. A recorded
cotangent (create_graph) is never zero for good whatever its value: it is
differentiated again, and jvp's double-VJP feeds exactly-zero recorded
dummies. :func:`div0` (0/0 := 0) is only for the norms at 0.
"""

from __future__ import annotations

from ._util import cj, is_complex

__all__ = ["mH", "eye", "diag_embed", "diag", "re", "div0", "offdiag", "gaps", "chain", "settled_zero",
           "inv_h", "svd_vjp", "eigh_vjp", "eig_vjp", "qr_vjp", "cholesky_vjp",
           "powsum", "undiagonal"]


def mH(xp, a):
    """Conjugate transpose of the last two axes."""
    return cj(xp, xp.matrix_transpose(a))


def eye(xp, n: int, m: int | None = None, k: int = 0, like=None):
    """``eye(n, m, k=k)`` with ``like``'s dtype and device, built from two aranges (dask's
    ``eye(n, m, k)`` mis-shapes or breaks its graph for ``m != n`` or ``k != 0``)."""
    dev = _device(like)
    rows = xp.arange(n, device=dev)[:, None]
    cols = xp.arange(n if m is None else m, device=dev)[None, :]
    return xp.astype(cols - rows == k, like.dtype)


def _device(a):
    """``a.device`` (None for raw tracers under jax.jit, which have none)."""
    return getattr(a, "device", None)


def diag_embed(xp, v):
    """``(..., n)`` -> ``(..., n, n)`` with ``v`` on the diagonal (O(n^2))."""
    return v[..., None] * eye(xp, v.shape[-1], like=v)


def diag(xp, a):
    """The main diagonal of the last two axes."""
    return xp.linalg.diagonal(a)


def re(xp, a):
    """Real part (identity for real arrays)."""
    return xp.real(a) if is_complex(xp, a) else a


def div0(xp, num, den):
    """``num / den`` with 0/0 := 0 (the norms' gradient 0 at the zero vector)."""
    zero = num == 0
    return xp.where(zero, 0, num / xp.where(zero, 1, den))


def offdiag(xp, a):
    """``a`` with its diagonal set to 0 (a constant mask: no tril/triu needed)."""
    return a * (1 - eye(xp, a.shape[-1], like=a))


def gaps(xp, lam, skip):
    """E_ij = lam_j - lam_i with 1 on the diagonal, and 1 where ``skip`` (``(..., n, n)`` or
    broadcastable: the entries whose numerator is zero for good, see the module doc)."""
    e = lam[..., None, :] - lam[..., :, None] + eye(xp, lam.shape[-1], like=lam)
    return xp.where(skip, 1, e)


def settled_zero(xp, g, axis: int):
    """Per slice of the cotangent ``g`` (``axis`` reduced: -2 for columns, -1 for rows): whether it
    is zero for good, i.e. exactly zero *and* ``g`` is a constant.

    Constant means a raw array (a plain backward, never differentiated again) or an Array without a
    node (the engine's zero fill for an unused output under create_graph). A recorded ``g`` is a
    function of variables that a later differentiation varies (jvp's double-VJP feeds exactly-zero
    recorded dummies), so a term built from it may not be dropped whatever its value.
    """
    z = xp.all(g == 0, axis=axis)
    if _recorded(g):
        z = xp.zeros_like(z)
    return z


def _recorded(a) -> bool:
    """Whether ``a`` is an ag_bridge Array with a node (part of a graph being recorded)."""
    from .._array import Array  # lazy: the engine imports the rules

    return isinstance(a, Array) and a._node is not None


def _pairs(z):
    """``(..., n)`` -> ``(..., n, n)``: both members of the pair (i, j) are zero for good."""
    return z[..., :, None] & z[..., None, :]


def chain(xp, a, b, c):
    """``a @ b @ c`` in the cheaper association (shapes of the last two axes)."""
    (m, k), (_, n), (_, p) = a.shape[-2:], b.shape[-2:], c.shape[-2:]
    if m * k * n + m * n * p <= k * n * p + m * k * p:
        return xp.matmul(xp.matmul(a, b), c)
    return xp.matmul(a, xp.matmul(b, c))


def inv_h(xp, x):
    """``inv(x)^H`` as one solve against the identity (the whole matrix is the answer)."""
    return xp.linalg.solve(mH(xp, x), eye(xp, x.shape[-1], like=x))


def svd_vjp(xp, gu, gs, gvh, u, s, vh):
    """Cotangent of A = U diag(s) V^H (reduced SVD) for cotangents of U, s, V^H.

    Derived from dP = U^H dA V = Omega_U S + dS - S Omega_V with skew-Hermitian
    Omega's; F_ij = 1/(s_j^2 - s_i^2); complex phases in the symmetric gauge
    (a gauge-variant loss gets the gauge-invariant projection; torch raises).
    Matches torch's svd_backward. Cost O(m n k).
    """
    m, n, k = u.shape[-2], vh.shape[-1], s.shape[-1]
    # per singular value i: column i of gU / row i of gV^H zero for good (the module doc)
    zu, zv = settled_zero(xp, gu, -2), settled_zero(xp, gvh, -1)
    z = zu & zv
    j = xp.matmul(mH(xp, u), gu)
    kk = xp.matmul(vh, mH(xp, gvh))
    sj, sk = j - mH(xp, j), kk - mH(xp, kk)
    num = offdiag(xp, sj * s[..., None, :] + s[..., :, None] * sk)  # pair (i, j): slices i and j only
    core = num / gaps(xp, s * s, _pairs(z)) + diag_embed(xp, gs)
    if is_complex(xp, u):
        core = core + diag_embed(xp, (diag(xp, sj) - diag(xp, sk)) / (4 * xp.where(z, 1, s)))
    out = chain(xp, u, core, vh)
    if m > k:
        gus = gu / xp.where(zu, 1, s)[..., None, :]
        out = out + xp.matmul(gus - xp.matmul(u, xp.matmul(mH(xp, u), gus)), vh)
    if n > k:
        sgvh = gvh / xp.where(zv, 1, s)[..., :, None]
        out = out + xp.matmul(u, sgvh - xp.matmul(xp.matmul(sgvh, mH(xp, vh)), vh))
    return out


def eigh_vjp(xp, gl, gv, lam, v):
    """A = V diag(lam) V^H: A_bar = V (diag(gl) + skew(V^H gV) / E) V^H, skew(M) = (M - M^H)/2."""
    w = xp.matmul(mH(xp, v), gv)  # skew(W)_ij reads columns i and j of gV only
    skip = _pairs(settled_zero(xp, gv, -2))
    core = offdiag(xp, (w - mH(xp, w)) / 2) / gaps(xp, lam, skip) + diag_embed(xp, gl)
    return chain(xp, v, core, mH(xp, v))


def eig_vjp(xp, gl, gv, lam, v):
    """A V = V diag(lam), unit-norm columns: A_bar = V^{-H} (diag(gl) + offdiag(W - V^H V
    diag(Re diag W)) / conj(E)) V^H with W = V^H gV (the normalisation term keeps |v_j| = 1)."""
    vh = mH(xp, v)
    w = xp.matmul(vh, gv)
    w = w - xp.matmul(vh, v) * re(xp, diag(xp, w))[..., None, :]  # column j reads column j of gV only
    skip = settled_zero(xp, gv, -2)[..., None, :]
    core = offdiag(xp, w) / cj(xp, gaps(xp, lam, skip)) + diag_embed(xp, gl)
    return xp.linalg.solve(vh, xp.matmul(core, vh))


def _qr_tall(xp, gq, gr, q, r):
    # torch's linalg_qr_backward (m >= n): A_bar = (gQ + Q B) R^{-H}, M = triu(gR R^H - Q^H gQ),
    # B = M + M^H with the real part of the diagonal halved; R^{-H} applied by one solve.
    n = r.shape[-1]
    mm = xp.matmul(gr, mH(xp, r)) - xp.matmul(mH(xp, q), gq)
    mm = mm * xp.triu(xp.ones((n, n), dtype=r.dtype, device=_device(r)))
    b = mm + mH(xp, mm) - diag_embed(xp, re(xp, diag(xp, mm)))
    x = gq + xp.matmul(q, b)
    return mH(xp, xp.linalg.solve(r, mH(xp, x)))


def qr_vjp(xp, gq, gr, q, r, a, mode):
    """Cotangent of A = QR. Tall/square reduced: see :func:`_qr_tall`; wide (m < n): A = [X | Y]
    with X = Q R_X, R_Y = Q^H Y, so Y_bar = Q gR_Y and X goes through the square rule with
    gQ + Y gR_Y^H. O(m n min(m, n))."""
    m, n = a.shape[-2], a.shape[-1]
    if m > n and mode == "complete":
        raise ValueError(
            "linalg.qr(mode='complete') with m > n is not differentiable: the last m - n columns "
            "of Q are not unique (any orthonormal basis of the complement); use mode='reduced'")
    if m >= n:
        return _qr_tall(xp, gq, gr, q, r)
    y, gry = a[..., :, m:], gr[..., :, m:]
    gx = _qr_tall(xp, gq + xp.matmul(y, mH(xp, gry)), gr[..., :, :m], q, r[..., :, :m])
    return xp.concat([gx, xp.matmul(q, gry)], axis=-1)


def cholesky_vjp(xp, gl, low):
    """A = L L^H: A_bar = sym(L^{-H} Phi(L^H gL) L^{-1}), Phi = tril with halved diagonal,
    sym(M) = (M + M^H)/2; two solves with L^H (the standard has no triangular solve). O(n^3)."""
    n = low.shape[-1]
    p = xp.matmul(mH(xp, low), gl)
    p = p * xp.tril(xp.ones((n, n), dtype=low.dtype, device=_device(low))) - diag_embed(xp, diag(xp, p)) / 2
    lh = mH(xp, low)
    t = xp.linalg.solve(lh, mH(xp, xp.linalg.solve(lh, p)))  # = (L^{-H} P L^{-1})^H
    return (t + mH(xp, t)) / 2


def undiagonal(xp, g, x, offset: int):
    """Cotangent of ``diagonal(x, offset)``: g placed on that diagonal of an ``x``-shaped zero.

    g is padded to the full row (offset >= 0) or column (offset < 0) length by a product with a
    rectangular identity (O(k n) <= O(n m), the size of the answer), then masked by eye(n, m, k).
    """
    n, m, k = x.shape[-2], x.shape[-1], g.shape[-1]
    if offset >= 0:
        return xp.matmul(g, eye(xp, k, n, like=g))[..., :, None] * eye(xp, n, m, offset, like=g)
    return xp.matmul(g, eye(xp, k, m, like=g))[..., None, :] * eye(xp, n, m, offset, like=g)


def powsum(xp, b, g, n: int):
    """``(S, B^n)`` with S = sum_{k<n} B^k G B^{n-1-k}, by halving: O(log n) products.

    S(2m) = S(m) B^m + B^m S(m); S(2m+1) = S(2m) B + B^{2m} G.
    """
    if n == 1:
        return g, b
    s, p = powsum(xp, b, g, n // 2)
    s = xp.matmul(s, p) + xp.matmul(p, s)
    p = xp.matmul(p, p)
    if n % 2:
        s = xp.matmul(s, b) + xp.matmul(p, g)
        p = xp.matmul(p, b)
    return s, p
