"""VJPs of the ``linalg`` extension (the aliases matmul/vecdot/tensordot/matrix_transpose
live in linear_algebra.py).

Conventions (details, degenerate cases and costs in docs/linalg.md):

* Complex rules follow PyTorch's conjugate-Wirtinger convention; a real input
  of a complex output (``eig``/``eigvals`` of a real matrix) gets the real part
  (done by the engine).
* Hermitian-input functions (``cholesky``, ``eigh``, ``eigvalsh``) return a
  Hermitian cotangent: the gradient with respect to Hermitian perturbations
  (the backends only read one triangle).
* Decompositions (``eigh``, ``eig``, ``svd``) divide by eigen/singular-value
  gaps (and a non-square ``svd`` by the singular values): a tie or a zero
  gives inf/NaN (the vectors are not functions of the matrix there), except
  that terms built only from vector cotangents that are zero for good (exactly
  zero and constant, never recorded: see _linalg_util) are dropped per value,
  so losses on the values, or on the vectors of simple values, stay finite.
  Complex eigen/singular vectors have a phase gauge; gauge-variant losses get
  the gauge-invariant projection (torch raises instead).
* ``det`` at a singular matrix returns the adjugate (not 0 or NaN);
  ``slogdet``'s sign gets no gradient for real input and a phase gradient for
  complex input; ``vector_norm``/``matrix_norm('fro')`` at 0 have gradient 0;
  ties in ``matrix_norm`` ord 1/-1/inf/-inf/2/-2 (singular values tied up to
  rounding) and ``vector_norm`` ord +-inf split equally; ``pinv`` uses the
  Golub-Pereyra formula (valid at constant rank).
* Each backward costs no more, asymptotically, than its forward: solves
  instead of explicit inverses, ``matrix_power`` by halving in O(log n)
  products.
"""

from __future__ import annotations

import math

from .._registry import defvjp, defvjp_joint
from . import _linalg_util as lu
from ._adjugate import adjugate_h
from ._util import cj, expand_to, is_complex, norm_axes, zeros


def _cholesky(xp, g, ans, x, /, *, upper=False):
    if upper:
        return lu.cholesky_vjp(xp, lu.mH(xp, g), lu.mH(xp, ans))
    return lu.cholesky_vjp(xp, g, ans)


def _det(xp, g, ans, x):
    return g[..., None, None] * adjugate_h(xp, x, ans)


def _slogdet(xp, g, ans, x):
    gs, gl = g
    c = gl
    if is_complex(xp, x):  # phase: -i Im(conj(g_sign) sign) = (conj(z) - z) / 2
        z = xp.conj(gs) * ans[0]
        c = gl + (xp.conj(z) - z) / 2
    return c[..., None, None] * lu.inv_h(xp, x)


def _inv(xp, g, ans, x):
    yh = lu.mH(xp, ans)
    return -lu.chain(xp, yh, g, yh)


def _solve(xp, g, ans, x1, x2):
    vec = x2.ndim == 1  # the standard: a 1-D x2 is a vector, anything else a stack of matrices
    if vec:
        g, ans = g[..., None], ans[..., None]
    gb = xp.linalg.solve(lu.mH(xp, x1), g)
    ga = -xp.matmul(gb, lu.mH(xp, ans))
    return ga, (gb[..., 0] if vec else gb)


def _eigh(xp, g, ans, x):
    return lu.eigh_vjp(xp, g[0], g[1], ans[0], ans[1])


def _eigvalsh(xp, g, ans, x):
    v = xp.linalg.eigh(x)[1]
    return xp.matmul(v * g[..., None, :], lu.mH(xp, v))


def _eig(xp, g, ans, x):
    return lu.eig_vjp(xp, g[0], g[1], ans[0], ans[1])


def _eigvals(xp, g, ans, x):
    vh = lu.mH(xp, xp.linalg.eig(x)[1])
    return xp.linalg.solve(vh, g[..., :, None] * vh)


def _svd(xp, g, ans, x, /, *, full_matrices=True):
    # full_matrices=True: only the reduced part is differentiable (the extra columns of U / rows
    # of V^H are any orthonormal basis of a complement); their cotangents are ignored.
    (gu, gs, gvh), (u, s, vh) = g, ans
    k = s.shape[-1]
    if u.shape[-1] != k:
        gu, u = gu[..., :, :k], u[..., :, :k]
    if vh.shape[-2] != k:
        gvh, vh = gvh[..., :k, :], vh[..., :k, :]
    return lu.svd_vjp(xp, gu, gs, gvh, u, s, vh)


def _svdvals(xp, g, ans, x):
    u, _, vh = xp.linalg.svd(x, full_matrices=False)
    return lu.chain(xp, u, lu.diag_embed(xp, g), vh)


def _qr(xp, g, ans, x, /, *, mode="reduced"):
    return lu.qr_vjp(xp, g[0], g[1], ans[0], ans[1], x, mode)


def _pinv(xp, g, ans, x, /, *, rtol=None):
    # Golub & Pereyra (1973), complex form: A_bar = -X^H G X^H + (I - A X) G^H X X^H
    # + X^H X G^H (I - X A), X = pinv(A); products associated to stay O(m n min(m, n)).
    xh, gh = lu.mH(xp, ans), lu.mH(xp, g)
    t1 = lu.chain(xp, gh, ans, xh)
    t2 = lu.chain(xp, xh, ans, gh)
    return (-lu.chain(xp, xh, g, xh) + t1 - lu.chain(xp, x, ans, t1)
            + t2 - lu.chain(xp, t2, ans, x))


def _pinv_rtol(xp, g, ans, x, /, *, rtol=None):
    return xp.zeros_like(rtol)  # the cut-off is piecewise constant


def _extreme(xp, a, axis, hi: bool):
    """Mask of the extreme entries of ``a`` along ``axis`` divided by their count (ties split)."""
    m = (xp.max if hi else xp.min)(a, axis=axis, keepdims=True)
    hit = xp.astype(a == m, a.dtype)
    return hit / xp.sum(hit, axis=axis, keepdims=True)


def _extreme_singular(xp, s, shape, hi: bool):
    """Equal weights over the singular values tied with the largest (``hi``) or the smallest.

    Tied means equal up to the SVD's rounding: singular values carry an absolute error of
    order p(m, n) eps s_max, with p a modest function of the shape. LAPACK stays within
    max(m, n) eps s_max (NumPy's matrix_rank tolerance), but PyTorch's CUDA SVD (cuSOLVER)
    split the four tied singular values of a 4x4 matrix by more than that (seen on an H200), so
    the tolerance is 32 times it: an exact tie (the identity, an orthogonal matrix, the zero
    matrix) is found whatever the SVD, while a wider gap is resolved (for a 4x4 matrix, one
    above 3e-14 s_max in float64, 1.5e-5 s_max in float32).
    """
    top = xp.max(s, axis=-1, keepdims=True)
    ext = top if hi else xp.min(s, axis=-1, keepdims=True)
    tol = 32 * max(shape[-2], shape[-1]) * xp.finfo(s.dtype).eps * top
    hit = xp.astype(xp.abs(s - ext) <= tol, s.dtype)
    return hit / xp.sum(hit, axis=-1, keepdims=True)


def _matrix_norm(xp, g, ans, x, /, *, keepdims=False, ord="fro"):
    if not keepdims:
        g, ans = g[..., None, None], ans[..., None, None]
    if ord == "fro":
        return g * lu.div0(xp, x, ans)
    if ord in ("nuc", 2, -2):
        u, s, vh = xp.linalg.svd(x, full_matrices=False)
        if ord != "nuc":  # the tied extreme singular values share the gradient, as max/min's ties do
            u = u * _extreme_singular(xp, s, x.shape, ord > 0)[..., None, :]
        return g * xp.matmul(u, vh)
    # 1 / -1: extreme column abs-sum; inf / -inf: extreme row abs-sum
    ax = -2 if ord in (1, -1) else -1
    return g * _extreme(xp, xp.sum(xp.abs(x), axis=ax, keepdims=True), -3 - ax, ord > 0) * xp.sign(x)


def _vector_norm(xp, g, ans, x, /, *, axis=None, keepdims=False, ord=2):
    if ord == 0:
        return xp.zeros_like(x)
    g = expand_to(xp, g, x, axis, keepdims)
    n = expand_to(xp, ans, x, axis, keepdims)
    if ord == 2:
        return g * lu.div0(xp, x, n)
    if ord == 1:
        return g * xp.sign(x)
    a = xp.abs(x)
    if ord in (math.inf, -math.inf):
        axes = norm_axes(axis, x.ndim)
        return g * (_extreme(xp, a, axes, ord > 0) if axes else 1) * xp.sign(x)
    r = lu.div0(xp, a, n)
    zero = a == 0
    return g * xp.sign(x) * xp.where(zero, 0, xp.where(zero, 1, r) ** (ord - 1))


def _matrix_power(xp, g, ans, x, n):
    if n == 0:
        return zeros(xp, x)
    if n > 0:
        return lu.powsum(xp, lu.mH(xp, x), g, n)[0]
    zh = lu.mH(xp, xp.linalg.inv(x))
    return -lu.chain(xp, zh, lu.powsum(xp, zh, g, -n)[0], zh)


def _cross_axis(ans, axis: int) -> int:
    return axis if axis < 0 else axis - ans.ndim


defvjp("linalg.cholesky", _cholesky)
defvjp("linalg.det", _det)
defvjp("linalg.slogdet", _slogdet)
defvjp("linalg.inv", _inv)
defvjp_joint("linalg.solve", _solve)
defvjp("linalg.eigh", _eigh)
defvjp("linalg.eigvalsh", _eigvalsh)
defvjp("linalg.eig", _eig)
defvjp("linalg.eigvals", _eigvals)
defvjp("linalg.svd", _svd)
defvjp("linalg.svdvals", _svdvals)
defvjp("linalg.qr", _qr)
defvjp("linalg.pinv", _pinv, _pinv_rtol)
defvjp("linalg.matrix_norm", _matrix_norm)
defvjp("linalg.vector_norm", _vector_norm)
defvjp("linalg.matrix_power", _matrix_power)
defvjp("linalg.cross",
       lambda xp, g, ans, x1, x2, /, *, axis=-1: xp.linalg.cross(cj(xp, x2), g, axis=_cross_axis(ans, axis)),
       lambda xp, g, ans, x1, x2, /, *, axis=-1: xp.linalg.cross(g, cj(xp, x1), axis=_cross_axis(ans, axis)))
defvjp("linalg.outer",
       lambda xp, g, ans, x1, x2: xp.matmul(g, cj(xp, x2)),
       lambda xp, g, ans, x1, x2: xp.matmul(cj(xp, x1), g))
defvjp("linalg.trace",
       lambda xp, g, ans, x, /, *, offset=0, dtype=None:
       g[..., None, None] * lu.eye(xp, x.shape[-2], x.shape[-1], offset, like=g))
defvjp("linalg.diagonal", lambda xp, g, ans, x, /, *, offset=0: lu.undiagonal(xp, g, x, offset))
