"""The generic backend: any array-API namespace, no plugin needed.

:func:`generic_backend` builds a :class:`~ag_bridge.Backend` from a namespace
alone, once per namespace, named after its library (``marray``, ``cubed``,
``sparse`` ...). Everything it knows is read or probed from the standard
(:mod:`ag_bridge._portable` says what is assumed and what is probed); the
engine's defaults then do the rest. An installed plugin still takes
precedence for its library (:mod:`ag_bridge._select` asks the plugins first).
"""

from __future__ import annotations

import inspect
import threading
from typing import Any

from ._backends import Backend
from ._portable_functions import repaired_namespace

__all__ = ["GenericBackend", "generic_backend", "generic_backends", "library_name"]

_CACHE: dict[int, tuple[Any, GenericBackend]] = {}
_LOCK = threading.Lock()


def library_name(xp: Any) -> str:
    """The import name of the library behind namespace ``xp`` (``marray.numpy`` -> ``marray``)."""
    return getattr(xp, "__name__", type(xp).__name__).partition(".")[0]


class GenericBackend(Backend):
    """A backend derived from an array-API namespace (see the module docstring)."""

    generic = True

    def __init__(self, xp: Any, name: str | None = None) -> None:
        self.xp = xp
        self.library = library_name(xp)
        self.name = name or self.library
        self.array_types = (type(xp.asarray(0.0)),)
        super().__init__()
        self.device_default = None
        self._lazy = hasattr(self.array_types[0], "compute")
        self.library_xp = xp  # the library's own namespace (self.xp may be a repaired copy)
        self.xp = repaired_namespace(xp, self)  # functions the probe found wrong (caps)

    def is_array(self, obj: Any) -> bool:
        """An array of this library: its class, or any object whose namespace is ours."""
        if isinstance(obj, self.array_types):
            return True
        ns = getattr(obj, "__array_namespace__", None)
        if ns is None or isinstance(obj, type):
            return False
        try:
            return ns() is self.library_xp
        except Exception:
            return False

    def coerce(self, raw: Any) -> Any:
        """A 0-d array for a Python or NumPy scalar result (some libraries return those)."""
        if isinstance(raw, self.array_types) or self.is_array(raw):
            return raw
        return self.xp.asarray(raw)

    def write_into(self, buf: Any, value: Any) -> Any:
        """Overwrite ``buf`` with ``value``, keeping the buffer's mask where the library's
        arithmetic carries masks (a masked leaf's gradient has the leaf's mask)."""
        return super().write_into(buf, value + self.xp.zeros_like(buf))

    def settle(self, raw: Any) -> Any:
        """A lazy library's (one whose arrays have ``compute``) updated parameter is
        evaluated, so a training loop does not grow one graph across its steps."""
        if not self._lazy:
            return raw
        kept = {k: getattr(raw, k) for k in _asarray_keywords(self.library_xp) if hasattr(raw, k)}
        return self.xp.asarray(self.to_numpy(raw), dtype=raw.dtype, device=self.device(raw), **kept)

    def like(self, value: Any, ref: Any) -> Any:
        """``value`` in ``ref``'s chunks for a chunked library (cubed): broadcast with the
        namespace's ``broadcast_to(..., chunks=)`` or rechunked, never left in whatever
        chunks the library picks (cubed broadcasts a reduced cotangent in chunks of one
        element). Libraries without chunks get ``value`` as it is."""
        chunks = getattr(ref, "chunks", None)
        if chunks is None or getattr(value, "chunks", chunks) == chunks:
            return value
        if tuple(value.shape) == tuple(ref.shape):
            return value.rechunk(chunks) if hasattr(value, "rechunk") else value
        try:
            return self.xp.broadcast_to(value, tuple(ref.shape), chunks=chunks)
        except TypeError:  # a namespace without the chunks keyword: the engine broadcasts
            return value

    def __repr__(self) -> str:
        return f"<ag_bridge generic backend {self.name!r} over {getattr(self.xp, '__name__', self.xp)}>"


def _asarray_keywords(xp: Any) -> tuple:
    """The keyword parameters of ``xp.asarray`` beyond the standard's (cubed: ``chunks``,
    ``spec``); none when its signature cannot be read."""
    try:
        params = inspect.signature(xp.asarray).parameters.values()
    except (TypeError, ValueError):
        return ()
    return tuple(p.name for p in params if p.kind is p.KEYWORD_ONLY
                 and p.name not in ("dtype", "device", "copy"))


def generic_backend(xp: Any) -> GenericBackend:
    """The generic backend of namespace ``xp`` (created once; no plugin involved).

    >>> import array_api_strict, ag_bridge
    >>> from ag_bridge._generic import generic_backend
    >>> b = generic_backend(array_api_strict)
    >>> b.name, b is generic_backend(array_api_strict), b.caps.mutable
    ('array_api_strict', True, True)
    """
    hit = _CACHE.get(id(xp))
    if hit is not None and hit[0] is xp:
        return hit[1]
    with _LOCK:
        hit = _CACHE.get(id(xp))
        if hit is not None and hit[0] is xp:
            return hit[1]
        name = library_name(xp)
        taken = {b.name for _, b in _CACHE.values()}
        if name in taken:  # two namespaces of one library
            name = getattr(xp, "__name__", name)
        base, k = name, 2
        while name in taken:  # marray 0.0.12 builds a new namespace at each `marray.numpy`
            name, k = f"{base}#{k}", k + 1
        b = GenericBackend(xp, name)
        _CACHE[id(xp)] = (xp, b)
        return b


def generic_backends() -> list[GenericBackend]:
    """The generic backends created so far in this process."""
    return [b for _, b in _CACHE.values()]
