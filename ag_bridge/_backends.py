"""The backend interface: what the engine asks of one array library.

Every default uses the standard only, through the fallbacks of
:mod:`ag_bridge._portable_keys` and :mod:`ag_bridge._portable_scatter`, chosen by
the capabilities :mod:`ag_bridge._portable` probes once per library
(``backend.caps``), so a backend built from any namespace works
(:mod:`ag_bridge._generic`). A plugin (first-party ones live in ``backends/``)
subclasses :class:`Backend` and overrides only where its library differs: fast
paths, workarounds for its bugs, its own autodiff (the conformance oracle).

:class:`Backend` is assembled from three parts: this module (identity, dtypes,
gradient buffers, the library's own autodiff, and the namespaces built over the
backend), :mod:`ag_bridge._backend_arrays` (devices, creation, NumPy copies and
text of raw arrays) and :mod:`ag_bridge._backend_indexing` (reading, writing and
scatter-adding at a key). Discovery and selection live in :mod:`ag_bridge._select`;
the patch helper for plugins in :mod:`ag_bridge._patch`.
"""

from __future__ import annotations

import types
from collections.abc import Callable, Mapping
from types import MappingProxyType
from typing import Any

from . import _portable
from ._backend_arrays import RawArrays
from ._backend_indexing import Indexing

__all__ = ["Backend"]


class Backend(RawArrays, Indexing):
    """What ag_bridge needs to know about one array library.

    Subclasses set ``name``, ``xp`` (the array API namespace) and
    ``array_types``, and override what differs. The defaults use only the
    standard (what they assume is :mod:`ag_bridge._portable`), so a minimal
    plugin works. Devices, creation and copies of raw arrays come from
    :class:`~ag_bridge._backend_arrays.RawArrays`, indexing from
    :class:`~ag_bridge._backend_indexing.Indexing`.
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
