"""Conformance records of the element-wise functions (domains keep clear of kinks)."""

from __future__ import annotations

import numpy as np

import ag_bridge

from ._record import Input, binary, complex_of, getattr_path, record, unary

C = {"complex": True}

unary("abs", 0.3, 2.0, "away", **C)
unary("acos", -0.9, 0.9, **C)
unary("acosh", 1.2, 3.0, **C)
unary("asin", -0.9, 0.9, **C)
unary("asinh", **C)
unary("atan", **C)
unary("atanh", -0.9, 0.9, **C)
unary("ceil", second_order=False)
unary("conj", **C)
unary("cos", **C)
unary("cosh", **C)
unary("exp", **C)
unary("expm1", **C)
unary("floor", second_order=False)
# imag is defined for complex input only (strict and torch reject real input):
# the cases build a complex array from real inputs, or cast to complex first.
for _shape in ((3, 4), (), (0,)):
    record("imag", lambda xp, a, b: xp.imag(complex_of(xp, a, b)), _shape, _shape,
           label="re+1j*im " + str(_shape))
record("imag", lambda xp, z: xp.imag(xp.astype(z, xp.complex128)), (2, 3), label="astype complex", **C)
unary("log", 0.5, 2.0, **C)
unary("log1p", -0.5, 2.0, **C)
unary("log2", 0.5, 2.0, **C)
unary("log10", 0.5, 2.0, **C)
unary("negative", **C)
unary("positive", **C)
unary("real", **C)
unary("reciprocal", 0.5, 2.0, "away", **C)
unary("round", second_order=False)
unary("sign", 0.3, 2.0, "away", **C)  # JAX: sign'(complex) = 0, no oracle (expectations/jax.toml)
unary("sin", **C)
unary("sinh", **C)
unary("sqrt", 0.5, 2.0, **C)
unary("square", **C)
unary("tan", -1.2, 1.2, **C)
unary("tanh", **C)
unary("trunc", second_order=False)

binary("add", **C)
binary("atan2", (0.3, 2.0), (0.3, 2.0), "away")
binary("copysign", (0.3, 2.0), (0.3, 2.0), "away")
binary("divide", (-2.0, 2.0), (0.5, 2.0), **C)
binary("floor_divide", (-2.0, 2.0), (0.5, 2.0), second_order=False)
binary("hypot", (0.3, 2.0), (0.3, 2.0), "away")
binary("logaddexp", **C)
binary("maximum", kind="distinct", scalar=0.25)
binary("minimum", kind="distinct", scalar=0.25)
binary("multiply", **C)
binary("nextafter", second_order=False)
binary("pow", (0.5, 2.0), (-2.0, 2.0), **C)
binary("remainder", (-2.0, 2.0), (0.5, 2.0), "away", scalar=1.7, second_order=False)
binary("subtract", **C)

record("clip", lambda xp, x: xp.clip(x, -1.0, 1.0), (3, 4), label="scalar bounds")
record("clip", lambda xp, x: xp.clip(x, max=0.5), (5,), label="max only")
record("clip", lambda xp, x, lo, hi: xp.clip(x, lo, hi),
       Input((6,), -2.0, 2.0), Input((6,), -1.0, -0.2), Input((1,), 0.2, 1.0), label="array bounds")
# min > max at some elements: the result is max there, and only max gets the cotangent (issue 14);
# array-api-strict refuses min > max
record("clip", lambda xp, x, lo, hi: xp.clip(x, lo, hi),
       Input((6,), kind="fixed", values=[0.0, -2.0, 2.0, 0.5, -0.5, 1.5]),
       Input((6,), kind="fixed", values=[1.0, 1.0, -1.0, 0.8, -1.0, 1.0]),
       Input((6,), kind="fixed", values=[-1.0, -1.2, 1.0, 0.2, 0.0, 2.0]),
       label="min > max", skip=frozenset({"array_api_strict"}))


# -- ties and bounds: the conventions of docs/semantics.md -------------------------------------------
# maximum/minimum at exact two-way ties, broadcast along a leading axis and against a Python scalar:
# central differences give the split gradient exactly at a two-way tie (f(t + e) - f(t - e) = e, half
# the step), so the fd check tests "ties split equally". Piecewise linear: no second order (0 off the
# ties, undefined on them). maximum(x, x) = x whatever the split: its gradient is 1 (0.5 + 0.5).
_TIE_X = Input((3,), kind="fixed", values=[0.5, -1.0, 2.0])
_TIE_Y = Input((2, 3), kind="fixed", values=[[0.5, 0.0, 2.0], [1.0, -1.0, -3.0]])
for _op in ("maximum", "minimum"):
    _get = getattr_path(_op)
    record(_op, lambda xp, x, y, f=_get: f(xp)(x, y), _TIE_X, _TIE_Y, label="ties,3 vs 2x3",
           second_order=False)
    record(_op, lambda xp, x, y, f=_get: f(xp)(x, y), _TIE_Y, _TIE_X, label="ties,2x3 vs 3",
           second_order=False)
    record(_op, lambda xp, x, f=_get: f(xp)(x, 0.5), _TIE_X, label="ties,x,0.5", second_order=False)
    record(_op, lambda xp, x, f=_get: f(xp)(x, x), (2, 3), label="x,x")


# clip passes the gradient at its bounds, where central differences give half of it: the records'
# reference is the convention (``expected``): x gets the cotangent where lo <= x <= hi, an array
# bound where x is strictly outside it (summed over its broadcast axes)
def _sum_to(a: np.ndarray, shape: tuple) -> np.ndarray:
    """``a`` summed down to ``shape`` (NumPy broadcasting undone; the records' own reference)."""
    a = a.sum(axis=tuple(range(a.ndim - len(shape))))
    return a.sum(axis=tuple(i for i, n in enumerate(shape) if n == 1), keepdims=True).reshape(shape)


def _clip_expected(lo: float | None, hi: float | None):
    def expected(xs: list, vs: list) -> list:
        x, v = xs[0], vs[0]
        low = xs[1] if len(xs) > 1 else (-np.inf if lo is None else lo)
        high = xs[2] if len(xs) > 2 else (np.inf if hi is None else hi)
        out = [_sum_to(v * ((x >= low) & (x <= high)), x.shape)]
        if len(xs) > 1:
            out += [_sum_to(v * (x < low), xs[1].shape), _sum_to(v * (x > high), xs[2].shape)]
        return out
    return expected


_AT_BOUNDS = Input((2, 4), kind="fixed", values=[[-1.0, 1.0, 0.5, -2.0], [2.0, -1.0, 1.0, 0.0]])
record("clip", lambda xp, x: xp.clip(x, -1.0, 1.0), _AT_BOUNDS, label="at scalar bounds",
       expected=_clip_expected(-1.0, 1.0), second_order=False)
record("clip", lambda xp, x: xp.clip(x, max=0.5), Input((3,), kind="fixed", values=[0.5, 1.0, -1.0]),
       label="at max only", expected=_clip_expected(None, 0.5), second_order=False)
record("clip", lambda xp, x, lo, hi: xp.clip(x, lo, hi), _AT_BOUNDS,
       Input((4,), kind="fixed", values=[-1.0, -1.0, 0.5, -1.5]),
       Input((2, 1), kind="fixed", values=[[1.0], [1.0]]), label="at array bounds,broadcast",
       expected=_clip_expected(None, None), second_order=False)

# -- create_graph through a head gradient that is itself recorded ------------------------------------
# pull(u) = J(x)^H u by ag_bridge.vjp, differentiated in x and in the cotangent u: the gradient in u
# flows only through the head gradient of the inner backward. ag_bridge's own API (no library
# oracle: on raw arrays the function says so and the native check has nothing to compare)


def _pulled(f, n: int):
    def fn(xp, *args):
        if not isinstance(args[0], ag_bridge.Array):
            raise NotImplementedError("ag_bridge.vjp of raw library arrays")
        _, pull = ag_bridge.vjp(lambda *a: f(xp, *a), *args[:n])
        out = pull(args[n] if n + 1 == len(args) else tuple(args[n:]))
        return out if n > 1 else out[0]
    return fn


record("exp", _pulled(lambda xp, x: xp.exp(x), 1), (2, 3), (2, 3), label="vjp,recorded cotangent", **C)
record("multiply", _pulled(lambda xp, a, b: a * b, 2), (3,), (2, 3), (2, 3),
       label="vjp,recorded cotangent,broadcast", **C)
