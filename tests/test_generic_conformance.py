"""Every conformance record on libraries that have no plugin, through the generic backend.

marray, cubed, sparse and array-api-strict (its plugin bypassed) run each
record through :func:`ag_bridge._generic.generic_backend`. Gradients and the
second-order (Hessian-vector) products are compared with NumPy's on the same
inputs and cotangents, and NumPy's are checked here against central finite
differences first (``check_case(..., "numpy")``), so every number is checked
against finite differences to first and second order -- except where NumPy's own
second derivative is a declared gap (``numpy.toml``): there only first order is
compared.

What a library lacks or does differently is declared, one file per library,
in ``conformance/expectations/<library>.toml`` (array-api-strict's generic
run: ``array_api_strict.generic.toml``). A declared case that fails is
``xfail`` with the declared reason; a declared case that passes **fails**
(the gap closed: remove the entry); an undeclared failure fails.

Sampling (CI): the first real and the first complex case of every op on
marray and array-api-strict; on sparse (numba compiles each kernel on first
use) the first real case of every op; on cubed, where every evaluation is a
scheduled computation (about 0.2-0.5 s each), the first real case of the ops
in :data:`CUBED_SAMPLE`. ``AG_BRIDGE_FULL_CONFORMANCE=1`` runs every case, in
both dtypes, on all four.
"""

from __future__ import annotations

import os
import warnings

import numpy as np
import pytest
from ag_bridge.conformance import all_cases, check_case
from ag_bridge.conformance.expectations import load

from ._generic_libs import LIBRARIES, backend, installed

FULL = bool(os.environ.get("AG_BRIDGE_FULL_CONFORMANCE"))
LIBS = installed()
CASES = all_cases()
#: cubed's CI sample: one op per chapter of the standard, and the indexing scatter
CUBED_SAMPLE = ("multiply", "sin", "sum", "matmul", "reshape", "__getitem__", "take", "_index_add",
                "where", "cumulative_sum", "linalg.solve", "mean")


def _firsts(cases):
    seen, out = set(), []
    for c in cases:
        if c.op not in seen:
            seen.add(c.op)
            out.append(c)
    return out


def _params():
    out = []
    for lib in LIBS:
        for dtype in ("float64", "complex128"):
            cases = [c for c in CASES if dtype == "float64" or c.complex]
            if not FULL:
                if lib in ("cubed", "sparse") and dtype != "float64":
                    continue
                if lib == "cubed":
                    cases = [c for c in _firsts(cases) if c.op in CUBED_SAMPLE]
                else:
                    cases = _firsts(cases)
            out += [pytest.param(lib, c, dtype, id=f"{lib}-{c.id}-{dtype}") for c in cases]
    return out


_REFERENCE: dict = {}
#: NumPy's own declared gaps: a check NumPy fails there is no reference (only "second" is)
_NUMPY_GAPS = load("numpy")


def _reference(case, dtype):
    """NumPy's result for the case, checked against finite differences (first and second order)."""
    key = (id(case), dtype)
    if key not in _REFERENCE:
        res = check_case(case, "numpy", np.dtype(dtype), native=False)
        broken = {k for k, (r, _) in res.errors.items() if r > 1.0}
        undeclared = {k for k in broken if _NUMPY_GAPS.find(case.op, case.id, dtype, k) is None}
        assert not undeclared, f"NumPy reference of {case.id} ({dtype}): {res.report()}"
        if broken - {"second"}:
            pytest.xfail(f"NumPy's gradient of {case.id} ({dtype}) is a declared gap: no reference")
        if broken:  # NumPy's declared second-order bug (numpy.toml): compare first order only
            res.hvp = None
        _REFERENCE[key] = res
    return _REFERENCE[key]


def _run(lib, case, dtype):
    """``(ok, message)`` of the case on the library's generic backend."""
    ref = _reference(case, dtype)
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            res = check_case(case, backend(lib), np.dtype(dtype), reference=ref, native=False)
    except Exception as exc:  # a missing function, the library's own error
        return False, f"{type(exc).__name__}: {exc}"
    return res.ok, res.report()


@pytest.mark.parametrize(("lib", "case", "dtype"), _params())
def test_record_on_generic_backend(lib, case, dtype):
    gaps = load(lib, _gap_file(lib))
    gap = gaps.find(case.op, case.id, dtype)
    ok, msg = _run(lib, case, dtype)
    if gap is not None:
        assert not ok, (f"{case.id} ({dtype}) on {lib} now passes but is declared as a gap "
                        f"({gap.source}: {gap.reason}); remove the entry")
        pytest.xfail(f"declared ({gap.kind}): {gap.reason}")
    assert ok, f"{case.id} ({dtype}) on {lib} (generic backend): {msg}"


def _gap_file(lib):
    from ag_bridge.conformance.expectations import DIRECTORY

    path = DIRECTORY / f"{LIBRARIES[lib][1]}.toml"
    return path if path.exists() else None


@pytest.mark.parametrize("lib", LIBS)
def test_every_declared_gap_names_a_record(lib):
    """A declared gap that matches no record is stale (renamed op, typo)."""
    gaps = load(lib, _gap_file(lib))
    ids = {c.id for c in CASES} | {c.op for c in CASES}
    import fnmatch

    for g in gaps.gaps:
        assert any(fnmatch.fnmatchcase(i, g.op) or i == g.op for i in ids), f"{g.source}: {g.op}"
