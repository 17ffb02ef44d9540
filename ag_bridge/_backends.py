"""The backend plugin interface, discovery and selection.

A backend plugin is an importable package (first-party ones live in
``backends/``: ``ag_bridge_numpy``, ``ag_bridge_torch`` ...) that exposes a
:class:`Backend` subclass through the entry-point group ``ag_bridge.backends``.
It says how to recognise the library's arrays, hands over its standard
namespace (from array-api-compat) and declares what differs between
libraries: mutable or immutable buffers, scatter-add, devices, default dtypes,
synchronisation, and the library's own autodiff (the conformance oracle).
"""

from __future__ import annotations

import math
import os
import types
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from contextvars import ContextVar
from importlib import import_module
from importlib.metadata import entry_points
from typing import Any

__all__ = [
    "Backend", "get_backend", "set_backend", "use_backend", "available_backends",
    "backend_of", "load_backend", "derived_namespace",
]

GROUP = "ag_bridge.backends"


class Backend:
    """What ag_bridge needs to know about one array library.

    Subclasses set ``name``, ``xp`` (the array API namespace) and
    ``array_types``, and override what differs. The defaults use only the
    standard, so a minimal plugin works (slowly, copying on every write).
    """

    name: str = "?"
    xp: Any = None
    array_types: tuple = ()
    #: whether raw arrays can be written in place (NumPy, PyTorch: True; JAX: False)
    mutable: bool = True
    #: the default floating dtype of MXNet-style creation (``ag_bridge.np``)
    default_float: Any = None
    #: the device arrays are created on when none is given (None: library default)
    device_default: Any = None

    def __init__(self) -> None:
        if self.default_float is None:
            self.default_float = self.xp.float32
        self._namespace: types.ModuleType | None = None
        self._rule_xp: Any = None

    # -- identity -----------------------------------------------------------
    def is_array(self, obj: Any) -> bool:
        """Whether ``obj`` is a raw array of this library."""
        return isinstance(obj, self.array_types)

    def coerce(self, raw: Any) -> Any:
        """Normalise a raw result to an array (NumPy returns scalars)."""
        return raw

    def coerce_scalar(self, out: Any) -> Any:
        """Normalise a non-array result of a passthrough function."""
        return out

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
            cur = _CURRENT.get() or _REG.default
            if cur[1] is not None and (cur[0] is self or _REG.loaded.get(cur[0]) is self):
                device = cur[1]
            else:
                device = self.device_default
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
        """A NumPy copy of a raw array."""
        import numpy

        return numpy.asarray(raw)

    def repr(self, raw: Any) -> str:
        """MXNet-style text of a raw array."""
        text = repr(self.to_numpy(raw))
        return text.replace(", dtype=float32)", ")")

    def synchronize(self) -> None:
        """Wait for queued work (for timing); nothing for eager CPU libraries."""

    def getitem(self, raw: Any, key: Any) -> Any:
        """``raw[key]`` (a plugin translates keys its library rejects)."""
        return raw[key]

    def setitem(self, raw: Any, key: Any, value: Any) -> Any:
        """``raw[key] = value`` in place on an array nothing else refers to
        (see :meth:`exclusive`); returns the array now holding the result."""
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
        """Overwrite gradient buffer ``buf`` with ``value``; return the buffer."""
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
        """``a`` with ``a[key] = v``, as a new array (``a`` is not changed)."""
        out = self.xp.asarray(a, copy=True)
        out[key] = v
        return out

    def index_add(self, a: Any, key: Any, v: Any) -> Any:
        """``a`` plus ``v`` scattered at ``key``; duplicate indices accumulate.

        Portable fallback: flat ids of the selected elements (the backend's own
        indexing validates ``key``), then a one-hot contraction. O(m*n) memory;
        plugins override it with the library's scatter-add.
        """
        xp = self.xp
        size = math.prod(a.shape)
        dev = self.device(a)
        ids = xp.reshape(xp.arange(size, device=dev), a.shape)[key]
        vals = xp.reshape(xp.broadcast_to(xp.asarray(v, dtype=a.dtype, device=dev), ids.shape), (-1,))
        ids = xp.reshape(ids, (-1, 1))
        onehot = xp.astype(ids == xp.reshape(xp.arange(size, device=dev), (1, -1)), a.dtype)
        return a + xp.reshape(xp.tensordot(vals, onehot, axes=([0], [0])), a.shape)

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
            self._rule_xp = ns
        return self._rule_xp

    def __repr__(self) -> str:
        return f"<ag_bridge backend {self.name!r}>"


def derived_namespace(name: str, src: Any, doc: str) -> types.ModuleType:
    """A module copying ``src``'s public names (and the standard's dunders), for a
    plugin to patch functions its library gets wrong without touching the library."""
    mod = types.ModuleType(name, doc)
    for k in dir(src):
        if not k.startswith("__") or k in ("__array_namespace_info__", "__array_api_version__"):
            setattr(mod, k, getattr(src, k))
    return mod


# ---------------------------------------------------------------- discovery
class _Registry:
    """Loaded plugins (by entry-point name) and the process-wide default choice."""

    def __init__(self) -> None:
        self.loaded: dict[str, Backend] = {}
        self.default: tuple[str, Any] = (
            os.environ.get("AG_BRIDGE_BACKEND", "numpy"),
            os.environ.get("AG_BRIDGE_DEVICE") or None,
        )

    def entry_points(self) -> dict[str, Any]:
        return {ep.name: ep for ep in entry_points(group=GROUP)}


_REG = _Registry()
_CURRENT: ContextVar[tuple[str, Any] | None] = ContextVar("ag_bridge_backend", default=None)


def available_backends() -> list[str]:
    """Names of the installed backends whose library can be imported."""
    out = []
    for name in sorted(_REG.entry_points()):
        try:
            load_backend(name)
        except (ImportError, AttributeError):
            continue
        out.append(name)
    return out


def load_backend(name: str) -> Backend:
    """The backend plugin registered as ``name`` (loaded once)."""
    if isinstance(name, Backend):
        return name
    b = _REG.loaded.get(name)
    if b is not None:
        return b
    eps = _REG.entry_points()
    if name in eps:
        factory = eps[name].load()
    else:
        try:  # running from a source tree without the entry points installed
            factory = import_module(f"ag_bridge_{name}").Backend
        except ImportError:
            raise ValueError(
                f"unknown ag_bridge backend {name!r}; installed backends: "
                f"{', '.join(sorted(eps)) or 'none'} (install the library and its plugin, "
                f"e.g. pip install 'ag-bridge[{name}]')"
            ) from None
    b = factory()
    _REG.loaded[name] = b
    return b


def _check(name: str) -> None:
    if name not in _REG.loaded:
        try:
            load_backend(name)
        except ImportError as exc:
            raise ValueError(
                f"backend {name!r} is installed but its library cannot be imported: {exc}"
            ) from None


def get_backend() -> Backend:
    """The backend new arrays are created on (context-local choice, else default)."""
    cur = _CURRENT.get() or _REG.default
    return load_backend(cur[0])


def get_device() -> Any:
    """The device new arrays are created on (None: the backend's default)."""
    cur = _CURRENT.get() or _REG.default
    return cur[1]


def set_backend(name: str, device: Any = None) -> None:
    """Make ``name`` (and ``device``) the default for the whole process."""
    _check(name)
    load_backend(name)
    _REG.default = (name, device)
    _CURRENT.set(None)


@contextmanager
def use_backend(name: str, device: Any = None) -> Iterator[Backend]:
    """Within the block (this context only), create arrays on ``name``/``device``."""
    _check(name)
    b = load_backend(name)
    token = _CURRENT.set((name, device))
    try:
        yield b
    finally:
        _CURRENT.reset(token)


def backend_of(raw: Any) -> Backend:
    """The loaded backend that recognises the raw array ``raw``."""
    for b in list(_REG.loaded.values()):
        if b.is_array(raw):
            return b
    for name in _REG.entry_points():
        if name in _REG.loaded:
            continue
        try:
            b = load_backend(name)
        except (ImportError, AttributeError):
            continue
        if b.is_array(raw):
            return b
    raise TypeError(f"no installed ag_bridge backend recognises {type(raw).__module__}."
                    f"{type(raw).__name__}; installed: {', '.join(available_backends())}")
