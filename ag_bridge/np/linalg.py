"""``ag_bridge.np.linalg``: NumPy's ``linalg`` names over the standard's extension.

:func:`norm` follows ``numpy.linalg.norm``; every function of the standard's
``linalg`` extension (``inv``, ``det``, ``solve``, ``cholesky``, ``eigh``,
``svd``, ``qr``, ``slogdet`` ...) is here too, on the arrays' backend.
"""

from __future__ import annotations

from typing import Any

from .._array import Array
from .._spec import SPECS
from ._core import numpy_style, operands

__all__ = ["norm"]

for _s in SPECS.values():
    if _s.module == "linalg":
        globals()[_s.name] = numpy_style(_s.name, _s.qualname, len(_s.arrays))
        __all__.append(_s.name)


def norm(x: Any, ord: Any = None, axis: Any = None, keepdims: bool = False) -> Array:  # noqa: A002
    """Vector or matrix norm with ``numpy.linalg.norm``'s rules.

    * ``axis`` None and ``ord`` None: the 2-norm of the flattened array;
    * ``axis`` None with ``ord``: a vector norm of a 1-D array, a matrix norm of a 2-D one;
    * ``axis`` an int (or a 1-tuple): vector norms along it (``ord`` defaults to 2);
    * ``axis`` a 2-tuple: matrix norms over those axes (``ord`` defaults to ``'fro'``).

    The gradient of the 2-norm at 0 is 0. On a library without ``linalg.vector_norm``
    (marray, cubed), the 2-norm of the flattened array is ``sqrt(sum(|x|**2))`` from
    core functions (there its gradient at 0 is not defined).

    >>> from ag_bridge import np
    >>> np.linalg.norm(np.array([3, 4]))
    array(5.)
    """
    b, (a,) = operands((x,))
    la = b.namespace.linalg
    if axis is None:
        if ord is None and getattr(getattr(b.xp, "linalg", None), "vector_norm", None) is None:
            ns = b.namespace
            return ns.sqrt(ns.sum(ns.abs(a) ** 2, keepdims=keepdims) if a.ndim else ns.abs(a) ** 2)
        if ord is None:
            return la.vector_norm(a, axis=None, keepdims=keepdims)
        if a.ndim not in (1, 2):
            raise ValueError(f"norm(): ord={ord!r} needs a 1-D or 2-D array (or axis=), "
                             f"got {a.ndim} dimensions")
        axis = tuple(range(a.ndim))
    if isinstance(axis, int):
        axis = (axis,)
    axis = tuple(axis)
    if len(axis) == 1:
        return la.vector_norm(a, axis=axis[0], keepdims=keepdims, ord=2 if ord is None else ord)
    if len(axis) != 2:
        raise ValueError(f"norm(): axis must name 1 or 2 axes, got {axis!r}")
    if ord is None or ord == "fro":
        return la.vector_norm(a, axis=axis, keepdims=keepdims)
    ns = b.namespace
    r, c = (ax % a.ndim for ax in axis)
    rest = [i for i in range(a.ndim) if i not in (r, c)]
    out = la.matrix_norm(ns.permute_dims(a, tuple(rest) + (r, c)), ord=ord)
    if keepdims:
        out = ns.expand_dims(ns.expand_dims(out, axis=min(r, c)), axis=max(r, c))
    return out
