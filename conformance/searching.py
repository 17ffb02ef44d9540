"""Conformance records of ``where``: conditions made with ``xp.asarray`` (on the
operand's device),
broadcasting among condition, x1 and x2, 0-d and empty operands, and Python
scalars for x1 or x2."""

from __future__ import annotations

from array_api_compat import device

from ._record import record

C = {"complex": True}
T, F = True, False


def _where(cond):
    return lambda xp, a, b: xp.where(xp.asarray(cond, device=device(a)), a, b)


record("where", _where([[T, F, T], [F, F, T]]), (2, 3), (2, 3), label="2x3", **C)
record("where", _where([T, F, T]), (2, 3), (3,), label="cond 3,2x3,3", **C)
record("where", _where([[T], [F]]), (1, 3), (2, 1), label="cond 2x1,1x3,2x1", **C)
record("where", _where([[T, F, T], [F, T, T]]), (), (3,), label="cond 2x3,0d,3", **C)
record("where", _where(True), (2, 2), (), label="cond 0d,2x2,0d", **C)
record("where", _where([T, F]), (0, 2), (2,), label="cond 2,0x2,2", **C)
record("where", lambda xp, a: xp.where(xp.asarray([T, F, T, F], device=device(a)), a, 0.5), (4,),
       label="x,0.5", **C)
record("where", lambda xp, b: xp.where(xp.asarray([[T, F], [F, F]], device=device(b)), -1.5, b), (2, 2),
       label="-1.5,x", **C)
record("where", lambda xp, a: xp.where(a > 0, a, 0.0), (3, 4), label="relu-like")
