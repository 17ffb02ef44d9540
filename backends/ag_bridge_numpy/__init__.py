"""ag_bridge backend plugin for NumPy (entry point ``numpy``).

Its namespace is array-api-compat's, with direct NumPy calls where array-api-compat's
function only adds Python frames (``_direct``).
"""

from __future__ import annotations

import sys
from typing import Any

import array_api_compat.numpy as _compat
import numpy as np

from ag_bridge import Backend as _Backend
from ag_bridge._patch import derived_namespace
from ag_bridge._refs import calibrate

from ._direct import broadcast_small
from ._direct import install as install_direct

__all__ = ["Backend"]


def _namespace() -> Any:
    ns = derived_namespace("ag_bridge_numpy.xp", _compat, "array_api_compat.numpy, with direct "
                           "NumPy calls for matmul, matrix_transpose, ones_like and reductions.")
    install_direct(ns, _compat)
    return ns


_xp = _namespace()
_ndarray = np.ndarray
_refcount = sys.getrefcount
#: elements from which a .grad write adopts the cotangent's memory instead of copying it
_ADOPT_MIN = 1 << 12


class Backend(_Backend):
    """NumPy arrays: mutable buffers, ``np.add.at`` scatter, CPU only."""

    name = "numpy"
    xp = _xp
    array_types = (np.ndarray, np.generic)
    mutable = True
    default_float = np.float32

    @property
    def rule_xp(self) -> Any:
        """The rules' namespace (:attr:`ag_bridge.Backend.rule_xp`), whose ``broadcast_to``
        gives small cotangents as new arrays (``_direct.broadcast_small``)."""
        ns = self._rule_xp
        if ns is None:  # built (or rebuilt after a reset) by the core, then patched once
            ns = _Backend.rule_xp.fget(self)
            ns.broadcast_to = broadcast_small
        return ns

    def coerce(self, raw: Any) -> Any:
        """NumPy returns scalars from full reductions; make them 0-d arrays."""
        return raw if raw.__class__ is _ndarray else np.asarray(raw)

    def device(self, raw: Any) -> str:
        return "cpu"

    def to_numpy(self, raw: Any) -> np.ndarray:
        return np.array(raw, copy=True)

    def zeros_like(self, raw: Any) -> np.ndarray:
        return np.zeros_like(raw)

    #: what getrefcount shows of an array held by one Array's slot, passed here from the
    #: slot (4 on CPython 3.10, 3 on 3.11-3.13, 2 on 3.14), and of a cotangent only the backward
    #: pass holds, in write_into: measured at import (ag_bridge._refs; 0 turns reuse off)
    refs_exclusive = refs_adopt = 0

    def exclusive(self, raw: Any) -> bool:
        # Called as backend.exclusive(array._data): the slot and this call's references
        # (refs_exclusive). Any view, saved graph value or other Array adds one (views
        # hold their base).
        return raw.base is None and _refcount(raw) <= self.refs_exclusive and raw.flags.writeable

    def write_into(self, buf: Any, value: Any) -> Any:
        # The backward pass hands over its last reference to the cotangent (apply's
        # local: refs_adopt with this call's). When nothing else refers to either array
        # (no view of the buffer, no unwrap() of it kept by the user: the .grad slot and
        # this call's references, refs_exclusive), no one can tell the buffer was
        # replaced: the .grad Array keeps the cotangent's memory instead of copying it.
        # Small ones are copied (cheaper than the checks).
        if (value.__class__ is _ndarray and value.size >= _ADOPT_MIN
                and _refcount(value) <= self.refs_adopt and _refcount(buf) <= self.refs_exclusive
                and value.base is None and buf.base is None
                and value.dtype == buf.dtype and value.shape == buf.shape
                and value.flags.writeable and value.flags.c_contiguous):
            return value
        np.copyto(buf, value)
        return buf

    def index_set(self, a: Any, key: Any, v: Any) -> np.ndarray:
        out = np.array(a, copy=True)
        out[key] = v
        return out

    def index_add(self, a: Any, key: Any, v: Any) -> np.ndarray:
        out = np.array(a, copy=True)
        np.add.at(out, key, v)
        return out

    def special_function(self, name: str) -> Any:
        """``scipy.special`` (when SciPy is installed), with SciPy's signatures (``xp.special``)."""
        from ag_bridge._special import library_function

        return library_function("scipy", name)


calibrate(Backend(), lambda: np.empty(_ADOPT_MIN), lambda a: a.ctypes.data)
