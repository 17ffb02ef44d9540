"""Conformance records of indexing: ``__getitem__``, ``__setitem__``, ``take``,
``take_along_axis`` and the internal scatters ``_index_add`` / ``_index_set``.

Most keys index every axis (or end in ``...``), the standard's form; the
NumPy-style ones (``x[i]`` on 2-D, ``x[:, i]``), which array-api-strict
rejects, check its plugin's translation. Duplicate integer indices must
accumulate. ``__setitem__`` cases are written functionally (``y = x * 1;
y[key] = v; return y``) so that both ``x`` and ``v`` are differentiable.
"""

from __future__ import annotations

import math

from ._record import record

C = {"complex": True}
# Torch rejects negative slice steps: reads, writes and gradients go through the plugin's
# translation (Backend.getitem / setitem / index_set, xp._getitem in rules).
# torch.autograd runs the raw case, where writing into a tensor also changes its views
# (ag_bridge keeps value semantics), so it is no oracle for the aliased records (declared in
# expectations/torch.toml). Dask refuses several index arrays next to slices or ``...``
# ("nd fancy indexing"; declared in expectations/dask.toml).


def _ix(xp, *idx):
    return tuple(xp.asarray(i) for i in idx)


# ------------------------------------------------------------------ references
# ag_bridge's namespace has the internal scatters ``_index_add``/``_index_set`` and
# value-semantics ``__setitem__`` on every backend. The raw namespaces the native
# oracle hands in have neither the scatters nor (JAX) mutable arrays; there a
# standard-only one-hot reference stands in (torch.autograd and jax.vjp differentiate it).
def _onehot(xp, x, key):
    """(m, n) booleans: selected element i (in ``x[key]`` order) is flat element j of ``x``;
    and the shape of ``x[key]``."""
    n = math.prod(x.shape)
    ids = xp.reshape(xp.arange(n), x.shape)[key]
    return xp.reshape(ids, (-1, 1)) == xp.reshape(xp.arange(n), (1, -1)), tuple(ids.shape)


def _spread(xp, x, oh, shape, v):
    v = xp.broadcast_to(xp.asarray(v, dtype=x.dtype), shape)
    return xp.reshape(xp.tensordot(xp.reshape(v, (-1,)), xp.astype(oh, x.dtype), axes=((0,), (0,))), x.shape)


def _index_add(xp, x, key, v):
    if hasattr(xp, "_index_add"):
        return xp._index_add(x, key, v)
    oh, shape = _onehot(xp, x, key)
    return x + _spread(xp, x, oh, shape, v)


def _index_set(xp, x, key, v):
    if hasattr(xp, "_index_set"):
        return xp._index_set(x, key, v)
    oh, shape = _onehot(xp, x, key)
    return xp.where(xp.reshape(xp.any(oh, axis=0), x.shape), _spread(xp, x, oh, shape, v), x)


def _put(xp, y, key, v):
    """``y[key] = v; return y`` through ag_bridge's ``__setitem__`` (the op under test)."""
    if not hasattr(xp, "_index_set"):
        return _index_set(xp, y, key, v)
    y[key] = v
    return y


# ------------------------------------------------------------------ __getitem__
GI = "__getitem__"
record(GI, lambda xp, x: x[1, ...], (3, 4), label="int", **C)
record(GI, lambda xp, x: x[1, -1], (3, 4), label="ints to 0d", **C)
record(GI, lambda xp, x: x[1:, ::2], (3, 4), label="slices", **C)
record(GI, lambda xp, x: x[::-1, ...], (3, 4), label="step -1", **C)
record(GI, lambda xp, x: x[-1:0:-2, 1::-1], (5, 3), label="negative steps", **C)
record(GI, lambda xp, x: x[..., 1], (2, 3, 4), label="ellipsis", **C)
record(GI, lambda xp, x: x[None, 1:, ..., None], (3, 4), label="None", **C)
record(GI, lambda xp, x: x[...], (), label="0d ellipsis", **C)
record(GI, lambda xp, x: x[()], (), label="0d empty tuple", **C)
record(GI, lambda xp, x: x[1:1, ...], (3, 4), label="empty slice", **C)
record(GI, lambda xp, x: x[xp.asarray([[True, False, True, True], [False] * 4, [True] * 4])], (3, 4),
       label="boolean mask", **C)
record(GI, lambda xp, x: x[xp.asarray([False, True, True])], (3, 2), label="boolean mask axis 0", **C)
record(GI, lambda xp, x: x[xp.asarray([0, 2, 0, 0, -1])], (4,), label="int array duplicates", **C)
record(GI, lambda xp, x: x[_ix(xp, [0, 2, 0], [1, 1, 1])], (3, 4), label="two int arrays duplicates", **C)
record(GI, lambda xp, x: x[xp.reshape(xp.asarray([0, 2, 2]), (3, 1)), xp.asarray([[1, 3]])], (3, 4),
       label="broadcast int arrays", **C)
record(GI, lambda xp, x: x[1, xp.asarray([3, 0, 3])], (3, 4), label="int and int array", **C)
record(GI, lambda xp, x: x[xp.asarray([1, 1]), xp.asarray([0, 0]), xp.asarray([2, 2])], (2, 3, 4),
       label="three int arrays", **C)
record(GI, lambda xp, x: x[xp.asarray(1), xp.asarray(0)], (3, 2), label="0d int arrays", **C)
# NumPy-style keys that leave axes to slices (array-api-strict's plugin translates them)
record(GI, lambda xp, x: x[xp.asarray([2, 0, 2])], (3, 4), label="int array, implicit axes", **C)
record(GI, lambda xp, x: x[:, xp.asarray([3, 0, 3])], (3, 4), label="slice and int array", **C)
record(GI, lambda xp, x: x[1], (3, 4), label="int, implicit axes", **C)
record(GI, lambda xp, x: x[xp.asarray([1, 0]), ..., xp.asarray([[2], [3]])], (2, 3, 4),
       label="int arrays apart", **C)


# ------------------------------------------------------------------ __setitem__
def _set(key):
    """``x`` with ``[key] = v``, functionally (``key`` is a function of ``xp``)."""

    def fn(xp, x, v):
        return _put(xp, x * 1, key(xp), v)

    return fn


def _set_aliased(key):
    """``x`` with ``[key] = v`` while a view shares its buffer (``__setitem__`` must copy);
    returns the written array and the view, which must keep the old values."""

    def fn(xp, x, v):
        y = x * 1
        view = y[...]
        return _put(xp, y, key(xp), v), view

    return fn


def _set_const(key, value):
    def fn(xp, x):
        return _put(xp, x * 1, key(xp), value)

    return fn


SI = "__setitem__"
record(SI, _set(lambda xp: (slice(1, None), ...)), (3, 4), (2, 4), label="slice", **C)
record(SI, _set(lambda xp: (0, ...)), (3, 4), (4,), label="int", **C)
record(SI, _set(lambda xp: (slice(None), slice(1, 3))), (3, 4), (1,), label="broadcast value", **C)
record(SI, _set(lambda xp: (1, 2)), (3, 4), (), label="0d value", **C)
record(SI, _set(lambda xp: (slice(None, None, -1), ...)), (3, 2), (3, 2), label="step -1", **C)
record(SI, _set(lambda xp: (slice(None, None, -2), ...)), (5, 2), (3, 1), label="step -2", **C)
record(SI, _set(lambda xp: (None, 1, ...)), (3, 2), (1, 2), label="None", **C)
record(SI, _set(lambda xp: xp.asarray([[True, False], [False, False], [True, True]])), (3, 2), (3,),
       label="boolean mask", **C)
record(SI, _set(lambda xp: xp.asarray([[True, False], [False, False], [True, True]])), (3, 2), (),
       label="boolean mask, 0d value", **C)
record(SI, _set(lambda xp: xp.asarray([3, 0])), (4,), (2,), label="int array", **C)
record(SI, _set(lambda xp: _ix(xp, [2, 0], [1, 1])), (3, 2), (2,), label="two int arrays", **C)
record(SI, _set(lambda xp: _ix(xp, [2, 0], [1, 1])), (3, 2), (), label="two int arrays, 0d value", **C)
record(SI, _set(lambda xp: (xp.reshape(xp.asarray([0, 2]), (2, 1)), xp.asarray([[1, 3]]))), (3, 4), (2, 1),
       label="broadcast int arrays", **C)
record(SI, _set(lambda xp: _ix(xp, [1, 0, 1], [0, 2, 2], [3, 1, 0])), (2, 3, 4), (3,),
       label="three int arrays", **C)
record(SI, _set(lambda xp: (1, xp.asarray([3, 0]))), (3, 4), (2,), label="int and int array", **C)
record(SI, _set(lambda xp: (slice(-1, 0, -2), slice(1, None, -1))), (5, 3), (2, 2), label="negative steps",
       **C)
record(SI, _set_aliased(lambda xp: (slice(None, None, -2), ...)), (5, 2), (3, 1), label="step -2, aliased",
       **C)
record(SI, _set_aliased(lambda xp: (slice(-1, 0, -2), slice(1, None, -1))), (5, 3), (2, 2),
       label="negative steps, aliased", **C)
record(SI, _set_aliased(lambda xp: (slice(None, None, -1), 1)), (3, 2), (3,),
       label="step -1 and int, aliased", **C)
record(SI, _set_aliased(lambda xp: _ix(xp, [2, 0], [1, 1])), (3, 2), (2,), label="two int arrays, aliased",
       **C)
record(SI, _set(lambda xp: ...), (2, 2), (2,), label="ellipsis", **C)
record(SI, _set(lambda xp: xp.asarray([2, 0])), (3, 2), (2, 2), label="int array, implicit axes", **C)
record(SI, _set(lambda xp: (slice(None), xp.asarray([1, 0]))), (3, 2), (3, 1), label="slice and int array",
       **C)
record(SI, _set_const(lambda xp: (slice(0, 2), 0), 2.5), (3, 2), label="python scalar", **C)


def _into_zeros(xp, v):
    """array-api-extra's pattern: a recorded value written into a constant buffer."""
    buf = xp.zeros((2, 5), dtype=v.dtype)
    buf = _put(xp, buf, (0, slice(1, 4)), v)
    return _put(xp, buf, (1, ...), 2 * v[0])


record(SI, _into_zeros, (3,), label="into constant buffer", **C)


def _twice(xp, x, v):
    y = _put(xp, x * 1, (slice(0, 2), ...), v)
    return _put(xp, y, (1, ...), 3 * x[0, ...])


record(SI, _twice, (3, 2), (2, 2), label="overwritten twice", **C)


# ------------------------------------------------------------------ _index_add / _index_set
record("_index_add", lambda xp, x, v: _index_add(xp, x, xp.asarray([0, 2, 0, 0]), v), (4,), (4,),
       label="duplicates", **C)
record("_index_add", lambda xp, x, v: _index_add(xp, x, _ix(xp, [2, 1, 2], [0, 1, 0]), v), (3, 2), (3,),
       label="two int arrays duplicates", **C)
record("_index_add", lambda xp, x, v: _index_add(xp, x, (slice(1, 3), 0), v), (3, 2), (2,),
       label="slice", **C)
record("_index_set", lambda xp, x, v: _index_set(xp, x, xp.asarray([3, 0]), v), (4,), (2,), label="unique",
       **C)
record("_index_set", lambda xp, x, v: _index_set(xp, x, _ix(xp, [2, 0], [1, 1]), v), (3, 2), (2,),
       label="two int arrays", **C)
record("_index_set", lambda xp, x, v: _index_set(xp, x, (0, ...), v), (3, 2), (2,), label="row", **C)


# ------------------------------------------------------------------ take, take_along_axis
record("take", lambda xp, x: xp.take(x, xp.asarray([0, 2, 0, 3])), (4,), label="1-D duplicates", **C)
record("take", lambda xp, x: xp.take(x, xp.asarray([2, 0, 2]), axis=0), (3, 4), label="axis=0 duplicates",
       **C)
record("take", lambda xp, x: xp.take(x, xp.asarray([1, 1, 3, -1]), axis=-1), (2, 4), label="axis=-1 negative",
       **C)
record("take", lambda xp, x: xp.take(x, xp.asarray([0, 0]), axis=1), (2, 3, 2), label="axis=1", **C)
record("take", lambda xp, x: xp.take(x, xp.zeros((0,), dtype=xp.int64), axis=0), (3, 2), label="no indices",
       **C)

TA = "take_along_axis"
record(TA, lambda xp, x: xp.take_along_axis(x, xp.asarray([[0, 0, 2], [1, 2, 1]])), (2, 3), label="axis=-1",
       **C)
record(TA, lambda xp, x: xp.take_along_axis(x, xp.asarray([[2, 0], [2, 2], [0, 1], [1, 1]]), axis=0),
       (3, 2), label="axis=0 duplicates", **C)
record(TA, lambda xp, x: xp.take_along_axis(x, xp.asarray([[[1], [0], [1]]]), axis=2), (2, 3, 2),
       label="broadcast indices", **C)
record(TA, lambda xp, x: xp.take_along_axis(x, xp.asarray([3, 3, 0]), axis=0), (4,), label="1-D",
       **C)
record(TA, lambda xp, x: xp.take_along_axis(x, xp.asarray([[1, 0, 0]]), axis=1), (2, 2),
       label="broadcast x", **C)
