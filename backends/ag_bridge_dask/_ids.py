"""Keys of Dask arrays as flat element ids: the pieces that need no namespace.

A key of one integer (array) per axis selects the elements whose flat ids are the
row-major combination of its indices (:func:`ravel`); Dask indexes with one array at
a time, so gathers and scatters through several index arrays go through these ids
(:mod:`._scatter`, and ``take_along_axis`` in :mod:`._xp`).
"""

from __future__ import annotations

from typing import Any

import dask.array as da
import numpy as np

__all__ = ["ARRAYS", "as_tuple", "int_arrays", "ravel"]

#: classes of index arrays: Dask's, and NumPy's (Python-list keys)
ARRAYS = (da.Array, np.ndarray)


def as_tuple(key: Any) -> tuple:
    """``key`` as a tuple of per-axis entries."""
    return key if isinstance(key, tuple) else (key,)


def int_arrays(a: Any, key: Any) -> bool:
    """Whether ``key`` is one integer (array) per axis, at least one an array."""
    key = as_tuple(key)
    arrays = [k for k in key if isinstance(k, ARRAYS)]
    return (len(key) == a.ndim and bool(arrays) and all(k.dtype.kind in "iu" for k in arrays)
            and all(isinstance(k, (int, np.integer, da.Array, np.ndarray)) for k in key))


def ravel(key: tuple, shape: tuple) -> Any:
    """Flat ids of the elements that ``key`` (one integer or integer array per axis,
    :func:`int_arrays`) selects in an array of ``shape``; negative indices count from the end."""
    ids, stride = 0, 1
    for k, size in zip(reversed(key), reversed(shape), strict=True):
        if isinstance(k, ARRAYS) and k.dtype != np.int64:  # uint64 + int64 is float64
            k = k.astype(np.int64)
        ids = ids + (k % size) * stride
        stride *= size
    return da.asarray(ids)
