"""ag_bridge backend plugin for array-api-strict (entry point ``array_api_strict``).

array-api-strict is the standard and nothing more, so the engine's generic
defaults (:mod:`ag_bridge._portable`) do all the work: its probed capabilities
route integer-array keys through flat ids and scatter-adds through sorted
segment sums, and ``__setitem__`` only ever sees keys without arrays. What
differs from the generic backend is only how devices are named: ag_bridge's
``'cpu'`` (``AG_BRIDGE_DEVICE=cpu``) and strict's own names (``'device1'``)
become ``array_api_strict.Device`` objects.
"""

from __future__ import annotations

from typing import Any

import array_api_strict as _xp

from ag_bridge import Backend as _Backend

__all__ = ["Backend"]


class Backend(_Backend):
    """array-api-strict arrays: the bare standard; device names translated."""

    name = "array_api_strict"
    xp = _xp
    array_types = (type(_xp.asarray(0)),)
    mutable = True
    default_float = _xp.float32

    def device(self, raw: Any) -> Any:
        return raw.device

    def asarray(self, obj: Any, dtype: Any = None, device: Any = None) -> Any:
        if isinstance(device, str):  # AG_BRIDGE_DEVICE=cpu (or strict's names: device1, ...)
            device = _xp.Device("CPU_DEVICE" if device.lower() == "cpu" else device)
        return super().asarray(obj, dtype=dtype, device=device)
