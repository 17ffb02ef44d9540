"""The patch helper: a plugin's copy of its library's namespace, to repair functions
the library gets wrong without touching the library."""

from __future__ import annotations

import types
from typing import Any

__all__ = ["derived_namespace"]



def derived_namespace(name: str, src: Any, doc: str) -> types.ModuleType:
    """A module copying ``src``'s public names (and the standard's dunders), for a
    plugin to patch functions its library gets wrong without touching the library."""
    mod = types.ModuleType(name, doc)
    for k in dir(src):
        if not k.startswith("__") or k in ("__array_namespace_info__", "__array_api_version__"):
            setattr(mod, k, getattr(src, k))
    return mod
