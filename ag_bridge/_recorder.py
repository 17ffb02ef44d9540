"""The functions of a recording namespace, one spec entry at a time.

:func:`recorder` turns the library's raw function of a differentiable entry
into one that records a node when recording is on and an input needs a
gradient (unary and binary functions get a fast path); :func:`passthrough`
turns a non-differentiable one into one that unwraps its inputs, calls the
library and wraps what comes back. Both refuse arrays of another library
and ``out=``. :mod:`ag_bridge._namespace` assembles the namespace from them.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from numpy import generic as _NUMPY_SCALAR

from ._array import Array, mixed_error, recorded, refuse_foreign, wrap
from ._node import Node, site
from ._registry import RULES, fast_rule, real_rule
from ._spec import Spec
from ._state import STATE
from .rules.elementwise import ANS_ONLY, NO_ANS, SAME_LAYOUT

__all__ = ["recorder", "passthrough", "rebuild"]

#: categories whose functions take foreign data on purpose (asarray converts it)
_CONVERTING = ("creation", "data_type", "inspection")
#: Python numbers: operands no library check is needed for
_NUMBERS = frozenset((bool, int, float, complex))


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


def _is_result(o: Any, backend: Any) -> bool:
    """An array of the backend, or a NumPy scalar standing for a 0-d one (sparse's
    ``unstack`` of a 1-d array returns those): :meth:`Backend.coerce` makes it one."""
    return backend.is_array(o) or isinstance(o, _NUMPY_SCALAR)


def _wrap_out(out: Any, backend: Any, node: Any = None) -> Any:
    if backend.is_array(out):
        return wrap(backend.coerce(out), backend, node)
    if isinstance(out, tuple):
        items = [(wrap(backend.coerce(o), backend, node, i)
                  if node is not None and backend.is_inexact(o.dtype) else wrap(backend.coerce(o), backend))
                 if _is_result(o, backend) else o for i, o in enumerate(out)]
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


def passthrough(spec: Spec, raw: Callable, backend: Any) -> Callable:
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


def recorder(spec: Spec, raw: Callable, backend: Any) -> Callable:
    op = spec.qualname
    rule = RULES.get(op)
    fast = backend.fast_vjps.get(op)
    if fast is not None and rule is not None and rule.fns is not None:
        rule = fast_rule(rule, fast)  # the plugin's kernel in plain backward passes
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
    consts = site(op, rule, backend, multi, listarg, names)
    # Calls whose result is real and whose arrays are too (checked below) record the rule
    # without conjugations (real_rule): cj() is the identity on real values. Of those, the
    # calls of a SAME_LAYOUT function on one array of the result's dtype (and Python numbers)
    # record it marked exact: their cotangents need no shape or dtype check.
    real = site(op, real_rule(rule), backend, multi, listarg, names)
    exact = site(op, real_rule(rule, True), backend, multi, listarg, names) \
        if op in SAME_LAYOUT else real

    def kind_of(dtype: Any) -> tuple:  # (dtype, inexact, real inexact): one backend call
        k = kinds.get(id(dtype))  # per dtype object (the entry keeps the dtype alive:
        if k is None:  # its id is not reused)
            v = inexact(dtype)
            k = (dtype, v, v and not backend.is_complex(dtype))
            if len(kinds) < 64:
                kinds[id(dtype)] = k
        last[0] = k
        return k

    last = [(None, False, False)]  # the last dtype's entry: most calls repeat it

    def finish(args: tuple, kwargs: dict, out: Any, parents: tuple) -> Any:
        if multi:
            out = rebuild(out, list(map(coerce, out)))
            return _wrap_out(out, backend, Node(op, rule, args, kwargs, out, parents, backend, True,
                                                      listarg, names))
        if lean is None or out.__class__ not in lean:
            out = coerce(out)
        if not kind_of(out.dtype)[1]:
            return wrap(out, backend)
        return recorded(out, backend, consts, args, kwargs, out if keep else None, parents)

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
        return finish(args, kwargs, out, tuple(parents))

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
            out = raw(data, *rest, **kwargs) if rest or kwargs else raw(data)  # (no packing)
            if node is None or not state()[0]:
                return wrap(coerce(out), backend) if backend.is_array(out) else _wrap_out(out, backend)
            if lean is None:
                out = coerce(out)
            elif out.__class__ not in lean:  # a NumPy scalar, or a foreign result
                out = coerce(out)
            dt = out.dtype
            k = last[0]
            if k[0] is not dt:
                k = kind_of(dt)
            if not k[1]:
                return wrap(out, backend)
            same = data.dtype  # (abs, real, norms: a real result of a complex input)
            same = same is dt or same == dt
            if ans_only and not rest and same:
                data = out  # the rule reads only ans: do not keep the input alive (ANS_ONLY)
            if rest or kwargs:
                return recorded(out, backend, real if same and k[2] else consts, (data, *rest),
                                kwargs, out if keep else None, ((0, node, x._oidx),))
            return recorded(out, backend, exact if same and k[2] else consts, (data,), kwargs,
                            out if keep else None, ((0, node, x._oidx),))
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
                parents = ((0, x1._node, x1._oidx),)
            x1 = x1._data
        elif check and x1.__class__ not in _NUMBERS:
            refuse_foreign(op, x1, backend)
        if x2.__class__ is Array:
            if x2._backend is not backend:
                raise mixed_error(op, x2._backend, backend)
            if x2._node is not None:
                if parents is None:
                    parents = ((1, x2._node, x2._oidx),)
                else:
                    parents = (parents[0], (1, x2._node, x2._oidx))
            x2 = x2._data
        elif check and x2.__class__ not in _NUMBERS:
            refuse_foreign(op, x2, backend)
        out = raw(x1, x2, **kwargs) if kwargs else raw(x1, x2)
        if parents is None or not state()[0]:
            return wrap(out if lean is not None and out.__class__ in lean else coerce(out), backend)
        if lean is None or out.__class__ not in lean:  # finish(), inline: no frame of its own
            out = coerce(out)
        dt = out.dtype
        k = last[0]
        if k[0] is not dt:
            k = kind_of(dt)
        if not k[1]:
            return wrap(out, backend)
        if k[2]:  # a real result of two arguments: both are real (promotion keeps complex)
            kind = real
            if exact is not real and not kwargs:  # an array of the result's dtype and a number
                a = x1 if x2.__class__ in _NUMBERS else x2 if x1.__class__ in _NUMBERS else None
                if a is not None and (a.dtype is dt or a.dtype == dt):
                    kind = exact
        else:
            kind = consts
        return recorded(out, backend, kind, (x1, x2), kwargs, out if keep else None, parents)

    return binary


_NO = object()  # binary(x1) called without x2: handed on to general() as it is
