"""VJPs of the standard's element-wise functions (one line each).

``g`` is the output cotangent, ``ans`` the output; broadcasting is undone by
the engine and cotangents are cast to their input's dtype there too.
Conventions (docs/semantics.md; evidence in docs/conventions.md): ties in maximum/minimum split equally,
abs'(0) = 0, clip passes the gradient at its bounds, x**0 has gradient 0 at 0,
complex rules follow PyTorch's conjugate-Wirtinger convention.
"""

from __future__ import annotations

import math

from .._registry import defvjp
from ._util import cj, is_complex, is_scalar, zeros

__all__ = ["FORWARDS"]


def _abs(xp, g, ans, x):
    if is_complex(xp, x):
        return g * xp.where(ans == 0, 0, x / xp.where(ans == 0, 1, ans))
    return g * xp.sign(x)


def _sign(xp, g, ans, x):
    if not is_complex(xp, x):
        return zeros(xp, g)
    a = xp.abs(x)
    return xp.where(a == 0, 0, (g - xp.real(g * xp.conj(ans)) * ans) / xp.where(a == 0, 1, a))


def _clip_x(xp, g, ans, x, min=None, max=None):
    keep = None
    if min is not None:
        keep = x >= min
    if max is not None:
        keep = (x <= max) if keep is None else (keep & (x <= max))
    return g if keep is None else xp.where(keep, g, 0)


# clip is minimum(maximum(x, min), max): with min > max the result is max, so exactly one
# argument gets the cotangent at each element (torch's rule; at min == max > x, min gets it)
def _clip_min(xp, g, ans, x, min=None, max=None):
    take = x < min
    return xp.where(take if max is None else take & (min <= max), g, 0)


def _clip_max(xp, g, ans, x, min=None, max=None):
    take = x > max
    return xp.where(take if min is None else take | (max < min), g, 0)


def _pow_base(xp, g, ans, x1, x2):
    if is_scalar(x2):
        if x2 == 0:
            return zeros(xp, g)
        return g * cj(xp, x2 * (x1 if x2 == 2 else x1 ** (x2 - 1)))  # x ** 1 is x: no pass
    return g * cj(xp, xp.where(x2 == 0, 0, x2 * x1 ** (x2 - 1)))


def _pow_exponent(xp, g, ans, x1, x2):
    if is_scalar(x1):
        return g * cj(xp, ans * (math.log(x1) if x1 > 0 else float("nan"))) if x1 != 0 else zeros(xp, g)
    return g * cj(xp, xp.where(x1 == 0, 0, ans * xp.log(xp.where(x1 == 0, 1, x1))))


def _imag(xp, g, x):
    # g is real: cast before the Python complex scalar (the standard need not mix them; cubed refuses)
    return xp.astype(g, x.dtype) * 1j if is_complex(xp, x) else zeros(xp, g)


def _hypot(xp, g, ans, a):
    return g * xp.where(ans == 0, 0, a / xp.where(ans == 0, 1, ans))


def _logaddexp_complex(xp, x1, x2):
    """``log(exp(x1) + exp(x2))`` from the standard: ``big + log1p(exp(small - big))``, ``big``
    the operand with the larger real part (torch's and JAX's complex loops, same branch)."""
    if not hasattr(x1, "dtype"):
        x1 = xp.asarray(x1, dtype=x2.dtype, device=getattr(x2, "device", None))
    if not hasattr(x2, "dtype"):
        x2 = xp.asarray(x2, dtype=x1.dtype, device=getattr(x1, "device", None))
    first = xp.real(x1) >= xp.real(x2)
    big, small = xp.where(first, x1, x2), xp.where(first, x2, x1)
    return big + xp.log1p(xp.exp(small - big))


def _complex_logaddexp(raw, xp):
    """``raw`` (the library's logaddexp) for real input; for complex input composed from
    the standard on every backend: NumPy, Dask and array-api-strict have no complex loop,
    and JAX's returns another branch of the logarithm (its imaginary part off by 2*pi*k
    from torch's on PyTorch's OpInfo samples), so every backend gives the same numbers."""
    def logaddexp(x1, x2, /):
        if isinstance(x1, complex) or isinstance(x2, complex) or is_complex(xp, x1) \
                or is_complex(xp, x2):
            return _logaddexp_complex(xp, x1, x2)
        return raw(x1, x2)

    return logaddexp


#: forward functions the recording namespace composes around the library's own:
#: name -> ``wrap(raw, xp)`` (``xp`` the backend's standard namespace)
FORWARDS = {"logaddexp": _complex_logaddexp}

#: one-argument rules that read only the output ``ans``: the recorder saves the output in
#: the input's place, so the input is freed as soon as the forward pass drops it (in
#: ``tanh(h @ W)`` the node keeps no pre-activation, as torch.autograd keeps none)
ANS_ONLY = frozenset({"exp", "expm1", "sqrt", "tanh", "special.expit"})
#: rules that never read ``ans``: their nodes do not keep the output alive (a matmul's
#: product is freed once the next op has used it; checked against each rule's text)
NO_ANS = frozenset({"add", "subtract", "multiply", "negative", "matmul", "sin", "cos", "log",
                    "sum", "mean"})
#: rules whose cotangent has the input's shape and dtype whenever the input has the output's
#: dtype and any other operand is a Python number: ``g`` times (or over) functions of the
#: arrays and Python numbers, which keep an array's dtype (checked against each rule's text).
#: The sweep skips its shape and dtype check for such calls (a tenth of a W1 op's time).
SAME_LAYOUT = frozenset({
    "abs", "acos", "acosh", "asin", "asinh", "atan", "atanh", "ceil", "cos", "cosh", "exp",
    "expm1", "floor", "log", "log1p", "log2", "log10", "negative", "positive", "reciprocal",
    "round", "sign", "sin", "sinh", "sqrt", "square", "tan", "tanh", "trunc",
    "add", "subtract", "multiply", "divide", "pow",
})


def _tanh_vjp(xp, g, t):
    """``g * (1 - t * t)`` written ``g - g * t * t``: no reflected scalar operator (torch's
    ``1 - t`` goes through Python and costs more than a product; NumPy gains too)."""
    return g - g * t * t


def _tie(xp, g, win, tie):
    return xp.where(win, g, xp.where(tie, g / 2, 0))


defvjp("abs", _abs)
defvjp("acos", lambda xp, g, ans, x: -g / cj(xp, xp.sqrt(1 - x * x)))
defvjp("acosh", lambda xp, g, ans, x: g / cj(xp, xp.sqrt(x - 1) * xp.sqrt(x + 1)))
defvjp("add", lambda xp, g, ans, x1, x2: g, lambda xp, g, ans, x1, x2: g)
defvjp("asin", lambda xp, g, ans, x: g / cj(xp, xp.sqrt(1 - x * x)))
defvjp("asinh", lambda xp, g, ans, x: g / cj(xp, xp.sqrt(x * x + 1)))
defvjp("atan", lambda xp, g, ans, x: g / cj(xp, 1 + x * x))
defvjp("atan2", lambda xp, g, ans, x1, x2: g * x2 / (x1 * x1 + x2 * x2),
       lambda xp, g, ans, x1, x2: -g * x1 / (x1 * x1 + x2 * x2))
defvjp("atanh", lambda xp, g, ans, x: g / cj(xp, 1 - x * x))
defvjp("ceil", lambda xp, g, ans, x: zeros(xp, g))
defvjp("clip", _clip_x, _clip_min, _clip_max)
defvjp("conj", lambda xp, g, ans, x: xp.conj(g))
defvjp("copysign", lambda xp, g, ans, x1, x2: g * xp.sign(x1) * xp.sign(ans),
       lambda xp, g, ans, x1, x2: zeros(xp, g))
defvjp("cos", lambda xp, g, ans, x: -g * cj(xp, xp.sin(x)))
defvjp("cosh", lambda xp, g, ans, x: g * cj(xp, xp.sinh(x)))
defvjp("divide", lambda xp, g, ans, x1, x2: g / cj(xp, x2),
       lambda xp, g, ans, x1, x2: -g * cj(xp, ans / x2))
defvjp("exp", lambda xp, g, ans, x: g * cj(xp, ans))
defvjp("expm1", lambda xp, g, ans, x: g * cj(xp, ans + 1))
defvjp("floor", lambda xp, g, ans, x: zeros(xp, g))
defvjp("floor_divide", lambda xp, g, ans, x1, x2: zeros(xp, g),
       lambda xp, g, ans, x1, x2: zeros(xp, g))
defvjp("hypot", lambda xp, g, ans, x1, x2: _hypot(xp, g, ans, x1),
       lambda xp, g, ans, x1, x2: _hypot(xp, g, ans, x2))
defvjp("imag", lambda xp, g, ans, x: _imag(xp, g, x))
defvjp("log", lambda xp, g, ans, x: g / cj(xp, x))
defvjp("log1p", lambda xp, g, ans, x: g / cj(xp, 1 + x))
defvjp("log2", lambda xp, g, ans, x: g / (cj(xp, x) * math.log(2)))
defvjp("log10", lambda xp, g, ans, x: g / (cj(xp, x) * math.log(10)))
defvjp("logaddexp", lambda xp, g, ans, x1, x2: g * cj(xp, xp.exp(x1 - ans)),
       lambda xp, g, ans, x1, x2: g * cj(xp, xp.exp(x2 - ans)))
defvjp("maximum", lambda xp, g, ans, x1, x2: _tie(xp, g, x1 > x2, x1 == x2),
       lambda xp, g, ans, x1, x2: _tie(xp, g, x2 > x1, x1 == x2))
defvjp("minimum", lambda xp, g, ans, x1, x2: _tie(xp, g, x1 < x2, x1 == x2),
       lambda xp, g, ans, x1, x2: _tie(xp, g, x2 < x1, x1 == x2))
defvjp("multiply", lambda xp, g, ans, x1, x2: g * cj(xp, x2),
       lambda xp, g, ans, x1, x2: g * cj(xp, x1))
defvjp("negative", lambda xp, g, ans, x: -g)
defvjp("nextafter", lambda xp, g, ans, x1, x2: g, lambda xp, g, ans, x1, x2: zeros(xp, g))
defvjp("positive", lambda xp, g, ans, x: g)
defvjp("pow", _pow_base, _pow_exponent)
defvjp("real", lambda xp, g, ans, x: g)
defvjp("reciprocal", lambda xp, g, ans, x: -g * cj(xp, ans * ans))
defvjp("remainder", lambda xp, g, ans, x1, x2: g,
       lambda xp, g, ans, x1, x2: -g * xp.floor(x1 / x2))
defvjp("round", lambda xp, g, ans, x: zeros(xp, g))
defvjp("sign", _sign)
defvjp("sin", lambda xp, g, ans, x: g * cj(xp, xp.cos(x)))
defvjp("sinh", lambda xp, g, ans, x: g * cj(xp, xp.cosh(x)))
defvjp("sqrt", lambda xp, g, ans, x: g / (2 * cj(xp, ans)))
defvjp("square", lambda xp, g, ans, x: 2 * g * cj(xp, x))
defvjp("subtract", lambda xp, g, ans, x1, x2: g, lambda xp, g, ans, x1, x2: -g)
defvjp("tan", lambda xp, g, ans, x: g * cj(xp, 1 + ans * ans))
defvjp("tanh", lambda xp, g, ans, x: _tanh_vjp(xp, g, cj(xp, ans)))
defvjp("trunc", lambda xp, g, ans, x: zeros(xp, g))
