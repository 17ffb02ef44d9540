"""Marking leaves and running backward: what the front doors call."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from ._array import Array, wrap
from ._backward import run_backward
from ._node import Leaf
from ._state import STATE

__all__ = ["attach_grad", "backward", "grad"]

_REQS = ("write", "add", "null")


def attach_grad(x: Array, grad_req: str = "write") -> None:
    """Give ``x`` a fresh zero gradient buffer and make it a leaf (see Array.attach_grad)."""
    if grad_req not in _REQS:
        raise ValueError(f"attach_grad(): grad_req must be one of {_REQS}, not {grad_req!r}")
    b = x._backend
    if not b.is_inexact(x._data.dtype):
        raise TypeError(
            f"attach_grad(): only floating and complex arrays can have gradients, "
            f"this one has dtype {x._data.dtype} on backend '{b.name}'; "
            "convert it first, e.g. x = x.astype('float32')"
        )
    if grad_req == "null":
        x._node, x._oidx = None, -1
        return
    holder = wrap(b.zeros_like(x._data), b)
    x._node, x._oidx = Leaf(holder, grad_req, b), -1


def _seeds(heads: Sequence[Array], head_grads: Sequence[Any] | None, create: bool, who: str) -> list:
    seeds = []
    if head_grads is not None and len(head_grads) != len(heads):
        raise ValueError(f"{who}: got {len(heads)} heads but {len(head_grads)} head gradients")
    for i, h in enumerate(heads):
        if not isinstance(h, Array):
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
            if isinstance(hg, Array):
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


def _apply(leaves: list) -> None:
    """Write the collected cotangents into the leaves' buffers (after success)."""
    for leaf, g in leaves:
        holder = leaf.grad
        if isinstance(g, Array):
            g = g._data
        if leaf.grad_req == "add":
            holder._data = leaf.backend.add_into(holder._data, g)
        else:
            holder._data = leaf.backend.write_into(holder._data, g)


def backward(heads: Sequence[Array], head_grads: Sequence[Any] | None = None,
             retain_graph: bool = False, train_mode: bool = True) -> None:
    """Backpropagate from ``heads`` into every reachable leaf's ``.grad``."""
    seeds = _seeds(heads, head_grads, False, "backward()")
    old = STATE.get()
    STATE.set((old[0], bool(train_mode)))
    try:
        leaves, _ = run_backward(seeds, retain_graph, False)
    finally:
        STATE.set(old)
    _apply(leaves)


def grad(heads: Sequence[Array], variables: Sequence[Array], head_grads: Sequence[Any] | None = None,
         retain_graph: bool | None = None, create_graph: bool = False,
         train_mode: bool = True) -> list[Array]:
    """Gradients of ``heads`` with respect to ``variables``; no ``.grad`` is touched."""
    if retain_graph is None:
        retain_graph = create_graph
    targets = {}
    for i, v in enumerate(variables):
        if not isinstance(v, Array) or v._node is None:
            raise RuntimeError(
                f"grad(): variable {i} is not part of a graph; call attach_grad() on it "
                "before computing the heads inside autograd.record()"
            )
        if v._node.multi:
            raise NotImplementedError("grad(): variables that are one output of a multi-output op "
                                      "are not supported; pass the op's input instead")
        targets[v._node] = i
    seeds = _seeds(heads, head_grads, create_graph, "grad()")
    old = STATE.get()
    STATE.set((old[0], bool(train_mode)))
    try:
        _, found = run_backward(seeds, retain_graph, create_graph, targets)
    finally:
        STATE.set(old)
    out = []
    for i, v in enumerate(variables):
        g = found.get(i)
        b = v._backend
        if g is None:
            out.append(wrap(b.zeros_like(v._data), b))
        elif isinstance(g, Array):
            out.append(g if create_graph else wrap(g._data, b))
        else:
            out.append(wrap(g, b))
    return out
