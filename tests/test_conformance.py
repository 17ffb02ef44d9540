"""Every conformance record, on every installed backend: finite differences,
second order, and the library's own autodiff where it has one."""

from __future__ import annotations

import numpy as np
import pytest

from ag_bridge.conformance import all_cases, check_case

from .conftest import BACKENDS, on_backend

CASES = all_cases()
# NumPy and array-api-strict are checked against finite differences; the other
# backends against NumPy's (already checked) gradients and Hessian-vector
# products, and against their own autodiff -- the same numbers, much faster.
FD_BACKENDS = ("numpy", "array_api_strict")
_REFERENCE: dict = {}


def _reference(case, dtype):
    key = (case.id, id(case), np.dtype(dtype).name)
    if key not in _REFERENCE:
        with on_backend("numpy"):
            _REFERENCE[key] = check_case(case, "numpy", dtype, native=False)
    return _REFERENCE[key]


def _check(case, name, dtype):
    ref = None if name in FD_BACKENDS else _reference(case, dtype)
    with on_backend(name):
        res = check_case(case, name, dtype, reference=ref)
    if name == "numpy" and res.ok:
        _REFERENCE[(case.id, id(case), np.dtype(dtype).name)] = res
    return res


def _skip(case, name):
    if name in case.skip:
        pytest.skip(f"backend '{name}' lacks the forward of {case.op}")


@pytest.mark.parametrize("name", BACKENDS)
@pytest.mark.parametrize("case", CASES, ids=[c.id for c in CASES])
def test_real(case, name):
    _skip(case, name)
    res = _check(case, name, np.float64)
    assert res.ok, f"{case.id} on {name}: {res.report()}"


COMPLEX = [c for c in CASES if c.complex]


@pytest.mark.parametrize("name", BACKENDS)
@pytest.mark.parametrize("case", COMPLEX, ids=[c.id for c in COMPLEX])
def test_complex(case, name):
    _skip(case, name)
    res = _check(case, name, np.complex128)
    assert res.ok, f"{case.id} (complex128) on {name}: {res.report()}"
