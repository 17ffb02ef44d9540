"""ag_bridge backend plugin for JAX (entry point ``jax``).

JAX arrays are immutable: gradient buffers are rebound behind the same
:class:`ag_bridge.Array` (``mutable = False``), ``__setitem__`` is
``a.at[key].set(v)`` and scatter-add is ``a.at[key].add(v)``. Tracers are
``jax.Array`` instances, so recording and ``autograd.grad`` work inside
``jax.jit`` (nothing here forces a concrete value). Without
``jax_enable_x64`` JAX truncates 64-bit data to 32 bits; converting float64
data through this plugin says so with a :class:`JaxFloat64Warning`.
``jax.vjp`` is the conformance oracle (conjugated: JAX's complex convention
is the conjugate of ag_bridge's, which is PyTorch's). The namespace is
``jax.numpy`` (array API 2024.12) with two 2025.12 behaviours added:
``permute_dims`` with negative axes and ``-1`` in the ``s`` of n-D FFTs.
"""

from __future__ import annotations

import types
import warnings
from collections.abc import Callable
from typing import Any

import jax
import jax.numpy as jnp
import numpy as np

from ag_bridge import Backend as _Backend
from ag_bridge._patch import derived_namespace
from ag_bridge._portable_keys import fft_axes

from ._adaptive import adaptive

__all__ = ["Backend", "JaxFloat64Warning"]

_FFT_ND = ("fftn", "ifftn", "rfftn", "irfftn")


def _permute_dims(x: Any, /, axes: tuple) -> Any:
    return jnp.permute_dims(x, tuple(a % x.ndim for a in axes))  # 2025.12: negative axes


def _fft_nd(fn: Any) -> Any:
    def f(x: Any, /, *, s: Any = None, axes: Any = None, norm: str = "backward") -> Any:
        if s is not None and -1 in tuple(s):  # -1: the input's size along that axis
            s = fft_axes(x.shape, s, axes)[1]
        return fn(x, s=s, axes=axes, norm=norm)

    f.__name__ = f.__qualname__ = fn.__name__
    f.__doc__ = fn.__doc__
    return f


_module = derived_namespace  # shared helper: copies public names and the standard dunders


def _namespace() -> types.ModuleType:
    """``jax.numpy`` (array API 2024.12) with the 2025.12 behaviours rules and users rely on."""
    ns = _module("ag_bridge_jax.xp", jnp, "jax.numpy, with the fixes of ag_bridge_jax: "
                 "permute_dims with negative axes, -1 in the s of n-D FFTs.")
    ns.__array_api_version__ = jnp.__array_api_version__
    ns.permute_dims = _permute_dims
    # one compiled program each once their shapes recur (ag_bridge_jax._adaptive)
    ns.broadcast_to = adaptive(jnp.broadcast_to, ("shape",))
    ns.expand_dims = adaptive(jnp.expand_dims, ("axis",))
    ns.matrix_transpose = adaptive(jnp.matrix_transpose)
    ns.ones_like = adaptive(jnp.ones_like)
    ns.fft = _module("ag_bridge_jax.xp.fft", jnp.fft, "jax.numpy.fft (-1 in s).")
    for k in _FFT_ND:
        setattr(ns.fft, k, _fft_nd(getattr(jnp.fft, k)))
    return ns


_xp = _namespace()

_Tracer = jax.core.Tracer
#: arrays up to this many elements are made from NumPy zeros (:meth:`Backend.zeros_like`)
_SMALL = 1 << 16


def _numpy_zeros(raw: Any) -> Any:
    """Zeros like a concrete ``raw``: NumPy zeros copied over when small (``jnp.zeros_like``
    compiles a broadcast for every new shape and dtype, which costs far more than the copy)."""
    if raw.size > _SMALL or np.dtype(raw.dtype).kind not in "biufc":
        return jnp.zeros_like(raw)
    return jax.device_put(np.zeros(raw.shape, raw.dtype), raw.sharding if raw.committed else None)


_zeros_like = adaptive(jnp.zeros_like, first=_numpy_zeros)

#: zeros shared by every gradient buffer of one shape, dtype and placement: JAX arrays are
#: immutable, so one array serves them all, and ``attach_grad()`` in an eager loop (a fresh
#: leaf every step, as in a functional training step) dispatches nothing (W2's eager step:
#: 3.87 -> 3.52 ms). The one way to tell: deleting or donating (``donate_argnums``) a buffer
#: no backward has written yet deletes the others of its kind too; later ones get new zeros
_shared: dict = {}
#: bytes the shared zeros may hold in all (then they start over); larger buffers are not shared
_SHARED_BYTES = 1 << 24


def _shared_zeros(raw: Any) -> Any:
    """Zeros like ``raw`` (:meth:`Backend.zeros_like`): one shared array per shape, dtype and
    placement for concrete, strongly typed, single-device arrays; a new one otherwise."""
    if isinstance(raw, _Tracer) or not isinstance(raw, jax.Array) or raw.weak_type:
        return _zeros_like(raw)
    place = raw.sharding
    if not isinstance(place, jax.sharding.SingleDeviceSharding):
        return _zeros_like(raw)
    key = (raw.shape, raw.dtype, place, raw.committed)
    z = _shared.get(key)
    if z is None or z.is_deleted():  # (a user may delete or donate a buffer they got from .grad)
        z = _zeros_like(raw)
        if z.nbytes <= _SHARED_BYTES:
            if sum(a.nbytes for a in _shared.values()) + z.nbytes > _SHARED_BYTES:
                _shared.clear()
            _shared[key] = z
    return z


_WIDE = (np.dtype("float64"), np.dtype("complex128"))


class JaxFloat64Warning(UserWarning):
    """float64/complex128 data became float32/complex64 (``jax_enable_x64`` is off)."""


def _x64() -> bool:
    return bool(jax.config.jax_enable_x64)


def _dtype_of(obj: Any) -> Any:
    dt = getattr(obj, "dtype", None)
    try:
        return np.dtype(dt) if dt is not None else None
    except TypeError:
        return None


def _device(dev: Any) -> Any:
    """A JAX device from a name: ``'cpu'``, ``'gpu'``/``'cuda'``, ``'cuda:1'``, ``'tpu'``."""
    if not isinstance(dev, str):
        return dev
    platform, _, index = dev.partition(":")
    platform = {"cuda": "gpu", "rocm": "gpu"}.get(platform.lower(), platform.lower())
    return jax.devices(platform)[int(index or 0)]


def _splice(args: tuple, pos: list, diff: tuple) -> tuple:
    """``args`` with the entries at ``pos`` replaced by ``diff``."""
    full = list(args)
    for i, d in zip(pos, diff, strict=True):
        full[i] = d
    return tuple(full)


def _compiled(impl: Callable, fn: Callable, pos: list, args: tuple, *rest: Any) -> Any:
    """``impl(fn, args, *rest)`` traced and compiled by ``jax.jit`` as one XLA program.

    Run eagerly, each JAX operation compiles on its own for every new shape and
    dtype (tens of milliseconds of CPU each); a whole oracle compiles about as
    fast as one operation. The differentiated arguments (``args`` at ``pos``)
    and everything in ``rest`` are the program's arguments (not constants, which
    XLA would fold with its own evaluator); the other arguments (index arrays,
    Python values) stay concrete, as they are eagerly. A function that does not
    trace (a shape that depends on values: ``nonzero``, boolean masks) runs
    eagerly instead, so the result is the same ``jax.vjp`` either way.
    """

    def run(arrays: tuple, extra: tuple) -> Any:
        return impl(fn, _splice(args, pos, arrays), *extra)

    try:
        return jax.jit(run)(tuple(args[i] for i in pos), rest)
    except Exception:  # does not trace (or compile): eagerly, as jax.vjp runs anywhere
        return impl(fn, args, *rest)


def _jitted_vjp(op: str, formula: Callable) -> Callable:
    """A one-argument VJP as one jitted program ``formula(g, ans)``: the portable rule's
    arithmetic, one dispatch and one fused kernel instead of three eager operations."""
    kernel = jax.jit(formula)

    def vjp(xp: Any, g: Any, ans: Any, x: Any) -> Any:
        return kernel(g, ans)

    vjp.__name__ = f"{op.rpartition('.')[2]}_vjp"
    return vjp


class Backend(_Backend):
    """JAX arrays (and tracers): immutable buffers, ``.at[]`` scatter, ``jax.vjp`` oracle."""

    name = "jax"
    xp = _xp
    array_types = (jax.Array,)
    mutable = False
    default_float = jnp.float32
    #: the portable rules of tanh and expit, each compiled into one program (plain passes)
    fast_vjps = types.MappingProxyType({
        "tanh": (_jitted_vjp("tanh", lambda g, t: g - g * jnp.conj(t) * jnp.conj(t)),),
        "special.expit": (_jitted_vjp("special.expit", lambda g, s: g * jnp.conj(s * (1 - s))),),
    })

    def special_function(self, name: str) -> Any:
        """``jax.scipy.special``, with SciPy's signatures (``xp.special``)."""
        from ag_bridge._special import library_function

        return library_function("jax", name)

    # -- identity ---------------------------------------------------------------
    # -- devices, conversion -----------------------------------------------------
    def device(self, raw: Any) -> Any:
        """The array's device (None for a tracer inside ``jax.jit``)."""
        if isinstance(raw, _Tracer):
            return None
        devs = raw.devices()
        return next(iter(devs)) if len(devs) == 1 else raw.sharding

    def asarray(self, obj: Any, dtype: Any = None, device: Any = None) -> Any:
        if not _x64():
            want = np.dtype(dtype) if dtype is not None else _dtype_of(obj)
            if want is not None and want in _WIDE:
                narrow = "float32" if want == _WIDE[0] else "complex64"
                warnings.warn(
                    f"ag_bridge backend 'jax': {want} data becomes {narrow} because JAX's 64-bit "
                    "mode is off; call jax.config.update('jax_enable_x64', True) (or set "
                    "JAX_ENABLE_X64=1) before creating arrays to keep float64",
                    JaxFloat64Warning, stacklevel=3)
                if dtype is not None:
                    dtype = narrow
        dev = device if device is not None else self.device_default
        if (type(obj) is np.ndarray and obj.dtype.kind in "biufc"
                and (dtype is None or np.dtype(dtype) == obj.dtype)):
            # jnp.asarray lifts a NumPy array through a compiled identity (lax.stage): one
            # XLA compilation per shape and dtype; device_put transfers it without compiling,
            # from a private copy (the transfer may alias or finish later: obj may change)
            return jax.device_put(np.array(obj, copy=True), _device(dev) if dev is not None else None)
        kw = {}
        if dtype is not None:
            kw["dtype"] = dtype
        if dev is not None:
            kw["device"] = _device(dev)
        return jnp.asarray(obj, **kw)

    def zeros_like(self, raw: Any) -> Any:
        """Zeros of ``raw``'s shape, dtype and placement (gradient buffers, cut branches).

        Until a shape, dtype and placement recurs, a small concrete array gets NumPy
        zeros copied over (:func:`_numpy_zeros`: the conformance suite's one-off
        shapes); then one jitted ``zeros_like`` serves it (a training loop's buffers,
        every step; :mod:`ag_bridge_jax._adaptive`). Tracers and weakly typed arrays
        use ``jnp.zeros_like``. Concrete single-device results are shared by every call
        with the same shape, dtype and placement (:func:`_shared_zeros`; immutable, so no
        one can tell).
        """
        return _shared_zeros(raw)

    def to_numpy(self, raw: Any) -> np.ndarray:
        return np.array(raw, copy=True)

    def repr(self, raw: Any) -> str:
        if isinstance(raw, _Tracer):
            return f"ag_bridge.Array({raw!r})"
        return super().repr(raw)

    def synchronize(self) -> None:
        jax.effects_barrier()

    # -- buffers (immutable: the base class rebinds them) -----------------------------
    def _value(self, v: Any, like: Any) -> Any:
        if isinstance(v, jax.Array) and v.dtype != like.dtype:
            return v.astype(like.dtype)
        return v

    def index_set(self, a: Any, key: Any, v: Any) -> Any:
        return a.at[key].set(self._value(v, a))

    def index_add(self, a: Any, key: Any, v: Any) -> Any:
        return a.at[key].add(self._value(v, a))

    # -- the library's own autodiff ----------------------------------------------
    def _float_args(self, args: tuple) -> list:
        """Positions of the floating/complex JAX arrays (the differentiated arguments)."""
        return [i for i, a in enumerate(args) if isinstance(a, jax.Array) and self.is_inexact(a.dtype)]

    def native_vjp(self, fn: Callable, args: tuple, cotangent: Any) -> tuple:
        """Cotangents of ``fn(*args)`` by ``jax.vjp``, in ag_bridge's (PyTorch's) convention.

        Non-floating arguments are held constant (their entry is None). The
        computation runs as one compiled program (:func:`_compiled`).
        """
        return _compiled(self._native_vjp_eager, fn, self._float_args(args), args, cotangent)

    def _native_vjp_eager(self, fn: Callable, args: tuple, cotangent: Any) -> tuple:
        pos = self._float_args(args)

        def f(*diff: Any) -> Any:
            out = fn(*_splice(args, pos, diff))
            return tuple(out) if isinstance(out, list) else out

        out, pullback = jax.vjp(f, *(args[i] for i in pos))
        cots = list(cotangent) if isinstance(cotangent, (tuple, list)) else [cotangent]
        outs = out if isinstance(out, tuple) else (out,)
        cots = tuple(jnp.zeros_like(o) if c is None else jnp.conj(jnp.asarray(c, dtype=o.dtype))
                     for o, c in zip(outs, cots, strict=False))
        cts = pullback(cots if isinstance(out, tuple) else cots[0])
        res: list = [None] * len(args)
        for i, c in zip(pos, cts, strict=True):
            res[i] = jnp.conj(c)
        return tuple(res)

    def native_hvp(self, fn: Callable, args: tuple, cotangent: Any, w: tuple) -> tuple:
        """Gradient of ``sum(real(g * w))`` with ``g`` = :meth:`native_vjp`, by a nested ``jax.vjp``.

        :meth:`native_vjp` is pure JAX, so differentiating it again is JAX's own
        second order; the result is conjugated into PyTorch's convention. The
        computation runs as one compiled program (:func:`_compiled`).
        """
        return _compiled(self._native_hvp_eager, fn, self._float_args(args), args, cotangent, w)

    def _native_hvp_eager(self, fn: Callable, args: tuple, cotangent: Any, w: tuple) -> tuple:
        pos = self._float_args(args)

        def m(*diff: Any) -> Any:
            gs = self._native_vjp_eager(fn, _splice(args, pos, diff), cotangent)
            terms = [jnp.sum(jnp.real(gs[i] * w[i])) for i in pos if w[i] is not None]
            return sum(terms[1:], terms[0]) if terms else jnp.zeros(())

        if not pos:
            return (None,) * len(args)
        val, pullback = jax.vjp(m, *(args[i] for i in pos))
        hs = pullback(jnp.ones_like(val))
        res: list = [None] * len(args)
        for i, h in zip(pos, hs, strict=True):
            res[i] = jnp.conj(h)
        return tuple(res)
