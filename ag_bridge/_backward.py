"""The backward sweep: pull cotangents from heads to leaves, once.

Creation order of nodes is a topological order, so the sweep visits the
nodes reached from the heads newest first, each once, from a heap of the
nodes reached so far (no recursion: a 100,000-op chain is fine; a chain's
heap holds one node at a time): every consumer of a node was created after
it, so its cotangent is complete when it comes off the heap.
Broadcasting is undone here, for every rule; cotangents are cast back to
their input's dtype and laid out like their input (``xp._like``, the
backend's :meth:`~ag_bridge.Backend.like`: a chunked library's chunks).
Gradient buffers are written only after the whole sweep succeeded, so an
exception leaves every ``.grad`` as it was.
"""

from __future__ import annotations

from heapq import heappop, heappush
from typing import Any

from ._node import GRAPH_FREED, Leaf
from ._state import STATE

__all__ = ["run_backward", "unbroadcast"]


_LEAD = ((), (0,), (0, 1), (0, 1, 2), (0, 1, 2, 3))  # the first k axes, for k < 5


def unbroadcast(xp: Any, c: Any, shape: tuple, ref: Any = None) -> Any:
    """Sum ``c`` down to ``shape`` (undo NumPy-style broadcasting); with ``ref`` (an
    array of that shape) what is broadcast back is laid out like it (``xp._like``)."""
    cs, shape = tuple(c.shape), tuple(shape)
    extra = len(cs) - len(shape)
    if 0 < extra < len(_LEAD) and cs[extra:] == shape and 0 not in cs:
        return xp.sum(c, axis=_LEAD[extra])  # only leading axes added (a bias's gradient)
    if ref is not None and 0 in cs and 0 not in shape:
        # a sum over an empty axis is exactly zero (sparse 0.19 sums a NaN fill value to NaN)
        return xp.zeros_like(ref)
    if extra > 0:
        c = xp.sum(c, axis=tuple(range(extra)))
    axes = tuple(i for i, n in enumerate(shape) if n == 1 and c.shape[i] != 1)
    if axes:
        c = xp.sum(c, axis=axes, keepdims=True)
    if tuple(c.shape) != shape:
        if ref is not None:
            c = xp._like(c, ref)
        if tuple(c.shape) != shape:
            c = xp.broadcast_to(c, shape)
    return c


def _fit(xp: Any, c: Any, inp: Any, backend: Any) -> Any:
    """Cast a cotangent to its input's shape and dtype (real inputs get real parts)."""
    if c.shape != inp.shape:
        c = unbroadcast(xp, c, inp.shape, inp)
    if c.dtype != inp.dtype:
        if backend.is_complex(c.dtype) and not backend.is_complex(inp.dtype):
            c = xp.real(c)
        if c.dtype != inp.dtype:
            c = xp.astype(c, inp.dtype)
    return c


def _reach(heap: list, node: Any) -> None:
    """Put ``node`` on the heap (the newest comes off first), with or without a cotangent in
    ``grads`` (one reached through a cut path: a leaf with ``grad_req='write'`` then gets
    zeros). Pushed twice, it comes off twice in a row; the sweep skips the second. (The
    sweep's hot path pushes inline.)"""
    heappush(heap, (-node.seq, node))


def run_backward(seeds: list, retain_graph: bool, create_graph: bool,
                 targets: dict | None = None, lift: Any = None) -> tuple[list, dict]:
    """Sweep from ``seeds`` = [(node, output_index, cotangent)].

    With ``create_graph``, ``lift(node, g)`` gives the rule's ``(xp, g, ans, args)`` as
    recorded Arrays (:func:`ag_bridge._lift.lift`), so the backward pass is recorded.

    Returns ``(leaf_updates, target_grads)``: the leaves reached with their
    cotangents (to be written by the caller) and, when ``targets`` maps nodes
    to keys, the cotangent that reached each target.
    """
    grads: dict = {}
    heap: list = []
    for node, k, g in seeds:
        if node not in grads:
            _reach(heap, node)
        _accumulate(grads, node, k, g)
    leaves: list = []
    found: dict = {}
    old_state = STATE.get()
    if create_graph:
        STATE.set((True, old_state[1]))
    hb = None  # the backend of the last node, whose sweep_hooks are unpacked below
    lift = lift if create_graph else None
    general = lift is not None  # every node takes _pull_general: lift records its rule
    n = nxt = None  # nxt: one reached node kept off the heap (a chain never touches the heap)
    try:
        while nxt is not None or heap:
            last = n
            if nxt is not None and (not heap or heap[0][0] > -nxt.seq):
                n, nxt = nxt, None
            else:
                n = heappop(heap)[1]
            if n is last:
                continue
            g = grads.pop(n, None)
            if g is None:
                if type(n) is Leaf:
                    if n.grad_req == "write":  # in the graph, but every path was cut: zero
                        leaves.append((n, n.backend.zeros_like(n.grad._data)))
                else:
                    for _, p, _ in n.parents:
                        _reach(heap, p)
                continue
            if targets is not None and n in targets:
                found[targets[n]] = g
            if type(n) is Leaf:
                leaves.append((n, g))
                continue
            args, rule = n.args, n.rule
            if general or args is None or rule is None or n.multi or n.listarg or rule.joint is not None:
                _pull_general(n, g, grads, heap, lift)
            else:  # the common case, kept lean (no frame of its own): one function per argument
                b = n.backend
                if b is not hb:
                    hb = b
                    xp, coerce, like, lean = b.sweep_hooks
                ans, kwargs, fns = n.ans, n.kwargs, rule.fns
                check = not rule.exact or like is not None  # exact: c is laid out as inp
                nargs = -1 if kwargs else len(args)  # the call below without packing where it can
                for slot, parent, k in n.parents:
                    try:
                        try:  # (cheaper than a length test when it does not raise)
                            fn = fns[slot]
                        except IndexError:
                            fn = None
                        if fn is None:
                            _no_vjp(n, slot)
                        if nargs == 1:
                            c = fn(xp, g, ans, args[0])
                        elif nargs == 2:
                            c = fn(xp, g, ans, args[0], args[1])
                        else:
                            c = fn(xp, g, ans, *args, **kwargs)
                        if c is None:
                            _reach(heap, parent)
                            continue
                        if coerce is not None and c.__class__ not in lean:
                            c = coerce(c)
                        if check:
                            try:
                                inp = args[slot]
                            except IndexError:  # an array passed by keyword
                                inp = kwargs[n.arrays[slot]]
                            cdt, idt = c.dtype, inp.dtype
                            if (cdt is not idt and cdt != idt) or c.shape != inp.shape:
                                c = _fit(xp, c, inp, b)
                            if like is not None:
                                c = like(c, inp)
                    except Exception as exc:
                        _note(exc, n, slot)
                        raise
                    if parent.multi:
                        if parent not in grads:
                            _reach(heap, parent)
                        _accumulate(grads, parent, k, c)
                    else:  # _accumulate's single-output case, inline (the hot path)
                        prev = grads.get(parent)
                        if prev is None:
                            grads[parent] = c
                            if nxt is None:
                                nxt = parent
                            else:
                                heappush(heap, (-parent.seq, parent))
                        else:
                            grads[parent] = prev + c
            if not retain_graph:  # free the saved values now they are consumed (Node.free),
                n.args = n.kwargs = n.ans = None
                args = ans = inp = None  # with this frame's references to them
    finally:
        if create_graph:
            STATE.set(old_state)
    return leaves, found


def _accumulate(grads: dict, node: Any, k: int, g: Any) -> None:
    if node.multi:
        slot = grads.get(node)
        if slot is None:
            slot = grads[node] = [None] * len(node.ans)
        slot[k] = g if slot[k] is None else slot[k] + g
    else:
        prev = grads.get(node)
        grads[node] = g if prev is None else prev + g


def _no_vjp(n: Any, slot: int) -> None:
    raise NotImplementedError(
        f"no VJP for {n.op}() argument {slot} on backend '{n.backend.name}'; "
        "pass that argument as a constant (detach() it)"
    )


def _note(exc: Exception, n: Any, slot: int) -> None:
    if hasattr(exc, "add_note"):
        exc.add_note(f"raised by the VJP of {n.op}() (argument {slot}) on backend '{n.backend.name}'")


def _pull_general(n: Any, g: Any, grads: dict, heap: list, lift: Any) -> None:
    """Multi-output ops, sequence inputs, joint rules and ``create_graph`` (and the errors
    of a freed graph and of a missing rule)."""
    if n.args is None:
        raise RuntimeError(GRAPH_FREED.format(what=f"{n.op}() result"))
    if n.rule is None:
        raise NotImplementedError(
            f"no VJP for {n.op}() on backend '{n.backend.name}' yet; "
            "compute this value outside autograd.record() or detach() its input"
        )
    b = n.backend
    rule = n.rule.portable or n.rule  # a backend's kernels (fast_rule): plain passes only
    create = lift is not None
    if n.multi:
        g = tuple(b.zeros_like(a) if c is None else c for a, c in zip(n.ans, g))
    if create:
        xp, g, ans, args = lift(n, g)
    else:
        xp, ans, args = b.rule_xp, n.ans, n.args
    kwargs = n.kwargs
    joint = None
    for slot, parent, k in n.parents:
        try:
            if rule.joint is not None:
                if joint is None:
                    joint = rule.joint(xp, g, ans, *args, **kwargs)
                c = joint[slot]
            else:
                fn = rule.fns[slot] if slot < len(rule.fns) else None
                if fn is None:
                    _no_vjp(n, slot)
                c = fn(xp, g, ans, *args, **kwargs)
            if c is None:
                _reach(heap, parent)
                continue
            if not create:
                c = b.coerce(c)
            inp = n.input(slot)
            if c.shape != inp.shape or c.dtype != inp.dtype:
                c = _fit(xp, c, inp, b)
            c = xp._like(c, inp)  # the input's layout (chunks); eager backends: c itself
        except Exception as exc:
            _note(exc, n, slot)
            raise
        if parent not in grads:
            _reach(heap, parent)
        _accumulate(grads, parent, k, c)
