"""MXNet's autograd API over any array-API backend.

>>> from ag_bridge import autograd, np
>>> x = np.array([1.0, 2.0, 3.0])
>>> x.attach_grad()
>>> with autograd.record():
...     y = x * x
>>> y.backward()
>>> x.grad
array([2., 4., 6.])
"""

from __future__ import annotations

import functools
from collections.abc import Sequence
from typing import Any

from . import _autograd_core as _core
from ._array import Array, wrap
from ._node import Node
from ._state import STATE, is_recording, is_training, set_state

__all__ = [
    "record", "pause", "train_mode", "predict_mode", "is_recording", "is_training",
    "set_recording", "set_training", "backward", "grad", "mark_variables", "Function",
]


class _scope:
    """Set the recording and training flags for a ``with`` block (None: unchanged) and
    restore them on exit. A class rather than a generator: entered every training step."""

    __slots__ = ("_state", "_token")

    def __init__(self, recording: bool | None, training: bool | None) -> None:
        self._state = (recording, training)
        self._token = None

    def __enter__(self) -> None:
        recording, training = self._state
        old = STATE.get()
        self._token = STATE.set((old[0] if recording is None else recording,
                                 old[1] if training is None else training))

    def __exit__(self, *exc: Any) -> None:
        STATE.reset(self._token)

    def __call__(self, fn: Any) -> Any:
        """Use as a decorator: each call of ``fn`` runs inside a fresh block."""
        state = self._state

        @functools.wraps(fn)
        def inner(*args: Any, **kwargs: Any) -> Any:
            with _scope(*state):
                return fn(*args, **kwargs)
        return inner


def record(train_mode: bool = True):
    """Record operations on arrays that need gradients inside this block.

    ``train_mode`` also sets :func:`is_training` for the block (dropout and
    batch norm behave as in training).
    """
    return _scope(True, train_mode)


def pause(train_mode: bool = False):
    """Suspend recording inside this block (``train_mode`` sets is_training)."""
    return _scope(False, train_mode)


def train_mode():
    """Set is_training() to True inside this block (recording unchanged)."""
    return _scope(None, True)


def predict_mode():
    """Set is_training() to False inside this block (recording unchanged)."""
    return _scope(None, False)


def set_recording(is_recording: bool) -> bool:  # noqa: A002 - MXNet's name
    """Turn recording on or off for this context; return the previous value."""
    return set_state(recording=is_recording)[0]


def set_training(train_mode: bool) -> bool:
    """Turn training mode on or off for this context; return the previous value."""
    return set_state(training=train_mode)[1]


def _as_list(x: Any) -> list:
    return list(x) if isinstance(x, (list, tuple)) else [x]


def backward(heads: Array | Sequence[Array], head_grads: Any = None, retain_graph: bool = False,
             train_mode: bool = True) -> None:
    """Backpropagate from ``heads`` into the ``.grad`` of every marked array.

    Non-scalar heads use a head gradient of ones; ``head_grads`` (one per
    head, None for ones) must match each head's shape.
    """
    heads = _as_list(heads)
    hg = None if head_grads is None else _as_list(head_grads)
    _core.backward(heads, hg, retain_graph, train_mode)


def grad(heads: Array | Sequence[Array], variables: Array | Sequence[Array], head_grads: Any = None,
         retain_graph: bool | None = None, create_graph: bool = False,
         train_mode: bool = True) -> list[Array]:
    """Gradients of ``heads`` with respect to ``variables``, without touching ``.grad``.

    With ``create_graph=True`` the returned gradients are themselves recorded
    (call inside ``record()``) so they can be differentiated again.

    >>> from ag_bridge import autograd, np
    >>> x = np.array([1.0, 2.0]); x.attach_grad()
    >>> with autograd.record():
    ...     y = (x ** 3).sum()
    ...     [dx] = autograd.grad(y, [x], create_graph=True)
    ...     z = dx.sum()
    >>> z.backward()
    >>> x.grad                      # d/dx sum(3 x^2) = 6 x
    array([ 6., 12.])
    """
    single = not isinstance(variables, (list, tuple))
    hg = None if head_grads is None else _as_list(head_grads)
    out = _core.grad(_as_list(heads), _as_list(variables), hg, retain_graph, create_graph, train_mode)
    del single  # MXNet always returns a list
    return out


def mark_variables(variables: Array | Sequence[Array], gradients: Array | Sequence[Array],
                   grad_reqs: str | Sequence[str] = "write") -> None:
    """Mark arrays as leaves whose gradients go into the given buffers."""
    variables, gradients = _as_list(variables), _as_list(gradients)
    reqs = [grad_reqs] * len(variables) if isinstance(grad_reqs, str) else list(grad_reqs)
    if not (len(variables) == len(gradients) == len(reqs)):
        raise ValueError("mark_variables(): variables, gradients and grad_reqs must have the same length")
    for v, g, r in zip(variables, gradients, reqs):
        _core.attach_grad(v, r)
        if r != "null":
            if tuple(g.shape) != tuple(v.shape):
                raise ValueError(f"mark_variables(): gradient buffer of shape {tuple(g.shape)} "
                                 f"for a variable of shape {tuple(v.shape)}")
            v._node.grad = g


class Function:
    """A user-defined differentiable function (MXNet's ``autograd.Function``).

    Subclass it and define ``forward(self, *inputs)`` and
    ``backward(self, *output_grads)`` on ag_bridge arrays; call
    ``save_for_backward`` in ``forward`` to keep values for ``backward``
    (available as ``self.saved_tensors``).

    >>> from ag_bridge import autograd, np
    >>> class Sigmoid(autograd.Function):
    ...     def forward(self, x):
    ...         y = 1 / (1 + np.exp(-x))
    ...         self.save_for_backward(y)
    ...         return y
    ...     def backward(self, dy):
    ...         y, = self.saved_tensors
    ...         return dy * y * (1 - y)
    >>> x = np.array([0.0]); x.attach_grad()
    >>> with autograd.record():
    ...     y = Sigmoid()(x)
    >>> y.backward()
    >>> x.grad
    array([0.25])
    """

    def __init__(self) -> None:
        self.saved_tensors: tuple = ()

    def save_for_backward(self, *args: Any) -> None:
        """Keep values for ``backward``."""
        self.saved_tensors = args

    def forward(self, *inputs: Any) -> Any:
        """Compute the outputs (override)."""
        raise NotImplementedError("subclasses of autograd.Function define forward()")

    def backward(self, *output_grads: Any) -> Any:
        """Return the input gradients given the output gradients (override)."""
        raise NotImplementedError("subclasses of autograd.Function define backward()")

    def __call__(self, *inputs: Array) -> Any:
        with pause(train_mode=is_training()):
            outputs = self.forward(*inputs)
        single = not isinstance(outputs, (list, tuple))
        outs = [outputs] if single else list(outputs)
        parents = tuple((i, x._node, x._oidx) for i, x in enumerate(inputs)
                        if isinstance(x, Array) and x._node is not None)
        if not parents or not is_recording():
            return outputs
        b = outs[0]._backend
        node = Node(f"Function:{type(self).__name__}", _FunctionRule(self, single),
                    tuple(x._data if isinstance(x, Array) else x for x in inputs), {},
                    tuple(o._data for o in outs), parents, b, True)
        wrapped = [wrap(o._data, b, node, i) for i, o in enumerate(outs)]
        return wrapped[0] if single else wrapped


class _FunctionRule:
    """Adapts ``Function.backward`` to the engine's joint-rule protocol."""

    __slots__ = ("fn", "single", "fns", "joint")
    portable = None  # as a registered Rule's: no backend kernel stands in for it

    def __init__(self, fn: Function, single: bool) -> None:
        self.fn, self.single, self.fns = fn, single, None
        self.joint = self._joint

    def _joint(self, xp: Any, g: Any, ans: Any, *args: Any) -> tuple:
        b = self.fn
        gs = [x if isinstance(x, Array) else wrap(x, _backend_of(x, args)) for x in g]
        with pause():
            res = b.backward(*gs)
        res = res if isinstance(res, (list, tuple)) else (res,)
        return tuple(r._data if isinstance(r, Array) else r for r in res)


def _backend_of(x: Any, args: tuple) -> Any:
    from ._select import backend_of

    return backend_of(x)
