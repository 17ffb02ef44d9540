"""VJPs of the statistical reductions."""

from __future__ import annotations

import math

from .._registry import defvjp
from ._util import expand_to, norm_axes


def _count(shape: tuple, axis) -> int:
    return math.prod(shape[a] for a in norm_axes(axis, len(shape)))


def _sum(xp, g, ans, x, /, *, axis=None, dtype=None, keepdims=False):
    return expand_to(xp, g, x.shape, axis, keepdims)


def _mean(xp, g, ans, x, /, *, axis=None, keepdims=False):
    return expand_to(xp, g, x.shape, axis, keepdims) / max(_count(x.shape, axis), 1)


defvjp("sum", _sum)
defvjp("mean", _mean)
