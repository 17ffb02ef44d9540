"""ag_bridge on Dask next to the hand-written Dask gradient, on the same engine, in one run.

    python benchmarks/bench_dask.py [--only D1,D2,D3] [--gb 1.6] [--worker-gb 1] [--chunk 5000000]
                                    [--local-mb 480] [--rounds 3]

D1: the gradient of ``sum(tanh(x) * x) / n + mean(x ** 2)`` over a lazy
``--gb`` GB array (chunks of 5,000,000) on a LocalCluster of 2 worker processes
x 1 GB, then ``sum(grad ** 2)``: time and peak worker memory (the scheduler's
samples, ``distributed.diagnostics.MemorySampler``). D2: the same on one
machine without a cluster (threaded scheduler), ``--local-mb`` MB persisted:
time and peak RSS of this process (sampled every 5 ms). D3: logistic-regression
SGD steps per second and CPU time per step (persisted 400,000 x 16 features, threaded
scheduler).
Each prints the task count per step (the graph of the gradient, raw and after
``dask.optimize``). Ratios are ag_bridge / hand-written; targets: time <= 1.3x,
memory <= 1.2x, tasks <= 1.5x. Timings, never assertions: the machine is shared.
"""

from __future__ import annotations

import argparse
import statistics
import threading
import time

import dask
import dask.array as da
import numpy as np
import psutil

import ag_bridge
from ag_bridge import autograd


def loss_grad_ours(x_raw):
    """ag_bridge: record the loss, backward, return x.grad (lazy)."""
    n = x_raw.shape[0]
    x = ag_bridge.asarray(x_raw)
    x.attach_grad()
    xp = x._backend.namespace
    with autograd.record():
        loss = xp.sum(xp.tanh(x) * x) / n + xp.mean(x ** 2)
    loss.backward()
    return ag_bridge.unwrap(x.grad)


def loss_grad_hand(x_raw):
    """The same gradient written by hand: (tanh x + x (1 - tanh^2 x)) / n + 2 x / n."""
    n = x_raw.shape[0]
    t = da.tanh(x_raw)
    return (t + x_raw * (1 - t * t)) / n + 2 * x_raw / n


def tasks(arr) -> tuple[int, int]:
    """Tasks in ``arr``'s graph: as built, and after Dask's optimisation (fusion)."""
    return len(arr.__dask_graph__()), len(dask.optimize(arr)[0].__dask_graph__())


class PeakRSS:
    """Peak resident memory of this process while the block runs (5 ms samples)."""

    def __enter__(self):
        self.peak, self._stop = psutil.Process().memory_info().rss, threading.Event()

        def watch():
            proc = psutil.Process()
            while not self._stop.wait(0.005):
                self.peak = max(self.peak, proc.memory_info().rss)

        self._t = threading.Thread(target=watch, daemon=True)
        self._t.start()
        return self

    def __exit__(self, *exc):
        self._stop.set()
        self._t.join()


def _row(name, ours, hand, unit):
    ratio = ours / hand if hand else float("nan")
    print(f"  {name:<26} ag_bridge {ours:10.3f} {unit:<4} hand-written {hand:10.3f} {unit:<4} "
          f"ratio {ratio:5.2f}")


def _task_rows(ours, hand):
    _row("tasks per step (raw)", tasks(ours)[0], tasks(hand)[0], "")
    _row("tasks per step (fused)", tasks(ours)[1], tasks(hand)[1], "")


def d1(gb: float, rounds: int, worker_gb: float = 1.0, chunk: int = 5_000_000) -> None:
    """The loss on a LocalCluster of 2 workers x ``worker_gb`` GB."""
    from distributed import Client, LocalCluster
    from distributed.diagnostics import MemorySampler

    n = int(gb * 1e9 / 8)
    print(f"D1: loss gradient, {gb} GB lazy array (chunks {chunk:.0e}), LocalCluster 2 workers x "
          f"{worker_gb} GB")
    with LocalCluster(n_workers=2, threads_per_worker=1, memory_limit=int(worker_gb * 1e9),
                      processes=True,
                      host="127.0.0.1", dashboard_address=None) as cluster, Client(cluster) as client:
        x_raw = da.random.default_rng(0).uniform(-1.0, 1.0, n, chunks=chunk)
        times: dict = {"ours": [], "hand": []}
        peaks: dict = {"ours": 0.0, "hand": 0.0}
        ms = MemorySampler()
        for r in range(rounds):
            for name, fn in (("hand", loss_grad_hand), ("ours", loss_grad_ours)):
                t0 = time.perf_counter()
                g = fn(x_raw)
                with ms.sample(f"{name}{r}", measure="process", interval=0.05):
                    total = client.compute(da.sum(g ** 2), sync=True)
                times[name].append(time.perf_counter() - t0)
                peak = max(v for _, v in ms.samples[f"{name}{r}"])  # both workers' processes
                peaks[name] = max(peaks[name], peak / 2)
                print(f"    round {r} {name}: {times[name][-1]:.2f} s, sum(grad**2) = {total:.6g}")
        _row("time (median)", statistics.median(times["ours"]), statistics.median(times["hand"]), "s")
        _row("peak memory per worker", peaks["ours"] / 1e9, peaks["hand"] / 1e9, "GB")
        _task_rows(loss_grad_ours(x_raw), loss_grad_hand(x_raw))


def d2(mb: float, rounds: int) -> None:
    """The loss on one machine (threaded scheduler), the array persisted."""
    n = int(mb * 1e6 / 8)
    print(f"D2: loss gradient, {mb:.0f} MB persisted array (chunks 5e6), threaded scheduler")
    with dask.config.set(scheduler="threads"):
        x_raw = da.random.default_rng(0).uniform(-1.0, 1.0, n, chunks=5_000_000).persist()
        times: dict = {"ours": [], "hand": []}
        peaks: dict = {"ours": 0, "hand": 0}
        for _ in range(rounds):
            for name, fn in (("hand", loss_grad_hand), ("ours", loss_grad_ours)):
                with PeakRSS() as p:
                    t0 = time.perf_counter()
                    float(da.sum(fn(x_raw) ** 2).compute())
                    times[name].append(time.perf_counter() - t0)
                peaks[name] = max(peaks[name], p.peak)
        _row("time (median)", statistics.median(times["ours"]), statistics.median(times["hand"]), "s")
        _row("peak RSS", peaks["ours"] / 1e9, peaks["hand"] / 1e9, "GB")
        _task_rows(loss_grad_ours(x_raw), loss_grad_hand(x_raw))


def d3(rounds: int, steps: int = 10) -> None:
    """Logistic-regression SGD steps per second, MXNet-style vs hand-written."""
    rows, d = 400_000, 16
    print(f"D3: logistic-regression SGD, {rows} x {d} persisted features (chunks of 50,000 rows)")
    with dask.config.set(scheduler="threads"):
        rng = da.random.default_rng(1)
        X = rng.standard_normal((rows, d), chunks=(50_000, d)).persist()
        y = da.sign(X @ da.from_array(np.linspace(-1.0, 1.0, d)) + 0.1).persist()

        def hand_grad(w):
            return X.T @ (-y / (1 + da.exp(y * (X @ w)))) / rows

        def run_hand():
            w = da.zeros(d, chunks=d)
            for _ in range(steps):
                w = (w - 0.5 * hand_grad(w)).persist()
            return w

        xa, ya = ag_bridge.asarray(X), ag_bridge.asarray(y)
        xp = xa._backend.namespace

        def run_ours(last=None):
            w = ag_bridge.asarray(da.zeros(d, chunks=d))
            w.attach_grad()
            for _ in range(steps):
                with autograd.record():
                    loss = xp.mean(xp.log(1 + xp.exp(-ya * xp.matmul(xa, w))))
                loss.backward()
                if last is not None:
                    last.append(ag_bridge.unwrap(w.grad))
                w[:] = w - 0.5 * w.grad  # persisted by Backend.settle
            return ag_bridge.unwrap(w)

        rates: dict = {"ours": [], "hand": []}
        cpu: dict = {"ours": [], "hand": []}  # process time (all threads): steadier under load
        for _ in range(rounds):
            for name, fn in (("hand", run_hand), ("ours", run_ours)):
                t0, c0 = time.perf_counter(), time.process_time()
                fn()
                rates[name].append(steps / (time.perf_counter() - t0))
                cpu[name].append((time.process_time() - c0) / steps * 1e3)
        w_ours, w_hand = run_ours(last := []).compute(), run_hand().compute()
        print(f"    max |w_ours - w_hand| after {steps} steps: {np.max(np.abs(w_ours - w_hand)):.3g}")
        _row("steps per second (median)", statistics.median(rates["ours"]),
             statistics.median(rates["hand"]), "/s")
        _row("CPU time per step (median)", statistics.median(cpu["ours"]),
             statistics.median(cpu["hand"]), "ms")
        _task_rows(last[-1], hand_grad(da.zeros(d, chunks=d)))


def main() -> None:
    """Run the benchmarks named by ``--only``."""
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--only", default="D1,D2,D3")
    ap.add_argument("--gb", type=float, default=1.6)
    ap.add_argument("--worker-gb", type=float, default=1.0)
    ap.add_argument("--chunk", type=int, default=5_000_000)
    ap.add_argument("--local-mb", type=float, default=480.0)
    ap.add_argument("--rounds", type=int, default=3)
    args = ap.parse_args()
    only = {s.strip().upper() for s in args.only.split(",")}
    if "D1" in only:
        d1(args.gb, args.rounds, args.worker_gb, args.chunk)
    if "D2" in only:
        d2(args.local_mb, args.rounds)
    if "D3" in only:
        d3(args.rounds)


if __name__ == "__main__":
    main()
