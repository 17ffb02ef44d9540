"""Conformance records of the NumPy extras (``einsum`` and the compositions).

``einsum`` is checked in every subscript form: explicit and implicit output,
``...`` (with broadcasting of size-1 batch axes), repeated letters (traces and
diagonals), a letter summed inside one operand only, three operands, a 0-d
operand; real and complex. The compositions (``cumsum`` ... ``gradient``) get
the variants downstream libraries use (xarray: ``nanmean`` with NaNs,
``quantile`` with a list of ``q``, ``gradient`` with a coordinate array).
"""

from __future__ import annotations

import numpy as np

from ._record import Input, record

C = {"complex": True}


def _einsum(subs: str, *shapes: tuple, **kw) -> None:
    record("einsum", lambda xp, *a: xp.einsum(subs, *a), *(Input(s) for s in shapes),
           label=f"{subs}:" + ",".join("x".join(map(str, s)) or "0d" for s in shapes), **C, **kw)


_einsum("ij,jk->ik", (2, 3), (3, 4))
_einsum("ij,jk", (2, 3), (3, 2))            # implicit output: 'ik'
_einsum("ba,ca", (2, 3), (4, 3))            # implicit output sorted: 'bc'
_einsum("ii", (3, 3))                       # trace
_einsum("ii->i", (3, 3))                    # diagonal
_einsum("iij->ji", (2, 2, 3))               # diagonal of a batch, transposed
_einsum("ii,i->i", (3, 3), (3,))
_einsum("ijk->kji", (2, 3, 4))
_einsum("ij->", (2, 3))
_einsum("ij->j", (2, 3))                    # a letter summed inside its only operand
_einsum("ij,k->jk", (2, 3), (4,))
_einsum("i,i", (4,), (4,))
_einsum("i,j->ij", (3,), (2,))
_einsum("...ij,...jk->...ik", (2, 1, 3, 4), (5, 4, 2))  # batch broadcasting (size-1 axis)
_einsum("...i,...i", (2, 3), (3,))          # implicit output keeps the ellipsis
_einsum("a...,a->...", (3, 2, 2), (3,))
_einsum("bij,bjk->bik", (2, 3, 4), (2, 4, 2))
_einsum("ij,ij,ij->", (2, 3), (2, 3), (2, 3))
_einsum(",i->i", (), (3,))
_einsum("ij,jk->ik", (0, 3), (3, 2))        # empty

# ---------------------------------------------------------------- the compositions
record("cumsum", lambda xp, x: xp.cumsum(x), (3, 4), label="3x4,flattened", **C)
record("cumsum", lambda xp, x: xp.cumsum(x, axis=1), (3, 4), label="3x4,axis=1", **C)
record("cumprod", lambda xp, x: xp.cumprod(x, axis=0), Input((4, 3), 0.5, 1.5, "away"), label="4x3,axis=0")
record("cumprod", lambda xp, x: xp.cumprod(x), Input((2, 3), 0.5, 1.5, "away"), label="2x3,flattened")

record("pad", lambda xp, x: xp.pad(x, 2), (2, 3), label="2x3,2", **C)
record("pad", lambda xp, x: xp.pad(x, ((1, 0), (0, 2)), constant_values=3.0), (2, 3),
       label="2x3,((1,0),(0,2)),constant 3")
record("pad", lambda xp, x: xp.pad(x, (2, 1), mode="edge"), (2, 3), label="2x3,edge")
record("pad", lambda xp, x: xp.pad(x, ((0, 0), (4, 1)), mode="wrap"), (2, 3), label="2x3,wrap")

record("quantile", lambda xp, x: xp.quantile(x, 0.3), Input((3, 4), kind="distinct"), label="3x4,0.3")
record("quantile", lambda xp, x: xp.quantile(x, [0.1, 0.5, 1.0], axis=1), Input((3, 5), kind="distinct"),
       label="3x5,[0.1,0.5,1],axis=1")
record("quantile", lambda xp, x: xp.quantile(x, 0.75, axis=0, keepdims=True), Input((4, 3), kind="distinct"),
       label="4x3,0.75,axis=0,keepdims")
for _m in ("lower", "higher", "midpoint", "nearest"):
    record("quantile", lambda xp, x, m=_m: xp.quantile(x, 0.4, axis=-1, method=m),
           Input((2, 6), kind="distinct"), label=f"2x6,0.4,{_m}")

_NANS = np.array([[False, True, False, False], [False, False, False, True], [True, False, False, False]])


def _with_nans(xp, x):
    return xp.where(xp.asarray(_NANS), xp.asarray(float("nan"), dtype=x.dtype), x)


record("nanmean", lambda xp, x: xp.nanmean(_with_nans(xp, x), axis=0), (3, 4), label="3x4,NaNs,axis=0")
record("nanmean", lambda xp, x: xp.nanmean(_with_nans(xp, x)), (3, 4), label="3x4,NaNs,all")
record("nanmean", lambda xp, x: xp.nanmean(x, axis=1, keepdims=True), (3, 4), label="3x4,axis=1,keepdims",
       **C)
record("nansum", lambda xp, x: xp.nansum(_with_nans(xp, x), axis=1), (3, 4), label="3x4,NaNs,axis=1")
record("nansum", lambda xp, x: xp.nansum(x), (3, 4), label="3x4,all", **C)

_COORD = np.array([0.0, 0.5, 1.5, 1.75, 3.0])
record("gradient", lambda xp, x: xp.gradient(x), (6,), label="6", **C)
record("gradient", lambda xp, x: xp.gradient(x, 0.5, axis=1), (3, 5), label="3x5,h=0.5,axis=1")
record("gradient", lambda xp, x: xp.gradient(x, edge_order=2, axis=0), (5, 2), label="5x2,edge_order=2")
record("gradient", lambda xp, x: xp.gradient(x, _COORD, axis=0), (5, 2), label="5x2,coordinates")
record("gradient", lambda xp, x: xp.gradient(x, _COORD, edge_order=2), (5,),
       label="5,coordinates,edge_order=2")
record("gradient", lambda xp, x: xp.stack(xp.gradient(x)), (3, 4), label="3x4,both axes")

# what xarray looks up with skipna (nan*) and for rolling windows (sliding_window_view)
record("nanvar", lambda xp, x: xp.nanvar(_with_nans(xp, x), axis=1), (3, 4), label="3x4,NaNs,axis=1")
record("nanvar", lambda xp, x: xp.nanvar(x, ddof=1), (3, 4), label="3x4,ddof=1")
record("nanstd", lambda xp, x: xp.nanstd(_with_nans(xp, x), axis=0, ddof=1, keepdims=True), (3, 4),
       label="3x4,NaNs,axis=0,ddof=1,keepdims")
record("nancumsum", lambda xp, x: xp.nancumsum(_with_nans(xp, x), axis=1), (3, 4), label="3x4,NaNs,axis=1")
record("nanquantile", lambda xp, x: xp.nanquantile(_with_nans(xp, x), [0.25, 0.9], axis=1),
       Input((3, 4), kind="distinct"), label="3x4,NaNs,[0.25,0.9],axis=1")
record("nanquantile", lambda xp, x: xp.nanquantile(x, 0.5, axis=0, method="midpoint"),
       Input((4, 3), kind="distinct"), label="4x3,0.5,axis=0,midpoint")
record("sliding_window_view", lambda xp, x: xp.sliding_window_view(x, 3, axis=1), (2, 5),
       label="2x5,3,axis=1", **C)
record("sliding_window_view", lambda xp, x: xp.lib.stride_tricks.sliding_window_view(x, (2, 2)), (3, 4),
       label="3x4,(2,2)")
