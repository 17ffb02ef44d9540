"""Direct NumPy calls where array-api-compat's function adds only Python frames.

array-api-compat's ``matmul``, ``matrix_transpose`` and ``ones_like`` for NumPy are
wrappers that call ``np.matmul``, ``np.swapaxes`` and ``np.ones_like``; its ``sum``, ``max``, ``min`` and
``mean`` are NumPy's own, which reach ``np.add.reduce`` (``maximum``, ``minimum``)
through NumPy's Python-level dispatch (``np.mean`` counts the items and divides in
Python too). On the small arrays of a small model those frames cost as much as the
arithmetic (``np.sum`` about 2.3 µs where ``np.add.reduce`` takes 1.6; array-api-compat's
``mean`` of a small float32 array 8.4 µs, the same sum and division made directly 2.4).
:func:`install` gives the plugin's namespace functions that make the final call
themselves for an ``ndarray`` and hand anything else to array-api-compat's, so results
and errors are exactly array-api-compat's.

:func:`broadcast_small` serves the backward pass only (the rules' ``broadcast_to``):
``np.broadcast_to`` builds its read-only view in Python (about 3 µs); a small
cotangent is written into a new array instead (under 1 µs), a large one stays a view.
"""

from __future__ import annotations

import types
from collections.abc import Callable
from math import prod
from typing import Any

import numpy as np

from ag_bridge._patch import stands_for

__all__ = ["install", "broadcast_small", "DIRECT", "SMALL"]

_ndarray = np.ndarray

#: names of the namespace functions :func:`install` replaced (read by the tests)
DIRECT: list[str] = []

#: elements up to which :func:`broadcast_small` writes a new array instead of a view
SMALL = 1 << 12


def _matmul(compat: Callable) -> Callable:
    def matmul(x1: Any, x2: Any, /, **kwargs: Any) -> Any:
        if x1.__class__ is _ndarray and x2.__class__ is _ndarray and not kwargs:
            return np.matmul(x1, x2)
        return compat(x1, x2, **kwargs)

    return stands_for(matmul, compat)


def _matrix_transpose(compat: Callable) -> Callable:
    def matrix_transpose(x: Any, /) -> Any:
        if x.__class__ is _ndarray and x.ndim >= 2:
            return x.swapaxes(-1, -2)
        return compat(x)  # its error for fewer than two axes

    return stands_for(matrix_transpose, compat)


def _reduction(compat: Callable, ufunc: np.ufunc) -> Callable:
    """``ufunc.reduce(x, axis, None, None, keepdims)`` for an ``ndarray`` with no other
    argument: the call NumPy's own function makes there (``np.sum`` is ``np.add.reduce``
    behind ``_wrapreduction``)."""
    reduce = ufunc.reduce

    def f(x: Any, /, *, axis: Any = None, keepdims: bool = False, **kwargs: Any) -> Any:
        if x.__class__ is _ndarray and not kwargs:
            return reduce(x, axis, None, None, keepdims)
        return compat(x, axis=axis, keepdims=keepdims, **kwargs)

    return stands_for(f, compat)


#: reductions that are NumPy's own function over this ufunc in array-api-compat
_REDUCTIONS = {"sum": (np.sum, np.add), "max": (np.max, np.maximum), "min": (np.min, np.minimum)}


_intp, _divide = np.intp, np.true_divide
#: item counts below this are exact in every real float dtype (float32's 24-bit significand)
_EXACT = 1 << 24


def _mean(compat: Callable) -> Callable:
    """``np.mean`` for a real float ``ndarray`` (not float16, whose sum NumPy accumulates in
    float32) over all axes or one int axis, with no other argument: the sum by
    ``np.add.reduce``, then the division by the item count. NumPy divides by the count as an
    ``intp``, which makes a float32 sum's division a float64 one rounded back to float32;
    below :data:`_EXACT` items the count is exact in the sum's own dtype, so dividing in that
    dtype gives the same bits (a quotient rounded once from a format of more than twice the
    precision is the correctly rounded one) without NumPy's mixed-type scalar path; from
    there on it divides as NumPy does. Anything else (complex, tuple axes, an empty slice and
    its warning, errors) goes to array-api-compat's function."""
    reduce = np.add.reduce

    def mean(x: Any, /, *, axis: Any = None, keepdims: bool = False, **kwargs: Any) -> Any:
        if x.__class__ is _ndarray and not kwargs and x.dtype.kind == "f" and x.dtype.itemsize > 2:
            if axis is None:
                n = x.size
            elif axis.__class__ is int and -x.ndim <= axis < x.ndim:
                n = x.shape[axis]
            else:
                n = 0
            if n:
                s = reduce(x, axis, None, None, keepdims)
                if s.__class__ is _ndarray:
                    return _divide(s, n if n < _EXACT else _intp(n), out=s, casting="unsafe")
                return s / n if n < _EXACT else s.dtype.type(s / _intp(n))
        return compat(x, axis=axis, keepdims=keepdims, **kwargs)

    return stands_for(mean, compat)


def _ones_like(compat: Callable) -> Callable:
    """``np.ones_like``'s two steps for an ``ndarray`` with no other argument: ``empty_like``
    (the input's layout) filled with one (``np.ones_like`` and array-api-compat's wrapper
    around it add two Python frames: the backward pass's seed)."""
    empty_like = np.empty_like

    def ones_like(x: Any, /, **kwargs: Any) -> Any:
        if x.__class__ is _ndarray and not kwargs:
            out = empty_like(x)
            out.fill(1)
            return out
        return compat(x, **kwargs)

    return stands_for(ones_like, compat)


def install(ns: types.ModuleType, compat: types.ModuleType) -> None:
    """Replace ``ns``'s ``matmul``, ``matrix_transpose``, ``ones_like`` and (where
    array-api-compat's is NumPy's own) ``sum``, ``max``, ``min`` and ``mean`` by direct
    calls."""
    ns.matmul = _matmul(compat.matmul)
    ns.matrix_transpose = _matrix_transpose(compat.matrix_transpose)
    ns.ones_like = _ones_like(compat.ones_like)
    DIRECT.extend(["matmul", "matrix_transpose", "ones_like"])
    for name, (own, ufunc) in _REDUCTIONS.items():
        if getattr(compat, name, None) is own:  # a wrapper in another version: left alone
            setattr(ns, name, _reduction(own, ufunc))
            DIRECT.append(name)
    if getattr(compat, "mean", None) is np.mean:
        ns.mean = _mean(np.mean)
        DIRECT.append("mean")


def broadcast_small(x: Any, /, shape: tuple) -> Any:
    """``np.broadcast_to(x, shape)``'s values; up to :data:`SMALL` elements as a new
    (writable) array, which costs less than NumPy building the view."""
    if x.__class__ is _ndarray or isinstance(x, np.generic):  # (a 0-d result is a scalar)
        try:
            if x.ndim <= len(shape) and prod(shape) <= SMALL:
                out = np.empty(shape, x.dtype)
                out[...] = x  # broadcasts as broadcast_to does (np.copyto costs more)
                return out
        except (TypeError, ValueError):
            pass  # not a shape, or one x does not broadcast to: np.broadcast_to's error
    return np.broadcast_to(x, shape)
