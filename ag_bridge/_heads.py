"""Heads and leaves of a backward pass: seeding the sweep from the heads' cotangents and
writing the leaves' gradient buffers once it succeeded. Arrays are recognised by their
engine slots, so this module (and the sweep under it) never imports the Array type."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from ._backward import run_backward
from ._state import STATE

__all__ = ["backward", "seeds", "is_array"]


def is_array(x: Any) -> bool:
    """Whether ``x`` is an :class:`ag_bridge.Array` (it has the engine's slots)."""
    return hasattr(x, "_node") and hasattr(x, "_backend") and hasattr(x, "_oidx")


def seeds(heads: Sequence[Any], head_grads: Sequence[Any] | None, who: str, wrap: Any = None) -> list:
    """``[(node, output index, cotangent)]`` of ``heads``; cotangents wrapped with ``wrap``
    (``create_graph``) when given."""
    create = wrap is not None
    seeds = []
    if head_grads is not None and len(head_grads) != len(heads):
        raise ValueError(f"{who}: got {len(heads)} heads but {len(head_grads)} head gradients")
    for i, h in enumerate(heads):
        if not is_array(h):
            raise TypeError(f"{who}: head {i} is a {type(h).__name__}, not an ag_bridge.Array")
        if h._node is None:
            raise RuntimeError(
                f"{who}: head {i} was not computed from arrays with attach_grad() inside "
                "autograd.record(); mark the inputs with x.attach_grad() and compute the "
                "head inside `with autograd.record():`"
            )
        b = h._backend
        hg = None if head_grads is None else head_grads[i]
        if hg is None:
            g = b.xp.ones_like(h._data)
        else:
            gnode = None
            if is_array(hg):
                if hg._backend is not b:
                    raise TypeError(f"{who}: head gradient {i} is on backend '{hg._backend.name}', "
                                    f"its head on '{b.name}'")
                gnode, g = hg._node, hg._data
            else:
                g = b.xp.asarray(hg, dtype=h._data.dtype, device=b.device(h._data))
            if tuple(g.shape) != tuple(h._data.shape):
                raise ValueError(
                    f"{who}: head gradient {i} has shape {tuple(g.shape)} but its head has shape "
                    f"{tuple(h._data.shape)}; pass an array of the head's shape (or None for ones)"
                )
            if g.dtype != h._data.dtype:
                g = b.xp.astype(g, h._data.dtype)
            if create:
                g = wrap(g, b, gnode)
                seeds.append((h._node, h._oidx, g))
                continue
        if create:
            g = wrap(g, b)
        seeds.append((h._node, h._oidx, g))
    return seeds


def apply(leaves: list) -> None:
    """Write the collected cotangents into the leaves' buffers (after success).

    ``leaves`` is emptied as it goes, so the local ``g`` is the sweep's last reference
    to each cotangent: a backend may then adopt its memory (see
    :meth:`~ag_bridge.Backend.write_into`)."""
    while leaves:
        leaf, g = leaves.pop()
        holder = leaf.grad
        if is_array(g):
            g = g._data
        if leaf.grad_req == "add":
            holder._data = leaf.backend.add_into(holder._data, g)
        else:
            holder._data = leaf.backend.write_into(holder._data, g)
        del g


def backward(heads: Sequence[Any], head_grads: Sequence[Any] | None = None,
             retain_graph: bool = False, train_mode: bool = True) -> None:
    """Backpropagate from ``heads`` into every reachable leaf's ``.grad``."""
    sds = seeds(heads, head_grads, "backward()")
    old = STATE.get()
    STATE.set((old[0], bool(train_mode)))
    try:
        leaves, _ = run_backward(sds, retain_graph, False)
    finally:
        STATE.set(old)
    apply(leaves)
