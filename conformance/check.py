"""Check one conformance case on one backend.

Checks (each returns the worst error relative to its tolerance; ok when <= 1):

* ``fd``: ag_bridge's VJP against central finite differences in float64 (for
  complex inputs, in the real and the imaginary direction: the
  conjugate-Wirtinger gradient dL/dRe + i dL/dIm); a record with
  ``expected`` (a kink whose convention central differences do not give:
  clip at its bounds) is compared with that analytic gradient instead;
* ``second``: the gradient of M = sum(Re(grad f * w)) (grad f from
  create_graph=True; ``w`` random directions, complex for complex inputs)
  against finite differences of M in the real and imaginary directions --
  the same convention as the first order, so real and complex inputs are
  checked alike;
* ``native``: against the library's own autodiff (torch.autograd, jax.vjp)
  running the same case on raw arrays, where the backend has one;
* ``native2``: the same Hessian-vector product as ``second`` (same output
  cotangents ``v``, same directions ``w``) against the library's own double
  backward (``Backend.native_hvp``: torch.autograd.grad with
  create_graph=True, nested jax.vjp conjugated into PyTorch's convention),
  for real and complex inputs of cases with ``second_order``, where the
  backend has one; tolerance 10x the case's, as ``second`` against a
  reference backend. ``Case.native_skip`` turns off both native checks,
  ``Case.native2_skip`` only this one (the library's own second order is
  missing or wrong there); so does a ``no-oracle`` gap of
  conformance/expectations/<backend>.toml. A library that cannot run the
  case under autodiff at all (``native_vjp`` raises) is no oracle for either
  order; one whose first order runs but whose double backward raises fails
  ``native2`` (declare it, with a reason).

:func:`check_single` adds the single-precision check: the same inputs and
cotangents, rounded to float32/complex64, give gradients of that dtype that
agree with the float64/complex128 reference to single precision.
"""

from __future__ import annotations

import zlib
from dataclasses import dataclass, field
from typing import Any

import numpy as np

import ag_bridge
from ag_bridge import autograd

from ._record import Case, make_inputs

__all__ = ["CaseResult", "check_case", "check_single", "gradients"]


@dataclass
class CaseResult:
    """Outcome of the checks of one case on one backend."""

    case: Case
    backend: str
    grads: list = field(default_factory=list)
    hvp: list | None = None
    errors: dict = field(default_factory=dict)  # check -> (ratio, message)

    @property
    def ok(self) -> bool:
        """True when every check ran within tolerance."""
        return all(r <= 1.0 for r, _ in self.errors.values())

    def report(self) -> str:
        """One line per check, for assertion messages."""
        return "; ".join(f"{k}: {m}" for k, (r, m) in self.errors.items() if r > 1.0) or "ok"


def _rng(case: Case, dtype: Any) -> np.random.Generator:
    return np.random.default_rng(zlib.crc32(f"{case.id}/{np.dtype(dtype).name}".encode()))


def _flat(out: Any) -> list:
    return list(out) if isinstance(out, (tuple, list)) else [out]


def _loss(outs: list, vs: list) -> float:
    return float(sum(np.sum(np.real(np.conj(v) * o)) for o, v in zip(outs, vs)))


def _forward(case: Case, b: Any, xs: list) -> list:
    arrays = [ag_bridge.asarray(x, backend=b) for x in xs]
    return [o.asnumpy() for o in _flat(case.fn(b.namespace, *arrays))]


def gradients(case: Case, b: Any, xs: list, vs: list) -> list:
    """ag_bridge's cotangents of the case's inputs for output cotangents ``vs``."""
    arrays = [ag_bridge.asarray(x, backend=b) for x in xs]
    for a in arrays:
        a.attach_grad()
    with autograd.record():
        outs = _flat(case.fn(b.namespace, *arrays))
    heads = [o for o in outs if o._node is not None]
    hv = [ag_bridge.asarray(v, backend=b) for o, v in zip(outs, vs) if o._node is not None]
    if heads:
        autograd.backward(heads, hv)
    return [a.grad.asnumpy() for a in arrays]


def _fd(f: Any, xs: list, eps: float) -> list:
    """Central differences of the real scalar function ``f(xs)``."""
    out = []
    for i, x in enumerate(xs):
        g = np.zeros(x.shape, dtype=x.dtype)
        dirs = (1.0, 1j) if x.dtype.kind == "c" else (1.0,)
        for j in range(x.size):
            for d in dirs:
                xp_, xm_ = [y.copy() for y in xs], [y.copy() for y in xs]
                xp_[i].reshape(-1)[j] += d * eps
                xm_[i].reshape(-1)[j] -= d * eps
                g.reshape(-1)[j] += d * (f(xp_) - f(xm_)) / (2 * eps)
        out.append(g)
    return out


def _compare(ours: list, ref: list, case: Case, scale: float = 1.0) -> tuple[float, str]:
    worst, msg = 0.0, "ok"
    for i, (a, r) in enumerate(zip(ours, ref)):
        a = np.asarray(a, dtype=np.result_type(a, r))
        r = np.asarray(r)
        if a.shape != r.shape:
            return np.inf, f"input {i}: gradient shape {a.shape}, expected {r.shape}"
        if a.size == 0:
            continue
        tol = scale * (case.atol + case.rtol * np.abs(r))
        with np.errstate(invalid="ignore"):
            err = np.abs(a - r)
        bad = ~(np.isfinite(a) == np.isfinite(r))
        ratio = float(np.max(np.where(np.isfinite(err), err / tol, np.where(bad, np.inf, 0.0))))
        if ratio > worst:
            worst = ratio
            j = int(np.argmax(np.where(np.isfinite(err), err / tol, np.inf)))
            msg = (f"input {i} element {j}: got {a.reshape(-1)[j]!r}, expected {r.reshape(-1)[j]!r} "
                   f"(max |diff| {np.nanmax(err):.3g})")
    return worst, msg


def check_case(case: Case, backend: Any, dtype: Any = np.float64, second_order: bool = True,
               native: bool = True, fd: bool = True, reference: Any = None) -> CaseResult:
    """Run the checks of ``case`` on ``backend`` (name or Backend) for ``dtype`` inputs.

    With ``reference`` (the :class:`CaseResult` of the same case on a backend
    already checked against finite differences, e.g. NumPy), the gradient and
    the Hessian-vector product are compared with it (``cross``/``second``)
    instead of re-running finite differences: the same inputs and cotangents
    are drawn on every backend.
    """
    b = ag_bridge.load_backend(backend)
    rng = _rng(case, dtype)
    xs = make_inputs(case, rng, dtype)
    outs = _forward(case, b, xs)
    vs = [_draw(rng, o) for o in outs]
    res = CaseResult(case, b.name)
    res.grads = gradients(case, b, xs, vs)
    if reference is not None:
        res.errors["cross"] = _compare(res.grads, reference.grads, case)
    elif fd:
        ref = (case.expected(xs, vs) if case.expected is not None else
               _fd(lambda ys: _loss(_forward(case, b, ys), vs), xs, case.eps))
        res.errors["fd"] = _compare(res.grads, ref, case)
    ws: list = []  # directions of the Hessian-vector product (second, native2)
    if second_order and case.second_order and np.dtype(dtype).kind in "fc":
        ws = [_draw(rng, x) for x in xs]
        res.hvp = _hvp(case, b, xs, vs, ws)
        if reference is not None:
            if reference.hvp is not None:
                res.errors["second"] = _compare(res.hvp, reference.hvp, case, scale=10.0)
        else:
            ref = _fd(lambda ys: float(sum(np.sum(np.real(g * w)) for g, w in
                                           zip(gradients(case, b, ys, vs), ws))), xs, case.eps)
            res.errors["second"] = _compare(res.hvp, ref, case, scale=100.0)
    if native and b.name not in case.native_skip:
        nat = _native(case, b, xs, vs)
        if nat is not None:
            res.errors["native"] = _compare(res.grads, nat, case)
            # the HVP exists only for second-order cases (see above)
            if res.hvp is not None and b.name not in case.native2_skip:
                nat2 = _native2(case, b, xs, vs, ws)
                if nat2 is not None:
                    res.errors["native2"] = (nat2 if isinstance(nat2, tuple)
                                             else _compare(res.hvp, nat2, case, scale=10.0))
    return res


#: normwise tolerance of single precision against the double-precision gradient
SINGLE_RTOL = 1e-4
_NARROW = {"float64": np.float32, "complex128": np.complex64}


def check_single(case: Case, backend: Any, reference: CaseResult) -> tuple[float, str]:
    """Gradients of ``case`` in single precision (float32, or complex64 when
    ``reference`` was run in complex128) against ``reference``, the double
    precision result of the same case: the inputs and output cotangents are
    those of :func:`check_case`, rounded. The gradients must keep the single
    dtype, and each must agree within ``SINGLE_RTOL`` of its largest entry
    (at least of 0.1).
    Returns ``(ratio, message)`` as the other checks (ok when ratio <= 1)."""
    b = ag_bridge.load_backend(backend)
    wide = np.dtype(reference.grads[0].dtype if reference.grads else np.float64)
    rng = _rng(case, wide)
    xs = make_inputs(case, rng, wide)
    outs = _forward(case, ag_bridge.load_backend("numpy"), xs)
    vs = [_draw(rng, o) for o in outs]
    narrow = _NARROW[wide.name]
    got = gradients(case, b, [x.astype(narrow) for x in xs],
                    [v.astype(_NARROW.get(v.dtype.name, v.dtype)) for v in vs])
    worst, msg = 0.0, "ok"
    for i, (g, r) in enumerate(zip(got, reference.grads)):
        if g.dtype != narrow:
            return np.inf, f"input {i}: gradient dtype {g.dtype}, expected {np.dtype(narrow)}"
        if r.size == 0:
            continue
        finite = np.isfinite(r)
        if not np.array_equal(finite, np.isfinite(g)):
            return np.inf, f"input {i}: non-finite entries differ from the double-precision gradient"
        # the records' data are O(1): a floor of 0.1 covers gradients that vanish in double
        # precision (det's adjugate at rank n-2) but are rounding noise in single
        scale = SINGLE_RTOL * max(float(np.max(np.abs(r[finite]), initial=0.0)), 0.1)
        ratio = float(np.max(np.abs(g[finite] - r[finite]), initial=0.0)) / scale
        if ratio > worst:
            worst = ratio
            msg = f"input {i}: max |single - double| is {ratio * scale:.3g} (allowed {scale:.3g})"
    return worst, msg


def _draw(rng: np.random.Generator, like: np.ndarray) -> np.ndarray:
    v = rng.standard_normal(like.shape)
    if like.dtype.kind == "c":
        v = v + 1j * rng.standard_normal(like.shape)
    return np.asarray(v, dtype=like.dtype if like.dtype.kind in "fc" else np.float64)


def _hvp(case: Case, b: Any, xs: list, vs: list, ws: list) -> list:
    arrays = [ag_bridge.asarray(x, backend=b) for x in xs]
    for a in arrays:
        a.attach_grad()
    with autograd.record():
        outs = _flat(case.fn(b.namespace, *arrays))
        pairs = [(o, ag_bridge.asarray(v, backend=b)) for o, v in zip(outs, vs) if o._node is not None]
        if not pairs:
            return [np.zeros_like(x) for x in xs]
        gs = autograd.grad([p[0] for p in pairs], arrays, [p[1] for p in pairs], create_graph=True)
        xp = b.namespace
        m = None
        for g, w in zip(gs, ws):
            gw = g * ag_bridge.asarray(w, backend=b)
            t = xp.sum(xp.real(gw) if np.iscomplexobj(w) else gw)
            m = t if m is None else m + t
    if m is None or m._node is None:
        return [np.zeros_like(x) for x in xs]
    m.backward()
    return [a.grad.asnumpy() for a in arrays]


def _native(case: Case, b: Any, xs: list, vs: list) -> list | None:
    raw_in = [b.asarray(x) for x in xs]
    raw_v = [b.asarray(v) for v in vs]
    try:
        out = b.native_vjp(lambda *a: case.fn(b.rule_xp, *a), tuple(raw_in), tuple(raw_v))
    except Exception:  # the library's own autodiff cannot run this case: no oracle
        return None
    if out is None:
        return None
    return [b.to_numpy(g) if g is not None else np.zeros_like(x) for g, x in zip(out, xs)]


def _native2(case: Case, b: Any, xs: list, vs: list, ws: list) -> list | tuple | None:
    """The library's HVP (:meth:`Backend.native_hvp`) as NumPy arrays, None when it has
    none, or a failed ``(inf, message)`` when its double backward raises (its first
    order ran: ``_native`` returned gradients)."""
    raw_in = [b.asarray(x) for x in xs]
    try:
        out = b.native_hvp(lambda *a: case.fn(b.rule_xp, *a), tuple(raw_in),
                           tuple(b.asarray(v) for v in vs), tuple(b.asarray(w) for w in ws))
    except Exception as e:  # reported, not swallowed: opt out with Case.native2_skip and a reason
        return np.inf, f"native double backward raised {type(e).__name__}: {e}"
    if out is None:
        return None
    return [b.to_numpy(h) if h is not None else np.zeros_like(x) for h, x in zip(out, xs)]
