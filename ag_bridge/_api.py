"""Top-level helpers: wrap and unwrap arrays, pick a namespace."""

from __future__ import annotations

import types
from typing import Any

from ._array import Array, wrap
from ._select import backend_of, resolve

__all__ = ["asarray", "unwrap", "namespace"]

_PYTHON = (bool, int, float, complex, list, tuple, range)


def namespace(backend: Any = None) -> types.ModuleType:
    """The recording array API namespace of ``backend``: a plugin name, an array API
    namespace module or the name of one (``"cubed.array_api"``), or None (current).

    >>> import ag_bridge
    >>> xp = ag_bridge.namespace("numpy")
    >>> xp.arange(4)          # the standard's defaults: an integer array
    array([0, 1, 2, 3])
    """
    return resolve(backend).namespace


def _is_array(obj: Any) -> bool:
    return not isinstance(obj, (type,) + _PYTHON) and (
        hasattr(obj, "__array_namespace__") or hasattr(obj, "shape") and hasattr(obj, "dtype"))


def asarray(obj: Any, /, *, dtype: Any = None, device: Any = None, backend: Any = None,
            copy: bool | None = None) -> Array:
    """Wrap an array of any array-API library (no copy), or convert Python data on the
    current backend.

    An array of a library without a plugin gets the generic backend of its
    namespace. An :class:`Array` passes through (recorded, so gradients flow)
    unless ``backend`` names another library: then the values are copied across
    as a constant. Anything else is a ``TypeError`` naming its type. A raw array
    of the library ``backend`` names is wrapped as it is unless ``dtype``,
    ``device`` (or a device selected with :func:`use_backend`) or ``copy=True``
    asks for a conversion; ``copy=True`` always gives memory of its own, and
    ``copy=False`` raises a ``ValueError`` where a copy would be needed, as the
    standard's ``asarray`` does (JAX never refuses: its arrays are immutable).

    >>> import numpy as np, ag_bridge
    >>> raw = np.array([1.0, 2.0])
    >>> ag_bridge.unwrap(ag_bridge.asarray(raw, backend="numpy")) is raw
    True
    >>> own = ag_bridge.asarray(raw, backend="numpy", copy=True)
    >>> raw[0] = 5.0
    >>> own.asnumpy()
    array([1., 2.])
    >>> ag_bridge.asarray([1.0, 2.0], backend="numpy", copy=False)
    Traceback (most recent call last):
        ...
    ValueError: ag_bridge.asarray(copy=False) on backend 'numpy' needs a copy (...); pass copy=None ...
    """
    if isinstance(obj, Array):
        if backend is None or resolve(backend) is obj._backend:
            ns = obj._backend.namespace
            kw = {k: v for k, v in (("dtype", dtype), ("device", device), ("copy", copy)) if v is not None}
            return ns.asarray(obj, **kw) if kw else obj
        if copy is False:
            raise ValueError(
                f"ag_bridge.asarray(copy=False): the values are on backend '{obj._backend.name}' "
                f"and must be copied to backend '{resolve(backend).name}'; pass copy=None to allow it")
        obj = obj.asnumpy()
    if backend is None and _is_array(obj):  # a raw array stays where it is unless told
        b, dev = backend_of(obj), device  # (a TypeError naming the type when no library has it)
    else:
        b = resolve(backend)
        dev = b.creation_device(device)
        if not (b.is_array(obj) or isinstance(obj, _PYTHON) or _is_array(obj) or _scalar_like(obj)):
            raise TypeError(
                f"ag_bridge.asarray(): cannot convert an object of type {type(obj).__module__}."
                f"{type(obj).__name__}; pass Python numbers or (nested) lists, an ag_bridge.Array, "
                "or an array of any array-API library"
            )
    if copy is False:
        return _without_copy(obj, b, dtype, dev)
    if dtype is None and dev is None and b.is_array(obj):  # nothing to convert, nowhere to go
        raw = b.xp.asarray(obj, copy=True) if copy else obj
    else:
        raw = b.asarray(obj, dtype=dtype, device=dev)
        if copy and _is_array(obj):  # the conversion may share obj's memory (torch from NumPy)
            raw = b.xp.asarray(raw, copy=True)
    return wrap(b.coerce(raw), b)


def _without_copy(obj: Any, b: Any, dtype: Any, device: Any) -> Array:
    """``asarray(..., copy=False)`` on backend ``b``: the library's own ``asarray(copy=False)``,
    which raises a ``ValueError`` where a copy is needed (JAX never does: its arrays are
    immutable)."""
    kw = {k: v for k, v in (("dtype", dtype), ("device", device)) if v is not None}
    try:
        raw = b.xp.asarray(obj, copy=False, **kw)
    except ValueError as exc:
        why = (str(exc).splitlines() or [""])[0].rstrip(".")
        raise ValueError(f"ag_bridge.asarray(copy=False) on backend '{b.name}' needs a copy ({why}); "
                         "pass copy=None to allow one") from exc
    return wrap(b.coerce(raw), b)


def _scalar_like(obj: Any) -> bool:
    """Python-number-like objects (NumPy scalars, ``Fraction``, buffers) the library may take."""
    import numbers

    return isinstance(obj, numbers.Number) or hasattr(obj, "__array__") or hasattr(obj, "__buffer__") \
        or isinstance(obj, (bytes, memoryview))


def unwrap(x: Any) -> Any:
    """The backend's raw array behind an :class:`Array` (anything else unchanged)."""
    return x._data if isinstance(x, Array) else x
