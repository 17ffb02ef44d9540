"""The semantics contract of docs/semantics.md, on every installed backend."""

from __future__ import annotations

import threading

import numpy as np
import pytest

import ag_bridge
from ag_bridge import autograd


def arr(xp, values, dtype=None):
    return xp.asarray(values, dtype=dtype or xp.float64)


def test_buffer_reused_in_place(xp, backend):
    x = arr(xp, [1.0, 2.0, 3.0])
    x.attach_grad()
    holder = x.grad
    buf = ag_bridge.unwrap(x.grad)
    for k in range(3):
        with autograd.record():
            y = (x * x * (k + 1)).sum()
        y.backward()
        assert x.grad is holder
        if backend.mutable:
            assert ag_bridge.unwrap(x.grad) is buf
        np.testing.assert_allclose(x.grad.asnumpy(), 2 * (k + 1) * np.array([1.0, 2.0, 3.0]))


def test_grad_req_add_accumulates(xp):
    x = arr(xp, [1.0, 2.0])
    x.attach_grad(grad_req="add")
    for _ in range(2):
        with autograd.record():
            y = (x * x).sum()
        y.backward()
    np.testing.assert_allclose(x.grad.asnumpy(), [4.0, 8.0])


def test_grad_req_null_has_no_gradient(xp):
    x = arr(xp, [1.0, 2.0])
    x.attach_grad(grad_req="null")
    assert x.grad is None
    with autograd.record():
        y = (x * x).sum()
    with pytest.raises(RuntimeError, match="attach_grad"):
        y.backward()


def test_retain_graph_and_freed_graph(xp):
    x = arr(xp, [1.0, 2.0])
    x.attach_grad()
    with autograd.record():
        y = xp.exp(x).sum()
    y.backward(retain_graph=True)
    first = x.grad.asnumpy().copy()
    y.backward()
    np.testing.assert_allclose(x.grad.asnumpy(), first)  # 'write' overwrites
    with pytest.raises(RuntimeError, match="already freed.*retain_graph=True"):
        y.backward()


def test_non_scalar_head_sums(xp):
    x = arr(xp, [1.0, 2.0, 3.0])
    x.attach_grad()
    with autograd.record():
        y = x * x
    y.backward()
    np.testing.assert_allclose(x.grad.asnumpy(), [2.0, 4.0, 6.0])


def test_head_gradient_shape_checked(xp):
    x = arr(xp, [1.0, 2.0])
    x.attach_grad()
    with autograd.record():
        y = x * x
    with pytest.raises(ValueError, match=r"shape \(\).*\(2,\)"):
        y.backward(arr(xp, 1.0))
    y.backward(arr(xp, [1.0, 10.0]))
    np.testing.assert_allclose(x.grad.asnumpy(), [2.0, 40.0])


@pytest.mark.parametrize("dtype", ["int64", "int32", "bool"])
def test_integer_arrays_cannot_attach_grad(xp, dtype):
    x = xp.asarray([1, 0], dtype=getattr(xp, dtype))
    with pytest.raises(TypeError, match="only floating and complex arrays"):
        x.attach_grad()


def test_gradient_keeps_leaf_dtype(xp):
    x = arr(xp, [1.0, 2.0], dtype=xp.float32)
    x.attach_grad()
    with autograd.record():
        y = (xp.astype(x, xp.float64) * arr(xp, [3.0, 4.0])).sum()
    y.backward()
    assert x.grad.dtype == xp.float32
    np.testing.assert_allclose(x.grad.asnumpy(), [3.0, 4.0])


def test_broadcasting_undone(xp):
    a = xp.ones((3, 1), dtype=xp.float64)
    b = xp.ones((1, 4), dtype=xp.float64)
    a.attach_grad()
    b.attach_grad()
    with autograd.record():
        y = (a * b * 2).sum()
    y.backward()
    np.testing.assert_allclose(a.grad.asnumpy(), np.full((3, 1), 8.0))
    np.testing.assert_allclose(b.grad.asnumpy(), np.full((1, 4), 6.0))


@pytest.mark.parametrize("cshape, shape", [
    ((5, 3), (3,)), ((2, 4, 3), (3,)), ((2, 4, 3), (4, 3)), ((6, 1, 2, 3), (3,)),
    ((2, 2, 2, 2, 2, 3), (3,)), ((2, 4, 3), (4, 1)), ((2, 4, 3), (1, 1)), ((4, 3), (4, 1)),
    ((2, 4, 3), ()), ((0, 3), (3,)), ((2, 0, 3), (0, 3)), ((4, 3), (4, 3))])
def test_unbroadcast_sums_every_broadcast_axis(xp, backend, cshape, shape):
    """``unbroadcast`` (leading axes only: its short path; size-1 axes too; empty axes) against
    the sum written out, on each backend's own arrays."""
    from ag_bridge._backward import unbroadcast

    b = ag_bridge.load_backend(backend)
    rng = np.random.default_rng(len(cshape))
    c = rng.standard_normal(cshape)
    lead = len(cshape) - len(shape)
    want = c.sum(axis=tuple(range(lead)))
    want = want.sum(axis=tuple(i for i, n in enumerate(shape) if n == 1), keepdims=True)
    ref = ag_bridge.unwrap(xp.zeros(shape, dtype=xp.float64))
    got = unbroadcast(b.rule_xp, ag_bridge.unwrap(xp.asarray(c)), ref.shape, ref)
    assert tuple(got.shape) == shape
    np.testing.assert_allclose(b.to_numpy(got), want, rtol=1e-12, atol=1e-12)


def test_recording_is_context_local(xp, backend):
    results = {}
    barrier = threading.Barrier(2)

    def work(k):
        with ag_bridge.use_backend(backend.name):
            x = arr(xp, [1.0, 2.0, 3.0])
            x.attach_grad()
            with autograd.record():
                barrier.wait()
                y = (x ** (k + 2)).sum()
                barrier.wait()
            y.backward()
            results[k] = x.grad.asnumpy()

    threads = [threading.Thread(target=work, args=(k,)) for k in range(2)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert not autograd.is_recording()
    v = np.array([1.0, 2.0, 3.0])
    np.testing.assert_allclose(results[0], 2 * v)
    np.testing.assert_allclose(results[1], 3 * v ** 2)


def test_other_thread_does_not_see_recording(xp):
    seen = []
    with autograd.record():
        t = threading.Thread(target=lambda: seen.append(autograd.is_recording()))
        t.start()
        t.join()
    assert seen == [False]


def test_scopes_nest_restore_and_decorate():
    """record/pause/train_mode/predict_mode restore the outer state on exit (also after an
    exception) and work as decorators, each call in a fresh block."""
    assert not autograd.is_recording()
    with autograd.record():
        assert autograd.is_recording() and autograd.is_training()
        with autograd.pause():
            assert not autograd.is_recording() and not autograd.is_training()
            with autograd.train_mode():
                assert autograd.is_training() and not autograd.is_recording()
        assert autograd.is_recording() and autograd.is_training()
        with autograd.predict_mode():
            assert autograd.is_recording() and not autograd.is_training()
        try:
            with autograd.pause():
                raise KeyError("inside")
        except KeyError:
            pass
        assert autograd.is_recording()
    assert not autograd.is_recording()

    @autograd.record(train_mode=False)
    def inside():
        return autograd.is_recording(), autograd.is_training()

    assert inside() == (True, False) and inside() == (True, False)
    assert not autograd.is_recording()


def test_failed_backward_leaves_grads_untouched(xp):
    x = arr(xp, [1.0, 2.0])
    w = arr(xp, [3.0, 4.0])
    x.attach_grad()
    w.attach_grad()
    x.grad[:] = 7.0
    w.grad[:] = 5.0
    with autograd.record():
        a = (x * w).sum()
        b = autograd.Function.__new__(_Boom)
        b.__init__()
        y = a + b(x).sum()
    with pytest.raises(ZeroDivisionError):
        y.backward()
    np.testing.assert_allclose(x.grad.asnumpy(), [7.0, 7.0])
    np.testing.assert_allclose(w.grad.asnumpy(), [5.0, 5.0])


class _Boom(autograd.Function):
    def forward(self, x):
        return x * 1

    def backward(self, dy):
        raise ZeroDivisionError("boom")


def test_long_chain_has_no_recursion_limit(xp, backend):
    """A chain several times Python's recursion limit (1000). The sweep is the same code on
    every backend; Dask's cotangent graph grows with the chain and costs ~17 ms a link, so it
    gets a chain of 2500 (still 2.5x the limit) instead of 5000."""
    n = 2500 if backend.name == "dask" else 5000
    x = arr(xp, [0.5])
    x.attach_grad()
    y = x
    with autograd.record():
        for _ in range(n):
            y = y * 1.0001
    y.backward()
    np.testing.assert_allclose(x.grad.asnumpy(), [1.0001 ** n], rtol=1e-9)


def test_backward_without_graph_is_clear(xp):
    x = arr(xp, [1.0])
    with pytest.raises(RuntimeError, match="attach_grad"):
        (x * 2).backward()


def test_attach_grad_again_resets_and_cuts(xp):
    x = arr(xp, [2.0])
    x.attach_grad()
    with autograd.record():
        y = x * x
        y.attach_grad()
        z = 5 * y - x
    z.backward()
    np.testing.assert_allclose(x.grad.asnumpy(), [-1.0])
    np.testing.assert_allclose(y.grad.asnumpy(), [5.0])


def test_higher_order(xp):
    x = arr(xp, [0.3, -1.2])
    x.attach_grad()
    with autograd.record():
        y = xp.sin(x).sum()
        [g] = autograd.grad(y, [x], create_graph=True)
        z = (g * g).sum()
    z.backward()
    v = np.array([0.3, -1.2])
    np.testing.assert_allclose(x.grad.asnumpy(), -2 * np.cos(v) * np.sin(v))


def test_grad_does_not_touch_buffers(xp):
    x = arr(xp, [1.0, 2.0])
    x.attach_grad()
    with autograd.record():
        y = (x * x).sum()
    [g] = autograd.grad(y, [x])
    np.testing.assert_allclose(g.asnumpy(), [2.0, 4.0])
    np.testing.assert_allclose(x.grad.asnumpy(), [0.0, 0.0])


def test_mixed_backends_rejected():
    names = ag_bridge.available_backends()
    if len(names) < 2:
        pytest.skip("needs two backends")
    a = ag_bridge.asarray([1.0], backend=names[0])
    b = ag_bridge.asarray([1.0], backend=names[1])
    with pytest.raises(TypeError, match=f"'{names[0]}' and '{names[1]}'|'{names[1]}' and '{names[0]}'"):
        a + b


def test_set_functions_refuse_gradients_clearly(xp):
    x = arr(xp, [3.0, 1.0, 3.0])
    x.attach_grad()
    with autograd.record():
        with pytest.raises(NotImplementedError, match=r"unique_values\(\) is not differentiable.*detach"):
            xp.unique_values(x)
        vals = xp.unique_values(x.detach())  # a constant: allowed
    assert vals.shape == (2,)


def test_recorded_nodes_are_of_one_class_with_their_function_constants(xp, backend):
    """Every recorded node is a ``Node`` whatever its function (the sweep reads the same
    attributes of each: one class keeps CPython's attribute caches hit), carries its
    function's op, rule, backend and flags (``_node.site``), and frees its call after backward."""
    from ag_bridge._node import Node
    from ag_bridge._registry import RULES

    x = arr(xp, [0.5, 1.5])
    x.attach_grad()
    with autograd.record():
        y = xp.sin(x)
        z = xp.sin(y)
        w = xp.sum(z * y)
    n1, n2 = y._node, z._node
    assert {type(n) for n in (n1, n2, w._node, w._node.parents[0][1])} == {Node}
    assert not hasattr(n1, "__dict__")
    assert (n1.op, n1.backend, n1.multi, n1.listarg) == ("sin", backend, False, False)
    assert n1.rule is RULES["sin"] or n1.rule.portable is RULES["sin"]  # or the backend's kernel
    assert n1.seq < n2.seq < w._node.seq
    assert n2.input(0) is y._data and n2.parents[0][1] is n1
    assert "sin" in repr(n1)
    w.backward()
    assert n1.args is None and n2.args is None  # freed once consumed
    want = np.cos(np.sin([0.5, 1.5])) * np.cos([0.5, 1.5]) * np.sin([0.5, 1.5]) \
        + np.sin(np.sin([0.5, 1.5])) * np.cos([0.5, 1.5])  # d/dx sin(sin x) sin x
    np.testing.assert_allclose(x.grad.asnumpy(), want, rtol=1e-12)


def test_saved_inputs_are_released_as_the_sweep_consumes_them():
    """When a node's rule runs, the values saved by the nodes the sweep already passed
    are gone (not merely unlinked from their nodes): memory falls during backward, as
    torch.autograd's does. Checked with weak references to each node's saved input."""
    import weakref

    from ag_bridge._registry import Rule

    xp = ag_bridge.namespace("numpy")
    x = xp.asarray(np.linspace(-1.0, 1.0, 64))
    x.attach_grad()
    with autograd.record():
        hs = [x]
        for _ in range(6):
            hs.append(xp.sin(hs[-1]))  # sin keeps its input, not its output
        y = xp.sum(hs[-1])
    nodes = [h._node for h in hs[1:]]
    refs = [weakref.ref(n.args[0]) for n in nodes[1:]]  # (the first input is x, kept by x)
    del hs
    alive_at = {}
    for k, n in enumerate(nodes):
        def watched(xp_, g, ans, a, _fn=n.rule.fns[0], _k=k):
            alive_at[_k] = [r() is not None for r in refs]
            return _fn(xp_, g, ans, a)
        n.rule = Rule(n.rule.name, (watched,), None)
    y.backward()
    for k in range(len(nodes)):  # refs[j] is the input of nodes[j + 1]: freed once it ran
        assert alive_at[k] == [j + 1 <= k for j in range(len(refs))], (k, alive_at[k])
    want = np.cos(np.linspace(-1.0, 1.0, 64))
    v = np.linspace(-1.0, 1.0, 64)
    for _ in range(5):
        v = np.sin(v)
        want = want * np.cos(v)
    np.testing.assert_allclose(x.grad.asnumpy(), want, rtol=1e-12)
