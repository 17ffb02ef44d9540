"""VJPs of indexing: ``take``, ``take_along_axis``, ``__getitem__``, ``__setitem__``.

The standard has no scatter-add, but these VJPs need one: ``xp._index_add``
is the backend's (``np.add.at``, ``index_add_``, ``.at[].add``) in a plain
backward and a recorded op (whose VJP is the gather) under create_graph.
Duplicate indices accumulate. ``take``/``take_along_axis`` scatter through a
key of integer arrays only (one per axis, broadcast against each other), the
one form of integer-array indexing every backend, array-api-strict included,
accepts.
"""

from __future__ import annotations

from .._registry import defvjp

__all__ = ["along_key"]


def along_key(xp, shape, axis, idx):
    """The integer-array key ``k`` with ``a[k] == take_along_axis(a, idx, axis)`` for ``a`` of ``shape``:
    ``idx`` (same ndim as ``shape``) on ``axis``, ``arange`` over every other axis (broadcast)."""
    nd = len(shape)
    dev = getattr(idx, "device", None)
    if idx.dtype != xp.int64 and idx.dtype != xp.int32:  # arange in int8/uint8 would wrap
        idx = xp.astype(idx, xp.int64)
    return tuple(idx if d == axis else xp.reshape(xp.arange(n, dtype=idx.dtype, device=dev),
                                                  tuple(n if e == d else 1 for e in range(nd)))
                 for d, n in enumerate(shape))


def _gather_back(xp, g, ans, x, key):
    return xp._index_add(xp.zeros_like(x), key, g)


def _span(k) -> int:
    """How many axes of the target a key component consumes (a mask: its own ndim)."""
    if k is None:
        return 0
    if isinstance(k, (int, slice)):
        return 1
    return k.ndim if _is_mask(k) else 1


def _is_mask(k) -> bool:
    dt = getattr(k, "dtype", None)
    return dt is not None and "bool" in str(dt)


def _covers_all(xp, shape: tuple, key) -> bool:
    """Whether ``a[key] = v`` writes every element of an ``a`` of ``shape``.

    Integers, slices, ``...``, ``None`` are read statically; a boolean mask by its
    values, except when reading them would compute something (a lazy array such as
    Dask's, a traced one under ``jax.jit``): then the overwrite counts as partial.
    Integer index arrays count as partial.
    """
    if 0 in shape:
        return True
    parts = key if isinstance(key, tuple) else (key,)
    if any(isinstance(k, bool) for k in parts) or sum(k is Ellipsis for k in parts) > 1:
        return False
    used = sum(_span(k) for k in parts if k is not Ellipsis)
    axis = 0
    for k in parts:
        if k is Ellipsis:
            axis += len(shape) - used
            continue
        n = _span(k)
        if isinstance(k, int):
            if shape[axis] != 1:
                return False
        elif isinstance(k, slice):
            if len(range(shape[axis])[k]) != shape[axis]:
                return False
        elif k is not None:
            if not _is_mask(k) or tuple(k.shape) != tuple(shape[axis:axis + n]) \
                    or hasattr(getattr(k, "_data", k), "__dask_graph__"):
                return False
            try:
                if not bool(xp.all(k)):
                    return False
            except Exception:  # a traced value: it cannot be read here
                return False
        axis += n
    return True


def _set_target(xp, g, ans, x, key, v):
    # a full overwrite cuts the old value out of the graph: no cotangent at all, so no zero
    # meets a NaN partial upstream; a partial one sends exact zeros at the written elements
    if _covers_all(xp, tuple(x.shape), key):
        return None
    return xp._index_set(g, key, 0)


def _set_value(xp, g, ans, x, key, v):
    return xp._getitem(g, key)  # the backend's key translation (torch: negative steps; dask: x[i, j])


def _take(xp, g, ans, x, indices, /, *, axis=None):
    ax = 0 if axis is None else axis % x.ndim
    idx = xp.reshape(indices, tuple(-1 if d == ax else 1 for d in range(x.ndim)))
    return xp._index_add(xp.zeros_like(x), along_key(xp, tuple(x.shape), ax, idx), g)


def _take_along_axis(xp, g, ans, x, indices, /, *, axis=-1):
    return xp._index_add(xp.zeros_like(x), along_key(xp, tuple(x.shape), axis % x.ndim, indices), g)


defvjp("__getitem__", _gather_back)
defvjp("__setitem__", _set_target, None, _set_value)
defvjp("_index_set", _set_target, None, _set_value)
defvjp("_index_add", lambda xp, g, ans, x, key, v: g, None, _set_value)
defvjp("take", _take, None)
defvjp("take_along_axis", _take_along_axis, None)
