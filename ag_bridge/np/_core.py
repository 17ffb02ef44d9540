"""What every function of ``ag_bridge.np`` shares: picking the backend,
MXNet's default-float rule, dtype names, and turning Python data into arrays.

A function that takes arrays runs on the backend of its first
:class:`~ag_bridge.Array` argument; one that only takes Python data (or
creates an array from nothing) runs on the current backend
(:func:`ag_bridge.get_backend`). Either way the work goes through that
backend's recording namespace, so gradients flow.
"""

from __future__ import annotations

from typing import Any

import numpy

from .._array import Array
from .._backends import Backend
from .._select import get_backend

__all__ = [
    "backend_for", "to_dtype", "default_dtype", "index_dtype", "placement", "array", "operand", "operands",
    "numpy_style",
]

_SCALARS = (bool, int, float, complex)


def backend_for(*args: Any) -> Backend:
    """The backend of the first Array among ``args`` (looking one level into
    lists and tuples), else the current backend."""
    for a in args:
        if isinstance(a, Array):
            return a._backend
        if isinstance(a, (list, tuple)):
            for e in a:
                if isinstance(e, Array):
                    return e._backend
    return get_backend()


def to_dtype(b: Backend, dtype: Any) -> Any:
    """``dtype`` (a name, a NumPy type, or any backend's dtype) as ``b``'s dtype.

    Dtypes are matched by name, so ``np.float32`` works whichever backend the
    array lives on. None stays None.
    """
    if dtype is None:
        return None
    if isinstance(dtype, str):
        name = dtype
    else:
        try:
            name = numpy.dtype(dtype).name
        except TypeError:
            name = str(dtype).rsplit(".", 1)[-1]
    try:
        return getattr(b.namespace, name)
    except AttributeError:
        raise TypeError(f"dtype {dtype!r} has no counterpart on backend '{b.name}'") from None


def default_dtype(b: Backend, data: Any = None) -> Any:
    """MXNet numpy mode's dtype for Python data created without a dtype.

    Numbers (ints included) give the backend's default float (float32);
    booleans stay bool and complex numbers give the complex type of the same
    precision. This is the one place the rule lives.
    """
    kind = "f" if data is None else numpy.asarray(data).dtype.kind
    if kind == "b":
        return b.namespace.bool
    if kind == "c":
        return to_dtype(b, "complex128" if to_dtype(b, b.default_float) == b.namespace.float64
                        else "complex64")
    return b.default_float


def index_dtype(b: Backend) -> Any:
    """The dtype of the backend's index arrays: its default integer (int64;
    int32 on JAX without x64)."""
    return b.index_array([0]).dtype


def placement(b: Backend, device: Any = None) -> dict:
    """``{'device': ...}`` for a creation call: the given device, else the
    current one (``use_backend(name, device)``), else the backend's default
    (:meth:`~ag_bridge.Backend.creation_device`)."""
    d = b.creation_device(device)
    return {} if d is None else {"device": d}


def array(obj: Any, dtype: Any = None, *, copy: bool = True, device: Any = None,
          backend: Backend | None = None) -> Array:
    """The array behind :func:`ag_bridge.np.array` and :func:`ag_bridge.np.asarray`.

    An Array keeps its dtype and backend (recorded, so gradients flow);
    anything with a ``dtype`` keeps that dtype on the target backend; Python
    data gets :func:`default_dtype`. Lists holding Arrays are stacked
    (recorded).
    """
    if isinstance(obj, Array):
        b = obj._backend
        kw = placement(b, device) if device is not None else {}
        dt = to_dtype(b, dtype)
        if dt is None and not copy and not kw:
            return obj
        return b.namespace.asarray(obj, dtype=dt, copy=True if copy else None, **kw)
    b = backend or backend_for(obj)
    if isinstance(obj, (list, tuple)) and any(isinstance(e, Array) for e in obj):
        parts = [array(e, dtype, copy=False, device=device, backend=b) for e in obj]
        return b.namespace.stack(parts)
    if dtype is not None:
        dt = to_dtype(b, dtype)
    elif hasattr(obj, "dtype"):
        dt = to_dtype(b, obj.dtype)
    else:
        dt = default_dtype(b, obj)
    if copy and not b.is_array(obj):
        # Converting Python data or another library's array makes a new buffer,
        # except that a backend may share a NumPy array's memory: copy that here.
        # (Asking torch for copy=True of a NumPy array onto CUDA fails.)
        if isinstance(obj, numpy.ndarray):
            obj = obj.copy()
        copy = False
    return b.namespace.asarray(obj, dtype=dt, copy=True if copy else None, **placement(b, device))


def operand(b: Backend, a: Any) -> Any:
    """One argument of an array function: Arrays and Python scalars pass,
    other data (lists, NumPy arrays) becomes an Array on ``b``."""
    if a is None or isinstance(a, (Array,) + _SCALARS):
        return a
    return array(a, copy=False, backend=b)


def operands(args: tuple) -> tuple[Backend, tuple]:
    """The backend for ``args`` and the args converted with :func:`operand`.

    When no argument is an Array, the first one is made an array even if it
    is a Python scalar, so the call returns an Array.
    """
    b = backend_for(*args)
    out = [operand(b, a) for a in args]
    if out and not any(isinstance(a, Array) for a in out):
        out[0] = array(out[0], copy=False, backend=b)
    return b, tuple(out)


def numpy_style(name: str, std: str, nargs: int = 1, doc: str = "") -> Any:
    """A function ``name`` that calls the standard's ``std`` on the backend of
    its first ``nargs`` (array) arguments; keyword arguments pass through."""
    module, _, fname = std.rpartition(".")

    def fn(*args: Any, **kwargs: Any) -> Any:
        b, arrays = operands(args[:nargs])
        ns = b.namespace
        f = getattr(getattr(ns, module) if module else ns, fname)
        return f(*arrays, *args[nargs:], **kwargs)

    fn.__name__ = fn.__qualname__ = name
    fn.__doc__ = doc or (f"NumPy's ``{name}``: the standard's ``{std}`` on the arrays' backend "
                         "(recorded, so gradients flow)." if name != std else
                         f"The standard's ``{std}`` on the arrays' backend (recorded, so gradients flow).")
    return fn
