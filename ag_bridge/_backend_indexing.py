"""Indexing a backend's raw arrays: reading, writing and scatter-adding at a key.

:class:`Indexing` holds the defaults :class:`ag_bridge.Backend` gives for these.
They use the standard only: keys the library rejects or reads otherwise than
NumPy are translated by :mod:`ag_bridge._portable_keys`, writes and scatter-adds
on libraries without in-place writes (or integer-array ``__setitem__``, which the
standard does not require) go through :mod:`ag_bridge._portable_scatter`, each
chosen by the capabilities probed once per library (``backend.caps``). A plugin
overrides them with its library's own scatter-add (``np.add.at``,
``index_put_(accumulate=True)``, ``.at[].add``). It is a part of ``Backend``: its
methods use the backend's ``xp``, ``caps``, ``mutable`` and array predicates.
"""

from __future__ import annotations

from typing import Any

from . import _portable_keys, _portable_scatter

__all__ = ["Indexing"]


class Indexing:
    """``getitem``, ``setitem``, ``index_set`` and ``index_add`` of raw arrays (mixed
    into :class:`ag_bridge.Backend`)."""

    xp: Any
    array_types: tuple
    mutable: bool | None

    def getitem(self, raw: Any, key: Any) -> Any:
        """``raw[key]`` with NumPy's meaning: negative steps become a ``flip`` where the
        library refuses them, a mask over leading axes one over all axes where it fails
        on those, integer-array keys flat ids and ``take`` where its own
        indexing is not NumPy's (``caps``)."""
        caps = self.caps
        if not caps.negative_steps:
            axes, key = _portable_keys.flip_key(tuple(raw.shape), key, self._is_bool_index)
            if axes:
                raw = self.xp.flip(raw, axis=axes)
        if not caps.mask_prefix:
            full = _portable_keys.full_mask(self.xp, tuple(raw.shape), key, self._is_bool_index)
            if full is not None:
                return self.xp.reshape(raw[full[0]], full[1])
        if not caps.implicit_axes and _portable_keys.is_basic(key):
            key = _portable_keys.complete(key)
        elif caps.index_arrays != "numpy" and not _portable_keys.is_basic(key):
            out = _portable_keys.flat_getitem(self.xp, raw, key, self.array_types, self.device(raw), caps)
            if out is not None:
                return out
        return raw[key]

    def _is_bool_index(self, k: Any) -> bool:
        return self.is_array(k) and self.is_bool(k.dtype)

    def setitem(self, raw: Any, key: Any, value: Any) -> Any:
        """``raw[key] = value`` in place on an array nothing else refers to
        (see :meth:`exclusive`); returns the array now holding the result."""
        if not (self.mutable and _portable_keys.is_basic(key)):
            return self.index_set(raw, key, value)
        raw[key] = value
        return raw

    def index_set(self, a: Any, key: Any, v: Any) -> Any:
        """``a`` with ``a[key] = v``, as a new array (``a`` is not changed); portable
        fallback :func:`ag_bridge._portable_scatter.index_set` (no integer-array ``__setitem__``)."""
        return _portable_scatter.index_set(self, a, key, v)

    def index_add(self, a: Any, key: Any, v: Any) -> Any:
        """``a`` plus ``v`` scattered at ``key``; duplicate indices accumulate. Portable
        fallback :func:`ag_bridge._portable_scatter.index_add`; plugins use the library's scatter-add."""
        return _portable_scatter.index_add(self, a, key, v)
