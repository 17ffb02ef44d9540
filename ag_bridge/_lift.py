"""Recording the backward pass (``create_graph=True``): a node's saved raw values as
Arrays linked to the graph, so a rule's own operations are recorded."""

from __future__ import annotations

from typing import Any

from ._array import wrap
from ._recorder import rebuild

__all__ = ["lift"]


def lift(node: Any, g: Any) -> tuple:
    """``(xp, g, ans, args)`` for the rule of ``node``: the recording namespace, and the
    cotangent, outputs and array arguments as Arrays (arguments linked to their parents)."""
    b = node.backend
    if node.multi:
        g = tuple(c if not b.is_array(c) else wrap(c, b, None, -1) for c in g)
        ans = rebuild(node.ans, [wrap(a, b, node, i) for i, a in enumerate(node.ans)])
    else:
        ans = wrap(node.ans, b, node, -1)
    links = {slot: (p, k) for slot, p, k in node.parents}

    def one(slot: int, raw: Any) -> Any:
        if not b.is_array(raw):
            return raw
        p, k = links.get(slot, (None, -1))
        return wrap(raw, b, p, k)

    if node.listarg:
        args = (tuple(one(i, a) for i, a in enumerate(node.args[0])),) + node.args[1:]
    else:
        args = tuple(one(i, a) for i, a in enumerate(node.args))
    return b.namespace, g, ans, args
