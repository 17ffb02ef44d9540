"""Graph nodes: one per recorded operation, one per array marked for gradients."""

from __future__ import annotations

from itertools import count
from typing import Any

__all__ = ["Node", "Leaf", "GRAPH_FREED", "site"]

# Creation order is a topological order of the graph: a node's parents always
# exist before it. The backward sweep sorts by this number.
_SEQ = count()

#: the keyword arguments of a call that had none (rules only unpack it, never write it)
_NO_KWARGS: dict = {}

GRAPH_FREED = (
    "the graph behind this {what} was already freed by an earlier backward pass; "
    "call backward(retain_graph=True) the first time to backpropagate through it twice"
)


class Node:
    """A recorded call: the rule to pull cotangents back and what it needs.

    ``args``/``kwargs`` are the call's arguments with arrays replaced by the
    backend's raw arrays, ``ans`` the raw output (a tuple for multi-output
    ops), ``parents`` a tuple of ``(slot, parent_node, parent_output_index)``
    for the array arguments that need gradients. ``args`` is set to None once
    a backward pass has consumed the node (unless the graph is retained).

    Every recorded node is of this one class, with every field on the instance:
    the sweep reads the same attributes of every node, and CPython's attribute
    caches stay hit only where a read site sees one class (one class per recording
    function made each read in the sweep a cache miss).
    """

    __slots__ = ("seq", "op", "rule", "args", "kwargs", "ans", "parents", "backend", "multi", "listarg",
                 "arrays")

    def __init__(self, op: str, rule: Any, args: tuple, kwargs: dict, ans: Any,
                 parents: tuple, backend: Any, multi: bool, listarg: bool = False,
                 arrays: tuple = ()) -> None:
        self.seq = next(_SEQ)
        self.op = op
        self.rule = rule
        self.args = args
        self.kwargs = kwargs or _NO_KWARGS  # one shared empty dict: most calls have none
        self.ans = ans
        self.parents = parents
        self.backend = backend
        self.multi = multi
        self.listarg = listarg
        self.arrays = arrays  # names of the array parameters (an array passed by keyword)

    def input(self, slot: int) -> Any:
        """The raw array passed as array argument ``slot`` (positional, in the list, or
        by keyword)."""
        if self.listarg:
            return self.args[0][slot]
        if slot < len(self.args):
            return self.args[slot]
        return self.kwargs[self.arrays[slot]]

    def free(self) -> None:
        """Drop the saved values (after the backward pass consumed them)."""
        self.args = self.kwargs = self.ans = None

    def __repr__(self) -> str:
        return f"<ag_bridge node {self.op} #{self.seq}>"


def site(op: str, rule: Any, backend: Any, multi: bool, listarg: bool = False,
         arrays: tuple = ()) -> tuple:
    """The constants of one recording function, ``(op, rule, backend, multi, listarg,
    arrays)``, made once; :func:`ag_bridge._array.recorded` copies them into each node it makes."""
    return (op, rule, backend, multi, listarg, arrays)


class Leaf:
    """An array marked with ``attach_grad``: owns the gradient buffer.

    ``grad`` is the :class:`~ag_bridge.Array` holding the live buffer; the
    backward pass writes (``'write'``) or adds (``'add'``) into it.
    """

    __slots__ = ("seq", "grad", "grad_req", "backend")
    parents = ()
    op = "leaf"
    multi = False
    listarg = False

    def __init__(self, grad: Any, grad_req: str, backend: Any) -> None:
        self.seq = next(_SEQ)
        self.grad = grad
        self.grad_req = grad_req
        self.backend = backend

    def __repr__(self) -> str:
        return f"<ag_bridge leaf grad_req={self.grad_req!r} #{self.seq}>"
