"""Matrix-vector products of a matrix chunked along its rows only (a feature matrix of
samples), built as one layer each instead of Dask's general ``matmul`` (which expands the
vector to a matrix, contracts blockwise, tree-sums and indexes: about 2 ms of Python per
product, and three layers): :func:`matvec` ``x1 @ x2`` (the forward ``X @ w``) and
:func:`vecmat` ``g @ x1`` (the cotangent of ``w``, ``X.T @ g``). Each returns None where it
does not apply; the caller then uses Dask's ``matmul``."""

from __future__ import annotations

from functools import reduce
from typing import Any

import dask.array as da
import numpy as np
from dask.base import tokenize
from dask.highlevelgraph import HighLevelGraph

__all__ = ["matvec", "vecmat"]

#: at most this many elements in the partial products :func:`vecmat` sums in one task
MAX_PARTIALS = 1 << 22


def _plain(x: Any, ndim: int) -> bool:
    return isinstance(x, da.Array) and x.ndim == ndim and type(x._meta) is np.ndarray \
        and not any(n != n for n in x.shape)


def matvec(x1: Any, x2: Any) -> Any:
    """``x1 @ x2`` for an (n, k) matrix in one column of blocks and a (k,) vector in one
    block, of one floating or complex dtype: each row block times the vector."""
    if not (_plain(x1, 2) and _plain(x2, 1)) or x1.dtype != x2.dtype \
            or x1.dtype.kind not in "fc" or x1.numblocks[1] != 1 or x2.numblocks[0] != 1 \
            or x1.shape[1] != x2.shape[0]:
        return None
    return da.blockwise(_product, "i", x1, "ij", x2, "j", concatenate=False, dtype=x1.dtype,
                        meta=np.empty((0,), x1.dtype), align_arrays=False,
                        name="matvec-" + tokenize(x1.name, x2.name))


def vecmat(g: Any, x1: Any) -> Any:
    """``g @ x1`` for an (n,) vector chunked like the rows of an (n, k) real matrix in one
    column of blocks: a (1, k) partial product per row block, summed in one task."""
    if not (_plain(g, 1) and _plain(x1, 2)) or g.dtype != x1.dtype or x1.dtype.kind != "f" \
            or x1.numblocks[1] != 1 or g.chunks[0] != x1.chunks[0] \
            or x1.numblocks[0] * x1.shape[1] > MAX_PARTIALS:
        return None
    k = x1.shape[1]
    parts = da.blockwise(_partial, "ij", g, "i", x1, "ij", adjust_chunks={"i": 1},
                         dtype=x1.dtype, meta=np.empty((0, 0), x1.dtype), align_arrays=False,
                         name="vecmat-part-" + tokenize(g.name, x1.name))
    name = "vecmat-" + tokenize(parts.name)
    keys = [(parts.name, i, 0) for i in range(parts.numblocks[0])]
    graph = HighLevelGraph.from_collections(name, {(name, 0): (_total, keys)}, dependencies=[parts])
    return da.Array(graph, name, ((k,),), meta=np.empty((0,), x1.dtype))


def _product(x1s: list, x2s: list) -> Any:
    """A row block times the vector (each given as the list of its one block along the
    contracted axis: ``concatenate=True`` would copy the row block)."""
    return np.matmul(x1s[0], x2s[0])


def _partial(gb: Any, xb: Any) -> Any:
    """One row block's contribution, as a (1, k) row."""
    return np.matmul(gb[None, :], xb)


def _total(parts: list) -> Any:
    """The sum of the (1, k) partial products, as a (k,) vector."""
    return reduce(np.add, parts)[0]
