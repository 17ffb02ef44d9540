"""Differential fuzzing: a CI-sized run per backend, its coverage, and a known-bad rule caught."""

from __future__ import annotations

import pytest

pytest.importorskip("hypothesis")

from ag_bridge.conformance import fuzz, fuzz_cli  # noqa: E402
from ag_bridge.conformance.fuzz_ops import CATEGORIES, TEMPLATES  # noqa: E402

from ag_bridge._registry import RULES  # noqa: E402
from ag_bridge._spec import SPECS  # noqa: E402

from .conftest import BACKENDS  # noqa: E402

DUNDERS = ("__getitem__", "__setitem__", "__iadd__", "__isub__", "__imul__")
#: programs per backend in CI (JAX and Dask dispatch eagerly op by op: fewer there)
CI_PROGRAMS = {"numpy": 150, "torch": 60, "array_api_strict": 60, "jax": 4, "dask": 10}


def test_templates_call_spec_table_ops():
    for name, (ops, category, _) in TEMPLATES.items():
        assert category in CATEGORIES, name
        for op in ops:
            assert op in SPECS or op in DUNDERS, f"template {name} calls {op}, not in the spec table"


@pytest.mark.parametrize("name", BACKENDS)
def test_ci_sized_run(name):
    rep = fuzz.run(name, CI_PROGRAMS.get(name, 20), seed=1234, max_lines=5)
    assert not rep.failures, "\n\n".join(rep.failures)
    if name == "numpy":  # the largest run covers every category the issue lists
        cats = {TEMPLATES[k][1] for k in rep.coverage if k in TEMPLATES and rep.coverage[k]}
        assert cats == set(CATEGORIES), set(CATEGORIES) - cats
        for k in ("complex", "0-d", "empty"):
            assert rep.coverage[k] > 0, k


def _sin_wrong_curvature(xp, g, ans, x):
    """sin's VJP with a 1% error: small enough to need a real check to notice."""
    return g * xp.cos(x) * 1.01


def test_a_known_bad_rule_is_caught_and_shrunk(monkeypatch):
    monkeypatch.setattr(RULES["sin"], "fns", (_sin_wrong_curvature,))
    rep = fuzz.run("numpy", 40, seed=7, max_lines=4)
    assert len(rep.failures) == 1
    repro = rep.failures[0]
    assert "xp.sin(" in repro and "check_program(program" in repro
    body = [ln for ln in repro.splitlines() if ln.startswith("    v")]
    assert len(body) <= 2, repro  # shrunk to (nearly) the bad op alone
    scope: dict = {}
    exec(repro.replace("print(check_program", "result = (check_program"), scope)  # it runs, and still fails
    assert scope["result"] != "ok" and "numpy fd" in scope["result"]


def test_cli_bad_backend_is_one_line(capsys):
    assert fuzz_cli.main(["--backend", "nosuchlib", "--programs", "1"]) == 2
    err = capsys.readouterr().err
    assert err.count("\n") == 1 and "unknown ag_bridge backend 'nosuchlib'" in err


def test_cli_prints_coverage(capsys):
    assert fuzz_cli.main(["--backend", "numpy", "--programs", "5", "--seed", "3"]) == 0
    out = capsys.readouterr().out
    assert "5 programs on numpy (seed 3)" in out and "no failure" in out
