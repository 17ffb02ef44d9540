"""``ag_bridge.Array``: a backend array plus its place in the graph.

An Array holds the backend's raw array (``_data``), its backend, and the node
that produced it (``_node``: None for constants, a :class:`Leaf` after
``attach_grad``, a :class:`Node` for recorded results). Every operator goes
through the backend's recording namespace, so there is one code path per op.
Arrays have value semantics: an in-place operator or ``__setitem__`` never
changes another Array, and never a value saved for backward (the buffer is
written in place only when nothing else refers to it).
"""

from __future__ import annotations

import math
from typing import Any

from ._copying import copy_array, reduce_array
from ._heads import backward as _backward
from ._keys import clamp_slices
from ._node import Leaf, Node
from ._numpy_protocols import array_function, array_ufunc
from ._registry import RULES
from ._state import STATE

__all__ = ["Array", "wrap", "mixed_error", "refuse_foreign", "attach_grad"]

_new = object.__new__


def wrap(data: Any, backend: Any, node: Any = None, oidx: int = -1) -> Array:
    """Make an Array around a raw backend array (no copy)."""
    a = _new(Array)
    a._data = data
    a._backend = backend
    a._node = node
    a._oidx = oidx
    return a


def attach_grad(x: Any, grad_req: str = "write") -> None:
    """Give ``x`` a fresh zero gradient buffer and make it a leaf (see Array.attach_grad)."""
    if grad_req not in _REQS:
        raise ValueError(f"attach_grad(): grad_req must be one of {_REQS}, not {grad_req!r}")
    b = x._backend
    if not b.is_inexact(x._data.dtype):
        raise TypeError(
            f"attach_grad(): only floating and complex arrays can have gradients, "
            f"this one has dtype {x._data.dtype} on backend '{b.name}'; "
            "convert it first, e.g. x = x.astype('float32')"
        )
    if grad_req == "null":
        x._node, x._oidx = None, -1
        return
    holder = wrap(b.zeros_like(x._data), b)
    x._node, x._oidx = Leaf(holder, grad_req, b), -1


_REQS = ("write", "add", "null")


def mixed_error(op: str, a: Any, b: Any) -> TypeError:
    """The error for one op fed arrays of two backends."""
    return TypeError(
        f"{op}(): arrays from backends '{a.name}' and '{b.name}' cannot be combined; "
        "convert one with ag_bridge.asarray(x, backend=...)"
    )


_PLAIN = (bool, int, float, complex, str, bytes, slice, type(None), type(Ellipsis), list, tuple, range)


def refuse_foreign(op: str, obj: Any, backend: Any) -> None:
    """Raise when ``obj`` (not an Array) is a raw array of a library other than ``backend``'s:
    combining them would be silently wrong, or fail later inside a VJP."""
    if isinstance(obj, _PLAIN) or backend.is_array(obj):
        return
    if hasattr(obj, "__array_namespace__") or hasattr(obj, "shape") and hasattr(obj, "dtype"):
        import numbers

        if isinstance(obj, numbers.Number):  # NumPy scalars act as Python numbers
            return
        lib = type(obj).__module__.partition(".")[0]
        raise TypeError(
            f"{op}(): arrays from libraries '{lib}' (a raw {type(obj).__name__}) and "
            f"'{backend.name}' (an ag_bridge.Array) cannot be combined; convert one with "
            f"ag_bridge.asarray(x, backend=...)"
        )


def _unwrap_key(key: Any, backend: Any, raw: Any) -> Any:
    """``key`` for indexing ``raw``: Arrays unwrapped, lists/ranges as integer arrays on
    ``raw``'s device, slices clamped to their axes (:func:`ag_bridge._keys.clamp_slices`)."""
    return clamp_slices(_unwrap(key, backend, raw), tuple(raw.shape), backend.is_bool)


def _unwrap(key: Any, backend: Any, raw: Any) -> Any:
    if isinstance(key, Array):
        if key._backend is not backend:
            raise mixed_error("__getitem__", key._backend, backend)
        k = key._data
        if backend.is_inexact(k.dtype):  # MXNet: np.array([0, 2]) is float32 and indexes
            k = backend.xp.astype(k, backend.index_array([0]).dtype)
        return k
    if isinstance(key, tuple):
        return tuple(_unwrap(k, backend, raw) for k in key)
    if isinstance(key, (range, list)):
        return backend.index_array(list(key), backend.device(raw))
    return key


_LEAF_INPLACE = (
    "in-place update of an array marked with attach_grad() inside autograd.record(); "
    "update parameters outside record() (e.g. param[:] = param - lr * param.grad) "
    "or compute a new array (y = x + 1)"
)


class Array:
    """An array of any array-API backend that records operations for autograd.

    Create one with :func:`ag_bridge.asarray` or any function of a recording
    namespace (``ag_bridge.np``, ``ag_bridge.namespace()``); get the backend
    array back with :func:`ag_bridge.unwrap`.
    """

    __slots__ = ("_data", "_backend", "_node", "_oidx", "__weakref__")
    __array_priority__ = 1000

    # ------------------------------------------------------------ NumPy protocols, copying
    def __array_ufunc__(self, ufunc: Any, method: str, *inputs: Any, **kwargs: Any) -> Any:
        """NumPy ufuncs (``np.exp(x)``, ``ndarray * x``) run on the recording namespace,
        or raise a TypeError saying what to do: never a silent conversion."""
        return array_ufunc(ufunc, method, inputs, kwargs)

    def __array_function__(self, func: Any, types: tuple, args: tuple, kwargs: dict) -> Any:
        """NumPy functions (``np.concatenate``, ``np.linalg.norm``) run on ``ag_bridge.np``
        or the recording namespace, or raise a TypeError saying what to do."""
        return array_function(func, types, args, kwargs)

    def __reduce__(self) -> tuple:
        """Pickle support: values, dtype, backend, and leaf status with its grad buffer
        and ``grad_req``; never the recorded graph."""
        return reduce_array(self)

    def __copy__(self) -> Array:
        """``copy.copy``: same values (shared, as value semantics allow), a leaf keeps its
        ``grad_req`` and gets its own copy of the grad buffer; no graph."""
        return copy_array(self, deep=False)

    def __deepcopy__(self, memo: dict) -> Array:
        """``copy.deepcopy``: as ``copy.copy``, with the values copied too."""
        return copy_array(self, deep=True)

    # ------------------------------------------------------------ standard
    def __array_namespace__(self, /, *, api_version: str | None = None) -> Any:
        """Return the recording namespace of this array's backend."""
        if api_version is not None and api_version not in _VERSIONS:
            raise ValueError(
                f"ag_bridge supports array API versions {', '.join(_VERSIONS)}, not {api_version!r}"
            )
        return self._backend.namespace

    @property
    def dtype(self) -> Any:
        """The backend's dtype of the data."""
        return self._data.dtype

    @property
    def device(self) -> Any:
        """The device the data lives on (as the backend names it)."""
        return self._backend.device(self._data)

    @property
    def shape(self) -> tuple:
        """The shape, as a tuple of ints (None for unknown lazy sizes)."""
        return tuple(self._data.shape)

    @property
    def ndim(self) -> int:
        """Number of axes."""
        return len(self._data.shape)

    @property
    def size(self) -> int | None:
        """Number of elements (None when a lazy backend does not know it)."""
        try:
            return math.prod(self._data.shape)
        except TypeError:
            return None

    @property
    def T(self) -> Array:
        """Transpose (all axes reversed)."""
        return self._backend.namespace.permute_dims(self, tuple(range(self.ndim))[::-1])

    @property
    def mT(self) -> Array:
        """Transpose of the last two axes."""
        return self._backend.namespace.matrix_transpose(self)

    def to_device(self, device: Any, /, *, stream: Any = None) -> Array:
        """Copy to ``device``; gradients flow back to the original device."""
        return self._backend.namespace._to_device(self, device, stream=stream)

    def __dlpack__(self, /, *, stream: Any = None, max_version: Any = None,
                   dl_device: Any = None, copy: bool | None = None) -> Any:
        """DLPack export of the data (leaves the graph)."""
        kw = {k: v for k, v in (("stream", stream), ("max_version", max_version),
                                 ("dl_device", dl_device), ("copy", copy)) if v is not None}
        return self._data.__dlpack__(**kw)

    def __dlpack_device__(self) -> tuple:
        """DLPack device of the data."""
        return self._data.__dlpack_device__()

    def __bool__(self) -> bool:
        return bool(self._data)

    def __int__(self) -> int:
        return int(self._data)

    def __float__(self) -> float:
        return float(self._data)

    def __complex__(self) -> complex:
        return complex(self._data)

    def __index__(self) -> int:
        return self._data.__index__()

    def __len__(self) -> int:
        if not self._data.shape:
            raise TypeError("len() of a 0-d array")
        return self._data.shape[0]

    def __iter__(self):
        if not self._data.shape:
            raise TypeError("iteration over a 0-d array")
        for i in range(self._data.shape[0]):
            yield self[i]

    def __array__(self, dtype: Any = None, copy: bool | None = None) -> Any:
        if self._node is not None and STATE.get()[0]:
            raise TypeError(
                "converting an array that needs gradients to a NumPy array inside "
                "autograd.record() would silently drop its gradient; call .detach() first, "
                "or use the array API namespace (x.__array_namespace__()) for the computation"
            )
        out = self._backend.to_numpy(self._data)
        return out if dtype is None else out.astype(dtype)

    def __repr__(self) -> str:
        return self._backend.repr(self._data)

    __str__ = __repr__

    # ------------------------------------------------------------ indexing
    def __getitem__(self, key: Any) -> Array:
        b = self._backend
        rkey = _unwrap_key(key, b, self._data)
        out = b.coerce(b.getitem(self._data, rkey))
        node = self._node
        if node is not None and STATE.get()[0]:
            n = Node("__getitem__", RULES.get("__getitem__"), (self._data, rkey), {}, out,
                     ((0, node, self._oidx),), b, False)
            return wrap(out, b, n)
        return wrap(out, b)

    def __setitem__(self, key: Any, value: Any) -> None:
        b = self._backend
        rkey = _unwrap_key(key, b, self._data)
        vnode = None
        if isinstance(value, Array):
            if value._backend is not b:
                raise mixed_error("__setitem__", value._backend, b)
            vnode, voidx, value = value._node, value._oidx, value._data
        else:
            refuse_foreign("__setitem__", value, b)
        leaf = type(self._node) is Leaf
        recording = STATE.get()[0]
        if recording and leaf:
            raise RuntimeError(f"__setitem__: {_LEAF_INPLACE}")
        if recording and (self._node is not None or vnode is not None):
            new = b.index_set(self._data, rkey, value)
            parents = []
            if self._node is not None:
                parents.append((0, self._node, self._oidx))
            if vnode is not None:
                parents.append((2, vnode, voidx))
            n = Node("__setitem__", RULES.get("__setitem__"), (self._data, rkey, value), {}, new,
                     tuple(parents), b, False)
            self._data, self._node, self._oidx = new, n, -1
            return
        if b.exclusive(self._data):
            self._data = b.setitem(self._data, rkey, value)
        else:
            self._data = b.index_set(self._data, rkey, value)
            if leaf:
                self._data = b.settle(self._data)
        if not leaf:
            self._node, self._oidx = None, -1

    def _assign(self, r: Array, op: str) -> Array:
        """Rebind self to the result of an in-place operator (value semantics)."""
        if type(self._node) is Leaf and STATE.get()[0]:
            raise RuntimeError(f"{op}: {_LEAF_INPLACE}")
        if r.shape != self.shape:
            raise ValueError(
                f"{op}: the result has shape {r.shape} but the array has shape {self.shape}; "
                "in-place operators cannot change an array's shape"
            )
        if r.dtype != self.dtype:
            r = self._backend.namespace.astype(r, self.dtype)
        if type(self._node) is Leaf:
            self._data = self._backend.settle(r._data)
        else:
            self._data = r._data
            self._node, self._oidx = r._node, r._oidx
        return self

    # ------------------------------------------------------------ MXNet API
    def attach_grad(self, grad_req: str = "write", stype: Any = None) -> None:
        """Allocate a zero gradient buffer and make this array a leaf of the graph.

        ``grad_req``: ``'write'`` (each backward overwrites ``.grad``),
        ``'add'`` (backward adds to it) or ``'null'`` (no gradient). Calling it
        again resets the buffer and detaches the array from any earlier graph.
        """
        attach_grad(self, grad_req)

    @property
    def grad(self) -> Array | None:
        """The live gradient buffer (None unless ``attach_grad`` was called)."""
        node = self._node
        return node.grad if type(node) is Leaf else None

    @property
    def grad_req(self) -> str:
        """``'write'``, ``'add'`` or ``'null'``."""
        node = self._node
        return node.grad_req if type(node) is Leaf else "null"

    def detach(self) -> Array:
        """The same values, cut from the graph (no gradient flows through)."""
        return wrap(self._data, self._backend)

    def backward(self, out_grad: Any = None, retain_graph: bool = False,
                 train_mode: bool = True) -> None:
        """Backpropagate from this array into the ``.grad`` of the leaves.

        A non-scalar array uses a head gradient of ones (the sum of its
        elements); ``out_grad`` must have this array's shape.
        """
        _backward([self], None if out_grad is None else [out_grad], retain_graph, train_mode)

    def asnumpy(self) -> Any:
        """A NumPy copy of the data."""
        return self._backend.to_numpy(self._data)

    def item(self) -> Any:
        """The single element as a Python scalar."""
        return self._backend.to_numpy(self._data).item()

    def tolist(self) -> Any:
        """Nested Python lists of the elements."""
        return self._backend.to_numpy(self._data).tolist()

    def copy(self) -> Array:
        """A copy (recorded: gradients flow through)."""
        return self._backend.namespace.asarray(self, copy=True)

    def astype(self, dtype: Any, copy: bool = True) -> Array:
        """Cast to ``dtype`` (a dtype object or its name, e.g. ``'float64'``)."""
        ns = self._backend.namespace
        if isinstance(dtype, str):
            dtype = getattr(ns, dtype)
        return ns.astype(self, dtype, copy=copy)

    def reshape(self, *shape: Any, **kwargs: Any) -> Array:
        """Reshape; accepts ``reshape((2, -1))`` and ``reshape(2, -1)``."""
        if len(shape) == 1 and isinstance(shape[0], (tuple, list)):
            shape = tuple(shape[0])
        return self._backend.namespace.reshape(self, tuple(shape), **kwargs)

    def transpose(self, *axes: Any) -> Array:
        """Permute axes (reverse them when none are given)."""
        if len(axes) == 1 and isinstance(axes[0], (tuple, list)):
            axes = tuple(axes[0])
        return self._backend.namespace.permute_dims(self, axes or tuple(range(self.ndim))[::-1])

    def flatten(self) -> Array:
        """A 1-D copy."""
        return self._backend.namespace.reshape(self, (-1,))


_VERSIONS = ("2021.12", "2022.12", "2023.12", "2024.12", "2025.12")


def _reduction(fname: str):
    def method(self: Array, axis: Any = None, dtype: Any = None, out: Any = None,
               keepdims: bool = False, **kwargs: Any) -> Array:
        if out is not None:
            raise TypeError(f"{fname}(): out= is not supported (it would write past the tape)")
        if isinstance(axis, list):
            axis = tuple(axis)
        if dtype is not None:
            kwargs["dtype"] = dtype
        return getattr(self._backend.namespace, fname)(self, axis=axis, keepdims=keepdims, **kwargs)

    method.__name__ = fname
    method.__doc__ = f"``{fname}`` over ``axis`` (NumPy/MXNet-style method)."
    return method


def _arg_reduction(fname: str):
    def method(self: Array, axis: Any = None, keepdims: bool = False) -> Array:
        return getattr(self._backend.namespace, fname)(self, axis=axis, keepdims=keepdims)

    method.__name__ = fname
    method.__doc__ = f"``{fname}`` over ``axis`` (index of the extreme element)."
    return method


for _m in ("sum", "mean", "prod", "max", "min", "std", "var"):
    setattr(Array, _m, _reduction(_m))
for _m in ("argmax", "argmin"):
    setattr(Array, _m, _arg_reduction(_m))


def _binary(fname: str, reflected: bool):
    if reflected:
        def op(self: Array, other: Any) -> Any:
            if not _operand(other):
                return NotImplemented
            return getattr(self._backend.namespace, fname)(other, self)
    else:
        def op(self: Array, other: Any) -> Any:
            if not _operand(other):
                return NotImplemented
            return getattr(self._backend.namespace, fname)(self, other)
    return op


def _inplace(fname: str, dunder: str):
    def op(self: Array, other: Any) -> Any:
        if not _operand(other):
            return NotImplemented
        return self._assign(getattr(self._backend.namespace, fname)(self, other), dunder)
    return op


def _unary(fname: str):
    def op(self: Array) -> Array:
        return getattr(self._backend.namespace, fname)(self)
    return op


_SCALARS = (bool, int, float, complex)


def _operand(other: Any) -> bool:
    return isinstance(other, (Array,) + _SCALARS) or hasattr(other, "__array_namespace__") \
        or hasattr(other, "shape")


_BINARY = {
    "add": "add", "sub": "subtract", "mul": "multiply", "truediv": "divide",
    "floordiv": "floor_divide", "mod": "remainder", "pow": "pow", "matmul": "matmul",
    "and": "bitwise_and", "or": "bitwise_or", "xor": "bitwise_xor",
    "lshift": "bitwise_left_shift", "rshift": "bitwise_right_shift",
}
for _k, _f in _BINARY.items():
    setattr(Array, f"__{_k}__", _binary(_f, False))
    setattr(Array, f"__r{_k}__", _binary(_f, True))
    setattr(Array, f"__i{_k}__", _inplace(_f, f"__i{_k}__"))
for _k, _f in {"eq": "equal", "ne": "not_equal", "lt": "less", "le": "less_equal",
               "gt": "greater", "ge": "greater_equal"}.items():
    setattr(Array, f"__{_k}__", _binary(_f, False))
for _k, _f in {"neg": "negative", "pos": "positive", "abs": "abs", "invert": "bitwise_invert"}.items():
    setattr(Array, f"__{_k}__", _unary(_f))
Array.__hash__ = None  # type: ignore[assignment]
