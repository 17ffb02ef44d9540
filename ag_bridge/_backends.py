"""The backend interface: what the engine asks of one array library.

Every default here uses the standard only, through the fallbacks of
:mod:`ag_bridge._portable_keys` and :mod:`ag_bridge._portable_scatter`, chosen by
the capabilities :mod:`ag_bridge._portable` probes once per library
(``backend.caps``), so a backend built from any namespace works
(:mod:`ag_bridge._generic`). A plugin (first-party ones live in ``backends/``)
subclasses :class:`Backend` and overrides only where its library differs: fast
paths, workarounds for its bugs, its own autodiff (the conformance oracle).
Discovery and selection live in :mod:`ag_bridge._select`; the patch helper for
plugins in :mod:`ag_bridge._patch`.
"""

from __future__ import annotations

import types
from collections.abc import Callable, Mapping
from types import MappingProxyType
from typing import Any

from . import _portable, _portable_keys, _portable_scatter
from ._state import selection

__all__ = ["Backend"]


class Backend:
    """What ag_bridge needs to know about one array library.

    Subclasses set ``name``, ``xp`` (the array API namespace) and
    ``array_types``, and override what differs. The defaults use only the
    standard (what they assume is :mod:`ag_bridge._portable`), so a minimal
    plugin works.
    """

    name: str = "?"
    xp: Any = None
    array_types: tuple = ()
    #: the import name of the library (plugins are registered under it)
    library: str = ""
    #: whether raw arrays can be written in place (NumPy, PyTorch: True; JAX: False);
    #: None: found out by probing the library (``caps.mutable``)
    mutable: bool | None = None
    #: the default floating dtype of MXNet-style creation (``ag_bridge.np``)
    default_float: Any = None
    #: the device arrays are created on when none is given (None: library default)
    device_default: Any = None

    def __init__(self) -> None:
        if self.default_float is None:
            self.default_float = getattr(self.xp, "float32", None) or \
                self.caps.default_dtypes.get("real floating")
        if self.mutable is None:
            self.mutable = self.caps.mutable
        self._namespace: types.ModuleType | None = None
        self._rule_xp: Any = None

    @property
    def caps(self) -> _portable.Capabilities:
        """What the library can do (:func:`ag_bridge._portable.probe`, run once)."""
        caps = self.__dict__.get("_caps")
        if caps is None:
            caps = self.__dict__["_caps"] = _portable.probe(self.xp)
        return caps

    # -- identity -----------------------------------------------------------
    def is_array(self, obj: Any) -> bool:
        """Whether ``obj`` is a raw array of this library."""
        return isinstance(obj, self.array_types)

    def coerce(self, raw: Any) -> Any:
        """Normalise a raw result to an array (NumPy returns scalars)."""
        return raw

    #: whether :meth:`coerce` returns an instance of ``array_types`` unchanged (so the
    #: recording wrappers skip the call for those); a plugin whose coerce rewrites its
    #: own arrays (Dask: unknown chunk sizes) sets it False
    lean_coerce: bool = True

    #: op name -> one VJP function per array argument, ``fn(xp, g, ans, *args, **kwargs)``
    #: as for ``defvjp``, used instead of the portable rule in plain backward passes: a
    #: library's fused kernel (torch's ``tanh_backward``: one pass and one buffer instead of
    #: three). ``create_graph`` passes use the portable rule.
    fast_vjps: Mapping[str, tuple] = MappingProxyType({})

    def is_complex(self, dtype: Any) -> bool:
        """Whether ``dtype`` is a complex floating dtype."""
        kind = getattr(dtype, "kind", "V")  # NumPy-style dtypes answer without a call
        if kind != "V":
            return kind == "c"
        return self.xp.isdtype(dtype, "complex floating")

    def is_bool(self, dtype: Any) -> bool:
        """Whether ``dtype`` is the boolean dtype (index arrays of it are masks)."""
        kind = getattr(dtype, "kind", "V")
        if kind != "V":
            return kind == "b"
        return self.xp.isdtype(dtype, "bool")

    def is_inexact(self, dtype: Any) -> bool:
        """Whether ``dtype`` is floating or complex (may carry gradients)."""
        kind = getattr(dtype, "kind", "V")  # "V": not NumPy-style, or bfloat16
        if kind != "V":
            return kind in "fc"
        return self.xp.isdtype(dtype, ("real floating", "complex floating"))

    # -- devices, conversion ----------------------------------------------------
    def device(self, raw: Any) -> Any:
        """The device of a raw array."""
        from array_api_compat import device

        return device(raw)

    def asarray(self, obj: Any, dtype: Any = None, device: Any = None) -> Any:
        """A raw array from Python data or another array."""
        kw = {}
        if dtype is not None:
            kw["dtype"] = dtype
        dev = device if device is not None else self.device_default
        if dev is not None:
            kw["device"] = dev
        return self.xp.asarray(obj, **kw)

    def creation_device(self, device: Any = None) -> Any:
        """The device a creation call on this backend uses: ``device`` if given, else the
        selected one (``use_backend(name, device)``, ``set_backend``, ``AG_BRIDGE_DEVICE``)
        while this backend is the current one, else :attr:`device_default` (None: the
        library's default). Names are resolved by :meth:`resolve_device`.

        Every creation function of the recording namespace (and so of ``ag_bridge.np``)
        and :func:`ag_bridge.asarray` ask here when no ``device=`` is passed.
        """
        if device is None:
            cur = selection()
            device = cur[1] if cur[1] is not None and cur[0] is self else self.device_default
        return self.resolve_device(device) if isinstance(device, str) else device

    def resolve_device(self, device: Any) -> Any:
        """A device as the namespace's creation functions take it: a name the library
        refuses there (JAX: ``'cpu'``; array-api-strict) becomes the device that
        :meth:`asarray` puts data on for that name (one probe per name, remembered)."""
        if not isinstance(device, str):
            return device
        names = self.__dict__.setdefault("_device_names", {})
        if device not in names:
            try:
                self.xp.empty((0,), device=device)
                names[device] = device  # the library takes the name itself (torch: 'cuda')
            except Exception:
                names[device] = self.device(self.asarray([0], device=device))
        return names[device]

    def index_array(self, seq: list, device: Any = None) -> Any:
        """A raw integer array from a Python list used as an index of an array on
        ``device`` (an empty list gives the namespace's default indexing dtype)."""
        if seq:
            return self.xp.asarray(seq, device=device)
        dtype = self.xp.__array_namespace_info__().default_dtypes(device=device)["indexing"]
        return self.xp.zeros(0, dtype=dtype, device=device)

    def to_numpy(self, raw: Any) -> Any:
        """A NumPy copy of a raw array: through DLPack, ``__array__``, DLPack of a copy
        (DLPack refuses a read-only buffer such as a broadcast view, and marray 0.0.12's
        arrays have no ``__array__``), or a ``todense()`` the library offers (pydata
        sparse refuses implicit densifying). Never a NumPy object array: NumPy wraps an
        object it cannot read as a 0-d object array, silently."""
        import numpy

        try:
            return numpy.array(numpy.from_dlpack(raw), copy=True)
        except Exception:
            pass
        err = None
        try:
            out = numpy.array(raw, copy=True)
            if out.dtype != object:
                return out
        except Exception as exc:  # the library's own error (a lazy one computing): kept
            err = exc
        try:
            return numpy.array(numpy.from_dlpack(self.xp.asarray(raw, copy=True)), copy=True)
        except Exception:
            pass
        if hasattr(raw, "todense"):
            return numpy.array(raw.todense(), copy=True)
        if err is not None:
            raise err
        raise TypeError(f"backend '{self.name}': cannot copy a {type(raw).__name__} to NumPy "
                        "(it has no working __dlpack__, __array__ or todense())")

    def repr(self, raw: Any) -> str:
        """MXNet-style text of a raw array (docs/semantics.md, "How arrays print").

        NumPy's text of the values. On the NumPy backend that is NumPy's text with
        MXNet's rule for the dtype: float32 (MXNet's default, what ``ag_bridge.np``
        makes) omits it, and float64/complex128, which NumPy's text omits, show it:
        ``array([0.33333333, 2.], dtype=float64)``. Every other backend appends
        which library and dtype it holds:
        ``array([1., 2.], backend='torch', dtype=float32)``.
        """
        import numpy

        values = self.to_numpy(raw)
        if self.name == "numpy":
            text = repr(values).replace(", dtype=float32)", ")")
            if values.dtype in (numpy.float64, numpy.complex128) and values.size:
                text = f"{text[:-1]}, dtype={values.dtype.name})"
            return text
        dtype = getattr(raw.dtype, "name", None) or str(raw.dtype).rsplit(".", 1)[-1]
        tail = f", backend='{self.name}', dtype={dtype})"
        return "array(" + numpy.array2string(values, separator=", ", prefix="array(") + tail

    def synchronize(self) -> None:
        """Wait for queued work (for timing); nothing for eager CPU libraries."""

    def getitem(self, raw: Any, key: Any) -> Any:
        """``raw[key]`` with NumPy's meaning: negative steps become a ``flip`` where the
        library refuses them, a mask over leading axes one over all axes where it fails
        on those, integer-array keys flat ids and ``take`` where its own
        indexing is not NumPy's (``caps``)."""
        caps = self.caps
        if not caps.negative_steps:
            axes, key = _portable_keys.flip_key(tuple(raw.shape), key, self._is_bool_index)
            if axes:
                raw = self.xp.flip(raw, axis=axes)
        if not caps.mask_prefix:
            full = _portable_keys.full_mask(self.xp, tuple(raw.shape), key, self._is_bool_index)
            if full is not None:
                return self.xp.reshape(raw[full[0]], full[1])
        if not caps.implicit_axes and _portable_keys.is_basic(key):
            key = _portable_keys.complete(key)
        elif caps.index_arrays != "numpy" and not _portable_keys.is_basic(key):
            out = _portable_keys.flat_getitem(self.xp, raw, key, self.array_types, self.device(raw), caps)
            if out is not None:
                return out
        return raw[key]

    def _is_bool_index(self, k: Any) -> bool:
        return self.is_array(k) and self.is_bool(k.dtype)

    def setitem(self, raw: Any, key: Any, value: Any) -> Any:
        """``raw[key] = value`` in place on an array nothing else refers to
        (see :meth:`exclusive`); returns the array now holding the result."""
        if not (self.mutable and _portable_keys.is_basic(key)):
            return self.index_set(raw, key, value)
        raw[key] = value
        return raw

    # -- buffers -----------------------------------------------------------------
    def settle(self, raw: Any) -> Any:
        """The new value of a leaf (a parameter) updated outside ``record()``.

        Eager libraries return it as it is; a lazy one evaluates it here
        (Dask persists it), so a training loop of ``param[:] = ...`` steps does
        not grow one task graph across all the steps.
        """
        return raw

    def like(self, value: Any, ref: Any) -> Any:
        """``value`` (a raw array of ``ref``'s shape, or broadcastable to it) laid out
        like ``ref``, e.g. with ``ref``'s chunks; eager libraries return ``value`` unchanged.

        The engine passes every cotangent through here before handing it to an
        input, and reductions' VJPs broadcast their cotangent through it
        (:func:`ag_bridge.rules._util.expand_to`), so a chunked library keeps each
        gradient in its input's chunks. A chunked library's plugin overrides it;
        callers broadcast what comes back if its shape still differs from ``ref``'s.
        """
        return value

    def zeros_like(self, raw: Any) -> Any:
        """Zeros of ``raw``'s shape, dtype and device."""
        return self.xp.zeros_like(raw)

    def exclusive(self, raw: Any) -> bool:
        """Whether nothing but the caller refers to ``raw`` (may write in place)."""
        return False

    def write_into(self, buf: Any, value: Any) -> Any:
        """Overwrite gradient buffer ``buf`` with ``value``; return the buffer.

        The backward pass calls it holding one reference to ``value`` (a cotangent
        nothing else needs), so a plugin may take over ``value``'s memory instead of
        copying, as long as ``buf`` stays the same object (the same-buffer contract)."""
        if self.mutable:
            buf[...] = value
            return buf
        return value

    def add_into(self, buf: Any, value: Any) -> Any:
        """Add ``value`` into gradient buffer ``buf``; return the buffer."""
        if self.mutable:
            buf += value
            return buf
        return buf + value

    def index_set(self, a: Any, key: Any, v: Any) -> Any:
        """``a`` with ``a[key] = v``, as a new array (``a`` is not changed); portable
        fallback :func:`ag_bridge._portable_scatter.index_set` (no integer-array ``__setitem__``)."""
        return _portable_scatter.index_set(self, a, key, v)

    def index_add(self, a: Any, key: Any, v: Any) -> Any:
        """``a`` plus ``v`` scattered at ``key``; duplicate indices accumulate. Portable
        fallback :func:`ag_bridge._portable_scatter.index_add`; plugins use the library's scatter-add."""
        return _portable_scatter.index_add(self, a, key, v)

    # -- the library's own autodiff (conformance oracle) ---------------------------
    def native_vjp(self, fn: Callable, args: tuple, cotangent: Any) -> tuple | None:
        """Cotangents of ``fn(*args)`` by the library's autodiff (None: has none)."""
        return None

    def native_hvp(self, fn: Callable, args: tuple, cotangent: Any, w: tuple) -> tuple | None:
        """Second-order oracle: the library's own double backward (None: it has none).

        With ``g = native_vjp(fn, args, cotangent)``, the gradient with respect
        to ``args`` of ``sum_i sum(real(g[i] * w[i]))``, differentiating through
        the library's backward (torch's ``create_graph=True``, nested
        ``jax.vjp``), in PyTorch's complex convention. ``w`` has one entry per
        argument (None: no term). Arguments that ``native_vjp`` holds constant
        (non-floating) get None; an argument the gradient does not depend on
        gets zeros. For real float inputs this is the Hessian-vector product
        of ``<cotangent, fn>`` along ``w``, which is what the conformance
        ``native2`` check compares with ag_bridge's create_graph gradient.
        """
        return None

    # -- special functions ---------------------------------------------------------
    def special_function(self, name: str) -> Callable | None:
        """The library's own ``scipy.special.<name>`` on raw arrays, with SciPy's
        signature (see :func:`ag_bridge._special.library_function`), or None: ag_bridge
        then composes it from the standard where it can (``ag_bridge/_special.py``)."""
        return None

    # -- namespaces -------------------------------------------------------------
    @property
    def namespace(self) -> types.ModuleType:
        """The recording namespace over this backend (built once)."""
        if self._namespace is None:
            from . import rules  # noqa: F401  (fills the registry)
            from ._namespace import build_namespace

            self._namespace = build_namespace(self)
        return self._namespace

    @property
    def rule_xp(self) -> Any:
        """The raw namespace rules get in a plain backward: the standard plus
        ``_index_add`` / ``_index_set`` (the scatter helpers) and ``_getitem``
        (indexing through :meth:`getitem`, which translates keys the library rejects) and
        ``_like`` (:meth:`like`: a cotangent laid out like its input)."""
        if self._rule_xp is None:
            ns = types.SimpleNamespace(**{k: getattr(self.xp, k) for k in dir(self.xp)
                                          if not k.startswith("__")})
            for ext in ("linalg", "fft"):  # array_api_strict serves these lazily, outside dir()
                if not hasattr(ns, ext) and getattr(self.xp, ext, None) is not None:
                    setattr(ns, ext, getattr(self.xp, ext))
            ns._index_add = self.index_add
            ns._index_set = self.index_set
            ns._getitem = self.getitem
            ns._like = self.like
            from ._extras import extend_raw

            extend_raw(ns, self)  # the special submodule and the NumPy extras, on raw arrays
            self._rule_xp = ns
        return self._rule_xp

    @property
    def sweep_hooks(self) -> tuple:
        """``(rule_xp, coerce, like, lean)`` for the backward sweep's lean path; ``coerce``
        and ``like`` are None where this backend keeps the identity defaults (nothing to
        call), and results of a class in ``lean`` skip ``coerce`` (see :attr:`lean_coerce`)."""
        hooks = self.__dict__.get("_sweep_hooks")
        if hooks is None or hooks[0] is not self._rule_xp:  # rule_xp reset: rebuild
            cls = type(self)
            hooks = self.__dict__["_sweep_hooks"] = (
                self.rule_xp,
                None if cls.coerce is Backend.coerce else self.coerce,
                None if cls.like is Backend.like else self.like,
                frozenset(self.array_types) if self.lean_coerce else frozenset(),
            )
        return hooks

    def __repr__(self) -> str:
        return f"<ag_bridge backend {self.name!r}>"


_MOVED = ("get_backend", "set_backend", "use_backend", "available_backends", "backend_of",
          "load_backend")


def __getattr__(name: str) -> Any:
    # discovery and selection moved to ag_bridge._select, the patch helper to ag_bridge._patch
    if name in _MOVED:
        from . import _select

        return getattr(_select, name)
    if name == "derived_namespace":
        from ._patch import derived_namespace

        return derived_namespace
    raise AttributeError(f"module 'ag_bridge._backends' has no attribute {name!r}")
