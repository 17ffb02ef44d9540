"""Real calls record the rule without conjugations (``real_rule``), and calls of a
``SAME_LAYOUT`` function on one array of the result's dtype record it marked exact (the
sweep skips its shape and dtype check). Both are speed paths: these tests pin what they
must keep, the gradient's values (against central differences), dtype and shape, on every
backend, and that complex calls and create_graph passes keep the registered rule."""

from __future__ import annotations

import copy

import numpy as np
import pytest

from ag_bridge import autograd
from ag_bridge._registry import RULES, real_rule
from ag_bridge.rules._util import cj
from ag_bridge.rules.elementwise import SAME_LAYOUT

#: inputs inside each function's domain, away from its kinks and integer steps
_LOW = {"acosh": 1.2}
_BINARY = ("add", "subtract", "multiply", "divide", "pow")
_UNARY = sorted(SAME_LAYOUT - set(_BINARY))


def _points(op: str, shape: tuple) -> np.ndarray:
    low = _LOW.get(op, 0.15)
    return np.linspace(low, low + 0.6, int(np.prod(shape))).reshape(shape)


def _central(f, x: np.ndarray, h: float = 1e-6) -> np.ndarray:
    """d f(x) / dx of an element-wise ``f``, element by element."""
    return (f(x + h) - f(x - h)) / (2 * h)


def _grad(xp, fn, x0: np.ndarray, dtype: str) -> tuple:
    x = xp.asarray(x0, dtype=getattr(xp, dtype))
    x.attach_grad()
    with autograd.record():
        y = fn(x)
    y.backward()
    return x.grad, y


def test_real_rule_drops_cj_and_keeps_the_registered_rule_as_portable():
    sin = RULES["sin"]
    real = real_rule(sin)
    assert real.portable is sin and not real.exact
    assert sin.fns[0].__globals__["cj"] is cj
    assert real.fns[0].__globals__["cj"] is not cj
    x = np.array([0.3, -1.2])
    np.testing.assert_array_equal(real.fns[0](np, x, None, x), sin.fns[0](np, x, None, x))
    assert real_rule(RULES["add"]) is RULES["add"], "no cj: the rule itself"
    assert real_rule(RULES["add"], True).exact
    assert real_rule(None) is None
    assert copy.copy(sin).fns == sin.fns, "a rule still copies (its slots restored one by one)"


@pytest.mark.parametrize("shape", [(), (4,)])
@pytest.mark.parametrize("dtype", ["float32", "float64"])
@pytest.mark.parametrize("op", _UNARY)
def test_same_layout_unary_gradients(backend, op, dtype, shape):
    xp = backend.namespace
    x0 = _points(op, shape)
    g, y = _grad(xp, getattr(xp, op), x0, dtype)
    assert y._node.rule.exact, "a real call on one array records the exact rule"
    assert g.dtype == y.dtype and tuple(g.shape) == shape
    want = _central(getattr(np, op), x0)
    rtol = 1e-6 if dtype == "float64" else 2e-3
    np.testing.assert_allclose(g.asnumpy(), want, rtol=rtol, atol=rtol)


@pytest.mark.parametrize("shape", [(), (4,)])
@pytest.mark.parametrize("dtype", ["float32", "float64"])
@pytest.mark.parametrize("scalar", [1.7, 2])
@pytest.mark.parametrize("side", ["left", "right"])
@pytest.mark.parametrize("op", _BINARY)
def test_same_layout_binary_with_a_python_number(backend, op, side, scalar, dtype, shape):
    xp = backend.namespace
    f = getattr(xp, op)
    ref = getattr(np, op)
    if side == "left":
        fn, raw = (lambda x: f(scalar, x)), (lambda x: ref(scalar, x))
    else:
        fn, raw = (lambda x: f(x, scalar)), (lambda x: ref(x, scalar))
    x0 = _points(op, shape)
    g, y = _grad(xp, fn, x0, dtype)
    assert y._node.rule.exact
    assert g.dtype == y.dtype == getattr(xp, dtype) and tuple(g.shape) == shape
    rtol = 1e-6 if dtype == "float64" else 2e-3
    np.testing.assert_allclose(g.asnumpy(), _central(raw, x0), rtol=rtol, atol=rtol)


def test_two_arrays_or_other_dtypes_keep_the_check(xp):
    """Broadcasting and mixed dtypes are what the sweep's check undoes: not exact."""
    a0, b0 = np.array([[0.5], [1.5]]), np.array([0.25, 2.0, 3.0])
    a = xp.asarray(a0, dtype=xp.float32)
    b = xp.asarray(b0)
    a.attach_grad()
    b.attach_grad()
    with autograd.record():
        y = xp.multiply(a, b)
        s = xp.sum(y)
    assert not y._node.rule.exact
    s.backward()
    assert a.grad.dtype == a.dtype and tuple(a.grad.shape) == (2, 1)
    np.testing.assert_allclose(a.grad.asnumpy(), np.full((2, 1), b0.sum()), rtol=1e-6)
    np.testing.assert_allclose(b.grad.asnumpy(), np.full(3, a0.sum()), rtol=1e-6)


def test_complex_calls_and_real_results_of_complex_inputs_keep_the_registered_rule(xp):
    z0 = np.array([0.3 + 0.4j, -1.0 + 0.5j])
    z = xp.asarray(z0)
    z.attach_grad()
    with autograd.record():
        s = xp.sin(z)
        a = xp.abs(z)
        y = xp.sum(xp.real(s)) + xp.sum(a)
    assert s._node.rule.portable is None and not s._node.rule.exact
    assert not a._node.rule.exact and a._node.rule.portable is None, "abs: real out, complex in"
    y.backward()
    # d/dz* of Re(sin z) + |z| under the conjugate-Wirtinger convention: conj(cos z) + z/|z|
    want = np.conj(np.cos(z0)) + z0 / np.abs(z0)
    np.testing.assert_allclose(z.grad.asnumpy(), want, rtol=1e-12)


def test_create_graph_differentiates_the_registered_rule(xp):
    v = np.array([0.3, 0.9])
    x = xp.asarray(v)
    x.attach_grad()
    with autograd.record():
        y = xp.sum(xp.tanh(x) * 2.0)
        (g,) = autograd.grad(y, [x], create_graph=True)
        z = xp.sum(g)
    z.backward()
    t = np.tanh(v)
    np.testing.assert_allclose(x.grad.asnumpy(), 2.0 * -2 * t * (1 - t * t), rtol=1e-12)


def test_a_replaced_rule_reaches_its_real_variants(xp, monkeypatch):
    """Tests of the conformance tools swap a rule's functions for a wrong one after the
    namespaces exist (``monkeypatch.setattr(RULES[op], "fns", ...)``): real calls use it too."""
    v = np.array([0.3, 0.9])
    x = xp.asarray(v)
    x.attach_grad()
    monkeypatch.setattr(RULES["sin"], "fns", (lambda xp, g, ans, x: 3.0 * g,))
    with autograd.record():
        y = xp.sum(xp.sin(x))
    y.backward()
    np.testing.assert_array_equal(x.grad.asnumpy(), [3.0, 3.0])
    monkeypatch.undo()
    with autograd.record():
        y = xp.sum(xp.sin(x))
    y.backward()
    np.testing.assert_allclose(x.grad.asnumpy(), np.cos(v), rtol=1e-12)
