"""Run OpInfo's samples (:mod:`.opinfo`) through ag_bridge on any backend.

For each translated sample, at first order the gradient of
``L = sum(Re(conj(v) * f(x)))`` (random output cotangents ``v``) and at
second order the Hessian-vector product of ``M = sum(Re(grad L * w))``
(random directions ``w``, torch's double-backward convention, as
:mod:`.check`) are compared with torch.autograd run on the OpInfo operator
itself (the oracle: the same inputs, cotangents and directions on every
backend). When they disagree, central finite differences of torch's forward
(first order) or of torch's gradient (second order) arbitrate:

* ag_bridge agrees with finite differences and torch does not: torch is
  wrong; that must be declared in ``expectations/torch.opinfo.toml`` (a
  ``no-oracle`` gap on ``native``/``native2`` with the evidence), and the
  sample counts as a match;
* torch agrees and ag_bridge does not: ag_bridge is wrong (a failure, unless
  the backend's expectations declare it ``xfail``);
* both agree with finite differences: rounding, a match.

Each (sample, backend, order) gets one :class:`Outcome`: ``match``,
``declared`` (a declared gap of the backend, or a function it lacks),
``untranslated`` (no translation: counted, never forced) or ``fail``.
"""

from __future__ import annotations

import zlib
from collections import Counter
from dataclasses import asdict, dataclass
from functools import cache
from typing import Any

import numpy as np

import ag_bridge

from . import opinfo
from ._record import Case
from .check import _draw, _fd, _flat, _forward, _hvp, _loss, gradients
from .expectations import DIRECTORY, Expectations
from .expectations import load as load_expectations

__all__ = ["Outcome", "STATUSES", "run", "totals", "oracle", "select", "expectations"]

STATUSES = ("match", "declared", "untranslated", "fail")
#: normwise tolerances: ag_bridge against torch, and either against finite differences
RTOL = {1: 1e-7, 2: 1e-6}
FD_RTOL = 1e-4


@dataclass
class Outcome:
    """One (sample, backend, order): its status and, unless a match, why."""

    backend: str
    sample: str
    std: str
    dtype: str
    order: int
    status: str
    message: str = ""

    def as_dict(self) -> dict:
        """The JSON form."""
        return asdict(self)


@dataclass
class _Oracle:
    xs: list
    outs: list
    vs: list
    ws: list
    ref: dict  # order -> torch's gradients / HVP (None: torch cannot run it)
    fd: dict  # order -> finite differences (computed on demand)


def _close(a: list, r: list, rtol: float) -> tuple[bool, str]:
    worst, msg = 0.0, ""
    for i, (x, y) in enumerate(zip(a, r)):
        x, y = np.asarray(x), np.asarray(y)
        if x.shape != y.shape:
            return False, f"input {i}: shape {x.shape}, expected {y.shape}"
        if y.size == 0:
            continue
        if not np.array_equal(np.isfinite(x), np.isfinite(y)):
            return False, f"input {i}: non-finite entries differ"
        fin = np.isfinite(y)
        err = float(np.max(np.abs(x[fin] - y[fin]), initial=0.0))
        scale = max(1.0, float(np.max(np.abs(y[fin]), initial=0.0)))
        if err / scale > worst:
            worst, msg = err / scale, f"input {i}: max |diff| {err:.3g} (scale {scale:.3g})"
    return worst <= rtol, msg


def _torch() -> Any:
    return ag_bridge.load_backend("torch")


def oracle(s: opinfo.Sample, order: int) -> _Oracle:
    """Torch's forward, gradient (order 1) or Hessian-vector product (order 2) of sample ``s``."""
    k = (s.id, s.dtype, order)
    if k not in _ORACLES:
        _ORACLES[k] = _compute_oracle(s, order)
    return _ORACLES[k]


#: (sample id, dtype, order) -> torch's results, shared by every backend of a run
_ORACLES: dict = {}


def _compute_oracle(s: opinfo.Sample, order: int) -> _Oracle:
    sid, dtype = s.id, s.dtype
    tb = _torch()
    ts = [tb.asarray(x) for x in s.xs]
    outs = [tb.to_numpy(o) for o in _flat(s.torch_fn(*ts))]
    rng = np.random.default_rng(zlib.crc32(f"{sid}/{dtype}".encode()))
    vs = [_draw(rng, o) for o in outs]
    ws = [_draw(rng, x) for x in s.xs]
    o = _Oracle(list(s.xs), outs, vs, ws, {}, {})
    tv = tuple(tb.asarray(v) for v in vs)
    try:
        if order == 1:
            g = tb.native_vjp(s.torch_fn, tuple(ts), tv)
        else:
            g = tb.native_hvp(s.torch_fn, tuple(ts), tv, tuple(tb.asarray(w) for w in ws))
        o.ref[order] = [tb.to_numpy(x) if x is not None else np.zeros_like(y) for x, y in zip(g, s.xs)]
    except Exception as e:  # torch cannot differentiate this sample: finite differences decide
        o.ref[order] = None
        o.fd["why"] = f"torch raised {type(e).__name__}: {str(e).splitlines()[0][:120]}"
    return o


def _fd_of(s: opinfo.Sample, o: _Oracle, order: int, torch_first_ok: bool = True) -> list:
    """Finite differences of torch's forward (order 1) or of the first-order gradient
    (order 2: torch's, or ag_bridge's on NumPy where torch's is declared wrong)."""
    if order not in o.fd:
        tb = _torch()

        def f(ys: list) -> float:
            return _loss([tb.to_numpy(t) for t in _flat(s.torch_fn(*[tb.asarray(y) for y in ys]))], o.vs)

        if order == 1:
            o.fd[1] = _fd(f, o.xs, 1e-6)
        elif not torch_first_ok:  # torch's first order is declared wrong: ag_bridge's (NumPy)
            nb = ag_bridge.load_backend("numpy")
            case = Case(s.std, s.fn, ())
            with ag_bridge.use_backend(nb):
                o.fd[2] = _fd(lambda ys: float(sum(np.sum(np.real(g * w)) for g, w in zip(
                    gradients(case, nb, ys, o.vs), o.ws))), o.xs, 1e-6)
        else:
            def m(ys: list) -> float:
                g = tb.native_vjp(s.torch_fn, tuple(tb.asarray(y) for y in ys),
                                  tuple(tb.asarray(v) for v in o.vs))
                return float(sum(np.sum(np.real(tb.to_numpy(x) * w)) for x, w in zip(g, o.ws)
                                 if x is not None))
            o.fd[2] = _fd(m, o.xs, 1e-6)
    return o.fd[order]


def expectations(backend: str) -> Expectations:
    """The declared gaps of ``backend`` for OpInfo samples: its
    ``expectations/<backend>.toml`` and ``expectations/<backend>.opinfo.toml``
    (same format; OpInfo-only entries live in the second file, so the records'
    published matrix, which hashes the first, does not go stale). In torch's,
    ``no-oracle`` gaps on ``native``/``native2`` declare torch's own gradient
    wrong for a sample, with the finite-difference evidence."""
    base = load_expectations(backend)
    extra = DIRECTORY / f"{backend}.opinfo.toml"
    if not extra.exists():
        return base
    return Expectations(backend, load_expectations(backend, extra).gaps + base.gaps)


def _gap(exp: Expectations, s: opinfo.Sample, check: str) -> Any:
    return (exp.find(f"opinfo.{s.entry}", s.id, s.dtype, check)
            or exp.find(s.std, s.id, s.dtype, check))


def run_sample(s: opinfo.Sample, b: Any, order: int, exp: Expectations,
               torch_exp: Expectations) -> Outcome:
    """The outcome of sample ``s`` on backend ``b`` (loaded) at ``order``."""
    def out(status: str, msg: str = "") -> Outcome:
        return Outcome(b.name, s.id, s.std, s.dtype, order, status, msg)

    if s.untranslated:
        return out("untranslated", s.untranslated)
    gap = exp.not_provided(s.std, s.id, s.dtype)
    if gap is not None:
        return out("declared", f"not provided: {gap.reason}")
    check = "fd" if order == 1 else "second"
    declared = _gap(exp, s, check) or _gap(exp, s, "forward")
    o = oracle(s, order)
    case = Case(s.std, s.fn, ())
    try:
        with ag_bridge.use_backend(b):
            fwd = _forward(case, b, o.xs)
            ok, msg = _close(fwd, o.outs, 1e-9)
            if not ok:
                return _fail(out, declared, f"forward differs from torch's ({msg}): translation or "
                                            "forward bug")
            got = gradients(case, b, o.xs, o.vs) if order == 1 else _hvp(case, b, o.xs, o.vs, o.ws)
    except NotImplementedError as e:
        return out("declared", f"not provided: {str(e).splitlines()[0]}")
    except Exception as e:
        msg = f"{type(e).__name__}: {str(e).splitlines()[0][:200]}"
        return out("declared" if declared is not None else "fail", msg)
    def torch_ok(check: str) -> bool:
        gap = torch_exp.find(f"opinfo.{s.entry}", s.id, s.dtype, check)
        return gap is None or gap.kind != "no-oracle"

    ref = o.ref.get(order) if torch_ok("native" if order == 1 else "native2") else None
    if ref is not None and _close(got, ref, RTOL[order])[0]:
        return _strict(out, declared, "match")
    try:
        fd = _fd_of(s, o, order, torch_ok("native"))
    except Exception as e:
        why = _close(got, ref, RTOL[order])[1] if ref is not None else o.fd.get("why", "declared wrong")
        return _fail(out, declared, f"disagrees with torch ({why}); finite differences raised "
                                    f"{type(e).__name__}: {str(e).splitlines()[0][:120]}")
    ag_ok, ag_msg = _close(got, fd, FD_RTOL)
    if ref is None:  # torch declared wrong (or unable): finite differences are the reference
        return _strict(out, declared, "match") if ag_ok else _fail(out, declared, f"against finite "
                                                                   f"differences: {ag_msg}")
    t_ok, t_msg = _close(ref, fd, FD_RTOL)
    if ag_ok and t_ok:
        return _strict(out, declared, "match")
    if ag_ok:
        return out("fail", f"torch's gradient disagrees with finite differences ({t_msg}), ag_bridge "
                           "agrees: declare it in expectations/torch.opinfo.toml (no-oracle, with the "
                           "evidence)")
    return _fail(out, declared, ("against torch and finite differences: " if t_ok else
                                 "neither ag_bridge nor torch agrees with finite differences: ") + ag_msg)


def _strict(out: Any, declared: Any, status: str) -> Outcome:
    if declared is not None and declared.kind == "xfail":
        return out("fail", f"unexpected pass of a declared gap: {declared.reason}")
    return out(status)


def _fail(out: Any, declared: Any, msg: str) -> Outcome:
    if declared is not None:
        return out("declared", f"{declared.reason} ({msg})")
    return out("fail", msg)


def select(samples: list, per_entry: int | None) -> list:
    """A deterministic subset: the first ``per_entry`` samples of every entry
    and dtype (all when None)."""
    if per_entry is None:
        return samples
    seen: Counter = Counter()
    out = []
    for s in samples:
        if seen[(s.entry, s.dtype)] < per_entry:
            seen[(s.entry, s.dtype)] += 1
            out.append(s)
    return out


@cache
def _samples_of(entry: str) -> tuple:
    op = next(op for op in opinfo.entries() if opinfo.key(op) == entry)
    return tuple(s for d in opinfo.DTYPES for s in opinfo.samples(op, d))


def all_samples(entries: Any = None) -> tuple:
    """Every OpInfo sample of the entries in :data:`opinfo.TABLE` (those for which
    ``entries(entry, std)`` is true), both dtypes; generated once per entry."""
    keys = [opinfo.key(op) for op in opinfo.entries()]
    return tuple(s for k in keys if entries is None or entries(k, opinfo.TABLE[k].std)
                 for s in _samples_of(k))


def run(backend: Any, orders: tuple = (1, 2), per_entry: int | None = None, entries: Any = None,
        exp: Expectations | None = None) -> list[Outcome]:
    """Every selected sample on ``backend`` at each of ``orders``; [] when OpInfo
    is unavailable (:func:`opinfo.load` says why). ``entries``: a predicate on
    the OpInfo entry name and the standard name."""
    b = ag_bridge.load_backend(backend)
    exp = exp if exp is not None else expectations(b.name)
    torch_exp = expectations("torch")
    chosen = select(list(all_samples(entries)), per_entry)
    return [run_sample(s, b, order, exp, torch_exp) for order in orders for s in chosen
            if order == 1 or s.gradgrad]


def totals(outcomes: list) -> dict:
    """``{backend: {order: {"samples": n, "match": n, "declared": n, "untranslated": n,
    "fail": n}}}`` (orders as strings, for JSON)."""
    out: dict = {}
    for o in outcomes:
        row = out.setdefault(o.backend, {}).setdefault(
            str(o.order), {"samples": 0, **dict.fromkeys(STATUSES, 0)})
        row["samples"] += 1
        row[o.status] += 1
    return out
