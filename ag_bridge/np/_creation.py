"""Array creation in MXNet numpy mode: float32 unless told otherwise.

Creating from Python numbers, or from nothing, gives the backend's default
float (:func:`~ag_bridge.np._core.default_dtype`); creating from an existing
array keeps its dtype.
"""

from __future__ import annotations

from typing import Any

from .._array import Array
from ._core import array as _array
from ._core import backend_for, default_dtype, placement, to_dtype

__all__ = [
    "array", "asarray", "arange", "zeros", "ones", "full", "empty", "zeros_like", "ones_like",
    "full_like", "empty_like", "eye", "identity", "linspace",
]


def array(object: Any, dtype: Any = None, *, copy: bool = True, device: Any = None) -> Array:  # noqa: A002
    """A new array from ``object`` (Python data, a NumPy or backend array, an Array).

    Python numbers give float32 (MXNet numpy mode), booleans give bool;
    arrays keep their dtype. From an Array the copy is recorded.

    >>> from ag_bridge import np
    >>> np.array([1, 2])
    array([1., 2.])
    """
    return _array(object, dtype, copy=copy, device=device)


def asarray(a: Any, dtype: Any = None, *, device: Any = None) -> Array:
    """Like :func:`array`, without copying when ``a`` is already a suitable Array."""
    return _array(a, dtype, copy=False, device=device)


def _creation_dtype(b: Any, dtype: Any) -> Any:
    """``dtype`` on ``b``, or the default float when None."""
    return default_dtype(b) if dtype is None else to_dtype(b, dtype)


def _shape(shape: Any) -> tuple:
    """An int or a sequence as a shape tuple."""
    return (shape,) if isinstance(shape, int) else tuple(shape)


def arange(start: float, stop: float | None = None, step: float = 1, dtype: Any = None, *,
           device: Any = None) -> Array:
    """Evenly spaced values in ``[start, stop)``, float32 by default.

    >>> from ag_bridge import np
    >>> np.arange(4)
    array([0., 1., 2., 3.])
    """
    b = backend_for()
    return b.namespace.arange(start, stop, step, dtype=_creation_dtype(b, dtype), **placement(b, device))


def zeros(shape: Any, dtype: Any = None, *, device: Any = None) -> Array:
    """An array of zeros of ``shape`` (an int or a tuple), float32 by default."""
    b = backend_for()
    return b.namespace.zeros(_shape(shape), dtype=_creation_dtype(b, dtype), **placement(b, device))


def ones(shape: Any, dtype: Any = None, *, device: Any = None) -> Array:
    """An array of ones of ``shape``, float32 by default."""
    b = backend_for()
    return b.namespace.ones(_shape(shape), dtype=_creation_dtype(b, dtype), **placement(b, device))


def empty(shape: Any, dtype: Any = None, *, device: Any = None) -> Array:
    """An uninitialised array of ``shape``, float32 by default."""
    b = backend_for()
    return b.namespace.empty(_shape(shape), dtype=_creation_dtype(b, dtype), **placement(b, device))


def full(shape: Any, fill_value: Any, dtype: Any = None, *, device: Any = None) -> Array:
    """An array of ``shape`` filled with ``fill_value``.

    The dtype follows the default-float rule for ``fill_value`` (a number
    gives float32, a bool gives bool); an Array fill value keeps its dtype and
    broadcasts (recorded).
    """
    if isinstance(fill_value, Array):
        b = fill_value._backend
        x = fill_value if dtype is None else b.namespace.astype(fill_value, to_dtype(b, dtype))
        return b.namespace.broadcast_to(x, _shape(shape))
    b = backend_for()
    dt = default_dtype(b, fill_value) if dtype is None else to_dtype(b, dtype)
    return b.namespace.full(_shape(shape), fill_value, dtype=dt, **placement(b, device))


def _like(name: str):
    """``zeros_like`` and friends: NumPy's signature over the standard's function."""

    def fn(a: Any, dtype: Any = None, *, device: Any = None) -> Array:
        x = _array(a, copy=False)
        b = x._backend
        kw = {"device": device} if device is not None else {}
        return getattr(b.namespace, name)(x, dtype=to_dtype(b, dtype), **kw)

    fn.__name__ = fn.__qualname__ = name
    return fn


zeros_like = _like("zeros_like")
zeros_like.__doc__ = "Zeros with the shape, dtype and device of ``a`` (``dtype`` overrides)."
ones_like = _like("ones_like")
ones_like.__doc__ = "Ones with the shape, dtype and device of ``a`` (``dtype`` overrides)."
empty_like = _like("empty_like")
empty_like.__doc__ = "An uninitialised array like ``a`` (``dtype`` overrides)."


def full_like(a: Any, fill_value: Any, dtype: Any = None, *, device: Any = None) -> Array:
    """``fill_value`` with the shape, dtype and device of ``a`` (``dtype`` overrides)."""
    x = _array(a, copy=False)
    b = x._backend
    kw = {"device": device} if device is not None else {}
    return b.namespace.full_like(x, fill_value, dtype=to_dtype(b, dtype), **kw)


def eye(N: int, M: int | None = None, k: int = 0, dtype: Any = None, *, device: Any = None) -> Array:
    """A 2-D array with ones on the ``k``-th diagonal, float32 by default."""
    b = backend_for()
    return b.namespace.eye(N, M, k=k, dtype=_creation_dtype(b, dtype), **placement(b, device))


def identity(n: int, dtype: Any = None, *, device: Any = None) -> Array:
    """The ``n`` x ``n`` identity matrix, float32 by default."""
    return eye(n, dtype=dtype, device=device)


def linspace(start: float, stop: float, num: int = 50, endpoint: bool = True, dtype: Any = None, *,
             device: Any = None) -> Array:
    """``num`` evenly spaced values from ``start`` to ``stop``, float32 by default."""
    b = backend_for()
    return b.namespace.linspace(start, stop, num, endpoint=endpoint, dtype=_creation_dtype(b, dtype),
                                **placement(b, device))
