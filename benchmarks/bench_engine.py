#!/usr/bin/env python
"""Speed and memory of the ag_bridge engine on NumPy, against HIPS autograd and torch.autograd.

Run from the repository root::

    python benchmarks/bench_engine.py            # full run (about 2 minutes on an idle machine)
    python benchmarks/bench_engine.py --quick    # smoke run (about 35 s on an idle 2-core machine)
    python benchmarks/bench_engine.py --only w1,w2 --clock cpu --json out.json

Workloads (see docs/benchmarks.md):

* W1: a 1,000-op elementwise chain (sin, cos, exp, tanh, multiply and add by
  Python scalars) on a 16-element float64 vector, recorded and backpropagated.
  Reported in microseconds per op: this is the engine's fixed cost per op.
  Bar: ag_bridge no slower per op than torch.autograd.
* W2: one SGD training step of a 784-256-10 tanh MLP, batch 64, float32,
  softmax cross-entropy via a (stabilised) log-sum-exp. Reported in ms per
  step. Bar: ag_bridge at most 0.8x the HIPS autograd step time.
* M1: chains of 25k/50k/100k ops record and backpropagate (100x the recursion
  limit); peak traced memory (tracemalloc) per op shows it is linear in length.
* M2: repeated record+backward on a 10^6-element float64 array; the process
  RSS must stay flat and ``x.grad`` must stay the same buffer.

All systems run in this one process on one thread (BLAS and torch thread pools
are pinned to 1 before NumPy is imported); timed repetitions are interleaved
round-robin (the order is shuffled every round, seeded) so drift in the machine's
speed hits every system alike and no system always runs right after the same one.
Reported numbers are medians; ratios compare medians
from the same run (and, as "paired", the median of per-round ratios). Speed is
reported, never asserted: the script always exits 0.
"""

from __future__ import annotations

import os

# Pin every thread pool to one thread *before* NumPy / torch are imported.
for _var in ("OMP_NUM_THREADS", "OPENBLAS_NUM_THREADS", "MKL_NUM_THREADS",
             "VECLIB_MAXIMUM_THREADS", "NUMEXPR_NUM_THREADS", "BLIS_NUM_THREADS"):
    os.environ[_var] = "1"

import argparse  # noqa: E402
import datetime  # noqa: E402
import gc  # noqa: E402
import json  # noqa: E402
import platform  # noqa: E402
import random  # noqa: E402
import statistics  # noqa: E402
import sys  # noqa: E402
import time  # noqa: E402
import tracemalloc  # noqa: E402
from collections.abc import Callable  # noqa: E402
from pathlib import Path  # noqa: E402
from typing import Any  # noqa: E402

# Benchmark the checkout this file lives in, even without an (editable) install.
_ROOT = Path(__file__).resolve().parent.parent
for _p in (_ROOT / "backends", _ROOT):
    if str(_p) not in sys.path:
        sys.path.insert(0, str(_p))

import numpy as np  # noqa: E402

import ag_bridge  # noqa: E402
from ag_bridge import autograd as ag  # noqa: E402

try:
    import torch
except ImportError:  # pragma: no cover - optional competitor
    torch = None
try:
    import autograd as hips
    import autograd.numpy as hnp
    from autograd.tracer import getval as hips_getval
except ImportError:  # pragma: no cover - optional competitor
    hips = hnp = hips_getval = None
try:
    import psutil
except ImportError:  # pragma: no cover
    psutil = None

if torch is not None:
    torch.set_num_threads(1)
    try:
        torch.set_num_interop_threads(1)
    except RuntimeError:  # already set (only allowed once per process)
        pass

XP = ag_bridge.namespace("numpy")
#: the backend ag_bridge's arrays use (None: the NumPy plugin; --generic: the generic backend over numpy)
BACKEND = None

AG, HIPS, TORCH = "ag_bridge (NumPy)", "HIPS autograd", "torch.autograd (CPU)"
NUMPY_REF = "(NumPy forward, no autodiff)"
NUMPY_W2_REF = "(NumPy, hand-written gradients)"

# ----------------------------------------------------------------- timing harness


#: the generations :func:`interleaved` collects between timed blocks: the young ones. A full
#: collection walks every object of the process (about 280,000 with torch and JAX loaded:
#: 117 ms) and empties CPython's free lists, so the block after it starts with cold caches:
#: it added 100 to 200 µs to each of W2's three-step blocks on every system (torch's most),
#: a cost no training loop pays between steps.
BETWEEN_BLOCKS = 1


def interleaved(cases: dict[Any, Callable[[], Any]], rounds: int, inner: int,
                warmup: int, keep_gc: bool, clock: Callable[[], int] = time.perf_counter_ns,
                ) -> dict[Any, list[float]]:
    """Time each case ``rounds`` times, round-robin; return seconds per call.

    Each round runs every case once for ``inner`` back-to-back calls (one
    sample = their mean). The order of cases is shuffled every round (a fixed seed):
    a rotation would keep each case right after the same one, whose memory and
    caches it then inherits (W1's NumPy case ran after jax.grad in all but one round in six). The cyclic
    garbage collector is off inside each timed block (unless ``keep_gc``); between blocks,
    outside the clock, it collects the two young generations (:data:`BETWEEN_BLOCKS`), and
    the whole heap once before the first round. ``clock`` is ``time.perf_counter_ns``
    (wall time) or ``time.process_time_ns`` (CPU time of this process: less
    disturbed by other processes on a busy machine; every system here runs on
    the calling thread).
    """
    names = list(cases)
    for name in names:
        for _ in range(warmup):
            cases[name]()
    samples: dict[Any, list[float]] = {n: [] for n in names}
    order = random.Random(0)
    gc.collect()
    for _ in range(rounds):
        for name in order.sample(names, len(names)):
            fn = cases[name]
            gc.collect(BETWEEN_BLOCKS)
            if not keep_gc:
                gc.disable()
            try:
                t0 = clock()
                for _ in range(inner):
                    fn()
                t1 = clock()
            finally:
                gc.enable()
            samples[name].append((t1 - t0) * 1e-9 / inner)
    return samples


def _q(xs: list[float], q: float) -> float:
    s = sorted(xs)
    return s[min(len(s) - 1, max(0, round(q * (len(s) - 1))))]


def summarize(samples: dict[Any, list[float]], scale: float) -> dict[Any, dict[str, float]]:
    """Median / quartiles / min of each case, multiplied by ``scale``."""
    out = {}
    for name, xs in samples.items():
        out[name] = {"median": statistics.median(xs) * scale, "q1": _q(xs, 0.25) * scale,
                     "q3": _q(xs, 0.75) * scale, "min": min(xs) * scale, "n": len(xs)}
    return out


# ----------------------------------------------------------------- W1: op chain

W1_OPS = 1000
W1_SIZE = 16
# x*2 - 0.5 keeps the chain near the edge of chaos: values stay O(1) and the
# gradient stays a normal float (no subnormal slow paths) over 1,000s of ops.
W1_MUL, W1_ADD = 2.0, -0.5


def chain(m: Any, x: Any, n: int) -> Any:
    """``n`` elementwise ops, the same for every system (``m`` is its namespace)."""
    sin, cos, tanh, exp = m.sin, m.cos, m.tanh, m.exp
    for i in range(n):
        r = i % 6
        if r == 0:
            x = sin(x)
        elif r == 1:
            x = x * W1_MUL
        elif r == 2:
            x = cos(x)
        elif r == 3:
            x = x + W1_ADD
        elif r == 4:
            x = tanh(x)
        else:
            x = exp(x)
    return x


def w1_input() -> np.ndarray:
    return np.linspace(-1.0, 1.0, W1_SIZE)


def w1_ag(x0: np.ndarray, n: int = W1_OPS) -> Callable[[], Any]:
    """ag_bridge: record the chain, sum, backward; returns x.grad."""
    x = ag_bridge.asarray(x0.copy(), backend=BACKEND)
    x.attach_grad()

    def run() -> Any:
        with ag.record():
            y = XP.sum(chain(XP, x, n))
        y.backward()
        return x.grad

    return run


def w1_ag_forward(x0: np.ndarray, n: int = W1_OPS) -> Callable[[], Any]:
    """ag_bridge: record the chain only (the graph is dropped unused)."""
    x = ag_bridge.asarray(x0.copy(), backend=BACKEND)
    x.attach_grad()

    def run() -> Any:
        with ag.record():
            return XP.sum(chain(XP, x, n))

    return run


def w1_numpy(x0: np.ndarray, n: int = W1_OPS) -> Callable[[], Any]:
    """Reference: the same chain on plain NumPy arrays, no autodiff (the compute floor)."""
    x = x0.copy()
    return lambda: np.sum(chain(np, x, n))


def w1_hips_forward(x0: np.ndarray, n: int = W1_OPS) -> Callable[[], Any]:
    """HIPS: the traced forward alone (``make_vjp``, as ``grad`` does before its backward)."""
    fwd = hips.make_vjp(lambda x: hnp.sum(chain(hnp, x, n)))
    x = x0.copy()
    return lambda: fwd(x)


def w1_torch_forward(x0: np.ndarray, n: int = W1_OPS) -> Callable[[], Any]:
    x = torch.tensor(x0, dtype=torch.float64, requires_grad=True)
    return lambda: torch.sum(chain(torch, x, n))


def w1_hips(x0: np.ndarray, n: int = W1_OPS) -> Callable[[], Any]:
    g = hips.grad(lambda x: hnp.sum(chain(hnp, x, n)))
    x = x0.copy()
    return lambda: g(x)


def w1_torch(x0: np.ndarray, n: int = W1_OPS) -> Callable[[], Any]:
    x = torch.tensor(x0, dtype=torch.float64, requires_grad=True)

    def run() -> Any:
        x.grad = None
        torch.sum(chain(torch, x, n)).backward()
        return x.grad.numpy()

    return run


# ----------------------------------------------------------------- W2: MLP step

W2_BATCH, W2_IN, W2_HID, W2_OUT = 64, 784, 256, 10
W2_LR = 0.01


def w2_data(seed: int = 0) -> tuple[np.ndarray, np.ndarray, list[np.ndarray]]:
    """Inputs, one-hot labels and initial parameters (float32)."""
    rng = np.random.default_rng(seed)
    X = rng.standard_normal((W2_BATCH, W2_IN)).astype(np.float32)
    Y = np.eye(W2_OUT, dtype=np.float32)[rng.integers(0, W2_OUT, W2_BATCH)]
    params = [
        (rng.standard_normal((W2_IN, W2_HID)) / np.sqrt(W2_IN)).astype(np.float32),
        np.zeros(W2_HID, np.float32),
        (rng.standard_normal((W2_HID, W2_OUT)) / np.sqrt(W2_HID)).astype(np.float32),
        np.zeros(W2_OUT, np.float32),
    ]
    return X, Y, params


def w2_ag(X0: np.ndarray, Y0: np.ndarray, p0: list[np.ndarray]) -> tuple[Callable, Callable]:
    """ag_bridge step: record the loss, backward, SGD update outside record()."""
    X, Y = ag_bridge.asarray(X0, backend=BACKEND), ag_bridge.asarray(Y0, backend=BACKEND)
    params = [ag_bridge.asarray(p.copy(), backend=BACKEND) for p in p0]
    for p in params:
        p.attach_grad()
    W1, b1, W2, b2 = params
    xp = XP

    def step() -> float:
        with ag.record():
            h = xp.tanh(X @ W1 + b1)
            logits = h @ W2 + b2
            z = logits - xp.max(logits.detach(), axis=1, keepdims=True)
            lse = xp.log(xp.sum(xp.exp(z), axis=1, keepdims=True))
            loss = xp.mean(lse - xp.sum(z * Y, axis=1, keepdims=True))
        loss.backward()
        for p in params:
            p -= W2_LR * p.grad
        return loss

    def grads() -> list[np.ndarray]:
        return [np.asarray(p.grad) for p in params]

    return step, grads


def w2_hips(X: np.ndarray, Y: np.ndarray, p0: list[np.ndarray]) -> tuple[Callable, Callable]:
    def loss_fn(params: list) -> Any:
        W1, b1, W2, b2 = params
        h = hnp.tanh(X @ W1 + b1)
        logits = h @ W2 + b2
        z = logits - hnp.max(hips_getval(logits), axis=1, keepdims=True)
        lse = hnp.log(hnp.sum(hnp.exp(z), axis=1, keepdims=True))
        return hnp.mean(lse - hnp.sum(z * Y, axis=1, keepdims=True))

    vg = hips.value_and_grad(loss_fn)
    state = {"p": [p.copy() for p in p0], "g": None}

    def step() -> float:
        loss, g = vg(state["p"])
        state["p"] = [p - W2_LR * gi for p, gi in zip(state["p"], g, strict=True)]
        state["g"] = g
        return loss

    return step, lambda: [np.asarray(g) for g in state["g"]]


def w2_torch(X0: np.ndarray, Y0: np.ndarray, p0: list[np.ndarray],
             device: Any = None) -> tuple[Callable, Callable]:
    """torch.autograd's step (on ``device``; None: the CPU); the getter returns the gradients."""
    X, Y = (torch.from_numpy(a) if device is None else torch.tensor(a, device=device) for a in (X0, Y0))
    params = [torch.tensor(p, device=device, requires_grad=True) for p in p0]
    W1, b1, W2, b2 = params

    def step() -> float:
        for p in params:
            p.grad = None
        h = torch.tanh(X @ W1 + b1)
        logits = h @ W2 + b2
        z = logits - torch.amax(logits.detach(), dim=1, keepdim=True)
        lse = torch.log(torch.sum(torch.exp(z), dim=1, keepdim=True))
        loss = torch.mean(lse - torch.sum(z * Y, dim=1, keepdim=True))
        loss.backward()
        with torch.no_grad():
            for p in params:
                p -= W2_LR * p.grad
        return loss

    return step, lambda: [p.grad.cpu().numpy().copy() for p in params]


def w2_numpy(X: np.ndarray, Y: np.ndarray, p0: list[np.ndarray]) -> tuple[Callable, Callable]:
    """Reference: the same step with gradients written by hand in NumPy (no autodiff)."""
    params = [p.copy() for p in p0]
    W1, b1, W2, b2 = params
    state: dict = {}

    def step() -> float:
        h = np.tanh(X @ W1 + b1)
        logits = h @ W2 + b2
        z = logits - np.max(logits, axis=1, keepdims=True)
        e = np.exp(z)
        s = np.sum(e, axis=1, keepdims=True)
        loss = np.mean(np.log(s) - np.sum(z * Y, axis=1, keepdims=True))
        dlogits = (e / s - Y) / W2_BATCH
        dh = dlogits @ W2.T
        da = dh * (1 - h * h)
        g = [X.T @ da, np.sum(da, axis=0), h.T @ dlogits, np.sum(dlogits, axis=0)]
        for p, gi in zip(params, g, strict=True):
            p -= W2_LR * gi
        state["g"] = g
        return loss

    return step, lambda: state["g"]


# ----------------------------------------------------------------- checks


def _close(a: Any, b: Any, rtol: float) -> bool:
    a, b = np.asarray(a, dtype=np.float64), np.asarray(b, dtype=np.float64)
    return bool(np.allclose(a, b, rtol=rtol, atol=rtol * float(np.abs(b).max() or 1.0)))


def check_w1(systems: list[str]) -> dict[str, bool]:
    """Every system's W1 gradient against a float64 reference (the first system)."""
    x0 = w1_input()
    makers = {AG: w1_ag, HIPS: w1_hips, TORCH: w1_torch}
    got = {s: np.array(np.asarray(makers[s](x0)()), copy=True) for s in systems}
    ref = got[systems[0]]
    return {s: _close(g, ref, 1e-9) for s, g in got.items()}


def check_w2(systems: list[str]) -> dict[str, bool]:
    """One step from the same parameters gives the same gradients (float32)."""
    X, Y, p0 = w2_data()
    makers = {AG: w2_ag, HIPS: w2_hips, TORCH: w2_torch}
    got = {}
    for s in systems:
        step, grads = makers[s](X, Y, p0)
        step()
        got[s] = grads()
    step, grads = w2_numpy(X, Y, p0)
    step()
    got[NUMPY_W2_REF] = grads()
    ref = got[systems[0]]
    return {s: all(_close(a, b, 1e-4) for a, b in zip(g, ref, strict=True)) for s, g in got.items()}


# ----------------------------------------------------------------- memory


def mem_chain(lengths: list[int]) -> list[dict[str, float]]:
    """Traced memory (graph after forward, peak, leftover) for chains of ``lengths`` ops."""
    rows = []
    x0 = w1_input()
    for n in lengths:
        gc.collect()
        tracemalloc.start()
        base = tracemalloc.get_traced_memory()[0]
        x = ag_bridge.asarray(x0.copy())
        x.attach_grad()
        t0 = time.perf_counter_ns()
        with ag.record():
            y = XP.sum(chain(XP, x, n))
        t1 = time.perf_counter_ns()
        graph = tracemalloc.get_traced_memory()[0] - base
        y.backward()
        t2 = time.perf_counter_ns()
        peak = tracemalloc.get_traced_memory()[1] - base
        ok = bool(np.all(np.isfinite(np.asarray(x.grad))))
        del y
        gc.collect()
        after = tracemalloc.get_traced_memory()[0] - base
        tracemalloc.stop()
        rows.append({"ops": n, "graph_bytes": graph, "graph_per_op": graph / n, "peak_bytes": peak,
                     "peak_per_op": peak / n, "after_bytes": after, "forward_s": (t1 - t0) * 1e-9,
                     "backward_s": (t2 - t1) * 1e-9, "finite": ok})
    return rows


def _rss() -> int:
    if psutil is not None:
        return psutil.Process().memory_info().rss
    with open("/proc/self/statm") as f:  # pragma: no cover - Linux fallback
        return int(f.read().split()[1]) * os.sysconf("SC_PAGE_SIZE")


def _buf(a: Any) -> tuple[int, int]:
    """Identity of ``x.grad``: the Array object and the address of its raw buffer (no reference kept)."""
    return id(a), ag_bridge.unwrap(a).__array_interface__["data"][0]


def mem_loop(iters: int, every: int, size: int = 10**6) -> list[dict[str, float]]:
    """RSS every ``every`` record+backward iterations on a ``size``-element float64 array."""
    x = ag_bridge.asarray(np.linspace(-1.0, 1.0, size))
    x.attach_grad()
    grad_buf = _buf(x.grad)
    rows = []
    t0 = time.perf_counter_ns()
    for i in range(1, iters + 1):
        with ag.record():
            y = XP.sum(XP.sin(x) * x + x * 0.5)
        y.backward()
        if i % every == 0 or i == 1:
            rows.append({"iter": i, "rss": _rss(), "same_grad_buffer": _buf(x.grad) == grad_buf,
                         "s_per_iter": (time.perf_counter_ns() - t0) * 1e-9 / i})
    return rows


# ----------------------------------------------------------------- reporting


def _machine() -> dict[str, Any]:
    cpu = platform.processor() or platform.machine()
    try:
        with open("/proc/cpuinfo") as f:
            for line in f:
                if line.startswith("model name"):
                    cpu = line.split(":", 1)[1].strip()
                    break
    except OSError:
        pass
    versions = {"python": platform.python_version(), "numpy": np.__version__,
                "ag_bridge": ag_bridge.__version__}
    if torch is not None:
        versions["torch"] = torch.__version__
    if hips is not None:
        try:
            from importlib.metadata import version

            versions["autograd"] = version("autograd")
        except Exception:  # pragma: no cover
            versions["autograd"] = "?"
    try:
        load = os.getloadavg()[0]
    except (AttributeError, OSError):  # pragma: no cover - not on Windows
        load = None
    return {"date": datetime.datetime.now().isoformat(timespec="seconds"), "cpu": cpu, "load": load,
            "cores": os.cpu_count(), "platform": platform.platform(), "versions": versions}


class Report:
    """Prints with rich when available, plain text otherwise."""

    def __init__(self) -> None:
        try:
            from rich.console import Console
            from rich.table import Table

            # Wide enough for the tables when the output goes to a file or a pipe.
            self.console = Console(width=None if sys.stdout.isatty() else 150)
            self.Table = Table
        except ImportError:  # pragma: no cover
            self.console = self.Table = None

    def text(self, s: str) -> None:
        if self.console is not None:
            self.console.print(s)
        else:  # pragma: no cover
            import re

            print(re.sub(r"\[/?[a-z ]+\]", "", s))

    def table(self, title: str, columns: list[str], rows: list[list[str]]) -> None:
        if self.console is not None:
            t = self.Table(title=title, title_justify="left")
            for i, c in enumerate(columns):
                t.add_column(c, justify="left" if i == 0 else "right")
            for r in rows:
                t.add_row(*r)
            self.console.print(t)
            return
        widths = [max(len(c), *(len(r[i]) for r in rows)) for i, c in enumerate(columns)]
        print(title)
        for r in [columns] + rows:
            cells = zip(r, widths, strict=True)
            print("  ".join(v.ljust(w) if i == 0 else v.rjust(w) for i, (v, w) in enumerate(cells)))


def paired(samples: dict[Any, list[float]], a: Any, b: Any) -> float:
    """Median over rounds of a/b, each pair timed in the same round (robust to drift)."""
    return statistics.median(x / y for x, y in zip(samples[a], samples[b], strict=True))


def _speed_rows(stats: dict, samples: dict, ok: dict, fmt: str) -> list[list[str]]:
    """system | median | IQR | min | ag_bridge / this (medians, paired) | grad ok; references last."""
    base = stats[AG]["median"]
    rows = []
    for name, s in sorted(stats.items(), key=lambda kv: kv[0].startswith("(")):
        good = "-" if name not in ok else "yes" if ok[name] else "[red]NO[/red]"
        rows.append([name, format(s["median"], fmt), f"{format(s['q1'], fmt)}-{format(s['q3'], fmt)}",
                     format(s["min"], fmt), f"{base / s['median']:.2f}", f"{paired(samples, AG, name):.2f}",
                     good])
    return rows


def _verdict(passed: bool) -> str:
    return "[bold green]PASS[/bold green]" if passed else "[bold red]MISS[/bold red]"


def main(argv: list[str] | None = None) -> dict[str, Any]:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--quick", action="store_true",
                    help="fewer repetitions and M2 iterations (smoke run, < 60 s on an idle 2-core machine)")
    ap.add_argument("--only", default="w1,w2,m1,m2", help="comma-separated sections: w1,w2,m1,m2")
    ap.add_argument("--rounds", type=int, help="timed rounds per system (default 61, quick 7)")
    ap.add_argument("--keep-gc", action="store_true", help="leave the cyclic GC on while timing")
    ap.add_argument("--clock", choices=("wall", "cpu"), default="wall",
                    help="wall: perf_counter_ns (default); cpu: process_time_ns, steadier on a busy machine")
    ap.add_argument("--json", metavar="PATH", help="also write the results as JSON")
    ap.add_argument("--generic", action="store_true",
                    help="ag_bridge on the generic backend over numpy's namespace (no plugin)")
    args = ap.parse_args(argv)
    only = set(args.only.split(","))
    if args.generic:
        global XP, BACKEND
        from ag_bridge._generic import generic_backend

        BACKEND = generic_backend(np)
        XP = BACKEND.namespace
    quick = args.quick
    rounds = args.rounds or (7 if quick else 61)
    rep = Report()
    machine = _machine()
    results: dict[str, Any] = {"machine": machine, "quick": quick, "rounds": rounds, "clock": args.clock}
    systems = [AG] + ([HIPS] if hips is not None else []) + ([TORCH] if torch is not None else [])
    rep.text(f"[bold]ag_bridge engine benchmarks[/bold] {machine['date']}  {machine['cpu']}, "
             f"{machine['cores']} cores; " + ", ".join(f"{k} {v}" for k, v in machine["versions"].items()))
    clock = time.perf_counter_ns if args.clock == "wall" else time.process_time_ns
    rep.text(f"one thread everywhere; {rounds} interleaved rounds per system; medians; {args.clock} clock; "
             f"GC {'on' if args.keep_gc else 'off'} inside timed blocks"
             + ("; [yellow]--quick[/yellow]" if quick else ""))
    load = machine["load"]
    if load is not None and load > 0.5 * (machine["cores"] or 1):
        rep.text(f"[yellow]busy machine: load average {load:.1f} on {machine['cores']} cores; absolute times "
                 "are inflated (ratios less so); rerun when idle or with --clock cpu[/yellow]")
    started = time.perf_counter()

    if "w1" in only:
        x0 = w1_input()
        full = {AG: w1_ag, HIPS: w1_hips, TORCH: w1_torch}
        fwd = {AG: w1_ag_forward, HIPS: w1_hips_forward, TORCH: w1_torch_forward}
        ok = check_w1(systems)
        cases = {s: full[s](x0) for s in systems}
        cases.update({(s, "fwd"): fwd[s](x0) for s in systems})
        cases[NUMPY_REF] = w1_numpy(x0)
        samples = interleaved(cases, rounds, inner=2 if quick else 5, warmup=2 if quick else 5,
                              keep_gc=args.keep_gc, clock=clock)
        stats = summarize(samples, 1e6 / W1_OPS)
        main_stats = {k: v for k, v in stats.items() if isinstance(k, str)}
        results["w1"] = {"unit": "us/op", "grads_agree": ok,
                         "stats": {k if isinstance(k, str) else f"{k[0]} forward": v
                                   for k, v in stats.items()}}
        rows = _speed_rows(main_stats, samples, ok, ".2f")
        for row in rows:
            name = row[0]
            if name in systems:
                f = stats[(name, "fwd")]["median"]
                row[1:1] = [f"{f:.2f}", f"{main_stats[name]['median'] - f:.2f}"]
            else:
                row[1:1] = [row[1], "-"]
        rep.table(f"W1: {W1_OPS}-op elementwise chain on {W1_SIZE} float64, recorded forward + backward, "
                  "µs per op (lower is better)",
                  ["system", "forward", "backward", "total (median)", "IQR", "min", "ag_bridge / this",
                   "paired", "grad ok"], rows)
        if TORCH in stats:
            r = stats[AG]["median"] / stats[TORCH]["median"]
            results["w1"]["bar"] = {"ratio_vs_torch": r, "paired": paired(samples, AG, TORCH),
                                    "pass": r <= 1.0}
            rep.text(f"  bar: ag_bridge per op <= torch.autograd per op: ag_bridge / torch = {r:.2f}  "
                     f"{_verdict(r <= 1.0)}")
        rep.text("  (forward = recorded forward alone, timed separately; backward = total - forward)")

    if "w2" in only:
        X, Y, p0 = w2_data()
        makers = {AG: w2_ag, HIPS: w2_hips, TORCH: w2_torch}
        ok = check_w2(systems)
        cases = {s: makers[s](X, Y, p0)[0] for s in systems}
        cases[NUMPY_W2_REF] = w2_numpy(X, Y, p0)[0]
        samples = interleaved(cases, rounds, inner=3 if quick else 10, warmup=3 if quick else 10,
                              keep_gc=args.keep_gc, clock=clock)
        stats = summarize(samples, 1e3)
        results["w2"] = {"unit": "ms/step", "stats": stats, "grads_agree": ok}
        rep.table(f"W2: MLP {W2_IN}-{W2_HID}-{W2_OUT} tanh, batch {W2_BATCH}, float32, softmax "
                  "cross-entropy; forward + backward + SGD, ms per step (lower is better)",
                  ["system", "median", "IQR", "min", "ag_bridge / this", "paired", "grad ok"],
                  _speed_rows(stats, samples, ok, ".3f"))
        if HIPS in stats:
            r = stats[AG]["median"] / stats[HIPS]["median"]
            results["w2"]["bar"] = {"ratio_vs_hips": r, "paired": paired(samples, AG, HIPS), "pass": r <= 0.8}
            rep.text(f"  bar: ag_bridge step <= 0.8x HIPS step: ag_bridge / HIPS = {r:.2f}  "
                     f"{_verdict(r <= 0.8)}")

    if "m1" in only:
        lengths = [25_000, 50_000, 100_000]
        rows = mem_chain(lengths)
        results["m1"] = rows
        table = []
        for i, r in enumerate(rows):
            marginal = "-" if i == 0 else \
                f"{(r['peak_bytes'] - rows[i - 1]['peak_bytes']) / (r['ops'] - rows[i - 1]['ops']):.0f} B"
            table.append([f"{r['ops']:,}", f"{r['graph_bytes'] / 2**20:.1f} MiB",
                          f"{r['graph_per_op']:.0f} B", f"{r['peak_bytes'] / 2**20:.1f} MiB",
                          f"{r['peak_per_op']:.0f} B", marginal,
                          f"{r['after_bytes'] / 2**10:.1f} KiB", f"{r['forward_s']:.2f}",
                          f"{r['backward_s']:.2f}", "yes" if r["finite"] else "[red]NO[/red]"])
        rep.table(f"M1: long chains (the recursion limit is {sys.getrecursionlimit()}): record + backward, "
                  "memory traced by tracemalloc (tracing slows the timings)",
                  ["ops", "graph after forward", "graph / op", "peak", "peak / op", "marginal peak / op",
                   "left after del", "forward s", "backward s", "grad finite"], table)
        spread = max(r["graph_per_op"] for r in rows) / min(r["graph_per_op"] for r in rows)
        pspread = max(r["peak_per_op"] for r in rows) / min(r["peak_per_op"] for r in rows)
        rep.text(f"  linear in length: graph per op varies by {100 * (spread - 1):.1f}%, peak per op by "
                 f"{100 * (pspread - 1):.1f}% across lengths  {_verdict(spread < 1.05 and pspread < 1.15)}")

    if "m2" in only:
        iters, every = (300, 50) if quick else (2000, 250)
        rows = mem_loop(iters, every)
        results["m2"] = rows
        r0 = rows[0]["rss"]
        rep.table("M2: record + backward of sum(sin(x) * x + 0.5 x) on 10^6 float64 elements, "
                  "process RSS",
                  ["iteration", "RSS", "change since iter 1", "x.grad same buffer", "ms / iter"],
                  [[f"{r['iter']:,}", f"{r['rss'] / 2**20:.1f} MiB", f"{(r['rss'] - r0) / 2**20:+.1f} MiB",
                    "yes" if r["same_grad_buffer"] else "[red]NO[/red]", f"{r['s_per_iter'] * 1e3:.2f}"]
                   for r in rows])
        drift = (rows[-1]["rss"] - rows[min(1, len(rows) - 1)]["rss"]) / 2**20
        first = rows[min(1, len(rows) - 1)]["iter"]
        rep.text(f"  flat: RSS change from iteration {first} to {rows[-1]['iter']}: "
                 f"{drift:+.1f} MiB (one array is 7.6 MiB)  {_verdict(abs(drift) < 8)}")

    results["wall_s"] = time.perf_counter() - started
    end_load = _machine()["load"]
    results["load_end"] = end_load
    loads = "" if end_load is None else f" (load average {load:.1f} at start, {end_load:.1f} at end)"
    rep.text(f"done in {results['wall_s']:.1f} s{loads}")
    if args.json:
        Path(args.json).write_text(json.dumps(results, indent=2, default=str))
    return results


if __name__ == "__main__":
    main()
