"""Conformance records of the manipulation functions (all linear: complex checked too).

Keys cover every index (``...`` where needed): array-api-strict rejects
partial keys. Constant operands are made inside the case functions.
"""

from __future__ import annotations

from ._record import record

C = {"complex": True}

# broadcast_arrays: var-positional, one output per input
record("broadcast_arrays", lambda xp, a, b: xp.broadcast_arrays(a, b), (2, 1), (1, 3), **C)
record("broadcast_arrays", lambda xp, a, b, c: xp.broadcast_arrays(a, b, c), (3,), (2, 3), (), **C)
record("broadcast_arrays", lambda xp, a: xp.broadcast_arrays(a), (2, 3), label="one array", **C)
record("broadcast_arrays", lambda xp, a: xp.broadcast_arrays(a, xp.ones((4, 1, 1), dtype=a.dtype)),
       (2, 3), label="with a constant", **C)
record("broadcast_arrays", lambda xp, a, b: xp.broadcast_arrays(a, b), (0, 1), (3,), **C)

# broadcast_to
record("broadcast_to", lambda xp, x: xp.broadcast_to(x, (2, 3)), (3,), **C)
record("broadcast_to", lambda xp, x: xp.broadcast_to(x, (4, 2, 3)), (2, 1), **C)
record("broadcast_to", lambda xp, x: xp.broadcast_to(x, (2, 2)), (), **C)
record("broadcast_to", lambda xp, x: xp.broadcast_to(x, shape=(3, 0)), (1, 0), **C)

# concat: sequence input, axis incl. negative and None
record("concat", lambda xp, a, b: xp.concat([a, b]), (2, 3), (1, 3), **C)
record("concat", lambda xp, a, b: xp.concat((a, b), axis=-1), (2, 1), (2, 3), label="axis=-1", **C)
record("concat", lambda xp, a, b: xp.concat([a, b], axis=None), (2, 2), (3,), label="axis=None", **C)
record("concat", lambda xp, a, b, c: xp.concat([a, b, c], axis=1), (2, 1, 2), (2, 3, 2), (2, 2, 2),
       label="three,axis=1", **C)
record("concat", lambda xp, a: xp.concat([xp.zeros((1, 3), dtype=a.dtype), a, a]), (2, 3),
       label="constant and repeated", **C)
record("concat", lambda xp, a, b: xp.concat([a, b]), (0, 3), (2, 3), **C)

# expand_dims: int and tuple axis
record("expand_dims", lambda xp, x: xp.expand_dims(x, axis=0), (3, 4), label="axis=0", **C)
record("expand_dims", lambda xp, x: xp.expand_dims(x, axis=-1), (3, 4), label="axis=-1", **C)
record("expand_dims", lambda xp, x: xp.expand_dims(x, axis=(0, -1)), (3, 4), label="axis=(0,-1)", **C)
record("expand_dims", lambda xp, x: xp.expand_dims(x, axis=0), (), **C)
record("expand_dims", lambda xp, x: xp.expand_dims(x, axis=1), (0, 2), **C)

# flip
record("flip", lambda xp, x: xp.flip(x), (3, 4), label="axis=None", **C)
record("flip", lambda xp, x: xp.flip(x, axis=0), (3, 4), label="axis=0", **C)
record("flip", lambda xp, x: xp.flip(x, axis=(0, -1)), (2, 3, 4), label="axis=(0,-1)", **C)
record("flip", lambda xp, x: xp.flip(x), (), **C)
record("flip", lambda xp, x: xp.flip(x, axis=-1), (0, 3), **C)

# moveaxis
record("moveaxis", lambda xp, x: xp.moveaxis(x, 0, -1), (2, 3, 4), label="0->-1", **C)
record("moveaxis", lambda xp, x: xp.moveaxis(x, (0, 1), (-1, 0)), (2, 3, 4), label="(0,1)->(-1,0)", **C)
record("moveaxis", lambda xp, x: xp.moveaxis(x, -1, 0), (0, 3), **C)

# permute_dims (negative axes)
record("permute_dims", lambda xp, x: xp.permute_dims(x, (2, 0, 1)), (2, 3, 4), label="(2,0,1)", **C)
# negative axes are beyond the standard (a permutation of 0..N-1); every backend accepts them
record("permute_dims", lambda xp, x: xp.permute_dims(x, (-1, 0, -2)), (2, 3, 4), label="(-1,0,-2)", **C)
record("permute_dims", lambda xp, x: xp.permute_dims(x, ()), (), **C)
record("permute_dims", lambda xp, x: xp.permute_dims(x, (1, 0)), (0, 3), **C)

# repeat: int and array repeats, axis None
record("repeat", lambda xp, x: xp.repeat(x, 2), (2, 3), label="2,axis=None", **C)
record("repeat", lambda xp, x: xp.repeat(x, 3, axis=1), (2, 3), label="3,axis=1", **C)
record("repeat", lambda xp, x: xp.repeat(x, 3), (), label="0d", **C)
record("repeat", lambda xp, x: xp.repeat(x, xp.asarray([1, 0, 2]), axis=0), (3, 2), label="array,axis=0",
       **C)
record("repeat", lambda xp, x: xp.repeat(x, xp.asarray([2, 1, 3, 1]), axis=-1), (2, 4),
       label="array,axis=-1", **C)
record("repeat", lambda xp, x: xp.repeat(x, xp.asarray([1, 2, 0, 3, 1, 1])), (2, 3), label="array,axis=None",
       **C)
record("repeat", lambda xp, x: xp.repeat(x, 0, axis=0), (3, 2), label="0,axis=0", **C)
record("repeat", lambda xp, x: xp.repeat(x, 2, axis=0), (0, 2), **C)

# reshape
record("reshape", lambda xp, x: xp.reshape(x, (2, 6)), (3, 4), **C)
record("reshape", lambda xp, x: xp.reshape(x, shape=(-1,)), (2, 3), label="-1", **C)
record("reshape", lambda xp, x: xp.reshape(x, (1, 1)), (), **C)
record("reshape", lambda xp, x: xp.reshape(x, (3, 0)), (0, 3), **C)

# roll: multi-axis, axis None
record("roll", lambda xp, x: xp.roll(x, 2), (5,), label="2", **C)
record("roll", lambda xp, x: xp.roll(x, (1, -2), axis=(0, 1)), (3, 4), label="(1,-2),axis=(0,1)", **C)
record("roll", lambda xp, x: xp.roll(x, shift=3), (3, 4), label="3,axis=None", **C)
record("roll", lambda xp, x: xp.roll(x, -1, axis=-1), (2, 3), label="-1,axis=-1", **C)
record("roll", lambda xp, x: xp.roll(x, 1, axis=0), (0, 2), **C)

# squeeze
record("squeeze", lambda xp, x: xp.squeeze(x, axis=0), (1, 3, 1), label="axis=0", **C)
record("squeeze", lambda xp, x: xp.squeeze(x, axis=(0, -1)), (1, 3, 1), label="axis=(0,-1)", **C)
record("squeeze", lambda xp, x: xp.squeeze(x, 0), (1,), label="to 0d", **C)
record("squeeze", lambda xp, x: xp.squeeze(x, axis=1), (0, 1), **C)

# stack
record("stack", lambda xp, a, b: xp.stack([a, b]), (2, 3), (2, 3), **C)
record("stack", lambda xp, a, b: xp.stack((a, b), axis=-1), (2, 3), (2, 3), label="axis=-1", **C)
record("stack", lambda xp, a, b, c: xp.stack([a, b, c]), (), (), (), **C)
record("stack", lambda xp, a: xp.stack([a, xp.ones((2, 3), dtype=a.dtype), a], axis=1), (2, 3),
       label="constant and repeated,axis=1", **C)
record("stack", lambda xp, a, b: xp.stack([a, b], axis=1), (0, 2), (0, 2), **C)

# tile: reps longer and shorter than ndim
record("tile", lambda xp, x: xp.tile(x, (2, 1)), (2, 3), label="(2,1)", **C)
record("tile", lambda xp, x: xp.tile(x, (2, 1, 3)), (2, 3), label="longer (2,1,3)", **C)
record("tile", lambda xp, x: xp.tile(x, (2,)), (2, 3), label="shorter (2,)", **C)
record("tile", lambda xp, x: xp.tile(x, (3,)), (), label="0d", **C)
record("tile", lambda xp, x: xp.tile(x, (2, 0)), (2, 3), label="(2,0)", **C)

# unstack: multi-output
record("unstack", lambda xp, x: xp.unstack(x), (3, 4), **C)
record("unstack", lambda xp, x: xp.unstack(x, axis=-1), (3, 4), label="axis=-1", **C)
record("unstack", lambda xp, x: xp.unstack(x, axis=1), (3, 1, 2), label="axis=1", **C)
record("unstack", lambda xp, x: xp.unstack(x), (2,), **C)
record("unstack", lambda xp, x: xp.unstack(x)[1], (3, 2), label="one output used", **C)
