"""VJPs of the ``fft`` extension.

Every transform is linear, so its VJP is its adjoint (PyTorch's
conjugate-Wirtinger convention: the adjoint under Re<a, b>). With the DFT
matrix ``F`` and the norm scale ``s`` (backward 1, ortho 1/sqrt(n), forward
1/n), the adjoint of ``s*F`` is ``s*F^H``, i.e. the opposite transform with
the *dual* norm mode (backward <-> forward, ortho <-> ortho):

* ``fft``/``fftn``: x̄ = ifft(g, norm=dual); ``ifft``/``ifftn``: x̄ = fft(g, norm=dual);
* ``rfft``/``rfftn`` (real -> half spectrum): x̄ = real(ifft(zero-pad g to n, norm=dual));
* ``irfft``/``irfftn`` (half spectrum -> real): X̄ = rfft(g, norm=dual) * w with
  w = 1 at DC (and at Nyquist for even n), 2 elsewhere; the imaginary parts of
  DC/Nyquist, which irfft ignores, get 0 because rfft of a real g is real there;
* ``hfft(x, norm) = irfft(conj(x), norm=dual)`` and ``ihfft(x, norm) =
  conj(rfft(x, norm=dual))``, so their VJPs are the conj-wrapped ones above;
* ``fftshift`` <-> ``ifftshift``.

A forward ``n``/``s`` that zero-pads the input crops the cotangent, one that
crops the input zero-pads it (slicing and ``concat`` with zeros only).
Formulas: docs/fft.md, "The rules, as formulas" (checked against torch autograd).
"""

from __future__ import annotations

from typing import Any

from .._registry import defvjp

_DUAL = {"backward": "forward", "ortho": "ortho", "forward": "backward", None: "forward"}


def _at(axis: int, key: slice) -> tuple:
    """An index applying ``key`` on ``axis`` (non-negative) only (the standard wants the ``...``)."""
    return (slice(None),) * axis + (key, Ellipsis)


def _fit(xp: Any, a: Any, axis: int, length: int) -> Any:
    """``a`` cropped or zero-padded at the end of ``axis`` to ``length``."""
    m = a.shape[axis]
    if m == length:
        return a
    if m > length:
        return a[_at(axis, slice(0, length))]
    seed = a[_at(axis, slice(0, 1))] if m else xp.sum(a, axis=axis, keepdims=True)
    shape = tuple(length - m if i == axis else k for i, k in enumerate(a.shape))
    return xp.concat([a, xp.broadcast_to(xp.zeros_like(seed), shape)], axis=axis)


def _fit_all(xp: Any, a: Any, axes: tuple, shape: tuple) -> Any:
    for ax in axes:
        a = _fit(xp, a, ax, shape[ax])
    return a


def _plan(shape: tuple, s: Any, axes: Any) -> tuple[tuple, tuple]:
    """The transformed axes (non-negative) and their signal lengths for an n-d transform.

    ``axes=None`` means all axes (the last ``len(s)`` when only ``s`` is given);
    ``s=None`` or ``-1`` keep the input length. The inverse real transforms read
    their output lengths off ``g`` instead (backends disagree on ``-1`` there).
    """
    nd = len(shape)
    if axes is None:
        axes = range(nd) if s is None else range(nd - len(s), nd)
    axes = tuple(a % nd for a in axes)
    if s is None:
        return axes, tuple(shape[a] for a in axes)
    return axes, tuple(shape[a] if k == -1 else k for a, k in zip(axes, s, strict=True))


def _halfweight(xp: Any, r: Any, axis: int, n: int) -> Any:
    """``r`` (a half spectrum of a length-``n`` signal) times 2 off DC and Nyquist.

    The bin index comes from a cumulative sum of ones (no device or chunking
    to choose: Dask needs the transformed axis in one chunk, which ``concat``
    would split).
    """
    k = xp.cumulative_sum(xp.ones_like(r), axis=axis) - 1
    return xp.where((k == 0) | (2 * k == n), r, 2 * r)


def _fft(xp, g, ans, x, n=None, axis=-1, norm="backward"):
    axis %= x.ndim
    return _fit(xp, xp.fft.ifft(g, axis=axis, norm=_DUAL[norm]), axis, x.shape[axis])


def _ifft(xp, g, ans, x, n=None, axis=-1, norm="backward"):
    axis %= x.ndim
    return _fit(xp, xp.fft.fft(g, axis=axis, norm=_DUAL[norm]), axis, x.shape[axis])


def _fftn(xp, g, ans, x, s=None, axes=None, norm="backward"):
    axes, _ = _plan(x.shape, s, axes)
    return _fit_all(xp, xp.fft.ifftn(g, axes=axes, norm=_DUAL[norm]), axes, x.shape)


def _ifftn(xp, g, ans, x, s=None, axes=None, norm="backward"):
    axes, _ = _plan(x.shape, s, axes)
    return _fit_all(xp, xp.fft.fftn(g, axes=axes, norm=_DUAL[norm]), axes, x.shape)


def _rfft(xp, g, ans, x, n=None, axis=-1, norm="backward"):
    axis %= x.ndim
    n = x.shape[axis] if n is None else n
    return _fit(xp, xp.real(xp.fft.ifft(g, n=n, axis=axis, norm=_DUAL[norm])), axis, x.shape[axis])


def _irfft(xp, g, ans, x, n=None, axis=-1, norm="backward"):
    axis %= x.ndim
    r = _halfweight(xp, xp.fft.rfft(g, axis=axis, norm=_DUAL[norm]), axis, g.shape[axis])
    return _fit(xp, r, axis, x.shape[axis])


def _rfftn(xp, g, ans, x, s=None, axes=None, norm="backward"):
    axes, lens = _plan(x.shape, s, axes)
    r = xp.real(xp.fft.ifftn(g, s=lens, axes=axes, norm=_DUAL[norm]))
    return _fit_all(xp, r, axes, x.shape)


def _irfftn(xp, g, ans, x, s=None, axes=None, norm="backward"):
    axes, _ = _plan(x.shape, s, axes)
    r = _halfweight(xp, xp.fft.rfftn(g, axes=axes, norm=_DUAL[norm]), axes[-1], g.shape[axes[-1]])
    return _fit_all(xp, r, axes, x.shape)


def _hfft(xp, g, ans, x, n=None, axis=-1, norm="backward"):
    axis %= x.ndim
    r = _halfweight(xp, xp.fft.rfft(g, axis=axis, norm=norm or "backward"), axis, g.shape[axis])
    return _fit(xp, xp.conj(r), axis, x.shape[axis])


def _ihfft(xp, g, ans, x, n=None, axis=-1, norm="backward"):
    # real(ifft(conj(pad(g)), norm)) == real(fft(pad(g), norm=dual)): same scale, conjugate kernel
    axis %= x.ndim
    n = x.shape[axis] if n is None else n
    return _fit(xp, xp.real(xp.fft.fft(g, n=n, axis=axis, norm=_DUAL[norm])), axis, x.shape[axis])


defvjp("fft.fft", _fft)
defvjp("fft.ifft", _ifft)
defvjp("fft.fftn", _fftn)
defvjp("fft.ifftn", _ifftn)
defvjp("fft.rfft", _rfft)
defvjp("fft.irfft", _irfft)
defvjp("fft.rfftn", _rfftn)
defvjp("fft.irfftn", _irfftn)
defvjp("fft.hfft", _hfft)
defvjp("fft.ihfft", _ihfft)
defvjp("fft.fftshift", lambda xp, g, ans, x, axes=None: xp.fft.ifftshift(g, axes=axes))
defvjp("fft.ifftshift", lambda xp, g, ans, x, axes=None: xp.fft.fftshift(g, axes=axes))
