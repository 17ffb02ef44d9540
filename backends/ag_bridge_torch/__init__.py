"""ag_bridge backend plugin for PyTorch (entry point ``torch``).

Tensors keep their device and dtype; gradient buffers are written in place
(``copy_`` / ``add_``), scatter-add is ``index_add_`` over flat element ids,
and ``torch.autograd`` is the conformance oracle. Torch rejects negative
slice steps (``x[::-1]``); :meth:`Backend.getitem` and the scatter helpers
translate them into a flip plus a positive-step slice. The namespace is
array-api-compat's with two repairs: ``std`` accepts a float ``correction``
(torch's takes integers), FFTs accept empty batches (MKL refuses them), and index
arrays of every integer dtype work in ``take``, ``take_along_axis`` and keys (torch
wants int64, and reads a uint8 key as a mask), and ``linalg.vector_norm`` of a 0-d
tensor over ``axis=()`` works (array-api-compat's raises). Two-argument functions
of two tensors of one dtype, or of a tensor and a Python number, call torch
directly (``_direct``).
"""

from __future__ import annotations

import sys
import types
from collections.abc import Callable
from typing import Any

import array_api_compat.torch as _compat
import torch

from ag_bridge import Backend as _Backend
from ag_bridge._keys import per_axis_key
from ag_bridge._patch import derived_namespace
from ag_bridge._portable_keys import fft_axes, flip_key
from ag_bridge._refs import calibrate
from ag_bridge._registry import RULES

from ._direct import install as install_direct

__all__ = ["Backend"]

_FFT_1D = ("fft", "ifft", "rfft", "irfft", "hfft", "ihfft")
_FFT_ND = ("fftn", "ifftn", "rfftn", "irfftn")


def _std(x: Any, /, *, axis: Any = None, correction: float = 0.0, keepdims: bool = False) -> Any:
    if correction != int(correction):  # torch's std takes integer corrections only; var any
        return torch.sqrt(_compat.var(x, axis=axis, correction=correction, keepdims=keepdims))
    return _compat.std(x, axis=axis, correction=correction, keepdims=keepdims)


def _fft(fn: Any, nd: bool) -> Any:
    """``fn`` that also works on empty batches (MKL refuses them): run on one row, keep none."""
    def f(x: Any, /, **kw: Any) -> Any:
        if x.numel() or not x.ndim:
            return fn(x, **kw)
        if nd:
            axes = fft_axes(tuple(x.shape), kw.get("s"), kw.get("axes"))[0]
        else:
            axes = (kw.get("axis", -1),)
        axes = {a % x.ndim for a in axes}
        empty = {d for d, n in enumerate(x.shape) if n == 0}
        if empty & axes:  # an empty transform: the library's own error
            return fn(x, **kw)
        probe = x.new_zeros(tuple(1 if d in empty else n for d, n in enumerate(x.shape)))
        out = fn(probe, **kw)
        return out[tuple(slice(0, 0) if d in empty else slice(None) for d in range(out.ndim))]

    f.__name__ = f.__qualname__ = fn.__name__
    f.__doc__ = fn.__doc__
    return f


def _long(i: Any) -> Any:
    """An index tensor as int64: torch gathers with int64 only and reads uint8 keys as masks;
    the standard allows any integer dtype."""
    if isinstance(i, torch.Tensor) and i.dtype != torch.int64 and i.dtype != torch.bool \
            and not i.is_floating_point() and not i.is_complex():
        return i.long()
    return i


def _take(x: Any, indices: Any, /, *, axis: Any = None) -> Any:
    return _compat.take(x, _long(indices), axis=axis)


def _take_along_axis(x: Any, indices: Any, /, *, axis: int = -1) -> Any:
    return _compat.take_along_axis(x, _long(indices), axis=axis)


def _roll(x: Any, /, shift: Any, *, axis: Any = None) -> Any:
    # the standard applies one integer shift to every axis of a tuple; torch wants one each
    if isinstance(shift, int) and isinstance(axis, tuple):
        shift = (shift,) * len(axis)
    return _compat.roll(x, shift, axis=axis)


def _vector_norm(x: Any, /, *, axis: Any = None, keepdims: bool = False, ord: Any = 2) -> Any:
    # the norm over no axes is |x|; array-api-compat's writes it with out[:] = ..., which a
    # 0-d tensor refuses
    if axis == () and x.ndim == 0:
        return torch.abs(x)
    return _compat.linalg.vector_norm(x, axis=axis, keepdims=keepdims, ord=ord)


_module = derived_namespace  # shared helper: copies public names and the standard dunders


def _namespace() -> types.ModuleType:
    """array-api-compat's torch namespace; ``std`` takes float corrections, FFTs empty batches."""
    ns = _module("ag_bridge_torch.xp", _compat, "array_api_compat.torch, with the fixes of "
                 "ag_bridge_torch: std with a float correction, FFTs of empty batches.")
    ns.__array_api_version__ = _compat.__array_api_version__
    ns.std = _std
    ns.take, ns.take_along_axis, ns.roll = _take, _take_along_axis, _roll
    ns.linalg = _module("ag_bridge_torch.xp.linalg", _compat.linalg, "torch linalg (vector_norm of a "
                        "0-d tensor over no axes works).")
    ns.linalg.vector_norm = _vector_norm
    ns.fft = _module("ag_bridge_torch.xp.fft", _compat.fft, "torch FFTs (empty batches work).")
    for k in _FFT_1D + _FFT_ND:
        setattr(ns.fft, k, _fft(getattr(_compat.fft, k), k in _FFT_ND))
    install_direct(ns, _compat)  # torch itself where array-api-compat's cast is a no-op
    return ns


_xp = _namespace()

_Tensor = torch.Tensor
_refcount = sys.getrefcount
_BASIC = (int, slice, type(None), type(Ellipsis))
#: elements from which a .grad write adopts the cotangent's memory instead of copying
#: (measured: a 256-element copy_ is cheaper than the checks; a 1024 x 1024 one costs 5x more)
_ADOPT_MIN = 1 << 16


def _storage_uses(t: Any) -> int:
    """How many tensors share ``t``'s storage (+1 for this probe); 0 if unknown."""
    try:
        st = t.untyped_storage()
        if not st.resizable():  # borrowed memory (from_numpy, DLPack)
            return 0
        return torch._C._storage_Use_Count(st._cdata)
    except Exception:  # private API changed: be conservative
        return 0


def _as_tuple(key: Any) -> tuple:
    return key if isinstance(key, tuple) else (key,)


def _is_mask(k: Any) -> bool:
    return isinstance(k, _Tensor) and k.dtype == torch.bool


def _flip_key(shape: tuple, key: Any) -> tuple[tuple, Any]:
    """Torch refuses negative slice steps: ``x[key] == flip(x, axes)[key2]``."""
    return flip_key(shape, key, _is_mask)


def _numpy_key(shape: tuple, key: Any, device: Any) -> Any:
    """``key`` with NumPy's meaning where PyTorch's differs: an integer and an integer
    array separated by a slice or ``...`` (``x[0, :, i]``) are both advanced indices in
    NumPy (their axes go first); PyTorch applies the integer first. Such keys become
    one index per axis (:func:`ag_bridge._keys.per_axis_key`)."""
    if isinstance(key, _Tensor):
        key = _long(key)
    elif isinstance(key, tuple) and any(isinstance(k, _Tensor) for k in key):
        key = tuple(_long(k) for k in key)
    parts = _as_tuple(key)
    pos = [d for d, k in enumerate(parts) if isinstance(k, int) and not isinstance(k, bool)
           or isinstance(k, _Tensor) and k.dtype != torch.bool]
    if len(pos) < 2 or pos == list(range(pos[0], pos[-1] + 1)) \
            or not any(isinstance(parts[d], _Tensor) for d in pos) \
            or all(isinstance(parts[d], _Tensor) for d in pos):
        return key
    return per_axis_key(shape, parts, _xp, device, (_Tensor,))


def _basic(key: Any) -> bool:
    """Whether ``key`` selects each element at most once, as a view (no arrays)."""
    return all(isinstance(k, _BASIC) and not isinstance(k, bool) for k in _as_tuple(key))


def _per_input(inputs: list, got: Any) -> tuple:
    """One result per input: the next of ``got`` (zeros for None) for each differentiated
    tensor, None for the constants."""
    res = []
    for i in inputs:
        if isinstance(i, _Tensor) and i.requires_grad:
            g = next(got)
            res.append(torch.zeros_like(i.detach()) if g is None else g.detach())
        else:
            res.append(None)
    return tuple(res)


def _aten(name: str) -> Callable:
    """The ATen operator ``name`` as its compiled entry point where torch exposes it (the
    ``_op`` of its default overload: no Python ``__call__`` in between), else the packet."""
    packet = getattr(torch.ops.aten, name)
    return getattr(getattr(packet, "default", None), "_op", packet)


def _fused(kernel: Any, op: str) -> Callable:
    """A one-argument VJP by torch's fused backward ``kernel(g, ans)`` (``g * conj(f'(x))``
    written from the output, as torch.autograd computes it); the portable rule when the
    cotangent's dtype is not the output's."""
    portable = RULES[op].fns[0]

    def vjp(xp: Any, g: Any, ans: Any, x: Any) -> Any:
        if g.dtype is ans.dtype:
            return kernel(g, ans)
        return portable(xp, g, ans, x)

    vjp.__name__ = f"{op.rpartition('.')[2]}_vjp"
    return vjp


class Backend(_Backend):
    """PyTorch tensors on any device: mutable buffers, ``index_add_`` scatter."""

    name = "torch"
    xp = _xp
    array_types = (_Tensor,)
    mutable = True
    default_float = torch.float32
    #: torch's fused backward kernels (one pass, one buffer) in plain backward passes
    fast_vjps = types.MappingProxyType({
        "tanh": (_fused(_aten("tanh_backward"), "tanh"),),
        "special.expit": (_fused(_aten("sigmoid_backward"), "special.expit"),),
    })

    def special_function(self, name: str) -> Any:
        """``torch.special``, with SciPy's signatures (``xp.special``)."""
        from ag_bridge._special import library_function

        return library_function("torch", name)

    # -- identity ---------------------------------------------------------------
    def is_complex(self, dtype: Any) -> bool:
        return dtype.is_complex

    def is_inexact(self, dtype: Any) -> bool:
        return dtype.is_floating_point or dtype.is_complex

    # -- devices, conversion -----------------------------------------------------
    def device(self, raw: Any) -> Any:
        return raw.device

    def to_numpy(self, raw: Any) -> Any:
        t = raw.detach()
        if t.dtype == torch.bfloat16:
            t = t.float()
        out = t.numpy(force=True)
        return out.copy() if t.device.type == "cpu" else out

    def repr(self, raw: Any) -> str:
        text = super().repr(raw)
        if raw.device.type != "cpu":
            text = f"{text[:-1]}, device='{raw.device}')"
        return text

    def synchronize(self) -> None:
        if torch.cuda.is_available() and torch.cuda.is_initialized():
            torch.cuda.synchronize()

    # -- buffers ------------------------------------------------------------------
    def zeros_like(self, raw: Any) -> Any:
        return torch.zeros_like(raw)

    #: what getrefcount shows of a tensor held by one Array's slot, passed here from the
    #: slot (4 on CPython 3.10, 3 on 3.11-3.13, 2 on 3.14), and of a cotangent only the backward
    #: pass holds, in write_into: measured at import (ag_bridge._refs; 0 turns reuse off)
    refs_exclusive = refs_adopt = 0

    def exclusive(self, raw: Any) -> bool:
        # Called as backend.exclusive(array._data): the slot and this call's Python
        # references (refs_exclusive); views, detach() aliases and .numpy() exports
        # share the storage (counted by torch), memory borrowed from NumPy/DLPack is
        # never written.
        return (_refcount(raw) <= self.refs_exclusive and raw._base is None
                and not raw.requires_grad and _storage_uses(raw) == 2)

    def write_into(self, buf: Any, value: Any) -> Any:
        # ``buf`` (the live .grad tensor) stays the same object. When the backward pass
        # holds the only reference to the cotangent (apply's local: refs_adopt with this
        # call's references) and nothing else shares either storage, ``buf`` takes over
        # the cotangent's memory instead of copying it (as torch.autograd hands over its
        # result when .grad is None); views the user took of ``buf`` forbid it. Small
        # buffers are copied: the checks cost more than the copy.
        if (_refcount(value) <= self.refs_adopt and value.__class__ is _Tensor
                and value.numel() >= _ADOPT_MIN
                and value._base is None
                and not value.requires_grad and value.dtype == buf.dtype
                and value.device == buf.device and value.shape == buf.shape
                and value.stride() == buf.stride() and value.storage_offset() == 0
                and _storage_uses(value) == 2 and _storage_uses(buf) == 2
                and value.untyped_storage().nbytes() == buf.untyped_storage().nbytes()):
            buf.set_(value)
        else:
            buf.copy_(value)
        return buf

    def add_into(self, buf: Any, value: Any) -> Any:
        buf.add_(value)
        return buf

    # -- indexing -----------------------------------------------------------------
    def getitem(self, raw: Any, key: Any) -> Any:
        """``raw[key]``, accepting negative slice steps (torch does not), NumPy's meaning."""
        key = _numpy_key(tuple(raw.shape), key, raw.device)
        axes, key2 = _flip_key(tuple(raw.shape), key)
        return raw.flip(axes)[key2] if axes else raw[key2]

    def setitem(self, raw: Any, key: Any, value: Any) -> Any:
        """In place, or through a copy when the key has negative steps (torch refuses them)."""
        key = _numpy_key(tuple(raw.shape), key, raw.device)
        axes, key2 = _flip_key(tuple(raw.shape), key)
        if axes:
            return self.index_set(raw, key, value)
        raw[key2] = value
        return raw

    def _value(self, v: Any, like: Any) -> Any:
        if isinstance(v, _Tensor):
            if v.dtype != like.dtype or v.device != like.device:
                v = v.to(device=like.device, dtype=like.dtype)
            return v
        return torch.as_tensor(v, dtype=like.dtype, device=like.device)

    def index_set(self, a: Any, key: Any, v: Any) -> Any:
        key = _numpy_key(tuple(a.shape), key, a.device)
        axes, key2 = _flip_key(tuple(a.shape), key)
        out = a.flip(axes) if axes else a.clone()
        out[key2] = self._value(v, a)
        return out.flip(axes) if axes else out

    def index_add(self, a: Any, key: Any, v: Any) -> Any:
        v = self._value(v, a)
        key = _numpy_key(tuple(a.shape), key, a.device)
        if _basic(key):  # each element at most once: add through a view
            axes, key2 = _flip_key(tuple(a.shape), key)
            out = a.flip(axes) if axes else a.clone()
            view = out[key2]
            view += v
            return out.flip(axes) if axes else out
        ids = torch.arange(a.numel(), device=a.device).reshape(a.shape)
        ids = self.getitem(ids, key)
        flat = a.clone(memory_format=torch.contiguous_format).reshape(-1)
        flat.index_add_(0, ids.reshape(-1), torch.broadcast_to(v, ids.shape).reshape(-1))
        return flat.reshape(a.shape)

    # -- the library's own autodiff ----------------------------------------------
    def native_vjp(self, fn: Callable, args: tuple, cotangent: Any) -> tuple:
        """Cotangents of ``fn(*args)`` by ``torch.autograd`` (None for non-float args)."""
        inputs = [a.detach().clone().requires_grad_(True)
                  if isinstance(a, _Tensor) and self.is_inexact(a.dtype) else a for a in args]
        with torch.enable_grad():
            out = fn(*inputs)
        outs = list(out) if isinstance(out, (tuple, list)) else [out]
        cots = list(cotangent) if isinstance(cotangent, (tuple, list)) else [cotangent]
        pairs = [(o, c) for o, c in zip(outs, cots, strict=False) if c is not None and o.requires_grad]
        diff = [i for i in inputs if isinstance(i, _Tensor) and i.requires_grad]
        if pairs and diff:
            got = iter(torch.autograd.grad([o for o, _ in pairs], diff, [c for _, c in pairs],
                                           allow_unused=True))
        else:
            got = iter([None] * len(diff))
        return _per_input(inputs, got)

    def native_hvp(self, fn: Callable, args: tuple, cotangent: Any, w: tuple) -> tuple:
        """Gradient of ``sum(real(g * w))``, ``g`` from ``torch.autograd.grad(create_graph=True)``.

        The same inputs, outputs and cotangents as :meth:`native_vjp`; torch's
        double backward is the second-order conformance oracle.
        """
        inputs = [a.detach().clone().requires_grad_(True)
                  if isinstance(a, _Tensor) and self.is_inexact(a.dtype) else a for a in args]
        diff = [i for i in inputs if isinstance(i, _Tensor) and i.requires_grad]
        ws = [d for i, d in zip(inputs, w, strict=True) if isinstance(i, _Tensor) and i.requires_grad]
        got: list = [None] * len(diff)
        with torch.enable_grad():
            out = fn(*inputs)
            outs = list(out) if isinstance(out, (tuple, list)) else [out]
            cots = list(cotangent) if isinstance(cotangent, (tuple, list)) else [cotangent]
            pairs = [(o, c) for o, c in zip(outs, cots, strict=False)
                     if c is not None and o.requires_grad]
            if pairs and diff:
                gs = torch.autograd.grad([o for o, _ in pairs], diff, [c for _, c in pairs],
                                         create_graph=True, allow_unused=True)
                # a gradient that does not require grad is constant in the inputs: no term
                terms = [torch.sum(torch.real(g * d)) for g, d in zip(gs, ws, strict=True)
                         if g is not None and d is not None and g.requires_grad]
                if terms:
                    got = list(torch.autograd.grad(sum(terms), diff, allow_unused=True))
        return _per_input(inputs, iter(got))


calibrate(Backend(), lambda: torch.empty(_ADOPT_MIN), lambda t: t.data_ptr())
