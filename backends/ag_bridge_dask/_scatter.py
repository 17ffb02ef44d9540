"""Keys of Dask arrays that Dask refuses or gets wrong, through flat element ids: the
gather (:func:`index`), the chunked scatter-add (:func:`scatter_add`) and which elements
a key reaches (:func:`hits`).

Dask takes one 1-D integer array among slices well; n-d integer arrays, arrays mixed
with integers and several arrays it refuses or gets wrong, and it has no scatter-add.
Such keys become one index per axis (:func:`ag_bridge._keys.per_axis_key`), then flat
ids (:func:`._ids.ravel`); the scatter-add adds them block by block into the
target's chunks, never one chunk of the array's size.
"""

from __future__ import annotations

import math
from typing import Any

import dask.array as da
import numpy as np
from dask.base import tokenize
from dask.layers import ArraySliceDep

from ag_bridge._keys import per_axis_key

from ._ids import ARRAYS, as_tuple, int_arrays, ravel
from ._layout import known
from ._xp import xp

__all__ = ["basic", "whole", "index", "flat_ids", "scatter_add", "hits"]

_BASIC = (int, np.integer, slice, type(None), type(Ellipsis))


def basic(key: Any) -> bool:
    """Whether ``key`` has no arrays (selects each element at most once) and no negative
    steps (which Dask's ``__setitem__`` refuses): a key Dask's ``__setitem__`` takes."""
    return all(isinstance(k, _BASIC) and not isinstance(k, bool)
               and not (isinstance(k, slice) and k.step is not None and k.step < 0)
               for k in as_tuple(key))


def whole(a: Any, key: tuple) -> bool:
    """Whether the basic ``key`` selects all of ``a`` as it is (only ``:`` and one ``...``)."""
    if any(not (k is Ellipsis or (isinstance(k, slice) and k == slice(None))) for k in key):
        return False
    return key.count(Ellipsis) <= 1 and len(key) - key.count(Ellipsis) <= a.ndim


def _per_axis(x: Any, key: Any) -> tuple:
    """:func:`per_axis_key` with NumPy index arrays (Python-list keys) made Dask arrays
    (it reshapes them with Dask's namespace)."""
    key = tuple(da.from_array(k) if isinstance(k, np.ndarray) else k for k in as_tuple(key))
    return per_axis_key(tuple(x.shape), key, xp, None, ARRAYS)


def index(x: Any, key: Any) -> Any:
    """``x[key]`` with NumPy's meaning. Dask takes one 1-D integer array among slices
    well; other integer-array keys (n-d arrays, arrays with integers or several arrays)
    it refuses or gets wrong, so they gather through flat element ids, with the key
    in one-index-per-axis form (:func:`ag_bridge._keys.per_axis_key`)."""
    key = as_tuple(key)
    arrays = [k for k in key if isinstance(k, ARRAYS) and k.dtype.kind in "iu"]
    if not arrays:
        return x[key]
    if len(arrays) == 1 and arrays[0].ndim == 1 and all(
            isinstance(k, slice) or k is Ellipsis or k is arrays[0] for k in key):
        # Dask 2026.8 gives x[da.from_array(np.array([i]))] the shape of x's whole axis
        # (it computes one element); the same index as a computed array is right
        return x[tuple(k + 0 if k is arrays[0] and isinstance(k, da.Array) and k.shape == (1,) else k
                       for k in key)]
    full = _per_axis(x, key)
    if not int_arrays(x, full):  # with None or booleans: Dask's own rules
        return x[key]
    ids = flat_ids(x, full)
    return x.reshape(-1)[ids.reshape(-1)].reshape(ids.shape)


def flat_ids(a: Any, key: Any) -> Any:
    """Flat ids of the elements ``a[key]`` selects, in selection order (shape of ``a[key]``)."""
    n = math.prod(a.shape)
    if any(isinstance(k, ARRAYS) and k.dtype.kind in "iu" for k in as_tuple(key)):
        full = _per_axis(a, key)
        key = full if int_arrays(a, full) else key
    if int_arrays(a, key):  # Dask indexes with one array at a time: do the arithmetic
        return ravel(as_tuple(key), tuple(a.shape))
    ids = da.arange(n, chunks=max(n, 1)).reshape(a.shape)
    if a.ndim:
        ids = ids.rechunk(a.chunks)
    return known(index(ids, key))


def scatter_add(a: Any, key: Any, v: Any) -> Any:
    """``v`` summed into zeros of ``a``'s shape at the flat ids ``key`` selects, in
    ``a``'s chunks (:func:`_accumulate`)."""
    ids = flat_ids(a, key)
    if 0 in ids.shape:  # nothing selected (Dask cannot reshape an empty array in several chunks)
        return da.zeros_like(a)
    flat = ids.reshape(-1)
    v = known(v if isinstance(v, da.Array) else da.asarray(v))
    vals = da.broadcast_to(v, ids.shape).reshape(-1).rechunk(flat.chunks)
    out = _accumulate(a, flat, vals, np.result_type(a.dtype, vals.dtype))
    return out if out.dtype == a.dtype else out.astype(a.dtype)


def _accumulate(a: Any, flat: Any, vals: Any, dtype: Any) -> Any:
    """Zeros of ``a``'s shape and chunks with ``vals`` added at the flat ids ``flat`` (repeats add up).

    Each task adds one chunk of ids into one block of the result, keeping the ids
    that fall in that block; the partial blocks (a trailing axis, one per chunk of
    ids) are then summed by Dask's reduction tree. No task holds more than a block
    and a chunk of ids (Dask's ``bincount`` makes one chunk the size of ``a`` per
    chunk of ids)."""
    if a.ndim == 0:
        return da.sum(vals).astype(dtype)
    nd = a.ndim
    parts = da.blockwise(_add_block, tuple(range(nd + 1)), ArraySliceDep(a.chunks),
                         tuple(range(nd)), flat, (nd,), vals, (nd,), shape=tuple(a.shape),
                         dtype=dtype, align_arrays=False, adjust_chunks={nd: 1},
                         name="scatter-add-" + tokenize(a.shape, a.chunks, flat, vals))
    return parts.sum(axis=nd, dtype=dtype)


def _add_block(where: tuple, ids: Any, vals: Any, shape: tuple) -> Any:
    """The block ``where`` (slices) of zeros of ``shape`` with ``vals`` added at the flat
    ``ids`` inside it, with a trailing axis of one."""
    pos = np.unravel_index(ids, shape)
    inside = np.ones(ids.shape, dtype=bool)
    for p, s in zip(pos, where, strict=True):
        inside &= (p >= s.start) & (p < s.stop)
    out = np.zeros(tuple(s.stop - s.start for s in where), dtype=np.result_type(vals.dtype, np.float16))
    np.add.at(out, tuple(p[inside] - s.start for p, s in zip(pos, where, strict=True)), vals[inside])
    return out[..., None]


def hits(a: Any, key: Any) -> Any:
    """Boolean array of ``a``'s shape and chunks: which elements ``key`` selects."""
    flat = flat_ids(a, key).reshape(-1)
    if 0 in flat.shape:
        return da.zeros(a.shape, dtype=bool, chunks=a.chunks)
    return _accumulate(a, flat, da.ones_like(flat, dtype=np.float32), np.float32) > 0

