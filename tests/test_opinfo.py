"""PyTorch's OpInfo samples as conformance cases (conformance/opinfo*.py).

The default run checks a deterministic subset on every installed backend
(the first sample of each OpInfo entry and dtype, first and second order; on
JAX, whose eager dispatch is slow, of a third of the entries);
``AG_BRIDGE_FULL_CONFORMANCE=1`` checks every sample. Without torch (or when
its internal test module moved) the tests skip and say why.
"""

from __future__ import annotations

import os
import zlib

import numpy as np
import pytest
from ag_bridge.conformance import opinfo, opinfo_check, opinfo_report
from ag_bridge.conformance.expectations import Expectations, Gap

import ag_bridge

FULL = bool(os.environ.get("AG_BRIDGE_FULL_CONFORMANCE"))
BACKENDS = [b for b in ("numpy", "torch", "array_api_strict", "jax", "dask")
            if b in ag_bridge.available_backends()]


def _need_opinfo() -> None:
    pytest.importorskip("torch")
    db, why = opinfo.load()
    if db is None:
        pytest.skip(why)


def test_missing_module_is_reported_not_raised(monkeypatch):
    """A moved or missing op_db gives a reason, no samples, and a report that says so."""
    opinfo._load.cache_clear()
    monkeypatch.setattr(opinfo, "_MODULE", "torch.testing._internal.no_such_module")
    try:
        db, why = opinfo.load()
        assert db is None and "no_such_module" in why
        assert opinfo.entries() == []
        results = {"cells": [], "backends": {}}
        opinfo_report.collect(results, [ag_bridge.load_backend("numpy")], (1,))
        assert results["opinfo"]["available"] is False
        assert "Not run" in opinfo_report.markdown(results)
        assert "no_such_module" in opinfo_report.text(results)
    finally:
        opinfo._load.cache_clear()


def _translate(fn, s):
    """Translate a hand-made SampleInput of the torch function ``fn`` as entry ``key``."""
    from types import SimpleNamespace

    key, sample = s
    out = opinfo.Sample(f"opinfo.{key}[0]", key, opinfo.TABLE[key].std, "float64", True)
    try:
        opinfo._translate(SimpleNamespace(op=fn), opinfo.TABLE[key], sample, out, hermitian=False)
    except opinfo.Untranslatable as e:
        out.untranslated = str(e)
    return out


def test_argument_conventions_translate():
    """dim -> axis, keepdim -> keepdims, unbiased -> correction, torch's default correction 1,
    dims lists -> tuples, where's argument order; what has no standard spelling is untranslated."""
    torch = pytest.importorskip("torch")
    _need_opinfo()
    from torch.testing._internal.opinfo.core import SampleInput

    x = torch.linspace(-1, 2, 12, dtype=torch.float64).reshape(3, 4).requires_grad_()
    xp = ag_bridge.load_backend("numpy").xp
    xn = x.detach().numpy()
    kw = {"dim": 1, "unbiased": False, "keepdim": True}
    std = _translate(torch.std, ("std", SampleInput(x, kwargs=kw)))
    np.testing.assert_allclose(std.fn(xp, xn), np.std(xn, axis=1, ddof=0, keepdims=True))
    std1 = _translate(torch.std, ("std", SampleInput(x)))
    np.testing.assert_allclose(std1.fn(xp, xn), np.std(xn, ddof=1))
    flip = _translate(torch.flip, ("flip", SampleInput(x, kwargs={"dims": [0, 1]})))
    np.testing.assert_array_equal(flip.fn(xp, xn), xn[::-1, ::-1])
    cond = x > 0.5
    where = _translate(lambda a, c, b: torch.where(c, a, b), ("where", SampleInput(x, args=(cond, -x))))
    np.testing.assert_array_equal(where.fn(xp, xn, -xn), np.where(cond.numpy(), xn, -xn))
    add = _translate(torch.add, ("add", SampleInput(x, args=(x,), kwargs={"alpha": 2})))
    assert "alpha" in add.untranslated
    assert "0-d" in _translate(torch.sum, ("sum", SampleInput(x[0, 0], kwargs={"dim": 0}))).untranslated


def _fake(fn, torch_fn, x):
    s = opinfo.Sample("opinfo.fake[0]", "fake", "square", "float64", True, [x], fn, torch_fn)
    opinfo_check._ORACLES.pop((s.id, s.dtype, 1), None)
    opinfo_check._ORACLES.pop((s.id, s.dtype, 2), None)
    return s


@pytest.mark.parametrize("order", [1, 2])
def test_finite_differences_arbitrate(order):
    """A wrong gradient on either side is caught and blamed on the side that
    disagrees with finite differences; a declared gap turns it into declared/match."""
    _need_opinfo()
    import torch

    b = ag_bridge.load_backend("numpy")
    x = np.array([0.5, -1.5, 2.0])
    none = Expectations("numpy")
    right = lambda xp, a: a * a * a  # noqa: E731
    wrong_ag = lambda xp, a: a * a * xp.asarray(x)  # noqa: E731  (one factor is a constant)
    torch_right = lambda t: t * t * t  # noqa: E731
    torch_wrong = lambda t: t * t * t.detach()  # noqa: E731

    ok = opinfo_check.run_sample(_fake(right, torch_right, x), b, order, none, none)
    assert ok.status == "match", ok.message
    bad = opinfo_check.run_sample(_fake(wrong_ag, torch_right, x), b, order, none, none)
    assert bad.status == "fail" and "against torch and finite differences" in bad.message
    check = "fd" if order == 1 else "second"
    gap = Expectations("numpy", (Gap("opinfo.fake", "xfail", "known", check=check),))
    assert opinfo_check.run_sample(_fake(wrong_ag, torch_right, x), b, order, gap, none).status == "declared"
    blame = opinfo_check.run_sample(_fake(right, torch_wrong, x), b, order, none, none)
    assert blame.status == "fail"  # at order 2 finite differences of torch's wrong gradient decide
    assert order == 2 or "torch's gradient disagrees" in blame.message
    oracle_gap = Expectations("torch", (Gap("opinfo.fake[0]", "no-oracle", "torch is wrong",
                                            check="native*"),))
    assert opinfo_check.run_sample(_fake(right, torch_wrong, x), b, order, none, oracle_gap).status == "match"
    del torch


def _declared_torch_gaps() -> list:
    gaps = opinfo_check.expectations("torch").gaps
    return [g for g in gaps if g.op.startswith("opinfo.") and g.kind == "no-oracle"]


@pytest.mark.parametrize("gap", _declared_torch_gaps(), ids=lambda g: f"{g.op}/{g.dtype}/{g.check}")
def test_declared_torch_gradient_is_wrong(gap):
    """Each declared wrong torch gradient still disagrees with finite differences,
    and ag_bridge (NumPy) agrees with them: the evidence of the declaration."""
    _need_opinfo()
    order = 1 if gap.check == "native" else 2
    s = next(s for s in opinfo_check.all_samples() if gap.matches(f"opinfo.{s.entry}", s.id, s.dtype, "*"))
    o = opinfo_check.oracle(s, order)
    fd = opinfo_check._fd_of(s, o, order)
    assert not opinfo_check._close(o.ref[order], fd, opinfo_check.FD_RTOL)[0]
    b = ag_bridge.load_backend("numpy")
    with ag_bridge.use_backend(b):
        from ag_bridge.conformance.check import _hvp, gradients

        case = opinfo_check.Case(s.std, s.fn, ())
        got = gradients(case, b, o.xs, o.vs) if order == 1 else _hvp(case, b, o.xs, o.vs, o.ws)
    assert opinfo_check._close(got, fd, opinfo_check.FD_RTOL)[0]


def test_opinfo_samples_on_every_backend():
    """The OpInfo samples (first and second order, float64 and complex128) on every
    installed backend: no failure; every sample is a match, declared or untranslated.
    One test (one process) so the slow op_db import and torch's oracle are paid once."""
    _need_opinfo()
    per = None if FULL else 1
    results: dict = {"cells": [], "backends": {}}
    backends = [ag_bridge.load_backend(b) for b in BACKENDS if b != "jax"]
    opinfo_report.collect(results, backends, (1, 2), {b.name: per for b in backends})
    if "jax" in BACKENDS:  # eager JAX costs ~0.2 s CPU a sample: a third of the entries by default
        part: dict = {"cells": [], "backends": {}}
        opinfo_report.collect(part, [ag_bridge.load_backend("jax")], (1, 2), {"jax": per},
                              None if FULL else lambda entry, std: zlib.crc32(entry.encode()) % 3 == 0)
        results["opinfo"]["totals"].update(part["opinfo"]["totals"])
        results["opinfo"]["outcomes"] += part["opinfo"]["outcomes"]
    fails = opinfo_report.failing(results)
    assert not fails, "\n".join(f"{o['backend']} {o['sample']} {o['dtype']} order {o['order']}: "
                                f"{o['message']}" for o in fails[:30])
    tot = results["opinfo"]["totals"]
    assert set(tot) == set(BACKENDS)
    for b, by in tot.items():
        for order, row in by.items():
            assert row["samples"] == row["match"] + row["declared"] + row["untranslated"] + row["fail"]
            assert row["match"] > row["samples"] // 2, (b, order, row)
    md = opinfo_report.markdown(results)
    assert "| numpy | 1 |" in md and "untranslated" in md
    print(opinfo_report.text(results))


def test_cli_reports_opinfo_counts(tmp_path, capsys):
    """``ag-bridge conformance --opinfo`` shows and writes the OpInfo totals."""
    _need_opinfo()
    from ag_bridge.conformance.cli import main

    md, js = tmp_path / "r.md", tmp_path / "r.json"
    rc = main(["--backend", "numpy", "--ops", "opinfo.sin,opinfo.linalg.svd", "--opinfo", "--quiet",
               "--dtype", "float64", "--order", "1", "--report", str(md), "--report", str(js)])
    out = capsys.readouterr().out
    assert rc == 0, out
    assert "OpInfo samples" in out and "OpInfo samples" in md.read_text()
    import json

    tot = json.loads(js.read_text())["opinfo"]["totals"]["numpy"]["1"]
    assert tot["samples"] > 0 and tot["untranslated"] > 0  # svd's full_matrices samples of non-square input
    assert tot["samples"] == tot["match"] + tot["declared"] + tot["untranslated"] + tot["fail"]


@pytest.mark.parametrize("name", BACKENDS)
@pytest.mark.parametrize("dtype", [np.float64, np.complex128])
def test_vector_norm_over_no_axes_of_a_0d_array(name, dtype):
    """Regression (found by OpInfo's linalg.vector_norm samples 27-35): the norm of a 0-d
    array over ``axis=()`` is ``|x|`` with gradient ``x / |x|`` (the conjugate-Wirtinger
    convention: ``sign(x)``); on torch array-api-compat's vector_norm raised IndexError."""
    x0 = np.asarray(1.5 - 2.0j if dtype == np.complex128 else -1.5, dtype=dtype)
    x = ag_bridge.asarray(x0, backend=name)
    x.attach_grad()
    with ag_bridge.autograd.record():
        y = ag_bridge.load_backend(name).namespace.linalg.vector_norm(x, axis=(), ord=3)
    y.backward()
    np.testing.assert_allclose(y.asnumpy(), abs(x0))
    np.testing.assert_allclose(x.grad.asnumpy(), x0 / abs(x0))
