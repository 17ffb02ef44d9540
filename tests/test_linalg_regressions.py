"""Regressions: linalg derivatives that were wrong, each against an oracle that is not the code under
test (central finite differences on NumPy, torch.func.jvp / torch.autograd, closed forms).

* issue 10: ``ag_bridge.jvp`` through the vectors of svd/eigh/eig returned ~1e-17 (the VJPs skipped
  their vector terms when the vector cotangents were exactly zero, and jvp's double-VJP feeds exactly
  such zeros); svd at an exact zero singular value gave all-NaN on torch (the guard was per matrix).
* issue 14: ties of the extreme singular values in ``matrix_norm(ord=+-2)``; complex ``cholesky``.
"""

from __future__ import annotations

import os
import subprocess
import sys
import textwrap

import numpy as np
import pytest
from array_api_compat import numpy as anp

import ag_bridge
from ag_bridge import autograd

from .test_linalg_degenerate import _need, grad


def _abs2(xp, v):
    return xp.real(v * xp.conj(v))


def _sym(rng, n):
    a = rng.standard_normal((n, n))
    return a + a.T


# name -> (f(xp, m) with a gauge-invariant output, input builder, the ops it needs)
JVP_CASES = {
    # the reproducer: x and t random symmetric 3x3
    "eigh vectors": (lambda xp, m: xp.linalg.eigh(m)[1] ** 2, lambda rng: _sym(rng, 3), ("linalg.eigh",)),
    "eig vectors": (lambda xp, m: _abs2(xp, xp.linalg.eig(m)[1]), lambda rng: rng.standard_normal((3, 3)),
                    ("linalg.eig",)),
    "svd u (tall)": (lambda xp, m: xp.linalg.svd(m, full_matrices=False)[0] ** 2,
                     lambda rng: rng.standard_normal((4, 3)), ()),
    "svd s": (lambda xp, m: xp.linalg.svd(m, full_matrices=False)[1], lambda rng: rng.standard_normal((3, 4)),
              ()),
    "svd vh (wide)": (lambda xp, m: xp.linalg.svd(m, full_matrices=False)[2] ** 2,
                      lambda rng: rng.standard_normal((3, 4)), ()),
}


def _fd_grad(loss, a0, eps=1e-6):
    g = np.zeros_like(a0)
    for i in range(a0.size):
        e = np.zeros_like(a0)
        e.flat[i] = eps
        g.flat[i] = (loss(a0 + e) - loss(a0 - e)) / (2 * eps)
    return g


def _fd_jvp(f, x, t, eps=1e-6):
    """Central difference of ``f(numpy namespace, .)`` along ``t``."""
    return (np.asarray(f(anp, x + eps * t)) - np.asarray(f(anp, x - eps * t))) / (2 * eps)


@pytest.mark.parametrize("name", sorted(JVP_CASES))
def test_jvp_through_decomposition_vectors(backend, name):
    f, make, ops = JVP_CASES[name]
    _need(backend, *ops)
    rng = np.random.default_rng(10)
    x, t = make(rng), make(rng)
    expected = _fd_jvp(f, x, t)
    assert np.max(np.abs(expected)) > 0.1  # O(1): the bug returned ~1e-17
    xp = backend.namespace
    _, tan = ag_bridge.jvp(lambda m: f(xp, m), (xp.asarray(x),), (xp.asarray(t),))
    np.testing.assert_allclose(tan.asnumpy(), expected, rtol=1e-6, atol=1e-7)


@pytest.mark.parametrize("name", sorted(JVP_CASES))
def test_jvp_through_decomposition_vectors_matches_torch_func(name):
    torch = pytest.importorskip("torch")
    from array_api_compat import torch as txp

    f, make, _ = JVP_CASES[name]
    rng = np.random.default_rng(10)
    x, t = make(rng), make(rng)
    _, want = torch.func.jvp(lambda m: f(txp, m), (torch.tensor(x),), (torch.tensor(t),))
    xp = ag_bridge.namespace("numpy")
    _, tan = ag_bridge.jvp(lambda m: f(xp, m), (xp.asarray(x),), (xp.asarray(t),))
    np.testing.assert_allclose(tan.asnumpy(), want.numpy(), rtol=1e-7, atol=1e-9)


def test_hvp_with_vector_cotangent_zero_at_the_point(backend):
    # y(A) = h(A) sum(A - A0), h(A) = sum(V**2 W) with V = eigh(sym(A)). At A = A0 the first-order
    # cotangent of V is 2 V W sum(A - A0): exactly zero there, not nearby, so the second derivative
    # needs eigh's vector terms. Hessian applied to D: g0 sum(D) + <g0, D> ones, g0 = grad h(A0),
    # here from central differences of h on NumPy.
    _need(backend, "linalg.eigh")
    rng = np.random.default_rng(11)
    a0, w, d = _sym(rng, 3), rng.standard_normal((3, 3)), rng.standard_normal((3, 3))

    def h(xp, a):
        return xp.sum(xp.linalg.eigh((a + xp.matrix_transpose(a)) / 2)[1] ** 2 * xp.asarray(w))

    g0 = _fd_grad(lambda a: float(h(anp, a)), a0)
    expected = g0 * d.sum() + np.ones((3, 3)) * np.sum(g0 * d)
    xp = backend.namespace
    a = xp.asarray(a0)
    a.attach_grad()
    with autograd.record():
        y = h(xp, a) * xp.sum(a - xp.asarray(a0))
        (g,) = autograd.grad([y], [a], create_graph=True)
        m = xp.sum(g * xp.asarray(d))
    m.backward()
    np.testing.assert_allclose(a.grad.asnumpy(), expected, rtol=1e-6, atol=1e-6)


# ------------------------------------------------------------------ svd at an exact zero singular value
RANK1 = np.array([[1.0, 2.0, 2.0], [-1.0, -2.0, -2.0]])  # singular values 3 sqrt(2) and exactly 0


@pytest.mark.parametrize("factor", ["vh", "u"])
def test_svd_zero_singular_value_loss_on_the_other_vectors(backend, factor):
    # A loss on the vectors of the non-zero singular value only: smooth at this rank-1 matrix (that
    # value stays simple), so finite differences are the oracle. The vectors of the zero singular value
    # get no cotangent: the 1/s terms are dropped per singular value. torch's own autograd gives NaN.
    c = np.array([[0.3, -1.2, 0.7]])
    a0 = RANK1 if factor == "vh" else RANK1.T

    def loss(xp, a):
        u, _, vh = xp.linalg.svd(a, full_matrices=False)
        v = vh[:1, :] if factor == "vh" else xp.matrix_transpose(u[:, :1])
        return xp.sum(_abs2(xp, v) * xp.asarray(c))

    expected = _fd_grad(lambda a: float(loss(anp, a)), a0)
    got = grad(backend.namespace, loss, a0)
    np.testing.assert_allclose(got, expected, rtol=1e-6, atol=1e-8)


def test_lda_svd_gradient_on_torch():
    # scikit-learn's LinearDiscriminantAnalysis(solver="svd") with two balanced classes takes the SVD
    # of a 2 x r matrix whose rows are exact negatives: an exact zero singular value on torch, and a
    # loss on Vt[:1]. The gradient must be finite and equal finite differences of the NumPy fit.
    pytest.importorskip("torch")
    pytest.importorskip("sklearn")
    code = textwrap.dedent("""
        import os
        os.environ["SCIPY_ARRAY_API"] = "1"
        import numpy as np
        import sklearn
        from sklearn.discriminant_analysis import LinearDiscriminantAnalysis as LDA
        import ag_bridge
        from ag_bridge import autograd

        # small integers: exact class means, so torch's second SVD (of a 2 x 3 matrix) has an exact
        # zero singular value (with the old per-matrix guard: all-NaN gradient)
        x0 = np.array([[-1, 0, 2], [4, -4, 4], [0, -1, 2], [1, -2, -2], [2, 1, 0], [-1, 2, -1],
                       [-2, 4, -2], [-2, 2, 1]], dtype=float)
        y0 = np.array([0, 1] * 4)
        xp = ag_bridge.namespace("torch")
        sklearn.set_config(array_api_dispatch=True)
        x = xp.asarray(x0)
        x.attach_grad()
        with autograd.record():
            loss = xp.sum(LDA(solver="svd").fit(x, xp.asarray(y0)).transform(x) ** 2)
        loss.backward()
        g = x.grad.asnumpy()
        assert np.all(np.isfinite(g)), g
        sklearn.set_config(array_api_dispatch=False)

        def f(a):
            return np.sum(LDA(solver="svd").fit(a, y0).transform(a) ** 2)

        fd = np.zeros_like(x0)
        for i in range(x0.size):
            e = np.zeros_like(x0)
            e.flat[i] = 1e-6
            fd.flat[i] = (f(x0 + e) - f(x0 - e)) / 2e-6
        np.testing.assert_allclose(g, fd, rtol=1e-5, atol=1e-6)
        print("ok")
    """)
    env = dict(os.environ, SCIPY_ARRAY_API="1")
    r = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, env=env, timeout=300)
    assert r.returncode == 0 and r.stdout.strip().endswith("ok"), r.stderr[-3000:]


# ------------------------------------------------------------------ complex cholesky (issue 14, item 7)
def _draw(rng, n, cplx):
    return rng.standard_normal((n, n)) + (1j * rng.standard_normal((n, n)) if cplx else 0)


def _hpd(rng, n, cplx):
    b = _draw(rng, n, cplx)
    return b @ b.conj().T + n * np.eye(n)


@pytest.mark.parametrize("cplx", [False, True], ids=["real", "complex"])
def test_cholesky_gradient_is_hermitian_part(backend, cplx):
    # docs/linalg.md: ag_bridge returns the Hermitian gradient G = G^H, the one with
    # Re tr(G^H dA) = dL for every Hermitian dA (cholesky reads one triangle of a Hermitian matrix).
    # torch returns the same for real input and, for complex input, a non-Hermitian matrix whose
    # Hermitian part is G. Oracles: a central difference along a Hermitian direction, torch.autograd.
    rng = np.random.default_rng(14)
    a0, w, h = _hpd(rng, 3, cplx), _draw(rng, 3, cplx), _draw(rng, 3, cplx)
    h = h + h.conj().T  # a Hermitian direction

    def loss(xp, a):
        return xp.sum(xp.real(xp.linalg.cholesky(a) * xp.conj(xp.asarray(w))))

    g = grad(backend.namespace, loss, a0, dtype=backend.namespace.complex128 if cplx else None)
    np.testing.assert_allclose(g, g.conj().T, atol=1e-14)
    eps = 1e-6
    fd = (float(loss(anp, a0 + eps * h)) - float(loss(anp, a0 - eps * h))) / (2 * eps)
    np.testing.assert_allclose(np.real(np.sum(np.conj(g) * h)), fd, rtol=1e-6, atol=1e-8)
    torch = pytest.importorskip("torch")
    from array_api_compat import torch as txp

    at = torch.tensor(a0, requires_grad=True)
    loss(txp, at).backward()
    gt = at.grad.numpy()
    np.testing.assert_allclose(g, (gt + gt.conj().T) / 2, atol=1e-12)
    if not cplx:
        np.testing.assert_allclose(g, gt, atol=1e-12)
