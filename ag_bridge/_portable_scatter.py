"""Portable scatters: writes into arrays of any array-API library, without integer-array
``__setitem__`` (the standard does not require it).

``scatter_add`` (the VJP of ``take``, ``take_along_axis`` and integer-array keys)
and ``scatter_last`` (assignment with NumPy's last-write-wins) as a sorted
segment scan where the library sorts, else as one-hot contractions in bounded
blocks; ``index_add``/``index_set`` build ``a[key] += v`` and ``a[key] = v`` on
them, or on a copy and ``__setitem__`` where the library is mutable and the key
has no arrays (capabilities from :func:`ag_bridge._portable.probe`).
"""

from __future__ import annotations

import math
from typing import Any

from ._portable import arange
from ._portable_keys import _as_tuple, complete, flat_ids, gather, is_basic

__all__ = ["BLOCK", "scatter_add", "scatter_last", "index_add", "index_set"]

#: elements of one block of a one-hot contraction (memory bound of the fallback scatter)
BLOCK = 1 << 20


def _zeros(xp: Any, n: int, like: Any, device: Any) -> Any:
    return xp.zeros((n,), dtype=like.dtype, device=device)


def _segments(xp: Any, ids: Any, n: int, device: Any, caps: Any) -> tuple:
    """Sort ``ids``: ``(order, sorted ids, end of each bin's run, whether the bin is hit)``."""
    order = xp.argsort(ids, stable=True)
    sids = xp.take(ids, order)
    bins = arange(xp, n, device, dtype=sids.dtype, caps=caps)
    end = xp.searchsorted(sids, bins, side="right")
    hit = end > xp.searchsorted(sids, bins, side="left")
    return order, sids, end, hit


def _blocks(n: int, m: int) -> range:
    return range(0, n, max(1, BLOCK // max(m, 1)))


def scatter_add(xp: Any, ids: Any, vals: Any, n: int, device: Any = None, caps: Any = None) -> Any:
    """``out[ids[i]] += vals[i]`` into zeros of length ``n``; duplicate ids accumulate.

    With sorting: a segmented inclusive scan over the sorted values (log2(m)
    shifted adds, each only within a run of equal ids, so no cancellation across
    runs), then the last element of each run. Without: sums of ``where`` over a
    one-hot mask, in blocks of the output (memory bounded by :data:`BLOCK`, time
    O(m*n); a non-finite value stays in its own slot, as it would not in a product).
    """
    m = ids.shape[0]
    if m == 0 or n == 0:
        return _zeros(xp, n, vals, device)
    if caps is None or caps.sort:
        order, sids, end, hit = _segments(xp, ids, n, device, caps)
        acc = xp.take(vals, order)
        zero = xp.zeros_like(acc)
        s = 1
        while s < m:
            same = sids[s:] == sids[:-s]
            acc = xp.concat([acc[:s], acc[s:] + xp.where(same, acc[:-s], zero[s:])])
            s *= 2
        last = xp.take(acc, xp.clip(end - 1, 0, m - 1))
        return xp.where(hit, last, xp.zeros_like(last))
    col = xp.reshape(ids, (-1, 1))
    zero = xp.zeros((1, 1), dtype=vals.dtype, device=device)
    parts = []
    for lo in _blocks(n, m):
        hi = min(n, lo + max(1, BLOCK // max(m, 1)))
        bins = xp.reshape(arange(xp, hi - lo, device, dtype=ids.dtype, caps=caps) + lo, (1, -1))
        spread = xp.where(col == bins, xp.reshape(vals, (-1, 1)), zero)  # exact with inf/NaN
        parts.append(xp.sum(spread, axis=0, dtype=vals.dtype))
    return parts[0] if len(parts) == 1 else xp.concat(parts)


def scatter_last(xp: Any, ids: Any, vals: Any, n: int, device: Any = None, caps: Any = None) -> tuple:
    """``(hit, out)``: which of ``n`` slots ``ids`` reaches, and the value written there
    last (``out[ids[i]] = vals[i]`` in order, as NumPy and PyTorch do)."""
    m = ids.shape[0]
    if m == 0:
        z = _zeros(xp, n, vals, device)
        return z != z, z
    if caps is None or caps.sort:
        order, _, end, hit = _segments(xp, ids, n, device, caps)
        return hit, xp.take(xp.take(vals, order), xp.clip(end - 1, 0, m - 1))
    col = xp.reshape(ids, (-1, 1))
    rank = xp.reshape(arange(xp, m, device, dtype=ids.dtype, caps=caps) + 1, (-1, 1))
    lasts = []
    for lo in _blocks(n, m):
        hi = min(n, lo + max(1, BLOCK // max(m, 1)))
        bins = xp.reshape(arange(xp, hi - lo, device, dtype=ids.dtype, caps=caps) + lo, (1, -1))
        lasts.append(xp.max(xp.where(col == bins, rank, xp.zeros_like(rank)), axis=0))
    last = lasts[0] if len(lasts) == 1 else xp.concat(lasts)
    return last > 0, gather(xp, vals, xp.clip(last - 1, 0, m - 1), m, caps, device)


def _values(backend: Any, v: Any, a: Any, shape: tuple) -> Any:
    """``v`` in ``a``'s dtype and device, broadcast to ``shape`` and flattened."""
    xp = backend.xp
    if not backend.is_array(v):
        v = xp.asarray(v, dtype=a.dtype, device=backend.device(a))
    elif v.dtype != a.dtype:
        v = xp.astype(v, a.dtype)
    return xp.reshape(xp.broadcast_to(v, shape), (-1,))


def index_add(backend: Any, a: Any, key: Any, v: Any) -> Any:
    """``a`` plus ``v`` scattered at ``key`` (duplicates accumulate), as a new array.

    Keys that touch each element at most once write through ``__setitem__`` on a
    copy where the library is mutable; everything else is a scatter-add of flat
    element ids (:func:`scatter_add`), never integer-array ``__setitem__``.
    """
    xp = backend.xp
    if backend.caps.mutable and is_basic(key):
        key, v = _drop_none(backend, a, key, _cast(backend, v, a))
        out = xp.asarray(a, copy=True)
        out[key] = out[key] + v
        return out
    dev = backend.device(a)
    ids = flat_ids(backend, tuple(a.shape), key, dev)
    n = math.prod(a.shape)
    added = scatter_add(xp, xp.reshape(ids, (-1,)), _values(backend, v, a, tuple(ids.shape)), n, dev,
                        backend.caps)
    return a + xp.reshape(added, tuple(a.shape))


def index_set(backend: Any, a: Any, key: Any, v: Any) -> Any:
    """``a`` with ``a[key] = v``, as a new array (``a`` is not changed).

    A copy and ``__setitem__`` where the library is mutable and the key has no
    arrays; else ``where`` over the slots the key reaches (:func:`scatter_last`).
    """
    xp = backend.xp
    if _whole(key, len(a.shape)):  # x[:] = v, x[...] = v: v broadcast, nothing to scatter
        v = _cast(backend, v, a) if backend.is_array(v) else xp.asarray(v, dtype=a.dtype,
                                                                          device=backend.device(a))
        return xp.asarray(xp.broadcast_to(v, tuple(a.shape)), copy=True)
    if backend.caps.mutable and is_basic(key):
        key, v = _drop_none(backend, a, key, _cast(backend, v, a))
        out = xp.asarray(a, copy=True)
        out[key] = v
        return out
    dev = backend.device(a)
    ids = flat_ids(backend, tuple(a.shape), key, dev)
    n = math.prod(a.shape)
    hit, vals = scatter_last(xp, xp.reshape(ids, (-1,)), _values(backend, v, a, tuple(ids.shape)), n,
                             dev, backend.caps)
    return xp.where(xp.reshape(hit, tuple(a.shape)), xp.reshape(vals, tuple(a.shape)), a)


def _drop_none(backend: Any, a: Any, key: Any, v: Any) -> tuple:
    """``key`` without ``None`` (the standard's ``__setitem__`` need not take it) and ``v``
    reshaped to match."""
    parts = complete(key)
    if not any(k is None for k in parts):
        return parts, v
    target = tuple(a[parts].shape)
    parts = tuple(k for k in parts if k is not None)
    if backend.is_array(v):
        v = backend.xp.reshape(backend.xp.broadcast_to(v, target), tuple(a[parts].shape))
    return parts, v


def _whole(key: Any, ndim: int) -> bool:
    """Whether ``key`` selects every element once, in order (``:``, ``...``, ``(:, :)``)."""
    parts = _as_tuple(key)
    return len(parts) <= max(ndim, 1) and all(
        k is Ellipsis or isinstance(k, slice) and k.start in (None, 0) and k.stop is None
        and k.step in (None, 1) for k in parts) and sum(k is Ellipsis for k in parts) <= 1


def _cast(backend: Any, v: Any, a: Any) -> Any:
    return backend.xp.astype(v, a.dtype) if backend.is_array(v) and v.dtype != a.dtype else v

