"""What the linalg VJPs return at degenerate inputs, and why (docs/linalg.md, "Degenerate inputs").

Expected values never come from the code under test: adjugates come from cofactors, Hessians of
polynomials from exact central differences, eigen/singular gradients from closed forms.

Where no derivative exists (vectors of a repeated eigen/singular value, a defective matrix,
``logabsdet`` at a singular matrix) or where ag_bridge documents a limit, the tests assert only what
does not depend on how a LAPACK rounds the tie: the answer is flagged (inf/NaN where the tie is exact,
about 1e15 where it is off by one ulp) and never a moderate finite number that could pass for a
gradient (:func:`assert_flagged`, :func:`assert_exact_or_flagged`).
"""

from __future__ import annotations

import math

import numpy as np
import pytest
from array_api_compat import numpy as anp

from ag_bridge import autograd

NO_LINALG = {"dask": ("linalg.det", "linalg.slogdet", "linalg.eigh", "linalg.eigvalsh", "linalg.eig",
                      "linalg.eigvals", "linalg.pinv", "linalg.matrix_power", "svd(full_matrices=True)",
                      "qr(mode='complete')")}


def _need(backend, *ops):
    missing = [op for op in ops if op in NO_LINALG.get(backend.name, ())]
    if missing:
        pytest.skip(f"backend '{backend.name}' lacks the forward of {missing}")
    if backend.name == "jax":
        import jax

        if not jax.config.jax_enable_x64:
            pytest.skip("these checks need float64 (jax_enable_x64)")


def grad(xp, f, a0, dtype=None):
    """Gradient of the real scalar ``f(xp, a)`` at ``a0`` (as NumPy)."""
    a = xp.asarray(np.asarray(a0), dtype=dtype or xp.float64)
    a.attach_grad()
    with autograd.record():
        y = f(xp, a)
    y.backward()
    return a.grad.asnumpy()


def hvp(xp, f, a0, w):
    """Second derivative d/dA <grad f(A), W> at ``a0`` through create_graph."""
    a = xp.asarray(np.asarray(a0), dtype=xp.float64)
    a.attach_grad()
    with autograd.record():
        y = f(xp, a)
        (g,) = autograd.grad([y], [a], create_graph=True)
        m = xp.sum(g * xp.asarray(w, dtype=xp.float64))
    m.backward()
    return a.grad.asnumpy()


HUGE = 1e6  # "cannot pass for a gradient": this many times the gradient's scale at a well-separated point


def assert_flagged(g, scale=1.0):
    """No derivative exists: ``g`` must be non-finite or larger than ``HUGE * scale``.

    ``scale`` bounds the loss's gradient at nearby matrices whose gaps are of order 1. A tie that a
    LAPACK returns exactly gives 1/0 (inf/NaN); one it returns off by an ulp gives about 1/eps = 1e15.
    """
    g = np.asarray(g)
    finite = np.all(np.isfinite(g))
    assert not finite or np.max(np.abs(g)) > HUGE * scale, f"a finite gradient of scale {np.max(np.abs(g))}"


def assert_exact_or_flagged(g, expected, atol):
    """A documented limit: ``g`` is the exact ``expected`` (possible where LAPACK splits the tie
    by an ulp and the divided difference is still exact) or flagged as in :func:`assert_flagged`."""
    g = np.asarray(g)
    if np.all(np.isfinite(g)) and np.max(np.abs(g)) <= HUGE * max(1.0, np.max(np.abs(expected))):
        np.testing.assert_allclose(g, expected, atol=atol)


def adjugate(a):
    """The classical adjugate from cofactors: adj(A)_ij = (-1)^(i+j) det(A without row j, col i)."""
    n = a.shape[0]
    out = np.empty_like(a)
    for i in range(n):
        for j in range(n):
            minor = np.delete(np.delete(a, j, axis=0), i, axis=1)
            out[i, j] = (-1) ** (i + j) * (np.linalg.det(minor) if n > 1 else 1.0)
    return out


# ------------------------------------------------------------------ det / slogdet
SINGULAR = {
    "rank 1 of 2": [[1.0, 2.0], [2.0, 4.0]],
    "rank 2 of 3": [[1.0, 2.0, 3.0], [2.0, 1.0, 0.5], [3.0, 3.0, 3.5]],
    "rank 1 of 3": [[1.0, 2.0, 3.0], [2.0, 4.0, 6.0], [-1.0, -2.0, -3.0]],
    "zero 3x3": np.zeros((3, 3)),
}


@pytest.mark.parametrize("name", sorted(SINGULAR))
def test_det_singular_is_adjugate(xp, backend, name):
    # d det(A) = tr(adj(A) dA) for every A: at a singular A the gradient is adj(A)^T (0 for rank <= n-2),
    # not 0 (torch's answer for the rank-1 2x2) and not NaN (det * inv(A)^T).
    _need(backend, "linalg.det")
    a = np.asarray(SINGULAR[name])
    np.testing.assert_allclose(grad(xp, lambda xp, x: xp.linalg.det(x), a), adjugate(a).T, atol=1e-12)


@pytest.mark.parametrize("name", sorted(SINGULAR))
def test_det_singular_second_order(xp, backend, name):
    # adj(A) is a polynomial of degree n-1 <= 2 here, so a central difference with step 1 is exact:
    # D adj(A)[W] = (adj(A + W) - adj(A - W)) / 2. Exact also where LAPACK returns a tie of zero
    # singular values exactly or split by rounding ("rank 1 of 3"): no derivative goes through the SVD's.
    _need(backend, "linalg.det")
    a = np.asarray(SINGULAR[name])
    w = np.random.default_rng(1).standard_normal(a.shape)
    expected = (adjugate(a + w) - adjugate(a - w)).T / 2
    np.testing.assert_allclose(hvp(xp, lambda xp, x: xp.linalg.det(x), a, w), expected, atol=1e-10)


def det_taylor(a, e):
    """Coefficients c_0..c_n of the polynomial det(a + t e) in t, from np.linalg.det at n + 1 roots
    of unity (a discrete Fourier transform: exact up to rounding, as the degree is n)."""
    n = a.shape[-1]
    roots = np.exp(2j * np.pi * np.arange(n + 1) / (n + 1))
    return np.fft.fft([np.linalg.det(a + t * e) for t in roots]) / (n + 1)


def det_derivative(xp, a0, e0, order, part):
    """d^order/dt^order of part(det(a0 + t e0)) at t = 0 (``part``: np.real or np.imag) by nested
    autograd.grad(create_graph=True) through det's rule."""
    dt = xp.complex128 if np.iscomplexobj(a0) else xp.float64
    a, e = xp.asarray(a0, dtype=dt), xp.asarray(e0, dtype=dt)
    t = xp.asarray(0.0, dtype=xp.float64)
    t.attach_grad()
    with autograd.record():
        y = xp.linalg.det(a + xp.astype(t, dt) * e)
        y = xp.real(y) if part is np.real else xp.imag(y)
        for _ in range(order - 1):
            (y,) = autograd.grad([y], [t], create_graph=True)
    y.backward()
    return float(t.grad.asnumpy())


_U = np.linalg.qr(np.random.default_rng(4).standard_normal((4, 4)))[0]
HIGHER = {
    "rank 1 of 3": SINGULAR["rank 1 of 3"],
    "diag(1, 1, 0)": np.diag([1.0, 1.0, 0.0]),
    "zero 4x4": np.zeros((4, 4)),
    "rank 1 of 4": np.outer([1.0, 2.0, 3.0, 4.0], [1.0, -1.0, 2.0, 0.5]),
    "rank 2 of 4": (np.outer([1.0, 2.0, 3.0, 4.0], [1.0, -1.0, 2.0, 0.5])
                    + np.outer([0.0, 1.0, -1.0, 1.0], [2.0, 1.0, 0.0, 1.0])),
    "singular values 1, 1e-5, 1e-6, 1e-9": np.diag([1.0, 1e-5, 1e-6, 1e-9]) @ _U,
}


@pytest.mark.parametrize("kind", ["real", "complex"])
@pytest.mark.parametrize("name", sorted(HIGHER))
def test_det_derivatives_of_every_order_at_singular_matrices(xp, backend, name, kind):
    # det(A + tE) is a polynomial of degree n in t: its k-th derivative is k! c_k, for every k <= n,
    # at singular and ill-conditioned A too (real or complex: a free phase of null singular vectors
    # must not leak into the Hessian). ag_bridge rebuilds adj(A) from A without differentiating the SVD.
    _need(backend, "linalg.det")
    rng = np.random.default_rng(7)
    a = np.asarray(HIGHER[name], dtype=float)
    e = rng.standard_normal(a.shape)
    if kind == "complex":
        a = a * np.exp(1j * rng.uniform(0, 6, a.shape[0]))[:, None]
        e = e + 1j * rng.standard_normal(a.shape)
    c = det_taylor(a, e)
    for order in range(1, a.shape[-1] + 1):
        for part in (np.real, np.imag) if kind == "complex" else (np.real,):
            want = part(math.factorial(order) * c[order])
            got = det_derivative(xp, a, e, order, part)
            assert abs(got - want) <= 1e-9 * max(1.0, abs(want)), (order, part.__name__, got, want)


def test_det_hessian_at_identity(xp, backend):
    # Repeated singular values (all 1): the solve path keeps the Hessian exact,
    # d^2 det(I)[H, W] = tr(H) tr(W) - tr(H W), i.e. grad_H = tr(W) I - W^T.
    _need(backend, "linalg.det")
    w = np.random.default_rng(2).standard_normal((3, 3))
    np.testing.assert_allclose(hvp(xp, lambda xp, x: xp.linalg.det(x), np.eye(3), w),
                               np.trace(w) * np.eye(3) - w.T, atol=1e-12)


def test_det_hessian_mixed_batch(xp, backend):
    # the solve/SVD choice is per matrix: the identity keeps its exact Hessian next to a singular matrix
    _need(backend, "linalg.det")
    a = np.stack([np.eye(2), np.asarray(SINGULAR["rank 1 of 2"])])
    w = np.random.default_rng(2).standard_normal((2, 2, 2))
    h = hvp(xp, lambda xp, x: xp.sum(xp.linalg.det(x)), a, w)
    np.testing.assert_allclose(h[0], np.trace(w[0]) * np.eye(2) - w[0].T, atol=1e-12)
    np.testing.assert_allclose(h[1], (adjugate(a[1] + w[1]) - adjugate(a[1] - w[1])).T / 2, atol=1e-12)


def test_det_hessian_singular_repeated_singular_values(xp, backend):
    # diag(1, 1, 0): a tie among the non-zero singular values, where the SVD's derivative divides by
    # s_i^2 - s_j^2 = 0; adj(A) is rebuilt without it, so the Hessian is exact (adj is quadratic
    # here: a step-1 central difference is exact).
    _need(backend, "linalg.det")
    a = np.diag([1.0, 1.0, 0.0])
    w = np.random.default_rng(1).standard_normal((3, 3))
    expected = (adjugate(a + w) - adjugate(a - w)).T / 2
    np.testing.assert_allclose(hvp(xp, lambda xp, x: xp.linalg.det(x), a, w), expected, atol=1e-10)


def test_det_hessian_batch_of_ranks(xp, backend):
    # one batch: invertible, rank 2, rank 1 and zero 3x3 matrices (the blocks are chosen over the batch)
    _need(backend, "linalg.det")
    a = np.stack([np.diag([2.0, 1.0, 0.5]) + 0.1, SINGULAR["rank 2 of 3"], SINGULAR["rank 1 of 3"],
                  np.zeros((3, 3))])
    w = np.random.default_rng(3).standard_normal(a.shape)
    h = hvp(xp, lambda xp, x: xp.sum(xp.linalg.det(x)), a, w)
    for hi, ai, wi in zip(h, a, w):
        np.testing.assert_allclose(hi, (adjugate(ai + wi) - adjugate(ai - wi)).T / 2, atol=1e-10)


def test_slogdet_singular(xp, backend):
    # logabsdet = -inf at a singular matrix: the gradient inv(A)^T does not exist. Depending on the
    # backend and how its LU rounds the zero pivot, the solve raises a singular-matrix error, returns
    # inf/NaN, or returns a huge finite matrix (~1/eps); the gradient near A has scale ~1/dist(A, singular).
    _need(backend, "linalg.slogdet")
    f = lambda xp, x: xp.linalg.slogdet(x)[1]  # noqa: E731
    try:
        g = grad(xp, f, SINGULAR["rank 1 of 2"])
    except Exception as exc:  # noqa: BLE001 - the backends' LinAlgError types differ
        assert "ingular" in str(exc) or "LinAlg" in type(exc).__name__
    else:
        assert_flagged(g)


def test_slogdet_sign_real_has_no_gradient(xp, backend):
    _need(backend, "linalg.slogdet")
    g = grad(xp, lambda xp, x: xp.linalg.slogdet(x)[0], [[-2.0, 1.0], [0.5, 1.5]])
    np.testing.assert_array_equal(g, 0.0)


# ------------------------------------------------------------------ eigh / eigvalsh
def test_eigvalsh_finite_at_degeneracy(xp, backend):
    # sum(lambda^2) = ||A||_F^2 is smooth: gradient 2A even though two eigenvalues coincide
    _need(backend, "linalg.eigvalsh")
    a = np.diag([1.0, 1.0, 2.0])
    g = grad(xp, lambda xp, x: xp.sum(xp.linalg.eigvalsh(x) ** 2), a)
    np.testing.assert_allclose(g, 2 * a, atol=1e-12)
    np.testing.assert_allclose(grad(xp, lambda xp, x: xp.sum(xp.linalg.eigvalsh(x)), np.eye(3)), np.eye(3),
                               atol=1e-12)


def test_eigh_values_only_finite_at_degeneracy(xp, backend):
    # eigh's eigenvector cotangent is zero, so the 0/0 gap terms are taken as 0: finite, = V diag(g) V^H
    _need(backend, "linalg.eigh")
    w = [1.0, 1.0, 3.0]
    g = grad(xp, lambda xp, x: xp.sum(xp.linalg.eigh(x)[0] * xp.asarray(w)), np.diag([1.0, 1.0, 2.0]))
    np.testing.assert_allclose(g, np.diag([1.0, 1.0, 3.0]), atol=1e-12)


def test_eigh_simple_vector_at_degeneracy_finite(xp, backend):
    # eigenvalues 1, 1, 2: the eigenvector of the simple eigenvalue 2 is smooth although 1 is repeated. Its
    # cotangent leaves the columns of the tied pair exactly zero, so their 0/0 gap term is dropped (per
    # pair, not per matrix). Oracle: central differences on NumPy of the loss of sym(A).
    _need(backend, "linalg.eigh")
    c = np.array([0.4, -1.1, 0.8])

    def loss(xp, x):
        return xp.sum(xp.linalg.eigh((x + xp.matrix_transpose(x)) / 2)[1][:, 2] ** 2 * xp.asarray(c))

    a0 = np.array([[1.0, 0.0, 0.0], [0.0, 1.5, 0.5], [0.0, 0.5, 1.5]])  # v_2 = (0, 1, 1)/sqrt(2)
    fd = np.zeros((3, 3))
    for i in range(9):
        e = np.zeros(9)
        e[i] = 1e-6
        e = e.reshape(3, 3)
        fd.flat[i] = (float(loss(anp, a0 + e)) - float(loss(anp, a0 - e))) / 2e-6
    np.testing.assert_allclose(grad(xp, loss, a0), fd, rtol=1e-6, atol=1e-8)


@pytest.mark.filterwarnings("ignore::RuntimeWarning")
def test_eigh_vectors_at_degeneracy_flagged(xp, backend):
    # Eigenvectors of a repeated eigenvalue are any basis of its eigenspace: a loss that depends on which
    # basis has no gradient. The gap 1/(lambda_j - lambda_i) is 1/0 (or 1/ulp) with a non-zero numerator:
    # inf/NaN or ~1e15 (torch does the same), never a moderate finite number. At gaps of order 1 this
    # loss's gradient is bounded by sum|c|.
    _need(backend, "linalg.eigh")
    c = np.random.default_rng(3).standard_normal((3, 3))
    g = grad(xp, lambda xp, x: xp.sum(xp.linalg.eigh(x)[1] * xp.asarray(c)), np.diag([1.0, 1.0, 2.0]))
    assert_flagged(g, np.abs(c).sum())


@pytest.mark.filterwarnings("ignore::RuntimeWarning")
@pytest.mark.parametrize("op", ["linalg.eigvalsh", "linalg.svdvals"])
def test_second_order_at_ties_exact_or_flagged(xp, backend, op):
    # sum(lambda^2) = ||A||_F^2 has Hessian 2W everywhere, but at a tie the second derivative through the
    # decomposition needs a divided difference (g_i - g_j)/(lambda_i - lambda_j) = 0/0: ag_bridge computes
    # it (NaN at an exact tie, as torch does; exact or huge where LAPACK splits the tie by an ulp) rather
    # than dropping the term and returning a wrong finite number.
    _need(backend, op)
    w = np.random.default_rng(9).standard_normal((3, 3))
    fn = getattr(xp.linalg, op.split(".")[1])
    h = hvp(xp, lambda xp, x: xp.sum(fn(x) ** 2), np.eye(3), w)
    # the Hessian applied to W: 2W (svdvals), and its Hermitian part W + W^T for eigvalsh (which returns
    # gradients with respect to Hermitian perturbations, docs/linalg.md)
    expected = 2 * w if op == "linalg.svdvals" else w + w.T
    assert_exact_or_flagged(h, expected, atol=1e-10)


# ------------------------------------------------------------------ eig / eigvals
def test_eigvals_repeated_but_diagonalisable(xp, backend):
    # 2I: every vector is an eigenvector; a loss symmetric in the repeated eigenvalues (their sum = trace)
    # is smooth and its gradient V^{-H} diag(g) V^H = I for any V.
    _need(backend, "linalg.eigvals")
    g = grad(xp, lambda xp, x: xp.sum(xp.real(xp.linalg.eigvals(x))), 2 * np.eye(3))
    np.testing.assert_allclose(g, np.eye(3), atol=1e-12)


def test_eigvals_defective_not_finite_or_huge(xp, backend):
    # A Jordan block: lambda = 1 +- sqrt(eps) under perturbation, no derivative; V is (numerically)
    # singular, so one eigenvalue's gradient V^{-H} e_0 e_0^T V^H is huge or non-finite.
    _need(backend, "linalg.eigvals")
    try:
        g = grad(xp, lambda xp, x: xp.real(xp.linalg.eigvals(x)[0]), [[1.0, 1.0], [0.0, 1.0]])
    except Exception as exc:  # noqa: BLE001 - a backend's solve may refuse the singular V
        assert "ingular" in str(exc) or "LinAlg" in type(exc).__name__
    else:
        assert_flagged(g)


# ------------------------------------------------------------------ svd / svdvals / norms
def test_svdvals_sum_at_orthogonal(xp, backend):
    # all singular values 1: sum(s) = nuclear norm, gradient U V^H = Q itself (finite although repeated)
    q = np.linalg.qr(np.random.default_rng(4).standard_normal((3, 3)))[0]
    np.testing.assert_allclose(grad(xp, lambda xp, x: xp.sum(xp.linalg.svdvals(x)), q), q, atol=1e-12)
    np.testing.assert_allclose(grad(xp, lambda xp, x: xp.sum(xp.linalg.svd(x)[1]), q), q, atol=1e-12)
    np.testing.assert_allclose(grad(xp, lambda xp, x: xp.linalg.matrix_norm(x, ord="nuc"), q), q, atol=1e-12)


@pytest.mark.filterwarnings("ignore::RuntimeWarning")
def test_svd_vectors_at_repeated_singular_values_flagged(xp, backend):
    # an orthogonal matrix: all singular values 1, U is any orthogonal matrix with U V^H = Q, so a loss
    # on U alone has no gradient. LAPACK returns the ties exactly (inf/NaN) or split by an ulp (~1e15,
    # torch's on some machines): either is flagged; at gaps of order 1 the gradient is bounded by ~sum|c|.
    q = np.linalg.qr(np.random.default_rng(5).standard_normal((3, 3)))[0]
    c = np.random.default_rng(6).standard_normal((3, 3))
    g = grad(xp, lambda xp, x: xp.sum(xp.linalg.svd(x)[0] * xp.asarray(c)), q)
    assert_flagged(g, np.abs(c).sum())


def test_svd_full_matrices_extra_columns_ignored(xp, backend):
    # full_matrices=True, 4x2: U[:, 2:] is any orthonormal basis of range(A)'s complement, not a
    # function of A: its cotangent is dropped (documented), so this loss has gradient 0.
    _need(backend, "svd(full_matrices=True)")
    a = np.random.default_rng(7).standard_normal((4, 2))
    g = grad(xp, lambda xp, x: xp.sum(xp.linalg.svd(x, full_matrices=True)[0][:, 2:]), a)
    np.testing.assert_array_equal(g, 0.0)


# exactly orthogonal (entries +-1/2), so U diag(s) V^T below is exact and its SVD's rounding is ~eps*s_max
_H = np.array([[1.0, 1, 1, 1], [1, -1, 1, -1], [1, 1, -1, -1], [1, -1, -1, 1]]) / 2
_H2 = _H[[2, 0, 3, 1]] * np.array([1.0, -1, 1, 1])[:, None]


@pytest.mark.parametrize("s", [(3, 3, 1, 0.5), (3, 1, 1, 1), (2, 2, 2, 2), (3, 2, 1, 0.5)], ids=str)
@pytest.mark.parametrize("ord", [2, -2])
def test_matrix_norm_2_ties_split_equally(xp, backend, ord, s):
    # ||A||_2 = max(svdvals(A)): with the max rule (ties split equally) the gradient is the mean of
    # u_i v_i^T over the singular values tied with the largest (smallest for ord=-2), a subgradient
    # that does not depend on the basis the SVD picks inside the tie. Expected from the construction.
    a = _H @ np.diag(s) @ _H2.T
    ext = max(s) if ord == 2 else min(s)
    tied = [i for i, si in enumerate(s) if si == ext]
    expected = _H[:, tied] @ _H2[:, tied].T / len(tied)
    np.testing.assert_allclose(grad(xp, lambda xp, x: xp.linalg.matrix_norm(x, ord=ord), a), expected,
                               atol=1e-12)


@pytest.mark.parametrize("rel,tied", [(20 * np.finfo(float).eps, [0, 1, 2, 3]), (1e-5, [1])])
def test_matrix_norm_2_tie_tolerance_covers_gpu_rounding_not_real_gaps(xp, backend, rel, tied):
    # PyTorch's CUDA SVD split an exact 4-way tie by more than max(m, n) eps s_max (H200): a
    # spread of 40 eps (rel 20 eps of s = 2) still counts as a tie, while a gap of 2e-5 is real
    # and the gradient is that singular value's u v^T alone (to ~eps s / gap: 1e-11).
    s = np.array([2.0, 2.0 * (1 + rel), 2.0, 2.0])
    a = _H @ np.diag(s) @ _H2.T
    expected = _H[:, tied] @ _H2[:, tied].T / len(tied)
    np.testing.assert_allclose(grad(xp, lambda xp, x: xp.linalg.matrix_norm(x, ord=2), a), expected,
                               atol=1e-9)


@pytest.mark.parametrize("shape", [(2, 2), (2, 3), (4, 3)])
@pytest.mark.parametrize("ord", [2, -2])
def test_matrix_norm_2_at_zero_matches_max_rule(xp, backend, ord, shape):
    # At 0 all k = min(m, n) singular values are exactly 0 (no rounding in a zero matrix): the gradient
    # is (1/k) U V^H for whatever orthonormal U, V the backend returns, so its singular values are all
    # 1/k; and it equals the gradient of max/min(svdvals(A)) through ag_bridge's own max/min tie rule.
    k = min(shape)
    g = grad(xp, lambda xp, x: xp.linalg.matrix_norm(x, ord=ord), np.zeros(shape))
    np.testing.assert_allclose(np.linalg.svd(g, compute_uv=False), np.full(k, 1 / k), atol=1e-12)
    red = xp.max if ord == 2 else xp.min
    np.testing.assert_allclose(g, grad(xp, lambda xp, x: red(xp.linalg.svdvals(x)), np.zeros(shape)),
                               atol=1e-12)


def test_matrix_norm_1_ties_split(xp, backend):
    # both column abs-sums are 2: each column gets half of the gradient, times sign(a)
    a = np.array([[1.0, -1.0], [1.0, 1.0]])
    for o in (1, -np.inf):
        g = grad(xp, lambda xp, x: xp.linalg.matrix_norm(x, ord=o), a)
        np.testing.assert_allclose(g, np.sign(a) / 2)


@pytest.mark.parametrize("ord", [2, 1, 3, 0.5, np.inf, -np.inf, 0])
def test_vector_norm_zero_vector(xp, backend, ord):
    # docs/semantics.md (conventions table): vector_norm at 0 has gradient 0 (torch agrees for ord=2,
    # JAX gives NaN)
    g = grad(xp, lambda xp, x: xp.linalg.vector_norm(x, ord=ord), np.zeros(3))
    np.testing.assert_array_equal(g, 0.0)
    g = grad(xp, lambda xp, x: xp.linalg.matrix_norm(x), np.zeros((2, 2)))
    np.testing.assert_array_equal(g, 0.0)


def test_vector_norm_inf_ties_split(xp, backend):
    g = grad(xp, lambda xp, x: xp.linalg.vector_norm(x, ord=np.inf), [2.0, -2.0, 1.0])
    np.testing.assert_allclose(g, [0.5, -0.5, 0.0])


# ------------------------------------------------------------------ pinv / qr / matrix_power
def test_pinv_at_rank_deficient_is_constant_rank_derivative(xp, backend):
    # pinv jumps where the rank changes (pinv(diag(1, t)) = diag(1, 1/t)); at a rank-deficient A the
    # Golub-Pereyra formula gives the derivative along rank-preserving perturbations. Check it through
    # A = B C (rank 1 for every B, C): chain rule B_bar = A_bar C^T against central differences in B.
    _need(backend, "linalg.pinv")
    rng = np.random.default_rng(8)
    b, c, w = rng.standard_normal((3, 1)), rng.standard_normal((1, 2)), rng.standard_normal((2, 3))

    def loss_np(bb):
        return float(np.sum(np.linalg.pinv(bb @ c) * w))

    g_a = grad(xp, lambda xp, x: xp.sum(xp.linalg.pinv(x, rtol=1e-10) * xp.asarray(w)), b @ c)
    fd = np.zeros_like(b)
    for i in range(b.size):
        e = np.zeros_like(b)
        e.flat[i] = 1e-6
        fd.flat[i] = (loss_np(b + e) - loss_np(b - e)) / 2e-6
    np.testing.assert_allclose(g_a @ c.T, fd, rtol=1e-6, atol=1e-8)


def test_qr_complete_tall_refused(xp, backend):
    _need(backend, "qr(mode='complete')")
    with pytest.raises(ValueError, match="mode='complete'"):
        grad(xp, lambda xp, x: xp.sum(xp.linalg.qr(x, mode="complete")[0]), np.ones((3, 2)))


def test_matrix_power_zero_and_identity(xp, backend):
    _need(backend, "linalg.matrix_power")
    a = np.array([[1.0, 2.0], [3.0, 4.0]])
    np.testing.assert_array_equal(grad(xp, lambda xp, x: xp.sum(xp.linalg.matrix_power(x, 0)), a), 0.0)
    # d/dA sum(A^3) at A = I is 3 * ones (all powers of I commute): exercises the halving sum
    np.testing.assert_allclose(grad(xp, lambda xp, x: xp.sum(xp.linalg.matrix_power(x, 3)), np.eye(2)),
                               3 * np.ones((2, 2)))
