"""The op templates of the differential fuzzer: each turns a program's live
values into one new line of a straight-line program (source text, output
shape and kind), keeping away from kinks, ties and ill-conditioning.

Every template names the spec-table entries it calls (:data:`TEMPLATES`:
name -> (ops, category, function)); ``tests/test_fuzz.py`` checks they exist.
A value is ``(name, shape, kind)`` with kind ``"f"`` (real) or ``"c"`` (complex).
"""

from __future__ import annotations

import numpy as np

__all__ = ["TEMPLATES", "CATEGORIES"]

#: what the coverage report counts
CATEGORIES = ("elementwise", "broadcasting", "reduction", "manipulation", "indexing", "setitem",
              "inplace", "linalg", "fft")


def _pick(draw, st, values, pred=lambda v: True):
    cands = [v for v in values if pred(v)]
    return draw(st.sampled_from(cands)) if cands else None


def _unary(op, expr, real_only=False):
    def t(draw, st, vals):
        v = _pick(draw, st, vals, lambda v: not (real_only and v[2] == "c"))
        return None if v is None else ([expr.format(x=v[0])], v[1], v[2])
    return t


def _binary(op):
    def t(draw, st, vals):
        a = _pick(draw, st, vals)
        b = _pick(draw, st, vals, lambda w: w[2] == a[2] and _bshape(a[1], w[1]) is not None)
        if draw(st.booleans()) or b is None:
            return [f"xp.{op}({a[0]}, 0.75)"], a[1], a[2]
        return [f"xp.{op}({a[0]}, {b[0]})"], _bshape(a[1], b[1]), a[2]
    return t


def _bshape(s1, s2):
    try:
        return tuple(np.broadcast_shapes(s1, s2))
    except ValueError:
        return None


def _axis(draw, st, shape):
    nd = len(shape)
    if nd == 0:
        return None
    choice = draw(st.sampled_from(["none", "int", "neg", "tuple"]))
    if choice == "none":
        return None
    if choice == "tuple" and nd >= 2:
        return (0, nd - 1)
    return draw(st.integers(0, nd - 1)) - (nd if choice == "neg" else 0)


def _reduce(op, real_only=False, nonempty=False):
    """``op`` over an axis (int, negative, tuple or None), with or without keepdims;
    ``nonempty``: only on arrays with elements (mean and var of nothing are NaN)."""
    def t(draw, st, vals):
        v = _pick(draw, st, vals, lambda v: not (real_only and v[2] == "c")
                  and not (nonempty and 0 in v[1]))
        if v is None:
            return None
        axis, keep = _axis(draw, st, v[1]), draw(st.booleans())
        out = np.sum(np.empty(v[1]), axis=axis, keepdims=keep).shape
        return [f"xp.{op}({v[0]}, axis={axis!r}, keepdims={keep})"], out, v[2]
    return t


def _reshape(draw, st, vals):
    v = _pick(draw, st, vals)
    new = (-1,) if draw(st.booleans()) else tuple(reversed(v[1]))
    return [f"xp.reshape({v[0]}, {new!r})"], np.empty(v[1]).reshape(new).shape, v[2]


def _permute(draw, st, vals):
    v = _pick(draw, st, vals, lambda v: len(v[1]) >= 2)
    if v is None:
        return None
    perm = tuple(draw(st.permutations(range(len(v[1])))))
    return [f"xp.permute_dims({v[0]}, {perm!r})"], tuple(v[1][i] for i in perm), v[2]


def _flip_roll(draw, st, vals):
    v = _pick(draw, st, vals, lambda v: len(v[1]) >= 1)
    if v is None:
        return None
    ax = draw(st.integers(0, len(v[1]) - 1))
    if draw(st.booleans()):
        return [f"xp.flip({v[0]}, axis={ax})"], v[1], v[2]
    return [f"xp.roll({v[0]}, 1, axis={ax})"], v[1], v[2]


def _concat_stack(draw, st, vals):
    a = _pick(draw, st, vals, lambda v: len(v[1]) >= 1)
    if a is None:
        return None
    b = _pick(draw, st, vals, lambda w: w[1] == a[1] and w[2] == a[2])
    if draw(st.booleans()):
        out = list(a[1])
        out[0] *= 2
        return [f"xp.concat([{a[0]}, {b[0]}], axis=0)"], tuple(out), a[2]
    return [f"xp.stack([{a[0]}, {b[0]}], axis=-1)"], a[1] + (2,), a[2]


def _expand(draw, st, vals):
    v = _pick(draw, st, vals)
    if 1 in v[1] and draw(st.booleans()):
        ax = v[1].index(1)
        return [f"xp.squeeze({v[0]}, axis={ax})"], v[1][:ax] + v[1][ax + 1:], v[2]
    return [f"xp.expand_dims({v[0]}, axis=0)"], (1,) + v[1], v[2]


def _cumsum(draw, st, vals):
    v = _pick(draw, st, vals, lambda v: len(v[1]) >= 1)
    if v is None:
        return None
    ax = draw(st.integers(0, len(v[1]) - 1))
    return [f"xp.cumulative_sum({v[0]}, axis={ax})"], v[1], v[2]


def _key(draw, st, shape, unique=False):
    """An indexing key for ``shape`` (source text) and its result shape (NumPy's semantics);
    ``unique``: no repeated index in an index array (which write of a repeated index wins
    is a tie the standard leaves open)."""
    parts, npkey, arrays = [], [], 0
    for n in shape:
        kinds = ["full", "slice", "neg"] + (["int"] if n > 0 else []) + (["array"] if n > 0 and not arrays
                                                                         else [])
        k = draw(st.sampled_from(kinds))
        if k == "int":
            i = draw(st.integers(-n, n - 1))
            parts.append(str(i))
            npkey.append(i)
        elif k == "array":
            idx = draw(st.lists(st.integers(0, n - 1), min_size=1, max_size=3, unique=unique))
            parts.append(f"xp.asarray({idx!r})")
            npkey.append(np.asarray(idx))
            arrays += 1
        elif k == "slice":
            parts.append("1:")
            npkey.append(slice(1, None))
        elif k == "neg":
            parts.append("::-2")
            npkey.append(slice(None, None, -2))
        else:
            parts.append(":")
            npkey.append(slice(None))
    if draw(st.booleans()) and parts and parts[-1] == ":":
        parts[-1], npkey[-1] = "...", Ellipsis
    if not parts:
        parts, npkey = ["..."], [Ellipsis]
    return ", ".join(parts), np.empty(shape)[tuple(npkey)].shape


def _getitem(draw, st, vals):
    v = _pick(draw, st, vals)
    key, out = _key(draw, st, v[1])
    return [f"{v[0]}[{key}]"], out, v[2]


def _setitem(draw, st, vals):
    v = _pick(draw, st, vals)
    u = _pick(draw, st, vals, lambda w: w[2] == v[2])
    key, _ = _key(draw, st, v[1], unique=True)
    op = draw(st.sampled_from(["=", "+=", "*="]))
    val = f"0.5 * xp.sum({u[0]})" if op != "*=" else "1.5"
    return ["{out} = " + f"{v[0]} * 1", "{out}[" + key + f"] {op} {val}"], v[1], v[2]


def _inplace(draw, st, vals):
    v = _pick(draw, st, vals)
    u = _pick(draw, st, vals, lambda w: w[2] == v[2] and _bshape(v[1], w[1]) == v[1])
    op = draw(st.sampled_from(["+=", "-=", "*="]))
    return ["{out} = " + f"{v[0]} * 1", "{out} " + f"{op} {u[0]}"], v[1], v[2]


def _mat(v):
    return len(v[1]) >= 2 and v[1][-1] > 0 and v[1][-2] > 0


def _gram(x, kind):
    t = f"xp.matrix_transpose({x})"
    return f"xp.matmul({x}, {'xp.conj(' + t + ')' if kind == 'c' else t})"


def _linalg(draw, st, vals):
    v = _pick(draw, st, vals, _mat)
    if v is None:
        return None
    n = v[1][-2]
    spd = f"({_gram(v[0], v[2])} + {n + 1}.0 * xp.eye({n}))"
    which = draw(st.sampled_from(["matmul", "solve", "det", "inv", "cholesky", "norm"]))
    if which == "matmul":
        return [_gram(v[0], v[2])], v[1][:-1] + (n,), v[2]
    if which == "solve":
        return [f"xp.linalg.solve({spd}, {v[0]})"], v[1], v[2]
    if which == "det":
        return [f"xp.linalg.det({spd})"], v[1][:-2], v[2]
    if which == "inv":
        return [f"xp.linalg.inv({spd})"], v[1][:-1] + (n,), v[2]
    if which == "cholesky":
        return [f"xp.linalg.cholesky({spd})"], v[1][:-1] + (n,), v[2]
    return [f"xp.linalg.vector_norm({v[0]}, axis=-1)"], v[1][:-1], "f"


def _fft(draw, st, vals):
    v = _pick(draw, st, vals, lambda v: len(v[1]) >= 1 and v[1][-1] > 0)
    if v is None:
        return None
    if v[2] == "f" and draw(st.booleans()):
        return [f"xp.fft.rfft({v[0]})"], v[1][:-1] + (v[1][-1] // 2 + 1,), "c"
    x = v[0] if v[2] == "c" else f"xp.astype({v[0]}, xp.complex128)"
    op = draw(st.sampled_from(["fft", "ifft"]))
    return [f"xp.fft.{op}({x}, norm='ortho')"], v[1], "c"


def _to_real(draw, st, vals):
    v = _pick(draw, st, vals, lambda v: v[2] == "c")
    if v is None:
        return None
    op = draw(st.sampled_from(["real", "imag"]))
    return [f"xp.{op}({v[0]})"], v[1], "f"


#: template name -> (spec-table ops it calls, category, template); the first ones shrink first
TEMPLATES = {
    "sin": (("sin",), "elementwise", _unary("sin", "xp.sin({x})")),
    "multiply": (("multiply",), "broadcasting", _binary("multiply")),
    "add": (("add",), "broadcasting", _binary("add")),
    "subtract": (("subtract",), "broadcasting", _binary("subtract")),
    "exp": (("exp",), "elementwise", _unary("exp", "xp.exp(0.5 * {x})")),
    "tanh": (("tanh",), "elementwise", _unary("tanh", "xp.tanh({x})", real_only=True)),
    "square": (("square",), "elementwise", _unary("square", "xp.square({x})")),
    "cos": (("cos",), "elementwise", _unary("cos", "xp.cos({x})")),
    "log1p": (("log1p", "square"), "elementwise", _unary("log1p", "xp.log1p(xp.square({x}))", True)),
    "sqrt": (("sqrt",), "elementwise", _unary("sqrt", "xp.sqrt(1.0 + {x} * {x})", True)),
    "divide": (("divide",), "elementwise", _unary("divide", "xp.divide({x}, 1.0 + {x} * {x})", True)),
    "conj": (("conj",), "elementwise", _unary("conj", "xp.conj({x})")),
    "real_imag": (("real", "imag"), "elementwise", _to_real),
    "sum": (("sum",), "reduction", _reduce("sum")),
    "mean": (("mean",), "reduction", _reduce("mean", nonempty=True)),
    "prod": (("prod",), "reduction", _reduce("prod")),
    "var": (("var",), "reduction", _reduce("var", real_only=True, nonempty=True)),
    "reshape": (("reshape",), "manipulation", _reshape),
    "permute_dims": (("permute_dims",), "manipulation", _permute),
    "flip_roll": (("flip", "roll"), "manipulation", _flip_roll),
    "concat_stack": (("concat", "stack"), "manipulation", _concat_stack),
    "expand_squeeze": (("expand_dims", "squeeze"), "manipulation", _expand),
    "cumulative_sum": (("cumulative_sum",), "manipulation", _cumsum),
    "getitem": (("__getitem__",), "indexing", _getitem),
    "setitem": (("__setitem__",), "setitem", _setitem),
    "inplace": (("__iadd__", "__isub__", "__imul__"), "inplace", _inplace),
    "linalg": (("matmul", "matrix_transpose", "linalg.solve", "linalg.det", "linalg.inv",
                "linalg.cholesky", "linalg.vector_norm", "eye"), "linalg", _linalg),
    "fft": (("fft.fft", "fft.ifft", "fft.rfft", "astype"), "fft", _fft),
}
