"""Small helpers shared by the rule modules (namespace-generic)."""

from __future__ import annotations

from typing import Any

__all__ = ["cj", "is_complex", "is_scalar", "zeros", "norm_axes", "expand_to"]

_PY = (int, float, bool)


def is_scalar(a: Any) -> bool:
    """Whether ``a`` is a Python number (an operand that gets no cotangent)."""
    return isinstance(a, (int, float, complex, bool))


#: dtype class -> {dtype: whether it is complex} (dtypes are few; asked once per dtype).
#: Keyed by class first, so dtypes of two libraries are never compared with each other.
_COMPLEX: dict = {}
_REAL_PY = frozenset((int, float, bool))


#: id(dtype) -> (dtype, whether it is complex), for the dtypes met so far: the dtype is kept
#: alive here, so its id cannot be reused by another object while the entry exists. Bounded: a
#: library making a new dtype object per array just takes the slower path past the bound.
_BY_ID: dict = {}
_BY_ID_MAX = 512


def _complex_dtype(xp: Any, dt: Any) -> bool:
    try:
        return _BY_ID[id(dt)][1]
    except KeyError:
        pass
    try:
        v = _COMPLEX[dt.__class__][dt]
    except KeyError:
        v = bool(dt == xp.complex128 or dt == xp.complex64)
        _COMPLEX.setdefault(dt.__class__, {})[dt] = v
    except TypeError:  # an unhashable dtype
        return bool(dt == xp.complex128 or dt == xp.complex64)
    if len(_BY_ID) < _BY_ID_MAX:
        _BY_ID[id(dt)] = (dt, v)
    return v


def is_complex(xp: Any, a: Any) -> bool:
    """Whether ``a`` (array or Python number) is complex."""
    cls = a.__class__
    if cls in _REAL_PY:
        return False
    if cls is complex:
        return True
    if isinstance(a, _PY):
        return False
    if isinstance(a, complex):
        return True
    return _complex_dtype(xp, a.dtype)


def cj(xp: Any, a: Any) -> Any:
    """Conjugate of a derivative factor (identity for real values).

    Rules follow PyTorch's conjugate-Wirtinger convention: the cotangent of a
    holomorphic ``f`` is ``g * conj(f'(x))``. Real arrays cost one dictionary lookup.
    """
    cls = a.__class__
    if cls in _REAL_PY:
        return a
    try:  # an array of a dtype met before: two lookups
        c = _BY_ID[id(a.dtype)][1]
    except (KeyError, AttributeError):
        if cls is complex or isinstance(a, complex):
            return a.conjugate()
        if isinstance(a, _PY):
            return a
        c = _complex_dtype(xp, a.dtype)
    return xp.conj(a) if c else a


def zeros(xp: Any, g: Any) -> Any:
    """A zero cotangent shaped like ``g`` (piecewise-constant functions)."""
    return xp.zeros_like(g)


def norm_axes(axis: Any, ndim: int) -> tuple[int, ...]:
    """``axis`` (None, int, tuple, negative) as a sorted tuple of non-negative ints."""
    if axis is None:
        return tuple(range(ndim))
    if isinstance(axis, int):
        axis = (axis,)
    return tuple(sorted(a % ndim if ndim else a for a in axis))


def expand_to(xp: Any, g: Any, x: Any, axis: Any, keepdims: bool) -> Any:
    """Broadcast a reduction's cotangent back to its input ``x`` (an array, or a shape).

    Given the array, the broadcast goes through ``xp._like`` (the backend's
    :meth:`~ag_bridge.Backend.like`), so a chunked library builds it in ``x``'s
    chunks: never one chunk the size of the whole input.
    """
    shape = tuple(x) if isinstance(x, (tuple, list)) else tuple(x.shape)
    if not keepdims and len(shape) and g.ndim:  # (a 0-d cotangent broadcasts as it is)
        axes = norm_axes(axis, len(shape))
        if axes:
            g = xp.expand_dims(g, axis=axes)
    if not isinstance(x, (tuple, list)):
        g = xp._like(g, x)
    return g if tuple(g.shape) == shape else xp.broadcast_to(g, shape)
