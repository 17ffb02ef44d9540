"""ag_bridge's linalg VJPs (on every installed backend) against torch.autograd (on torch tensors).

A cross-library check: the conformance suite compares each backend with its own autodiff; here the
numbers of every backend must equal torch's, real and complex (torch uses the same
conjugate-Wirtinger convention). Losses are gauge-invariant wherever eigen/singular vectors enter.
"""

from __future__ import annotations

import zlib

import numpy as np
import pytest

from ag_bridge import autograd

torch = pytest.importorskip("torch")

NO_FORWARD = {"dask": {"det", "slogdet", "eigh", "eig", "pinv", "matrix_power"}}


def _mh(xp, a):
    return xp.conj(xp.matrix_transpose(a))


def _abs2(xp, v):
    return xp.real(v * xp.conj(v))


def _herm(xp, a):
    return (a + _mh(xp, a)) / 2


def _square(n, shift=0.0):
    def make(rng, cplx):
        a = rng.standard_normal((n, n)) + (1j * rng.standard_normal((n, n)) if cplx else 0)
        return a + shift * np.eye(n)
    return make


def _rect(m, n):
    def make(rng, cplx):
        return rng.standard_normal((m, n)) + (1j * rng.standard_normal((m, n)) if cplx else 0)
    return make


def _w(xp, a, shape, k=0):
    rng = np.random.default_rng(100 + k)
    return xp.asarray(rng.standard_normal(shape), dtype=xp.float64)


def _eigh(xp, a):
    lam, v = xp.linalg.eigh(_herm(xp, a))
    return xp.sum(lam * _w(xp, a, (4,))) + xp.sum(_abs2(xp, v) * _w(xp, a, (4, 4), 1))


def _eig(xp, a):
    lam, v = xp.linalg.eig(a)
    return (xp.sum(xp.real(lam) * _w(xp, a, (3,))) + xp.sum(xp.imag(lam))
            + xp.sum(_abs2(xp, v) * _w(xp, a, (3, 3), 1)))


def _svd_tall(xp, a):
    u, s, vh = xp.linalg.svd(a, full_matrices=False)
    return (xp.sum(s * _w(xp, a, (3,))) + xp.sum(_abs2(xp, u) * _w(xp, a, (5, 3)))
            + xp.sum(_abs2(xp, xp.matmul(u, vh)) * _w(xp, a, (5, 3), 1)))


def _svd_wide(xp, a):
    _, s, vh = xp.linalg.svd(a, full_matrices=False)
    return xp.sum(s * _w(xp, a, (3,))) + xp.sum(_abs2(xp, vh) * _w(xp, a, (3, 5)))


def _qr_wide(xp, a):
    q, r = xp.linalg.qr(a)
    return xp.sum(_abs2(xp, q) * _w(xp, a, (3, 3))) + xp.sum(xp.real(r) * _w(xp, a, (3, 5), 1))


def _slogdet(xp, a):
    sign, logabs = xp.linalg.slogdet(a)
    return logabs + xp.real(sign * xp.asarray(0.7 - 1.3j))


def _det(xp, a):
    d = xp.linalg.det(a)
    return xp.real(d * xp.conj(d)) + xp.real(d)


def _cholesky_upper(xp, a):
    spd = xp.matmul(a, _mh(xp, a)) + 3 * xp.eye(3, dtype=a.dtype)
    return xp.sum(_abs2(xp, xp.linalg.cholesky(spd, upper=True)) * _w(xp, a, (3, 3)))


# name -> (loss(xp, a) -> real scalar, input builder(rng, complex) -> ndarray)
CASES = {
    "det": (_det, _square(4, 1.0)),
    "slogdet": (_slogdet, _square(3, 2.0)),
    "solve": (lambda xp, a: xp.sum(_abs2(xp, xp.linalg.solve(a, xp.matrix_transpose(a[..., :2, :])))),
              _square(3, 3.0)),
    "cholesky_upper": (_cholesky_upper, _square(3)),
    "eigh": (_eigh, _square(4)),
    "eig": (_eig, _square(3)),
    "svd_tall": (_svd_tall, _rect(5, 3)),
    "svd_wide": (_svd_wide, _rect(3, 5)),
    "qr_wide": (_qr_wide, _rect(3, 5)),
    "pinv": (lambda xp, a: xp.sum(_abs2(xp, xp.linalg.pinv(a)) * _w(xp, a, (3, 4))), _rect(4, 3)),
    "matrix_norm_nuc": (lambda xp, a: xp.linalg.matrix_norm(a, ord="nuc"), _rect(4, 3)),
    "matrix_power_neg": (lambda xp, a: xp.sum(_abs2(xp, xp.linalg.matrix_power(a, -3))), _square(3, 3.0)),
}


def _ours(backend, loss, a0):
    xp = backend.namespace
    a = xp.asarray(a0)
    a.attach_grad()
    with autograd.record():
        y = loss(xp, a)
    y.backward()
    return a.grad.asnumpy()


def _torch(loss, a0):
    from array_api_compat import torch as txp

    a = torch.tensor(a0, requires_grad=True)
    loss(txp, a).backward()
    return a.grad.numpy()


@pytest.mark.parametrize("cplx", [False, True], ids=["real", "complex"])
@pytest.mark.parametrize("name", sorted(CASES))
def test_against_torch_autograd(backend, name, cplx):
    if any(name.startswith(op) for op in NO_FORWARD.get(backend.name, ())):
        pytest.skip(f"backend '{backend.name}' lacks the forward")
    if backend.name == "jax":
        import jax

        if not jax.config.jax_enable_x64:
            pytest.skip("needs float64 (jax_enable_x64)")
    loss, make = CASES[name]
    a0 = make(np.random.default_rng(zlib.crc32(name.encode())), cplx)
    np.testing.assert_allclose(_ours(backend, loss, a0), _torch(loss, a0), rtol=1e-7, atol=1e-9)
