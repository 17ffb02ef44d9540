"""The einops backend for ag_bridge arrays (``einops.rearrange``/``reduce``/``repeat``/``einsum``).

einops picks a backend per tensor type among the subclasses of its
``AbstractBackend`` whose ``framework_name`` is an imported module. This
module's :func:`register` defines that subclass for :class:`ag_bridge.Array`
(``framework_name = "ag_bridge"``); :mod:`ag_bridge._interop` calls it as soon
as einops is imported (or at once if it already was). Every operation goes
through the array's recording namespace, so gradients flow.
"""

from __future__ import annotations

from types import ModuleType
from typing import Any

__all__ = ["register"]

_REDUCTIONS = ("min", "max", "sum", "mean", "prod", "any", "all")


def register(einops_backends: ModuleType) -> type:
    """Define (once) the einops backend class in ``einops._backends``; return it."""
    known = einops_backends._loaded_backends.get("ag_bridge")
    if known is not None:
        return type(known)

    from ._api import namespace
    from ._array import Array

    class AgBridgeBackend(einops_backends.AbstractBackend):
        """einops operations on ag_bridge arrays, through their recording namespace."""

        framework_name = "ag_bridge"

        def is_appropriate_type(self, tensor: Any) -> bool:
            return isinstance(tensor, Array)

        def from_numpy(self, x: Any) -> Any:
            from ._api import asarray

            return asarray(x)

        def to_numpy(self, x: Any) -> Any:
            return x.asnumpy()

        def arange(self, start: int, stop: int) -> Any:
            return namespace().arange(start, stop)

        def shape(self, x: Any) -> tuple:
            return tuple(x.shape)

        def reshape(self, x: Any, shape: Any) -> Any:
            return x.__array_namespace__().reshape(x, tuple(shape))

        def transpose(self, x: Any, axes: Any) -> Any:
            return x.__array_namespace__().permute_dims(x, tuple(axes))

        def reduce(self, x: Any, operation: str, axes: Any) -> Any:
            if operation not in _REDUCTIONS:
                raise NotImplementedError(f"einops reduction {operation!r} on ag_bridge arrays "
                                          f"(offered: {', '.join(_REDUCTIONS)})")
            return getattr(x.__array_namespace__(), operation)(x, axis=tuple(axes))

        def stack_on_zeroth_dimension(self, tensors: list) -> Any:
            return tensors[0].__array_namespace__().stack(list(tensors))

        def add_axis(self, x: Any, new_position: int) -> Any:
            return x.__array_namespace__().expand_dims(x, axis=new_position)

        def add_axes(self, x: Any, n_axes: int, pos2len: dict) -> Any:
            xp = x.__array_namespace__()
            for pos in sorted(pos2len):
                x = xp.expand_dims(x, axis=pos)
            shape = [pos2len.get(i, n) for i, n in enumerate(x.shape)]
            return xp.broadcast_to(x, tuple(shape))

        def tile(self, x: Any, repeats: Any) -> Any:
            return x.__array_namespace__().tile(x, tuple(repeats))

        def concat(self, tensors: list, axis: int) -> Any:
            return tensors[0].__array_namespace__().concat(list(tensors), axis=axis)

        def is_float_type(self, x: Any) -> bool:
            return x.__array_namespace__().isdtype(x.dtype, "real floating")

        def einsum(self, pattern: str, *x: Any) -> Any:
            return x[0].__array_namespace__().einsum(pattern, *x)

    # einops keeps its backends as instances in this table (its subclass list holds only
    # weak references: the instance keeps the class alive)
    einops_backends._loaded_backends.setdefault("ag_bridge", AgBridgeBackend())
    return AgBridgeBackend
