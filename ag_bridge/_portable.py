"""What ag_bridge assumes of any array-API library, and how it copes without the rest.

This one file is the contract with a library that has no plugin. ag_bridge
assumes the library's namespace follows the standard for what it provides;
everything the standard leaves optional, or that libraries get wrong, is
*found out* once per library (:func:`probe`, kept on the backend as
``backend.caps``), never guessed from the library's name:

* ``mutable``: whether ``a[1:2] = 1`` writes into ``a`` (NumPy, marray) or is
  refused (JAX, cubed, sparse). Immutable libraries get rebinding behind the
  same ``Array`` and writes built from ``where`` (:func:`index_set`).
* ``index_arrays``: whether integer-array keys mean NumPy's (``"numpy"``) or
  must be turned into flat element ids and a gather (``"flat"``; the standard
  only requires one integer array per axis, and cubed gives wrong numbers).
* ``take``: whether ``take`` gathers right (cubed 0.27 returns the array
  unchanged when the index has the array's length): else gathers are a
  one-hot contraction (:func:`gather`).
* ``implicit_axes``: whether ``x[0]`` on a 2-D array means ``x[0, ...]`` (strict
  refuses it): if not, keys get NumPy's implicit trailing ``...`` (:func:`complete`).
* ``negative_steps``: whether ``x[::-1]`` works (PyTorch, cubed refuse it):
  if not, keys become a ``flip`` plus a positive-step key (:func:`flip_key`).
* ``sort``: whether ``argsort``/``searchsorted`` exist; then scatter-add is an
  O(m log m) sorted segment sum, else a one-hot contraction in bounded blocks
  (:func:`scatter_add`). Integer-array ``__setitem__`` is never used: the
  standard does not require it.
* the functions and extensions (``linalg``, ``fft``) present, the default
  device and dtypes: read from the namespace and ``__array_namespace_info__()``.

The fallbacks below use standard functions only, so they run on every library;
a plugin replaces one only where its library has something faster.
"""

from __future__ import annotations

import math
import operator
from dataclasses import dataclass, field
from typing import Any

from ._keys import per_axis_key

__all__ = ["Capabilities", "probe", "arange", "flip_key", "flat_getitem", "flat_ids", "scatter_add",
           "scatter_last", "index_add", "index_set", "fft_axes", "is_basic"]

#: elements of one block of a one-hot contraction (memory bound of the fallback scatter)
BLOCK = 1 << 20


@dataclass(frozen=True)
class Capabilities:
    """What one library can do, found by :func:`probe` (see the module docstring)."""

    mutable: bool = True
    index_arrays: str = "numpy"
    take: bool = True
    implicit_axes: bool = True
    negative_steps: bool = True
    sort: bool = True
    arange: bool = True
    functions: frozenset = field(default_factory=frozenset, repr=False)
    extensions: tuple = ()
    default_device: Any = None
    default_dtypes: dict = field(default_factory=dict)


def _works(fn: Any) -> bool:
    try:
        return bool(fn())
    except Exception:
        return False


def _same(xp: Any, got: Any, want: list) -> bool:
    return tuple(got.shape) == (len(want),) and bool(xp.all(got == xp.asarray(want, dtype=got.dtype)))


def probe(xp: Any) -> Capabilities:
    """The capabilities of namespace ``xp``, found with a few tiny arrays (once per library)."""
    names = frozenset(k for k in dir(xp) if not k.startswith("_"))
    exts = tuple(e for e in ("linalg", "fft") if getattr(xp, e, None) is not None)
    has_arange = "arange" in names
    ar = (lambda n: xp.arange(n)) if has_arange else (lambda n: xp.asarray(list(range(n))))

    def write() -> bool:
        a = xp.zeros(3)
        a[1:2] = 1.0
        return bool(a[1] == 1)

    def numpy_keys() -> bool:
        t = xp.reshape(ar(6), (2, 3))
        r = t[xp.asarray([1, 0])]
        return tuple(r.shape) == (2, 3) and _same(xp, xp.reshape(r, (-1,)), [3, 4, 5, 0, 1, 2]) \
            and _same(xp, ar(3)[xp.asarray([2, 0, 2])], [2, 0, 2])

    try:
        info = xp.__array_namespace_info__()
        device, dtypes = info.default_device(), dict(info.default_dtypes())
    except Exception:
        device, dtypes = None, {}
    take = _works(lambda: _same(xp, xp.take(ar(3), xp.asarray([2, 0, 2])), [2, 0, 2]))
    return Capabilities(
        mutable=_works(write),
        index_arrays="numpy" if _works(numpy_keys) else "flat",
        take=take,
        implicit_axes=_works(lambda: tuple(xp.reshape(ar(6), (2, 3))[0].shape) == (3,)),
        negative_steps=_works(lambda: _same(xp, ar(3)[::-1], [2, 1, 0])),
        sort=take and {"argsort", "searchsorted", "take", "concat", "where"} <= names,
        arange=has_arange,
        functions=names,
        extensions=exts,
        default_device=device,
        default_dtypes=dtypes,
    )


def arange(xp: Any, n: int, device: Any = None, dtype: Any = None, caps: Any = None) -> Any:
    """``0 .. n-1`` (from a Python range where the library has no ``arange``)."""
    kw = {k: v for k, v in (("device", device), ("dtype", dtype)) if v is not None}
    if caps is None or caps.arange:
        return xp.arange(n, **kw)
    return xp.asarray(list(range(n)), **kw)


# -- keys ------------------------------------------------------------------------------------
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


def gather(xp: Any, flat: Any, ids: Any, n: int, caps: Any = None, device: Any = None) -> Any:
    """``flat[ids]`` of a 1-D array of length ``n``: ``take``, or a one-hot contraction where
    the library's ``take`` is wrong (``caps.take``)."""
    if caps is None or caps.take:
        return xp.take(flat, ids)
    cols = xp.reshape(arange(xp, n, device, dtype=ids.dtype, caps=caps), (1, -1))
    dtype = flat.dtype
    if xp.isdtype(dtype, "bool"):
        return gather(xp, xp.astype(flat, xp.int8), ids, n, caps, device) != 0
    onehot = xp.astype(xp.reshape(ids, (-1, 1)) == cols, dtype)
    return xp.tensordot(onehot, flat, axes=([1], [0]))


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


# -- scatter ---------------------------------------------------------------------------------
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
    runs), then the last element of each run. Without: one-hot contractions over
    blocks of the output (memory bounded by :data:`BLOCK`, time O(m*n)).
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
    parts = []
    for lo in _blocks(n, m):
        hi = min(n, lo + max(1, BLOCK // max(m, 1)))
        bins = xp.reshape(arange(xp, hi - lo, device, dtype=ids.dtype, caps=caps) + lo, (1, -1))
        onehot = xp.astype(col == bins, vals.dtype)
        parts.append(xp.tensordot(vals, onehot, axes=([0], [0])))
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


# -- FFT arguments -----------------------------------------------------------------------------
def fft_axes(shape: tuple, s: Any, axes: Any) -> tuple[tuple, Any]:
    """``(axes, s)`` of an n-dimensional FFT of an array of ``shape`` as the standard reads
    them: the last ``len(s)`` axes (or all) when ``axes`` is None, and ``-1`` in ``s``
    the input's size along that axis (as NumPy 2 does)."""
    ndim = len(shape)
    ax = tuple(axes) if axes is not None else tuple(range(ndim - (ndim if s is None else len(s)), ndim))
    if s is not None:
        s = tuple(shape[a] if n == -1 else n for a, n in zip(ax, s, strict=True))
    return ax, s
