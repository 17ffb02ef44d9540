"""Importing this package fills the rule registry (one module per chapter)."""

from __future__ import annotations

from importlib import import_module

from .._registry import freeze

MODULES = (
    "elementwise", "creation", "data_type", "indexing", "linear_algebra", "manipulation",
    "searching", "sorting", "statistical", "utility", "linalg", "fft", "special", "extras",
)

for _name in MODULES:
    try:
        import_module(f"{__name__}.{_name}")
    except ModuleNotFoundError as _exc:  # a chapter without rules yet
        if _exc.name != f"{__name__}.{_name}":
            raise
freeze()
