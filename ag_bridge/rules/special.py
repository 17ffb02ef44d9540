"""VJPs of the ``special`` submodule (SciPy's names; forwards in ``ag_bridge/_special.py``).

Derivatives (DLMF / Abramowitz-Stegun; all real functions of real arguments):

* erf' = 2/sqrt(pi) exp(-x^2), erfc' = -erf'; erfinv'(x) = sqrt(pi)/2 exp(erfinv(x)^2);
* ndtr' = phi(x) = exp(-x^2/2)/sqrt(2 pi); log_ndtr' = exp(-x^2/2 - log_ndtr(x))/sqrt(2 pi);
  ndtri'(p) = sqrt(2 pi) exp(ndtri(p)^2 / 2);
* expit' = s(1 - s); logit'(x) = 1/(x(1 - x));
* gammaln' = digamma, digamma' = polygamma(1, .), polygamma(n, .)' = polygamma(n + 1, .);
* i0' = i1; i1' = i0 - i1/x (1/2 at 0); i0e' = i1e - sign(x) i0e;
  i1e' = i0e - i1e (sign(x) + 1/x) (1/2 at 0);
* xlogy: d/dx = log(y), d/dy = x/y; xlog1py: log1p(y), x/(1 + y). Where x == 0
  the x-derivative is 0 (PyTorch's convention: the function is 0 there for any y);
* entr' = -(1 + log x); rel_entr(x, y) = x log(x/y): d/dx = log(x/y) + 1, d/dy = -x/y;
* log_softmax: g - softmax * sum(g); logsumexp: g * exp(x - logsumexp);
* the distribution helpers, in their continuous argument only (the shape
  parameters a, b, n, v, df get no gradient: a recorded one is an error at
  backward): gammainc' = x^(a-1) e^(-x) / Gamma(a), gammaincc' = -gammainc';
  betainc' = x^(a-1) (1-x)^(b-1) / B(a, b), betaincc' = -betainc';
  stdtr' = the Student-t density; chdtrc' = -the chi-square density.

Every rule is written with the standard's functions and ``xp.special``, so
under ``create_graph=True`` the derivative is itself recorded.
"""

from __future__ import annotations

import math
from typing import Any

from .._registry import defvjp
from ._util import cj, expand_to

_SQRT_PI_2 = 2 / math.sqrt(math.pi)
_LOG_SQRT_2PI = 0.5 * math.log(2 * math.pi)


def _safe(xp: Any, cond: Any, a: Any) -> Any:
    """``a`` where ``cond``, 1 elsewhere (keeps a discarded branch finite)."""
    return xp.where(cond, a, xp.ones_like(a))


def _i1(xp, g, ans, x):
    zero = x == 0
    sx = _safe(xp, ~zero, x)
    return g * xp.where(zero, 0.5 * xp.ones_like(x), xp.special.i0(x) - xp.special.i1(sx) / sx)


def _i1e(xp, g, ans, x):
    zero = x == 0
    sx = _safe(xp, ~zero, x)
    d = xp.special.i0e(x) - xp.special.i1e(sx) * (xp.sign(sx) + 1 / sx)
    return g * xp.where(zero, 0.5 * xp.ones_like(x), d)


def _xlog_x(log: str):
    def rule(xp, g, ans, x, y):
        ly = getattr(xp, log)(y)
        return g * xp.where(x == 0, xp.zeros_like(ly), ly)
    return rule


def _log_softmax(xp, g, ans, x, axis=None):
    return g - xp.exp(ans) * xp.sum(g, axis=axis, keepdims=True)


def _logsumexp(xp, g, ans, x, axis=None, keepdims=False):
    shape = tuple(x.shape)
    return expand_to(xp, g, shape, axis, keepdims) * xp.exp(x - expand_to(xp, ans, shape, axis, keepdims))


def _betaln(xp, a, b):
    sp = xp.special
    return sp.gammaln(a) + sp.gammaln(b) - sp.gammaln(a + b)


def _gammainc_x(sign: float):
    def rule(xp, g, ans, a, x):
        return sign * g * xp.exp((a - 1) * xp.log(x) - x - xp.special.gammaln(a * xp.ones_like(x)))
    return rule


def _betainc_x(sign: float):
    def rule(xp, g, ans, a, b, x):
        ones = xp.ones_like(x)
        logpdf = (a - 1) * xp.log(x) + (b - 1) * xp.log1p(-x) - _betaln(xp, a * ones, b * ones)
        return sign * g * xp.exp(logpdf)
    return rule


def _stdtr_t(xp, g, ans, df, t):
    df = df * xp.ones_like(t)
    sp = xp.special
    logpdf = (sp.gammaln((df + 1) / 2) - sp.gammaln(df / 2) - 0.5 * xp.log(df * math.pi)
              - (df + 1) / 2 * xp.log1p(t * t / df))
    return g * xp.exp(logpdf)


def _chdtrc_x(xp, g, ans, v, x):
    k = v * xp.ones_like(x) / 2
    pos = x > 0
    sx = _safe(xp, pos, x)
    logpdf = (k - 1) * xp.log(sx) - sx / 2 - k * math.log(2) - xp.special.gammaln(k)
    return -g * xp.where(pos, xp.exp(logpdf), xp.zeros_like(sx))


def _polygamma_x(xp, g, ans, n, x):
    return g * xp.special.polygamma(n + 1, x)


defvjp("special.erf", lambda xp, g, ans, x: g * _SQRT_PI_2 * xp.exp(-x * x))
defvjp("special.erfc", lambda xp, g, ans, x: -g * _SQRT_PI_2 * xp.exp(-x * x))
defvjp("special.erfinv", lambda xp, g, ans, x: g * (math.sqrt(math.pi) / 2) * xp.exp(ans * ans))
defvjp("special.expit", lambda xp, g, ans, x: g * cj(xp, ans * (1 - ans)))  # cj: complex input (torch)
defvjp("special.logit", lambda xp, g, ans, x: g / (x * (1 - x)))
defvjp("special.ndtr", lambda xp, g, ans, x: g * xp.exp(-x * x / 2 - _LOG_SQRT_2PI))
defvjp("special.log_ndtr", lambda xp, g, ans, x: g * xp.exp(-x * x / 2 - _LOG_SQRT_2PI - ans))
defvjp("special.ndtri", lambda xp, g, ans, x: g * xp.exp(ans * ans / 2 + _LOG_SQRT_2PI))
defvjp("special.gammaln", lambda xp, g, ans, x: g * xp.special.digamma(x))
defvjp("special.digamma", lambda xp, g, ans, x: g * xp.special.polygamma(1, x))
defvjp("special.psi", lambda xp, g, ans, x: g * xp.special.polygamma(1, x))
defvjp("special.polygamma", None, _polygamma_x)
defvjp("special.xlogy", _xlog_x("log"), lambda xp, g, ans, x, y: g * x / y)
defvjp("special.xlog1py", _xlog_x("log1p"), lambda xp, g, ans, x, y: g * x / (1 + y))
defvjp("special.entr", lambda xp, g, ans, x: -g * (1 + xp.log(x)))
defvjp("special.rel_entr", lambda xp, g, ans, x, y: g * (xp.log(x) - xp.log(y) + 1),
       lambda xp, g, ans, x, y: -g * x / y)
defvjp("special.i0", lambda xp, g, ans, x: g * xp.special.i1(x))
defvjp("special.i1", _i1)
defvjp("special.i0e", lambda xp, g, ans, x: g * (xp.special.i1e(x) - xp.sign(x) * ans))
defvjp("special.i1e", _i1e)
defvjp("special.log_softmax", _log_softmax)
defvjp("special.logsumexp", _logsumexp)
defvjp("special.gammainc", None, _gammainc_x(1.0))
defvjp("special.gammaincc", None, _gammainc_x(-1.0))
defvjp("special.betainc", None, None, _betainc_x(1.0))
defvjp("special.betaincc", None, None, _betainc_x(-1.0))
defvjp("special.stdtr", None, _stdtr_t)
defvjp("special.chdtrc", None, _chdtrc_x)
