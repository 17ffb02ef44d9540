"""Conformance records of the creation functions that take arrays:
``asarray`` (of a recorded array: identity, dtype cast, copy), ``meshgrid``
('xy'/'ij', one to three inputs, one cotangent per output), ``tril``/``triu``
(offsets k, batches, non-square and empty matrices)."""

from __future__ import annotations

import array_api_compat

from ._record import record

C = {"complex": True}
F32 = {"eps": 1e-2, "rtol": 1e-4, "atol": 1e-5, "second_order": False}

record("asarray", lambda xp, x: xp.asarray(x), (3, 4), label="3x4", **C)
record("asarray", lambda xp, x: xp.asarray(x, copy=True), (2, 3), label="2x3,copy=True", **C)
record("asarray", lambda xp, x: xp.asarray(x, dtype=xp.float64), (), label="0d,float64")
record("asarray", lambda xp, x: xp.asarray(x, dtype=xp.complex128), (3,), label="3,complex128", **C)
record("asarray", lambda xp, x: xp.asarray(x, dtype=xp.float32), (2, 2), label="2x2,float32", **F32)
record("asarray", lambda xp, x: xp.asarray(x, device=array_api_compat.device(x)), (0, 3), label="0x3,device")
record("asarray", lambda xp, x: xp.asarray(x, copy=True) * x, (4,), label="copy used twice", **C)


def _mesh(indexing: str):
    return lambda xp, *xs: xp.meshgrid(*xs, indexing=indexing)


for ix in ("xy", "ij"):
    record("meshgrid", _mesh(ix), (3,), (4,), label=f"3,4,{ix}", **C)
    record("meshgrid", _mesh(ix), (2,), (3,), (4,), label=f"2,3,4,{ix}", **C)
    record("meshgrid", _mesh(ix), (3,), label=f"3,{ix}", **C)
    record("meshgrid", _mesh(ix), (0,), (2,), label=f"0,2,{ix}")
record("meshgrid", lambda xp, x, y: xp.meshgrid(x, y)[1], (2,), (3,), label="one output used")
record("meshgrid", lambda xp, x: xp.meshgrid(x, xp.asarray([1.0, 2.0], dtype=x.dtype,
                                                           device=array_api_compat.device(x))), (3,),
       label="one recorded input")

for op in ("tril", "triu"):
    for shape, k in (((4, 4), 0), ((3, 5), 1), ((5, 3), -1), ((2, 3, 4), 0), ((2, 3, 3), -2),
                     ((3, 4), 5), ((0, 3), 0)):
        record(op, lambda xp, x, op=op, k=k: getattr(xp, op)(x, k=k), shape,
               label=f"{'x'.join(map(str, shape))},k={k}", **C)
