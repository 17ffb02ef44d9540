"""Element-wise functions, reductions and products under NumPy's names.

Every element-wise function of the standard is generated from the spec table
(``exp``, ``maximum``, ``logaddexp`` ...), plus NumPy's aliases for them
(``arccos``, ``power``, ``absolute`` ...). Reductions take NumPy's ``axis``,
``keepdims`` and ``ddof``; ``dot`` follows ``numpy.dot``.
"""

from __future__ import annotations

from typing import Any

from .._array import Array
from .._spec import SPECS
from ._core import numpy_style, operands, to_dtype

#: NumPy names of element-wise functions -> the standard's names.
ALIASES = {
    "absolute": "abs", "arccos": "acos", "arccosh": "acosh", "arcsin": "asin", "arcsinh": "asinh",
    "arctan": "atan", "arctan2": "atan2", "arctanh": "atanh", "power": "pow", "true_divide": "divide",
    "mod": "remainder", "conjugate": "conj", "invert": "bitwise_invert",
    "left_shift": "bitwise_left_shift", "right_shift": "bitwise_right_shift",
}

ELEMENTWISE: dict[str, Any] = {}
for _s in SPECS.values():
    if _s.category == "elementwise" and not _s.module and _s.name != "clip":
        ELEMENTWISE[_s.name] = numpy_style(_s.name, _s.name, len(_s.arrays))
for _alias, _std in ALIASES.items():
    ELEMENTWISE[_alias] = numpy_style(_alias, _std, len(SPECS[_std].arrays))

# The hand-written functions; ELEMENTWISE holds the generated ones.
__all__ = [
    "clip", "sum", "mean", "prod", "max", "min", "amax", "amin", "std", "var", "argmax", "argmin",
    "all", "any", "cumsum", "cumprod", "dot", "vdot", "inner", "outer", "matmul", "tensordot",
]


def clip(a: Any, a_min: Any = None, a_max: Any = None) -> Array:
    """Limit the values of ``a`` to ``[a_min, a_max]`` (either may be None).

    The gradient passes where ``a_min <= a <= a_max``, bounds included.
    """
    b, (x, lo, hi) = operands((a, a_min, a_max))
    return b.namespace.clip(x, min=lo, max=hi)


def _reduce(std: str, a: Any, axis: Any, keepdims: bool, out: Any, **kw: Any) -> Array:
    """The standard's reduction ``std`` with NumPy's ``axis``/``keepdims``; ``out=`` refused."""
    if out is not None:
        raise TypeError(f"{std}(): out= is not supported (it would write past the tape)")
    b, (x,) = operands((a,))
    if isinstance(axis, list):
        axis = tuple(axis)
    if kw.get("dtype") is not None:
        kw["dtype"] = to_dtype(b, kw["dtype"])
    kw = {k: v for k, v in kw.items() if v is not None}
    return getattr(b.namespace, std)(x, axis=axis, keepdims=keepdims, **kw)


def sum(a: Any, axis: Any = None, dtype: Any = None, out: Any = None, keepdims: bool = False) -> Array:  # noqa: A001
    """Sum over ``axis`` (None: all axes; an int or a tuple)."""
    return _reduce("sum", a, axis, keepdims, out, dtype=dtype)


def prod(a: Any, axis: Any = None, dtype: Any = None, out: Any = None, keepdims: bool = False) -> Array:
    """Product over ``axis``."""
    return _reduce("prod", a, axis, keepdims, out, dtype=dtype)


def _cast(a: Any, dtype: Any) -> Any:
    """``a`` converted to ``dtype`` first (statistics computed in that dtype)."""
    if dtype is None:
        return a
    b, (x,) = operands((a,))
    return b.namespace.astype(x, to_dtype(b, dtype))


def mean(a: Any, axis: Any = None, dtype: Any = None, out: Any = None, keepdims: bool = False) -> Array:
    """Arithmetic mean over ``axis`` (computed in ``dtype`` when given)."""
    return _reduce("mean", _cast(a, dtype), axis, keepdims, out)


def max(a: Any, axis: Any = None, out: Any = None, keepdims: bool = False) -> Array:  # noqa: A001
    """Maximum over ``axis``; tied maxima share the gradient equally."""
    return _reduce("max", a, axis, keepdims, out)


def min(a: Any, axis: Any = None, out: Any = None, keepdims: bool = False) -> Array:  # noqa: A001
    """Minimum over ``axis``; tied minima share the gradient equally."""
    return _reduce("min", a, axis, keepdims, out)


amax, amin = max, min


def std(a: Any, axis: Any = None, dtype: Any = None, out: Any = None, ddof: float = 0,
        keepdims: bool = False) -> Array:
    """Standard deviation over ``axis`` with ``ddof`` (the standard's ``correction``)."""
    return _reduce("std", _cast(a, dtype), axis, keepdims, out, correction=ddof)


def var(a: Any, axis: Any = None, dtype: Any = None, out: Any = None, ddof: float = 0,
        keepdims: bool = False) -> Array:
    """Variance over ``axis`` with ``ddof`` (the standard's ``correction``)."""
    return _reduce("var", _cast(a, dtype), axis, keepdims, out, correction=ddof)


def argmax(a: Any, axis: int | None = None, out: Any = None, keepdims: bool = False) -> Array:
    """Index of the maximum (over the flattened array when ``axis`` is None)."""
    return _reduce("argmax", a, axis, keepdims, out)


def argmin(a: Any, axis: int | None = None, out: Any = None, keepdims: bool = False) -> Array:
    """Index of the minimum (over the flattened array when ``axis`` is None)."""
    return _reduce("argmin", a, axis, keepdims, out)


def all(a: Any, axis: Any = None, out: Any = None, keepdims: bool = False) -> Array:  # noqa: A001
    """Whether every element along ``axis`` is true."""
    return _reduce("all", a, axis, keepdims, out)


def any(a: Any, axis: Any = None, out: Any = None, keepdims: bool = False) -> Array:  # noqa: A001
    """Whether any element along ``axis`` is true."""
    return _reduce("any", a, axis, keepdims, out)


def _cumulative(std: str, a: Any, axis: int | None, dtype: Any) -> Array:
    """``cumulative_sum``/``cumulative_prod`` with NumPy's ``axis=None`` (flatten)."""
    b, (x,) = operands((a,))
    ns = b.namespace
    if axis is None:
        x, axis = ns.reshape(x, (-1,)), 0
    return getattr(ns, std)(x, axis=axis, dtype=to_dtype(b, dtype))


def cumsum(a: Any, axis: int | None = None, dtype: Any = None) -> Array:
    """Cumulative sum along ``axis`` (of the flattened array when None)."""
    return _cumulative("cumulative_sum", a, axis, dtype)


def cumprod(a: Any, axis: int | None = None, dtype: Any = None) -> Array:
    """Cumulative product along ``axis`` (of the flattened array when None)."""
    return _cumulative("cumulative_prod", a, axis, dtype)


def dot(a: Any, b: Any) -> Array:
    """``numpy.dot``: scalar product of 1-D vectors (not conjugated), matrix
    product of 2-D arrays, and for N-D arrays a sum over the last axis of
    ``a`` and the second-to-last of ``b``.

    >>> from ag_bridge import np
    >>> x = np.arange(4)
    >>> np.dot(x, x)
    array(14.)
    """
    bk, (x, y) = operands((a, b))
    ns = bk.namespace
    if not isinstance(x, Array) or not isinstance(y, Array) or x.ndim == 0 or y.ndim == 0:
        return ns.multiply(x, y)
    if x.ndim <= 2 and y.ndim <= 2:
        return ns.matmul(x, y)  # 1-D . 1-D included: matmul does not conjugate, numpy.dot neither
    return ns.tensordot(x, y, axes=([x.ndim - 1], [y.ndim - 2 if y.ndim > 1 else 0]))


def vdot(a: Any, b: Any) -> Array:
    """Scalar product of the flattened arrays, conjugating ``a`` (``numpy.vdot``)."""
    bk, (x, y) = operands((a, b))
    ns = bk.namespace
    return ns.vecdot(ns.reshape(x, (-1,)), ns.reshape(y, (-1,)))


def inner(a: Any, b: Any) -> Array:
    """Sum over the last axes of ``a`` and ``b`` (``numpy.inner``, no conjugation)."""
    bk, (x, y) = operands((a, b))
    ns = bk.namespace
    if not isinstance(x, Array) or not isinstance(y, Array) or x.ndim == 0 or y.ndim == 0:
        return ns.multiply(x, y)
    return ns.tensordot(x, y, axes=([x.ndim - 1], [y.ndim - 1]))


def outer(a: Any, b: Any) -> Array:
    """Outer product of the flattened arrays: ``out[i, j] = a[i] * b[j]``."""
    bk, (x, y) = operands((a, b))
    ns = bk.namespace
    return ns.reshape(x, (-1, 1)) * ns.reshape(y, (1, -1))


matmul = numpy_style("matmul", "matmul", 2)


def tensordot(a: Any, b: Any, axes: Any = 2) -> Array:
    """Sum of products over ``axes`` (an int: the last/first ``axes`` axes; or two sequences)."""
    bk, (x, y) = operands((a, b))
    return bk.namespace.tensordot(x, y, axes=axes)

