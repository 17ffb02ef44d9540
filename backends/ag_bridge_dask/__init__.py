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

The plugin's parts, one job each: this module is the backend class;
:mod:`._xp` the namespace (array-api-compat's with Dask's gaps repaired: FFTs
along chunked axes, ``linalg`` over stacks of matrices, ``take_along_axis`` ...);
:mod:`._layout` chunk layout (a cotangent in its input's chunks, :meth:`Backend.like`);
:mod:`._scatter` the keys Dask refuses or gets wrong, through flat element ids
(:mod:`._ids`), and the chunked scatter-add; :mod:`._inline` small values evaluated
inside each block's task; cheap graph building: :mod:`._elementwise` (element-wise
operations as one layer with dtype and meta given), :mod:`._matvec` (matrix-vector
products of a matrix chunked along its rows) and :mod:`._fast` (backward kernels,
``fast_vjps``). Names Dask still lacks (``linalg.det``, ``eigh``,
``pinv``, ``matrix_power`` ...) raise ``NotImplementedError`` naming the
backend, from the recording namespace.
"""

from __future__ import annotations

from typing import Any

import dask.array as da
import numpy as np

from ag_bridge import Backend as _Backend

from ._fast import FAST_VJPS
from ._ids import ARRAYS, as_tuple
from ._layout import like
from ._scatter import basic, hits, index, scatter_add, whole
from ._xp import xp as _xp

__all__ = ["Backend"]

_DArray = da.Array


class Backend(_Backend):
    """Dask arrays: lazy, chunked, rebound buffers, a chunked scatter-add."""

    name = "dask"
    xp = _xp
    array_types = (_DArray,)
    mutable = False
    default_float = np.float32
    #: cotangents built as one layer each, cheap to build (plain backward passes)
    fast_vjps = FAST_VJPS

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
        """``value`` in ``ref``'s chunks, broadcast block by block where its shape differs
        (:func:`ag_bridge_dask._layout.like`)."""
        return like(value, ref)

    # -- indexing -----------------------------------------------------------------
    def getitem(self, raw: Any, key: Any) -> Any:
        """``raw[key]``; integer-array keys Dask refuses or gets wrong go through flat ids."""
        return index(raw, key)

    def _setitem(self, a: Any, key: Any, v: Any) -> Any:
        """``a`` with ``a[key] = v`` through Dask's ``__setitem__`` (basic keys)."""
        key = as_tuple(key)
        if whole(a, key):  # x[:] = v, x[...] = v (MXNet's update): v itself, in a's chunks
            if not isinstance(v, (_DArray, np.ndarray)):
                return da.full(a.shape, v, dtype=a.dtype, chunks=a.chunks)
            return self.like(da.broadcast_to(da.asarray(v), a.shape).astype(a.dtype), a)
        if 0 in index(a, key).shape:  # nothing selected (Dask's __setitem__ fails on it)
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
        if basic(key):
            return self._setitem(a, key, v)
        if not isinstance(v, (_DArray, np.ndarray)):  # a scalar: no placement needed
            return da.where(hits(a, key), da.asarray(v, dtype=a.dtype), a)
        if all(not isinstance(k, ARRAYS) or k.dtype.kind == "b" for k in as_tuple(key)) \
                and any(isinstance(k, ARRAYS) for k in as_tuple(key)):
            try:  # boolean masks: Dask's __setitem__
                return self._setitem(a, key, v)
            except (NotImplementedError, ValueError, IndexError, TypeError):
                pass  # masks with lazy sizes
        # integer arrays, negative steps (Dask's __setitem__ mis-places some), lazy masks:
        # placed by flat ids
        placed = scatter_add(a, key, v)
        return da.where(hits(a, key), placed, a)

    def index_add(self, a: Any, key: Any, v: Any) -> Any:
        if basic(key):
            return self._setitem(a, key, a[key] + v)
        return a + scatter_add(a, key, v)
