"""``ag_bridge.npx``: MXNet's numpy-extension operators used by from-scratch models.

``set_np()`` exists so MXNet code runs unchanged (ag_bridge is always in
numpy mode); the operators work on any backend and record like everything
else.

>>> from ag_bridge import np, npx
>>> npx.set_np()
>>> npx.relu(np.array([-1.0, 2.0]))
array([0., 2.])
"""

from __future__ import annotations

from typing import Any

from ._array import Array
from .np._core import index_dtype, operands, to_dtype

__all__ = ["set_np", "reset_np", "is_np_array", "relu", "sigmoid", "softmax", "log_softmax",
           "one_hot", "pick"]


def set_np(shape: bool = True, array: bool = True, dtype: bool = False) -> None:
    """Turn on MXNet's numpy mode: a no-op here (ag_bridge is always in it)."""
    return None


def reset_np() -> None:
    """Turn off MXNet's numpy mode: a no-op here."""
    return None


def is_np_array() -> bool:
    """Whether numpy-mode arrays are in use: always True."""
    return True


def _one(data: Any) -> tuple:
    """The namespace of ``data``'s backend and ``data`` as an Array."""
    b, (x,) = operands((data,))
    return b.namespace, x


def relu(data: Any) -> Array:
    """``max(data, 0)`` element-wise (gradient 0 for negative inputs, 1 for positive)."""
    ns, x = _one(data)
    return ns.where(x > 0, x, ns.zeros_like(x))


def sigmoid(data: Any) -> Array:
    """The logistic function ``1 / (1 + exp(-data))``."""
    ns, x = _one(data)
    return 1 / (1 + ns.exp(-x))


def _shifted(ns: Any, x: Array, axis: int) -> Array:
    """``x`` minus its maximum along ``axis``, for a stable softmax.

    Softmax is shift-invariant, so the maximum is taken as a constant
    (detached): the gradients are exact and nothing overflows.
    """
    return x - ns.max(x.detach(), axis=axis, keepdims=True)


def softmax(data: Any, axis: int = -1, temperature: float | None = None) -> Array:
    """``exp(data) / sum(exp(data))`` along ``axis`` (computed stably)."""
    ns, x = _one(data)
    if temperature is not None:
        x = x / temperature
    z = ns.exp(_shifted(ns, x, axis))
    return z / ns.sum(z, axis=axis, keepdims=True)


def log_softmax(data: Any, axis: int = -1, temperature: float | None = None) -> Array:
    """``log(softmax(data))`` along ``axis``, computed stably."""
    ns, x = _one(data)
    if temperature is not None:
        x = x / temperature
    s = _shifted(ns, x, axis)
    return s - ns.log(ns.sum(ns.exp(s), axis=axis, keepdims=True))


def one_hot(data: Any, depth: int, on_value: float = 1.0, off_value: float = 0.0,
            dtype: Any = "float32") -> Array:
    """One-hot rows of length ``depth`` for integer (or integral float) labels ``data``."""
    b, (x,) = operands((data,))
    ns = b.namespace
    it = index_dtype(b)
    hit = ns.expand_dims(ns.astype(x, it), axis=-1) == ns.arange(depth, dtype=it, device=x.device)
    dt = to_dtype(b, dtype)
    return ns.where(hit, ns.asarray(on_value, dtype=dt, device=x.device),
                    ns.asarray(off_value, dtype=dt, device=x.device))


def pick(data: Any, index: Any, axis: int = -1, keepdims: bool = False) -> Array:
    """``data[..., index[...], ...]`` along ``axis``: one element per row (recorded).

    ``index`` may hold integral floats, as MXNet labels often do.
    """
    b, (x, i) = operands((data, index))
    ns = b.namespace
    idx = ns.expand_dims(ns.astype(i, index_dtype(b)), axis=axis)
    if hasattr(b.xp, "take_along_axis"):
        out = ns.take_along_axis(x, idx, axis=axis)
    else:  # e.g. Dask: select with a one-hot mask along the axis
        shape = [1] * x.ndim
        shape[axis] = x.shape[axis]
        positions = ns.reshape(ns.arange(x.shape[axis], dtype=idx.dtype, device=x.device), tuple(shape))
        out = ns.sum(ns.where(idx == positions, x, ns.zeros_like(x)), axis=axis, keepdims=True)
    return out if keepdims else ns.squeeze(out, axis=axis)
