"""Every conformance record, on every installed backend: finite differences,
second order, and the library's own autodiff where it has one."""

from __future__ import annotations

import dataclasses

import numpy as np
import pytest
from ag_bridge.conformance import RECORDS, all_cases, check_case, check_single, policy
from ag_bridge.conformance.expectations import load as load_expectations

import ag_bridge
from ag_bridge._registry import RULES
from ag_bridge._state import selection

from .conftest import BACKENDS, on_backend

CASES = all_cases()
COMPLEX = [c for c in CASES if c.complex]
# the run policy (finite differences or NumPy's reference, sampling, single precision, declared
# gaps) lives in the package: ag_bridge.conformance.policy, shared with `ag-bridge conformance`
FIRST_REAL, FIRST_COMPLEX = policy.first_cases(CASES), policy.first_cases(COMPLEX)
_REFERENCE = policy.Reference()
_EXPECTED: dict = {}


def _run(case, name, dtypes, firsts):
    if not policy.runs_on(case, name, firsts):
        pytest.skip(f"sampled on '{name}': reaches no code of its plugin "
                    "(set AG_BRIDGE_FULL_CONFORMANCE=1 for every case)")
    exp = _EXPECTED.setdefault(name, load_expectations(name))
    with on_backend(name):
        cells = policy.run_case(case, name, dtypes,
                                exp=exp, reference=_REFERENCE,
                                device=selection()[1])
    if cells and all(c.status == "not-provided" for c in cells):
        pytest.skip(f"not provided: {cells[0].reason}")
    bad = [c for c in cells if c.status in policy.FAILING]
    assert not bad, f"{case.id} on {name}: " + "; ".join(
        f"{c.dtype} {c.check} {c.status}: {c.message}" for c in bad)


@pytest.mark.parametrize("name", BACKENDS)
@pytest.mark.parametrize("case", CASES, ids=[c.id for c in CASES])
def test_real(case, name):
    _run(case, name, ("float64", "float32"), FIRST_REAL)


@pytest.mark.parametrize("name", BACKENDS)
@pytest.mark.parametrize("case", COMPLEX, ids=[c.id for c in COMPLEX])
def test_complex(case, name):
    _run(case, name, ("complex128", "complex64"), FIRST_COMPLEX)


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


# -- what a sampled backend still runs: every case that reaches its plugin's own code ---------------

def test_cases_reaching_plugin_code_are_not_sampled():
    from ag_bridge.conformance import reach

    if "jax" not in BACKENDS:
        pytest.skip("jax is not installed")
    own = reach.plugin_functions("jax")
    assert {"fftn", "index_add", "permute_dims"} <= own and "asarray" not in own  # plumbing is not
    firsts = policy.first_cases(CASES)
    fftn_s = next(c for c in RECORDS["fft.fftn"] if c.label == "3x5,s=(4,-1)")  # JAX's own `s` fix
    gather = RECORDS["__getitem__"][2]  # its VJP scatters through the plugin's index_add
    plain = RECORDS["sin"][1]  # sin runs through jax.numpy only
    assert id(fftn_s) not in firsts and id(gather) not in firsts and id(plain) not in firsts
    assert policy.runs_on(fftn_s, "jax", firsts, full=False)
    assert policy.runs_on(gather, "jax", firsts, full=False)
    assert not policy.runs_on(plain, "jax", firsts, full=False)
    assert policy.runs_on(plain, "jax", firsts, full=True) and policy.runs_on(plain, "dask", firsts)
