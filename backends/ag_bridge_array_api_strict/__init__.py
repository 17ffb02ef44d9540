"""ag_bridge backend plugin for array-api-strict (entry point ``array_api_strict``).

array-api-strict is the standard and nothing more, so running the rules on it
proves they use only the standard. It has no scatter-add and refuses
``__setitem__`` with integer-array keys, so both are done here with standard
functions only: keys that touch each element at most once (integers, slices,
``...``, ``None``, boolean masks) write through ``__setitem__``; integer-array
keys, where duplicates may occur, go through flat element ids and a one-hot
contraction (or a sorted prefix sum when that would be large).
"""

from __future__ import annotations

import math
from typing import Any

import array_api_strict as _xp
import numpy as np

from ag_bridge import Backend as _Backend
from ag_bridge._keys import per_axis_key

__all__ = ["Backend"]

_Array = type(_xp.asarray(0))
#: one-hot matrices larger than this many elements use the sorted prefix sum
ONEHOT_LIMIT = 1 << 22


def _as_tuple(key: Any) -> tuple:
    return key if isinstance(key, tuple) else (key,)


_CPU = _xp.Device("CPU_DEVICE")


def _has_int_array(key: Any) -> bool:
    return any(isinstance(k, _Array) and k.dtype != _xp.bool for k in _as_tuple(key))


def _masks_off_cpu(a: Any, key: Any) -> Any:
    """``key`` with boolean masks as ``nonzero`` ids when ``a`` is not on the CPU device:
    strict's ``__setitem__`` converts a mask to NumPy, which it refuses off that device."""
    key = _as_tuple(key)
    if a.device == _CPU or not any(isinstance(k, _Array) and k.dtype == _xp.bool for k in key):
        return key
    if len(key) == 1 and key[0].ndim == 0:  # a 0-d mask: the callers use where()
        return key
    out: list = []
    for k in key:
        out.extend(_xp.nonzero(k) if isinstance(k, _Array) and k.dtype == _xp.bool else (k,))
    return tuple(out)


def _mask0(a: Any, key: tuple, v: Any) -> Any:
    """The 0-d boolean mask that is the whole ``key`` off the CPU device (else None);
    all-False when ``v`` is empty (then nothing is selected)."""
    if a.device != _CPU and len(key) == 1 and isinstance(key[0], _Array) and key[0].dtype == _xp.bool \
            and key[0].ndim == 0:
        return key[0] & False if isinstance(v, _Array) and math.prod(v.shape) == 0 else key[0]
    return None


def _one_row(v: Any, a: Any) -> Any:
    """The value written through a 0-d mask, shaped like ``a`` (zeros if ``v`` is empty)."""
    if isinstance(v, _Array) and math.prod(v.shape) == 0:
        return _xp.zeros_like(a)
    return _xp.reshape(_values(v, a, (1,) + a.shape), a.shape)


def _standard_key(shape: tuple, key: Any, device: Any) -> Any:
    """``key`` as array-api-strict accepts it (:func:`ag_bridge._keys.per_axis_key`)."""
    return per_axis_key(shape, key, _xp, device, _Array)


def _drop_none(a: Any, key: Any, v: Any) -> tuple:
    """``key`` without ``None`` (``__setitem__`` refuses it) and ``v`` reshaped to match."""
    key = _as_tuple(key)
    if not any(k is None for k in key):
        return key, v
    target = a[key].shape
    key = tuple(k for k in key if k is not None)
    if isinstance(v, _Array):
        v = _xp.reshape(_xp.broadcast_to(v, target), a[key].shape)
    return key, v


def _cast(v: Any, a: Any) -> Any:
    return _xp.astype(v, a.dtype) if isinstance(v, _Array) and v.dtype != a.dtype else v


def _flat_ids(a: Any, key: Any) -> Any:
    """Flat ids of the elements ``a[key]`` selects, in selection order (shape of ``a[key]``)."""
    size = math.prod(a.shape)
    return _xp.reshape(_xp.arange(size, device=a.device), a.shape)[_standard_key(a.shape, key, a.device)]


def _values(v: Any, a: Any, shape: tuple) -> Any:
    v = _xp.asarray(v, dtype=a.dtype, device=a.device) if not isinstance(v, _Array) \
        else (_xp.astype(v, a.dtype) if v.dtype != a.dtype else v)
    return _xp.reshape(_xp.broadcast_to(v, shape), (-1,))


def _wide(dtype: Any) -> Any:
    return {_xp.float32: _xp.float64, _xp.complex64: _xp.complex128}.get(dtype, dtype)


def scatter_add(ids: Any, vals: Any, n: int) -> Any:
    """``out[ids[i]] += vals[i]`` into zeros of length ``n`` (standard functions only)."""
    xp = _xp
    m = ids.shape[0]
    if m * n <= ONEHOT_LIMIT:
        onehot = xp.astype(xp.reshape(ids, (-1, 1)) == xp.reshape(xp.arange(n, device=ids.device),
                                                                  (1, -1)), vals.dtype)
        return xp.tensordot(vals, onehot, axes=([0], [0]))
    # sorted prefix sums, accumulated in double precision against cancellation
    order = xp.argsort(ids, stable=True)
    sids = xp.take(ids, order)
    acc = xp.cumulative_sum(xp.astype(xp.take(vals, order), _wide(vals.dtype)), include_initial=True)
    bins = xp.arange(n, dtype=ids.dtype, device=ids.device)
    hi = xp.take(acc, xp.searchsorted(sids, bins, side="right"))
    lo = xp.take(acc, xp.searchsorted(sids, bins, side="left"))
    return xp.astype(hi - lo, vals.dtype)


class Backend(_Backend):
    """array-api-strict arrays: the bare standard, portable scatter helpers."""

    name = "array_api_strict"
    xp = _xp
    array_types = (_Array,)
    mutable = True
    default_float = _xp.float32

    def device(self, raw: Any) -> Any:
        return raw.device

    def asarray(self, obj: Any, dtype: Any = None, device: Any = None) -> Any:
        if isinstance(device, str):  # AG_BRIDGE_DEVICE=cpu (or strict's names: device1, ...)
            device = _xp.Device("CPU_DEVICE" if device.lower() == "cpu" else device)
        return super().asarray(obj, dtype=dtype, device=device)

    def getitem(self, raw: Any, key: Any) -> Any:
        """``raw[key]``, also for NumPy-style integer-array keys that leave axes to slices
        (``x[i]`` on 2-D, ``x[:, i]``): strict accepts only one index per axis."""
        return raw[_standard_key(tuple(raw.shape), key, raw.device)]

    def to_numpy(self, raw: Any) -> np.ndarray:
        return np.array(np.from_dlpack(raw), copy=True)

    def index_set(self, a: Any, key: Any, v: Any) -> Any:
        xp = _xp
        key = _masks_off_cpu(a, key)
        m = _mask0(a, key, v)
        if m is not None:  # a[m] = v: a takes v where m holds
            return xp.where(m, _one_row(v, a), a)
        if not _has_int_array(key):
            key, v = _drop_none(a, _standard_key(a.shape, key, a.device), _cast(v, a))
            out = xp.asarray(a, copy=True)
            out[key] = v
            return out
        # integer-array keys: the last write to an element wins (as in NumPy/PyTorch)
        ids = _flat_ids(a, key)
        m, n = math.prod(ids.shape), math.prod(a.shape)
        if m == 0:
            return xp.asarray(a, copy=True)
        vals = _values(v, a, ids.shape)  # broadcast against the selection, then flatten
        ids = xp.reshape(ids, (-1,))
        order = xp.reshape(xp.arange(1, m + 1, device=a.device), (-1, 1))
        hits = xp.reshape(ids, (-1, 1)) == xp.reshape(xp.arange(n, device=a.device), (1, -1))
        last = xp.max(xp.where(hits, order, 0), axis=0)
        picked = xp.take(vals, xp.clip(last - 1, 0, m - 1))
        return xp.reshape(xp.where(last > 0, picked, xp.reshape(a, (-1,))), a.shape)

    def index_add(self, a: Any, key: Any, v: Any) -> Any:
        xp = _xp
        key = _masks_off_cpu(a, key)
        m = _mask0(a, key, v)
        if m is not None:
            return xp.where(m, a + _one_row(v, a), a)
        if not _has_int_array(key):  # each element at most once
            key, v = _drop_none(a, _standard_key(a.shape, key, a.device), _cast(v, a))
            out = xp.asarray(a, copy=True)
            out[key] = out[key] + v
            return out
        ids = _flat_ids(a, key)
        vals = _values(v, a, ids.shape)
        added = scatter_add(xp.reshape(ids, (-1,)), vals, math.prod(a.shape))
        return a + xp.reshape(added, a.shape)
