"""Conformance records of ``sort`` (distinct values: at ties the gradient
routing is a convention that finite differences cannot see)."""

from __future__ import annotations

from ._record import Input, record


def _sort(**kw):
    return lambda xp, x: xp.sort(x, **kw)


D = "distinct"
record("sort", _sort(), Input((6,), kind=D))
record("sort", _sort(descending=True, stable=False), Input((5,), kind=D), label="5,descending,unstable")
record("sort", _sort(), Input((0,), kind=D), label="0")
record("sort", _sort(axis=0), Input((4, 3), kind=D), label="4x3,axis=0")
record("sort", _sort(descending=True), Input((3, 5), kind=D), label="3x5,descending")
record("sort", _sort(axis=1, stable=False), Input((2, 4, 3), kind=D), label="2x4x3,axis=1,unstable")
record("sort", _sort(axis=-3, descending=True), Input((3, 2, 2), kind=D), label="3x2x2,axis=-3,descending")
record("sort", _sort(), Input((0, 3), kind=D), label="0x3")
record("sort", _sort(axis=0), Input((1, 4), kind=D), label="1x4,axis=0")
