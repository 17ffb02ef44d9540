"""Discovery and selection of backends.

A backend is found for what a user hands over:

* a registered plugin name (``"torch"``): the plugin of the entry-point group
  ``ag_bridge.backends``, registered under its library's import name;
* an array-API namespace module (``cubed.array_api``) or the name of an
  importable one (``"marray.numpy"``): the plugin of the library whose arrays
  that namespace makes, else the generic backend of the arrays' namespace;
* a raw array (:func:`backend_of`): a loaded backend that recognises it, else
  the plugin of its library, else the generic backend of its namespace
  (``__array_namespace__`` or array-api-compat's ``array_namespace``).

Lookup is by library and namespace, never by rewriting names. The choice of
where new arrays are created (``use_backend``, ``set_backend``,
``AG_BRIDGE_BACKEND``, ``AG_BRIDGE_DEVICE``) is kept in :mod:`ag_bridge._state`.
"""

from __future__ import annotations

import sys
import types
from collections.abc import Iterator
from contextlib import contextmanager
from importlib import import_module
from importlib.metadata import entry_points
from typing import Any

from ._backends import Backend
from ._generic import generic_backend, generic_backends
from ._state import DEFAULT, SELECTION, selection
from ._suggest import not_importable, unknown_backend

__all__ = [
    "available_backends", "load_backend", "backend_of", "resolve", "get_backend", "set_backend",
    "use_backend", "generic_backends", "register", "GROUP",
]

GROUP = "ag_bridge.backends"
_LOADED: dict[str, Backend] = {}  # plugins by entry-point name (= their library's import name)


def _entry_points() -> dict[str, Any]:
    return {ep.name: ep for ep in entry_points(group=GROUP)}


def available_backends() -> list[str]:
    """Names of the installed backend plugins whose library can be imported (generic
    backends in use: :func:`ag_bridge._select.generic_backends`)."""
    out = []
    for name in sorted(_entry_points()):
        try:
            load_backend(name)
        except (ImportError, AttributeError, ValueError):
            continue
        out.append(name)
    return out


def _plugin(name: str) -> Backend | None:
    """The plugin registered as ``name`` (loaded once), None when there is none."""
    b = _LOADED.get(name)
    if b is not None:
        return b
    ep = _entry_points().get(name)
    if ep is None:
        return None
    b = _LOADED[name] = ep.load()()
    if not b.library:
        b.library = name
    return b


def register(backend: Backend) -> Backend:
    """Make ``backend`` (an instance of a plugin class that is not installed, e.g. one
    under test) findable by its name and by its arrays for the rest of the process; the
    backend already registered under that name wins. Returns the registered one."""
    return _LOADED.setdefault(backend.name, backend)


def _of_namespace(xp: Any) -> Backend:
    """The plugin of the library whose arrays ``xp`` makes, else its generic backend."""
    try:
        probe = xp.asarray(0.0)
    except Exception as exc:
        raise TypeError(f"{getattr(xp, '__name__', xp)!r} is not an array API namespace "
                        f"(its asarray failed: {exc})") from None
    b = _known(probe)
    if b is not None:
        return b
    return generic_backend(_namespace_of(probe) or xp)


def resolve(spec: Any) -> Backend:
    """The backend for ``spec``: a Backend, a plugin name, a namespace module or the name of
    an importable one (see the module docstring); None is the current backend."""
    if spec is None:
        return get_backend()
    if isinstance(spec, Backend):
        return spec
    if isinstance(spec, str):
        try:
            b = _plugin(spec)
        except ImportError as exc:
            raise ValueError(not_importable(spec, exc)) from None
        if b is not None:
            return b
        try:
            spec = _import(spec)
        except (ImportError, AttributeError):
            raise ValueError(unknown_backend(spec, sorted(_entry_points()))) from None
    if isinstance(spec, types.ModuleType) or hasattr(spec, "__array_namespace_info__"):
        return _of_namespace(spec)
    raise TypeError(f"a backend is a plugin name, an array API namespace (module or module name) "
                    f"or an ag_bridge.Backend, not {type(spec).__name__}")


def _import(name: str) -> Any:
    """The module ``name``, or the attribute a package makes on demand (``marray.numpy``)."""
    try:
        return import_module(name)
    except ImportError:
        parent, _, attr = name.rpartition(".")
        if not parent:
            raise
        return getattr(_import(parent), attr)


def load_backend(name: Any) -> Backend:
    """The backend for ``name``: a plugin name, a namespace or its module name, a Backend."""
    return resolve(name)


def _namespace_of(raw: Any) -> Any:
    ns = getattr(raw, "__array_namespace__", None)
    if ns is not None and not isinstance(raw, type):
        try:
            return ns()
        except Exception:
            return None
    try:
        from array_api_compat import array_namespace

        return array_namespace(raw)
    except Exception:
        return None


def _known(raw: Any) -> Backend | None:
    """A loaded backend or an installed plugin that recognises ``raw`` (None: none)."""
    for b in list(_LOADED.values()):
        if b.is_array(raw):
            return b
    for b in generic_backends():
        if b.is_array(raw):
            return b
    for name in _entry_points():  # plugins of libraries already imported (raw's must be)
        if name in _LOADED or name not in sys.modules:
            continue
        try:
            b = _plugin(name)
        except (ImportError, AttributeError):
            continue
        if b is not None and b.is_array(raw):
            return b
    return None


def backend_of(raw: Any) -> Backend:
    """The backend of the raw array ``raw``: a plugin's, else the generic backend of its
    namespace. A ``TypeError`` names the type when ``raw`` is no array-API array."""
    b = _known(raw)
    if b is not None:
        return b
    ns = _namespace_of(raw)
    if ns is not None:
        return generic_backend(ns)
    raise TypeError(
        f"ag_bridge cannot use an object of type {type(raw).__module__}.{type(raw).__name__}: "
        "it accepts Python numbers and (nested) lists, ag_bridge.Array, and arrays of any library "
        "whose arrays have __array_namespace__ or that array_api_compat.array_namespace recognises"
    )


def get_backend() -> Backend:
    """The backend new arrays are created on (context-local choice, else default)."""
    cur = selection()
    b = cur[0]
    if not isinstance(b, Backend):  # AG_BRIDGE_BACKEND, resolved at first use
        b = resolve(b)
        if SELECTION.get() is None:
            DEFAULT.choice = (b, cur[1])
    return b


def set_backend(name: Any, device: Any = None) -> None:
    """Make ``name`` (a plugin name, namespace or module name) and ``device`` the default
    for the whole process."""
    DEFAULT.choice = (resolve(name), device)
    SELECTION.set(None)


@contextmanager
def use_backend(name: Any, device: Any = None) -> Iterator[Backend]:
    """Within the block (this context only), create arrays on ``name``/``device`` (a plugin
    name, an array API namespace or the name of one, or a Backend)."""
    b = resolve(name)
    token = SELECTION.set((b, device))
    try:
        yield b
    finally:
        SELECTION.reset(token)
