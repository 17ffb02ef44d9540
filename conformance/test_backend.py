"""The conformance suite as pytest tests (collected by ``pytest --pyargs
ag_bridge.conformance --ag-bridge-backend=NAME``; see
:mod:`ag_bridge_pytest`)."""

from __future__ import annotations

import pytest

_STATE: dict = {}


def _expectations(config, name):
    from ag_bridge.conformance import expectations

    key = ("exp", name)
    if key not in _STATE:
        _STATE[key] = expectations.load(name, config.getoption("ag_bridge_expectations"))
    return _STATE[key]


def test_case(ag_bridge_case, request):
    """Every check of one case on one backend (fails on a failure or an unexpected pass)."""
    from ag_bridge.conformance import policy

    name, case = ag_bridge_case
    cfg = request.config
    dtypes = tuple(d.strip() for d in cfg.getoption("ag_bridge_dtype").split(",") if d.strip())
    bad = [d for d in dtypes if d not in policy.DTYPES]
    if bad:
        raise pytest.UsageError(f"--ag-bridge-dtype: unknown {', '.join(bad)}; "
                                f"use {', '.join(policy.DTYPES)}")
    ref = _STATE.setdefault("ref", policy.Reference())
    cells = policy.run_case(case, name, dtypes, cfg.getoption("ag_bridge_order"),
                            exp=_expectations(cfg, name), reference=ref)
    if cells and all(c.status == "not-provided" for c in cells):
        pytest.skip(f"not provided: {cells[0].reason}")
    failing = [c for c in cells if c.status in policy.FAILING]
    if failing:
        pytest.fail("\n".join(f"{c.dtype} {c.check}: {c.status}: {c.message}" for c in failing)
                    + "\nreproducer:\n" + failing[0].reproducer, pytrace=False)
