"""VJPs of the standard's manipulation functions.

Each is the adjoint of a linear map, so no ``conj`` appears: the cotangent is
moved back the way the data came (reshape back, flip back, roll back, split a
concatenation, sum the copies of ``repeat``/``tile``). Broadcasting
(``broadcast_to``, ``broadcast_arrays``) is undone by the engine.
"""

from __future__ import annotations

import math

from .._registry import defvjp, defvjp_joint
from .indexing import along_key


def _back_shape(xp, g, ans, x, /, *args, **kwargs):
    """reshape, squeeze, expand_dims: the same elements in the same order."""
    return xp.reshape(g, tuple(x.shape))


def _concat(xp, g, ans, arrays, /, *, axis=0):
    if axis is None:
        g, ax = xp.reshape(g, (-1,)), 0
    else:
        ax = axis % ans.ndim
    out, start = [], 0
    for a in arrays:
        n = math.prod(a.shape) if axis is None else a.shape[ax]
        piece = g[(slice(None),) * ax + (slice(start, start + n), ...)]
        out.append(xp.reshape(piece, tuple(a.shape)) if axis is None else piece)
        start += n
    return tuple(out)


def _permute_dims(xp, g, ans, x, /, axes):
    inv = [0] * len(axes)
    for i, a in enumerate(axes):
        inv[a % len(axes)] = i
    return xp.permute_dims(g, tuple(inv))


def _repeat(xp, g, ans, x, repeats, /, *, axis=None):
    """Sum the copies of each element: a reshape-sum for an int, a scatter-add by segment ids
    (``repeat(arange(n), repeats)``) for an array of repeats."""
    shape = tuple(x.shape) if axis is not None else (math.prod(x.shape),)
    ax = 0 if axis is None else axis % x.ndim
    if isinstance(repeats, int):
        g = xp.reshape(g, shape[:ax + 1] + (repeats,) + shape[ax + 1:])
        return xp.reshape(xp.sum(g, axis=ax + 1), tuple(x.shape))
    seg = xp.repeat(xp.arange(shape[ax], dtype=repeats.dtype, device=getattr(repeats, "device", None)),
                    repeats)
    seg = xp.reshape(seg, tuple(-1 if d == ax else 1 for d in range(len(shape))))
    z = xp.reshape(xp.zeros_like(x), shape)
    return xp.reshape(xp._index_add(z, along_key(xp, shape, ax, seg), g), tuple(x.shape))


def _roll(xp, g, ans, x, /, shift, *, axis=None):
    if isinstance(shift, int) and isinstance(axis, tuple):  # one shift for every axis
        shift = (shift,) * len(axis)
    back = -shift if isinstance(shift, int) else tuple(-s for s in shift)
    return xp.roll(g, shift=back, axis=axis)


def _tile(xp, g, ans, x, repetitions, /):
    """Split each output axis into (rep_i, n_i) and sum over the rep axes."""
    d = max(len(repetitions), x.ndim)
    reps = (1,) * (d - len(repetitions)) + tuple(repetitions)
    shape = (1,) * (d - x.ndim) + tuple(x.shape)
    if d:
        g = xp.reshape(g, tuple(v for r, n in zip(reps, shape, strict=True) for v in (r, n)))
        g = xp.sum(g, axis=tuple(range(0, 2 * d, 2)))
    return xp.reshape(g, tuple(x.shape))


def _unstack(xp, g, ans, x, /, *, axis=0):
    return xp.stack(g, axis=axis) if len(g) else xp.zeros_like(x)


defvjp_joint("broadcast_arrays", lambda xp, g, ans, *arrays: tuple(g))
defvjp("broadcast_to", lambda xp, g, ans, x, /, shape: g)
defvjp_joint("concat", _concat)
defvjp("expand_dims", _back_shape)
defvjp("flip", lambda xp, g, ans, x, /, *, axis=None: xp.flip(g, axis=axis))
defvjp("moveaxis", lambda xp, g, ans, x, source, destination, /: xp.moveaxis(g, destination, source))
defvjp("permute_dims", _permute_dims)
defvjp("repeat", _repeat, None)
defvjp("reshape", _back_shape)
defvjp("roll", _roll)
defvjp("squeeze", _back_shape)
defvjp_joint("stack", lambda xp, g, ans, arrays, /, *, axis=0: tuple(xp.unstack(g, axis=axis)))
defvjp("tile", _tile)
defvjp("unstack", _unstack)
