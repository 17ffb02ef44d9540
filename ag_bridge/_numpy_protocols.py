"""NumPy's dispatch protocols for :class:`ag_bridge.Array` (NEP 13 and NEP 18).

``np.exp(x)``, ``ndarray * x`` (NumPy ufuncs) and ``np.concatenate([x, y])``,
``np.linalg.norm(x)`` (NumPy functions) on an ag_bridge Array run on the
recording namespace of the array's backend, so they are recorded and gradients
flow. A call with no counterpart, or with options that would write past the
tape (``out=``) or change NumPy's meaning (``where=``, ``dtype=`` of a ufunc),
raises a TypeError naming the function and what to do. Nothing is ever
converted to NumPy behind the user's back. docs/semantics.md, "NumPy functions
on Arrays", is the user's page.
"""

from __future__ import annotations

import inspect
from typing import Any

__all__ = ["array_ufunc", "array_function"]

#: NumPy ufunc names whose standard name differs
UFUNC_NAMES = {
    "absolute": "abs", "arccos": "acos", "arccosh": "acosh", "arcsin": "asin", "arcsinh": "asinh",
    "arctan": "atan", "arctanh": "atanh", "arctan2": "atan2", "power": "pow", "true_divide": "divide",
    "invert": "bitwise_invert", "left_shift": "bitwise_left_shift",
    "right_shift": "bitwise_right_shift", "conjugate": "conj", "rint": "round", "mod": "remainder",
}
#: NumPy functions that only read an array's metadata: NumPy's own code runs them
METADATA = {"shape", "ndim", "size"}


def _arrays(objs: Any) -> list:
    """The ag_bridge Arrays among ``objs`` (one level of lists and tuples looked into)."""
    from ._array import Array

    out = []
    for o in objs:
        if isinstance(o, Array):
            out.append(o)
        elif isinstance(o, (list, tuple)):
            out.extend(a for a in o if isinstance(a, Array))
    return out


def _refuse(what: str, backend: Any, why: str) -> TypeError:
    return TypeError(
        f"{what} on an ag_bridge Array (backend '{backend.name}'): {why}; use the array API "
        "namespace (xp = x.__array_namespace__()) or ag_bridge.np, or call NumPy on "
        "x.asnumpy() to leave the graph on purpose"
    )


def array_ufunc(ufunc: Any, method: str, inputs: tuple, kwargs: dict) -> Any:
    """``Array.__array_ufunc__``: run NumPy ufunc ``ufunc`` on the recording namespace."""
    backend = _arrays(inputs)[0]._backend
    what = f"numpy.{ufunc.__name__}{'' if method == '__call__' else '.' + method}()"
    if method != "__call__":
        raise _refuse(what, backend, f"the ufunc method {method!r} has no recorded counterpart")
    if kwargs.get("out") is not None:
        raise _refuse(what, backend, "out= would write the result past the tape (for a NumPy "
                      "array a, write a = a + x rather than a += x)")
    extra = sorted(k for k in kwargs if k != "out")
    if extra:
        raise _refuse(what, backend, f"the ufunc option(s) {', '.join(extra)} are not supported")
    fn = _lookup(ufunc.__name__, "", backend, standard_first=True)
    if fn is None:
        raise _refuse(what, backend, "ag_bridge has no such function")
    return fn(*inputs)


def array_function(func: Any, types: tuple, args: tuple, kwargs: dict) -> Any:
    """``Array.__array_function__``: run NumPy function ``func`` on ag_bridge.np (NumPy's
    signatures) or the recording namespace (names NumPy shares with the standard)."""
    import numpy

    from ._array import Array

    if not all(issubclass(t, (Array, numpy.ndarray)) for t in types):
        return NotImplemented
    found = _arrays(args) or _arrays(kwargs.values())
    backend = found[0]._backend
    name = func.__name__
    sub = func.__module__.split(".")[1] if func.__module__.count(".") else ""
    what = f"numpy.{sub + '.' if sub else ''}{name}()"
    if name in METADATA and not sub:
        return func._implementation(*args, **kwargs)
    if kwargs.get("out") is not None:
        raise _refuse(what, backend, "out= would write the result past the tape")
    kwargs = {k: v for k, v in kwargs.items() if k != "out"}
    fn = _lookup(name, sub, backend, standard_first=False)
    if fn is None:
        raise _refuse(what, backend, "ag_bridge has no such function")
    if getattr(fn, "__module__", "").startswith("ag_bridge.np"):
        return fn(*args, **kwargs)
    return _call_as_standard(func, fn, args, kwargs)


def _lookup(name: str, sub: str, backend: Any, standard_first: bool) -> Any:
    """The ag_bridge function for NumPy's ``sub.name``: the recording namespace's (by the
    standard's name) and ag_bridge.np's (NumPy's names and signatures), in that order
    or the other; None when neither has it."""
    from . import np as facade

    ns = backend.namespace
    std = getattr(ns, sub, None) if sub else ns
    npx = getattr(facade, sub, None) if sub else facade
    places = [(std, UFUNC_NAMES.get(name, name) if standard_first else name), (npx, name)]
    for place, key in places if standard_first else places[::-1]:
        fn = getattr(place, key, None) if place is not None else None
        if callable(fn):
            return fn
    return None


def _call_as_standard(numpy_func: Any, fn: Any, args: tuple, kwargs: dict) -> Any:
    """Call standard function ``fn`` with arguments given in ``numpy_func``'s signature: the
    standard makes everything after the array argument(s) keyword-only."""
    try:
        params = inspect.signature(numpy_func).parameters
        bound = inspect.signature(numpy_func).bind(*args, **kwargs).arguments
    except (TypeError, ValueError):  # no introspectable signature: pass them as given
        return fn(*args, **kwargs)
    names = list(params)
    npos = max(1, sum(p.kind is p.POSITIONAL_ONLY for p in params.values()))
    pos = [bound.pop(n) for n in names[:npos] if n in bound]
    return fn(*pos, **bound)
