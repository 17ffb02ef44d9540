"""Functions a library gets wrong or offers without a keyword of the standard, built from
the standard (:mod:`ag_bridge._portable_functions`), masks over leading axes
(:func:`ag_bridge._portable_keys.full_mask`), and arrays a library cannot export
through DLPack (``Backend.to_numpy``): the four causes of marray's former declared gaps.

Each repair is chosen by a probed capability, so each is checked on array-api-strict
with the capability switched off (library-independent), and on marray, the library
whose behaviour needed it (0.0.12: no ``descending=``, ``to_device`` returning None,
``x[m]`` failing for ``m.ndim < x.ndim``, broadcast views DLPack refuses to export
and no ``__array__``).
"""

from __future__ import annotations

import dataclasses
import types

import numpy
import pytest

import ag_bridge
from ag_bridge import autograd
from ag_bridge._portable_functions import repaired_namespace

from ._generic_libs import backend, installed, namespace_module

marray_only = pytest.mark.skipif("marray" not in installed(), reason="marray is not installed")


def _without(**caps):
    """A stand-in backend of array-api-strict whose probe found ``caps`` missing."""
    b = backend("array_api_strict")
    return types.SimpleNamespace(name=b.name, caps=dataclasses.replace(b.caps, **caps),
                                 device=b.device)


@pytest.mark.parametrize("axis", [-1, 0])
def test_descending_sort_from_an_ascending_one_keeps_ties_in_order(axis):
    import array_api_strict as xp

    fixed = repaired_namespace(xp, _without(descending=False))
    assert fixed is not xp and fixed.sort is not xp.sort
    x = xp.asarray([[3.0, 1.0, 3.0, 2.0, 1.0], [0.0, 0.0, -1.0, 5.0, 0.0]])
    for stable in (True, False):
        got = fixed.sort(x, axis=axis, descending=True, stable=stable)
        want = xp.sort(x, axis=axis, descending=True)
        assert numpy.array_equal(numpy.asarray(got), numpy.asarray(want))
    # stable descending: equal elements keep their order (the library's own is the reference)
    got = fixed.argsort(x, axis=axis, descending=True, stable=True)
    want = xp.argsort(x, axis=axis, descending=True, stable=True)
    assert numpy.array_equal(numpy.asarray(got), numpy.asarray(want))
    got, want = fixed.argsort(x, axis=axis), xp.argsort(x, axis=axis)
    assert numpy.array_equal(numpy.asarray(got), numpy.asarray(want))


def test_nothing_is_repaired_where_the_probe_found_nothing_wrong():
    import array_api_strict as xp

    assert repaired_namespace(xp, backend("array_api_strict")) is xp


def test_to_device_falls_back_to_asarray_with_device():
    import array_api_strict as xp

    from ag_bridge._portable_functions import to_device

    a = xp.asarray([1.0, 2.0])
    stand_in = _without(to_device=False)
    stand_in.xp = xp
    out = to_device(stand_in, a, a.device)
    assert out.device == a.device and numpy.array_equal(numpy.asarray(out), [1.0, 2.0])


@marray_only
def test_marray_descending_sort_gradient_follows_the_stable_order():
    mxp = namespace_module("marray")
    x = ag_bridge.asarray(mxp.asarray(numpy.array([3.0, 1.0, 3.0, 2.0])))
    assert not x._backend.caps.descending  # marray 0.0.12: sort() has no descending=
    xp = x.__array_namespace__()
    w = numpy.array([1.0, 10.0, 100.0, 1000.0])
    x.attach_grad()
    with autograd.record():
        y = xp.sort(x, descending=True)
        loss = xp.sum(y * xp.asarray(mxp.asarray(w)))
    loss.backward()
    order = numpy.argsort(-x.asnumpy(), kind="stable")  # ties in their original order
    numpy.testing.assert_array_equal(y.asnumpy(), x.asnumpy()[order])
    want = numpy.zeros(4)
    want[order] = w  # d/dx of sum(x[order] * w)
    numpy.testing.assert_array_equal(x.grad.asnumpy(), want)


@marray_only
def test_marray_to_device_returns_an_array_and_leaves_the_input_alone():
    raw = namespace_module("marray").asarray(numpy.array([0.5, 1.5]))
    x = ag_bridge.asarray(raw)
    assert not x._backend.caps.to_device  # marray 0.0.12: to_device moves in place, returns None
    x.attach_grad()
    with autograd.record():
        y = x.__array_namespace__().sin(x.to_device(x.device))
    y.backward()
    numpy.testing.assert_allclose(x.grad.asnumpy(), numpy.cos([0.5, 1.5]))


@marray_only
def test_a_broadcast_marray_copies_to_numpy_by_value_never_as_an_object_array():
    # DLPack refuses a read-only broadcast view and MArray has no __array__: NumPy then
    # wrapped the MArray in a 0-d object array, and a head gradient of that shape was refused
    # marray 0.0.12 builds a new namespace (and array type) at each `marray.numpy`, and makes
    # it the module: the one namespace_module() imports keeps every test on one backend
    mxp = namespace_module("marray")
    x = ag_bridge.asarray(mxp.asarray(numpy.array([1.0, 2.0, 3.0])))
    xp = x.__array_namespace__()
    y = xp.broadcast_to(x, (2, 3))
    got = y.asnumpy()
    assert got.dtype == numpy.float64 and got.shape == (2, 3)
    numpy.testing.assert_array_equal(got, numpy.broadcast_to([1.0, 2.0, 3.0], (2, 3)))
    x.attach_grad()
    with autograd.record():
        y = xp.broadcast_to(x, (2, 3))
    y.backward(ag_bridge.asarray(mxp.asarray(numpy.ones((2, 3)))))
    numpy.testing.assert_array_equal(x.grad.asnumpy(), [2.0, 2.0, 2.0])


def test_a_mask_over_leading_axes_becomes_one_over_all_axes():
    import array_api_strict as xp

    from ag_bridge._portable_keys import full_mask

    def is_bool(k):
        return hasattr(k, "dtype") and k.dtype == xp.bool

    a = xp.reshape(xp.arange(24.0), (3, 2, 4))
    for m in ([False, True, True], [[True, False], [False, False], [True, True]]):
        m = xp.asarray(m)
        for key in (m, (m, ...)):
            full, shape = full_mask(xp, tuple(a.shape), key, is_bool)
            assert numpy.array_equal(numpy.asarray(xp.reshape(a[full], shape)), numpy.asarray(a[m]))
    assert full_mask(xp, (3, 2), (xp.asarray([True, False, True]), 0), is_bool) is None
    assert full_mask(xp, (3, 0), xp.asarray([True, False, True]), is_bool) is None


@marray_only
def test_marray_mask_over_the_first_axis_and_its_gradient():
    mxp = namespace_module("marray")
    data = numpy.arange(6.0).reshape(3, 2)
    x = ag_bridge.asarray(mxp.asarray(data))
    assert not x._backend.caps.mask_prefix  # marray 0.0.12 fails on x[m] with m.ndim < x.ndim
    xp = x.__array_namespace__()
    x.attach_grad()
    with autograd.record():
        y = x[xp.asarray(mxp.asarray(numpy.array([False, True, True])))]
        loss = xp.sum(y * y)
    numpy.testing.assert_array_equal(y.asnumpy(), data[1:])
    loss.backward()
    numpy.testing.assert_array_equal(x.grad.asnumpy(), 2 * data * [[0], [1], [1]])


def test_to_numpy_refuses_what_it_cannot_read():
    b = backend("array_api_strict")
    with pytest.raises(TypeError, match="cannot copy a object to NumPy"):
        b.to_numpy(object())


sparse_only = pytest.mark.skipif("sparse" not in installed(), reason="sparse is not installed")


@sparse_only
def test_sparse_arange_is_built_and_unstack_gives_arrays():
    import sparse

    x = ag_bridge.asarray(sparse.asarray(numpy.array([1.0, 2.0, 3.0])))
    xp = x.__array_namespace__()
    assert "arange" not in x._backend.caps.functions  # sparse 0.19 has no arange
    numpy.testing.assert_array_equal(xp.arange(1, 7, 2).asnumpy(), [1, 3, 5])
    parts = xp.unstack(x)  # sparse returns NumPy scalars: each becomes a 0-d array
    assert all(isinstance(p, ag_bridge.Array) and p.shape == () for p in parts)
    assert [float(p.asnumpy()) for p in parts] == [1.0, 2.0, 3.0]


@sparse_only
def test_an_empty_cotangent_unbroadcasts_to_zeros_not_to_a_nan_fill_value():
    # x1 / x2 with x1 of shape (0, 2): x2's cotangent sums over an empty axis. sparse 0.19
    # gives the empty quotient the fill value 0/0 = NaN and sums it to NaN; the sum is 0.
    import sparse

    x1 = ag_bridge.asarray(sparse.asarray(numpy.zeros((0, 2))))
    x2 = ag_bridge.asarray(sparse.asarray(numpy.array([1.0, 2.0])))
    xp = x1.__array_namespace__()
    x2.attach_grad()
    with autograd.record():
        y = xp.sum(x1 / x2)
    y.backward()
    numpy.testing.assert_array_equal(ag_bridge.unwrap(x2.grad).todense(), [0.0, 0.0])
