"""Indexing keys in forms every backend reads alike.

NumPy clamps a slice's start and stop to the axis (``x[-4::-1]`` on three
elements is empty, ``x[:10]`` is all of them). The standard leaves
out-of-bounds slices unspecified: array-api-strict refuses them and Dask
2026.8 gets some negative-step ones wrong. The engine therefore hands every
backend slices already clamped (``slice.indices``), with the same meaning.
"""

from __future__ import annotations

from typing import Any

__all__ = ["clamp_slices", "per_axis_key"]


def _clamp(s: slice, n: int) -> slice:
    start, stop, step = s.indices(n)
    if step > 0:
        return slice(start, stop, step)
    if start < 0:  # a negative step from before the first element: nothing
        return slice(0, 0, 1)
    return slice(start, None if stop < 0 else stop, step)


def _width(k: Any, is_bool: Any) -> int:
    """How many axes of the indexed array a key component consumes."""
    if k is None or isinstance(k, bool):
        return 0
    dtype = getattr(k, "dtype", None)
    if dtype is not None and getattr(k, "ndim", 0) and is_bool(dtype):
        return k.ndim  # a boolean mask covers its own number of axes
    return 1


def clamp_slices(key: Any, shape: tuple, is_bool: Any) -> Any:
    """``key`` with each slice that has a start or stop clamped to its axis of ``shape``
    (``is_bool(dtype)`` tells boolean index arrays, which span several axes)."""
    parts = key if isinstance(key, tuple) else (key,)
    if not any(isinstance(k, slice) and (k.start is not None or k.stop is not None) for k in parts):
        return key
    used = sum(_width(k, is_bool) for k in parts if k is not Ellipsis)
    out, axis = [], 0
    for k in parts:
        if k is Ellipsis:
            axis += len(shape) - used
        elif isinstance(k, slice):
            if axis < len(shape) and (k.start is not None or k.stop is not None):
                k = _clamp(k, shape[axis])
            axis += 1
        else:
            axis += _width(k, is_bool)
        out.append(k)
    return tuple(out) if isinstance(key, tuple) else out[0]


def _is_index_array(k: Any, xp: Any, array_types: tuple) -> bool:
    return isinstance(k, array_types) and not xp.isdtype(k.dtype, "bool")


def per_axis_key(shape: tuple, key: Any, xp: Any, device: Any, array_types: tuple) -> Any:
    """``key`` as one integer or integer array per axis, with NumPy's meaning.

    For libraries that accept integer arrays only in that form (array-api-strict)
    or get other forms wrong (Dask): integer arrays mixed with slices, ``...`` or
    missing trailing axes (``x[i]``, ``x[:, i]``, ``x[i, ...]``) become one index per
    axis, each slice an ``arange`` (made with ``xp`` on ``device``) placed on its own
    result axis. The result's axes are NumPy's: the broadcast index axes where the
    integer (array) indices stand if they are adjacent, else first. Keys without
    integer arrays and without ``...`` get NumPy's implicit trailing ``...``
    (``x[1]`` on 2-D); keys mixing integer arrays with ``None`` or booleans, and
    boolean masks, are returned as they are (the library's own rules apply).
    ``array_types`` are the classes of index arrays (the library's, NumPy's).
    """
    key = key if isinstance(key, tuple) else (key,)
    nell = sum(k is Ellipsis for k in key)
    if not any(_is_index_array(k, xp, array_types) for k in key):
        if nell or any(isinstance(k, array_types) for k in key):  # a mask must be the sole index
            return key
        return key + (...,)  # NumPy's implicit trailing ``...``
    # NumPy keeps the index axes in place only when nothing (not even ``...``) separates the indices
    pos = [d for d, k in enumerate(key) if not isinstance(k, slice) and k is not Ellipsis]
    adjacent = pos == list(range(pos[0], pos[-1] + 1))
    if nell > 1 or len(key) - nell > len(shape) or any(
            k is None or isinstance(k, bool) or isinstance(k, array_types) and xp.isdtype(k.dtype, "bool")
            for k in key):
        return key  # the library's own error
    if nell:
        i = next(d for d, k in enumerate(key) if k is Ellipsis)
        key = key[:i] + (slice(None),) * (len(shape) - len(key) + 1) + key[i + 1:]
    else:
        key = key + (slice(None),) * (len(shape) - len(key))
    slices = [d for d, k in enumerate(key) if isinstance(k, slice)]
    if not slices:
        return key
    adv = next(d for d, k in enumerate(key) if not isinstance(k, slice))
    nb = len(xp.broadcast_shapes(*(tuple(k.shape) for k in key if isinstance(k, array_types))))
    first = sum(d < adv for d in slices) if adjacent else 0  # where the index axes go
    nout = nb + len(slices)
    out, j = [], 0
    for d, k in enumerate(key):
        if isinstance(k, slice):
            at = j if j < first else j + nb
            r = range(shape[d])[k]  # negative steps too (PyTorch refuses them in slices)
            idx = xp.arange(r.start, r.stop, r.step, device=device)
            out.append(xp.reshape(idx, (1,) * at + (idx.shape[0],) + (1,) * (nout - at - 1)))
            j += 1
        elif isinstance(k, array_types):
            padded = (1,) * (nb - k.ndim) + tuple(k.shape)
            out.append(xp.reshape(k, (1,) * first + padded + (1,) * (nout - first - nb)))
        else:
            out.append(k)
    return tuple(out)
