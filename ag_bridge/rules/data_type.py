"""VJPs of ``astype`` and of the array object's ``to_device``.

Both are identities on the values: the cotangent goes back unchanged and the
engine casts it to the input's dtype (float64 -> float32; real -> complex
takes the real part of ``g``; complex -> real, which keeps the real part,
sends ``g + 0j`` back). When the forward moved the data (``to_device``,
``astype(..., device=)``) the cotangent moves back to the input's device.
"""

from __future__ import annotations

from .._registry import defvjp


def back_to_device(xp, g, x):
    """``g`` on ``x``'s device (``asarray(device=)`` moves data in the standard)."""
    dev = getattr(x, "device", None)  # Dask arrays have no .device: CPU only
    if dev is None or getattr(g, "device", None) == dev:
        return g
    return xp.asarray(g, device=dev)


def _astype(xp, g, ans, x, dtype, /, *, copy=True, device=None):
    return g if device is None else back_to_device(xp, g, x)


defvjp("astype", _astype)
defvjp("to_device", lambda xp, g, ans, x, device, /, *, stream=None: back_to_device(xp, g, x))
