"""Conformance records of the ``linalg`` extension.

Decompositions are checked through gauge-invariant losses only (eigenvectors
and singular vectors carry a sign/phase per column): eigenvalues, |V|^2
entry-wise (unit-norm columns), U @ V^H, Q and R (unique for full-rank input
with LAPACK's real-diagonal R). Inputs keep well-separated spectra (``spd`` or
a diagonal shift); Hermitian-input functions see ``(a + a^H) / 2`` so finite
differences perturb the matrix the backend actually reads. Degenerate inputs
(repeated eigenvalues, singular matrices, rank changes) are covered by
tests/test_linalg_degenerate.py.
"""

from __future__ import annotations

import math

from ._record import Input, record

C = {"complex": True}
# Dask lacks these forwards: det, slogdet, eig, eigvals, eigh, eigvalsh, pinv, matrix_power, cross (ag_bridge
# raises "linalg.<op>() is not provided by backend 'dask'") and svd(full_matrices=True) of a non-square
# matrix (the plugin says to pass full_matrices=False): declared in expectations/dask.toml.
# Where jax.vjp, the oracle on jax, refuses a case (eig's eigenvectors, jax#2748; svd(full_matrices=True):
# "JVP not implemented for full matrices"; det of a 0x0 matrix) the check compares with NumPy's gradients
# only; tests/test_linalg_oracles.py runs eig on jax.


def _mh(xp, a):
    return xp.conj(xp.matrix_transpose(a))


def _herm(xp, a):
    return (a + _mh(xp, a)) / 2


def _shift(xp, a, c=3.0):
    """``a + c I``: keeps a random square matrix well conditioned."""
    return a + c * xp.eye(a.shape[-1], dtype=a.dtype)


def _abs2(xp, v):
    return xp.real(v * xp.conj(v))


def _spd(*shape):
    return Input(shape, kind="spd")


def _fixed(values):
    return Input((), kind="fixed", values=values)


# ---------------------------------------------------------------- cholesky
for _up in (False, True):
    for _s in ((3, 3), (2, 4, 4), (1, 1)):
        record("linalg.cholesky", lambda xp, a, up=_up: xp.linalg.cholesky(_herm(xp, a), upper=up),
               _spd(*_s), label=f"{'x'.join(map(str, _s))},upper={_up}", **C)

# ---------------------------------------------------------------- det, slogdet, inv
for _s in ((3, 3), (2, 3, 3), (1, 1), (4, 4)):
    record("linalg.det", lambda xp, a: xp.linalg.det(_shift(xp, a)), Input(_s, -1.0, 1.0), **C)
    record("linalg.slogdet", lambda xp, a: tuple(xp.linalg.slogdet(_shift(xp, a))), Input(_s, -1.0, 1.0), **C)
    record("linalg.inv", lambda xp, a: xp.linalg.inv(_shift(xp, a)), Input(_s, -1.0, 1.0), **C)
record("linalg.det", lambda xp, a: xp.linalg.det(a), Input((0, 0)), label="0x0")
record("linalg.det", lambda xp, a: xp.linalg.det(a), Input((3, 3), -2.0, 2.0), label="3x3 unshifted", **C)
# singular matrices: the gradient is the adjugate (rank n-1) and 0 with a non-zero Hessian (rank n-2).
# torch.autograd, the oracle on torch, gives 0 as det's gradient at a singular 2x2 matrix (the adjugate is
# right; tests/test_linalg_degenerate.py checks ag_bridge on torch against cofactors): no oracle there.
record("linalg.det", lambda xp, a: xp.linalg.det(a), _fixed([[1.0, 2.0], [2.0, 4.0]]),
       label="singular rank 1 of 2", **C)
record("linalg.det", lambda xp, a: xp.linalg.det(a),
       _fixed([[1.0, 2.0, 3.0], [2.0, 1.0, 0.5], [3.0, 3.0, 3.5]]), label="singular rank 2 of 3")
# rank 1 of 3 has two zero singular values, which LAPACK returns exactly or split by rounding: the
# second derivative does not go through the SVD's, so it is exact either way.
record("linalg.det", lambda xp, a: xp.linalg.det(a),
       _fixed([[1.0, 2.0, 3.0], [2.0, 4.0, 6.0], [-1.0, -2.0, -3.0]]), label="singular rank 1 of 3", **C)
record("linalg.slogdet", lambda xp, a: tuple(xp.linalg.slogdet(a)), _fixed([[-2.0, 1.0], [0.5, 1.5]]),
       label="negative det", **C)

# ---------------------------------------------------------------- solve (the standard's shape rules)
for _a, _b in (((3, 3), (3,)), ((3, 3), (3, 2)), ((2, 3, 3), (3,)), ((2, 3, 3), (2, 3, 1)),
               ((2, 1, 3, 3), (4, 3, 2)), ((3, 3), (2, 3, 3)), ((2, 3, 3), (3, 4))):
    record("linalg.solve", lambda xp, a, b: xp.linalg.solve(_shift(xp, a), b),
           Input(_a, -1.0, 1.0), Input(_b), **C)

# ---------------------------------------------------------------- eigh, eigvalsh
for _s in ((3, 3), (2, 4, 4), (1, 1)):
    record("linalg.eigh", lambda xp, a: (lambda r: (r[0], _abs2(xp, r[1])))(xp.linalg.eigh(_herm(xp, a))),
           _spd(*_s), label=f"{'x'.join(map(str, _s))} values,|V|^2", **C)
    record("linalg.eigvalsh", lambda xp, a: xp.linalg.eigvalsh(_herm(xp, a)), _spd(*_s), **C)
record("linalg.eigh", lambda xp, a: (lambda r: xp.matmul(r[1] * xp.exp(r[0])[..., None, :], _mh(xp, r[1])))(
    xp.linalg.eigh(_herm(xp, a))), _spd(3, 3), label="V exp(L) V^H", **C)
record("linalg.eigh", lambda xp, a: xp.linalg.eigh(_herm(xp, a))[0], _spd(3, 3), label="values only", **C)

# Regression (issue 10, jvp through the vectors was ~1e-17): the vector cotangent is exactly zero at the
# sample but not nearby (a recorded zero, as jvp's double-VJP feeds), so the second order needs the vector
# terms that the VJP used to skip on a zero value. a[0, 0] == a[1, 1] at these samples.
_EQ_DIAG = [[1.0, 2.0, 0.5], [2.0, 1.0, -1.0], [0.5, -1.0, 1.0]]  # eigenvalues -1.6, 1.2, 3.4


def _zero_here(xp, a):
    """``a[0, 0] - a[1, 1]``: zero at the samples above, recorded, with a non-zero gradient."""
    return (a[..., 0, 0] - a[..., 1, 1])[..., None, None]


record("linalg.eigh", lambda xp, a: xp.linalg.eigh(_herm(xp, a))[1] ** 2 * _zero_here(xp, a),
       _fixed(_EQ_DIAG), label="vector cotangent zero at the sample")

# ---------------------------------------------------------------- eig, eigvals (complex output)
for _s in ((3, 3), (2, 4, 4), (1, 1)):
    record("linalg.eig", lambda xp, a: (lambda r: (r[0], _abs2(xp, r[1])))(xp.linalg.eig(a)),
           Input(_s), label=f"{'x'.join(map(str, _s))} values,|V|^2", **C)
    # native2 not on jax: eigvals' JVP goes through eig's eigenvectors, whose derivative (needed for the
    # second order) JAX refuses unless enable_eigvec_derivs=True (jax#2748); torch's double backward checks it
    record("linalg.eigvals", lambda xp, a: xp.linalg.eigvals(a), Input(_s), **C)
record("linalg.eig", lambda xp, a: xp.linalg.eig(a)[0], Input((3, 3)), label="values only", **C)
record("linalg.eig", lambda xp, a: _abs2(xp, xp.linalg.eig(a)[1]) * _zero_here(xp, a),
       _fixed([[1.0, 2.0, 0.5], [-0.5, 1.0, 3.0], [1.5, 0.25, 2.0]]),
       label="vector cotangent zero at the sample")

# ---------------------------------------------------------------- svd, svdvals


def _svd_loss(xp, a, full):
    u, s, vh = xp.linalg.svd(a, full_matrices=full)
    k = s.shape[-1]
    u, vh = u[..., :, :k], vh[..., :k, :]
    return s, _abs2(xp, u), _abs2(xp, vh), xp.matmul(u, vh)


for _s in ((4, 3), (3, 4), (3, 3), (2, 4, 3), (1, 3)):
    for _full in (False, True):
        record("linalg.svd", lambda xp, a, f=_full: _svd_loss(xp, a, f), Input(_s),
               label=f"{'x'.join(map(str, _s))},full_matrices={_full}", **C)
    record("linalg.svdvals", lambda xp, a: xp.linalg.svdvals(a), Input(_s), **C)
record("linalg.svd", lambda xp, a: xp.linalg.svd(a, full_matrices=False)[1], Input((4, 3)),
       label="values only", **C)
for _v in ([[1.0, 2.0, 0.5, -1.0], [0.3, 1.0, 2.0, 0.7], [-1.5, 0.2, 0.4, 1.1]],
           [[1.0, 2.0, 0.5], [0.3, 1.0, 2.0], [-1.5, 0.2, 0.4], [0.6, -0.8, 1.3]]):
    record("linalg.svd", lambda xp, a: tuple(x * _zero_here(xp, a) for x in _svd_loss(xp, a, False)[1:]),
           _fixed(_v), label=f"{len(_v)}x{len(_v[0])} vector cotangents zero at the sample")
# Regression (issue 10): an exact zero singular value (this rank-1 2x3 matrix on every LAPACK here) with a
# loss on the other vectors only: the 1/s terms are dropped per singular value, not per matrix (the
# gradient was all-NaN). torch.autograd and jax.grad give NaN here: no native oracle. Second order:
# the recorded cotangent of the zero value's row is divided by s = 0 (docs/linalg.md), so first order only.


def _first_pair(xp, r):
    """|u_0|^2 and |v_0|^2 (entry-wise) of an SVD ``r``: the vectors of the largest singular value."""
    return _abs2(xp, r[0][..., :, :1]), _abs2(xp, r[2][..., :1, :])


for _v in ([[1.0, 2.0, 2.0], [-1.0, -2.0, -2.0]], [[1.0, -1.0], [2.0, -2.0], [2.0, -2.0]]):
    record("linalg.svd", lambda xp, a: _first_pair(xp, xp.linalg.svd(a, full_matrices=False)), _fixed(_v),
           label=f"{len(_v)}x{len(_v[0])} zero singular value", second_order=False,
           native_skip=frozenset({"torch", "jax"}))

# ---------------------------------------------------------------- qr (reduced; complete with m <= n)
for _s in ((4, 3), (3, 3), (3, 5), (2, 4, 3), (2, 2, 3)):
    record("linalg.qr", lambda xp, a: tuple(xp.linalg.qr(_shift(xp, a, 1.0) if a.shape[-1] == a.shape[-2]
                                                         else a)), Input(_s), **C)
record("linalg.qr", lambda xp, a: tuple(xp.linalg.qr(a, mode="complete")), Input((3, 4)),
       label="3x4 complete", **C)

# ---------------------------------------------------------------- pinv
for _s in ((4, 3), (3, 4), (2, 3, 3), (3, 3)):
    record("linalg.pinv", lambda xp, a: xp.linalg.pinv(a), Input(_s), **C)
record("linalg.pinv", lambda xp, b, c: xp.linalg.pinv(xp.matmul(b, c), rtol=1e-8), Input((4, 2)),
       Input((2, 3)), label="constant rank 2 of 4x3",
       single=False, **C)  # in single precision the zero singular value rounds to about the cutoff

# ---------------------------------------------------------------- matrix_norm, vector_norm
for _ord in ("fro", "nuc", 1, -1, 2, -2, math.inf, -math.inf):
    for _s, _kd in (((3, 4), False), ((2, 3, 3), True), ((4, 2), True)):
        record("linalg.matrix_norm", lambda xp, a, o=_ord, k=_kd: xp.linalg.matrix_norm(a, ord=o, keepdims=k),
               Input(_s, 0.2, 2.0, "away"), label=f"{'x'.join(map(str, _s))},ord={_ord},keepdims={_kd}",
               **C)

for _ord in (2, 1, math.inf, -math.inf, 0, 3, 0.5, -1.5):
    for _s, _ax, _kd in (((5,), None, False), ((3, 4), 1, False), ((3, 4), -2, True),
                         ((2, 3, 4), (0, 2), False), ((2, 3, 4), None, True), ((), None, False)):
        record("linalg.vector_norm", lambda xp, a, o=_ord, ax=_ax, k=_kd: xp.linalg.vector_norm(
            a, axis=ax, keepdims=k, ord=o), Input(_s, 0.2, 2.0, "away"),
            label=f"{'x'.join(map(str, _s)) or '0d'},ord={_ord},axis={_ax},keepdims={_kd}", **C)
record("linalg.vector_norm", lambda xp, a: xp.linalg.vector_norm(a), Input((0,)), label="empty")
record("linalg.vector_norm", lambda xp, a: xp.linalg.vector_norm(a, axis=1), Input((2, 0)),
       label="2x0 axis 1")

# ---------------------------------------------------------------- matrix_power
for _n in (1, 2, 3, 5, 0, -1, -3):
    for _s in ((3, 3), (2, 2, 2)):
        record("linalg.matrix_power", lambda xp, a, n=_n: xp.linalg.matrix_power(_shift(xp, a, 1.0), n),
               Input(_s, -0.5, 0.5), label=f"{'x'.join(map(str, _s))},n={_n}", **C)

# ---------------------------------------------------------------- cross, outer, trace, diagonal
for _a, _b, _ax in (((3,), (3,), -1), ((2, 3), (3,), -1), ((4, 3), (1, 3), -1), ((3, 2), (3, 2), -2),
                    ((2, 3, 4), (3, 4), -2)):
    record("linalg.cross", lambda xp, a, b, ax=_ax: xp.linalg.cross(a, b, axis=ax), Input(_a), Input(_b),
           label=f"{'x'.join(map(str, _a))},{'x'.join(map(str, _b))},axis={_ax}", **C)

for _a, _b in (((3,), (4,)), ((1,), (2,)), ((0,), (3,))):
    record("linalg.outer", lambda xp, a, b: xp.linalg.outer(a, b), Input(_a), Input(_b), **C)

for _s, _off in (((3, 3), 0), ((3, 4), 1), ((4, 3), -2), ((2, 3, 4), 0), ((2, 3), 5), ((0, 2), 0)):
    record("linalg.trace", lambda xp, a, o=_off: xp.linalg.trace(a, offset=o), Input(_s),
           label=f"{'x'.join(map(str, _s))},offset={_off}", **C)
    record("linalg.diagonal", lambda xp, a, o=_off: xp.linalg.diagonal(a, offset=o), Input(_s),
           label=f"{'x'.join(map(str, _s))},offset={_off}", **C)
record("linalg.trace", lambda xp, a: xp.linalg.trace(a, dtype=xp.complex128), Input((3, 3)),
       label="3x3 dtype=complex128", **C)
