"""Conformance records of ``diff``: n, axis (negative too), prepend/append
as recorded arrays (slots 1 and 2) or constants, and outputs that are empty."""

from __future__ import annotations

from array_api_compat import device

from ._record import Input, record

C = {"complex": True}


def _diff(**kw):
    return lambda xp, x: xp.diff(x, **kw)


record("diff", _diff(), (5,), **C)
record("diff", _diff(n=2), (6,), label="6,n=2", **C)
record("diff", _diff(axis=0), (4, 3), label="4x3,axis=0", **C)
record("diff", _diff(axis=-2, n=3), (2, 5, 3), label="2x5x3,axis=-2,n=3", **C)
record("diff", _diff(axis=1), (0, 4), label="0x4,axis=1")
record("diff", _diff(n=3), (3,), label="3,n=3 (empty output)")
record("diff", _diff(n=5), (3,), label="3,n=5 (empty output)")
record("diff", lambda xp, x, p, a: xp.diff(x, axis=1, prepend=p, append=a),
       (3, 4), (3, 1), (3, 2), label="prepend,append", **C)
record("diff", lambda xp, x, p, a: xp.diff(x, axis=0, n=2, prepend=p, append=a),
       (4, 2), (2, 2), (1, 2), label="prepend,append,axis=0,n=2", **C)
record("diff", lambda xp, x, a: xp.diff(x, n=4, append=a), (2,), (3,), label="append,n=4")
# n=0: the result is x alone; prepend/append (of other shapes) get zero (issue 14)
record("diff", lambda xp, x, p, a: xp.diff(x, n=0, prepend=p, append=a), (4,), (2,), (3,),
       label="n=0,prepend,append", **C)
record("diff", lambda xp, x: xp.diff(x, prepend=xp.zeros((3, 1), dtype=x.dtype, device=device(x))), (3, 4),
       label="constant prepend")
record("diff", lambda xp, p: xp.diff(xp.asarray([[1.0, 2.0], [0.5, -1.0]], dtype=p.dtype, device=device(p)),
                                     axis=0, prepend=p), Input((1, 2)), label="only prepend recorded")
