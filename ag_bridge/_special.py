"""Forwards of the ``special`` submodule (SciPy's names and signatures, on raw arrays).

Each function is, in this order:

1. the library's own implementation, as its backend plugin hands it over
   (:meth:`Backend.special_function`: ``scipy.special`` for NumPy and, block by
   block, for Dask; ``torch.special``; ``jax.scipy.special``), adapted to
   SciPy's signature by :func:`library_function`;
2. an exact composition: from the standard only (``STANDARD``: ``expit``,
   ``logit``, ``xlogy``, ``xlog1py``, ``entr``, ``rel_entr``, ``log_softmax``,
   ``logsumexp``), or from other special functions the library does have
   (``DERIVED``: ``betainc`` from ``gammaln`` by a continued fraction,
   ``ag_bridge/_betainc.py``; ``stdtr`` and ``betaincc`` from ``betainc``,
   ``chdtrc`` from ``gammaincc``);
3. missing: calling it raises a NotImplementedError naming the function and
   the backend. ``erf``, ``erfc``, ``erfinv``, ``ndtr``, ``ndtri``,
   ``log_ndtr``, ``gammaln``, ``digamma`` (``psi``), ``polygamma``, ``i0``, ``i1``,
   ``i0e``, ``i1e``, ``gammainc`` and ``gammaincc`` have no composition from
   the standard's functions that is exact to double precision, so ag_bridge
   offers none: a library without special functions (array-api-strict) lacks
   them, and ``betainc`` with them (its composition needs ``gammaln``).

The recording namespace's ``special`` submodule records one node per call of
these forwards; the VJPs are in ``ag_bridge/rules/special.py``.
"""

from __future__ import annotations

import math
import types
from collections.abc import Callable
from typing import Any

from ._spec import SPECS

__all__ = ["NAMES", "STANDARD", "DERIVED", "raw_special", "library_function"]

#: the special functions, in the spec table's order
NAMES: tuple[str, ...] = tuple(s.name for s in SPECS.values() if s.module == "special")


# ---------------------------------------------------------------- compositions from the standard
def _like(xp: Any, a: Any, other: Any) -> Any:
    """``a`` as an array (a Python number takes ``other``'s dtype when that is an array)."""
    if isinstance(a, (int, float)):
        dt = getattr(other, "dtype", None)
        if dt is None:
            return xp.asarray(float(a))
        return xp.asarray(float(a), dtype=dt, device=_device(other))
    return a


def _device(a: Any) -> Any:
    from array_api_compat import device

    return device(a)


def _pair(xp: Any, x: Any, y: Any) -> tuple:
    return _like(xp, x, y), _like(xp, y, x)


def _expit(xp: Any, sp: Any) -> Callable:
    def expit(x: Any, /) -> Any:
        e = xp.exp(-xp.abs(x))  # never overflows
        return xp.where(x >= 0, 1 / (1 + e), e / (1 + e))
    return expit


def _logit(xp: Any, sp: Any) -> Callable:
    def logit(x: Any, /) -> Any:
        return xp.log(x) - xp.log1p(-x)
    return logit


def _xlog(log: str) -> Callable:
    def make(xp: Any, sp: Any) -> Callable:
        f = getattr(xp, log)

        def xlog(x: Any, y: Any, /) -> Any:
            x, y = _pair(xp, x, y)
            return xp.where((x == 0) & ~xp.isnan(y), xp.zeros_like(x * y), x * f(y))
        xlog.__name__ = "xlogy" if log == "log" else "xlog1py"
        return xlog
    return make


def _entr(xp: Any, sp: Any) -> Callable:
    def entr(x: Any, /) -> Any:
        pos = x > 0
        safe = xp.where(pos, x, xp.ones_like(x))
        out = xp.where(pos, -safe * xp.log(safe), xp.where(x == 0, 0.0 * x, -math.inf * xp.ones_like(x)))
        return xp.where(xp.isnan(x), x, out)
    return entr


def _rel_entr(xp: Any, sp: Any) -> Callable:
    def rel_entr(x: Any, y: Any, /) -> Any:
        x, y = _pair(xp, x, y)
        x, y = xp.broadcast_arrays(x, y)
        pos = (x > 0) & (y > 0)
        sx, sy = xp.where(pos, x, xp.ones_like(x)), xp.where(pos, y, xp.ones_like(y))
        out = xp.where(pos, sx * (xp.log(sx) - xp.log(sy)),
                       xp.where((x == 0) & (y >= 0), 0.0 * sx, math.inf * xp.ones_like(sx)))
        return xp.where(xp.isnan(x) | xp.isnan(y), x + y, out)
    return rel_entr


def _shift(xp: Any, x: Any, axis: Any) -> Any:
    """The max over ``axis`` (kept), with non-finite maxima replaced by 0 (no inf - inf)."""
    m = xp.max(x, axis=axis, keepdims=True)
    return xp.where(xp.isfinite(m), m, xp.zeros_like(m))


def _log_softmax(xp: Any, sp: Any) -> Callable:
    def log_softmax(x: Any, /, axis: Any = None) -> Any:
        s = x - _shift(xp, x, axis)
        return s - xp.log(xp.sum(xp.exp(s), axis=axis, keepdims=True))
    return log_softmax


def _logsumexp(xp: Any, sp: Any) -> Callable:
    def logsumexp(x: Any, /, axis: Any = None, keepdims: bool = False) -> Any:
        m = _shift(xp, x, axis)
        out = xp.log(xp.sum(xp.exp(x - m), axis=axis, keepdims=True)) + m
        if keepdims or x.ndim == 0:
            return out
        return xp.squeeze(out, axis=tuple(range(x.ndim)) if axis is None else axis)
    return logsumexp


#: exact compositions from the standard's functions alone
STANDARD: dict[str, Callable] = {
    "expit": _expit, "logit": _logit, "xlogy": _xlog("log"), "xlog1py": _xlog("log1p"),
    "entr": _entr, "rel_entr": _rel_entr, "log_softmax": _log_softmax, "logsumexp": _logsumexp,
}


# ---------------------------------------------------------------- compositions from other special functions
def _from(needed: str) -> Callable:
    """Decorate ``build(xp, f)`` into a ``DERIVED`` entry ``(xp, sp) -> function | None``:
    None when the library lacks the special function ``needed``, else ``build(xp, f)``."""
    def wrap(build: Callable) -> Callable:
        def derive(xp: Any, sp: Any) -> Callable | None:
            f = sp.get(needed)
            return None if f is None else build(xp, f)
        return derive
    return wrap


@_from("gammaln")
def _betainc(xp: Any, gammaln: Callable) -> Callable:
    from ._betainc import composed_betainc

    return composed_betainc(xp, gammaln, _like)


@_from("betainc")
def _stdtr(xp: Any, betainc: Callable) -> Callable:
    def stdtr(df: Any, t: Any, /) -> Any:
        df, t = _pair(xp, df, t)
        tail = betainc(df / 2, 0.5 * xp.ones_like(t), df / (t * t + df)) / 2  # P(|T| > |t|) / 2
        return xp.where(t < 0, tail, 1 - tail)
    return stdtr


@_from("betainc")
def _betaincc(xp: Any, betainc: Callable) -> Callable:
    def betaincc(a: Any, b: Any, x: Any, /) -> Any:
        return betainc(b, a, 1 - x)  # I_x(a, b) + I_{1-x}(b, a) = 1
    return betaincc


@_from("gammaincc")
def _chdtrc(xp: Any, gammaincc: Callable) -> Callable:
    def chdtrc(v: Any, x: Any, /) -> Any:
        v, x = _pair(xp, v, x)
        pos = x > 0
        return xp.where(pos, gammaincc(v / 2, xp.where(pos, x, xp.ones_like(x)) / 2), xp.ones_like(x))
    return chdtrc


#: exact compositions from special functions the library has
DERIVED: dict[str, Callable] = {"betainc": _betainc, "stdtr": _stdtr, "betaincc": _betaincc,
                                "chdtrc": _chdtrc}


# ---------------------------------------------------------------- the libraries' own functions
def _axes(x: Any, axis: Any) -> tuple:
    if axis is None:
        return tuple(range(x.ndim))
    return (axis,) if isinstance(axis, int) else tuple(axis)


def _scipy(name: str) -> Callable | None:
    try:
        import scipy.special as ss
    except ImportError:
        return None
    shim = _reductions(name, lambda x, axis, keep: ss.logsumexp(x, axis=axis, keepdims=keep),
                       lambda x, axis: ss.log_softmax(x, axis=axis))
    return shim or getattr(ss, name, None)


def _reductions(name: str, logsumexp: Callable, log_softmax: Callable) -> Callable | None:
    """SciPy's signatures of ``logsumexp``/``log_softmax`` over a library's
    ``logsumexp(x, axis, keepdims)``/``log_softmax(x, axis)``; None for another name."""
    if name == "logsumexp":
        def shim(x: Any, /, axis: Any = None, keepdims: bool = False) -> Any:
            return logsumexp(x, axis, keepdims)
    elif name == "log_softmax":
        def shim(x: Any, /, axis: Any = None) -> Any:  # type: ignore[misc]
            return log_softmax(x, axis)
    else:
        return None
    shim.__name__ = name
    return shim


def _dask(name: str) -> Callable | None:
    """SciPy's element-wise function applied block by block (the reductions are composed)."""
    if name in ("logsumexp", "log_softmax"):
        return None
    f = _scipy(name)
    if f is None:
        return None
    from dask.array.core import elemwise

    def blockwise(*args: Any) -> Any:
        return elemwise(f, *args)
    blockwise.__name__ = name
    blockwise.__doc__ = f.__doc__
    return blockwise


def _torch(name: str) -> Callable | None:
    import torch

    ts = torch.special
    if name == "logsumexp":
        def logsumexp(x: Any, /, axis: Any = None, keepdims: bool = False) -> Any:
            if x.ndim == 0:
                return x.clone()
            return torch.logsumexp(x, dim=_axes(x, axis), keepdim=keepdims)
        return logsumexp
    if name == "log_softmax":
        def log_softmax(x: Any, /, axis: Any = None) -> Any:
            if axis is None:
                return ts.log_softmax(x.reshape(-1), dim=0).reshape(x.shape)
            return ts.log_softmax(x, dim=axis)
        return log_softmax
    if name == "polygamma":
        def polygamma(n: Any, x: Any, /) -> Any:
            return ts.polygamma(int(n), x)
        return polygamma
    f = getattr(ts, name, None)
    if f is None:
        return None

    def fn(*args: Any) -> Any:  # torch.special's binary functions want tensors on both sides
        like = next((a for a in args if isinstance(a, torch.Tensor)), None)
        if like is not None and len(args) > 1:
            args = tuple(a if isinstance(a, torch.Tensor) else
                         torch.as_tensor(a, dtype=like.dtype, device=like.device) for a in args)
        return f(*args)
    fn.__name__ = name
    fn.__doc__ = f.__doc__
    return fn


def _jax(name: str) -> Callable | None:
    import jax.nn
    import jax.numpy as jnp
    import jax.scipy.special as js

    shim = _reductions(name, lambda x, axis, keep: js.logsumexp(x, axis=axis, keepdims=keep),
                       lambda x, axis: jax.nn.log_softmax(x, axis=_axes(x, axis)))
    if shim is not None:
        return shim
    if name == "polygamma":
        def polygamma(n: Any, x: Any, /) -> Any:
            return js.polygamma(jnp.asarray(n, dtype=jnp.int32), x)
        return polygamma
    return getattr(js, name, None)


_LIBRARIES = {"scipy": _scipy, "scipy-blocks": _dask, "torch": _torch, "jax": _jax}


def library_function(library: str, name: str) -> Callable | None:
    """``name`` from a library's special functions, with SciPy's signature, or None.

    ``library``: ``"scipy"`` (``scipy.special`` on NumPy arrays), ``"scipy-blocks"``
    (``scipy.special`` applied block by block to Dask arrays), ``"torch"``
    (``torch.special``) or ``"jax"`` (``jax.scipy.special``). Backend plugins call
    this from :meth:`Backend.special_function`.
    """
    return _LIBRARIES[library](name)


# ---------------------------------------------------------------- the raw namespace of a backend
def _missing(name: str, backend: Any) -> Callable:
    def missing(*args: Any, **kwargs: Any) -> Any:
        raise NotImplementedError(
            f"special.{name}() is not provided on backend '{backend.name}': the library hands "
            f"ag_bridge no special functions for it, and {name} has no exact composition from "
            "the array API standard; use the numpy (with SciPy installed), torch or jax backend"
        )
    missing.__name__ = name
    missing._ag_missing = True  # type: ignore[attr-defined]
    return missing


#: the same function under two names (SciPy looks up ``psi``; the others say ``digamma``)
_ALIASES = {"psi": "digamma", "digamma": "psi"}


def resolve(backend: Any, name: str, known: dict) -> Callable | None:
    """The raw forward of ``special.<name>`` on ``backend`` (None: not provided)."""
    if name in known:
        return known[name]
    f = backend.special_function(name)
    if f is None and name in _ALIASES:
        f = backend.special_function(_ALIASES[name])
    if f is None and name in STANDARD:
        f = STANDARD[name](backend.xp, None)
    if f is None and name in DERIVED:
        f = DERIVED[name](backend.xp, _Lookup(backend, known))
    known[name] = f
    return f


class _Lookup:
    """``sp.get(name)`` for the derived compositions (resolves on demand)."""

    def __init__(self, backend: Any, known: dict) -> None:
        self.backend, self.known = backend, known

    def get(self, name: str) -> Callable | None:
        return resolve(self.backend, name, self.known)


def raw_special(backend: Any) -> types.ModuleType:
    """The raw ``special`` namespace of ``backend`` (built once, resolved lazily: importing
    the library's special module waits for the first use of one of its functions)."""
    mod = backend.__dict__.get("_ag_special_raw")
    if mod is not None:
        return mod
    mod = types.ModuleType(f"ag_bridge.special.{backend.name}",
                           f"Special functions on raw arrays of backend '{backend.name}'.")
    known: dict = {}

    def __getattr__(name: str) -> Any:
        if name not in NAMES:
            raise AttributeError(f"special has no function {name!r} in ag_bridge "
                                 f"(offered: {', '.join(NAMES)})")
        f = resolve(backend, name, known) or _missing(name, backend)
        setattr(mod, name, f)
        return f

    mod.__getattr__ = __getattr__  # type: ignore[attr-defined]
    mod.__dir__ = lambda: list(NAMES)  # type: ignore[attr-defined]
    backend.__dict__["_ag_special_raw"] = mod
    return mod
