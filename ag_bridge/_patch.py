"""The patch helpers: a plugin's copy of its library's namespace, to repair functions
the library gets wrong without touching the library, and to put faster routes to the
same results in it (:func:`stands_for`)."""

from __future__ import annotations

import types
from collections.abc import Callable
from typing import Any

__all__ = ["derived_namespace", "stands_for"]



def derived_namespace(name: str, src: Any, doc: str) -> types.ModuleType:
    """A module copying ``src``'s public names (and the standard's dunders), for a
    plugin to patch functions its library gets wrong without touching the library."""
    mod = types.ModuleType(name, doc)
    for k in dir(src):
        if not k.startswith("__") or k in ("__array_namespace_info__", "__array_api_version__"):
            setattr(mod, k, getattr(src, k))
    return mod


def stands_for(f: Callable, fn: Callable) -> Callable:
    """``f``, a faster route to ``fn``'s results, dressed as ``fn``: its name and docstring,
    its signature (``__wrapped__``: ``inspect.signature`` reports ``fn``'s, or fails as it
    does), and marked ``speed_only`` (``fn``'s own results: ``conformance.reach`` does not
    sample it)."""
    f.__name__ = f.__qualname__ = getattr(fn, "__name__", f.__name__)
    f.__doc__ = fn.__doc__
    f.__wrapped__ = fn
    f.speed_only = True
    return f
