"""Marking leaves and running backward: what the front doors call (``grad`` here; the
sweep in :mod:`ag_bridge._backward`, heads and leaf buffers in :mod:`ag_bridge._heads`)."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from ._array import Array, attach_grad, wrap
from ._backward import run_backward
from ._heads import backward, seeds
from ._lift import lift
from ._state import STATE

__all__ = ["attach_grad", "backward", "grad"]


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
    sds = seeds(heads, head_grads, "grad()", wrap if create_graph else None)
    old = STATE.get()
    STATE.set((old[0], bool(train_mode)))
    try:
        _, found = run_backward(sds, retain_graph, create_graph, targets, lift)
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
