"""Turn a ``--backend`` argument into a loaded backend.

Accepted: an installed plugin name (``numpy``), an array-API namespace module
by name (``array_api_strict``; derived by ag_bridge's resolver where it
supports modules), or ``pkg.module:Class`` -- a :class:`ag_bridge.Backend`
subclass that is not installed, so an author can test a plugin before
packaging it. Every failure is a :class:`BackendSpecError` with a one-line
message saying what to do.
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


def resolve(spec: str) -> Any:
    """The loaded backend named by ``spec`` (see the module docstring)."""
    if ":" in spec:
        return _from_class(spec)
    try:  # a plugin name, an array API namespace's module name (the generic backend)
        return _resolve(spec)
    except (ValueError, ImportError, AttributeError, TypeError) as e:
        first = str(e).splitlines()[0] if str(e) else type(e).__name__
        raise BackendSpecError(f"{first}; or pass pkg.module:BackendClass") from None
