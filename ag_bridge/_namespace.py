"""Generate a recording namespace from a backend's standard namespace.

Every name of the spec table becomes a function: differentiable entries
record a node when recording is on and an input needs a gradient; the others
unwrap their inputs, call the backend and wrap what comes back. Nothing here
is written per op.
"""

from __future__ import annotations

import functools
import inspect
import types
from collections.abc import Callable
from typing import Any

from ._array import Array, _unwrap_key, mixed_error, refuse_foreign, wrap
from ._extras import bind, raw_einsum
from ._node import Node
from ._portable_functions import to_device
from ._registry import RULES
from ._spec import COMPOSITE, SPECS, Spec
from ._special import NAMES, raw_special
from ._state import STATE
from .rules.elementwise import ANS_ONLY, FORWARDS, NO_ANS

__all__ = ["build_namespace", "API_VERSION"]

API_VERSION = "2025.12"

_CONSTANTS = ("e", "inf", "nan", "pi", "newaxis")
_DTYPES = ("bool", "int8", "int16", "int32", "int64", "uint8", "uint16", "uint32", "uint64",
           "float32", "float64", "complex64", "complex128")
# Parameters of NumPy functions that the standard does not have; `out=` would
# write past the tape.
_HIDDEN = {"out", "where", "casting", "order", "subok", "signature", "initial", "like"}


#: categories whose functions take foreign data on purpose (asarray converts it)
_CONVERTING = ("creation", "data_type", "inspection")


def _unwrap(obj: Any, backend: Any, op: str, check: bool = False) -> Any:
    if isinstance(obj, Array):
        if obj._backend is not backend:
            raise mixed_error(op, obj._backend, backend)
        return obj._data
    if check:
        refuse_foreign(op, obj, backend)
    if isinstance(obj, (list, tuple)) and obj and any(isinstance(o, Array) for o in obj):
        return type(obj)(_unwrap(o, backend, op) for o in obj)
    return obj


def rebuild(like: Any, items: list) -> Any:
    """A tuple of ``items`` of the same kind as ``like`` (namedtuple, torch structseq, tuple)."""
    if hasattr(like, "_fields"):
        return type(like)(*items)
    if hasattr(type(like), "n_fields"):  # torch.return_types
        return type(like)(items)
    return tuple(items)


def _wrap_out(out: Any, backend: Any, node: Any = None) -> Any:
    if backend.is_array(out):
        return wrap(backend.coerce(out), backend, node)
    if isinstance(out, tuple):
        items = [(wrap(backend.coerce(o), backend, node, i)
                  if node is not None and backend.is_inexact(o.dtype) else wrap(backend.coerce(o), backend))
                 if backend.is_array(o) else o for i, o in enumerate(out)]
        return rebuild(out, items)
    if isinstance(out, list):
        return tuple(_wrap_out(tuple(out), backend, node))
    return out


def _refuse_gradient(op: str, backend: Any, args: tuple) -> None:
    """Non-differentiable functions with floating outputs (the set functions'
    ``values``) must not silently cut a gradient path while recording."""
    if op.startswith("unique_") and any(isinstance(a, Array) and a._node is not None for a in args):
        raise NotImplementedError(
            f"{op}() is not differentiable in ag_bridge (its values are a data-dependent "
            f"selection) on backend '{backend.name}'; call it on x.detach(), or use sort() / "
            "take() with the returned indices to keep the gradient path"
        )


def _refuse_out(op: str) -> TypeError:
    return TypeError(f"{op}(): out= is not supported: writing into an existing array would bypass "
                     "the tape; assign the result instead (y = f(x))")


def _passthrough(spec: Spec, raw: Callable, backend: Any) -> Callable:
    op = spec.qualname
    guard = spec.cls == "N" and not spec.query
    check = spec.category not in _CONVERTING

    def fn(*args: Any, **kwargs: Any) -> Any:
        if guard and STATE.get()[0]:
            _refuse_gradient(op, backend, args)
        args = tuple(_unwrap(a, backend, op, check) for a in args)
        if kwargs:
            if "out" in kwargs:
                raise _refuse_out(op)
            kwargs = {k: _unwrap(v, backend, op) for k, v in kwargs.items()}
        return _wrap_out(raw(*args, **kwargs), backend)

    return fn


def _recorder(spec: Spec, raw: Callable, backend: Any) -> Callable:
    op = spec.qualname
    rule = RULES.get(op)
    multi = spec.multi
    nslots = len(spec.arrays)
    varargs = spec.sequence == "varargs"
    listarg = spec.sequence == "list"
    kwslots = {name: i for i, name in enumerate(spec.arrays) if i > 0}
    names = spec.arrays
    coerce = backend.coerce
    inexact = backend.is_inexact
    state = STATE.get
    check = spec.category not in _CONVERTING
    # A result whose class is one of the backend's array types needs no coerce() where
    # the backend's coerce only normalises other classes (NumPy's scalars): None = ask.
    lean = frozenset(backend.array_types) if backend.lean_coerce else None
    kinds: dict = {}
    ans_only = op in ANS_ONLY
    keep = op not in NO_ANS  # whether the node keeps the output (its rule reads it)

    def inexact_of(dtype: Any) -> bool:  # one backend call per dtype
        try:
            return kinds[dtype]
        except KeyError:
            v = kinds[dtype] = inexact(dtype)
            return v
        except TypeError:  # unhashable dtype
            return inexact(dtype)

    def finish(args: tuple, kwargs: dict, out: Any, parents: list) -> Any:
        if multi:
            out = rebuild(out, list(map(coerce, out)))
            node = Node(op, rule, args, kwargs, out, tuple(parents), backend, True, listarg, names)
            return _wrap_out(out, backend, node)
        if lean is None or out.__class__ not in lean:
            out = coerce(out)
        if not inexact_of(out.dtype):
            return wrap(out, backend)
        return wrap(out, backend, Node(op, rule, args, kwargs, out if keep else None, tuple(parents),
                                       backend, False, listarg,
                                       names))

    def general(*args: Any, **kwargs: Any) -> Any:
        parents = []
        if listarg:
            seq = list(args[0])
            for i, a in enumerate(seq):
                if isinstance(a, Array):
                    if a._backend is not backend:
                        raise mixed_error(op, a._backend, backend)
                    seq[i] = a._data
                    if a._node is not None:
                        parents.append((i, a._node, a._oidx))
                elif check:
                    refuse_foreign(op, a, backend)
            args = (tuple(seq),) + args[1:]
        else:
            n = len(args) if varargs else min(len(args), nslots)
            if n:
                args = list(args)
                for i in range(n):
                    a = args[i]
                    if isinstance(a, Array):
                        if a._backend is not backend:
                            raise mixed_error(op, a._backend, backend)
                        args[i] = a._data
                        if a._node is not None:
                            parents.append((i, a._node, a._oidx))
                    elif check:
                        refuse_foreign(op, a, backend)
                args = tuple(args)
            if kwargs:
                if "out" in kwargs:
                    raise _refuse_out(op)
                kwargs = dict(kwargs)
                for k, v in kwargs.items():
                    if isinstance(v, Array):
                        if v._backend is not backend:
                            raise mixed_error(op, v._backend, backend)
                        kwargs[k] = v._data
                        if v._node is not None and k in kwslots:
                            parents.append((kwslots[k], v._node, v._oidx))
                    elif check and k in kwslots:
                        refuse_foreign(op, v, backend)
        out = raw(*args, **kwargs)
        if not parents or not state()[0]:
            return _wrap_out(out, backend)
        return finish(args, kwargs, out, parents)

    if multi or varargs or listarg or nslots > 2:
        return general

    if nslots == 1:
        def unary(x: Any, /, *rest: Any, **kwargs: Any) -> Any:
            if x.__class__ is not Array or rest and any(isinstance(r, Array) for r in rest) \
                    or "out" in kwargs:
                return general(x, *rest, **kwargs)
            if x._backend is not backend:
                raise mixed_error(op, x._backend, backend)
            node = x._node
            data = x._data
            out = raw(data, *rest, **kwargs)
            if node is None or not state()[0]:
                return wrap(coerce(out), backend) if backend.is_array(out) else _wrap_out(out, backend)
            if lean is None:
                out = coerce(out)
            elif out.__class__ not in lean:  # a NumPy scalar, or a foreign result
                out = coerce(out)
            if not inexact_of(out.dtype):
                return wrap(out, backend)
            if ans_only and not rest and out.dtype == data.dtype:
                data = out  # the rule reads only ans: do not keep the input alive (ANS_ONLY)
            return wrap(out, backend, Node(op, rule, (data,) + rest, kwargs, out if keep else None,
                                           ((0, node, x._oidx),), backend, False))
        return unary

    def binary(x1: Any, x2: Any = _NO, /, *rest: Any, **kwargs: Any) -> Any:
        if x2 is _NO or rest or kwargs and ("out" in kwargs or
                                            any(isinstance(v, Array) for v in kwargs.values())):
            return general(x1, *(() if x2 is _NO else (x2,)), *rest, **kwargs)
        parents = None
        if x1.__class__ is Array:
            if x1._backend is not backend:
                raise mixed_error(op, x1._backend, backend)
            if x1._node is not None:
                parents = [(0, x1._node, x1._oidx)]
            x1 = x1._data
        elif check:
            refuse_foreign(op, x1, backend)
        if x2.__class__ is Array:
            if x2._backend is not backend:
                raise mixed_error(op, x2._backend, backend)
            if x2._node is not None:
                if parents is None:
                    parents = [(1, x2._node, x2._oidx)]
                else:
                    parents.append((1, x2._node, x2._oidx))
            x2 = x2._data
        elif check:
            refuse_foreign(op, x2, backend)
        out = raw(x1, x2, **kwargs)
        if parents is None or not state()[0]:
            return wrap(coerce(out), backend)
        return finish((x1, x2), kwargs, out, parents)

    return binary


_NO = object()

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


def _signature(raw: Callable) -> inspect.Signature | None:
    try:
        sig = inspect.signature(raw)
    except (TypeError, ValueError):
        return None
    params = [p for p in sig.parameters.values() if p.name not in _HIDDEN]
    return sig.replace(parameters=params)


@functools.cache
def _standard_signature(qualname: str) -> inspect.Signature | None:
    """The standard's signature of ``qualname`` for a library function Python cannot
    inspect (torch's builtins), read from array-api-strict, the standard's reference
    implementation, when it is installed (None otherwise)."""
    try:
        import array_api_strict as ref
    except ImportError:
        return None
    obj: Any = ref
    for part in qualname.split("."):
        obj = getattr(obj, part, None)
    return None if obj is None else _signature(obj)


def _make(spec: Spec, raw: Callable | None, backend: Any) -> Callable:
    if raw is not None and spec.qualname in FORWARDS:  # composed where the library falls short
        raw = functools.wraps(raw)(FORWARDS[spec.qualname](raw, backend.xp))
    if raw is None:
        fn = _missing(spec, backend)
    elif spec.differentiable:
        fn = _recorder(spec, raw, backend)
    else:
        fn = _passthrough(spec, raw, backend)
    if raw is not None and (spec.cls == "C" and not spec.arrays or spec.qualname == "asarray"):
        fn = _placed(fn, backend, spec.qualname == "asarray")
    fn.__name__ = fn.__qualname__ = spec.name
    fn.__doc__ = (raw.__doc__ if raw is not None and raw.__doc__ else
                  f"{spec.qualname} of the array API standard (recording wrapper).")
    if raw is not None:
        sig = _signature(raw) or _standard_signature(spec.qualname)
        if sig is not None:
            fn.__signature__ = sig  # type: ignore[attr-defined]
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
