"""The ``pytest11`` plugin of ag_bridge's conformance suite, for backend authors' CI::

    pytest --pyargs ag_bridge.conformance --ag-bridge-backend=mylib

runs every conformance record on ``mylib`` (an installed plugin name, an
array-API module, or ``pkg.module:BackendClass``), one test id per case
(``mylib-sin[3x4]``). Declared gaps come from ``--ag-bridge-expectations
PATH.toml`` (first-party backends: their own file). This module imports
nothing heavy: pytest loads it in every run where ag_bridge is installed.
"""

from __future__ import annotations

from typing import Any

OPTIONS = ("ag_bridge_backend", "ag_bridge_expectations", "ag_bridge_full", "ag_bridge_dtype",
           "ag_bridge_order")


def pytest_addoption(parser: Any) -> None:
    """Register the ``--ag-bridge-*`` options."""
    g = parser.getgroup("ag_bridge", "ag_bridge gradient conformance")
    g.addoption("--ag-bridge-backend", action="append", default=[], metavar="NAME|MODULE|pkg.module:Class",
                help="backend to run the conformance suite on (repeat for several)")
    g.addoption("--ag-bridge-expectations", metavar="PATH.toml", help="the backend's declared gaps")
    g.addoption("--ag-bridge-full", action="store_true",
                help="every case on every backend (default: JAX and Dask run the first case of each op)")
    g.addoption("--ag-bridge-dtype", default="float64,complex128,float32,complex64",
                help="comma-separated dtypes")
    g.addoption("--ag-bridge-order", type=int, default=2, choices=(1, 2), help="derivative order")


def pytest_generate_tests(metafunc: Any) -> None:
    """One test per (backend, case) for tests taking the ``ag_bridge_case`` argument."""
    if "ag_bridge_case" not in metafunc.fixturenames:
        return
    import pytest
    from ag_bridge.conformance._env import prepare

    prepare()  # float64, fast XLA compiles: before JAX starts
    from ag_bridge.conformance import all_cases, policy
    from ag_bridge.conformance.backend_spec import BackendSpecError, resolve

    cfg = metafunc.config
    specs = cfg.getoption("ag_bridge_backend")
    if not specs:
        metafunc.parametrize("ag_bridge_case", [pytest.param(None, marks=pytest.mark.skip(
            reason="pass --ag-bridge-backend=NAME to run the conformance suite"))], ids=["no-backend"])
        return
    try:
        backends = [resolve(s) for s in specs]
    except BackendSpecError as e:
        raise pytest.UsageError(f"--ag-bridge-backend: {e}") from None
    cases = all_cases()
    firsts = policy.first_cases(cases)
    full = cfg.getoption("ag_bridge_full") or None
    params = [pytest.param((b.name, c), id=f"{b.name}-{c.id}") for b in backends for c in cases
              if policy.runs_on(c, b.name, firsts, full)]
    metafunc.parametrize("ag_bridge_case", params)
