"""Chunk layout of Dask arrays: one chunk along given axes, known chunk sizes, and a
value laid out in another array's chunks (:func:`like`, the plugin's ``Backend.like``)."""

from __future__ import annotations

import math
from typing import Any

import dask.array as da
import numpy as np
from dask.array.utils import meta_from_array
from dask.base import tokenize
from dask.layers import ArrayChunkShapeDep

from ._inline import inline

__all__ = ["one_chunk", "known", "like"]


def one_chunk(x: Any, axes: Any) -> Any:
    """``x`` with a single chunk along ``axes`` (Dask's FFTs need that)."""
    want = {a % x.ndim: -1 for a in axes}
    if all(len(x.chunks[a]) == 1 for a in want):
        return x
    return x.rechunk(want)


def known(x: Any) -> Any:
    """``x`` with its chunk sizes known (boolean-mask results need a pass over the mask)."""
    if isinstance(x, da.Array) and any(math.isnan(n) for n in x.shape):
        x = x.compute_chunk_sizes()
    return x


def like(value: Any, ref: Any) -> Any:
    """``value`` in ``ref``'s chunks: unchanged when they already agree, else
    rechunked along the axes it shares with ``ref`` and broadcast block by block
    into ``ref``'s chunks (so a reduction's cotangent is never one chunk the size
    of ``ref``, and the broadcast fuses with the element-wise tasks around it). A
    value whose graph is a few tasks on small arrays is computed inside each block's
    task instead of being a dependency of every block (:mod:`._inline`)."""
    chunks = getattr(ref, "chunks", None)
    if chunks is None or not isinstance(value, (da.Array, np.ndarray)):
        return value
    if isinstance(value, da.Array) and value.chunks == chunks:
        return value
    if not isinstance(value, da.Array):
        value = da.asarray(value)
    shape, lead = tuple(ref.shape), ref.ndim - value.ndim
    if tuple(value.shape) == shape:
        return value.rechunk(chunks)
    kept = {i: chunks[i + lead] for i, n in enumerate(value.shape)
            if n == shape[i + lead] and value.chunks[i] != chunks[i + lead]}
    if kept:
        value = value.rechunk(kept)
    # a blockwise broadcast (not da.broadcast_to, whose layer Dask cannot fuse with the
    # element-wise ops around it): each block a zero-copy view of value's block, its
    # shape read from ref's chunks inside the task (no layer of placeholder blocks)
    ind = tuple(range(len(shape)))
    small = inline(value)
    if small is not None:  # computed in each block's task: the block keeps one dependency
        # meta given: Dask would otherwise call the function (and compute the value) now
        return da.blockwise(_spread_inline, ind, ArrayChunkShapeDep(chunks), ind, small, None,
                            dtype=value.dtype, align_arrays=False,
                            meta=meta_from_array(value._meta, ndim=len(shape)),
                            name="like-" + tokenize(value.name, chunks))
    return da.blockwise(_spread, ind, ArrayChunkShapeDep(chunks), ind, value, ind[lead:],
                        dtype=value.dtype, align_arrays=False,
                        name="like-" + tokenize(value, chunks))


def _spread(shape: tuple, v: Any) -> Any:
    """``v`` broadcast to the block ``shape`` (module level: graphs holding it pickle)."""
    return np.broadcast_to(v, shape)


def _spread_inline(shape: tuple, small: Any) -> Any:
    """The small value ``small()`` broadcast to the block ``shape``."""
    return np.broadcast_to(small(), shape)
