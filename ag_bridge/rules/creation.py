"""VJPs of the creation functions that take arrays: ``asarray``,
``meshgrid``, ``tril``, ``triu`` (the others make constants).

``asarray`` of a recorded array is the identity (a dtype cast or copy is
undone by the engine's cast of the cotangent; a device move is undone here).
``meshgrid`` gives each 1-D input the sum of its output's cotangent over all
other axes; with ``indexing='xy'`` the first two inputs vary along axes 1
and 0.
"""

from __future__ import annotations

from .._registry import defvjp, defvjp_joint
from .data_type import back_to_device


def _asarray(xp, g, ans, obj, /, *, dtype=None, device=None, copy=None):
    return g if device is None else back_to_device(xp, g, obj)


def _grid_axis(i: int, n: int, indexing: str) -> int:
    return 1 - i if indexing == "xy" and n >= 2 and i < 2 else i


def _meshgrid(xp, g, ans, *arrays, indexing="xy"):
    n = len(arrays)
    out = []
    for i, gi in enumerate(g):
        k = _grid_axis(i, n, indexing)
        axes = tuple(a for a in range(gi.ndim) if a != k)
        out.append(xp.sum(gi, axis=axes) if axes else gi)
    return tuple(out)


defvjp("asarray", _asarray)
defvjp_joint("meshgrid", _meshgrid)
defvjp("tril", lambda xp, g, ans, x, /, *, k=0: xp.tril(g, k=k))
defvjp("triu", lambda xp, g, ans, x, /, *, k=0: xp.triu(g, k=k))
