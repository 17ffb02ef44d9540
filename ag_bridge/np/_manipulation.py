"""Shape manipulation, joining, splitting, selection and sorting under NumPy's names.

Each function maps NumPy's signature (``axis=None`` meaning "flatten",
``squeeze()`` of every unit axis, ``split`` by sections or indices) onto the
standard's functions of the arrays' backend, so every step is recorded.
"""

from __future__ import annotations

from typing import Any

from .._array import Array
from ._core import array, numpy_style, operands

__all__ = [
    "reshape", "ravel", "transpose", "swapaxes", "moveaxis", "expand_dims", "squeeze", "broadcast_to",
    "concatenate", "stack", "split", "flip", "tile", "repeat", "roll", "where", "sort", "argsort",
    "meshgrid", "take", "nonzero",
]


def _one(a: Any) -> tuple:
    """The namespace of ``a``'s backend and ``a`` as an Array."""
    b, (x,) = operands((a,))
    return b.namespace, x


def reshape(a: Any, newshape: Any = None, *, shape: Any = None) -> Array:
    """``a`` with a new shape (one entry may be -1)."""
    ns, x = _one(a)
    shape = newshape if shape is None else shape
    return ns.reshape(x, (shape,) if isinstance(shape, int) else tuple(shape))


def ravel(a: Any) -> Array:
    """The elements of ``a`` as a 1-D array."""
    ns, x = _one(a)
    return ns.reshape(x, (-1,))


def transpose(a: Any, axes: Any = None) -> Array:
    """Permute the axes (reverse them when ``axes`` is None)."""
    ns, x = _one(a)
    return ns.permute_dims(x, tuple(range(x.ndim))[::-1] if axes is None else tuple(axes))


def swapaxes(a: Any, axis1: int, axis2: int) -> Array:
    """Exchange two axes."""
    ns, x = _one(a)
    perm = list(range(x.ndim))
    perm[axis1], perm[axis2] = perm[axis2], perm[axis1]
    return ns.permute_dims(x, tuple(perm))


moveaxis = numpy_style("moveaxis", "moveaxis")
broadcast_to = numpy_style("broadcast_to", "broadcast_to")
tile = numpy_style("tile", "tile")
take = numpy_style("take", "take", 2)


def expand_dims(a: Any, axis: int) -> Array:
    """Insert a unit axis at ``axis``."""
    ns, x = _one(a)
    return ns.expand_dims(x, axis=axis)


def squeeze(a: Any, axis: Any = None) -> Array:
    """Remove unit axes (all of them when ``axis`` is None)."""
    ns, x = _one(a)
    if axis is None:
        axis = tuple(i for i, n in enumerate(x.shape) if n == 1)
    return ns.squeeze(x, axis=axis)


def concatenate(seq: Any, axis: int | None = 0) -> Array:
    """Join arrays along an existing axis (flattening them when ``axis`` is None)."""
    b, arrays = operands(tuple(seq))
    ns = b.namespace
    if axis is None:
        arrays, axis = tuple(ns.reshape(x, (-1,)) for x in arrays), 0
    return ns.concat(arrays, axis=axis)


def stack(arrays: Any, axis: int = 0) -> Array:
    """Join arrays along a new axis."""
    b, arrays = operands(tuple(arrays))
    return b.namespace.stack(arrays, axis=axis)


def split(ary: Any, indices_or_sections: Any, axis: int = 0) -> list[Array]:
    """Split into equal sections (an int) or at the given indices along ``axis``."""
    ns, x = _one(ary)
    n = x.shape[axis]
    if isinstance(indices_or_sections, int):
        if n % indices_or_sections:
            raise ValueError(f"split(): an axis of length {n} does not divide into "
                             f"{indices_or_sections} equal sections")
        step = n // indices_or_sections
        cuts = list(range(step, n, step))
    else:
        cuts = list(indices_or_sections)
    lead = (slice(None),) * (axis % x.ndim)
    return [x[lead + (slice(lo, hi),)] for lo, hi in zip([0] + cuts, cuts + [n], strict=True)]


def flip(m: Any, axis: Any = None) -> Array:
    """Reverse the order of elements along ``axis`` (all axes when None)."""
    ns, x = _one(m)
    return ns.flip(x, axis=axis)


def repeat(a: Any, repeats: Any, axis: int | None = None) -> Array:
    """Repeat each element ``repeats`` times along ``axis`` (of the flattened array when None)."""
    ns, x = _one(a)
    return ns.repeat(x, repeats, axis=axis)


def roll(a: Any, shift: Any, axis: Any = None) -> Array:
    """Shift elements cyclically along ``axis`` (of the flattened array when None)."""
    ns, x = _one(a)
    return ns.roll(x, shift, axis=axis)


def where(condition: Any, x: Any = None, y: Any = None) -> Any:
    """Elements of ``x`` where ``condition`` holds, else of ``y``.

    With only ``condition``: the indices of its non-zero elements (a tuple).
    """
    if x is None and y is None:
        return nonzero(condition)
    b, (c, x1, x2) = operands((condition, x, y))
    if not isinstance(x1, Array) and not isinstance(x2, Array):  # two numbers: default float
        x1 = array(x1, copy=False, backend=b)
    return b.namespace.where(c, x1, x2)


def nonzero(a: Any) -> tuple:
    """Indices of the non-zero elements, one array per axis."""
    ns, x = _one(a)
    return ns.nonzero(x)


def sort(a: Any, axis: int | None = -1) -> Array:
    """A sorted copy along ``axis`` (of the flattened array when None)."""
    ns, x = _one(a)
    if axis is None:
        x, axis = ns.reshape(x, (-1,)), 0
    return ns.sort(x, axis=axis)


def argsort(a: Any, axis: int | None = -1) -> Array:
    """Indices that sort ``a`` along ``axis`` (of the flattened array when None)."""
    ns, x = _one(a)
    if axis is None:
        x, axis = ns.reshape(x, (-1,)), 0
    return ns.argsort(x, axis=axis)


def meshgrid(*xi: Any, indexing: str = "xy") -> tuple:
    """Coordinate arrays from coordinate vectors."""
    b, arrays = operands(xi)
    return b.namespace.meshgrid(*arrays, indexing=indexing)
