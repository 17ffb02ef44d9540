"""VJP of ``einsum`` (the NumPy extras' one recorded op; the others are compositions).

``einsum`` is linear in each operand, so the cotangent of operand k is an
einsum of the output cotangent with the (conjugated: PyTorch's convention)
other operands, onto operand k's letters:

    x̄_k = einsum("out,others->u_k", g, conj(others))

where ``u_k`` are operand k's distinct letters that occur in the output or in
another operand. Then: letters summed inside operand k alone get their axis
back by broadcasting; a repeated letter (a diagonal or trace, ``'ii->i'``)
puts the result on that diagonal (times an identity mask); axes of size 1 that
the forward broadcast are summed back to size 1.
"""

from __future__ import annotations

from typing import Any

from .._extras import arange_like, explicit, parse, place, sizes, unique
from .._registry import defvjp_joint
from ._util import cj


def _undiagonal(xp: Any, h: Any, u: str, sub: str, n: dict) -> Any:
    """``h`` (letters ``u``, distinct) spread over ``sub`` (repeats: on the diagonal)."""
    if u == sub:
        return h
    shape = tuple(n[c] for c in sub)
    # the first occurrence of each letter carries h's axis, the repeats broadcast
    order = [sub.index(c) for c in u]
    src = "".join(c if i in order else chr(0x100 + i) for i, c in enumerate(sub))
    out = place(xp, h, u, src, shape)
    for i, c in enumerate(sub):
        first = sub.index(c)
        if first == i:
            continue
        k = n[c]
        r = arange_like(xp, h, k)
        eye = xp.astype(xp.reshape(r, (k, 1)) == xp.reshape(r, (1, k)), h.dtype)
        eye = xp.reshape(eye, tuple(k if j in (first, i) else 1 for j in range(len(sub))))
        out = out * eye
    return out


def _einsum(xp: Any, g: Any, ans: Any, subscripts: Any, *operands: Any) -> tuple:
    shapes = [tuple(o.shape) for o in operands]
    ins, out = parse(subscripts, shapes)
    n = sizes(ins, shapes)
    res: list = [None]
    for k, (op, sub) in enumerate(zip(operands, ins)):
        others = [cj(xp, o) for j, o in enumerate(operands) if j != k]
        osubs = [s for j, s in enumerate(ins) if j != k]
        u = unique(sub)
        avail = set(out).union(*osubs)
        tgt = "".join(c for c in u if c in avail)
        h = xp.einsum(explicit([out] + osubs, tgt), g, *others)
        h = place(xp, h, tgt, u, tuple(n[c] for c in u))
        h = _undiagonal(xp, h, u, sub, n)
        wide = tuple(i for i, (a, b) in enumerate(zip(op.shape, h.shape)) if a == 1 and b != 1)
        if wide:
            h = xp.sum(h, axis=wide, keepdims=True)
        res.append(h)
    return tuple(res)


defvjp_joint("einsum", _einsum)
