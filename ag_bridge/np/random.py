"""``ag_bridge.np.random``: MXNet's random functions on any backend.

Numbers are drawn with NumPy's generator (PCG64) in float64, then converted
by the backend, so one seed gives the same values on every backend (up to
the rounding to float32, the default dtype). Array-valued ``loc``/``scale``
(or ``low``/``high``) are applied with recorded operations, so gradients flow
to them (the reparameterisation ``loc + scale * eps``).
"""

from __future__ import annotations

from typing import Any

import numpy

from .._array import Array
from ._core import backend_for, default_dtype, index_dtype, placement, to_dtype

__all__ = ["seed", "normal", "uniform", "randint", "rand", "randn"]


class _Generator:
    """The state of ``ag_bridge.np.random``: one NumPy generator, replaced by :func:`seed`."""

    def __init__(self) -> None:
        self.rng = numpy.random.default_rng()

    def reseed(self, seed: Any) -> None:
        """Start a new generator from ``seed``."""
        self.rng = numpy.random.default_rng(seed)


_GEN = _Generator()


def seed(seed: int | None = None) -> None:
    """Seed the generator (None: fresh entropy)."""
    _GEN.reseed(seed)


def _shape(size: Any, *params: Any) -> tuple:
    """``size`` as a tuple, else the broadcast shape of the distribution's parameters."""
    if size is not None:
        return (size,) if isinstance(size, int) else tuple(size)
    return numpy.broadcast_shapes(*(tuple(getattr(p, "shape", numpy.shape(p))) for p in params))


def _affine(sample: Any, shift: Any, scale: Any, dtype: Any, device: Any) -> Array:
    """``shift + scale * sample``: in float64 NumPy for plain numbers, recorded
    on the backend when ``shift`` or ``scale`` is an Array."""
    arrays = [p for p in (shift, scale) if isinstance(p, Array)]
    b = backend_for(*arrays)
    if dtype is not None:
        dt = to_dtype(b, dtype)
    else:
        dt = arrays[0].dtype if arrays else default_dtype(b)
    ns = b.namespace
    if not arrays:
        values = numpy.asarray(shift) + numpy.asarray(scale) * sample
        return ns.asarray(values, dtype=dt, **placement(b, device))
    eps = ns.asarray(numpy.asarray(sample), dtype=dt, **placement(b, device))
    return shift + scale * eps


def normal(loc: Any = 0.0, scale: Any = 1.0, size: Any = None, dtype: Any = None, *,
           device: Any = None) -> Array:
    """Samples of N(``loc``, ``scale``²) of shape ``size`` (float32 by default).

    With no ``size`` and scalar parameters the result is a 0-d array.
    """
    return _affine(_GEN.rng.standard_normal(_shape(size, loc, scale)), loc, scale, dtype, device)


def uniform(low: Any = 0.0, high: Any = 1.0, size: Any = None, dtype: Any = None, *,
            device: Any = None) -> Array:
    """Samples of U[``low``, ``high``) of shape ``size`` (float32 by default)."""
    return _affine(_GEN.rng.random(_shape(size, low, high)), low, high - low, dtype, device)


def randint(low: int, high: int | None = None, size: Any = None, dtype: Any = None, *,
            device: Any = None) -> Array:
    """Random integers in ``[low, high)`` (``[0, low)`` when ``high`` is None).

    The dtype defaults to the backend's default integer (int64; int32 on JAX
    without x64).
    """
    values = _GEN.rng.integers(low, high, size=_shape(size) if size is not None else None)
    b = backend_for()
    dt = index_dtype(b) if dtype is None else to_dtype(b, dtype)
    return b.namespace.asarray(numpy.asarray(values), dtype=dt, **placement(b, device))


def rand(*size: int) -> Array:
    """Uniform samples in [0, 1) of shape ``size`` (float32)."""
    return uniform(size=size)


def randn(*size: int) -> Array:
    """Standard normal samples of shape ``size`` (float32)."""
    return normal(size=size)

