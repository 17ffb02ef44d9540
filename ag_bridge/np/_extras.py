"""NumPy extras under NumPy's signatures: ``einsum``, ``pad``, ``quantile``,
``nanmean``, ``nansum``, ``gradient`` (``cumsum``/``cumprod`` are in ``_math``).

Each runs on the backend of its array arguments through that backend's
recording namespace (``ag_bridge/_extras.py``), so gradients flow; ``out=``
is refused.
"""

from __future__ import annotations

from typing import Any

from .._array import Array
from ._core import operands, to_dtype

__all__ = ["einsum", "pad", "quantile", "nanmean", "nansum", "gradient"]


def _no_out(name: str, out: Any) -> None:
    if out is not None:
        raise TypeError(f"{name}(): out= is not supported (it would write past the tape)")


def einsum(subscripts: str, *operands_: Any) -> Array:
    """Einstein summation (``numpy.einsum``, subscripts-string form): explicit or
    implicit output, ``...``, repeated letters; its VJP is an einsum.

    >>> from ag_bridge import np
    >>> a = np.array([[1.0, 2.0], [3.0, 4.0]])
    >>> np.einsum("ii", a), np.einsum("ij,j->i", a, np.array([1.0, 1.0]))
    (array(5.), array([3., 7.]))
    """
    b, ops = operands(operands_)
    return b.namespace.einsum(subscripts, *ops)


def pad(array: Any, pad_width: Any, mode: str = "constant", **kwargs: Any) -> Array:
    """``numpy.pad`` with modes ``constant`` (``constant_values=``), ``edge`` and ``wrap``."""
    b, (x,) = operands((array,))
    return b.namespace.pad(x, pad_width, mode=mode, **kwargs)


def quantile(a: Any, q: Any, axis: Any = None, out: Any = None, overwrite_input: bool = False,
             method: str = "linear", keepdims: bool = False) -> Array:
    """``numpy.quantile`` (methods linear, lower, higher, midpoint, nearest); ``q`` is a constant."""
    _no_out("quantile", out)
    b, (x,) = operands((a,))
    return b.namespace.quantile(x, q, axis=axis, method=method, keepdims=keepdims)


def nanmean(a: Any, axis: Any = None, dtype: Any = None, out: Any = None, keepdims: bool = False) -> Array:
    """``numpy.nanmean``: the mean of the non-NaN values; NaNs get a zero gradient."""
    _no_out("nanmean", out)
    b, (x,) = operands((a,))
    return b.namespace.nanmean(x, axis=axis, dtype=to_dtype(b, dtype), keepdims=keepdims)


def nansum(a: Any, axis: Any = None, dtype: Any = None, out: Any = None, keepdims: bool = False) -> Array:
    """``numpy.nansum``: the sum with NaNs counted as zero; they get a zero gradient."""
    _no_out("nansum", out)
    b, (x,) = operands((a,))
    return b.namespace.nansum(x, axis=axis, dtype=to_dtype(b, dtype), keepdims=keepdims)


def gradient(f: Any, *varargs: Any, axis: Any = None, edge_order: int = 1) -> Any:
    """``numpy.gradient``: central differences inside, one-sided at the ends; spacings are
    numbers or coordinate arrays. One axis gives an array, several a tuple."""
    b, (x,) = operands((f,))
    return b.namespace.gradient(x, *varargs, axis=axis, edge_order=edge_order)
