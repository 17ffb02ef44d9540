"""Portable functions: standard-built replacements for namespace functions a library
gets wrong or offers without one of the standard's keywords.

Chosen by the capabilities :func:`ag_bridge._portable.probe` finds (never by a
library's name), applied to a copy of the library's namespace
(:func:`repaired_namespace`; the library itself is never touched):

* ``take`` (``caps.take``): cubed 0.27 returns its input unchanged when the index
  is as long as the axis; the portable gather (:func:`ag_bridge._portable_keys.gather`)
  replaces it. A wrong number is worse than a slower one.
* ``sort``/``argsort`` without ``descending=`` (``caps.descending``; marray 0.0.12
  exposes NumPy's signature): the descending order is built from the ascending
  one with ``flip``. ``sort``'s values are the flipped ascending sort (ties hold
  equal values, so stability does not show); ``argsort`` sorts the flipped array
  stably and maps the indices back, ``n - 1 - flip(argsort(flip(x)))``, which keeps
  tied elements in their original order as the standard's stable descending sort does.
  Elements a masked library sorts last in ascending order (marray's masked ones)
  come first.
* ``arange`` where the library has none (sparse 0.19): a Python range through
  ``asarray`` (:func:`ag_bridge._portable.standard_arange`); the indexing rules count
  with it.
* the array object's ``to_device`` (``caps.to_device``; marray 0.0.12's moves the
  array in place and returns None): :func:`to_device` is ``asarray(x, device=)``.
"""

from __future__ import annotations

from typing import Any

from ._patch import derived_namespace
from ._portable import standard_arange
from ._portable_keys import gather

__all__ = ["repaired_namespace", "to_device"]


def repaired_namespace(xp: Any, backend: Any) -> Any:
    """``xp``, or a copy of it with the functions the probe found wrong or incomplete
    replaced (see the module docstring); ``backend.caps`` holds the probe's findings."""
    caps = backend.caps
    fixes = {}
    if "take" in caps.functions and not caps.take:
        fixes["take"] = _take(xp, backend)
    if {"sort", "argsort", "flip"} <= caps.functions and not caps.descending:
        fixes["sort"], fixes["argsort"] = _sort(xp), _argsort(xp)
    if "arange" not in caps.functions:
        fixes["arange"] = standard_arange(xp)
    if not fixes:
        return xp
    # named as the library's namespace: messages and reprs name the library, not this copy
    name = getattr(xp, "__name__", backend.name)
    fixed = derived_namespace(name, xp, f"{name} with portable {', '.join(sorted(fixes))}")
    for k, fn in fixes.items():
        setattr(fixed, k, fn)
    return fixed


def _take(xp: Any, backend: Any) -> Any:
    def take(x: Any, indices: Any, /, *, axis: int | None = None) -> Any:
        if axis is None:
            if x.ndim != 1:
                raise ValueError(f"take(): axis is required for a {x.ndim}-d array (the standard)")
            axis = 0
        n = x.shape[axis]
        ids = xp.where(indices < 0, indices + n, indices)
        out = gather(xp, xp.moveaxis(x, axis, -1), ids, n, backend.caps, backend.device(x))
        return xp.moveaxis(out, -1, axis)

    return take


def _sort(xp: Any) -> Any:
    def sort(x: Any, /, *, axis: int = -1, descending: bool = False, stable: bool = True) -> Any:
        out = xp.sort(x, axis=axis, stable=stable)
        return xp.flip(out, axis=axis) if descending else out

    return sort


def _argsort(xp: Any) -> Any:
    def argsort(x: Any, /, *, axis: int = -1, descending: bool = False, stable: bool = True) -> Any:
        if not descending:
            return xp.argsort(x, axis=axis, stable=stable)
        i = xp.argsort(xp.flip(x, axis=axis), axis=axis, stable=True)
        return (x.shape[axis] - 1) - xp.flip(i, axis=axis)

    return argsort


def to_device(backend: Any, x: Any, device: Any, /, *, stream: Any = None) -> Any:
    """``x`` on ``device``: array-api-compat's helper, or where the array's own
    ``to_device`` does not return the moved array (``caps.to_device``) the standard's
    ``asarray(x, device=device)``."""
    if backend.caps.to_device:
        from array_api_compat import to_device as compat_to_device

        return compat_to_device(x, device, stream=stream)
    return backend.xp.asarray(x, device=device)
