"""Portable keys and arguments: what any array-API library needs to index like NumPy.

Chosen by the capabilities :func:`ag_bridge._portable.probe` finds (never by a
library's name): NumPy's implicit trailing ``...`` (:func:`complete`), negative
steps as a ``flip`` (:func:`flip_key`), a boolean key over the leading axes as a
mask over all of them (:func:`full_mask`), integer-array keys as flat element ids
and a gather (:func:`flat_getitem`, :func:`flat_ids`, :func:`gather`), and the
standard's reading of an n-dimensional FFT's ``s``/``axes`` (:func:`fft_axes`).
"""

from __future__ import annotations

import math
import operator
from typing import Any

from ._keys import per_axis_key
from ._portable import arange

__all__ = ["is_basic", "complete", "flip_key", "full_mask", "gather", "flat_getitem", "flat_ids",
           "fft_axes"]

_BASIC = (int, slice, type(None), type(Ellipsis))


def _as_tuple(key: Any) -> tuple:
    return key if isinstance(key, tuple) else (key,)


def is_basic(key: Any) -> bool:
    """Whether ``key`` has no arrays (integers, slices, ``...``, ``None``): it selects each
    element at most once, which a plain ``__setitem__`` writes correctly."""
    return all(isinstance(k, _BASIC) and not isinstance(k, bool) for k in _as_tuple(key))


def complete(key: Any) -> Any:
    """``key`` with NumPy's implicit trailing ``...`` made explicit (no-op with one)."""
    parts = _as_tuple(key)
    return parts if any(k is Ellipsis for k in parts) else parts + (Ellipsis,)


def _neg_step(k: Any) -> bool:
    return isinstance(k, slice) and k.step is not None and operator.index(k.step) < 0


def flip_key(shape: tuple, key: Any, is_bool: Any) -> tuple[tuple, Any]:
    """``(axes, key2)`` with ``x[key] == flip(x, axis=axes)[key2]`` and no negative steps
    (``is_bool(k)`` tells boolean index arrays, which span ``k.ndim`` axes)."""
    key = _as_tuple(key)
    if not any(_neg_step(k) for k in key):
        return (), key

    def width(k: Any) -> int:
        if k is None or k is Ellipsis or isinstance(k, bool):
            return 0
        return k.ndim if is_bool(k) else 1

    used = sum(width(k) for k in key)
    axes, out, axis = [], [], 0
    for k in key:
        if k is Ellipsis:
            axis += len(shape) - used
            out.append(k)
            continue
        if _neg_step(k):
            n = shape[axis]
            picked = range(n)[k]
            if len(picked):
                out.append(slice(n - 1 - picked[0], n - picked[-1], -operator.index(k.step)))
                axes.append(axis)
            else:
                out.append(slice(0, 0))
        else:
            out.append(k)
        axis += width(k)
    return tuple(axes), tuple(out)


def full_mask(xp: Any, shape: tuple, key: Any, is_bool: Any) -> tuple[Any, tuple] | None:
    """``(mask, shape2)`` with ``x[key] == reshape(x[mask], shape2)`` when ``key`` is a
    boolean array over the leading ``k < ndim`` axes (alone, or with a trailing ``...``):
    the key broadcast over the remaining axes selects whole rows, in order. None for
    any other key, or when the remaining axes hold no element (the count is unknown)."""
    parts = _as_tuple(key)
    if len(parts) == 2 and parts[1] is Ellipsis:
        parts = parts[:1]
    if len(parts) != 1 or not is_bool(parts[0]):
        return None
    m, k = parts[0], parts[0].ndim
    rest = tuple(shape[k:])
    if not 0 < k < len(shape) or not math.prod(rest):
        return None
    full = xp.broadcast_to(xp.reshape(m, tuple(m.shape) + (1,) * len(rest)), tuple(shape))
    return full, (-1, *rest)


def gather(xp: Any, a: Any, ids: Any, n: int, caps: Any = None, device: Any = None) -> Any:
    """``a[..., ids]`` along ``a``'s last axis (length ``n``; ``ids`` 1-D, in range):
    ``take``, or where the library's ``take`` is wrong (``caps.take``) a selection by
    ``where`` and a sum over a one-hot mask (exact, also for inf and NaN; memory
    O(len(ids) * n) per leading element)."""
    if caps is None or caps.take:
        return xp.take(a, ids, axis=-1)
    cols = xp.reshape(arange(xp, n, device, dtype=ids.dtype, caps=caps), (1, -1))
    sel = xp.reshape(ids, (-1, 1)) == cols  # (m, n)
    spread = xp.expand_dims(a, axis=-2)  # (..., 1, n)
    if xp.isdtype(a.dtype, "bool"):
        return xp.any(sel & spread, axis=-1)
    return xp.sum(xp.where(sel, spread, xp.zeros_like(spread)), axis=-1, dtype=a.dtype)


def flat_getitem(xp: Any, a: Any, key: Any, array_types: tuple, device: Any,
                 caps: Any = None) -> Any | None:
    """``a[key]`` for integer-array keys through flat element ids and ``take`` (the
    library's own indexing is not trusted with them); None when ``key`` is not such a key
    (or mixes in ``None``/booleans: the library's own rules apply)."""
    shape = tuple(a.shape)
    parts = per_axis_key(shape, key, xp, device, array_types)
    parts = _as_tuple(parts)
    if len(parts) != len(shape) or not any(isinstance(k, array_types) for k in parts) \
            or any(not isinstance(k, array_types) and not isinstance(k, int) or isinstance(k, bool)
                   for k in parts) \
            or any(isinstance(k, array_types) and xp.isdtype(k.dtype, "bool") for k in parts):
        return None  # boolean masks: the library's own indexing
    flat: Any = 0
    stride = 1
    idx = xp.__array_namespace_info__().default_dtypes(device=device)["indexing"]
    for n, k in zip(reversed(shape), reversed(parts)):
        if isinstance(k, int):
            k = k + n if k < 0 else k
        else:  # any integer dtype (uint64 and int64 do not promote): the indexing dtype
            k = k if k.dtype == idx else xp.astype(k, idx)
            k = xp.where(k < 0, k + n, k)
        flat = flat + k * stride
        stride *= n
    out_shape = tuple(flat.shape)
    n = math.prod(shape)
    return xp.reshape(gather(xp, xp.reshape(a, (-1,)), xp.reshape(flat, (-1,)), n, caps, device),
                      out_shape)


def flat_ids(backend: Any, shape: tuple, key: Any, device: Any) -> Any:
    """Flat ids of the elements ``x[key]`` selects from an array of ``shape`` (the
    backend's own :meth:`getitem` validates ``key``), in selection order."""
    xp = backend.xp
    ids = xp.reshape(arange(xp, math.prod(shape), device, caps=backend.caps), shape)
    return backend.coerce(backend.getitem(ids, key))



# -- FFT arguments
def fft_axes(shape: tuple, s: Any, axes: Any) -> tuple[tuple, Any]:
    """``(axes, s)`` of an n-dimensional FFT of an array of ``shape`` as the standard reads
    them: the last ``len(s)`` axes (or all) when ``axes`` is None, and ``-1`` in ``s``
    the input's size along that axis (as NumPy 2 does)."""
    ndim = len(shape)
    ax = tuple(axes) if axes is not None else tuple(range(ndim - (ndim if s is None else len(s)), ndim))
    if s is not None:
        s = tuple(shape[a] if n == -1 else n for a, n in zip(ax, s, strict=True))
    return ax, s

