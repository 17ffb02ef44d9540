"""Conformance records of the ``fft`` extension.

The standard's ``fft``/``ifft``/``fftn``/``ifftn``/``irfft``/``irfftn``/``hfft``
take complex input (array-api-strict raises for real), so their cases build
``z = re + 1j*im`` from two real inputs: the gradients of ``re`` and ``im`` are
the real and imaginary parts of the complex gradient, and the second-order
check runs in float64. ``rfft``/``rfftn``/``ihfft`` take real input (a
real -> complex boundary). Each op is checked with every norm mode, negative
axes, ``n``/``s`` that crop and that zero-pad (``-1`` in ``s``: the full
length of that axis), and empty batch axes.
"""

from __future__ import annotations

from ._record import Input, complex_of, record

NORMS = ("backward", "ortho", "forward")


def _z(xp, re, im):
    return complex_of(xp, re, im)


def _c1(op, shape, label, **kw):
    """A case of the complex-input 1-d transform ``op`` on ``z = re + 1j*im``."""
    name = op.split(".")[1]
    record(op, lambda xp, re, im: getattr(xp.fft, name)(_z(xp, re, im), **kw), Input(shape), Input(shape),
           label=label)


def _r1(op, shape, label, **kw):
    """A case of the real-input transform ``op``."""
    name = op.split(".")[1]
    record(op, lambda xp, x: getattr(xp.fft, name)(x, **kw), Input(shape), label=label)


# --- complex -> complex, 1-d: fft, ifft --------------------------------------------------------
for _op in ("fft.fft", "fft.ifft"):
    for _norm in NORMS:
        _c1(_op, (8,), f"8,{_norm}", norm=_norm)
        _c1(_op, (3, 5), f"3x5,axis=0,{_norm}", axis=0, norm=_norm)
        _c1(_op, (2, 6), f"2x6,n=4 crop,{_norm}", n=4, norm=_norm)
        _c1(_op, (2, 5), f"2x5,n=8 pad,{_norm}", n=8, norm=_norm)
    _c1(_op, (4, 3), "4x3,axis=-2,n=7 pad", axis=-2, n=7)
    _c1(_op, (5, 2, 3), "5x2x3,axis=0,n=3 crop,ortho", axis=0, n=3, norm="ortho")
    _c1(_op, (1,), "1")
    _c1(_op, (0, 4), "0x4 empty batch")

# NumPy, torch, JAX and Dask also accept real input (upcast): the real input gets the real part.
# array-api-strict lacks this forward (expectations/array_api_strict.toml):
# the standard's fft takes complex input only (a TypeError there).
record("fft.fft", lambda xp, x: xp.fft.fft(x, n=6), (2, 4), label="real input,n=6")

# --- complex -> complex, n-d: fftn, ifftn ------------------------------------------------------
for _op in ("fft.fftn", "fft.ifftn"):
    for _norm in NORMS:
        _c1(_op, (3, 4), f"3x4,all axes,{_norm}", norm=_norm)
        _c1(_op, (2, 3, 4), f"2x3x4,axes=(0,2),{_norm}", axes=(0, 2), norm=_norm)
        _c1(_op, (3, 4), f"3x4,s=(2,6) crop+pad,{_norm}", s=(2, 6), axes=(0, 1), norm=_norm)
    _c1(_op, (2, 3, 4), "2x3x4,axes=(-1,-3)", axes=(-1, -3))
    _c1(_op, (3, 5), "3x5,s=(4,-1)", s=(4, -1), axes=(0, 1))
    _c1(_op, (2, 3, 4), "2x3x4,s=(5,2),axes=(-1,1),ortho", s=(5, 2), axes=(-1, 1), norm="ortho")
    _c1(_op, (0, 3), "0x3,axes=(1,) empty batch", axes=(1,))

# --- real -> half spectrum: rfft, ihfft --------------------------------------------------------
for _op in ("fft.rfft", "fft.ihfft"):
    for _norm in NORMS:
        _r1(_op, (8,), f"8,{_norm}", norm=_norm)
        _r1(_op, (7,), f"7 odd,{_norm}", norm=_norm)
        _r1(_op, (3, 5), f"3x5,axis=0,{_norm}", axis=0, norm=_norm)
        _r1(_op, (2, 7), f"2x7,n=4 crop,{_norm}", n=4, norm=_norm)
        _r1(_op, (2, 5), f"2x5,n=9 pad,{_norm}", n=9, norm=_norm)
    _r1(_op, (4, 3), "4x3,axis=-2,n=8 pad", axis=-2, n=8)
    _r1(_op, (6, 2), "6x2,axis=0,n=5 crop", axis=0, n=5)
    _r1(_op, (1,), "1")
    _r1(_op, (0, 6), "0x6 empty batch")

# --- half spectrum -> real: irfft, hfft (complex input; DC/Nyquist imaginary parts are ignored) -
for _op in ("fft.irfft", "fft.hfft"):
    for _norm in NORMS:
        _c1(_op, (5,), f"5 (n=8),{_norm}", norm=_norm)
        _c1(_op, (2, 5), f"2x5,n=9 odd,{_norm}", n=9, norm=_norm)
        _c1(_op, (3, 4), f"3x4,axis=0,{_norm}", axis=0, norm=_norm)
        _c1(_op, (2, 6), f"2x6,n=6 crop,{_norm}", n=6, norm=_norm)
        _c1(_op, (2, 3), f"2x3,n=11 pad,{_norm}", n=11, norm=_norm)
    _c1(_op, (4, 3), "4x3,axis=-2,n=10 pad", axis=-2, n=10)
    _c1(_op, (7, 2), "7x2,axis=0,n=4 crop", axis=0, n=4)
    _c1(_op, (2,), "2 (n=2)")
    _c1(_op, (0, 4), "0x4 empty batch")

# --- n-d real transforms: rfftn (real input), irfftn (complex input) ---------------------------
for _norm in NORMS:
    _r1("fft.rfftn", (4, 6), f"4x6,all axes,{_norm}", norm=_norm)
    _r1("fft.rfftn", (3, 4, 5), f"3x4x5,axes=(0,2),{_norm}", axes=(0, 2), norm=_norm)
    _r1("fft.rfftn", (3, 5), f"3x5,s=(2,8) crop+pad,{_norm}", s=(2, 8), axes=(0, 1), norm=_norm)
    _c1("fft.irfftn", (4, 5), f"4x5 (s=(4,8)),{_norm}", norm=_norm)
    _c1("fft.irfftn", (2, 3, 4), f"2x3x4,axes=(0,2),{_norm}", axes=(0, 2), norm=_norm)
    _c1("fft.irfftn", (3, 5), f"3x5,s=(5,7) pad+crop odd,{_norm}", s=(5, 7), axes=(0, 1), norm=_norm)
_r1("fft.rfftn", (3, 4, 5), "3x4x5,axes=(-1,-3) (last is -3)", axes=(-1, -3))
_r1("fft.rfftn", (4, 3), "4x3,s=(-1,6),axes=(1,0),ortho", s=(-1, 6), axes=(1, 0), norm="ortho")
_r1("fft.rfftn", (0, 6), "0x6,axes=(1,) empty batch", axes=(1,))
_c1("fft.irfftn", (3, 4, 5), "3x4x5,axes=(-1,-3) (last is -3)", axes=(-1, -3))
# (-1 on the last axis of irfftn means 2*(m-1) to torch but m to NumPy: backends disagree, not tested)
_c1("fft.irfftn", (5, 3), "5x3,s=(-1,7),axes=(1,0),ortho", s=(-1, 7), axes=(1, 0), norm="ortho")
_c1("fft.irfftn", (4, 6), "4x6,s=(3,4) crop", s=(3, 4), axes=(0, 1), norm="forward")
_c1("fft.irfftn", (0, 4), "0x4,axes=(1,) empty batch", axes=(1,))

# --- fftshift, ifftshift ----------------------------------------------------------------------
for _op in ("fft.fftshift", "fft.ifftshift"):
    _name = _op.split(".")[1]
    record(_op, lambda xp, x, f=_name: getattr(xp.fft, f)(x), (5,), label="5", complex=True)
    record(_op, lambda xp, x, f=_name: getattr(xp.fft, f)(x), (3, 4), label="3x4,all axes", complex=True)
    record(_op, lambda xp, x, f=_name: getattr(xp.fft, f)(x, axes=0), (3, 4), label="3x4,axes=0",
           complex=True)
    record(_op, lambda xp, x, f=_name: getattr(xp.fft, f)(x, axes=(0, -1)), (3, 4, 5),
           label="3x4x5,axes=(0,-1)", complex=True)
    record(_op, lambda xp, x, f=_name: getattr(xp.fft, f)(x, axes=(1,)), (0, 3), label="0x3 empty",
           complex=True)
