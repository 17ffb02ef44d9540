"""NumPy extras on any namespace: ``einsum`` and compositions of the standard.

Downstream libraries ask an array namespace for a few NumPy functions the
standard lacks (xarray: ``cumsum``, ``nanmean``, ``quantile``, ``pad``,
``gradient``; einops and opt_einsum: ``einsum``). Each composition here is
written against the namespace ``xp`` it is handed: on the recording namespace
every step records, so the composition is differentiable with the standard's
VJPs (spec class ``K``: no rule of its own, a conformance record each).

``einsum`` records one node; its forward is the library's own ``einsum`` on
explicit subscripts (:func:`parse` expands ``...`` and the implicit output)
or, for a library without one, :func:`einsum_standard` (broadcast products and
sums of the standard; O(product of all index sizes) memory). Its VJP, an
einsum too, is in ``ag_bridge/rules/extras.py``.
"""

from __future__ import annotations

import functools
import math
import string
from collections.abc import Callable
from typing import Any

from ._spec import COMPOSITE

__all__ = ["parse", "einsum_standard", "raw_einsum", "COMPOSITES", "bind", "extend_raw", "arange_like"]

_LETTERS = string.ascii_letters


# ---------------------------------------------------------------- einsum subscripts
def parse(subscripts: Any, shapes: list) -> tuple[list[str], str]:
    """Explicit input and output subscripts of an einsum over operands of ``shapes``.

    ``...`` becomes letters the call does not use (right-aligned, as NumPy
    broadcasts them); an implicit output is the ellipsis' letters followed by
    the letters used once, sorted (NumPy's rule).
    """
    if not isinstance(subscripts, str):
        raise TypeError("einsum(): give the subscripts as a string first ('ij,jk->ik'); the "
                        "interleaved (operand, sublist) form is not supported by ag_bridge")
    s = subscripts.replace(" ", "")
    lhs, arrow, rhs = s.partition("->")
    ins = lhs.split(",")
    if len(ins) != len(shapes):
        raise ValueError(f"einsum(): {len(ins)} operand subscripts in {subscripts!r} for "
                         f"{len(shapes)} operands")
    used = set(s) - set(".,->")
    bad = used - set(_LETTERS)
    if bad:
        raise ValueError(f"einsum(): invalid subscript characters {sorted(bad)} in {subscripts!r}")
    free = [c for c in _LETTERS if c not in used]
    nell = 0
    for sub, shape in zip(ins, shapes):
        if "..." in sub:
            nell = max(nell, len(shape) - (len(sub) - 3))
        elif len(sub) != len(shape):
            raise ValueError(f"einsum(): subscripts {sub!r} for an operand of {len(shape)} dimensions")
    ell = "".join(free[:nell])
    out_ins = []
    for sub, shape in zip(ins, shapes):
        if "..." in sub:
            k = len(shape) - (len(sub) - 3)
            if k < 0:
                raise ValueError(f"einsum(): subscripts {sub!r} for an operand of {len(shape)} dimensions")
            sub = sub.replace("...", ell[nell - k:])
        out_ins.append(sub)
    if arrow:
        out = rhs.replace("...", ell)
        if "." in out:
            raise ValueError(f"einsum(): invalid output subscripts {rhs!r}")
    else:
        counts: dict[str, int] = {}
        for c in "".join(out_ins):
            counts[c] = counts.get(c, 0) + 1
        out = ell + "".join(sorted((c for c, n in counts.items() if n == 1 and c not in ell),
                                   key=_LETTERS.index))
    if len(set(out)) != len(out) or set(out) - set("".join(out_ins)):
        raise ValueError(f"einsum(): output subscripts of {subscripts!r} repeat a letter or name "
                         "one no operand has")
    return out_ins, out


def explicit(ins: list[str], out: str) -> str:
    """``'ij,jk->ik'`` from its parts."""
    return ",".join(ins) + "->" + out


def sizes(ins: list[str], shapes: list) -> dict[str, int]:
    """Each letter's size (size-1 axes broadcast against the others)."""
    n: dict[str, int] = {}
    for sub, shape in zip(ins, shapes):
        for c, k in zip(sub, shape):
            if n.get(c, 1) == 1:
                n[c] = k
    return n


def unique(sub: str) -> str:
    """The letters of ``sub`` in order of first appearance."""
    return "".join(dict.fromkeys(sub))


def _device(a: Any) -> Any:
    from ._array import Array

    if isinstance(a, Array):
        return a.device
    from array_api_compat import device

    return device(a)


def arange_like(xp: Any, like: Any, n: int) -> Any:
    """``arange(n)`` with ``like``'s device (integer dtype)."""
    return xp.arange(n, device=_device(like))


def diagonal_of(xp: Any, a: Any, sub: str) -> tuple[Any, str]:
    """``a`` restricted to the diagonals of its repeated letters: (array, unique letters)."""
    while len(set(sub)) != len(sub):
        c = next(c for c in sub if sub.count(c) > 1)
        p, q = sub.index(c), sub.index(c, sub.index(c) + 1)
        n = a.shape[p]
        rest = [i for i in range(a.ndim) if i not in (p, q)]
        a = xp.permute_dims(a, tuple(rest) + (p, q))
        a = xp.reshape(a, tuple(a.shape[:-2]) + (n * n,))
        a = xp.take(a, arange_like(xp, a, n) * (n + 1), axis=-1)
        sub = "".join(sub[i] for i in rest) + c
    return a, sub


def place(xp: Any, a: Any, sub: str, target: str, shape: tuple) -> Any:
    """``a`` (letters ``sub``, all distinct) permuted into ``target``'s order, with
    size-1 axes for the letters of ``target`` it lacks, broadcast to ``shape``."""
    order = [c for c in target if c in sub]
    if list(sub) != order:
        a = xp.permute_dims(a, tuple(sub.index(c) for c in order))
    a = xp.reshape(a, tuple(a.shape[order.index(c)] if c in sub else 1 for c in target))
    return xp.broadcast_to(a, tuple(shape))


def einsum_standard(xp: Any) -> Callable:
    """``einsum`` from the standard's functions alone (for libraries without one)."""
    def einsum(subscripts: str, /, *operands: Any) -> Any:
        ins, out = parse(subscripts, [o.shape for o in operands])
        n = sizes(ins, [o.shape for o in operands])
        full = out + "".join(c for c in unique("".join(ins)) if c not in out)
        prod = None
        for op, sub in zip(operands, ins):
            d, u = diagonal_of(xp, op, sub)
            t = place(xp, d, u, full, tuple(n[c] if c in u else 1 for c in full))
            prod = t if prod is None else prod * t
        prod = xp.broadcast_to(prod, tuple(n[c] for c in full))
        if len(full) > len(out):
            prod = xp.sum(prod, axis=tuple(range(len(out), len(full))))
        return prod
    return einsum


def raw_einsum(backend: Any) -> Callable:
    """The raw forward of ``einsum`` on ``backend``: the library's own on explicit
    subscripts, else :func:`einsum_standard`."""
    lib = getattr(backend.xp, "einsum", None)
    if lib is None:
        return einsum_standard(backend.xp)

    def einsum(subscripts: str, /, *operands: Any) -> Any:
        ins, out = parse(subscripts, [o.shape for o in operands])
        return lib(explicit(ins, out), *operands)
    einsum.__doc__ = lib.__doc__
    return einsum


# ---------------------------------------------------------------- compositions (class K)
def _flat_axis(xp: Any, x: Any, axis: Any) -> tuple[Any, int]:
    if axis is None:
        return xp.reshape(x, (-1,)), 0
    return x, axis


def cumsum(xp: Any, x: Any, /, axis: int | None = None, dtype: Any = None) -> Any:
    """NumPy's ``cumsum``: the standard's ``cumulative_sum`` (of the flattened array when
    ``axis`` is None)."""
    x, axis = _flat_axis(xp, x, axis)
    return xp.cumulative_sum(x, axis=axis, dtype=dtype)


def cumprod(xp: Any, x: Any, /, axis: int | None = None, dtype: Any = None) -> Any:
    """NumPy's ``cumprod``: the standard's ``cumulative_prod`` (flattened when ``axis`` is None)."""
    x, axis = _flat_axis(xp, x, axis)
    return xp.cumulative_prod(x, axis=axis, dtype=dtype)


def _widths(pad_width: Any, ndim: int) -> list[tuple[int, int]]:
    import numpy

    w = numpy.broadcast_to(numpy.asarray(pad_width, dtype=numpy.int64).reshape(-1, 2)
                           if numpy.ndim(pad_width) else numpy.asarray(pad_width), (ndim, 2))
    if (w < 0).any():
        raise ValueError("pad(): pad_width must be non-negative")
    return [(int(a), int(b)) for a, b in w]


def _at(axis: int, key: Any) -> tuple:
    return (slice(None),) * axis + (key, Ellipsis)


def pad(xp: Any, x: Any, /, pad_width: Any, mode: str = "constant", constant_values: Any = 0) -> Any:
    """NumPy's ``pad`` with modes ``constant`` (``constant_values`` a number, or a
    number per side and axis), ``edge`` and ``wrap``, from ``concat`` and slices."""
    if mode not in ("constant", "edge", "wrap"):
        raise NotImplementedError(f"pad(): mode {mode!r} is not offered by ag_bridge (constant, edge, "
                                  "wrap are)")
    widths = _widths(pad_width, x.ndim)
    import numpy

    consts = numpy.broadcast_to(numpy.asarray(constant_values, dtype=float).reshape(-1, 2)
                                if numpy.ndim(constant_values) else numpy.asarray(constant_values,
                                                                                  dtype=float),
                                (x.ndim, 2))
    for ax, (before, after) in enumerate(widths):
        if not before and not after:
            continue
        n = x.shape[ax]
        parts = []
        for side, k in ((0, before), (1, after)):
            if not k:
                parts.append(None)
                continue
            shape = tuple(k if i == ax else m for i, m in enumerate(x.shape))
            if mode == "constant":
                seed = x[_at(ax, slice(0, 1))] if n else xp.sum(x, axis=ax, keepdims=True)
                block = xp.broadcast_to(xp.zeros_like(seed), shape) + float(consts[ax][side])
            elif mode == "edge":
                block = xp.broadcast_to(x[_at(ax, slice(0, 1) if side == 0 else slice(n - 1, n))], shape)
            else:  # wrap
                reps = -(-k // n)
                tiled = xp.concat([x] * reps, axis=ax) if reps > 1 else x
                m = tiled.shape[ax]
                block = tiled[_at(ax, slice(m - k, m) if side == 0 else slice(0, k))]
            parts.append(block)
        x = xp.concat([p for p in (parts[0], x, parts[1]) if p is not None], axis=ax)
    return x


_METHODS = ("linear", "lower", "higher", "midpoint", "nearest")


def _constant_q(q: Any) -> Any:
    """``q`` as a float64 NumPy array (a constant), checked to lie in [0, 1]."""
    import numpy

    from ._array import Array

    if isinstance(q, Array):
        q = q.detach().asnumpy()
    qn = numpy.asarray(q, dtype=numpy.float64)
    if ((qn < 0) | (qn > 1)).any():
        raise ValueError("quantile(): q must be in [0, 1]")
    return qn


def _axes(axis: Any, nd: int) -> tuple:
    if axis is None:
        return tuple(range(nd))
    return tuple(a % nd for a in ((axis,) if isinstance(axis, int) else axis))


def _quantile_slices(xp: Any, x: Any, q: Any, axis: Any, method: str, op: str) -> tuple:
    """What (nan)quantile share: the checked method, ``q`` as a NumPy constant, the
    reduced axes, and ``x`` with the kept axes first and the reduced ones flattened last."""
    if method not in _METHODS:
        raise NotImplementedError(f"{op}(): method {method!r} is not offered by ag_bridge "
                                  f"({', '.join(_METHODS)} are)")
    nd = x.ndim
    axes = _axes(axis, nd)
    keep = [i for i in range(nd) if i not in axes]
    y = xp.permute_dims(x, tuple(keep) + axes) if nd else xp.reshape(x, (1,))
    return _constant_q(q), axes, xp.reshape(y, tuple(x.shape[i] for i in keep) + (-1,))


def quantile(xp: Any, x: Any, /, q: Any, axis: Any = None, method: str = "linear",
             keepdims: bool = False) -> Any:
    """NumPy's ``quantile`` (methods linear, lower, higher, midpoint, nearest): a sort
    along the reduced axes and a weighted pair of order statistics; NaN in a slice
    gives NaN. ``q`` is a constant (number, sequence or array)."""
    import numpy

    qn, axes, y = _quantile_slices(xp, x, q, axis, method, "quantile")
    nd = x.ndim
    n = y.shape[-1]
    s = xp.sort(y, axis=-1)
    pos = qn.reshape(-1) * (n - 1)
    lo = numpy.floor(pos).astype(numpy.int64)
    hi = numpy.minimum(lo + 1, n - 1)
    frac = pos - lo
    if method == "lower":
        hi, frac = lo, frac * 0
    elif method == "higher":
        lo = hi = numpy.ceil(pos).astype(numpy.int64)
        frac = frac * 0
    elif method == "nearest":  # NumPy rounds half to even
        lo = hi = numpy.around(pos).astype(numpy.int64)
        frac = frac * 0
    elif method == "midpoint":
        frac = numpy.where(frac > 0, 0.5, 0.0)
    dev = _device(s)
    a = xp.take(s, xp.asarray(lo, device=dev), axis=-1)
    b = xp.take(s, xp.asarray(hi, device=dev), axis=-1)
    w = xp.asarray(frac, dtype=s.dtype, device=dev)
    out = a + (b - a) * w if (frac != 0).any() else a
    out = xp.where(xp.any(xp.isnan(y), axis=-1, keepdims=True), xp.full_like(out, math.nan), out)
    out = xp.moveaxis(out, -1, 0)  # q's axis first, as NumPy
    if keepdims:
        out = xp.reshape(out, (out.shape[0],) + tuple(1 if i in axes else x.shape[i] for i in range(nd)))
    return xp.reshape(out, qn.shape + tuple(out.shape[1:]))


def _nanzero(xp: Any, x: Any) -> Any:
    return xp.where(xp.isnan(x), xp.zeros_like(x), x)


def nansum(xp: Any, x: Any, /, axis: Any = None, dtype: Any = None, keepdims: bool = False) -> Any:
    """NumPy's ``nansum``: the sum with NaNs counted as zero (their gradient is 0)."""
    return xp.sum(_nanzero(xp, x), axis=axis, dtype=dtype, keepdims=keepdims)


def nanmean(xp: Any, x: Any, /, axis: Any = None, dtype: Any = None, keepdims: bool = False) -> Any:
    """NumPy's ``nanmean``: the mean of the non-NaN values (NaN where there are none)."""
    if dtype is not None:
        x = xp.astype(x, dtype)
    count = xp.sum(xp.astype(~xp.isnan(x), x.dtype), axis=axis, keepdims=keepdims)
    return xp.sum(_nanzero(xp, x), axis=axis, keepdims=keepdims) / count


def nanvar(xp: Any, x: Any, /, axis: Any = None, dtype: Any = None, ddof: float = 0,
           keepdims: bool = False) -> Any:
    """NumPy's ``nanvar``: the variance of the non-NaN values with ``ddof``."""
    if dtype is not None:
        x = xp.astype(x, dtype)
    nan = xp.isnan(x)
    count = xp.sum(xp.astype(~nan, x.dtype), axis=axis, keepdims=True)
    mean = xp.sum(_nanzero(xp, x), axis=axis, keepdims=True) / count
    d = xp.where(nan, xp.zeros_like(x), x - mean)
    out = xp.sum(d * xp.conj(d) if xp.isdtype(x.dtype, "complex floating") else d * d,
                 axis=axis, keepdims=True) / (count - ddof)
    if xp.isdtype(out.dtype, "complex floating"):
        out = xp.real(out)
    if not keepdims:
        out = xp.squeeze(out, axis=tuple(range(x.ndim)) if axis is None else axis) if x.ndim else out
    return out


def nanstd(xp: Any, x: Any, /, axis: Any = None, dtype: Any = None, ddof: float = 0,
           keepdims: bool = False) -> Any:
    """NumPy's ``nanstd``: the square root of :func:`nanvar`."""
    return xp.sqrt(nanvar(xp, x, axis=axis, dtype=dtype, ddof=ddof, keepdims=keepdims))


def nancumsum(xp: Any, x: Any, /, axis: int | None = None, dtype: Any = None) -> Any:
    """NumPy's ``nancumsum``: :func:`cumsum` with NaNs counted as zero."""
    return cumsum(xp, _nanzero(xp, x), axis=axis, dtype=dtype)


def nanquantile(xp: Any, x: Any, /, q: Any, axis: Any = None, method: str = "linear",
                keepdims: bool = False) -> Any:
    """NumPy's ``nanquantile``: :func:`quantile` of the non-NaN values of each slice
    (NaN where a slice has none); NaNs get a zero gradient."""
    qn, axes, y = _quantile_slices(xp, x, q, axis, method, "nanquantile")
    nd = x.ndim
    nan = xp.isnan(y)
    s = xp.sort(xp.where(nan, xp.full_like(y, math.inf), y), axis=-1)  # NaNs last
    count = xp.sum(xp.astype(~nan, y.dtype), axis=-1, keepdims=True)
    last = xp.maximum(count - 1, xp.zeros_like(count))
    outs = []
    for qv in qn.reshape(-1):
        pos = last * float(qv)
        lo = xp.floor(pos)
        hi = xp.minimum(lo + 1, last)
        frac = pos - lo
        if method == "lower":
            hi, frac = lo, frac * 0
        elif method == "higher":
            lo = hi = xp.ceil(pos)
            frac = frac * 0
        elif method == "nearest":
            lo = hi = xp.round(pos)
            frac = frac * 0
        elif method == "midpoint":
            frac = xp.where(frac > 0, 0.5 * xp.ones_like(frac), xp.zeros_like(frac))
        idx = xp.astype(lo, xp.int64)
        a = xp.take_along_axis(s, idx, axis=-1)
        b = xp.take_along_axis(s, xp.astype(hi, xp.int64), axis=-1)
        v = a + (b - a) * frac
        outs.append(xp.where(count > 0, v, xp.full_like(v, math.nan))[..., 0])
    out = xp.stack(outs, axis=0)
    if keepdims:
        out = xp.reshape(out, (out.shape[0],) + tuple(1 if i in axes else x.shape[i] for i in range(nd)))
    return xp.reshape(out, qn.shape + tuple(out.shape[1:]))


def sliding_window_view(xp: Any, x: Any, /, window_shape: Any, axis: Any = None) -> Any:
    """NumPy's ``lib.stride_tricks.sliding_window_view`` (a copy, not a view): the
    windows of ``window_shape`` along ``axis`` as new trailing axes, by ``take``."""
    shape = (window_shape,) if isinstance(window_shape, int) else tuple(window_shape)
    axes = tuple(range(x.ndim)) if axis is None else ((axis,) if isinstance(axis, int) else tuple(axis))
    if len(shape) != len(axes):
        raise ValueError("sliding_window_view(): give one window length per axis")
    out = x
    for w, ax in zip(shape, axes):
        ax %= x.ndim
        n = out.shape[ax]
        if not 0 <= w <= n:
            raise ValueError("sliding_window_view(): window longer than its axis")
        m = n - w + 1
        starts = xp.reshape(arange_like(xp, out, m), (m, 1))
        idx = xp.reshape(starts + xp.reshape(arange_like(xp, out, w), (1, w)), (-1,))
        g = xp.take(out, idx, axis=ax)  # axis ax now holds m * w entries
        g = xp.reshape(g, tuple(out.shape[:ax]) + (m, w) + tuple(out.shape[ax + 1:]))
        out = xp.moveaxis(g, ax + 1, -1)  # the window axis goes last
    return out


def _spacing(xp: Any, f: Any, h: Any, ax: int) -> Any:
    """Coefficient-ready spacing along ``ax``: a Python float, or the differences of a
    coordinate array (a constant) in ``f``'s dtype and device."""
    from ._array import Array

    if isinstance(h, (int, float)):
        return float(h)
    if isinstance(h, Array):
        h = h.detach()
    c = xp.asarray(h, dtype=f.dtype, device=_device(f))
    if c.ndim == 0:
        return c
    if c.shape[0] != f.shape[ax]:
        raise ValueError("gradient(): a coordinate array must have the length of its axis")
    return xp.diff(c)


def _along(xp: Any, c: Any, ax: int, nd: int) -> Any:
    """A 1-d coefficient array shaped to broadcast along axis ``ax``."""
    if isinstance(c, float) or c.ndim == 0:
        return c
    return xp.reshape(c, tuple(-1 if i == ax else 1 for i in range(nd)))


def _gradient_axis(xp: Any, f: Any, dx: Any, ax: int, edge_order: int) -> Any:
    nd = f.ndim
    n = f.shape[ax]
    if n < edge_order + 1:
        raise ValueError("gradient(): each axis needs at least edge_order + 1 points")

    def sl(a: int, b: int | None) -> Any:
        return f[_at(ax, slice(a, b))]

    uniform = isinstance(dx, float) or dx.ndim == 0
    if uniform:
        mid = (sl(2, None) - sl(0, -2)) / (2 * dx) if n > 2 else None
        if edge_order == 1:
            first = (sl(1, 2) - sl(0, 1)) / dx
            last = (sl(n - 1, n) - sl(n - 2, n - 1)) / dx
        else:
            first = (-3 * sl(0, 1) + 4 * sl(1, 2) - sl(2, 3)) / (2 * dx)
            last = (3 * sl(n - 1, n) - 4 * sl(n - 2, n - 1) + sl(n - 3, n - 2)) / (2 * dx)
    else:
        mid = None
        if n > 2:
            d1, d2 = dx[:-1], dx[1:]
            a = _along(xp, -d2 / (d1 * (d1 + d2)), ax, nd)
            b = _along(xp, (d2 - d1) / (d1 * d2), ax, nd)
            c = _along(xp, d1 / (d2 * (d1 + d2)), ax, nd)
            mid = a * sl(0, -2) + b * sl(1, -1) + c * sl(2, None)
        if edge_order == 1:
            first = (sl(1, 2) - sl(0, 1)) / dx[0]
            last = (sl(n - 1, n) - sl(n - 2, n - 1)) / dx[-1]
        else:
            d1, d2 = dx[0], dx[1]
            first = (-(2 * d1 + d2) / (d1 * (d1 + d2)) * sl(0, 1) + (d1 + d2) / (d1 * d2) * sl(1, 2)
                     - d1 / (d2 * (d1 + d2)) * sl(2, 3))
            d1, d2 = dx[-2], dx[-1]
            last = (d2 / (d1 * (d1 + d2)) * sl(n - 3, n - 2) - (d2 + d1) / (d1 * d2) * sl(n - 2, n - 1)
                    + (2 * d2 + d1) / (d2 * (d1 + d2)) * sl(n - 1, n))
    return xp.concat([p for p in (first, mid, last) if p is not None], axis=ax)


def gradient(xp: Any, f: Any, /, *varargs: Any, axis: Any = None, edge_order: int = 1) -> Any:
    """NumPy's ``gradient``: second-order central differences inside, one-sided
    differences of order ``edge_order`` (1 or 2) at the ends; spacings are scalars or
    coordinate arrays (constants). One axis gives an array, several a tuple."""
    if edge_order not in (1, 2):
        raise ValueError("gradient(): edge_order must be 1 or 2")
    nd = f.ndim
    axes = tuple(range(nd)) if axis is None else tuple(a % nd for a in
                                                      ((axis,) if isinstance(axis, int) else axis))
    if not varargs:
        hs = [1.0] * len(axes)
    elif len(varargs) == 1:
        hs = list(varargs) * len(axes)
    elif len(varargs) == len(axes):
        hs = list(varargs)
    else:
        raise TypeError("gradient(): give one spacing, or one per axis")
    outs = [_gradient_axis(xp, f, _spacing(xp, f, h, ax), ax, edge_order) for h, ax in zip(hs, axes)]
    return outs[0] if len(outs) == 1 else tuple(outs)


#: name -> composition ``fn(xp, *args, **kwargs)`` (the spec table's class K)
COMPOSITES: dict[str, Callable] = {
    "cumsum": cumsum, "cumprod": cumprod, "pad": pad, "quantile": quantile,
    "nanmean": nanmean, "nansum": nansum, "gradient": gradient, "nanvar": nanvar, "nanstd": nanstd,
    "nancumsum": nancumsum, "nanquantile": nanquantile, "sliding_window_view": sliding_window_view,
}
assert set(COMPOSITES) == set(COMPOSITE), "ag_bridge/_extras.py and the spec table disagree"


def bind(name: str, xp: Any) -> Callable:
    """The composition ``name`` bound to namespace ``xp`` (named and documented)."""
    fn = functools.partial(COMPOSITES[name], xp)
    functools.update_wrapper(fn, COMPOSITES[name])
    return fn


def extend_raw(ns: Any, backend: Any) -> None:
    """Give a raw rule namespace the ``special`` submodule and the extras (for rules
    under a plain backward, and for the libraries' own autodiff in conformance)."""
    from ._special import raw_special

    ns.special = raw_special(backend)
    ns.einsum = raw_einsum(backend)
    for name in COMPOSITES:
        setattr(ns, name, bind(name, ns))
