"""NumPy's ``.grad`` write adopts the cotangent's memory when no one can tell (the backward
pass held its last reference and nothing refers to the old buffer), and copies into the old
buffer whenever someone could: a raw buffer or a view of it kept by the user, a cotangent
shared by two leaves, an ``'add'`` buffer. The values are the gradients in every case."""

from __future__ import annotations

import weakref

import numpy as np

import ag_bridge
from ag_bridge import autograd

N = 5000  # above the plugin's copy threshold (ag_bridge_numpy._ADOPT_MIN)


def _leaf(v):
    x = ag_bridge.asarray(v.copy(), backend="numpy")
    x.attach_grad()
    return x


def _square_grad(x, xp):
    with autograd.record():
        y = xp.sum(x * x)
    y.backward()


def test_unobserved_buffer_is_replaced_by_the_cotangent():
    xp = ag_bridge.namespace("numpy")
    v = np.linspace(-1.0, 1.0, N)
    x = _leaf(v)
    holder = x.grad
    old = weakref.ref(ag_bridge.unwrap(x.grad))
    _square_grad(x, xp)
    assert old() is None, "the zero buffer nobody referred to was let go, not copied into"
    assert x.grad is holder  # the same .grad Array
    np.testing.assert_array_equal(x.grad.asnumpy(), 2 * v)
    x.grad[:] = 0.0  # the adopted buffer is writable
    _square_grad(x, xp)
    np.testing.assert_array_equal(x.grad.asnumpy(), 2 * v)


def test_observed_buffer_is_written_in_place():
    xp = ag_bridge.namespace("numpy")
    v = np.linspace(-1.0, 1.0, N)
    x = _leaf(v)
    raw = ag_bridge.unwrap(x.grad)
    view = raw[::2]
    for _ in range(2):
        _square_grad(x, xp)
        assert ag_bridge.unwrap(x.grad) is raw
        np.testing.assert_array_equal(raw, 2 * v)
        np.testing.assert_array_equal(view, 2 * v[::2])


def test_a_cotangent_shared_by_two_leaves_is_not_aliased():
    xp = ag_bridge.namespace("numpy")
    a, b = _leaf(np.ones(N)), _leaf(np.full(N, 2.0))
    with autograd.record():
        y = xp.sum(xp.add(a, b) * 3.0)
    y.backward()
    ga, gb = ag_bridge.unwrap(a.grad), ag_bridge.unwrap(b.grad)
    assert ga is not gb and not np.shares_memory(ga, gb)
    np.testing.assert_array_equal(ga, 3.0)
    np.testing.assert_array_equal(gb, 3.0)
    a.grad[:] = 0.0
    np.testing.assert_array_equal(b.grad.asnumpy(), 3.0)


def test_add_buffers_accumulate():
    xp = ag_bridge.namespace("numpy")
    v = np.linspace(0.0, 2.0, N)
    x = ag_bridge.asarray(v.copy(), backend="numpy")
    x.attach_grad(grad_req="add")
    for k in (1, 2, 3):
        _square_grad(x, xp)
        np.testing.assert_allclose(x.grad.asnumpy(), k * 2 * v)
