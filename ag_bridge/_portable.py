"""What ag_bridge assumes of any array-API library, and how it copes without the rest.

This one file is the contract with a library that has no plugin. ag_bridge
assumes the library's namespace follows the standard for what it provides;
everything the standard leaves optional, or that libraries get wrong, is
*found out* once per library (:func:`probe`, kept on the backend as
``backend.caps``), never guessed from the library's name:

* ``mutable``: whether ``a[1:2] = 1`` writes into ``a`` (NumPy, marray) or is
  refused (JAX, cubed, sparse). Immutable libraries get rebinding behind the
  same ``Array`` and writes built from ``where`` (:func:`index_set`).
* ``index_arrays``: whether integer-array keys mean NumPy's (``"numpy"``) or
  must be turned into flat element ids and a gather (``"flat"``; the standard
  only requires one integer array per axis, and cubed gives wrong numbers).
* ``take``: whether ``take`` gathers right (cubed 0.27 returns the array
  unchanged when the index has the array's length): else gathers are a
  one-hot contraction (:func:`gather`).
* ``implicit_axes``: whether ``x[0]`` on a 2-D array means ``x[0, ...]`` (strict
  refuses it): if not, keys get NumPy's implicit trailing ``...`` (:func:`complete`).
* ``mask_prefix``: whether a boolean key over the leading axes only (``x[m]``,
  ``m.ndim < x.ndim``) works (marray 0.0.12 fails on it): if not, the key is
  broadcast over all axes and the result reshaped (:func:`full_mask`).
* ``negative_steps``: whether ``x[::-1]`` works (PyTorch, cubed refuse it):
  if not, keys become a ``flip`` plus a positive-step key (:func:`flip_key`).
* ``sort``: whether ``argsort``/``searchsorted`` exist; then scatter-add is an
  O(m log m) sorted segment sum, else a one-hot contraction in bounded blocks
  (:func:`scatter_add`). Integer-array ``__setitem__`` is never used: the
  standard does not require it.
* ``descending``: whether ``sort``/``argsort`` take the standard's ``descending=``
  (marray 0.0.12's do not; probed only where both exist, with ``flip``);
  ``to_device``: whether the array's ``to_device`` returns the moved array
  (marray 0.0.12's moves it in place and returns None).
  Where not, :mod:`ag_bridge._portable_functions` builds them from the standard.
* the functions and extensions (``linalg``, ``fft``) present, the default
  device and dtypes: read from the namespace and ``__array_namespace_info__()``.

The fallbacks use standard functions only, so they run on every library; a
plugin replaces one only where its library has something faster. They live in
three files, by job: :mod:`ag_bridge._portable_functions` (namespace functions
a library gets wrong or lacks a keyword of), :mod:`ag_bridge._portable_keys` (keys: completing,
flipping, integer arrays as flat ids and a gather; FFT arguments) and
:mod:`ag_bridge._portable_scatter` (scatter-add, scatter-last and the writes
``index_add``/``index_set`` built on them). This file holds the probe.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from importlib import import_module
from typing import Any

__all__ = ["Capabilities", "probe", "arange", "standard_arange"]


@dataclass(frozen=True)
class Capabilities:
    """What one library can do, found by :func:`probe` (see the module docstring)."""

    mutable: bool = True
    index_arrays: str = "numpy"
    take: bool = True
    implicit_axes: bool = True
    mask_prefix: bool = True
    negative_steps: bool = True
    sort: bool = True
    descending: bool = True
    to_device: bool = True
    arange: bool = True
    functions: frozenset = field(default_factory=frozenset, repr=False)
    extensions: tuple = ()
    default_device: Any = None
    default_dtypes: dict = field(default_factory=dict)


def _works(fn: Any) -> bool:
    try:
        return bool(fn())
    except Exception:
        return False


def _same(xp: Any, got: Any, want: list) -> bool:
    return tuple(got.shape) == (len(want),) and bool(xp.all(got == xp.asarray(want, dtype=got.dtype)))


def probe(xp: Any) -> Capabilities:
    """The capabilities of namespace ``xp``, found with a few tiny arrays (once per library)."""
    names = frozenset(k for k in dir(xp) if not k.startswith("_"))
    exts = tuple(e for e in ("linalg", "fft") if getattr(xp, e, None) is not None)
    has_arange = "arange" in names
    ar = (lambda n: xp.arange(n)) if has_arange else (lambda n: xp.asarray(list(range(n))))

    def write() -> bool:
        a = xp.zeros(3)
        a[1:2] = 1.0
        return bool(a[1] == 1)

    def numpy_keys() -> bool:
        t = xp.reshape(ar(6), (2, 3))
        r = t[xp.asarray([1, 0])]
        return tuple(r.shape) == (2, 3) and _same(xp, xp.reshape(r, (-1,)), [3, 4, 5, 0, 1, 2]) \
            and _same(xp, ar(3)[xp.asarray([2, 0, 2])], [2, 0, 2])

    def mask_prefix() -> bool:
        r = xp.reshape(ar(6), (3, 2))[xp.asarray([False, True, True])]
        return tuple(r.shape) == (2, 2) and _same(xp, xp.reshape(r, (-1,)), [2, 3, 4, 5])

    def descending() -> bool:
        a = xp.asarray([3.0, 1.0, 3.0])
        return _same(xp, xp.sort(a, descending=True), [3.0, 3.0, 1.0]) \
            and _same(xp, xp.argsort(a, descending=True, stable=True), [0, 2, 1])

    def to_device() -> bool:
        from array_api_compat import device, to_device

        a = xp.asarray([1.0])
        return tuple(to_device(a, device(a)).shape) == (1,)

    try:
        info = xp.__array_namespace_info__()
        device, dtypes = info.default_device(), dict(info.default_dtypes())
    except Exception:
        device, dtypes = None, {}
    take = _works(lambda: _same(xp, xp.take(ar(3), xp.asarray([2, 0, 2])), [2, 0, 2]))
    return Capabilities(
        mutable=_works(write),
        index_arrays="numpy" if _works(numpy_keys) else "flat",
        take=take,
        implicit_axes=_works(lambda: tuple(xp.reshape(ar(6), (2, 3))[0].shape) == (3,)),
        mask_prefix=_works(mask_prefix),
        negative_steps=_works(lambda: _same(xp, ar(3)[::-1], [2, 1, 0])),
        sort=take and {"argsort", "searchsorted", "take", "concat", "where"} <= names,
        # only where the repair could apply (sparse's sort JIT-compiles for ~14 s)
        descending={"sort", "argsort", "flip"} <= names and _works(descending),
        to_device=_works(to_device),
        arange=has_arange,
        functions=names,
        extensions=exts,
        default_device=device,
        default_dtypes=dtypes,
    )


def arange(xp: Any, n: int, device: Any = None, dtype: Any = None, caps: Any = None) -> Any:
    """``0 .. n-1`` (from a Python range where the library has no ``arange``)."""
    kw = {k: v for k, v in (("device", device), ("dtype", dtype)) if v is not None}
    if caps is None or caps.arange:
        return xp.arange(n, **kw)
    return xp.asarray(list(range(n)), **kw)


def standard_arange(xp: Any) -> Any:
    """The standard's ``arange(start, /, stop=None, step=1, *, dtype, device)`` for a
    library without one (sparse), from a Python range."""
    def arange(start: int, /, stop: int | None = None, step: int = 1, *, dtype: Any = None,
               device: Any = None) -> Any:
        r = range(start) if stop is None else range(start, stop, step)
        kw = {k: v for k, v in (("dtype", dtype), ("device", device)) if v is not None}
        return xp.asarray(list(r), **kw)
    return arange


#: the fallbacks' names, still importable from here (they moved by job)
_MOVED = {**dict.fromkeys(("is_basic", "complete", "flip_key", "gather", "flat_getitem", "flat_ids",
                           "fft_axes"), "_portable_keys"),
          **dict.fromkeys(("BLOCK", "scatter_add", "scatter_last", "index_add", "index_set"),
                          "_portable_scatter")}


def __getattr__(name: str) -> Any:
    if name in _MOVED:
        return getattr(import_module(f"{__package__}.{_MOVED[name]}"), name)
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
