"""Copying and pickling :class:`ag_bridge.Array` (docs/semantics.md, "Copying and pickling").

A copy or an unpickled array has the same values, dtype, device and backend. A
leaf (an array with ``attach_grad()``) stays a leaf with the same ``grad_req``
and its own gradient buffer holding the same values; a recorded result becomes a
constant: the graph is never copied or pickled. An unpickled array finds its
backend by name, so the backend must be installed where it is loaded.
"""

from __future__ import annotations

import pickle
from typing import Any

__all__ = ["copy_array", "reduce_array", "rebuild"]


def _leaf_state(x: Any, copy: Any) -> tuple | None:
    from ._node import Leaf

    node = x._node
    if type(node) is not Leaf:
        return None
    return node.grad_req, copy(node.grad._data)


def copy_array(x: Any, deep: bool) -> Any:
    """A copy of Array ``x``: data copied when ``deep`` (shared otherwise: Arrays never
    write to shared data), leaf status and a copied gradient buffer kept, graph dropped."""
    from ._array import wrap

    b = x._backend

    def clone(raw: Any) -> Any:
        return b.xp.asarray(raw, copy=True)

    out = wrap(clone(x._data) if deep else x._data, b)
    _restore(out, _leaf_state(x, clone))
    return out


def reduce_array(x: Any) -> tuple:
    """``Array.__reduce__``: rebuild from the backend's name, the raw array (pickled by its
    library) and the leaf state."""
    from ._select import load_backend

    b = x._backend
    try:
        registered = load_backend(b.name) is b
    except (ValueError, ImportError):
        registered = False
    if not registered:
        raise pickle.PicklingError(
            f"cannot pickle an ag_bridge Array of backend {b.name!r}: the backend is not "
            "registered under that name (entry-point group 'ag_bridge.backends'), so it "
            "could not be found when unpickling; pickle ag_bridge.unwrap(x) instead"
        )
    return rebuild, (b.name, x._data, _leaf_state(x, lambda raw: raw))


def rebuild(backend: str, raw: Any, leaf: tuple | None) -> Any:
    """An Array from what :func:`reduce_array` saved."""
    from ._array import wrap
    from ._select import load_backend

    b = load_backend(backend)
    out = wrap(b.coerce(raw), b)
    _restore(out, leaf)
    return out


def _restore(x: Any, leaf: tuple | None) -> None:
    """Make ``x`` a leaf with ``grad_req`` and a buffer holding ``grad`` (``leaf``)."""
    if leaf is None:
        return
    from ._array import wrap
    from ._node import Leaf

    grad_req, grad = leaf
    x._node, x._oidx = Leaf(wrap(grad, x._backend), grad_req, x._backend), -1
