"""The regularized incomplete beta function I_x(a, b), composed for libraries that lack it.

torch (and any library without ``betainc`` but with ``gammaln``) gets it here, so
``stdtr``, ``betaincc`` and with them SciPy's ``pearsonr`` and ``ttest_*`` p-values
work there. The method is the textbook one (DLMF 8.17.22, evaluated by the modified
Lentz algorithm, as in Numerical Recipes' ``betacf``):

    I_x(a, b) = x^a (1 - x)^b / (a B(a, b)) * 1 / (1 + d1 / (1 + d2 / (1 + ...)))
    d_{2m+1} = -(a + m)(a + b + m) x / ((a + 2m)(a + 2m + 1))
    d_{2m}   = m (b - m) x / ((a + 2m - 1)(a + 2m))

used where x < (a + 1) / (a + b + 2) (where it converges fast) and through the
symmetry I_x(a, b) = 1 - I_{1-x}(b, a) elsewhere. The fraction is evaluated to a
fixed depth (:data:`TERMS`) with the standard's element-wise functions only, so it is
vectorised over the elements, and lazy libraries build it without evaluating
anything. The depth suffices for a relative error below about 1e-13 in float64 for
a, b up to about 1e4 (``tests/test_betainc.py`` checks it against SciPy); the
fraction converges in O(sqrt(max(a, b))) terms, so larger parameters lose accuracy.
Outside the domain (a <= 0, b <= 0, x outside [0, 1], NaN) the value is NaN.

Its VJP (``ag_bridge/rules/special.py``) is the one of every ``betainc``: only in x.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

__all__ = ["TERMS", "composed_betainc"]

#: pairs of continued-fraction terms evaluated (each pair: one even, one odd term)
TERMS = 256


def composed_betainc(xp: Any, gammaln: Callable, like: Callable) -> Callable:
    """``betainc(a, b, x)`` on raw arrays of namespace ``xp``, from ``gammaln`` and the
    standard; ``like(xp, v, other)`` turns a Python number into an array like ``other``."""

    def betainc(a: Any, b: Any, x: Any, /) -> Any:
        """The regularized incomplete beta function I_x(a, b) (composed by ag_bridge:
        a continued fraction of fixed depth, see ``ag_bridge/_betainc.py``)."""
        other = next((v for v in (x, a, b) if not isinstance(v, (int, float))), None)
        a, b, x = (like(xp, v, other) for v in (a, b, x))
        a, b, x = xp.broadcast_arrays(a, b, x)
        valid = (a > 0) & (b > 0) & (x >= 0) & (x <= 1)
        one = xp.ones_like(x)
        swap = valid & (x * (a + b + 2) > a + 1)
        p = xp.where(valid, xp.where(swap, b, a), one)
        q = xp.where(valid, xp.where(swap, a, b), one)
        y = xp.where(swap, 1 - x, x)
        edge = valid & (y == 0)  # x == 0 or x == 1
        y = xp.where(valid & ~edge, y, 0.5 * one)
        log_front = p * xp.log(y) + q * xp.log1p(-y) - xp.log(p) - _log_beta(xp, gammaln, p, q)
        r = xp.exp(log_front) * _fraction(xp, p, q, y)
        r = xp.where(swap, 1 - r, r)
        r = xp.where(edge, xp.where(swap, one, xp.zeros_like(x)), r)
        return xp.where(valid, r, xp.full_like(x, float("nan")))

    return betainc


#: Stirling's series of log Gamma(z) - ((z - 1/2) log z - z + log(2 pi)/2), in 1/z (DLMF 5.11.1)
_STIRLING = (1 / 12, -1 / 360, 1 / 1260, -1 / 1680, 1 / 1188, -691 / 360360, 1 / 156)


def _stirling_rest(xp: Any, z: Any) -> Any:
    w = 1 / (z * z)
    acc = _STIRLING[-1] * xp.ones_like(z)
    for c in _STIRLING[-2::-1]:
        acc = acc * w + c
    return acc / z


def _log_beta(xp: Any, gammaln: Callable, p: Any, q: Any) -> Any:
    """log B(p, q). log Gamma(big) - log Gamma(big + small) cancels badly for a large
    parameter (t-test: b = 1/2, a = df/2), so for big >= 10 that difference is taken
    from Stirling's series (error below 1e-16 there) instead of two gammaln calls."""
    big, small = xp.maximum(p, q), xp.minimum(p, q)
    large = big >= 10
    z = xp.where(large, big, 10 * xp.ones_like(big))
    diff = (-(z - 0.5) * xp.log1p(small / z) - small * xp.log(z + small) + small
            + _stirling_rest(xp, z) - _stirling_rest(xp, z + small))
    direct = gammaln(big) - gammaln(big + small)
    return gammaln(small) + xp.where(large, diff, direct)


def _fraction(xp: Any, p: Any, q: Any, y: Any) -> Any:
    """1 / (1 + d1 / (1 + d2 / ...)) by the modified Lentz algorithm, :data:`TERMS` pairs."""
    tiny = 1e-30 if y.dtype == xp.float32 else 1e-300

    def nonzero(v: Any) -> Any:
        return xp.where(xp.abs(v) < tiny, tiny * xp.ones_like(v), v)

    c = xp.ones_like(y)
    d = 1 / nonzero(1 - (p + q) * y / (p + 1))
    h = d
    for m in range(1, TERMS + 1):
        for coef in (m * (q - m) * y / ((p + (2 * m - 1)) * (p + 2 * m)),
                     -(p + m) * (p + q + m) * y / ((p + 2 * m) * (p + (2 * m + 1)))):
            d = 1 / nonzero(1 + coef * d)
            c = nonzero(1 + coef / c)
            h = h * d * c
    return h
