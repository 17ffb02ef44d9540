#!/usr/bin/env python
"""Where a JAX conformance case's CPU time goes, by phase, with XLA compilations counted.

Run from the repository root (it takes one core for a few minutes)::

    python benchmarks/profile_conformance_jax.py --every 40           # 28 cases
    python benchmarks/profile_conformance_jax.py --every 20 --offset 7 --json out.json

It runs every N-th case of the conformance suite on JAX (all four dtypes,
order 2, the declared gaps of conformance/expectations/jax.toml) in this one
process, with the settings of ``conformance/_env.py``, and prints the CPU
seconds (``time.process_time``) and the XLA compilations (JAX's
``/jax/core/compile/backend_compile_duration`` monitoring event) of each phase:

* ``forward``: the record's forward on JAX arrays (``check._forward``);
* ``gradients``: ag_bridge's recorded forward and backward (``check.gradients``);
* ``single``: the same in float32/complex64 (``check_single``);
* ``hvp``: the create_graph Hessian-vector product (``check._hvp``);
* ``native`` / ``native2``: the jax.vjp oracles (``Backend.native_vjp``/``native_hvp``);
* ``reference``: NumPy's finite-difference-checked result (``policy.Reference``);
* ``other``: the rest (drawing inputs, comparing, judging).

Phases are exclusive (a phase called inside another counts for itself), except that
``single`` and ``reference`` include the checks they call.
``--json`` writes the cells (what ``ag-bridge conformance --report x.json``
holds) to compare two versions' outcomes. The numbers are for developers; the
machine's load changes CPU seconds by tens of percent, compilations not.
"""

from __future__ import annotations

import argparse
import collections
import json
import sys
import time
import warnings
from typing import Any


def main(argv: list[str] | None = None) -> None:
    """Parse the arguments, run the cases, print the table."""
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--every", type=int, default=40, help="run every N-th case (default 40)")
    ap.add_argument("--offset", type=int, default=0, help="index of the first case")
    ap.add_argument("--json", help="write the cells here")
    args = ap.parse_args(argv)

    from ag_bridge.conformance._env import prepare

    prepare()  # before JAX starts: float64 and the fast-compile flags
    warnings.simplefilter("ignore")
    import jax.monitoring
    from ag_bridge.conformance import all_cases, check, policy
    from ag_bridge.conformance.expectations import load

    import ag_bridge

    cpu: collections.Counter = collections.Counter()
    compiles: collections.Counter = collections.Counter()
    stack = ["other"]
    started = [time.process_time()]

    def flush() -> None:  # charge the time since the last switch to the running phase
        now = time.process_time()
        cpu[stack[-1]] += now - started[0]
        started[0] = now

    def switch(to: str | None) -> None:
        flush()
        stack.append(to) if to else stack.pop()

    def timed(fn: Any, phase: str) -> Any:
        def run(*a: Any, **k: Any) -> Any:
            if stack[-1] in ("reference", "single"):  # their own calls count for them
                return fn(*a, **k)
            switch(phase)
            try:
                return fn(*a, **k)
            finally:
                switch(None)
        return run

    def listener(event: str, duration: float, **kw: Any) -> None:
        if event == "/jax/core/compile/backend_compile_duration":
            compiles[stack[-1]] += 1

    jax.monitoring.register_event_duration_secs_listener(listener)
    for name, phase in (("_forward", "forward"), ("gradients", "gradients"), ("_hvp", "hvp"),
                        ("_native", "native"), ("_native2", "native2")):
        setattr(check, name, timed(getattr(check, name), phase))
    policy.check_single = timed(policy.check_single, "single")
    policy.Reference.get = timed(policy.Reference.get, "reference")

    cases = all_cases()[args.offset::args.every]
    exp, ref, b = load("jax"), policy.Reference(), ag_bridge.load_backend("jax")
    cells: list = []
    t0, w0 = time.process_time(), time.perf_counter()
    started[0] = t0
    for case in cases:
        cells += [c.as_dict() for c in policy.run_case(case, b, exp=exp, reference=ref)]
    flush()
    total = time.process_time() - t0
    print(f"{len(cases)} cases (every {args.every}th from {args.offset}): {total:.1f} s CPU "
          f"({total / len(cases):.2f} s a case), {time.perf_counter() - w0:.1f} s wall, "
          f"{sum(compiles.values())} XLA compilations ({sum(compiles.values()) / len(cases):.1f} a case)")
    print(f"{'phase':<10} {'CPU s':>7} {'share':>6} {'compiles':>9}")
    for phase, sec in cpu.most_common():
        print(f"{phase:<10} {sec:7.1f} {sec / total:6.0%} {compiles[phase]:9d}")
    status = collections.Counter(c["status"] for c in cells)
    print("cells:", dict(sorted(status.items())))
    if args.json:
        with open(args.json, "w") as f:
            json.dump(cells, f)


if __name__ == "__main__":
    sys.exit(main())
