"""The Dask namespace ag_bridge uses: array-api-compat's, with repairs (Dask 2026.8,
compat 1.16).

FFTs rechunk the transformed axes to one chunk and read ``s`` as the standard does
(last axes, ``-1`` = input size); ``linalg`` functions map over stacks of matrices
(Dask's are 2-D only); ``linalg.cholesky`` returns the lower factor (compat returns
the upper one); ``svd``/``svdvals`` of square matrices work; ``eye(n, m)`` with
``n < m``, ``tensordot`` with negative axes, ``max``/``min`` of empty stacks,
``repeat(axis=None)`` and ``reshape`` of empty chunked arrays give NumPy's results;
``take_along_axis`` (through flat element ids) and ``broadcast_shapes`` are added.
Cheaper to build, same results: common element-wise functions (:mod:`._elementwise`),
matrix-vector ``matmul`` (:mod:`._matvec`), ``ones_like``/``zeros_like`` named without
pickling Dask's creation function.
"""

from __future__ import annotations

import types
from typing import Any

import array_api_compat.dask.array as _compat
import dask.array as da
import numpy as np
from dask.base import tokenize

from ag_bridge._patch import derived_namespace
from ag_bridge._portable_keys import fft_axes

from ._elementwise import elementwise
from ._ids import int_arrays, ravel
from ._layout import one_chunk
from ._matvec import matvec

__all__ = ["xp"]

_FFT_1D = ("fft", "ifft", "rfft", "irfft", "hfft", "ihfft")
_FFT_ND = ("fftn", "ifftn", "rfftn", "irfftn")


def _fft_1d(fn: Any) -> Any:
    def f(x: Any, /, *, n: Any = None, axis: int = -1, norm: str = "backward") -> Any:
        return fn(one_chunk(x, (axis,)), n=n, axis=axis, norm=norm)

    f.__name__ = f.__qualname__ = fn.__name__
    f.__doc__ = fn.__doc__
    return f


def _fft_nd(fn: Any) -> Any:
    def f(x: Any, /, *, s: Any = None, axes: Any = None, norm: str = "backward") -> Any:
        ax, s = fft_axes(x.shape, s, axes)
        return fn(one_chunk(x, ax), s=s, axes=ax, norm=norm)

    f.__name__ = f.__qualname__ = fn.__name__
    f.__doc__ = fn.__doc__
    return f


def _eye(n_rows: int, n_cols: int | None = None, /, *, k: int = 0, dtype: Any = None,
         device: Any = None) -> Any:
    # Dask's eye builds a broken graph when n_rows < n_cols and divides by zero for empty shapes
    m = n_rows if n_cols is None else n_cols
    dtype = np.float64 if dtype is None else dtype
    if 0 < m <= n_rows:
        return _compat.eye(n_rows, m, k=k, dtype=dtype)
    return (da.arange(m)[None, :] - da.arange(n_rows)[:, None] == k).astype(dtype)


def _stack(outs: list, batch: tuple) -> Any:
    """Per-matrix results (arrays or named tuples of arrays) stacked back over ``batch``."""
    if not outs:
        raise ValueError("backend 'dask': linalg functions of an empty stack of matrices are not supported")
    first = outs[0]
    if isinstance(first, tuple):
        parts = [_stack([o[j] for o in outs], batch) for j in range(len(first))]
        return type(first)(*parts) if hasattr(first, "_fields") else tuple(parts)
    return da.stack(outs).reshape(batch + first.shape)


def _whole(m: Any) -> Any:
    return m.rechunk(-1)


def _skinny(m: Any) -> Any:
    """Chunked along the long side only (what Dask's QR and SVD accept)."""
    return one_chunk(m, (-1,) if m.shape[0] >= m.shape[1] else (0,))


def _of_empty(name: str, arrays: tuple, kwargs: dict) -> Any:
    """``linalg.<name>`` of arrays that hold no element (an empty stack, or matrices with a
    zero dimension), where Dask's linalg fails (ZeroDivisionError while chunking). With
    no data the result depends on the shapes alone, so NumPy's result on zeros of the
    same shapes and dtypes is the result."""
    import array_api_compat.numpy as npx

    out = getattr(npx.linalg, name)(*(np.zeros(a.shape, dtype=a.dtype) for a in arrays), **kwargs)
    if isinstance(out, tuple):
        parts = [da.from_array(np.asarray(o)) for o in out]
        return type(out)(*parts) if hasattr(out, "_fields") else tuple(parts)
    return da.from_array(np.asarray(out))


def _per_matrix(fn: Any, prepare: Any = _whole, name: str = "") -> Any:
    """``fn`` of one 2-D matrix, mapped over a stack (Dask's linalg is 2-D only); the
    standard's ``linalg.<name>`` of an input without elements is :func:`_of_empty`."""
    def f(x: Any, /, **kwargs: Any) -> Any:
        if name and 0 in x.shape:
            return _of_empty(name, (x,), kwargs)
        if x.ndim <= 2:
            return fn(prepare(x), **kwargs)
        flat = x.reshape((-1,) + x.shape[-2:])
        return _stack([fn(prepare(flat[i]), **kwargs) for i in range(flat.shape[0])],
                      x.shape[:-2])

    f.__name__ = f.__qualname__ = getattr(fn, "__name__", "linalg")
    return f


def _cholesky(x: Any, /, *, upper: bool = False) -> Any:
    # array-api-compat 1.16 returns Dask's default, the *upper* factor, for
    # upper=False, and fails for upper=True
    return da.linalg.cholesky(x, lower=not upper)


def _svd(x: Any, /, *, full_matrices: bool = True) -> Any:
    # compat refuses full_matrices=True even for square matrices, where it is the reduced SVD
    if full_matrices and x.shape[-1] != x.shape[-2]:
        raise ValueError("linalg.svd(full_matrices=True) of a non-square matrix is not supported "
                         "by backend 'dask'; pass full_matrices=False")
    return _compat.linalg.svd(x, full_matrices=False)


def _svdvals(x: Any, /) -> Any:
    return _compat.linalg.svd(x, full_matrices=False)[1]  # compat's asks for the full SVD


def _matrix_norm(x: Any, /, *, keepdims: bool = False, ord: Any = "fro") -> Any:
    if ord not in (2, -2, "nuc"):  # the others need no SVD (which needs one chunk)
        return _compat.linalg.matrix_norm(x, keepdims=keepdims, ord=ord)
    out = _per_matrix(lambda m: _compat.linalg.matrix_norm(m, ord=ord))(x)
    return out[..., None, None] if keepdims else out


def _solve(x1: Any, x2: Any, /) -> Any:
    if 0 in x1.shape or 0 in x2.shape:
        return _of_empty("solve", (x1, x2), {})
    if x1.ndim == 2 and x2.ndim <= 2:
        return da.linalg.solve(x1.rechunk(-1), x2.rechunk(-1))
    if x2.ndim == 1:  # one vector for every matrix of the stack
        return _per_matrix(lambda a: da.linalg.solve(a, x2.rechunk(-1)))(x1)
    batch = tuple(np.broadcast_shapes(x1.shape[:-2], x2.shape[:-2]))
    a = da.broadcast_to(x1, batch + x1.shape[-2:]).reshape((-1,) + x1.shape[-2:])
    b = da.broadcast_to(x2, batch + x2.shape[-2:]).reshape((-1,) + x2.shape[-2:])
    return _stack([da.linalg.solve(a[i].rechunk(-1), b[i].rechunk(-1)) for i in range(a.shape[0])],
                  batch)


def _tensordot(x1: Any, x2: Any, /, *, axes: Any = 2) -> Any:
    # Dask computes a wrongly shaped result for negative axes (its metadata is right)
    if not isinstance(axes, int):
        a, b = ((t,) if isinstance(t, int) else tuple(t) for t in axes)
        axes = (tuple(i % x1.ndim for i in a), tuple(i % x2.ndim for i in b))
    return _compat.tensordot(x1, x2, axes=axes)


def _extremum(fn: Any) -> Any:
    def f(x: Any, /, *, axis: Any = None, keepdims: bool = False) -> Any:
        if 0 in x.shape:  # Dask fails even when the reduced axes are not the empty ones
            axes = range(x.ndim) if axis is None else (axis,) if isinstance(axis, int) else axis
            axes = {a % x.ndim for a in axes}
            if all(x.shape[a] for a in axes):
                shape = tuple(1 if d in axes else n for d, n in enumerate(x.shape) if keepdims or
                              d not in axes)
                return da.zeros(shape, dtype=x.dtype)
        return fn(x, axis=axis, keepdims=keepdims)

    f.__name__ = f.__qualname__ = fn.__name__
    return f


def _repeat(x: Any, repeats: Any, /, *, axis: int | None = None) -> Any:
    if axis is None:  # the standard flattens first; Dask refuses
        x, axis = x.reshape(-1), 0
    n = x.shape[axis]
    if not isinstance(repeats, (int, np.integer)):
        # Dask takes integer repeats only: an array of repeats fixes the output size,
        # so compute it (it is small) and gather with the repeated positions
        counts = np.broadcast_to(np.asarray(repeats.compute() if isinstance(repeats, da.Array)
                                            else repeats), (n,))
        return da.take(x, np.repeat(np.arange(n), counts), axis=axis)
    if n == 0:  # Dask fails to concatenate no blocks
        return x
    return da.repeat(x, repeats, axis=axis)


def _reshape(x: Any, /, shape: tuple, *, copy: bool | None = None) -> Any:
    # Dask refuses to reshape an empty array held in several chunks; in one chunk it is free
    if 0 in x.shape and any(len(c) > 1 for c in x.chunks):
        x = x.rechunk(-1)
    return _compat.reshape(x, shape, copy=copy)


def _qr(x: Any, /, *, mode: str = "reduced") -> Any:
    if mode == "complete" and x.shape[-2] > x.shape[-1]:
        raise ValueError("linalg.qr(mode='complete') of a tall matrix is not supported by backend "
                         "'dask' (Dask computes the reduced factorisation only); pass mode='reduced'")
    return _compat.linalg.qr(x)  # with m <= n the reduced QR is the complete one


def _take_along_axis(x: Any, indices: Any, /, *, axis: int = -1) -> Any:
    """Dask has none: gather through flat element ids (one index array per axis)."""
    axis %= x.ndim
    batch = np.broadcast_shapes(*(tuple(1 if d == axis else n for d, n in enumerate(a.shape))
                                  for a in (x, indices)))
    xb = da.broadcast_to(x, batch[:axis] + (x.shape[axis],) + batch[axis + 1:])
    idx = da.broadcast_to(indices, batch[:axis] + (indices.shape[axis],) + batch[axis + 1:])
    key = tuple(idx if d == axis else da.arange(n).reshape(tuple(n if e == d else 1 for e in
                                                                range(xb.ndim)))
                for d, n in enumerate(xb.shape))
    if not int_arrays(xb, key):
        raise TypeError(f"take_along_axis() indices must be integers, not {indices.dtype} "
                        "(backend 'dask')")
    ids = ravel(key, tuple(xb.shape))
    return xb.reshape(-1)[ids.reshape(-1)].reshape(ids.shape)


def _take(x: Any, indices: Any, /, *, axis: int | None = None) -> Any:
    # Dask 2026.8 gives take(x, da.from_array(np.array([i]))) the shape of x's whole axis;
    # the same index as a computed array is right (see _scatter.index)
    if isinstance(indices, da.Array) and indices.shape == (1,):
        indices = indices + 0
    return _compat.take(x, indices) if axis is None else _compat.take(x, indices, axis=axis)


def _roll(x: Any, /, shift: Any, *, axis: Any = None) -> Any:
    # the standard applies one integer shift to every axis of a tuple; Dask wants one each
    if isinstance(shift, int) and isinstance(axis, tuple):
        shift = (shift,) * len(axis)
    if 0 in x.shape:  # Dask fails on an empty array; rolling it changes nothing
        return x
    return _compat.roll(x, shift, axis=axis)


def _filled_like(fill: int, compat: Any) -> Any:
    """``ones_like``/``zeros_like`` named by shape, chunks and dtype: Dask's own tokenizes its
    creation function by pickling it (about 2 ms, each backward pass's seed)."""
    create = da.ones if fill else da.zeros

    def f(x: Any, /, *, dtype: Any = None, device: Any = None, **kwargs: Any) -> Any:
        if kwargs or device is not None or not isinstance(x, da.Array) \
                or type(x._meta) is not np.ndarray or any(n != n for n in x.shape):
            return compat(x, dtype=dtype, device=device, **kwargs)
        dt = np.dtype(x.dtype if dtype is None else dtype)
        name = f"{compat.__name__}-" + tokenize(x.shape, x.chunks, dt.str)
        return create(x.shape, dtype=dt, chunks=x.chunks, name=name)

    f.__name__ = f.__qualname__ = compat.__name__
    f.__doc__ = compat.__doc__
    return f


def _matmul(x1: Any, x2: Any, /) -> Any:
    """``x1 @ x2``: one layer for a matrix in one column of blocks times a vector
    (:func:`._matvec.matvec`), else array-api-compat's."""
    out = matvec(x1, x2) if getattr(x1, "ndim", 0) == 2 and getattr(x2, "ndim", 0) == 1 else None
    return _compat.matmul(x1, x2) if out is None else out


#: element-wise functions built as one layer where the operands allow (:mod:`._elementwise`)
_UNARY = ("negative", "exp", "expm1", "log", "log1p", "sin", "cos", "tan", "sinh", "cosh", "tanh",
          "sqrt", "square")
_BINARY = ("add", "subtract", "multiply", "divide")


def _one_layer(name: str, compat: Any, nargs: int) -> Any:
    ufunc = getattr(np, name)

    def f(*args: Any) -> Any:
        out = elementwise(name, ufunc, *args) if len(args) == nargs else None
        return compat(*args) if out is None else out

    f.__name__ = f.__qualname__ = name
    f.__doc__ = compat.__doc__
    return f


def _namespace() -> types.ModuleType:
    """array-api-compat's Dask namespace with its FFTs, ``cholesky`` and ``svd`` fixed."""
    ns = derived_namespace("ag_bridge_dask.xp", _compat, "array_api_compat.dask.array, with the fixes "
                           "of ag_bridge_dask: FFTs along chunked axes, cholesky, svd.")
    ns.__array_api_version__ = _compat.__array_api_version__
    ns.__array_namespace_info__ = _compat.__array_namespace_info__
    ns.fft = derived_namespace("ag_bridge_dask.xp.fft", _compat.fft,
                               "Dask FFTs (rechunked along the axes).")
    for k in _FFT_1D:
        setattr(ns.fft, k, _fft_1d(getattr(_compat.fft, k)))
    for k in _FFT_ND:
        setattr(ns.fft, k, _fft_nd(getattr(_compat.fft, k)))
    ns.linalg = derived_namespace("ag_bridge_dask.xp.linalg", _compat.linalg, "Dask linalg.")
    ns.eye = _eye
    ns.tensordot = _tensordot
    ns.max, ns.min = _extremum(_compat.max), _extremum(_compat.min)
    ns.repeat = _repeat
    ns.reshape = _reshape
    ns.take_along_axis = _take_along_axis
    ns.take, ns.roll = _take, _roll
    ns.matmul = _matmul
    for name in _UNARY + _BINARY:
        setattr(ns, name, _one_layer(name, getattr(_compat, name), 1 if name in _UNARY else 2))
    ns.ones_like, ns.zeros_like = _filled_like(1, _compat.ones_like), _filled_like(0, _compat.zeros_like)
    ns.broadcast_shapes = lambda *shapes: tuple(np.broadcast_shapes(*shapes))
    ns.broadcast_shapes.__name__ = "broadcast_shapes"
    for name, fn, prepare in (("cholesky", _cholesky, _whole), ("inv", _compat.linalg.inv, _whole),
                              ("svd", _svd, _skinny), ("svdvals", _svdvals, _skinny),
                              ("qr", _qr, _skinny)):
        setattr(ns.linalg, name, _per_matrix(fn, prepare, name))
    ns.linalg.matrix_norm = _matrix_norm
    ns.linalg.solve = _solve
    return ns


xp = _namespace()
