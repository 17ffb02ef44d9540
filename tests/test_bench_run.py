"""benchmarks/run.py (the table of docs/benchmarks.md) stays runnable and its W2 systems do the
same work: the timing is never checked, only the tables and that every system's SGD steps give
the same losses (so the same gradients)."""

from __future__ import annotations

import importlib.util
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest

pytest.importorskip("torch")
HERE = Path(__file__).resolve().parent.parent / "benchmarks"
sys.path.insert(0, str(HERE))


def test_w2_systems_take_the_same_steps():
    import bench_engine as be
    import workloads as wl

    cases = wl.w2_cases()
    # the systems whose step returns its loss (the JAX steppers return the new parameters)
    names = [wl.AG["numpy"], wl.AG["torch"], wl.TORCH, wl.BY_HAND] + ([wl.HIPS] if be.hips else [])
    def loss(v):
        return float(v.detach() if hasattr(v, "detach") else v)  # (torch's carries a graph)

    losses = {n: [loss(cases[n]()) for _ in range(4)] for n in names}
    ref = losses[wl.BY_HAND]
    assert ref[3] < ref[0]  # SGD steps lower the loss: gradients, not just the forward, agree
    for n, got in losses.items():
        np.testing.assert_allclose(got, ref, rtol=2e-5, err_msg=n)


def _result(**rounds: int) -> dict:
    import workloads as wl

    machine = {"date": "2026-12-01T00:00:00", "cpu": "test cpu", "cores": 2, "load": 0.5,
               "versions": {"numpy": np.__version__}}
    w2 = {wl.AG["numpy"]: 0.9, wl.AG["torch"]: 1.05, wl.TORCH: 1.0, wl.BY_HAND: 0.8,
          wl.AG["jax"]: 3.0, wl.JAX: 10.0, wl.AG_JIT: 2.0, wl.JAX_JIT: 2.5}
    return {"machine": machine, "rounds": 9, "clock": "cpu", "command": "python benchmarks/run.py",
            "load_end": 0.6, "w1": {wl.AG["numpy"]: 4.0, wl.TORCH: 8.0}, "w2": w2,
            **{f"{w}_rounds": n for w, n in rounds.items()}}


def test_tables_give_each_ratio_of_medians_and_the_hand_written_floor():
    import run
    import workloads as wl

    text = run.tables(_result(w1=41, w2=41))
    assert "9 interleaved rounds (41 for W1 and W2)" in text
    assert "| W1 per op | 0.50 (≤ 0.6) |" in text
    assert "| W2 step | 0.90 (≤ 0.85; NumPy by hand 0.80) | 1.05 (≤ 1.1) | " \
           "eager 0.30 (≤ 0.4); jit 0.80 (≤ 1.0) |" in text
    header = next(line for line in text.splitlines() if line.startswith("| workload | ag_bridge"))
    assert header.rstrip(" |").endswith("NumPy by hand")
    assert "(41 for W2)" in run.tables(_result(w2=41))
    assert "interleaved rounds," in run.tables(_result(w1=9, w2=9))  # no rounds note
    res = _result(w1=41, w2=41, w4=3)
    res["w4"] = {"ms": {wl.AG["numpy"]: 300.0, wl.TORCH: 1000.0}, "peak_mib": {}}
    assert "9 interleaved rounds (41 for W1 and W2, 3 for W4)" in run.tables(res)


def test_jit_programs_do_no_more_work_than_jax_grad():
    """Under jax.jit, ag_bridge's W2 gradient compiles to a program that does no more
    arithmetic and moves no more memory than jax.grad's (XLA's cost analysis), and gives
    its gradients."""
    pytest.importorskip("jax")
    import workloads as wl

    progs = wl.jit_programs()
    ours, ref = progs[wl.AG_JIT], progs[wl.JAX_JIT]
    assert ours[1]["flops"] > 0 and ref[1]["flops"] > 0
    for key in ("flops", "bytes accessed", "transcendentals"):
        assert ours[1][key] <= ref[1][key], key
    for a, b in zip(ours[0](), ref[0](), strict=True):
        np.testing.assert_allclose(np.asarray(a), np.asarray(b), rtol=1e-4, atol=1e-6)


def test_tables_give_the_jit_programs_alone():
    import run
    import workloads as wl

    res = _result()
    cost = {"flops": 52.4e6, "bytes accessed": 2.79e6, "transcendentals": 17024.0}
    res["jit_alone"] = {"us": {wl.AG_JIT: 500.0, wl.JAX_JIT: 502.5},
                        "cost": {wl.AG_JIT: cost, wl.JAX_JIT: {**cost, "flops": 52.5e6}}}
    text = run.tables(res)
    assert "ag_bridge 500.0 µs, jax.grad 502.5 µs, ratio 1.00." in text
    assert "ag_bridge 52.400 MFLOP, 2.790 MB accessed, 17,024 transcendentals; jax.grad 52.500" in text


def test_run_py_quick_prints_the_w2_table():
    out = subprocess.run([sys.executable, str(HERE / "run.py"), "--quick", "--rounds", "1",
                          "--only", "w2"], capture_output=True, text=True, timeout=600)
    assert out.returncode == 0, out.stderr[-2000:]
    assert "| W2 ms per step |" in out.stdout and "NumPy by hand" in out.stdout
    if importlib.util.find_spec("jax") is not None:
        assert "jit: the two compiled gradient programs alone" in out.stdout


def test_w3_times_forward_and_backward_in_the_same_rounds(monkeypatch):
    """(fwd+bwd)/fwd divides medians of one interleaved run, never of two runs minutes apart."""
    import run
    import workloads as wl

    calls = []

    def timed(cases, rounds, scale, inner=1):
        calls.append(set(cases))
        return {k: 3.0 if k[1] else 1.0 for k in cases}

    monkeypatch.setattr(run, "timed", timed)
    monkeypatch.setattr(wl, "w3_cases", lambda backward: {"a": lambda: None, "b": lambda: None})
    out = run.w3(2, memory=False)
    assert calls == [{("a", True), ("b", True), ("a", False), ("b", False)}]
    assert out["full_over_forward"] == {"a": 3.0, "b": 3.0}


def test_interleaved_collects_only_young_generations_between_blocks(monkeypatch):
    """A full collection walks every object of the process and empties the free lists: run
    between blocks, it made each block after it start with cold caches. The whole heap is
    collected once before the rounds; between blocks, the young generations only."""
    import bench_engine as be

    collected, ran = [], []
    monkeypatch.setattr(be.gc, "collect", lambda *gen: collected.append(gen) or 0)
    out = be.interleaved({"a": lambda: ran.append("a"), "b": lambda: ran.append("b")},
                         rounds=3, inner=2, warmup=1, keep_gc=False)
    assert ran.count("a") == ran.count("b") == 1 + 3 * 2
    assert collected == [()] + [(be.BETWEEN_BLOCKS,)] * 6
    assert be.BETWEEN_BLOCKS < 2  # (generation 2 is the whole heap)
    assert {k: len(v) for k, v in out.items()} == {"a": 3, "b": 3}


def test_no_timed_workload_leaves_cyclic_garbage():
    """What lets the harness collect only the young generations between blocks: no system's
    step leaves cyclic garbage behind (it would reach the old generation and pile up)."""
    import gc

    import workloads as wl

    for cases in (wl.w1_cases(50), wl.w2_cases()):
        for name, fn in cases.items():
            if fn is None:
                continue
            fn()
            gc.collect()
            gc.disable()
            try:
                for _ in range(2):
                    fn()
                assert gc.collect() == 0, name
            finally:
                gc.enable()


def test_count_instructions_runs_its_modes_and_derives_the_phases(monkeypatch):
    """benchmarks/count_instructions.py: each mode's step runs (here without valgrind), its
    valgrind summary is parsed, and the backward and update are differences of the modes."""
    import bench_engine as be
    import count_instructions as ci

    for name in ("W2_BATCH", "W2_IN", "W2_HID", "W2_OUT"):  # the child shrinks W2: restore it
        monkeypatch.setattr(be, name, getattr(be, name))
    for mode in ci.MODES:
        loss = ci._step(mode)()
        assert np.isfinite(float(loss.detach() if hasattr(loss, "detach") else loss))
    assert (be.W2_BATCH, be.W2_IN, be.W2_HID, be.W2_OUT) == ci.SIZES
    assert ci.parse_refs("==1== \n==1== I   refs:      1,234,567\n") == 1234567
    with pytest.raises(RuntimeError, match="I refs"):
        ci.parse_refs("valgrind: command not found")
    out = ci.table({"step": 700, "forward": 260, "forward+backward": 590, "by hand": 350})
    assert "|   backward | 330 |" in out and "|   update | 110 |" in out
    assert "ag_bridge / by hand: 2.00" in out


def test_count_instructions_counts_bytecodes_without_valgrind(monkeypatch):
    """``--bytecodes``: the same code executes the same bytecodes (the count is deterministic),
    the phases nest (the forward is part of forward+backward, which is part of the step), every
    function counted was seen entered, and the table and listing name what they count."""
    import bench_engine as be
    import count_instructions as ci

    for name in ("W2_BATCH", "W2_IN", "W2_HID", "W2_OUT"):
        monkeypatch.setattr(be, name, getattr(be, name))
    counted = {m: ci.bytecodes(m) for m in ci.MODES}
    totals = {m: sum(ops.values()) for m, (ops, _) in counted.items()}
    assert totals == {m: sum(ci.bytecodes(m)[0].values()) for m in ci.MODES}
    assert 0 < totals["forward"] < totals["forward+backward"] < totals["step"]
    ops, calls = counted["step"]
    assert any(k[:2] == ("_backward.py", "run_backward") for k in ops) and set(ops) <= set(calls)
    assert "| ag_bridge step | " in ci.table(totals, "bytecodes")
    listing = ci.top(ops, calls, 3)
    assert listing.count("\n") == 4 and "`run_backward` |" in listing
