"""Conformance records of the ``special`` submodule (SciPy's names).

Each function is checked on a matrix, a 0-d and an empty input, in a domain
where it is smooth (``logit``/``ndtri``/``erfinv`` inside their open
intervals, ``gammaln``/``digamma``/``polygamma`` on positive numbers, ``entr``
and ``rel_entr`` on positive numbers). Shape parameters (``a``, ``b``, ``n``,
``v``, ``df``) are constants inside the case: they get no gradient.

``NO_STANDARD``: array-api-strict has no special functions, and these have no
exact composition from the standard (ag_bridge/_special.py), so the forward is
missing there. torch has no ``betainc``: ag_bridge composes it from ``gammaln``
(ag_bridge/_betainc.py), and ``stdtr``/``betaincc`` from it.
"""

from __future__ import annotations

from ._record import Input, record

NO_STANDARD = frozenset({"array_api_strict"})
_SHAPES = ((3, 4), (), (0,))


def _unary(name: str, low: float, high: float, skip: frozenset = frozenset(), **kw) -> None:
    for shape in _SHAPES:
        record(f"special.{name}", lambda xp, x: getattr(xp.special, name)(x), Input(shape, low, high),
               skip=skip, **kw)


_unary("erf", -2.0, 2.0, NO_STANDARD)
_unary("erfc", -2.0, 2.0, NO_STANDARD)
_unary("erfinv", -0.9, 0.9, NO_STANDARD)
_unary("expit", -4.0, 4.0)
_unary("logit", 0.05, 0.95)
_unary("ndtr", -3.0, 3.0, NO_STANDARD)
_unary("log_ndtr", -5.0, 3.0, NO_STANDARD)
_unary("ndtri", 0.05, 0.95, NO_STANDARD)
_unary("gammaln", 0.3, 4.0, NO_STANDARD)
_unary("digamma", 0.3, 4.0, NO_STANDARD)
record("special.psi", lambda xp, x: xp.special.psi(x), Input((3, 2), 0.3, 4.0), skip=NO_STANDARD)
_unary("entr", 0.1, 2.0)
_unary("i0", -3.0, 3.0, NO_STANDARD)
_unary("i1", -3.0, 3.0, NO_STANDARD)
_unary("i0e", -3.0, 3.0, NO_STANDARD)
_unary("i1e", -3.0, 3.0, NO_STANDARD)
# expit far out on both sides (the composition must not overflow)
record("special.expit", lambda xp, x: xp.special.expit(x), Input((6,), 20.0, 40.0, "away"),
       label="6,|x| in [20, 40]")
# i1, i1e at exactly 0 (their derivative is the limit 1/2)
record("special.i1", lambda xp, x: xp.special.i1(x * 0.0), Input((2,)), label="at 0",
       skip=NO_STANDARD, second_order=False)
record("special.i1e", lambda xp, x: xp.special.i1e(x * 0.0), Input((2,)), label="at 0",
       skip=NO_STANDARD, second_order=False)

for _n in (1, 2):
    record("special.polygamma", lambda xp, x, n=_n: xp.special.polygamma(n, x), Input((3, 2), 0.5, 3.0),
           label=f"n={_n}", skip=NO_STANDARD)

_POS = Input((2, 3), 0.2, 2.0)
for _name in ("xlogy", "xlog1py", "rel_entr"):
    record(f"special.{_name}", lambda xp, x, y, f=_name: getattr(xp.special, f)(x, y), _POS, _POS)
    record(f"special.{_name}", lambda xp, x, y, f=_name: getattr(xp.special, f)(x, y),
           Input((2, 1), 0.2, 2.0), Input((3,), 0.2, 2.0), label="broadcast")
    record(f"special.{_name}", lambda xp, y, f=_name: getattr(xp.special, f)(1.5, y), Input((3,), 0.2, 2.0),
           label="1.5,y")

for _axis in (None, 0, -1, (0, 1)):
    if _axis != (0, 1):
        record("special.log_softmax", lambda xp, x, a=_axis: xp.special.log_softmax(x, axis=a),
               Input((3, 4)), label=f"3x4,axis={_axis}")
    for _keep in (False, True):
        record("special.logsumexp",
               lambda xp, x, a=_axis, k=_keep: xp.special.logsumexp(x, axis=a, keepdims=k),
               Input((3, 4)), label=f"3x4,axis={_axis},keepdims={_keep}")
record("special.logsumexp", lambda xp, x: xp.special.logsumexp(x), Input(()), label="0d")

for _name, _a in (("gammainc", 1.7), ("gammaincc", 0.6)):
    record(f"special.{_name}", lambda xp, x, f=_name, a=_a: getattr(xp.special, f)(a, x),
           Input((2, 3), 0.2, 3.0), label=f"a={_a}", skip=NO_STANDARD)
for _name in ("betainc", "betaincc"):
    record(f"special.{_name}", lambda xp, x, f=_name: getattr(xp.special, f)(2.5, 1.5, x),
           Input((2, 3), 0.1, 0.9), label="a=2.5,b=1.5", skip=NO_STANDARD)
record("special.stdtr", lambda xp, t: xp.special.stdtr(4.0, t), Input((2, 3), -3.0, 3.0), label="df=4",
       skip=NO_STANDARD)
record("special.chdtrc", lambda xp, x: xp.special.chdtrc(3.0, x), Input((2, 3), 0.2, 5.0), label="v=3",
       skip=NO_STANDARD)
