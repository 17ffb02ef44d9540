"""Direct torch calls where array-api-compat's wrapper would do nothing.

array-api-compat wraps torch's two-argument functions (``add``, ``multiply``,
``matmul``, ...) to apply the standard's type promotion: it asks for the
result dtype and casts each operand (``Tensor.to``) before calling torch. For
two tensors of one dtype that work changes nothing, yet it is most of the
Python cost of a small op. :func:`install` gives the plugin's namespace
functions that call torch itself in that case and array-api-compat's
function otherwise, so results are exactly array-api-compat's.

A function is replaced only where array-api-compat's is known to be that
thin wrapper: its ``__wrapped__`` is the torch function of the same name
(``functools.wraps`` in array-api-compat's ``_two_arg``), or, for ``matmul``
and ``matrix_transpose``, the function it documents calling.
"""

from __future__ import annotations

import types
from collections.abc import Callable
from typing import Any

import torch

from ag_bridge._patch import stands_for

__all__ = ["install", "DIRECT"]

_Tensor = torch.Tensor

#: names of the namespace functions :func:`install` replaced (read by the tests)
DIRECT: list[str] = []


def _same_dtype(compat: Callable, direct: Callable, scalars: bool = False,
                commutes: bool = False) -> Callable:
    """``direct(x1, x2)`` for two tensors of one dtype; with ``scalars`` (array-api-compat
    hands Python numbers to torch as they are) also for a tensor and a Python number,
    taken tensor first where the function ``commutes`` (torch converts a leading number
    to a tensor first, which costs more than the product itself on small tensors)."""
    def f(x1: Any, x2: Any, /, **kwargs: Any) -> Any:
        c1, c2 = x1.__class__, x2.__class__
        if c1 is _Tensor:
            if c2 is _Tensor:
                if x1.dtype is x2.dtype:
                    return direct(x1, x2, **kwargs)
            elif scalars and c2 in _NUMBERS:
                return direct(x1, x2, **kwargs)
        elif scalars and c2 is _Tensor and c1 in _NUMBERS:
            return direct(x2, x1, **kwargs) if commutes else direct(x1, x2, **kwargs)
        return compat(x1, x2, **kwargs)

    return stands_for(f, compat)


#: Python numbers array-api-compat passes to torch unchanged where its scalar flags are off
_NUMBERS = frozenset((int, float, complex))
#: functions whose two arguments may swap places (IEEE sums and products commute)
_COMMUTES = frozenset(("add", "multiply"))


def _passes_scalars(fn: Callable) -> bool:
    """Whether array-api-compat's wrapper ``fn`` hands Python numbers to torch unchanged
    (its ``scalar_x1``/``scalar_x2`` flags, read from the closure; False if unknown)."""
    try:
        cells = dict(zip(fn.__code__.co_freevars, (c.cell_contents for c in fn.__closure__),
                         strict=True))
        return cells["scalar_x1"] is False and cells["scalar_x2"] is False
    except (AttributeError, KeyError, TypeError, ValueError):
        return False


def _matrix_transpose(compat: Callable) -> Callable:
    def matrix_transpose(x: Any, /) -> Any:
        if x.__class__ is _Tensor and x.ndim >= 2:
            return x.mT
        return compat(x)  # its error for fewer than two axes

    return stands_for(matrix_transpose, compat)


def _reduction(compat: Callable, direct: Callable) -> Callable:
    """``direct(x, axis, keepdims)`` for a tensor reduced over an int axis or a non-empty
    tuple of them, ``direct(x)`` over every axis without ``keepdims``: the torch call
    array-api-compat's wrapper makes there, with positional arguments (torch parses those
    faster than keywords). Any other argument (``dtype``, ``axis=()``, ``axis=None`` with
    ``keepdims``) goes to array-api-compat's function."""
    def f(x: Any, /, *, axis: Any = None, keepdims: bool = False, **kwargs: Any) -> Any:
        if x.__class__ is _Tensor and not kwargs:
            if axis is None:
                if not keepdims:
                    return direct(x)
            elif axis.__class__ is int or axis.__class__ is tuple and axis:
                return direct(x, axis, keepdims)
        return compat(x, axis=axis, keepdims=keepdims, **kwargs)

    return stands_for(f, compat)


#: reductions whose array-api-compat wrapper calls this torch function as ``(x, axis, keepdims)``
_REDUCTIONS = {"sum": torch.sum, "mean": torch.mean, "max": torch.amax, "min": torch.amin}


def install(ns: types.ModuleType, compat: types.ModuleType) -> None:
    """Replace ``ns``'s thin two-argument wrappers by :func:`_same_dtype` ones."""
    for name in dir(compat):
        fn = getattr(compat, name)
        inner = getattr(fn, "__wrapped__", None)
        if inner is not None and getattr(torch, getattr(inner, "__name__", ""), None) is inner \
                and getattr(fn, "__code__", None) is not None and fn.__code__.co_argcount == 2:
            setattr(ns, name, _same_dtype(fn, inner, _passes_scalars(fn), name in _COMMUTES))
            DIRECT.append(name)
    ns.matmul = _same_dtype(compat.matmul, torch.matmul)
    ns.matrix_transpose = _matrix_transpose(compat.matrix_transpose)
    DIRECT.extend(["matmul", "matrix_transpose"])
    for name, direct in _REDUCTIONS.items():
        setattr(ns, name, _reduction(getattr(compat, name), direct))
        DIRECT.append(name)
