#!/usr/bin/env python
"""W1-W4 on NumPy, PyTorch and JAX against HIPS autograd, torch.autograd and jax.grad.

One command regenerates the results section of docs/benchmarks.md, its plot and a JSON
file with the machine description (run it on an idle machine)::

    python benchmarks/run.py --write   # JSON in benchmarks/results/, docs/benchmarks.md, docs/bench_chain.png
    python benchmarks/run.py --quick      # smoke run: prints the tables, writes nothing

Every system runs in this one process on one thread; timed blocks are interleaved
round-robin (the order is shuffled every round, seeded) and every figure is a median, every ratio a
ratio of medians from the same run. Speed is reported, never asserted. Memory is
measured in a fresh child process per system (peak RSS above the inputs), and with
tracemalloc over one backward sweep (saved values freed as the sweep consumes them).
"""

from __future__ import annotations

import os

for _var in ("OMP_NUM_THREADS", "OPENBLAS_NUM_THREADS", "MKL_NUM_THREADS", "XLA_FLAGS",
             "VECLIB_MAXIMUM_THREADS", "NUMEXPR_NUM_THREADS", "BLIS_NUM_THREADS"):
    os.environ.setdefault(_var, "1" if _var != "XLA_FLAGS" else
                          "--xla_cpu_multi_thread_eigen=false intra_op_parallelism_threads=1")

import argparse  # noqa: E402
import json  # noqa: E402
import subprocess  # noqa: E402
import sys  # noqa: E402
import time  # noqa: E402
import tracemalloc  # noqa: E402
from pathlib import Path  # noqa: E402

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE))

import bench_engine as be  # noqa: E402  (harness, W1 chain, W2 MLP, machine description)
import numpy as np  # noqa: E402
import workloads as wl  # noqa: E402

import ag_bridge  # noqa: E402

ROOT = HERE.parent
DOC, PNG = ROOT / "docs" / "benchmarks.md", ROOT / "docs" / "bench_chain.png"
BEGIN, END = "<!-- run.py: begin -->", "<!-- run.py: end -->"
REF = {"numpy": wl.TORCH, "torch": wl.TORCH, "jax": wl.JAX}  # each backend's reference


def timed(cases: dict, rounds: int, scale: float, inner: int = 1) -> dict:
    """Medians (times ``scale``) of interleaved rounds, CPU clock when ``--clock cpu``."""
    samples = be.interleaved({k: v for k, v in cases.items() if v is not None}, rounds, inner,
                             warmup=1, keep_gc=False, clock=CLOCK)
    return {k: float(np.median(v)) * scale for k, v in samples.items()}


#: W1's and W2's fewest rounds (their table rows; not --quick, not the plot): a call takes a
#: few ms, and with 9 rounds W1's ratio moved from 0.42 to 0.82 between two runs minutes apart
#: on the shared 2-core machine (with 41: 0.52 and 0.57)
MIN_ROUNDS = 41
#: W3's and W4's fewest rounds (one to two seconds each): with 3, W3's torch ratio moved by 0.06
#: and W4's NumPy time ratio from 0.27 to 0.46 between runs of one afternoon
MIN_W34_ROUNDS = 21


def w1(rounds: int, n: int = be.W1_OPS) -> dict:
    """µs per op of an ``n``-op chain, record + backward, per system."""
    return timed(wl.w1_cases(n), rounds, 1e6 / n)


def w2(rounds: int) -> dict:
    """ms per MLP training step (three back-to-back steps per sample), per system."""
    return timed(wl.w2_cases(), rounds, 1e3, inner=3)


def jit_alone(rounds: int) -> dict:
    """W2's compiled gradient programs alone (µs per call, no update) and XLA's cost analysis
    of each: what the jit target compares once the update's eager operations are left out."""
    progs = wl.jit_programs()
    if not progs:
        return {}
    return {"us": timed({k: call for k, (call, _) in progs.items()}, rounds, 1e6, inner=20),
            "cost": {k: cost for k, (_, cost) in progs.items()}}


def w3(rounds: int, memory: bool = True) -> dict:
    """ms of the 4-layer 1024² forward alone and with backward, their ratio, peak memory."""
    # the forward alone and forward + backward in the same rounds: this machine's speed moves
    # by up to 1.5x for minutes at a time, and two separate runs put different speeds in the ratio
    cases = {(k, bw): v for bw in (True, False) for k, v in wl.w3_cases(backward=bw).items()}
    t = timed(cases, rounds, 1e3)
    full = {k: v for (k, bw), v in t.items() if bw}
    fwd = {k: v for (k, bw), v in t.items() if not bw}
    return {"full_ms": full, "forward_ms": fwd,
            "full_over_forward": {k: full[k] / fwd[k] for k in full if k in fwd},
            "peak_mib": {k: _child("w3", k) for k in full} if memory else {}}


def w4(rounds: int) -> dict:
    """ms and peak memory (child processes) of the 100,000-op chain."""
    t = timed(wl.w4_cases(), rounds, 1e3)
    mem = {k: _child("w4", k) for k in t}
    return {"ms": t, "peak_mib": mem}


def _child(work: str, system: str) -> float | None:
    """Peak RSS (MiB) above the inputs of one run of ``work`` on ``system``, in a fresh process."""
    out = subprocess.run([sys.executable, __file__, "--child", work, system],
                         capture_output=True, text=True, check=False)
    try:
        return float(out.stdout.strip().splitlines()[-1])
    except (ValueError, IndexError):
        print(f"memory child {work}/{system} failed: {out.stderr[-500:]}", file=sys.stderr)
        return None


def child(work: str, system: str) -> None:
    """Print the peak RSS above the inputs while ``work`` runs once on ``system`` (sampled
    every 0.2 ms by a thread: the high-water mark of the process would include imports)."""
    import ctypes
    import threading

    try:  # large blocks straight from (and back to) the OS, so RSS follows live memory
        ctypes.CDLL("libc.so.6").mallopt(-3, 1 << 16)  # M_MMAP_THRESHOLD = 64 KiB
    except (OSError, AttributeError):
        pass
    run = (wl.w3_cases(backward=True) if work == "w3" else wl.w4_cases())[system]
    base, peak, done = _rss_mib(), [0.0], threading.Event()

    def sample() -> None:
        while not done.is_set():
            peak[0] = max(peak[0], _rss_mib())
            time.sleep(0.0002)

    t = threading.Thread(target=sample, daemon=True)
    t.start()
    run()
    done.set()
    t.join()
    print(max(peak[0], _rss_mib()) - base)


def _rss_mib() -> float:
    with open("/proc/self/statm") as f:
        return int(f.read().split()[1]) * os.sysconf("SC_PAGE_SIZE") / 2**20


def sweep_memory(n: int = 1000, size: int = 10_000) -> list:
    """Traced MiB during one backward sweep (NumPy backend), sampled every tenth node:
    it falls as the sweep goes, because each node's saved values are dropped once used."""
    from ag_bridge._registry import Rule

    xp = ag_bridge.namespace("numpy")
    x = ag_bridge.asarray(np.linspace(-1, 1, size))
    x.attach_grad()
    samples, count = [], [0]

    def sampled(fn: object) -> object:  # before each node's rule: every node before it is freed
        def rule(*a: object) -> object:
            count[0] += 1
            if count[0] % (n // 10) == 0:
                samples.append(tracemalloc.get_traced_memory()[0] / 2**20)
            return fn(*a)
        return rule

    tracemalloc.start()
    with ag_bridge.autograd.record():
        y = xp.sum(be.chain(xp, x, n))
    nodes, stack = set(), [y._node]
    while stack:  # the graph's nodes
        node = stack.pop()
        if node not in nodes:
            nodes.add(node)
            stack.extend(p for _, p, _ in node.parents)
    for node in nodes:  # each recorded node calls its rule through sampled()
        if getattr(node, "rule", None) is not None:
            node.rule = Rule(node.rule.name, tuple(map(sampled, node.rule.fns)), None)
    start = tracemalloc.get_traced_memory()[0] / 2**20
    tracemalloc.reset_peak()
    y.backward()
    samples.append(tracemalloc.get_traced_memory()[0] / 2**20)
    peak = tracemalloc.get_traced_memory()[1] / 2**20
    tracemalloc.stop()
    return {"ops": n, "elements": size, "graph_mib": start, "peak_mib": peak,
            "every_tenth_mib": samples}


def chain_curve(rounds: int, lengths: tuple) -> dict:
    """W1's µs per op at each chain length (the plot)."""
    return {n: w1(rounds, n) for n in lengths}


# --------------------------------------------------------------------------- report
def _f(v: float | None, d: int = 2) -> str:
    return "-" if v is None else f"{v:.{d}f}"


def _ratio(a: float | None, b: float | None) -> str:
    return "-" if a is None or b is None else f"{a / b:.2f}"


def _row(label: str, d: dict, digits: int = 2) -> str:
    return f"| {label} | " + " | ".join(_f(d.get(s), digits) for s in wl.SYSTEMS) + " |"


def tables(res: dict) -> str:
    """The Markdown that ``--write`` puts between the markers of docs/benchmarks.md."""
    m = res["machine"]
    other: dict = {}  # rounds -> the workloads that got that many instead of res["rounds"]
    for w in ("w1", "w2", "w3", "w4"):
        n = res.get(f"{w}_rounds", res["rounds"])
        if w in res and n != res["rounds"]:
            other.setdefault(n, []).append(w.upper())
    out = [f"Measured {m['date']} on {m['cpu']} ({m['cores']} cores), load average "
           f"{_f(m['load'])} at the start and {_f(res['load_end'])} at the end; "
           + ", ".join(f"{k} {v}" for k, v in m["versions"].items()) + ". "
           f"`{res['command']}`, {res['rounds']} interleaved rounds"
           + (" (" + ", ".join(f"{n} for {' and '.join(ws)}" for n, ws in other.items()) + ")"
              if other else "")
           + f", {res['clock']} clock; "
           "ratio = ag_bridge / the backend's reference (torch.autograd for NumPy and "
           "PyTorch, jax.grad for JAX), of medians.", ""]
    hdr = "| workload | " + " | ".join(wl.SYSTEMS) + " |"
    out += [hdr, "|---|" + "---:|" * len(wl.SYSTEMS)]
    w = res.get("w1")
    if w:
        out.append(_row("W1 µs per op", w))
    w = res.get("w2")
    if w:
        out.append(_row("W2 ms per step", w, 3))
    w = res.get("w3")
    if w:
        out.append(_row("W3 ms (fwd+bwd)", w["full_ms"], 1))
        out.append(_row("W3 (fwd+bwd) / fwd", w["full_over_forward"]))
        if w.get("peak_mib"):
            out.append(_row("W3 peak MiB (fwd+bwd, above inputs)", w["peak_mib"], 1))
    w = res.get("w4")
    if w:
        out.append(_row("W4 ms", w["ms"], 1))
        out.append(_row("W4 peak MiB", w["peak_mib"], 1))
    out += ["", "Ratios to the reference (lower is better; the issue's targets in brackets):", "",
            "| workload | NumPy / torch.autograd | PyTorch / torch.autograd | JAX / jax.grad |",
            "|---|---:|---:|---:|"]
    w1r, w2r = res.get("w1", {}), res.get("w2", {})
    out.append(f"| W1 per op | {_ratio(w1r.get(wl.AG['numpy']), w1r.get(wl.TORCH))} (≤ 0.6) | "
               f"{_ratio(w1r.get(wl.AG['torch']), w1r.get(wl.TORCH))} (≤ 1.3) | "
               f"{_ratio(w1r.get(wl.AG['jax']), w1r.get(wl.JAX))} |")
    out.append(f"| W2 step | {_ratio(w2r.get(wl.AG['numpy']), w2r.get(wl.TORCH))} (≤ 0.85; "
               f"NumPy by hand {_ratio(w2r.get(wl.BY_HAND), w2r.get(wl.TORCH))}) | "
               f"{_ratio(w2r.get(wl.AG['torch']), w2r.get(wl.TORCH))} (≤ 1.1) | "
               f"eager {_ratio(w2r.get(wl.AG['jax']), w2r.get(wl.JAX))} (≤ 0.4); jit "
               f"{_ratio(w2r.get(wl.AG_JIT), w2r.get(wl.JAX_JIT))} (≤ 1.0) |")
    if "w3" in res:
        f3, fo = res["w3"]["full_ms"], res["w3"]["full_over_forward"]
        p3 = res["w3"].get("peak_mib", {})
        out.append(f"| W3 step | (fwd+bwd)/fwd {_f(fo.get(wl.AG['numpy']))} (≤ 2.85) | "
                   f"{_ratio(f3.get(wl.AG['torch']), f3.get(wl.TORCH))} (≤ 1.05) | - |")
        out.append(f"| W3 peak memory (≤ torch's) | {_ratio(p3.get(wl.AG['numpy']), p3.get(wl.TORCH))} | "
                   f"{_ratio(p3.get(wl.AG['torch']), p3.get(wl.TORCH))} | - |")
    if "w4" in res:
        t4, p4 = res["w4"]["ms"], res["w4"]["peak_mib"]
        out.append(f"| W4 time, peak memory | {_ratio(t4.get(wl.AG['numpy']), t4.get(wl.TORCH))}, "
                   f"{_ratio(p4.get(wl.AG['numpy']), p4.get(wl.TORCH))} | "
                   f"{_ratio(t4.get(wl.AG['torch']), t4.get(wl.TORCH))}, "
                   f"{_ratio(p4.get(wl.AG['torch']), p4.get(wl.TORCH))} | - |")
    ja = res.get("jit_alone")
    if ja:
        us, cost = ja["us"], ja["cost"]

        def work(k: str) -> str:
            c = cost.get(k, {})
            return (f"{c.get('flops', 0) / 1e6:.3f} MFLOP, {c.get('bytes accessed', 0) / 1e6:.3f} MB "
                    f"accessed, {c.get('transcendentals', 0):,.0f} transcendentals")

        out += ["", "jit: the two compiled gradient programs alone (no update, 20 calls a sample): "
                f"ag_bridge {_f(us.get(wl.AG_JIT), 1)} µs, jax.grad {_f(us.get(wl.JAX_JIT), 1)} µs, "
                f"ratio {_ratio(us.get(wl.AG_JIT), us.get(wl.JAX_JIT))}. XLA's cost analysis of "
                f"each: ag_bridge {work(wl.AG_JIT)}; jax.grad {work(wl.JAX_JIT)}."]
    sm = res.get("sweep_memory")
    if sm:
        out += ["", f"Saved values freed as the sweep consumes them (NumPy backend, tracemalloc, "
                f"{sm['ops']}-op W1 chain on {sm['elements']:,} float64): graph "
                f"{sm['graph_mib']:.1f} MiB before `backward()`, peak {sm['peak_mib']:.1f} MiB during "
                "it, and after each tenth of the nodes: "
                + ", ".join(f"{v:.1f}" for v in sm["every_tenth_mib"]) + " MiB."]
    if res.get("plot"):
        out += ["", f"![µs per op against chain length]({PNG.name})"]
    return "\n".join(out)


def plot(curve: dict, path: Path) -> bool:
    """Draw µs per op against chain length (log-log) into ``path``; False without matplotlib."""
    try:
        import matplotlib

        matplotlib.use("Agg")
        import matplotlib.pyplot as plt
    except ImportError:
        print("matplotlib is not installed (pip install -e '.[bench]'): no plot", file=sys.stderr)
        return False
    fig, ax = plt.subplots(figsize=(7, 4.2), dpi=120)
    lengths = sorted(curve)
    for s in wl.SYSTEMS:
        ys = [curve[n].get(s) for n in lengths]
        if all(y is not None for y in ys):
            ax.plot(lengths, ys, marker="o", label=s, linestyle="--" if "ag_bridge" not in s else "-")
    ax.set_xscale("log")
    ax.set_yscale("log")
    ax.set_xlabel("chain length (ops, 16 float64 elements)")
    ax.set_ylabel("µs per op (record + backward)")
    ax.set_title("W1: cost per op against chain length")
    ax.grid(True, which="both", alpha=0.3)
    ax.legend(fontsize=8, ncol=2)
    fig.tight_layout()
    fig.savefig(path)
    plt.close(fig)
    return True


def main() -> None:
    """Command line: see the module docstring."""
    global CLOCK
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--write", action="store_true", help="write JSON, docs/benchmarks.md and the plot")
    ap.add_argument("--quick", action="store_true", help="few rounds, no W3/W4 memory children")
    ap.add_argument("--rounds", type=int, help="interleaved rounds (default 15, quick 3)")
    ap.add_argument("--only", default="w1,w2,w3,w4,mem,plot")
    ap.add_argument("--clock", choices=("wall", "cpu"), default="cpu")
    ap.add_argument("--child", nargs=2, help=argparse.SUPPRESS)
    a = ap.parse_args()
    if a.child:
        return child(*a.child)
    CLOCK = time.process_time_ns if a.clock == "cpu" else time.perf_counter_ns
    rounds = a.rounds or (3 if a.quick else 15)
    only = set(a.only.split(","))
    res = {"machine": be._machine(), "rounds": rounds, "clock": a.clock,
           "command": "python benchmarks/run.py " + " ".join(sys.argv[1:])}
    res["machine"]["versions"].update(wl.versions())
    for name, fn in (("w1", w1), ("w2", w2)):
        if name in only:
            n = rounds if a.quick else max(rounds, MIN_ROUNDS)
            res[name] = fn(n)
            res[f"{name}_rounds"] = n
            print(name, json.dumps(res[name], indent=1), flush=True)
    if "w2" in only:
        res["jit_alone"] = jit_alone(rounds if a.quick else max(rounds, MIN_ROUNDS))
        print("jit_alone", json.dumps(res["jit_alone"], indent=1), flush=True)
    if "w3" in only:
        res["w3_rounds"] = rounds if a.quick else max(rounds, MIN_W34_ROUNDS)
        res["w3"] = w3(res["w3_rounds"], memory=not a.quick)
        print("w3", json.dumps(res["w3"], indent=1), flush=True)
    if "w4" in only and not a.quick:
        res["w4_rounds"] = max(rounds, MIN_W34_ROUNDS)
        res["w4"] = w4(res["w4_rounds"])
        print("w4", json.dumps(res["w4"], indent=1), flush=True)
    if "mem" in only:
        res["sweep_memory"] = sweep_memory()
    if "plot" in only:
        res["chain_curve"] = chain_curve(max(3, rounds // 3), (10, 30, 100, 300, 1000, 3000))
    res["load_end"] = os.getloadavg()[0]
    text = tables(res)
    if a.write and "chain_curve" in res:
        res["plot"] = plot(res["chain_curve"], PNG)
        text = tables(res)
    print(text)
    if a.write:
        out = HERE / "results"
        out.mkdir(exist_ok=True)
        stamp = res["machine"]["date"].replace(":", "")
        (out / f"run-{stamp}.json").write_text(json.dumps(res, indent=1, default=str))
        doc = DOC.read_text()
        i, j = doc.index(BEGIN) + len(BEGIN), doc.index(END)
        DOC.write_text(doc[:i] + "\n" + text + "\n" + doc[j:])
        print(f"wrote {out}/run-{stamp}.json, {DOC}" + (f", {PNG}" if res.get("plot") else ""))


CLOCK = time.process_time_ns

if __name__ == "__main__":
    main()
