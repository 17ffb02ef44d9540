"""The operators and NumPy-style methods of :class:`~ag_bridge.Array`, as a table: each one
calls the function of the array's recording namespace (``x * y`` is ``xp.multiply(x, y)``),
so every operator records through the one code path of its function."""

from __future__ import annotations

from typing import Any

__all__ = ["install"]


def _reduction(fname: str):
    def method(self: Any, axis: Any = None, dtype: Any = None, out: Any = None,
               keepdims: bool = False, **kwargs: Any) -> Any:
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
    def method(self: Any, axis: Any = None, keepdims: bool = False) -> Any:
        return getattr(self._backend.namespace, fname)(self, axis=axis, keepdims=keepdims)

    method.__name__ = fname
    method.__doc__ = f"``{fname}`` over ``axis`` (index of the extreme element)."
    return method




def _binary(fname: str, reflected: bool, operand: Any):
    fast = operand.fast  # classes that pass without a call
    if reflected:
        def op(self: Any, other: Any) -> Any:
            if other.__class__ not in fast and not operand(other):
                return NotImplemented
            b = self._backend
            return getattr(b._namespace or b.namespace, fname)(other, self)
    else:
        def op(self: Any, other: Any) -> Any:
            if other.__class__ not in fast and not operand(other):
                return NotImplemented
            b = self._backend
            return getattr(b._namespace or b.namespace, fname)(self, other)
    return op


def _inplace(fname: str, dunder: str, operand: Any):
    fast = operand.fast  # classes that pass without a call

    def op(self: Any, other: Any) -> Any:
        if other.__class__ not in fast and not operand(other):
            return NotImplemented
        if self._update_in_place(other, dunder):
            return self
        return self._assign(getattr(self._backend.namespace, fname)(self, other), dunder)
    return op


def _unary(fname: str):
    def op(self: Any) -> Any:
        b = self._backend
        return getattr(b._namespace or b.namespace, fname)(self)
    return op


def _operand_test(cls: type) -> Any:
    """Whether an operator's other operand is for us: an Array, a Python number, or an
    array-like (refused later with a clear error when it is another library's)."""
    fast = frozenset((cls, bool, int, float, complex))

    def operand(other: Any) -> bool:
        return other.__class__ in fast or isinstance(other, cls) \
            or hasattr(other, "__array_namespace__") or hasattr(other, "shape")
    operand.fast = fast
    return operand


_BINARY = {
    "add": "add", "sub": "subtract", "mul": "multiply", "truediv": "divide",
    "floordiv": "floor_divide", "mod": "remainder", "pow": "pow", "matmul": "matmul",
    "and": "bitwise_and", "or": "bitwise_or", "xor": "bitwise_xor",
    "lshift": "bitwise_left_shift", "rshift": "bitwise_right_shift",
}


def install(cls: type) -> None:
    """Put the operators and methods on the Array class (once, at import)."""
    for _m in ("sum", "mean", "prod", "max", "min", "std", "var"):
        setattr(cls, _m, _reduction(_m))
    for _m in ("argmax", "argmin"):
        setattr(cls, _m, _arg_reduction(_m))
    operand = _operand_test(cls)
    for _k, _f in _BINARY.items():
        setattr(cls, f"__{_k}__", _binary(_f, False, operand))
        setattr(cls, f"__r{_k}__", _binary(_f, True, operand))
        setattr(cls, f"__i{_k}__", _inplace(_f, f"__i{_k}__", operand))
    for _k, _f in {"eq": "equal", "ne": "not_equal", "lt": "less", "le": "less_equal",
                   "gt": "greater", "ge": "greater_equal"}.items():
        setattr(cls, f"__{_k}__", _binary(_f, False, operand))
    for _k, _f in {"neg": "negative", "pos": "positive", "abs": "abs", "invert": "bitwise_invert"}.items():
        setattr(cls, f"__{_k}__", _unary(_f))
    cls.__hash__ = None  # type: ignore[assignment]
