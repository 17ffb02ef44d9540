"""The functional API: ``grad``, ``value_and_grad``, ``vjp``, ``jvp``, ``jacobian``, ``hessian``.

Transforms of Python functions written against any array API namespace, as in
JAX and ``torch.func``, for ag_bridge Arrays of every backend. Arguments that
are differentiated may also be raw backend arrays or Python data (they are
wrapped with :func:`ag_bridge.asarray`); results are ag_bridge Arrays
(:func:`ag_bridge.unwrap` gives the backend's array).

* No ``.grad`` buffer is touched: each call differentiates with respect to a
  fresh leaf that shares the argument's data, never the caller's array.
* Transforms compose (``hessian = jacobian(grad(f))``): called while
  recording is on (inside ``autograd.record()`` or inside another transform)
  a transform stays connected to the caller's graph through a recorded
  identity and returns recorded results (``create_graph=True``), so they can
  be differentiated again. Called outside ``record()`` it returns plain values.
* ``f`` runs in the caller's training mode (``autograd.is_training()``).
* Complex inputs follow PyTorch's conjugate-Wirtinger convention (see
  docs/semantics.md); ``jacobian``/``hessian`` take real inputs and outputs only.

>>> import ag_bridge
>>> xp = ag_bridge.namespace("numpy")
>>> f = lambda x: xp.sum(x ** 3)
>>> ag_bridge.grad(f)(ag_bridge.asarray([1.0, 2.0]))
array([ 3., 12.], dtype=float64)
"""

from __future__ import annotations

import functools
from collections.abc import Callable, Sequence
from typing import Any

from . import _autograd_core as _core
from . import autograd
from ._api import asarray
from ._array import Array

__all__ = ["grad", "value_and_grad", "vjp", "jvp", "jacobian", "hessian"]


# ------------------------------------------------------------------ helpers
def _argnums(argnums: int | Sequence[int], nargs: int, who: str) -> tuple[int, ...]:
    nums = (argnums,) if isinstance(argnums, int) else tuple(argnums)
    for i in nums:
        if not -nargs <= i < nargs:
            raise ValueError(f"{who}: argnums {argnums!r} but the function was called with "
                             f"{nargs} positional argument(s)")
    nums = tuple(i % nargs for i in nums)
    if len(set(nums)) != len(nums):
        raise ValueError(f"{who}: argnums {argnums!r} names an argument twice")
    return nums


def _leaf(x: Any, nested: bool, who: str, i: int) -> Array:
    """A differentiable stand-in for argument ``i`` (never the caller's Array itself)."""
    a = asarray(x)
    if nested and a._node is not None:
        # a recorded identity: gradients w.r.t. it stay connected to the outer graph
        return a._backend.namespace.positive(a)
    leaf = a.detach()
    try:
        _core.attach_grad(leaf)
    except TypeError:
        raise TypeError(f"{who}: argument {i} has dtype {a.dtype}; only floating and complex "
                        "arguments can be differentiated: convert it (e.g. x.astype('float64')) "
                        "or leave it out of argnums") from None
    return leaf


def _trace(f: Callable, args: tuple, kwargs: dict, nums: tuple, nested: bool, who: str) -> tuple:
    """Run ``f`` recorded, with fresh leaves at ``nums``; return (output, leaves)."""
    args = list(args)
    leaves = []
    for i in nums:
        args[i] = _leaf(args[i], nested, who, i)
        leaves.append(args[i])
    with autograd.record(train_mode=autograd.is_training()):
        out = f(*args, **kwargs)
    return out, leaves


def _outputs(out: Any) -> tuple[list[Array], bool]:
    """``f``'s output as a list of Arrays, and whether it was a single array."""
    if isinstance(out, (tuple, list)):
        return [o if isinstance(o, Array) else asarray(o) for o in out], False
    return [out if isinstance(out, Array) else asarray(out)], True


def _split_aux(out: Any, has_aux: bool, who: str) -> tuple[Any, Any]:
    if not has_aux:
        return out, None
    if not (isinstance(out, (tuple, list)) and len(out) == 2):
        raise TypeError(f"{who}: with has_aux=True the function must return a pair (output, aux)")
    return out[0], out[1]


def _zeros(a: Array) -> Array:
    return a._backend.namespace.zeros_like(a)


def _grads(heads: list, leaves: list, hgs: list | None, retain: bool, create: bool) -> list:
    """autograd.grad that also accepts heads which do not depend on the leaves."""
    live = [k for k, h in enumerate(heads) if h._node is not None]
    if not live:
        return [_zeros(v) for v in leaves]
    return autograd.grad([heads[k] for k in live], leaves,
                         None if hgs is None else [hgs[k] for k in live],
                         retain_graph=retain, create_graph=create)


def _plain(a: Array, nested: bool) -> Array:
    return a if nested else a.detach()


def _pack(items: list, single: bool) -> Any:
    return items[0] if single else tuple(items)


# ------------------------------------------------------------------ transforms
def value_and_grad(f: Callable, argnums: int | Sequence[int] = 0, has_aux: bool = False) -> Callable:
    """A function returning ``(f(*args), gradient of f w.r.t. args[argnums])``.

    ``f`` must return a real array with one element. ``argnums`` an int gives
    one gradient, a tuple gives a tuple of gradients. With ``has_aux=True``
    ``f`` returns ``(value, aux)`` and the result is ``((value, aux), grads)``.

    >>> import ag_bridge
    >>> xp = ag_bridge.namespace("numpy")
    >>> f = lambda w, x: xp.sum((w * x) ** 2)
    >>> v, (gw, gx) = ag_bridge.value_and_grad(f, argnums=(0, 1))(
    ...     ag_bridge.asarray([1.0, 2.0]), ag_bridge.asarray([3.0, 1.0]))
    >>> v
    array(13., dtype=float64)
    >>> gw, gx                       # 2 w x^2, 2 x w^2
    (array([18.,  4.], dtype=float64), array([6., 8.], dtype=float64))
    """
    who = "value_and_grad()"

    @functools.wraps(f)
    def value_and_grad_f(*args: Any, **kwargs: Any) -> tuple:
        nested = autograd.is_recording()
        nums = _argnums(argnums, len(args), who)
        out, leaves = _trace(f, args, kwargs, nums, nested, who)
        out, aux = _split_aux(out, has_aux, who)
        y = out if isinstance(out, Array) else asarray(out)
        if y.size != 1:
            raise ValueError(f"{who}: the function must return a scalar (one element), got shape "
                             f"{y.shape}; use vjp() or jacobian() for non-scalar outputs")
        if y._backend.is_complex(y.dtype):
            raise TypeError(f"{who}: the function returned a complex value; differentiate a real "
                            "scalar (e.g. its real part or abs), or use vjp()")
        gs = _grads([y], leaves, None, nested, nested)
        grads = gs[0] if isinstance(argnums, int) else tuple(gs)
        value = _plain(y, nested)
        return ((value, aux) if has_aux else value), grads

    return value_and_grad_f


def grad(f: Callable, argnums: int | Sequence[int] = 0, has_aux: bool = False) -> Callable:
    """A function returning the gradient of the scalar ``f`` w.r.t. ``args[argnums]``.

    Gradients have their argument's shape and dtype; complex arguments get
    PyTorch's conjugate-Wirtinger gradient (dL/dRe + i dL/dIm). With
    ``has_aux=True`` it returns ``(grads, aux)``.

    >>> import ag_bridge
    >>> xp = ag_bridge.namespace("numpy")
    >>> df = ag_bridge.grad(lambda x: xp.sum(xp.sin(x)))
    >>> df(ag_bridge.asarray([0.0, 3.141592653589793]))     # cos(x)
    array([ 1., -1.], dtype=float64)
    >>> ag_bridge.grad(ag_bridge.grad(lambda x: x ** 3))(2.0)   # 6 x
    array(12., dtype=float64)
    """
    vg = value_and_grad(f, argnums, has_aux)

    @functools.wraps(f)
    def grad_f(*args: Any, **kwargs: Any) -> Any:
        value, grads = vg(*args, **kwargs)
        return (grads, value[1]) if has_aux else grads

    return grad_f


def vjp(f: Callable, *primals: Any, has_aux: bool = False) -> tuple:
    """``(f(*primals), vjp_fn)``: ``vjp_fn(cotangent)`` pulls a cotangent back to the primals.

    ``cotangent`` has the structure of ``f``'s output (an array, or a tuple of
    arrays, None for zero); ``vjp_fn`` returns a tuple with one cotangent per
    primal and may be called many times (the graph is kept while ``vjp_fn``
    lives). Called while recording, its results are recorded (differentiable,
    also w.r.t. the cotangent). With ``has_aux=True`` it returns
    ``(out, vjp_fn, aux)``.

    >>> import ag_bridge
    >>> xp = ag_bridge.namespace("numpy")
    >>> out, vjp_fn = ag_bridge.vjp(lambda x: x * x, ag_bridge.asarray([1.0, 2.0, 3.0]))
    >>> out
    array([1., 4., 9.], dtype=float64)
    >>> vjp_fn(ag_bridge.asarray([1.0, 0.0, 10.0]))      # cotangent * 2x
    (array([ 2.,  0., 60.], dtype=float64),)
    """
    return _vjp(f, primals, has_aux, autograd.is_recording(), "vjp()")


def _vjp(f: Callable, primals: tuple, has_aux: bool, nested: bool, who: str) -> tuple:
    out, leaves = _trace(f, primals, {}, tuple(range(len(primals))), nested, who)
    out, aux = _split_aux(out, has_aux, who)
    outs, single = _outputs(out)

    def vjp_fn(cotangent: Any) -> tuple:
        cts = [cotangent] if single else list(cotangent)
        if len(cts) != len(outs):
            raise ValueError(f"vjp_fn(): got {len(cts)} cotangents for {len(outs)} outputs")
        keep = [k for k, c in enumerate(cts) if c is not None]
        heads = [outs[k] for k in keep]
        create = autograd.is_recording()
        return tuple(_grads(heads, leaves, [cts[k] for k in keep], True, create))

    res = _pack([_plain(o, nested) for o in outs], single)
    return (res, vjp_fn, aux) if has_aux else (res, vjp_fn)


def jvp(f: Callable, primals: Sequence[Any], tangents: Sequence[Any]) -> tuple:
    """``(f(*primals), J t)``: the Jacobian-vector product of ``f`` at ``primals`` with ``tangents``.

    There are no forward-mode rules: this uses the *double-VJP trick*. The VJP
    ``u -> J^T u`` is linear in the cotangent ``u``, so differentiating it
    (``create_graph=True``) with respect to a dummy ``u``, with ``t`` as the
    cotangent, gives ``(J^T)^T t = J t``. The cost is a forward and about two
    reverse passes; under the conjugate-Wirtinger convention the VJP is the
    adjoint for Re<a, b>, so the trick holds for complex (even non-holomorphic)
    functions too. ``tangents`` match the primals' shapes; the result has the
    structure of ``f``'s output.

    >>> import ag_bridge
    >>> xp = ag_bridge.namespace("numpy")
    >>> f = lambda x, y: x * xp.sin(y)
    >>> out, tan = ag_bridge.jvp(f, (ag_bridge.asarray([2.0]), ag_bridge.asarray([0.0])),
    ...                          (ag_bridge.asarray([1.0]), ag_bridge.asarray([1.0])))
    >>> tan                          # sin(y) * 1 + x cos(y) * 1
    array([2.], dtype=float64)
    """
    primals, tangents = tuple(primals), tuple(tangents)
    if len(primals) != len(tangents):
        raise ValueError(f"jvp(): {len(primals)} primals but {len(tangents)} tangents")
    nested = autograd.is_recording()
    with autograd.record(train_mode=autograd.is_training()):
        out, vjp_fn = _vjp(f, primals, False, nested, "jvp()")
        outs, single = _outputs(out)
        dummies = []
        for o in outs:  # the dummy cotangents u (their values do not matter)
            u = _zeros(o)
            if o._backend.is_inexact(o.dtype):
                _core.attach_grad(u)
            dummies.append(u)
        xbars = vjp_fn(_pack(dummies, single))
    live = [k for k, xb in enumerate(xbars) if xb._node is not None]
    vars_ = [u for u in dummies if u._node is not None]
    touts = iter(_grads([xbars[k] for k in live], vars_, [tangents[k] for k in live], nested, nested))
    res = [next(touts) if u._node is not None else _zeros(u) for u in dummies]
    return _pack(outs, single), _pack(res, single)


def jacobian(f: Callable, argnums: int | Sequence[int] = 0) -> Callable:
    """A function returning the Jacobian of ``f`` w.r.t. ``args[argnums]``, one row per VJP.

    The Jacobian of an output of shape ``S`` w.r.t. an argument of shape
    ``A`` has shape ``S + A`` (as ``jax.jacrev`` and ``torch.func.jacrev``).
    A tuple ``argnums`` gives a tuple over arguments; a tuple output gives a
    tuple over outputs (of tuples over arguments). Real inputs and outputs
    only (as ``torch.func.jacrev``); use ``vjp``/``jvp`` for complex ones.

    >>> import ag_bridge
    >>> xp = ag_bridge.namespace("numpy")
    >>> ag_bridge.jacobian(lambda x: x[:2] * x[1:])(ag_bridge.asarray([1.0, 2.0, 3.0]))
    array([[2., 1., 0.],
           [0., 3., 2.]], dtype=float64)
    """
    who = "jacobian()"

    @functools.wraps(f)
    def jacobian_f(*args: Any, **kwargs: Any) -> Any:
        nested = autograd.is_recording()
        nums = _argnums(argnums, len(args), who)
        out, leaves = _trace(f, args, kwargs, nums, nested, who)
        outs, single = _outputs(out)
        for a in leaves + outs:
            if a._backend.is_complex(a.dtype):
                raise TypeError(f"{who}: complex inputs or outputs are not supported (as in "
                                "torch.func.jacrev); use vjp() or jvp(), or split real and imaginary parts")
        per_out = [_jac_rows(o, leaves, nested) for o in outs]
        per_out = [js[0] if isinstance(argnums, int) else tuple(js) for js in per_out]
        return _pack(per_out, single)

    return jacobian_f


def _jac_rows(o: Array, leaves: list, nested: bool) -> list:
    xp = o._backend.namespace
    n = o.size
    if o._node is None or n == 0:
        return [xp.zeros(o.shape + v.shape, dtype=v.dtype, device=v.device) for v in leaves]
    ids = xp.reshape(xp.arange(n, device=o.device), o.shape)
    rows: list = [[] for _ in leaves]
    for i in range(n):
        onehot = xp.astype(ids == i, o.dtype)
        gs = autograd.grad([o], leaves, [onehot], retain_graph=True, create_graph=nested)
        for r, g in zip(rows, gs, strict=True):
            r.append(g)
    return [xp.reshape(xp.stack(r, axis=0), o.shape + v.shape) for r, v in zip(rows, leaves, strict=True)]


def hessian(f: Callable, argnums: int | Sequence[int] = 0) -> Callable:
    """A function returning the Hessian of the scalar ``f``: ``jacobian(grad(f))``.

    For an argument of shape ``A`` the Hessian has shape ``A + A``; a tuple
    ``argnums`` gives the nested tuple ``H[i][j]`` (as ``jax.hessian``). The
    inner gradient is recorded (``create_graph``), the outer Jacobian takes one
    reverse pass per element of the gradient. For a Hessian-vector product use
    ``jvp(grad(f), (x,), (v,))`` (one pass instead of ``x.size``).

    >>> import ag_bridge
    >>> xp = ag_bridge.namespace("numpy")
    >>> f = lambda x: x[0] ** 2 * x[1] + xp.sum(x ** 3)
    >>> ag_bridge.hessian(f)(ag_bridge.asarray([1.0, 2.0]))   # [[2 x1 + 6 x0, 2 x0], [2 x0, 6 x1]]
    array([[10.,  2.],
           [ 2., 12.]], dtype=float64)
    """
    return functools.wraps(f)(jacobian(grad(f, argnums), argnums))
