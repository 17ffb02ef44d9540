"""Conformance records of the main namespace's linear algebra functions and their
``linalg`` aliases (all accept complex input: checked in complex128 too)."""

from __future__ import annotations

from ._record import record

C = {"complex": True}

# matmul: 2-D, batched, broadcast batch dims, 1-D operands on either side, both 1-D
MM = lambda xp, a, b: xp.matmul(a, b)
record("matmul", MM, (3, 4), (4, 2), **C)
record("matmul", MM, (2, 3, 4), (2, 4, 5), label="batched", **C)
record("matmul", MM, (2, 1, 3, 4), (5, 4, 2), label="broadcast batch", **C)
record("matmul", MM, (4,), (4, 3), label="1-D,2-D", **C)
record("matmul", MM, (4,), (2, 4, 3), label="1-D,batched", **C)
record("matmul", MM, (3, 4), (4,), label="2-D,1-D", **C)
record("matmul", MM, (2, 3, 4), (4,), label="batched,1-D", **C)
record("matmul", MM, (4,), (4,), label="1-D,1-D", **C)
record("matmul", MM, (0, 4), (4, 2), label="empty", **C)
record("matmul", MM, (3, 0), (0, 2), label="empty inner", **C)
record("matmul", lambda xp, a, b: a @ b, (1, 3, 4), (2, 4, 2), label="operator @", **C)
LMM = lambda xp, a, b: xp.linalg.matmul(a, b)
record("linalg.matmul", LMM, (2, 3, 4), (4, 5), label="broadcast batch", **C)
record("linalg.matmul", LMM, (4,), (4, 3), label="1-D,2-D", **C)
record("linalg.matmul", LMM, (4,), (4,), label="1-D,1-D", **C)

# vecdot: conj(x1)·x2 over axis, broadcasting
record("vecdot", lambda xp, a, b: xp.vecdot(a, b), (2, 3), (2, 3), **C)
record("vecdot", lambda xp, a, b: xp.vecdot(a, b), (3,), (2, 3), label="broadcast", **C)
record("vecdot", lambda xp, a, b: xp.vecdot(a, b), (4,), (4,), label="1-D", **C)
record("vecdot", lambda xp, a, b: xp.vecdot(a, b, axis=-2), (3, 2), (4, 3, 1), label="axis=-2,broadcast", **C)
record("vecdot", lambda xp, a, b: xp.vecdot(a, b, axis=-1), (2, 0), (2, 0), label="empty axis", **C)
record("linalg.vecdot", lambda xp, a, b: xp.linalg.vecdot(a, b), (3,), (2, 3), label="broadcast", **C)
record("linalg.vecdot", lambda xp, a, b: xp.linalg.vecdot(a, b, axis=-2), (3, 2), (3, 2), label="axis=-2",
       **C)

# tensordot: int axes and pairs of sequences (incl. negative, unsorted), outer product
record("tensordot", lambda xp, a, b: xp.tensordot(a, b), (2, 3, 4), (3, 4, 2), label="axes=2", **C)
record("tensordot", lambda xp, a, b: xp.tensordot(a, b, axes=1), (3, 4), (4, 2), label="axes=1", **C)
record("tensordot", lambda xp, a, b: xp.tensordot(a, b, axes=0), (2,), (3, 2), label="axes=0", **C)
record("tensordot", lambda xp, a, b: xp.tensordot(a, b, axes=((0, 2), (1, 0))), (2, 3, 4), (4, 2, 5),
       label="((0,2),(1,0))", **C)
record("tensordot", lambda xp, a, b: xp.tensordot(a, b, axes=((-1,), (0,))), (3, 4), (4, 2, 2),
       label="((-1,),(0,))", **C)
record("tensordot", lambda xp, a, b: xp.tensordot(a, b, axes=((1, 0), (0, 1))), (3, 3), (3, 3),
       label="((1,0),(0,1)) full", **C)
record("tensordot", lambda xp, a, b: xp.tensordot(a, b, axes=1), (3, 0), (0, 2), label="empty", **C)
record("linalg.tensordot", lambda xp, a, b: xp.linalg.tensordot(a, b, axes=((0, 2), (1, 0))), (2, 3, 4),
       (4, 2, 5), label="((0,2),(1,0))", **C)
record("linalg.tensordot", lambda xp, a, b: xp.linalg.tensordot(a, b, axes=1), (3, 4), (4,), label="axes=1",
       **C)

# matrix_transpose
record("matrix_transpose", lambda xp, x: xp.matrix_transpose(x), (3, 4), **C)
record("matrix_transpose", lambda xp, x: xp.matrix_transpose(x), (2, 3, 4), **C)
record("matrix_transpose", lambda xp, x: x.mT, (2, 1, 3), label=".mT", **C)
record("matrix_transpose", lambda xp, x: xp.matrix_transpose(x), (0, 2), **C)
record("linalg.matrix_transpose", lambda xp, x: xp.linalg.matrix_transpose(x), (2, 3, 4), **C)

# matmul with a square operand on either side and on both (a dropped or extra transpose of either
# argument's cotangent keeps the shapes right only there), 2-D and batched with broadcast batch dims
record("matmul", MM, (3, 3), (3, 2), label="square,2-D", **C)
record("matmul", MM, (2, 3), (3, 3), label="2-D,square", **C)
record("matmul", MM, (3, 3), (3, 3), label="square,square", **C)
record("matmul", MM, (2, 3, 3), (2, 3, 4), label="batched square,batched", **C)
record("matmul", MM, (2, 4, 3), (3, 3), label="batched,square", **C)
record("matmul", MM, (2, 1, 3, 3), (4, 3, 3), label="batched square,broadcast batched square", **C)
