"""Every conformance record, on every installed backend: finite differences,
second order, and the library's own autodiff where it has one."""

from __future__ import annotations

import numpy as np
import pytest

from ag_bridge.conformance import all_cases, check_case

from .conftest import BACKENDS, on_backend

CASES = all_cases()


def _skip(case, name):
    if name in case.skip:
        pytest.skip(f"backend '{name}' lacks the forward of {case.op}")


@pytest.mark.parametrize("name", BACKENDS)
@pytest.mark.parametrize("case", CASES, ids=[c.id for c in CASES])
def test_real(case, name):
    _skip(case, name)
    with on_backend(name):
        res = check_case(case, name, np.float64)
    assert res.ok, f"{case.id} on {name}: {res.report()}"


COMPLEX = [c for c in CASES if c.complex]


@pytest.mark.parametrize("name", BACKENDS)
@pytest.mark.parametrize("case", COMPLEX, ids=[c.id for c in COMPLEX])
def test_complex(case, name):
    _skip(case, name)
    with on_backend(name):
        res = check_case(case, name, np.complex128)
    assert res.ok, f"{case.id} (complex128) on {name}: {res.report()}"
