"""copy.copy, copy.deepcopy and pickle of ag_bridge Arrays, on every backend: values,
dtype, device, backend and leaf state survive; the recorded graph never does."""

from __future__ import annotations

import copy
import pickle

import numpy
import pytest

import ag_bridge
from ag_bridge import autograd

ROUND_TRIPS = {
    "copy": copy.copy,
    "deepcopy": copy.deepcopy,
    "pickle": lambda a: pickle.loads(pickle.dumps(a)),
}


def _trained_leaf(xp, grad_req="write"):
    """A leaf whose .grad holds 2x (one backward of sum(x**2))."""
    x = xp.asarray([0.5, -1.0, 2.0])
    x.attach_grad(grad_req)
    with autograd.record():
        y = xp.sum(x * x)
    y.backward()
    return x


def _same(a, b):
    numpy.testing.assert_array_equal(a.asnumpy(), b.asnumpy())
    assert a.dtype == b.dtype and a.shape == b.shape


@pytest.mark.parametrize("how", ROUND_TRIPS)
@pytest.mark.parametrize("grad_req", ["write", "add"])
def test_leaf_keeps_values_backend_and_grad_buffer(xp, how, grad_req):
    x = _trained_leaf(xp, grad_req)
    c = ROUND_TRIPS[how](x)
    assert type(c) is ag_bridge.Array and c is not x
    assert c._backend is x._backend and str(c.device) == str(x.device)
    _same(c, x)
    assert c.grad_req == grad_req
    _same(c.grad, x.grad)
    assert c.grad is not x.grad and c._node is not x._node
    # the copy is a leaf of its own: its backward fills only its buffer
    with autograd.record():
        z = xp.sum(c * c * c)
    z.backward()
    expect = 3 * c.asnumpy() ** 2 + (2 * c.asnumpy() if grad_req == "add" else 0)
    numpy.testing.assert_allclose(c.grad.asnumpy(), expect)
    numpy.testing.assert_allclose(x.grad.asnumpy(), 2 * x.asnumpy())


@pytest.mark.parametrize("how", ROUND_TRIPS)
def test_recorded_result_loses_its_graph(xp, how):
    x = _trained_leaf(xp)
    with autograd.record():
        y = x * 3
        c = ROUND_TRIPS[how](y)
    _same(c, y)
    assert c.grad is None and c.grad_req == "null" and c._node is None
    with pytest.raises(RuntimeError, match="attach_grad"):
        c.backward()
    y.backward()  # the original graph is untouched
    numpy.testing.assert_allclose(x.grad.asnumpy(), [3.0, 3.0, 3.0])


@pytest.mark.parametrize("how", ROUND_TRIPS)
def test_copies_are_independent(xp, how):
    x = xp.asarray([1.0, 2.0, 3.0])
    c = ROUND_TRIPS[how](x)
    c[0] = 10.0
    c += 1
    numpy.testing.assert_array_equal(x.asnumpy(), [1.0, 2.0, 3.0])
    numpy.testing.assert_array_equal(c.asnumpy(), [11.0, 3.0, 4.0])


def test_integer_and_boolean_arrays(xp):
    for a in (xp.arange(4), xp.asarray([True, False])):
        for how in ROUND_TRIPS.values():
            _same(how(a), a)


def test_deepcopy_keeps_shared_references_shared(xp):
    x = xp.asarray([1.0, 2.0])
    box = copy.deepcopy({"a": x, "b": x})
    assert box["a"] is box["b"] and box["a"] is not x


def test_unregistered_backend_cannot_be_pickled():
    array_api_strict = pytest.importorskip("array_api_strict")

    class Mine(ag_bridge.Backend):
        name = "mylib_not_registered"
        xp = array_api_strict
        array_types = (type(array_api_strict.asarray(0)),)

    x = ag_bridge.asarray([1.0], backend=Mine())
    with pytest.raises(pickle.PicklingError, match="mylib_not_registered.*not registered"):
        pickle.dumps(x)
    _same(copy.deepcopy(x), x)  # copying needs no registry
