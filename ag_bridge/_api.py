"""Top-level helpers: wrap and unwrap arrays, pick a namespace."""

from __future__ import annotations

import types
from typing import Any

from ._array import Array, wrap
from ._backends import Backend, backend_of, get_backend, load_backend

__all__ = ["asarray", "unwrap", "namespace"]


def _resolve(backend: Any) -> Backend:
    if backend is None:
        return get_backend()
    if isinstance(backend, Backend):
        return backend
    if isinstance(backend, types.ModuleType):
        name = backend.__name__.split(".")[0]
        if name == "array_api_compat":
            name = backend.__name__.split(".")[1]
        return load_backend({"jax": "jax"}.get(name, name))
    return load_backend(backend)


def namespace(backend: Any = None) -> types.ModuleType:
    """The recording array API namespace of ``backend`` (name, module or None: current).

    >>> import ag_bridge
    >>> xp = ag_bridge.namespace("numpy")
    >>> xp.arange(4)          # the standard's defaults: an integer array
    array([0, 1, 2, 3])
    """
    return _resolve(backend).namespace


def asarray(obj: Any, /, *, dtype: Any = None, device: Any = None, backend: Any = None,
            copy: bool | None = None) -> Array:
    """Wrap a backend array (no copy), or convert Python data on the current backend.

    An :class:`Array` passes through (recorded, so gradients flow) unless
    ``backend`` names another library: then the values are copied across as a
    constant.
    """
    if isinstance(obj, Array):
        if backend is None or _resolve(backend) is obj._backend:
            ns = obj._backend.namespace
            kw = {k: v for k, v in (("dtype", dtype), ("device", device), ("copy", copy)) if v is not None}
            return ns.asarray(obj, **kw) if kw else obj
        obj = obj.asnumpy()
    if backend is None and hasattr(obj, "shape") and hasattr(obj, "dtype"):
        try:
            b = backend_of(obj)
        except TypeError:
            b = None
        if b is not None:
            raw = obj if (dtype is None and device is None and not copy) else \
                b.asarray(obj, dtype=dtype, device=device)
            if copy and raw is obj:
                raw = b.xp.asarray(obj, copy=True)
            return wrap(b.coerce(raw), b)
    b = _resolve(backend)
    return wrap(b.coerce(b.asarray(obj, dtype=dtype, device=b.creation_device(device))), b)


def unwrap(x: Any) -> Any:
    """The backend's raw array behind an :class:`Array` (anything else unchanged)."""
    return x._data if isinstance(x, Array) else x
