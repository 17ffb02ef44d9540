"""Turn a ``--backend`` argument into a loaded backend.

Accepted: an installed plugin name (``numpy``), an array-API namespace module
by name (``array_api_strict``; derived by ag_bridge's resolver where it
supports modules), or ``pkg.module:Class`` -- a :class:`ag_bridge.Backend`
subclass that is not installed, so an author can test a plugin before
packaging it. Every failure is a :class:`BackendSpecError` with a one-line
message saying what to do.

An installed plugin takes precedence over the generic backend for its library.
``generic=True`` (``ag-bridge conformance --generic``) bypasses it: a namespace
module (``array_api_strict``) is checked through the generic backend derived from
its namespace alone, named ``<module>.generic`` (so its column and its declared
gaps, ``conformance/expectations/<module>.generic.toml``, are its own).
"""

from __future__ import annotations

import importlib
from typing import Any

import ag_bridge
from ag_bridge._select import register
from ag_bridge._select import resolve as _resolve

__all__ = ["BackendSpecError", "resolve"]


class BackendSpecError(ValueError):
    """A ``--backend`` argument that names no usable backend."""


def _from_class(spec: str) -> Any:
    mod_name, _, cls_name = spec.partition(":")
    if not mod_name or not cls_name:
        raise BackendSpecError(f"backend {spec!r}: write pkg.module:BackendClass")
    try:
        mod = importlib.import_module(mod_name)
    except Exception as e:  # ImportError, or the module itself failing
        raise BackendSpecError(f"backend {spec!r}: cannot import {mod_name!r} ({type(e).__name__}: "
                               f"{str(e).splitlines()[0] if str(e) else ''}); check the module path "
                               "and PYTHONPATH") from None
    cls = getattr(mod, cls_name, None)
    if cls is None:
        raise BackendSpecError(f"backend {spec!r}: module {mod_name!r} has no attribute {cls_name!r}")
    if not (isinstance(cls, type) and issubclass(cls, ag_bridge.Backend)):
        raise BackendSpecError(f"backend {spec!r}: {cls_name} is not a subclass of ag_bridge.Backend "
                               "(subclass it and set name, xp and array_types)")
    try:
        b = cls()
    except Exception as e:
        raise BackendSpecError(f"backend {spec!r}: {cls_name}() raised {type(e).__name__}: {e}") from None
    if not isinstance(getattr(b, "name", None), str) or b.name in ("", "?"):
        raise BackendSpecError(f"backend {spec!r}: {cls_name} must set a class attribute name")
    # make it findable by name (use_backend, backend_of) for the rest of the process
    return register(b)


_GENERIC: dict = {}


def _generic(spec: str) -> Any:
    """The generic backend over the namespace module ``spec``, never its plugin (one per
    spec and process, outside the generic backends' cache: arrays of the library still
    find their plugin)."""
    if spec in _GENERIC:
        return _GENERIC[spec]
    from ag_bridge._generic import GenericBackend
    from ag_bridge._select import _import

    try:
        xp = _import(spec)
        probe = xp.asarray(0.0)
    except Exception as e:
        raise BackendSpecError(f"--generic backend {spec!r}: not an importable array API namespace "
                               f"({type(e).__name__}: {str(e).splitlines()[0] if str(e) else ''}); "
                               "pass a module name such as array_api_strict") from None
    ns = probe.__array_namespace__() if hasattr(probe, "__array_namespace__") else xp
    b = _GENERIC[spec] = GenericBackend(ns, f"{spec}.generic")
    return b


def resolve(spec: str, generic: bool = False) -> Any:
    """The loaded backend named by ``spec`` (see the module docstring); with ``generic``
    the generic backend over the namespace module ``spec``, even where a plugin exists."""
    if generic:
        return _generic(spec)
    if ":" in spec:
        return _from_class(spec)
    try:  # a plugin name, an array API namespace's module name (the generic backend)
        return _resolve(spec)
    except (ValueError, ImportError, AttributeError, TypeError) as e:
        first = str(e).splitlines()[0] if str(e) else type(e).__name__
        raise BackendSpecError(f"{first}; or pass pkg.module:BackendClass") from None
