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

from math import e, inf, nan, pi
from typing import Any

from .._array import Array
from .._select import get_backend as _get_backend
from . import _creation, _extras, _manipulation, _math, linalg, random

for _part in (_creation, _manipulation, _math, _extras):
    globals().update({_name: getattr(_part, _name) for _name in _part.__all__})
globals().update(_math.ELEMENTWISE)
del _part

#: MXNet's ``np.ndarray`` is ag_bridge's Array (for ``isinstance`` checks).
ndarray = Array

#: ``x[:, np.newaxis]`` inserts an axis.
newaxis = None

_DTYPES = ("bool", "int8", "int16", "int32", "int64", "uint8", "uint16", "uint32", "uint64",
           "float16", "float32", "float64", "complex64", "complex128")

__all__ = [
    "ndarray", "pi", "e", "inf", "nan", "newaxis", "linalg", "random",
    *_creation.__all__, *_manipulation.__all__, *_math.__all__, *_extras.__all__,
    *sorted(_math.ELEMENTWISE), *_DTYPES,
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
    """The module's names, the dtype names included."""
    return sorted(set(globals()) | set(_DTYPES))
