"""Every conformance record, on every installed backend: finite differences,
second order, and the library's own autodiff where it has one."""

from __future__ import annotations

import dataclasses
import os

import numpy as np
import pytest
from ag_bridge.conformance import RECORDS, all_cases, check_case, check_single
from ag_bridge.conformance.expectations import load as load_expectations

import ag_bridge
from ag_bridge._registry import RULES

from .conftest import BACKENDS, on_backend

CASES = all_cases()
# NumPy and array-api-strict are checked against finite differences; the other
# backends against NumPy's (already checked) gradients and Hessian-vector
# products, and against their own autodiff -- the same numbers, much faster.
FD_BACKENDS = ("numpy", "array_api_strict")
_REFERENCE: dict = {}
_EXPECTED: dict = {}


def _reference(case, dtype):
    key = (case.id, id(case), np.dtype(dtype).name)
    if key not in _REFERENCE:
        with on_backend("numpy"):
            _REFERENCE[key] = check_case(case, "numpy", dtype, native=False)
    return _REFERENCE[key]


def _check(case, name, dtype):
    exp = _EXPECTED.setdefault(name, load_expectations(name))
    dt, orig = np.dtype(dtype).name, case
    for chk, attr in (("native", "native_skip"), ("native2", "native2_skip")):  # declared no-oracle
        gap = exp.find(case.op, case.id, dt, chk)
        if gap is not None and gap.kind == "no-oracle":
            case = dataclasses.replace(case, **{attr: getattr(case, attr) | {name}})
    ref = None if name in FD_BACKENDS else _reference(orig, dtype)
    with on_backend(name):
        res = check_case(case, name, dtype, reference=ref)
        xfails = _declared_failures(res, exp, dt)
        if case.single and res.ok:  # float32/complex64 against this backend's checked gradients
            res.errors["single"] = check_single(case, name, res)
    if name == "numpy" and res.ok and not xfails:
        _REFERENCE[(orig.id, id(orig), dt)] = res
    return res, xfails


def _declared_failures(res, exp, dt):
    """Take the checks declared ``xfail`` (conformance/expectations/<backend>.toml) out of
    ``res.errors``; each must fail (an unexpected pass is an error). Their reasons."""
    out = []
    for chk, (ratio, _) in list(res.errors.items()):
        gap = exp.find(res.case.op, res.case.id, dt, "fd" if chk == "cross" else chk)
        if gap is not None and gap.kind == "xfail":
            assert ratio > 1.0, f"{res.case.id} {dt} {chk} on {res.backend}: unexpected pass of a " \
                                f"declared gap ({gap.source}): {gap.reason}"
            del res.errors[chk]
            out.append(f"{chk}: {gap.reason} ({gap.source})")
    return out


# JAX and Dask dispatch eagerly op by op (slow): CI checks the first case of
# every op there; AG_BRIDGE_FULL_CONFORMANCE=1 runs every case on them too.
SAMPLED = () if os.environ.get("AG_BRIDGE_FULL_CONFORMANCE") else ("jax", "dask")


def _firsts(cases):
    seen, out = set(), set()
    for c in cases:
        if c.op not in seen:
            seen.add(c.op)
            out.add(id(c))
    return out


def _skip(case, name, firsts=None):
    if name in case.skip:
        pytest.skip(f"backend '{name}' lacks the forward of {case.op}")
    if name in SAMPLED and firsts is not None and id(case) not in firsts:
        pytest.skip(f"sampled on '{name}' (set AG_BRIDGE_FULL_CONFORMANCE=1 for every case)")


@pytest.mark.parametrize("name", BACKENDS)
@pytest.mark.parametrize("case", CASES, ids=[c.id for c in CASES])
def test_real(case, name):
    _skip(case, name, FIRST_REAL)
    res, xfails = _check(case, name, np.float64)
    assert res.ok, f"{case.id} on {name}: {res.report()}"
    if xfails:
        pytest.xfail("; ".join(xfails))


COMPLEX = [c for c in CASES if c.complex]
FIRST_REAL, FIRST_COMPLEX = _firsts(CASES), _firsts(COMPLEX)


@pytest.mark.parametrize("name", BACKENDS)
@pytest.mark.parametrize("case", COMPLEX, ids=[c.id for c in COMPLEX])
def test_complex(case, name):
    _skip(case, name, FIRST_COMPLEX)
    res, xfails = _check(case, name, np.complex128)
    assert res.ok, f"{case.id} (complex128) on {name}: {res.report()}"
    if xfails:
        pytest.xfail("; ".join(xfails))


# -- the second-order native oracle (native2) is really run, and catches a wrong Hessian ----------------

NATIVE2 = [n for n in ("torch", "jax") if n in BACKENDS]


@pytest.mark.parametrize("name", NATIVE2)
@pytest.mark.parametrize("op", ["tanh", "matmul"])
def test_native2_runs(op, name):
    case = RECORDS[op][0]
    with on_backend(name):
        res = check_case(case, name)
        cplx = check_case(case, name, np.complex128) if case.complex else None
        opted = check_case(dataclasses.replace(case, native2_skip=frozenset({name})), name)
    assert "native2" in res.errors and res.ok, res.report()
    assert cplx is None or ("native2" in cplx.errors and cplx.ok), cplx.report()  # complex too
    assert "native" in opted.errors and "native2" not in opted.errors


def _tanh_first_order_only(xp, g, ans, x):
    """tanh's VJP with the right value but the graph cut at ``ans``: the second derivative is lost."""
    if isinstance(ans, ag_bridge.Array):
        ans = ans.detach()
    return g * (1 - ans * ans)


@pytest.mark.parametrize("name", NATIVE2)
def test_native2_catches_a_wrong_second_derivative(name, monkeypatch):
    monkeypatch.setattr(RULES["tanh"], "fns", (_tanh_first_order_only,))  # restored after the test
    with on_backend(name):
        res = check_case(RECORDS["tanh"][0], name)
    assert res.errors["native"][0] <= 1.0, res.report()  # the first order is right
    assert res.errors["native2"][0] > 1.0, res.report()


# -- the single-precision check compares with the double-precision gradients --------------------------

@pytest.mark.parametrize("dtype", [np.float64, np.complex128], ids=["float32", "complex64"])
def test_single_precision_check_flags_a_wrong_gradient(dtype):
    case = RECORDS["tanh"][0]
    with on_backend("numpy"):
        ref = check_case(case, "numpy", dtype, native=False)
        ok, _ = check_single(case, "numpy", ref)
        assert ok <= 1.0
        bad = dataclasses.replace(ref, grads=[g * (1 + 1e-2) for g in ref.grads])
        ratio, msg = check_single(case, "numpy", bad)
    assert ratio > 1.0 and "single - double" in msg
