#!/usr/bin/env python
"""ag_bridge's torch backend on a GPU against torch.autograd on the same tensors.

Run from the repository root on a machine with CUDA (one short call)::

    python benchmarks/bench_cuda.py                    # W1, W2, W3 on cuda, JSON to benchmarks/results/
    python benchmarks/bench_cuda.py --device cpu --rounds 3   # the same code path without a GPU

The workloads are ``benchmarks/workloads.py``'s, with every tensor on ``--device``:

* W1: the 1,000-op elementwise chain (16 float64): the fixed cost per op, kernel
  launches included.
* W2: one SGD step of the 784-256-10 tanh MLP, batch 64, float32.
* W3: four ``tanh(h @ W)`` layers of 1024 x 1024 float32, forward and backward
  (issue 11's GPU target: at most 1.1x torch.autograd).

Each timed call ends with ``torch.cuda.synchronize()``, so a sample is the
work's completion, not its queueing. Systems are interleaved round by round in
a shuffled order (``bench_engine.interleaved``, wall clock: the GPU's time is
not this process's CPU time); medians and their ratio are printed and saved.
Nothing is asserted: the script reports.
"""

from __future__ import annotations

import argparse
import datetime
import json
import sys
import time
from pathlib import Path
from typing import Any

_HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(_HERE))
import bench_engine as be  # noqa: E402  (pins thread pools, puts the checkout on sys.path)
import torch  # noqa: E402
import workloads as wl  # noqa: E402

import ag_bridge  # noqa: E402
from ag_bridge import autograd as ag  # noqa: E402

OURS, REF = "ag_bridge (torch)", "torch.autograd"


def _sync(device: str) -> Any:
    if device.startswith("cuda"):
        return torch.cuda.synchronize
    return lambda: None


def _synced(fn: Any, sync: Any) -> Any:
    def run() -> None:
        fn()
        sync()

    return run


def _grads(leaves: list) -> list:
    return [ag_bridge.unwrap(a.grad) for a in leaves]


def w1(device: str, n: int = be.W1_OPS) -> tuple[dict, Any]:
    """W1: (system -> record + backward of the n-op chain, their gradients after a call each)."""
    x0 = be.w1_input()
    xp = ag_bridge.namespace("torch")
    x = ag_bridge.asarray(torch.tensor(x0, device=device), backend="torch")
    x.attach_grad()

    def ours() -> None:
        with ag.record():
            y = xp.sum(be.chain(xp, x, n))
        y.backward()

    t = torch.tensor(x0, device=device, requires_grad=True)

    def ref() -> None:
        t.grad = None
        torch.sum(be.chain(torch, t, n)).backward()

    return {OURS: ours, REF: ref}, lambda: (_grads([x]), [t.grad])


def w2(device: str) -> tuple[dict, Any]:
    """W2: (system -> one SGD step, their last gradients)."""
    X0, Y0, p0 = be.w2_data()
    ours = wl._ag_step("torch", X0, Y0, p0, device)
    ref, ref_grads = be.w2_torch(X0, Y0, p0, device)
    return {OURS: ours, REF: ref}, lambda: (_grads(ours.leaves),
                                            [torch.as_tensor(g, device=device) for g in ref_grads()])


def w3(device: str) -> tuple[dict, Any]:
    """W3: (system -> forward and backward of the four layers, their gradients)."""
    mats = wl._w3_data()
    ours, ref = wl._ag_w3("torch", mats, True, device), wl._torch_w3(mats, True, device)
    return {OURS: ours, REF: ref}, lambda: (_grads(ours.leaves), [w.grad for w in ref.leaves])


def main(argv: list[str] | None = None) -> dict:
    """Command line: see the module docstring."""
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--device", default="cuda")
    ap.add_argument("--rounds", type=int, default=15)
    ap.add_argument("--only", default="w1,w2,w3", help="comma-separated workloads")
    ap.add_argument("--json", help="where to write the results (default benchmarks/results/cuda-<time>.json)")
    a = ap.parse_args(argv)
    if a.device.startswith("cuda") and not torch.cuda.is_available():
        raise SystemExit("bench_cuda: torch sees no CUDA device; use --device cpu to try the script")
    sync = _sync(a.device)
    machine = be._machine()
    if a.device.startswith("cuda"):
        machine["gpu"] = torch.cuda.get_device_name(torch.device(a.device))
    res: dict = {"machine": machine, "device": a.device, "rounds": a.rounds, "clock": "wall",
                 "command": "python benchmarks/bench_cuda.py " + " ".join(argv if argv is not None
                                                                          else sys.argv[1:])}
    # (inner calls per sample, scale, unit): W1 per op, W2/W3 per call
    plan = {"w1": (w1, 1, 1e6 / be.W1_OPS, "us per op"), "w2": (w2, 5, 1e3, "ms per step"),
            "w3": (w3, 2, 1e3, "ms per forward+backward")}
    for name, (make, inner, scale, unit) in plan.items():
        if name not in a.only.split(","):
            continue
        systems, grads = make(a.device)
        for f in systems.values():  # one call each from the same state: the gradients must agree
            f()
        ours_g, ref_g = grads()
        agree = all(torch.allclose(g, r, rtol=1e-4, atol=1e-6) for g, r in zip(ours_g, ref_g, strict=True))
        cases = {k: _synced(f, sync) for k, f in systems.items()}
        samples = be.interleaved(cases, a.rounds, inner, warmup=3, keep_gc=False,
                                 clock=time.perf_counter_ns)
        stats = be.summarize(samples, scale)
        ratio = stats[OURS]["median"] / stats[REF]["median"]
        res[name] = {"unit": unit, "stats": stats, "ratio": ratio,
                     "paired": be.paired(samples, OURS, REF), "gradients_agree": agree}
        print(f"{name}: {OURS} {stats[OURS]['median']:.3f} {unit}, {REF} {stats[REF]['median']:.3f}: "
              f"ratio {ratio:.2f} (paired {res[name]['paired']:.2f}); gradients agree: {agree}",
              flush=True)
    out = Path(a.json) if a.json else (_HERE / "results" /
                                       f"cuda-{datetime.datetime.now():%Y-%m-%dT%H%M%S}.json")
    out.parent.mkdir(parents=True, exist_ok=True)
    out.write_text(json.dumps(res, indent=1))
    print("wrote", out)
    return res


if __name__ == "__main__":
    main()
