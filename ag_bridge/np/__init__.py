"""``ag_bridge.np``: MXNet's numpy-mode facade over any array-API backend.

Code written for ``from mxnet import np`` runs unchanged with
``from ag_bridge import np``. New arrays are made on the current backend
(:func:`ag_bridge.get_backend`, NumPy unless :func:`ag_bridge.use_backend`
says otherwise) and, as in MXNet's numpy mode, are float32 when made from
Python numbers or with no dtype; arrays made from arrays keep their dtype.
Functions taking arrays run on those arrays' backend. Everything goes
through the backend's recording namespace, so gradients flow:

>>> from ag_bridge import autograd, np
>>> x = np.arange(4)
>>> x.attach_grad()
>>> with autograd.record():
...     y = 2 * np.dot(x, x)
>>> y.backward()
>>> x.grad
array([ 0.,  4.,  8., 12.])

Dtype names (``np.float32``, ``np.int64`` ...) are the current backend's
dtypes; any dtype or dtype name is accepted wherever a ``dtype`` is.
"""

from __future__ import annotations

import math as _math
from typing import Any

from .._array import Array
from .._backends import get_backend as _get_backend
from . import linalg, random
from ._creation import (
    arange, array, asarray, empty, empty_like, eye, full, full_like, identity, linspace, ones,
    ones_like, zeros, zeros_like,
)
from ._manipulation import (
    argsort, broadcast_to, concatenate, expand_dims, flip, meshgrid, moveaxis, nonzero, ravel, repeat,
    reshape, roll, sort, split, squeeze, stack, swapaxes, take, tile, transpose, where,
)
from ._math import (
    ELEMENTWISE, all, amax, amin, any, argmax, argmin, clip, cumprod, cumsum, dot, inner, matmul, max,
    mean, min, outer, prod, std, sum, tensordot, var, vdot,
)

globals().update(ELEMENTWISE)

#: MXNet's ``np.ndarray`` is ag_bridge's Array (for ``isinstance`` checks).
ndarray = Array

pi = _math.pi
e = _math.e
inf = _math.inf
nan = _math.nan
newaxis = None

_DTYPES = ("bool", "int8", "int16", "int32", "int64", "uint8", "uint16", "uint32", "uint64",
           "float16", "float32", "float64", "complex64", "complex128")

__all__ = [
    "ndarray", "pi", "e", "inf", "nan", "newaxis", "linalg", "random",
    "arange", "array", "asarray", "empty", "empty_like", "eye", "full", "full_like", "identity",
    "linspace", "ones", "ones_like", "zeros", "zeros_like",
    "argsort", "broadcast_to", "concatenate", "expand_dims", "flip", "meshgrid", "moveaxis", "nonzero",
    "ravel", "repeat", "reshape", "roll", "sort", "split", "squeeze", "stack", "swapaxes", "take",
    "tile", "transpose", "where",
    "all", "amax", "amin", "any", "argmax", "argmin", "clip", "cumprod", "cumsum", "dot", "inner",
    "matmul", "max", "mean", "min", "outer", "prod", "std", "sum", "tensordot", "var", "vdot",
    *sorted(ELEMENTWISE), *_DTYPES,
]


def __getattr__(name: str) -> Any:
    """Dtype names resolve to the current backend's dtypes."""
    if name in _DTYPES:
        try:
            return getattr(_get_backend().namespace, name)
        except AttributeError:
            raise AttributeError(f"backend '{_get_backend().name}' has no dtype {name!r}") from None
    raise AttributeError(f"module 'ag_bridge.np' has no attribute {name!r}")


def __dir__() -> list[str]:
    return sorted(set(globals()) | set(_DTYPES))
