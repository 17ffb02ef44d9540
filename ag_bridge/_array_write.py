"""Writes into an :class:`~ag_bridge.Array`: indexing (read and write), in-place operators,
gradient buffers (``attach_grad``), and the errors for mixing libraries.

Arrays have value semantics: an in-place operator or ``__setitem__`` never changes
another Array, and never a value saved for backward (the buffer is written in place
only when nothing else refers to it).
"""

from __future__ import annotations

import operator
from typing import Any

from ._array import Array, wrap
from ._keys import clamp_slices
from ._node import Leaf, Node
from ._registry import RULES
from ._state import STATE

__all__ = ["attach_grad", "mixed_error", "refuse_foreign", "unwrap_key", "getitem", "setitem", "assign",
           "update_in_place"]


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


def unwrap_key(key: Any, backend: Any, raw: Any) -> Any:
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


def getitem(self: Array, key: Any) -> Array:
    """``self[key]`` (Array.__getitem__): recorded when ``self`` needs a gradient."""
    b = self._backend
    rkey = unwrap_key(key, b, self._data)
    out = b.coerce(b.getitem(self._data, rkey))
    node = self._node
    if node is not None and STATE.get()[0]:
        n = Node("__getitem__", RULES.get("__getitem__"), (self._data, rkey), {}, out,
                 ((0, node, self._oidx),), b, False)
        return wrap(out, b, n)
    return wrap(out, b)

def setitem(self: Array, key: Any, value: Any) -> None:
    """``self[key] = value`` (Array.__setitem__) with value semantics: in place only when
    nothing else refers to the buffer; recorded when either side needs a gradient."""
    b = self._backend
    rkey = unwrap_key(key, b, self._data)
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

#: the in-place operators a buffer takes in place (arithmetic, floating or complex arrays)
_IN_PLACE = {"__iadd__": operator.iadd, "__isub__": operator.isub, "__imul__": operator.imul,
             "__itruediv__": operator.itruediv}


def update_in_place(self: Array, other: Any, op: str) -> bool:
    """``self op= other`` written into ``self``'s own buffer, as torch and NumPy users expect of
    ``param -= lr * param.grad`` (no new allocation each step), where no one can tell: a
    mutable backend, a buffer nothing else refers to (:meth:`Backend.exclusive`: not saved for
    backward, no view, no other Array), nothing to record, ``other`` of ``self``'s dtype (or a
    Python number on a floating or complex array) whose shape broadcasts to ``self``'s.
    Returns False, having done nothing, otherwise: :func:`assign` then rebinds."""
    fn = _IN_PLACE.get(op)
    b = self._backend
    if fn is None or not b.mutable:
        return False
    if other.__class__ is Array:
        if other._backend is not b:
            return False
        value = other._data
        shape = self._data.shape  # no local reference to the buffer: exclusive() counts them
        if value.dtype != self._data.dtype or value.shape != shape and \
                not _fits(tuple(value.shape), tuple(shape)):
            return False
    elif other.__class__ is float or other.__class__ is int:
        value = other
        if not b.is_inexact(self._data.dtype):
            return False
    else:
        return False
    node = self._node
    if STATE.get()[0] and (node is not None or other.__class__ is Array and other._node is not None):
        return False  # recorded (assign), or refused with its message (a leaf)
    if not b.exclusive(self._data):
        return False
    self._data = fn(self._data, value)
    if type(node) is not Leaf:
        self._node, self._oidx = None, -1
    return True


def _fits(shape: tuple, target: tuple) -> bool:
    """Whether ``shape`` broadcasts to ``target`` without changing it."""
    return len(shape) <= len(target) and all(
        n == 1 or n == m for n, m in zip(reversed(shape), reversed(target), strict=False))


def assign(self: Array, r: Array, op: str) -> Array:
    """Rebind ``self`` to the result of an in-place operator (value semantics)."""
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
