"""Generate a recording namespace from a backend's standard namespace.

Every name of the spec table becomes a function: differentiable entries
record a node when recording is on and an input needs a gradient; the others
unwrap their inputs, call the backend and wrap what comes back (the two
wrappers are :mod:`ag_bridge._recorder`'s). This module assembles them into a
namespace: signatures, creation on the selected device, the ``special``
submodule, functions the library lacks, and the internal ops the rules use.
Nothing here is written per op.
"""

from __future__ import annotations

import functools
import types
from collections.abc import Callable
from typing import Any

from ._array import Array, _unwrap_key, wrap
from ._extras import bind, raw_einsum
from ._node import Node
from ._portable_functions import to_device
from ._recorder import passthrough, recorder
from ._registry import RULES
from ._signatures import signature_of
from ._spec import COMPOSITE, SPECS, Spec
from ._special import NAMES, raw_special
from ._state import STATE
from .rules.elementwise import FORWARDS

__all__ = ["build_namespace", "API_VERSION"]

API_VERSION = "2025.12"

_CONSTANTS = ("e", "inf", "nan", "pi", "newaxis")
_DTYPES = ("bool", "int8", "int16", "int32", "int64", "uint8", "uint16", "uint32", "uint64",
           "float32", "float64", "complex64", "complex128")


#: NumPy keywords accepted as aliases of the standard's (SciPy and xarray pass ``ddof=``)
_KEYWORD_ALIASES = {"var": ("ddof", "correction"), "std": ("ddof", "correction")}


def _aliased(fn: Callable, alias: str, name: str) -> Callable:
    """``fn`` accepting ``alias=`` for its keyword ``name`` (not both)."""
    def aliased(*args: Any, **kwargs: Any) -> Any:
        if alias in kwargs:
            if name in kwargs:
                raise TypeError(f"{fn.__name__}(): give {name}= or its alias {alias}=, not both")
            kwargs[name] = kwargs.pop(alias)
        return fn(*args, **kwargs)

    for attr in ("__name__", "__qualname__", "__signature__", "__wrapped_raw__"):
        if hasattr(fn, attr):
            setattr(aliased, attr, getattr(fn, attr))
    aliased.__doc__ = (f"{fn.__doc__ or ''}\n\nag_bridge: ``{alias}=`` is accepted as an alias of "
                       f"``{name}=`` (NumPy's name).")
    return aliased


#: entries whose raw forward ag_bridge builds itself (not a name of the backend's namespace)
_RAW = {"einsum": raw_einsum}


def _special_module(ns: types.ModuleType, backend: Any) -> types.ModuleType:
    """The ``special`` submodule (SciPy's names; not in the standard yet). Its recording
    functions are made on first use, so the library's special module (``scipy.special``)
    is imported only then; a name it does not offer raises AttributeError (SciPy then
    takes its own fallback)."""
    sub = types.ModuleType(f"{ns.__name__}.special",
                           "Special functions (recording), SciPy's names and signatures.")

    def __getattr__(name: str) -> Any:
        spec = SPECS.get(f"special.{name}")
        if spec is None:
            raise AttributeError(f"ag_bridge's special submodule has no {name!r} "
                                 f"(it offers {', '.join(NAMES)})")
        fn = _make(spec, getattr(raw_special(backend), name), backend)
        setattr(sub, name, fn)
        return fn

    sub.__getattr__ = __getattr__  # type: ignore[attr-defined]
    sub.__dir__ = lambda: sorted(set(NAMES) | set(sub.__dict__))  # type: ignore[attr-defined]
    return sub


def _missing(spec: Spec, backend: Any) -> Callable:
    def fn(*args: Any, **kwargs: Any) -> Any:
        raise NotImplementedError(
            f"{spec.qualname}() is not provided by backend '{backend.name}' "
            f"(its namespace {backend.xp.__name__} lacks it); use another backend for this op"
        )

    return fn


def _placed(fn: Callable, backend: Any, converts: bool) -> Callable:
    """``fn`` (a creation function) creating on :meth:`Backend.creation_device` when no
    ``device=`` is given: the current selection, as ``use_backend(name, device)`` made it.
    ``asarray`` (``converts``) of an existing array keeps that array's device."""
    place = backend.creation_device
    is_array = backend.is_array

    def placed(*args: Any, device: Any = None, **kwargs: Any) -> Any:
        if device is None and converts and args and (isinstance(args[0], Array) or is_array(args[0])):
            return fn(*args, **kwargs)
        if converts and args and isinstance(args[0], (list, tuple)):
            args = (_raw_nested(args[0], backend),) + args[1:]
        dev = place(device)
        return fn(*args, **kwargs) if dev is None else fn(*args, device=dev, **kwargs)

    return placed


def _raw_nested(obj: Any, backend: Any) -> Any:
    """``asarray``'s nested sequence with every ag_bridge Array replaced by its raw array
    (a library such as torch takes an unknown element for a sequence). Such an array is
    a constant: building one from recorded arrays would drop their gradients, so that is
    refused with the differentiable way (``stack``)."""
    if isinstance(obj, Array):
        if obj._node is not None and STATE.get()[0]:
            raise ValueError(
                f"asarray(): a sequence holding a recorded array on backend '{backend.name}' "
                "would drop its gradient; build it with xp.stack(...) (or detach() the element)")
        return obj._data
    if isinstance(obj, (list, tuple)):
        return type(obj)(_raw_nested(o, backend) for o in obj)
    return obj


def _make(spec: Spec, raw: Callable | None, backend: Any) -> Callable:
    if raw is not None and spec.qualname in FORWARDS:  # composed where the library falls short
        raw = functools.wraps(raw)(FORWARDS[spec.qualname](raw, backend.xp))
    if raw is None:
        fn = _missing(spec, backend)
    elif spec.differentiable:
        fn = recorder(spec, raw, backend)
    else:
        fn = passthrough(spec, raw, backend)
    if raw is not None and (spec.cls == "C" and not spec.arrays or spec.qualname == "asarray"):
        fn = _placed(fn, backend, spec.qualname == "asarray")
    fn.__name__ = fn.__qualname__ = spec.name
    fn.__doc__ = (raw.__doc__ if raw is not None and raw.__doc__ else
                  f"{spec.qualname} of the array API standard (recording wrapper).")
    fn.__signature__ = signature_of(spec.qualname, raw)  # type: ignore[attr-defined]
    if raw is not None:
        fn.__wrapped_raw__ = raw  # type: ignore[attr-defined]
    return fn


def build_namespace(backend: Any) -> types.ModuleType:
    """A complete recording namespace over ``backend`` (see module docstring)."""
    xp = backend.xp
    ns = types.ModuleType(f"ag_bridge.namespace.{backend.name}",
                          f"Recording array API namespace over backend '{backend.name}'.")
    subs = {"": ns}
    for mod in ("linalg", "fft"):  # the standard's extensions (``special``: below)
        sub = types.ModuleType(f"{ns.__name__}.{mod}", f"The {mod} extension (recording).")
        setattr(ns, mod, sub)
        subs[mod] = sub
    for spec in SPECS.values():
        if spec.category == "array_object" or spec.module == "special" or spec.composite:
            continue
        if spec.qualname in _RAW:
            raw = _RAW[spec.qualname](backend)
        else:
            src = xp if not spec.module else getattr(xp, spec.module, None)
            raw = getattr(src, spec.name, None) if src is not None else None
        fn = _make(spec, raw, backend)
        if spec.qualname in _KEYWORD_ALIASES:
            fn = _aliased(fn, *_KEYWORD_ALIASES[spec.qualname])
        setattr(subs[spec.module], spec.name, fn)
    ns.special = _special_module(ns, backend)
    for name in COMPOSITE:  # NumPy extras composed of the recorded functions above
        setattr(ns, name, bind(name, ns))
    # where NumPy (and so xarray's rolling windows) keeps it
    ns.lib = types.SimpleNamespace(stride_tricks=types.SimpleNamespace(
        sliding_window_view=ns.sliding_window_view))
    for name in _CONSTANTS + _DTYPES:
        if hasattr(xp, name):
            setattr(ns, name, getattr(xp, name))
    ns.__array_api_version__ = API_VERSION
    ns.Array = Array
    ns.backend = backend
    # The array object's to_device() records through here (Array.to_device calls it).
    ns._to_device = _make(SPECS["to_device"], functools.partial(to_device, backend), backend)
    # Internal recorded ops the rules use (scatter for indexing VJPs).
    ns._index_add = _internal("_index_add", backend.index_add, backend, (0, 2))
    ns._index_set = _internal("_index_set", backend.index_set, backend, (0, 2))
    # Indexing in rules: Array.__getitem__ (recorded, through backend.getitem's key translation).
    ns._getitem = _getitem
    # A cotangent laid out like its input (Backend.like), recorded so create_graph sees it.
    ns._like = _like_op(backend)
    return ns


def _like_op(backend: Any) -> Callable:
    """``xp._like(value, ref)`` of the recording namespace: :meth:`Backend.like` on the
    raw arrays, recorded as a ``broadcast_to`` (its VJP is undone by the engine)."""
    rule = RULES.get("broadcast_to")

    def _like(value: Any, ref: Any) -> Any:
        raw = value._data if isinstance(value, Array) else value
        out = backend.like(raw, ref._data if isinstance(ref, Array) else ref)
        if out is raw:
            return value
        if isinstance(value, Array) and value._node is not None and STATE.get()[0]:
            node = Node("broadcast_to", rule, (raw,), {"shape": tuple(out.shape)}, out,
                        ((0, value._node, value._oidx),), backend, False)
            return wrap(out, backend, node)
        return wrap(out, backend)

    return _like


def _getitem(a: Any, key: Any) -> Any:
    """``a[key]`` for rules (``xp._getitem``): recorded for Arrays, so create_graph sees it."""
    return a[key]


def _internal(op: str, raw: Callable, backend: Any, slots: tuple) -> Callable:
    """A recorded op over a backend helper ``raw(a, key, v)``; slots 0 (a) and 2 (v)."""
    rule = RULES.get(op)

    def fn(a: Any, key: Any, v: Any) -> Any:
        parents = []
        ra = a
        rv = v
        if isinstance(a, Array):
            ra = a._data
            if a._node is not None:
                parents.append((0, a._node, a._oidx))
        if isinstance(v, Array):
            rv = v._data
            if v._node is not None:
                parents.append((2, v._node, v._oidx))
        rkey = _unwrap_key(key, backend, ra)
        out = raw(ra, rkey, rv)
        if parents and STATE.get()[0]:
            return wrap(out, backend, Node(op, rule, (ra, rkey, rv), {}, out, tuple(parents),
                                           backend, False))
        return wrap(out, backend)

    fn.__name__ = op
    return fn
