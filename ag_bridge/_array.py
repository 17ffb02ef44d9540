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
from ._node import _NO_KWARGS, _SEQ, Leaf, Node
from ._numpy_protocols import array_function, array_ufunc
from ._state import STATE

__all__ = ["Array", "wrap", "recorded", "mixed_error", "refuse_foreign", "attach_grad"]

_new = object.__new__


def wrap(data: Any, backend: Any, node: Any = None, oidx: int = -1) -> Array:
    """Make an Array around a raw backend array (no copy)."""
    a = _new(Array)
    a._data = data
    a._backend = backend
    a._node = node
    a._oidx = oidx
    return a


def recorded(data: Any, backend: Any, consts: tuple, args: tuple, kwargs: dict, ans: Any,
             parents: tuple) -> Array:
    """An Array around ``data`` made by a new :class:`~ag_bridge._node.Node` of one
    recording function (``consts`` from :func:`~ag_bridge._node.site`): the node and the
    array in one frame and without ``__init__`` frames, as this is the hot path."""
    n = _new(Node)
    n.seq = next(_SEQ)
    n.op, n.rule, n.backend, n.multi, n.listarg, n.arrays = consts
    n.args = args
    n.kwargs = kwargs or _NO_KWARGS
    n.ans = ans
    n.parents = parents
    a = _new(Array)
    a._data = data
    a._backend = backend
    a._node = n
    a._oidx = -1
    return a


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
                "autograd.record() would silently drop its gradient (np.asarray() of the "
                f"result of {self._node.op}() on backend '{self._backend.name}', e.g. by a "
                "library's compiled NumPy-only code); call .detach() first, "
                "or use the array API namespace (x.__array_namespace__()) for the computation"
            )
        out = self._backend.to_numpy(self._data)
        return out if dtype is None else out.astype(dtype)

    def __repr__(self) -> str:
        return self._backend.repr(self._data)

    __str__ = __repr__

    # ------------------------------------------------------------ indexing (in _array_write)
    def __getitem__(self, key: Any) -> Array:
        return getitem(self, key)

    def __setitem__(self, key: Any, value: Any) -> None:
        setitem(self, key, value)

    def _assign(self, r: Array, op: str) -> Array:
        """Rebind self to the result of an in-place operator (value semantics)."""
        return assign(self, r, op)

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

# Defined after the class: they build Arrays (wrap) and check for them.
from ._array_methods import install  # noqa: E402
from ._array_write import (  # noqa: E402
    assign,
    attach_grad,
    getitem,
    mixed_error,
    refuse_foreign,
    setitem,
    unwrap_key,
    update_in_place,
)

_unwrap_key = unwrap_key  # the name the namespace module imports
#: ``op=`` in the buffer itself where no one can tell (the function itself: no extra frame)
Array._update_in_place = update_in_place
install(Array)
