"""The libraries tested through the generic backend only (no plugin of ours).

Each entry gives the namespace and how to make the library's arrays from
NumPy data. array-api-strict has a plugin; here its generic backend is used
explicitly, so the plugin is bypassed (the purist check).
"""

from __future__ import annotations

import importlib

import ag_bridge
from ag_bridge._generic import generic_backend

#: library -> (namespace module name, name of its declared-gaps file)
LIBRARIES = {
    "marray": ("marray.numpy", "marray"),
    "cubed": ("cubed.array_api", "cubed"),
    "sparse": ("sparse", "sparse"),
    "array_api_strict": ("array_api_strict", "array_api_strict.generic"),
}


def installed() -> list[str]:
    """The libraries of :data:`LIBRARIES` that can be imported here."""
    out = []
    for lib in LIBRARIES:
        try:
            importlib.import_module(lib)
        except ImportError:
            continue
        out.append(lib)
    return out


def namespace_module(lib: str):
    """The library's array API namespace module."""
    from ag_bridge._select import _import

    return _import(LIBRARIES[lib][0])


def backend(lib: str) -> ag_bridge.Backend:
    """The generic backend of ``lib`` (never a plugin)."""
    xp = namespace_module(lib)
    return generic_backend(type(xp.asarray(0.0)).__array_namespace__(xp.asarray(0.0)))


def make(lib: str, data):
    """A raw array of ``lib`` holding ``data`` (NumPy or Python data)."""
    return namespace_module(lib).asarray(data)
