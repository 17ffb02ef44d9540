"""Conformance records of ``astype`` and of the array object's ``to_device``.

float64 -> float32 rounds, so those cases use a wide finite-difference step
and float32 tolerances. complex -> real (keeps the real part) is outside the
standard: array-api-strict refuses it.
"""

from __future__ import annotations

import array_api_compat

from ._record import record

C = {"complex": True}
F32 = {"eps": 1e-2, "rtol": 1e-4, "atol": 1e-5}


def _astype(name: str, **kw):
    return lambda xp, x: xp.astype(x, getattr(xp, name), **kw)


def _to_device(xp, x):
    # compat's helpers: torch tensors have no .to_device/.device-free path, ag_bridge Arrays do
    return array_api_compat.to_device(x, array_api_compat.device(x))


record("astype", _astype("float64"), (3, 4), label="3x4,float64")
record("astype", _astype("float64", copy=False), (2, 3), label="2x3,float64,copy=False")
record("astype", _astype("float32"), (3, 4), label="3x4,float64->float32", second_order=False, **F32)
record("astype", lambda xp, x: xp.astype(xp.astype(x, xp.float32), xp.float64) * x, (5,),
       label="through float32 and back", **F32)
record("astype", _astype("complex128"), (3, 4), label="3x4,->complex128", **C)
record("astype", _astype("complex128"), (), label="0d,->complex128", **C)
record("astype", _astype("complex128"), (0, 2), label="0x2,->complex128", **C)
# array-api-strict lacks this forward (expectations/array_api_strict.toml):
# the standard forbids casting complex to real (a TypeError there)
record("astype", _astype("float64"), (2, 3), label="complex->float64 (real part)", **C)
record("astype", lambda xp, x: xp.astype(x, x.dtype, device=array_api_compat.device(x)), (3,),
       label="device=", **C)
record("astype", lambda xp, x: xp.astype(x * x, xp.complex128) * 1j, (2, 2), label="chain", **C)

record("to_device", _to_device, (3, 4), label="3x4,same device", **C)
record("to_device", _to_device, (), label="0d,same device")
record("to_device", lambda xp, x: xp.sin(_to_device(xp, x * 2.0)), (2, 3), label="chain", **C)
