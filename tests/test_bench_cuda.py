"""benchmarks/bench_cuda.py stays runnable for the sessions that get a GPU: its code path on
the CPU (the timing is not checked, only that both systems ran and their gradients agree)."""

from __future__ import annotations

import json
import sys
from pathlib import Path

import pytest

pytest.importorskip("torch")
sys.path.insert(0, str(Path(__file__).resolve().parent.parent / "benchmarks"))


def test_bench_cuda_runs_on_the_cpu_and_the_gradients_agree(tmp_path):
    import bench_cuda

    out = tmp_path / "r.json"
    res = bench_cuda.main(["--device", "cpu", "--rounds", "1", "--only", "w1,w2", "--json", str(out)])
    assert set(res) >= {"w1", "w2", "machine"} and "w3" not in res
    for w in ("w1", "w2"):
        assert res[w]["gradients_agree"] is True
        assert res[w]["ratio"] > 0 and res[w]["stats"][bench_cuda.REF]["n"] == 1
    assert json.loads(out.read_text())["device"] == "cpu"
