"""Conformance records of the element-wise functions (domains keep clear of kinks)."""

from __future__ import annotations

from ._record import Input, binary, record, unary

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
    record("imag", lambda xp, a, b: xp.imag(a + 1j * b), _shape, _shape, label="re+1j*im " + str(_shape))
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
