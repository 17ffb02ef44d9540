"""``Backend.fast_vjps``: a plugin's own kernel replaces the portable rule in plain backward
passes only; ``create_graph`` passes differentiate the portable rule. On PyTorch, the fused
``tanh_backward``/``sigmoid_backward`` kernels give torch.autograd's gradients, first and second
order, real and complex."""

from __future__ import annotations

import numpy as np
import pytest

import ag_bridge
from ag_bridge import autograd

CALLS: list = []


def _sin_vjp(xp, g, ans, x):
    CALLS.append("fast")
    return g * xp.cos(x)


def _numpy_with_fast_sin():
    from ag_bridge_numpy import Backend as NumpyBackend

    class FastSin(NumpyBackend):
        name = "numpy-fast-sin"
        fast_vjps = {"sin": (_sin_vjp,)}

    return FastSin()


def test_fast_vjp_serves_plain_passes_and_not_create_graph():
    b = _numpy_with_fast_sin()
    xp = b.namespace
    v = np.array([0.3, -1.1, 2.0])
    x = ag_bridge.asarray(v, backend=b)
    x.attach_grad()
    CALLS.clear()
    with autograd.record():
        y = xp.sum(xp.sin(x))
    y.backward()
    assert CALLS == ["fast"]
    np.testing.assert_allclose(x.grad.asnumpy(), np.cos(v), rtol=1e-15)
    CALLS.clear()
    with autograd.record():
        y = xp.sum(xp.sin(x))
        (g,) = autograd.grad(y, [x], create_graph=True)  # d/dx sin = cos, through the portable rule
        z = xp.sum(g)
    z.backward()
    assert CALLS == [], "a create_graph pass differentiates the portable rule"
    np.testing.assert_allclose(x.grad.asnumpy(), -np.sin(v), rtol=1e-15)  # d/dx cos = -sin


@pytest.mark.parametrize("dtype", ["float32", "float64", "complex128"])
@pytest.mark.parametrize("op,ref", [("tanh", "tanh"), ("special.expit", "sigmoid")])
def test_torch_fused_kernels_match_torch_autograd(op, ref, dtype):
    torch = pytest.importorskip("torch")
    xp = ag_bridge.namespace("torch")
    fn = xp.special.expit if op == "special.expit" else xp.tanh
    tdt = getattr(torch, dtype)
    v = torch.tensor([0.3 + 0.2j, -1.1 - 0.4j, 2.0 + 0.1j], dtype=torch.complex128)
    v = v if dtype.startswith("complex") else v.real.to(tdt)
    w = torch.tensor([1.5, -0.5, 0.25], dtype=v.dtype)  # a cotangent that is not all ones
    x = ag_bridge.asarray(v.clone(), backend="torch")
    x.attach_grad()
    with autograd.record():
        y = fn(x)
        (g,) = autograd.grad(y, [x], head_grads=[ag_bridge.asarray(w, backend="torch")],
                             create_graph=True)
        s = xp.sum(xp.real(g * xp.conj(g)))
    first = ag_bridge.unwrap(g).detach().clone()
    s.backward()
    t = v.clone().requires_grad_(True)
    (gt,) = torch.autograd.grad(getattr(torch, ref)(t), [t], w, create_graph=True)
    torch.sum(torch.real(gt * gt.conj())).backward()
    tol = 1e-5 if dtype == "float32" else 1e-12
    torch.testing.assert_close(first, gt.detach(), rtol=tol, atol=tol)
    torch.testing.assert_close(ag_bridge.unwrap(x.grad), t.grad, rtol=tol, atol=tol)
    with autograd.record():
        y = fn(x)
    y.backward(ag_bridge.asarray(w, backend="torch"))  # the plain pass: the fused kernel
    torch.testing.assert_close(ag_bridge.unwrap(x.grad), first, rtol=tol, atol=tol)
