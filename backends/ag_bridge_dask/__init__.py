"""ag_bridge backend plugin for Dask (entry point ``dask``).

Dask arrays are lazy task graphs: a backward pass builds more graph and the
gradients stay lazy until something computes them (``x.grad.asnumpy()``,
``float()``, ``bool()``, printing). Buffers are rebound, never written
(``mutable = False``; Dask's ``x += 1`` makes a new object anyway). Dask has
no scatter-add: keys that touch each element at most once (integers, slices,
``...``, ``None``) go through ``__setitem__`` on a fresh graph (a key of only ``:``
and ``...`` hands back the value itself, in the target's chunks); integer-array
and boolean-mask keys go through flat element ids, added block by block into
the target's chunks (never one chunk of the array's size);
several index arrays, which Dask refuses, are turned into flat ids too.
Data-dependent sizes (boolean masks, ``nonzero``) are computed when such an
array is made (:meth:`Backend.coerce`), so shapes are always known.

The namespace is array-api-compat's with repairs (Dask 2026.8, compat 1.16):
FFTs rechunk the transformed axes to one chunk and read ``s`` as the standard
does (last axes, ``-1`` = input size); ``linalg`` functions map over stacks of
matrices (Dask's are 2-D only); ``linalg.cholesky`` returns the lower factor
(compat returns the upper one); ``svd``/``svdvals`` of square matrices work;
``eye(n, m)`` with ``n < m``, ``tensordot`` with negative axes, ``max``/``min``
of empty stacks, ``repeat(axis=None)`` and ``reshape`` of empty chunked arrays give
NumPy's results;
``take_along_axis`` and ``broadcast_shapes`` are added. Names Dask still lacks
(``linalg.det``, ``eigh``, ``pinv``, ``matrix_power`` ...) raise
``NotImplementedError`` naming the backend, from the recording namespace.
"""

from __future__ import annotations

import math
import types
from typing import Any

import array_api_compat.dask.array as _compat
import dask.array as da
import numpy as np
from dask.array.utils import meta_from_array
from dask.base import tokenize
from dask.layers import ArrayChunkShapeDep, ArraySliceDep

from ag_bridge import Backend as _Backend
from ag_bridge._keys import per_axis_key
from ag_bridge._patch import derived_namespace
from ag_bridge._portable_keys import fft_axes

from ._inline import inline

__all__ = ["Backend"]

_FFT_1D = ("fft", "ifft", "rfft", "irfft", "hfft", "ihfft")
_FFT_ND = ("fftn", "ifftn", "rfftn", "irfftn")


def _one_chunk(x: Any, axes: Any) -> Any:
    """``x`` with a single chunk along ``axes`` (Dask's FFTs need that)."""
    want = {a % x.ndim: -1 for a in axes}
    if all(len(x.chunks[a]) == 1 for a in want):
        return x
    return x.rechunk(want)


def _fft_1d(fn: Any) -> Any:
    def f(x: Any, /, *, n: Any = None, axis: int = -1, norm: str = "backward") -> Any:
        return fn(_one_chunk(x, (axis,)), n=n, axis=axis, norm=norm)

    f.__name__ = f.__qualname__ = fn.__name__
    f.__doc__ = fn.__doc__
    return f


def _fft_nd(fn: Any) -> Any:
    def f(x: Any, /, *, s: Any = None, axes: Any = None, norm: str = "backward") -> Any:
        ax, s = fft_axes(x.shape, s, axes)
        return fn(_one_chunk(x, ax), s=s, axes=ax, norm=norm)

    f.__name__ = f.__qualname__ = fn.__name__
    f.__doc__ = fn.__doc__
    return f


def _eye(n_rows: int, n_cols: int | None = None, /, *, k: int = 0, dtype: Any = None,
         device: Any = None) -> Any:
    # Dask's eye builds a broken graph when n_rows < n_cols and divides by zero for empty shapes
    m = n_rows if n_cols is None else n_cols
    dtype = np.float64 if dtype is None else dtype
    if 0 < m <= n_rows:
        return _compat.eye(n_rows, m, k=k, dtype=dtype)
    return (da.arange(m)[None, :] - da.arange(n_rows)[:, None] == k).astype(dtype)


def _stack(outs: list, batch: tuple) -> Any:
    """Per-matrix results (arrays or named tuples of arrays) stacked back over ``batch``."""
    if not outs:
        raise ValueError("backend 'dask': linalg functions of an empty stack of matrices are not supported")
    first = outs[0]
    if isinstance(first, tuple):
        parts = [_stack([o[j] for o in outs], batch) for j in range(len(first))]
        return type(first)(*parts) if hasattr(first, "_fields") else tuple(parts)
    return da.stack(outs).reshape(batch + first.shape)


def _whole(m: Any) -> Any:
    return m.rechunk(-1)


def _skinny(m: Any) -> Any:
    """Chunked along the long side only (what Dask's QR and SVD accept)."""
    return _one_chunk(m, (-1,) if m.shape[0] >= m.shape[1] else (0,))


def _per_matrix(fn: Any, prepare: Any = _whole) -> Any:
    """``fn`` of one 2-D matrix, mapped over a stack (Dask's linalg is 2-D only)."""
    def f(x: Any, /, **kwargs: Any) -> Any:
        if x.ndim <= 2:
            return fn(prepare(x), **kwargs)
        flat = x.reshape((-1,) + x.shape[-2:])
        return _stack([fn(prepare(flat[i]), **kwargs) for i in range(flat.shape[0])],
                      x.shape[:-2])

    f.__name__ = f.__qualname__ = getattr(fn, "__name__", "linalg")
    return f


def _cholesky(x: Any, /, *, upper: bool = False) -> Any:
    # array-api-compat 1.16 returns Dask's default, the *upper* factor, for
    # upper=False, and fails for upper=True
    return da.linalg.cholesky(x, lower=not upper)


def _svd(x: Any, /, *, full_matrices: bool = True) -> Any:
    # compat refuses full_matrices=True even for square matrices, where it is the reduced SVD
    if full_matrices and x.shape[-1] != x.shape[-2]:
        raise ValueError("linalg.svd(full_matrices=True) of a non-square matrix is not supported "
                         "by backend 'dask'; pass full_matrices=False")
    return _compat.linalg.svd(x, full_matrices=False)


def _svdvals(x: Any, /) -> Any:
    return _compat.linalg.svd(x, full_matrices=False)[1]  # compat's asks for the full SVD


def _matrix_norm(x: Any, /, *, keepdims: bool = False, ord: Any = "fro") -> Any:
    if ord not in (2, -2, "nuc"):  # the others need no SVD (which needs one chunk)
        return _compat.linalg.matrix_norm(x, keepdims=keepdims, ord=ord)
    out = _per_matrix(lambda m: _compat.linalg.matrix_norm(m, ord=ord))(x)
    return out[..., None, None] if keepdims else out


def _solve(x1: Any, x2: Any, /) -> Any:
    if x1.ndim == 2 and x2.ndim <= 2:
        return da.linalg.solve(x1.rechunk(-1), x2.rechunk(-1))
    if x2.ndim == 1:  # one vector for every matrix of the stack
        return _per_matrix(lambda a: da.linalg.solve(a, x2.rechunk(-1)))(x1)
    batch = tuple(np.broadcast_shapes(x1.shape[:-2], x2.shape[:-2]))
    a = da.broadcast_to(x1, batch + x1.shape[-2:]).reshape((-1,) + x1.shape[-2:])
    b = da.broadcast_to(x2, batch + x2.shape[-2:]).reshape((-1,) + x2.shape[-2:])
    return _stack([da.linalg.solve(a[i].rechunk(-1), b[i].rechunk(-1)) for i in range(a.shape[0])],
                  batch)


def _tensordot(x1: Any, x2: Any, /, *, axes: Any = 2) -> Any:
    # Dask computes a wrongly shaped result for negative axes (its metadata is right)
    if not isinstance(axes, int):
        a, b = ((t,) if isinstance(t, int) else tuple(t) for t in axes)
        axes = (tuple(i % x1.ndim for i in a), tuple(i % x2.ndim for i in b))
    return _compat.tensordot(x1, x2, axes=axes)


def _extremum(fn: Any) -> Any:
    def f(x: Any, /, *, axis: Any = None, keepdims: bool = False) -> Any:
        if 0 in x.shape:  # Dask fails even when the reduced axes are not the empty ones
            axes = range(x.ndim) if axis is None else (axis,) if isinstance(axis, int) else axis
            axes = {a % x.ndim for a in axes}
            if all(x.shape[a] for a in axes):
                shape = tuple(1 if d in axes else n for d, n in enumerate(x.shape) if keepdims or
                              d not in axes)
                return da.zeros(shape, dtype=x.dtype)
        return fn(x, axis=axis, keepdims=keepdims)

    f.__name__ = f.__qualname__ = fn.__name__
    return f


def _repeat(x: Any, repeats: Any, /, *, axis: int | None = None) -> Any:
    if axis is None:  # the standard flattens first; Dask refuses
        x, axis = x.reshape(-1), 0
    n = x.shape[axis]
    if not isinstance(repeats, (int, np.integer)):
        # Dask takes integer repeats only: an array of repeats fixes the output size,
        # so compute it (it is small) and gather with the repeated positions
        counts = np.broadcast_to(np.asarray(repeats.compute() if isinstance(repeats, da.Array)
                                            else repeats), (n,))
        return da.take(x, np.repeat(np.arange(n), counts), axis=axis)
    if n == 0:  # Dask fails to concatenate no blocks
        return x
    return da.repeat(x, repeats, axis=axis)


def _reshape(x: Any, /, shape: tuple, *, copy: bool | None = None) -> Any:
    # Dask refuses to reshape an empty array held in several chunks; in one chunk it is free
    if 0 in x.shape and any(len(c) > 1 for c in x.chunks):
        x = x.rechunk(-1)
    return _compat.reshape(x, shape, copy=copy)


def _qr(x: Any, /, *, mode: str = "reduced") -> Any:
    if mode == "complete" and x.shape[-2] > x.shape[-1]:
        raise ValueError("linalg.qr(mode='complete') of a tall matrix is not supported by backend "
                         "'dask' (Dask computes the reduced factorisation only); pass mode='reduced'")
    return _compat.linalg.qr(x)  # with m <= n the reduced QR is the complete one


def _take_along_axis(x: Any, indices: Any, /, *, axis: int = -1) -> Any:
    """Dask has none: gather through flat element ids (one index array)."""
    axis %= x.ndim
    batch = np.broadcast_shapes(*(tuple(1 if d == axis else n for d, n in enumerate(a.shape))
                                  for a in (x, indices)))
    xb = da.broadcast_to(x, batch[:axis] + (x.shape[axis],) + batch[axis + 1:])
    idx = da.broadcast_to(indices, batch[:axis] + (indices.shape[axis],) + batch[axis + 1:])
    key = tuple(idx if d == axis else da.arange(n).reshape(tuple(n if e == d else 1 for e in
                                                                range(xb.ndim)))
                for d, n in enumerate(xb.shape))
    ids = _flat_ids(xb, key)
    return xb.reshape(-1)[ids.reshape(-1)].reshape(ids.shape)


def _take(x: Any, indices: Any, /, *, axis: int | None = None) -> Any:
    # Dask 2026.8 gives take(x, da.from_array(np.array([i]))) the shape of x's whole axis;
    # the same index as a computed array is right (see _index)
    if isinstance(indices, _DArray) and indices.shape == (1,):
        indices = indices + 0
    return _compat.take(x, indices) if axis is None else _compat.take(x, indices, axis=axis)


def _roll(x: Any, /, shift: Any, *, axis: Any = None) -> Any:
    # the standard applies one integer shift to every axis of a tuple; Dask wants one each
    if isinstance(shift, int) and isinstance(axis, tuple):
        shift = (shift,) * len(axis)
    return _compat.roll(x, shift, axis=axis)


_module = derived_namespace  # shared helper: copies public names and the standard dunders


def _namespace() -> types.ModuleType:
    """array-api-compat's Dask namespace with its FFTs, ``cholesky`` and ``svd`` fixed."""
    ns = _module("ag_bridge_dask.xp", _compat, "array_api_compat.dask.array, with the fixes of "
                 "ag_bridge_dask: FFTs along chunked axes, cholesky, svd.")
    ns.__array_api_version__ = _compat.__array_api_version__
    ns.__array_namespace_info__ = _compat.__array_namespace_info__
    ns.fft = _module("ag_bridge_dask.xp.fft", _compat.fft, "Dask FFTs (rechunked along the axes).")
    for k in _FFT_1D:
        setattr(ns.fft, k, _fft_1d(getattr(_compat.fft, k)))
    for k in _FFT_ND:
        setattr(ns.fft, k, _fft_nd(getattr(_compat.fft, k)))
    ns.linalg = _module("ag_bridge_dask.xp.linalg", _compat.linalg, "Dask linalg.")
    ns.eye = _eye
    ns.tensordot = _tensordot
    ns.max, ns.min = _extremum(_compat.max), _extremum(_compat.min)
    ns.repeat = _repeat
    ns.reshape = _reshape
    ns.take_along_axis = _take_along_axis
    ns.take, ns.roll = _take, _roll
    ns.broadcast_shapes = lambda *shapes: tuple(np.broadcast_shapes(*shapes))
    ns.broadcast_shapes.__name__ = "broadcast_shapes"
    for name, fn, prepare in (("cholesky", _cholesky, _whole), ("inv", _compat.linalg.inv, _whole),
                              ("svd", _svd, _skinny), ("svdvals", _svdvals, _skinny),
                              ("qr", _qr, _skinny)):
        setattr(ns.linalg, name, _per_matrix(fn, prepare))
    ns.linalg.matrix_norm = _matrix_norm
    ns.linalg.solve = _solve
    return ns


_xp = _namespace()

_DArray = da.Array
_ARRAYS = (_DArray, np.ndarray)
_BASIC = (int, np.integer, slice, type(None), type(Ellipsis))


def _as_tuple(key: Any) -> tuple:
    return key if isinstance(key, tuple) else (key,)


def _basic(key: Any) -> bool:
    """Whether ``key`` has no arrays (selects each element at most once) and no negative
    steps (which Dask's ``__setitem__`` refuses): a key Dask's ``__setitem__`` takes."""
    return all(isinstance(k, _BASIC) and not isinstance(k, bool)
               and not (isinstance(k, slice) and k.step is not None and k.step < 0)
               for k in _as_tuple(key))


def _whole(a: Any, key: tuple) -> bool:
    """Whether the basic ``key`` selects all of ``a`` as it is (only ``:`` and one ``...``)."""
    if any(not (k is Ellipsis or (isinstance(k, slice) and k == slice(None))) for k in key):
        return False
    return key.count(Ellipsis) <= 1 and len(key) - key.count(Ellipsis) <= a.ndim


def _known(x: Any) -> Any:
    """``x`` with its chunk sizes known (boolean-mask results need a pass over the mask)."""
    if isinstance(x, _DArray) and any(math.isnan(n) for n in x.shape):
        x = x.compute_chunk_sizes()
    return x


def _int_arrays(a: Any, key: Any) -> bool:
    """Whether ``key`` is one integer (array) per axis, at least one an array."""
    key = _as_tuple(key)
    arrays = [k for k in key if isinstance(k, (_DArray, np.ndarray))]
    return (len(key) == a.ndim and bool(arrays) and all(k.dtype.kind in "iu" for k in arrays)
            and all(isinstance(k, (int, np.integer, _DArray, np.ndarray)) for k in key))


def _per_axis(x: Any, key: Any) -> tuple:
    """:func:`per_axis_key` with NumPy index arrays (Python-list keys) made Dask arrays
    (it reshapes them with Dask's namespace)."""
    key = tuple(da.from_array(k) if isinstance(k, np.ndarray) else k for k in _as_tuple(key))
    return per_axis_key(tuple(x.shape), key, _xp, None, _ARRAYS)


def _index(x: Any, key: Any) -> Any:
    """``x[key]`` with NumPy's meaning. Dask takes one 1-D integer array among slices
    well; other integer-array keys (n-d arrays, arrays with integers or several arrays)
    it refuses or gets wrong, so they gather through flat element ids, with the key
    in one-index-per-axis form (:func:`ag_bridge._keys.per_axis_key`)."""
    key = _as_tuple(key)
    arrays = [k for k in key if isinstance(k, _ARRAYS) and k.dtype.kind in "iu"]
    if not arrays:
        return x[key]
    if len(arrays) == 1 and arrays[0].ndim == 1 and all(
            isinstance(k, slice) or k is Ellipsis or k is arrays[0] for k in key):
        # Dask 2026.8 gives x[da.from_array(np.array([i]))] the shape of x's whole axis
        # (it computes one element); the same index as a computed array is right
        return x[tuple(k + 0 if k is arrays[0] and isinstance(k, _DArray) and k.shape == (1,) else k
                       for k in key)]
    full = _per_axis(x, key)
    if not _int_arrays(x, full):  # with None or booleans: Dask's own rules
        return x[key]
    ids = _flat_ids(x, full)
    return x.reshape(-1)[ids.reshape(-1)].reshape(ids.shape)


def _flat_ids(a: Any, key: Any) -> Any:
    """Flat ids of the elements ``a[key]`` selects, in selection order (shape of ``a[key]``)."""
    n = math.prod(a.shape)
    if any(isinstance(k, _ARRAYS) and k.dtype.kind in "iu" for k in _as_tuple(key)):
        full = _per_axis(a, key)
        key = full if _int_arrays(a, full) else key
    if _int_arrays(a, key):  # Dask indexes with one array at a time: do the arithmetic
        ids, stride = 0, 1
        for k, size in zip(reversed(_as_tuple(key)), reversed(a.shape), strict=True):
            if isinstance(k, _ARRAYS) and k.dtype != np.int64:  # uint64 + int64 is float64
                k = k.astype(np.int64)
            ids = ids + (k % size) * stride
            stride *= size
        return da.asarray(ids)
    ids = da.arange(n, chunks=max(n, 1)).reshape(a.shape)
    if a.ndim:
        ids = ids.rechunk(a.chunks)
    return _known(_index(ids, key))


def _scatter_add(a: Any, key: Any, v: Any) -> Any:
    """``v`` summed into zeros of ``a``'s shape at the flat ids ``key`` selects, in
    ``a``'s chunks (:func:`_accumulate`)."""
    ids = _flat_ids(a, key)
    if 0 in ids.shape:  # nothing selected (Dask cannot reshape an empty array in several chunks)
        return da.zeros_like(a)
    flat_ids = ids.reshape(-1)
    v = _known(v if isinstance(v, _DArray) else da.asarray(v))
    vals = da.broadcast_to(v, ids.shape).reshape(-1).rechunk(flat_ids.chunks)
    out = _accumulate(a, flat_ids, vals, np.result_type(a.dtype, vals.dtype))
    return out if out.dtype == a.dtype else out.astype(a.dtype)


def _accumulate(a: Any, flat_ids: Any, vals: Any, dtype: Any) -> Any:
    """Zeros of ``a``'s shape and chunks with ``vals`` added at ``flat_ids`` (repeats add up).

    Each task adds one chunk of ids into one block of the result, keeping the ids
    that fall in that block; the partial blocks (a trailing axis, one per chunk of
    ids) are then summed by Dask's reduction tree. No task holds more than a block
    and a chunk of ids (Dask's ``bincount`` makes one chunk the size of ``a`` per
    chunk of ids)."""
    if a.ndim == 0:
        return da.sum(vals).astype(dtype)
    nd = a.ndim
    parts = da.blockwise(_add_block, tuple(range(nd + 1)), ArraySliceDep(a.chunks),
                         tuple(range(nd)), flat_ids, (nd,), vals, (nd,), shape=tuple(a.shape),
                         dtype=dtype, align_arrays=False, adjust_chunks={nd: 1},
                         name="scatter-add-" + tokenize(a.shape, a.chunks, flat_ids, vals))
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


def _hits(a: Any, key: Any) -> Any:
    """Boolean array of ``a``'s shape and chunks: which elements ``key`` selects."""
    flat = _flat_ids(a, key).reshape(-1)
    if 0 in flat.shape:
        return da.zeros(a.shape, dtype=bool, chunks=a.chunks)
    return _accumulate(a, flat, da.ones_like(flat, dtype=np.float32), np.float32) > 0


class Backend(_Backend):
    """Dask arrays: lazy, chunked, rebound buffers, a chunked scatter-add."""

    name = "dask"
    xp = _xp
    array_types = (_DArray,)
    mutable = False
    default_float = np.float32

    def special_function(self, name: str) -> Any:
        """``scipy.special``'s element-wise functions, block by block (``xp.special``)."""
        from ag_bridge._special import library_function

        return library_function("scipy-blocks", name)

    lean_coerce = False  # coerce() below rewrites Dask arrays of unknown sizes

    def coerce(self, raw: Any) -> Any:
        """Make data-dependent sizes (boolean masks, ``nonzero``, ``unique_*``) known.

        Dask leaves them NaN, which no shape comparison, ``reshape`` or
        ``broadcast_to`` in the backward pass can use; this computes them once,
        when the array is made. Everything else stays lazy.
        """
        for n in raw.shape:
            if n != n:
                return raw.compute_chunk_sizes()
        return raw

    def device(self, raw: Any) -> str:
        return "cpu"

    def index_array(self, seq: list, device: Any = None) -> np.ndarray:
        # NumPy keys keep Dask's shapes and chunks known
        return np.asarray(seq) if seq else np.zeros(0, dtype=np.int64)

    def to_numpy(self, raw: Any) -> np.ndarray:
        return np.array(raw.compute(), copy=True)

    # buffers: lazy, rebound (``mutable = False``: the base class's writes)
    def settle(self, raw: Any) -> Any:
        """Persist a parameter updated outside ``record()`` (its graph stops growing)."""
        return raw.persist()

    def like(self, value: Any, ref: Any) -> Any:
        """``value`` in ``ref``'s chunks: unchanged when they already agree, else
        rechunked along the axes it shares with ``ref`` and broadcast block by block
        into ``ref``'s chunks (so a reduction's cotangent is never one chunk the size
        of ``ref``, and the broadcast fuses with the element-wise tasks around it). A
        value whose graph is a few tasks on small arrays is computed inside each block's
        task instead of being a dependency of every block (:mod:`._inline`)."""
        chunks = getattr(ref, "chunks", None)
        if chunks is None or not isinstance(value, (_DArray, np.ndarray)):
            return value
        if isinstance(value, _DArray) and value.chunks == chunks:
            return value
        if not isinstance(value, _DArray):
            value = da.asarray(value)
        shape, lead = tuple(ref.shape), ref.ndim - value.ndim
        if tuple(value.shape) == shape:
            return value.rechunk(chunks)
        kept = {i: chunks[i + lead] for i, n in enumerate(value.shape)
                if n == shape[i + lead] and value.chunks[i] != chunks[i + lead]}
        if kept:
            value = value.rechunk(kept)
        # a blockwise broadcast (not da.broadcast_to, whose layer Dask cannot fuse with the
        # element-wise ops around it): each block a zero-copy view of value's block, its
        # shape read from ref's chunks inside the task (no layer of placeholder blocks)
        ind = tuple(range(len(shape)))
        small = inline(value)
        if small is not None:  # computed in each block's task: the block keeps one dependency
            # meta given: Dask would otherwise call the function (and compute the value) now
            return da.blockwise(_spread_inline, ind, ArrayChunkShapeDep(chunks), ind, small, None,
                                dtype=value.dtype, align_arrays=False,
                                meta=meta_from_array(value._meta, ndim=len(shape)),
                                name="like-" + tokenize(value.name, chunks))
        return da.blockwise(_spread, ind, ArrayChunkShapeDep(chunks), ind, value, ind[lead:],
                            dtype=value.dtype, align_arrays=False,
                            name="like-" + tokenize(value, chunks))

    # -- indexing -----------------------------------------------------------------
    def getitem(self, raw: Any, key: Any) -> Any:
        """``raw[key]``; integer-array keys Dask refuses or gets wrong go through flat ids."""
        return _index(raw, key)

    def _setitem(self, a: Any, key: Any, v: Any) -> Any:
        """``a`` with ``a[key] = v`` through Dask's ``__setitem__`` (basic keys)."""
        key = _as_tuple(key)
        if _whole(a, key):  # x[:] = v, x[...] = v (MXNet's update): v itself, in a's chunks
            if not isinstance(v, (_DArray, np.ndarray)):
                return da.full(a.shape, v, dtype=a.dtype, chunks=a.chunks)
            return self.like(da.broadcast_to(da.asarray(v), a.shape).astype(a.dtype), a)
        if 0 in _index(a, key).shape:  # nothing selected (Dask's __setitem__ fails on it)
            return a
        if any(k is None for k in key):  # Dask's __setitem__ rejects None
            target = a[key].shape
            key = tuple(k for k in key if k is not None)
            if isinstance(v, (_DArray, np.ndarray)):
                v = da.broadcast_to(v, target).reshape(a[key].shape)
        out = a.copy()
        out[key] = v.astype(a.dtype) if isinstance(v, (_DArray, np.ndarray)) else v
        return out

    def index_set(self, a: Any, key: Any, v: Any) -> Any:
        if _basic(key):
            return self._setitem(a, key, v)
        if not isinstance(v, (_DArray, np.ndarray)):  # a scalar: no placement needed
            return da.where(_hits(a, key), da.asarray(v, dtype=a.dtype), a)
        if all(not isinstance(k, _ARRAYS) or k.dtype.kind == "b" for k in _as_tuple(key)) \
                and any(isinstance(k, _ARRAYS) for k in _as_tuple(key)):
            try:  # boolean masks: Dask's __setitem__
                return self._setitem(a, key, v)
            except (NotImplementedError, ValueError, IndexError, TypeError):
                pass  # masks with lazy sizes
        # integer arrays, negative steps (Dask's __setitem__ mis-places some), lazy masks:
        # placed by flat ids
        placed = _scatter_add(a, key, v)
        return da.where(_hits(a, key), placed, a)

    def index_add(self, a: Any, key: Any, v: Any) -> Any:
        if _basic(key):
            return self._setitem(a, key, a[key] + v)
        return a + _scatter_add(a, key, v)


def _spread(shape: tuple, v: Any) -> Any:
    """``v`` broadcast to the block ``shape`` (module level: graphs holding it pickle)."""
    return np.broadcast_to(v, shape)


def _spread_inline(shape: tuple, small: Any) -> Any:
    """The small value ``small()`` broadcast to the block ``shape``."""
    return np.broadcast_to(small(), shape)
