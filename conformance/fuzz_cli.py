"""``ag-bridge fuzz --backend X --programs N --seed S``: differential fuzzing
(:mod:`ag_bridge.conformance.fuzz`). Prints what the programs covered and, per
failure, a minimal runnable reproducer. Exit status: 0 no failure, 1 a failure,
2 bad input, 130 interrupted.
"""

from __future__ import annotations

import argparse
import os
import sys
from collections.abc import Sequence

__all__ = ["main"]
#: the line ``ag-bridge --help`` shows
SUMMARY = "differential fuzzing of gradients with random straight-line programs"


def main(argv: Sequence[str] | None = None) -> int:
    """Entry point of ``ag-bridge fuzz``; returns the exit status."""
    p = argparse.ArgumentParser(prog="ag-bridge fuzz", description="Check gradients, Hessian-vector "
                                "products and jvp of random straight-line programs against NumPy's "
                                "finite-difference-checked ones and the library's own autodiff.")
    p.add_argument("--backend", default="numpy", metavar="NAME|MODULE|pkg.module:Class")
    p.add_argument("--programs", type=int, default=100, help="programs to generate (default 100)")
    p.add_argument("--seed", type=int, default=0, help="hypothesis seed (default 0)")
    p.add_argument("--max-lines", type=int, default=6, help="lines per program (default 6)")
    args = p.parse_args(list(sys.argv[1:] if argv is None else argv))
    os.environ.setdefault("JAX_ENABLE_X64", "1")
    try:
        return _main(args)
    except KeyboardInterrupt:
        print("ag-bridge fuzz: interrupted", file=sys.stderr)
        return 130


def _main(args: argparse.Namespace) -> int:
    from .backend_spec import BackendSpecError, resolve

    if args.programs < 1 or args.max_lines < 1:
        print("ag-bridge fuzz: --programs and --max-lines must be at least 1", file=sys.stderr)
        return 2
    try:
        b = resolve(args.backend)
    except BackendSpecError as e:
        print(f"ag-bridge fuzz: {e}", file=sys.stderr)
        return 2
    try:
        import hypothesis  # noqa: F401
    except ImportError:
        print("ag-bridge fuzz: needs hypothesis; pip install hypothesis", file=sys.stderr)
        return 2
    from .fuzz import run

    bar = None
    try:
        from rich.console import Console
        from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeRemainingColumn

        bar = Progress(TextColumn(f"fuzz {b.name}"), BarColumn(), MofNCompleteColumn(), TextColumn("ETA"),
                       TimeRemainingColumn(), console=Console(stderr=True))
    except ImportError:
        pass
    if bar is not None:
        bar.start()
        job = bar.add_task("fuzz", total=args.programs)
    try:
        rep = run(b.name, args.programs, args.seed, args.max_lines,
                  progress=(lambda: bar.advance(job)) if bar is not None else None)
    finally:
        if bar is not None:
            bar.stop()
    cov = ", ".join(f"{k} {v}" for k, v in sorted(rep.coverage.items()) if v)
    print(f"{rep.programs} programs on {rep.backend} (seed {args.seed}); covered: {cov}")
    for r in rep.failures:
        print("\nFAILURE (shrunk); reproducer:\n" + r)
    print("no failure" if not rep.failures else f"{len(rep.failures)} failure(s)")
    return 1 if rep.failures else 0
