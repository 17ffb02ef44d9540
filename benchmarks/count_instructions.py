"""Instructions per W2 step on the NumPy backend, counted by valgrind: a measure of the
engine's own cost that does not depend on the machine's load.

The W2 step is shrunk to batch 4 and 8-4-3 units, so that NumPy's arithmetic is small and
what is counted is mostly ag_bridge's Python. Each mode runs in a child process under
``valgrind --tool=cachegrind --cache-sim=no`` with ``PYTHONHASHSEED=0`` (without a fixed
seed, dict layouts move a count of the same code by a few thousand instructions a step):
once with 50 warm-up steps alone and once with ``--steps`` more, and the difference divided
by ``--steps`` is the count per step. The modes are ag_bridge's whole step, its forward pass
alone, its forward and backward passes, and the same step with gradients written by hand in
NumPy (``bench_engine.w2_numpy``); the backward and the update are differences of those.

    python benchmarks/count_instructions.py [--steps 400]

Needs valgrind (``apt install valgrind``); takes about a minute per mode.

``--bytecodes`` counts instead the Python bytecodes one unit of each mode executes after the
warm-up (``sys.settrace`` with ``f_trace_opcodes``), in total and per function. It needs no
valgrind and takes a second; it sees only Python (NumPy's C work is not in it), which is the
engine's whole cost on the shrunk step, and it says where in the engine that cost lies:

    python benchmarks/count_instructions.py --bytecodes [--top 25]
"""

from __future__ import annotations

import argparse
import os
import re
import shutil
import subprocess
import sys
from collections import Counter
from pathlib import Path
from typing import Any

HERE = Path(__file__).resolve().parent
#: the shrunk W2: batch, inputs, hidden units, outputs
SIZES = (4, 8, 4, 3)
WARMUP = 50
MODES = ("step", "forward", "forward+backward", "by hand")


def _step(mode: str) -> Any:
    """The function one call of which is one unit of ``mode``."""
    import bench_engine as be
    import workloads as wl

    be.W2_BATCH, be.W2_IN, be.W2_HID, be.W2_OUT = SIZES
    X0, Y0, p0 = be.w2_data()
    if mode == "by hand":
        return be.w2_numpy(X0, Y0, p0)[0]
    if mode == "step":
        return wl._ag_step("numpy", X0, Y0, p0)
    import ag_bridge
    from ag_bridge import autograd as ag

    xp = ag_bridge.namespace("numpy")
    X, Y = (ag_bridge.asarray(a, backend="numpy") for a in (X0, Y0))
    params = [ag_bridge.asarray(p.copy(), backend="numpy") for p in p0]
    for p in params:
        p.attach_grad()
    backward = mode == "forward+backward"

    def run() -> Any:
        with ag.record():
            loss = wl._loss(xp, params, X, Y, lambda a: a.detach())
        if backward:
            loss.backward()
        return loss

    return run


def child(mode: str, steps: int) -> None:
    """Run ``WARMUP`` + ``steps`` units of ``mode`` (what valgrind counts)."""
    for name in ("torch", "jax", "autograd", "psutil"):  # not needed: skip their imports
        sys.modules.setdefault(name, None)  # (an import of a None entry raises ImportError)
    sys.path.insert(0, str(HERE))
    fn = _step(mode)
    for _ in range(WARMUP + steps):
        fn()


def parse_refs(text: str) -> int:
    """The ``I refs`` total of cachegrind's summary."""
    m = re.search(r"I\s+refs:\s+([\d,]+)", text)
    if m is None:
        raise RuntimeError(f"no 'I refs' line in valgrind's output:\n{text[-2000:]}")
    return int(m.group(1).replace(",", ""))


def count(mode: str, steps: int) -> int:
    """Instructions of ``steps`` units of ``mode`` under valgrind (warm-up subtracted)."""
    env = dict(os.environ, PYTHONHASHSEED="0", OMP_NUM_THREADS="1", OPENBLAS_NUM_THREADS="1")
    refs = []
    for n in (0, steps):
        cmd = ["valgrind", "--tool=cachegrind", "--cache-sim=no", "--cachegrind-out-file=/dev/null",
               sys.executable, str(Path(__file__).resolve()), "--child", mode, str(n)]
        out = subprocess.run(cmd, env=env, capture_output=True, text=True, check=True)
        refs.append(parse_refs(out.stderr))
    return refs[1] - refs[0]


def table(per_step: dict, unit: str = "instructions") -> str:
    """Markdown table: the modes, the phases derived from them, the ratio to by hand."""
    step, fwd, fb, hand = (per_step[m] for m in MODES)
    rows = [("ag_bridge step", step), ("  forward", fwd), ("  backward", fb - fwd),
            ("  update", step - fb), ("NumPy by hand, step", hand)]
    lines = [f"| W2 step (shrunk), NumPy backend | {unit} per step |", "|---|---:|"]
    lines += [f"| {k} | {v:,} |" for k, v in rows]
    return "\n".join(lines) + f"\n\nag_bridge / by hand: {step / hand:.2f}"


def bytecodes(mode: str) -> tuple[Counter, Counter]:
    """The Python bytecodes one unit of ``mode`` executes after ``WARMUP`` units, and the
    calls it makes, per function ``(file, qualified name, first line)``."""
    fn = _step(mode)
    for _ in range(WARMUP):
        fn()
    ops: Counter = Counter()
    calls: Counter = Counter()

    def where(code: Any) -> tuple:
        return (Path(code.co_filename).name, getattr(code, "co_qualname", code.co_name),
                code.co_firstlineno)

    def local(frame: Any, event: str, arg: Any) -> Any:
        if event == "opcode":
            ops[where(frame.f_code)] += 1
        return local

    def enter(frame: Any, event: str, arg: Any) -> Any:  # a new frame: count its opcodes
        frame.f_trace_opcodes = True
        calls[where(frame.f_code)] += 1
        return local

    old = sys.gettrace()
    sys.settrace(enter)  # (frames entered from here on: fn's and those it calls)
    try:
        fn()
    finally:
        sys.settrace(old)
    return ops, calls


def top(ops: Counter, calls: Counter, n: int) -> str:
    """The ``n`` functions that execute the most bytecodes, as a Markdown table."""
    lines = ["| function | bytecodes | calls |", "|---|---:|---:|"]
    lines += [f"| {f}:{line} `{name}` | {v:,} | {calls[(f, name, line)]} |"
              for (f, name, line), v in ops.most_common(n)]
    return "\n".join(lines)


def main() -> None:
    """Count every mode under valgrind and print the table (or, with ``--child``, be one)."""
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--steps", type=int, default=400, help="steps counted after the warm-up")
    ap.add_argument("--bytecodes", action="store_true",
                    help="count Python bytecodes per step instead (no valgrind)")
    ap.add_argument("--top", type=int, default=25, help="with --bytecodes: functions listed")
    ap.add_argument("--child", nargs=2, help=argparse.SUPPRESS)
    a = ap.parse_args()
    if a.child:
        child(a.child[0], int(a.child[1]))
        return
    b, i, h, o = SIZES
    if a.bytecodes:
        sys.path.insert(0, str(HERE))
        counted = {m: bytecodes(m) for m in MODES}
        print(f"W2 shrunk to batch {b} and {i}-{h}-{o} units; one step after {WARMUP} warm-up "
              "steps; Python bytecodes (sys.settrace)\n")
        print(table({m: sum(c[0].values()) for m, c in counted.items()}, "bytecodes"))
        print(f"\nag_bridge's step, the {a.top} functions that execute the most bytecodes:\n")
        print(top(*counted["step"], a.top))
        return
    if shutil.which("valgrind") is None:
        sys.exit("count_instructions.py needs valgrind (apt install valgrind)")
    per_step = {m: count(m, a.steps) // a.steps for m in MODES}
    print(f"W2 shrunk to batch {b} and {i}-{h}-{o} units; {a.steps} steps after {WARMUP} "
          "warm-up steps; valgrind --tool=cachegrind, PYTHONHASHSEED=0\n")
    print(table(per_step))


if __name__ == "__main__":
    main()
