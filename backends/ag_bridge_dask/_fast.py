"""Backward kernels for Dask (:attr:`Backend.fast_vjps`): each cotangent one layer, cheap to build.

Building a Dask operation costs Python time: Dask tokenizes the operands, infers the
result's type by calling the function on empty arrays (``compute_meta``) and aligns
the chunks. An operator in a portable rule (``g * ans``) pays all of it; a training
step builds a dozen of them. These kernels build the same cotangents as one
``blockwise`` layer each, with the dtype and meta given and the name made from the
operands' names, for the common case: NumPy-backed real floating arrays of one shape,
chunks and dtype (a Python number as the other operand; :mod:`._elementwise`). Anything else (complex
values, broadcasting, other chunks or dtypes, a cupy-backed array) gets the portable
rule, as does every ``create_graph`` pass. A full reduction's cotangent (``sum``,
``mean`` without ``axis``) is spread into the input's blocks in one layer, its small
value computed inside each block's task (:mod:`._inline`).
"""

from __future__ import annotations

import types
from typing import Any

import dask.array as da
import numpy as np
from dask.base import tokenize
from dask.layers import ArrayChunkShapeDep

from ag_bridge._registry import RULES

from ._elementwise import elementwise
from ._inline import inline
from ._matvec import vecmat

__all__ = ["FAST_VJPS"]


def _ew(op: str, fn: Any, *xs: Any) -> Any:
    """One layer ``<op>-vjp-<token>`` (:func:`._elementwise.elementwise`), or None."""
    return elementwise(f"{op}-vjp", fn, *xs)


def _spread(tag: str, g: Any, x: Any, n: int) -> Any:
    """The one-element cotangent ``g`` divided by ``n``, in ``x``'s shape and chunks (one layer;
    ``g``'s small graph computed inside each block's task), or None where that does not apply."""
    if not isinstance(x, da.Array) or not isinstance(g, da.Array) or type(x._meta) is not np.ndarray \
            or g.size != 1 or x.size == 0 or g.dtype != x.dtype or x.dtype.kind not in "fc":
        return None
    small = inline(g)
    if small is None:
        return None
    ind = tuple(range(x.ndim))
    return da.blockwise(_fill, ind, ArrayChunkShapeDep(x.chunks), ind, small, None, n, None,
                        dtype=x.dtype, meta=x._meta, align_arrays=False,
                        name=f"{tag}-vjp-" + tokenize(g.name, x.chunks, n))


def _fill(shape: tuple, small: Any, n: int) -> Any:
    """A block of ``shape`` holding ``small() / n`` (a read-only broadcast view)."""
    v = np.reshape(small(), ())
    return np.broadcast_to(v / n if n != 1 else v, shape)


def _neg_times(g: Any, ans: Any, x2: Any) -> Any:
    """The cotangent of a divisor, ``-g * (ans / x2)``, as the portable rule rounds it."""
    return -g * (ans / x2)


def _fast(op: str, slot: int, kernel: Any = None) -> Any:
    """A VJP that builds ``kernel(g, ans, *args, **kwargs)`` and falls back to the portable rule
    of ``op`` (argument ``slot``) where the kernel returns None (no kernel: always)."""
    def vjp(xp: Any, g: Any, ans: Any, *args: Any, **kwargs: Any) -> Any:
        out = None if kernel is None else kernel(g, ans, *args, **kwargs)
        if out is None:
            return RULES[op].fns[slot](xp, g, ans, *args, **kwargs)
        return out

    vjp.__name__ = vjp.__qualname__ = f"dask_{op}_vjp_{slot}"
    return vjp


def _reduced(tag: str) -> Any:
    def kernel(g: Any, ans: Any, x: Any, /, *, axis: Any = None, keepdims: bool = False,
               **kwargs: Any) -> Any:
        if axis is not None or any(v is not None for v in kwargs.values()):
            return None
        return _spread(tag, g, x, x.size if tag == "mean" else 1)

    return kernel


def _matmul_2(g: Any, ans: Any, x1: Any, x2: Any) -> Any:
    """(n, k) @ (k,): the cotangent of ``x2`` is ``g @ x1`` (:func:`._matvec.vecmat`), for
    real ``x1`` (no conjugate)."""
    if x1.ndim != 2 or x2.ndim != 1:
        return None
    return vecmat(g, x1)


FAST_VJPS = types.MappingProxyType({
    "exp": (_fast("exp", 0, lambda g, ans, x: _ew("exp", np.multiply, g, ans)),),
    "log": (_fast("log", 0, lambda g, ans, x: _ew("log", np.divide, g, x)),),
    "negative": (_fast("negative", 0, lambda g, ans, x: _ew("negative", np.negative, g)),),
    "multiply": (_fast("multiply", 0, lambda g, ans, x1, x2: _ew("multiply", np.multiply, g, x2)),
                 _fast("multiply", 1, lambda g, ans, x1, x2: _ew("multiply", np.multiply, g, x1))),
    "divide": (_fast("divide", 0, lambda g, ans, x1, x2: _ew("divide", np.divide, g, x2)),
               _fast("divide", 1, lambda g, ans, x1, x2: _ew("divide", _neg_times, g, ans, x2))),
    "subtract": (_fast("subtract", 0),
                 _fast("subtract", 1, lambda g, ans, x1, x2: _ew("subtract", np.negative, g))),
    "sum": (_fast("sum", 0, _reduced("sum")),),
    "mean": (_fast("mean", 0, _reduced("mean")),),
    "matmul": (_fast("matmul", 0), _fast("matmul", 1, _matmul_2)),
})
