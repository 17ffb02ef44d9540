"""``ag-bridge conformance`` (also ``python -m ag_bridge.conformance``): run the
conformance records on any backend, show a progress bar and the matrix, write
reports.

Exit status: 0 when everything passes or is declared, 1 when a check fails (or
a declared gap passes unexpectedly), 2 on bad input, 130 when interrupted.
Bad input gets one line on stderr and no report file is written.
"""

from __future__ import annotations

import argparse
import fnmatch
import os
import shlex
import signal
import sys
import time
from collections.abc import Sequence
from pathlib import Path
from typing import Any

__all__ = ["main", "build_parser", "UsageError"]
#: the line ``ag-bridge --help`` shows
SUMMARY = "check gradients on any backend; print the matrix and write reports"


class UsageError(ValueError):
    """Bad command-line input (reported in one line, exit status 2)."""


def build_parser() -> argparse.ArgumentParser:
    """The argument parser of ``ag-bridge conformance``."""
    p = argparse.ArgumentParser(
        prog="ag-bridge conformance",
        description="Check ag_bridge's gradients on array-API backends: central finite differences, "
                    "second order, the library's own autodiff, single precision.")
    p.add_argument("--backend", action="append", metavar="NAME|MODULE|pkg.module:Class",
                   help="backend to check (repeat for several; default: every installed one)")
    p.add_argument("--device", help="device to create arrays on (e.g. cuda)")
    p.add_argument("--dtype", default="float64,complex128,float32,complex64",
                   help="comma-separated dtypes (default: all four)")
    p.add_argument("--order", type=int, choices=(1, 2), default=2, help="derivative order (default 2)")
    p.add_argument("--ops", default="*", help="comma-separated globs over op names or case ids")
    p.add_argument("--full", action="store_true",
                   help="every case on every backend (default: JAX runs the first case of each op "
                        "and every case that reaches its plugin's code)")
    p.add_argument("--opinfo", action="store_true",
                   help="also run PyTorch's OpInfo sample inputs translated to the standard (needs torch; "
                        "JAX and Dask run the first 2 samples of each entry unless --full)")
    p.add_argument("--jobs", type=int, default=1, help="worker processes (default 1)")
    p.add_argument("--report", action="append", default=[], metavar="PATH.html|.md|.json",
                   help="write a report (repeat for several formats)")
    p.add_argument("--generic", action="store_true",
                   help="check each --backend module through the generic backend, even where a plugin "
                        "of its library is installed (e.g. --backend array_api_strict --generic: column "
                        "'array_api_strict.generic', gaps in expectations/array_api_strict.generic.toml)")
    p.add_argument("--expectations", metavar="PATH.toml",
                   help="declared gaps of a third-party backend (with one --backend)")
    p.add_argument("--from-json", metavar="PATH.json",
                   help="render --report files from saved results instead of running")
    p.add_argument("--quiet", action="store_true", help="no progress bar and no matrix, only the summary")
    return p


def _dtypes(text: str) -> tuple[str, ...]:
    from .policy import DTYPES

    out = tuple(d.strip() for d in text.split(",") if d.strip())
    bad = [d for d in out if d not in DTYPES]
    if bad or not out:
        raise UsageError(f"unknown dtype {', '.join(bad) or repr(text)}; use a comma-separated list of "
                         f"{', '.join(DTYPES)}")
    return out


def _split(text: str) -> list[str]:
    """Split on the commas outside brackets (case ids hold commas: ``matmul[2x3,3]``)."""
    out, depth, cur = [], 0, ""
    for ch in text:
        depth += (ch == "[") - (ch == "]")
        if ch == "," and depth == 0:
            out.append(cur)
            cur = ""
        else:
            cur += ch
    return [*out, cur]


def _select(pattern: str) -> list:
    from . import all_cases

    globs = [g.strip() for g in _split(pattern) if g.strip()] or ["*"]
    cases = all_cases()
    out = []
    for g in globs:
        pat = g.replace("[", "[[]")
        hit = [c for c in cases if c.op == g or c.id == g or fnmatch.fnmatchcase(c.op, pat)
               or fnmatch.fnmatchcase(c.id, pat)]
        if not hit:
            raise UsageError(f"--ops {g!r} matches no op or case; ops look like 'sin', 'linalg.*', "
                             "'matmul[2x3,3]' (see `python -m ag_bridge.conformance --ops '*' --quiet`)")
        out += [c for c in hit if c not in out]
    return out


def _check_report_paths(paths: list[str]) -> None:
    from .report import FORMATS

    for p in paths:
        path = Path(p)
        if path.suffix.lower() not in FORMATS:
            raise UsageError(f"--report {p}: unknown format {path.suffix or '(none)'}; "
                             f"end the name with {', '.join(FORMATS)}")
        parent = path.parent if str(path.parent) else Path(".")
        if not parent.is_dir():
            raise UsageError(f"--report {p}: folder {parent} does not exist; create it first")
        if not os.access(parent, os.W_OK) or (path.exists() and not os.access(path, os.W_OK)):
            raise UsageError(f"--report {p}: cannot write there (permission denied); choose another path")


# ---------------------------------------------------------------- worker side
_W: dict = {}


def _init_worker(specs: list[str], expectations: str | None, quiet_sigint: bool,
                 generic: bool = False) -> None:
    """Load the backends and their declared gaps once per process."""
    if quiet_sigint:  # the parent handles Ctrl-C and stops the workers
        signal.signal(signal.SIGINT, signal.SIG_IGN)
    from ._env import prepare

    prepare()
    import warnings

    warnings.simplefilter("ignore")  # libraries' casting warnings are the records' intent
    from . import expectations as exp_mod
    from .backend_spec import resolve
    from .policy import Reference

    backends = [resolve(s, generic) for s in specs]
    _W["backends"] = backends
    _W["exp"] = {b.name: exp_mod.load(b.name, expectations) for b in backends}
    _W["ref"] = Reference()


def _run_task(task: tuple) -> tuple[list[dict], dict, int]:
    """Run one case (``op``, index) on the task's backends; returns cell dicts,
    seconds per backend, and how many (case, backend) runs were done."""
    from ._record import RECORDS
    from .policy import run_case

    op, idx, names, dtypes, order, device = task
    case = RECORDS[op][idx]
    cells: list[dict] = []
    secs: dict = {}
    for b in _W["backends"]:
        if b.name not in names:
            continue
        t0 = time.perf_counter()
        cells += [c.as_dict() for c in run_case(case, b, dtypes, order, exp=_W["exp"][b.name],
                                                  reference=_W["ref"], device=device)]
        secs[b.name] = time.perf_counter() - t0
    return cells, secs, len(names)


# ---------------------------------------------------------------- parent side
def _library(b: Any) -> str:
    """The array library behind ``b`` and its version ("torch 2.13.0")."""
    types_ = tuple(getattr(b, "array_types", ()) or ())
    top = (types_[0].__module__ if types_ else getattr(b.xp, "__name__", "?")).split(".")[0]
    if top == "array_api_compat":
        top = getattr(b.xp, "__name__", "?").split(".")[1]
    try:
        from importlib.metadata import version

        return f"{top} {version(top.replace('_', '-'))}"
    except Exception:
        return top


def _progress(quiet: bool):
    if quiet:
        return None
    try:
        from rich.progress import (
            BarColumn,
            MofNCompleteColumn,
            Progress,
            TextColumn,
            TimeElapsedColumn,
            TimeRemainingColumn,
        )
    except ImportError:
        return None
    from ag_bridge.cli._common import rich_console

    return Progress(TextColumn("conformance"), BarColumn(), MofNCompleteColumn(), TextColumn("ETA"),
                    TimeRemainingColumn(), TimeElapsedColumn(), console=rich_console(stderr=True))


def _run(args: argparse.Namespace, specs: list[str], backends: list, cases: list, dtypes: tuple,
         results: dict) -> None:
    from . import policy
    from ._record import RECORDS

    sampled = policy.sampled(args.full)
    firsts = policy.first_cases(cases)
    tasks = []
    for c in cases:
        names = tuple(b.name for b in backends if policy.runs_on(c, b.name, firsts, args.full))
        if names:
            tasks.append((c.op, RECORDS[c.op].index(c), names, dtypes, args.order, args.device))
    total = sum(len(t[2]) for t in tasks)
    for b in backends:
        results["backends"][b.name] = {"library": _library(b), "device": args.device,
                                       "sampled": b.name in sampled, "seconds": 0.0}
    bar = _progress(args.quiet)
    started = time.perf_counter()

    def collect(out: tuple) -> None:
        cells, secs, n = out
        results["cells"].extend(cells)
        for k, v in secs.items():
            results["backends"][k]["seconds"] += v
        if bar is not None:
            bar.advance(job, n)

    if bar is not None:
        bar.start()
        job = bar.add_task("run", total=total)
    try:
        if args.jobs <= 1:
            _init_worker(specs, args.expectations, quiet_sigint=False, generic=args.generic)
            for t in tasks:
                collect(_run_task(t))
        else:
            import multiprocessing

            ctx = multiprocessing.get_context("spawn")
            pool = ctx.Pool(args.jobs, _init_worker, (specs, args.expectations, True, args.generic))
            try:
                # the slowest cases first (linalg), so workers finish together
                order = sorted(tasks, key=lambda t: not t[0].startswith(("linalg", "fft")))
                for out in pool.imap_unordered(_run_task, order, chunksize=1):
                    collect(out)
                pool.close()
            except BaseException:
                pool.terminate()
                raise
            finally:
                pool.join()
    finally:
        if bar is not None:
            bar.stop()
    results["wall_seconds"] = round(time.perf_counter() - started, 1)
    for info in results["backends"].values():
        info["seconds"] = round(info["seconds"], 1)


def _run_opinfo(args: argparse.Namespace, backends: list, dtypes: tuple, results: dict) -> None:
    """The OpInfo samples (:mod:`.opinfo_check`) on ``backends``, into ``results["opinfo"]``."""
    from . import opinfo_report, policy

    globs = [g.strip() for g in _split(args.ops) if g.strip()] or ["*"]

    def wanted(entry: str, std: str) -> bool:
        return any(fnmatch.fnmatchcase(n, g) for g in globs for n in (std, f"opinfo.{entry}"))

    sampled = policy.sampled(args.full)
    started = time.perf_counter()
    opinfo_report.collect(results, backends, (1, 2)[:args.order],
                          {b.name: 2 if b.name in sampled else None for b in backends}, wanted,
                          tuple(d for d in dtypes if d in ("float64", "complex128")))
    results["opinfo"]["seconds"] = round(time.perf_counter() - started, 1)


def _print_matrix(results: dict, quiet: bool) -> None:
    from .report import _SHORT, _fmt_ratio
    from .results import SYMBOL, matrix, summary

    try:
        from rich.table import Table

        from ag_bridge.cli._common import rich_console as Console
    except ImportError:
        Console = None
    styles = {"pass": "green", "fail": "bold red", "error": "bold red", "xpass": "bold yellow",
              "xfail": "yellow", "declared": "yellow", "not-provided": "dim"}
    if not quiet:
        for name in results["backends"]:
            cols, rows = matrix(results, name)
            if Console is None:
                print(f"\n{name}: " + " ".join(f"{_SHORT[d]}/{k}" for d, k in cols))
                for op, cells in rows.items():
                    print(f"  {op:28s} " + " ".join(SYMBOL[cells[c]["status"]] if c in cells else "."
                                                    for c in cols))
                continue
            t = Table(title=f"{name}: worst error / tolerance per op (ok <= 1)")
            t.add_column("op", no_wrap=True)
            for d, k in cols:
                t.add_column(f"{_SHORT[d]}\n{k}", justify="right")
            for op, cells in rows.items():
                t.add_row(op, *[f"[{styles[cells[c]['status']]}]{SYMBOL[cells[c]['status']]} "
                                f"{_fmt_ratio(cells[c]['ratio'])}[/]" if c in cells else "" for c in cols])
            Console().print(t)
    print("backend            cases   pass  declared  not-provided  fail  seconds")
    for name, row in summary(results).items():
        info = results["backends"][name]
        print(f"{name:18s} {row['cases']:5d} {row['pass']:6d} {row['declared']:9d} "
              f"{row['not-provided']:13d} {row['fail']:5d} {info['seconds']:8.1f}"
              + ("  (sampled)" if info["sampled"] else ""))
    from .opinfo_report import text

    if text(results):
        print(text(results))
    failing = [c for c in results["cells"] if c["status"] in ("fail", "xpass", "error")]
    for c in failing[:20]:
        print(f"FAIL {c['backend']} {c['case']} {c['dtype']} {c['check']}: {c['status']}: {c['message']}")
    if len(failing) > 20:
        print(f"... {len(failing) - 20} more failures (write --report for all)")


def main(argv: Sequence[str] | None = None) -> int:
    """Entry point of ``ag-bridge conformance``; returns the exit status."""
    argv = list(sys.argv[1:] if argv is None else argv)
    args = build_parser().parse_args(argv)
    try:
        return _main(args, argv)
    except UsageError as e:
        print(f"ag-bridge conformance: {e}", file=sys.stderr)
        return 2
    except KeyboardInterrupt:
        print("ag-bridge conformance: interrupted; no report written", file=sys.stderr)
        return 130


def _main(args: argparse.Namespace, argv: list) -> int:
    from ._env import prepare

    prepare()  # float64, fast XLA compiles: before JAX starts
    from . import report
    from . import results as res_mod
    from .backend_spec import BackendSpecError, resolve

    _check_report_paths(args.report)
    if args.from_json:
        try:
            results = res_mod.load(args.from_json)
        except (OSError, ValueError) as e:
            raise UsageError(f"--from-json: {e}") from None
    else:
        if args.jobs < 1:
            raise UsageError("--jobs must be at least 1")
        dtypes = _dtypes(args.dtype)
        # with --opinfo, globs over "opinfo.<entry>" select OpInfo samples only
        rec = ",".join(g for g in _split(args.ops) if not (args.opinfo and g.strip().startswith("opinfo.")))
        cases = _select(rec) if rec.strip() else []
        import ag_bridge

        specs = args.backend or ag_bridge.available_backends()
        if args.generic and not args.backend:
            raise UsageError("--generic needs --backend MODULE (e.g. --backend array_api_strict --generic)")
        if args.expectations and len(specs) != 1:
            raise UsageError("--expectations needs exactly one --backend")
        try:
            backends = [resolve(s, args.generic) for s in specs]
        except BackendSpecError as e:
            raise UsageError(str(e)) from None
        if args.expectations:
            from . import expectations

            try:
                expectations.load(backends[0].name, args.expectations)
            except (OSError, ValueError, ImportError) as e:
                raise UsageError(f"--expectations: {e}") from None
        results = res_mod.new_results(
            "ag-bridge conformance " + " ".join(shlex.quote(a) for a in argv),
            {"dtypes": list(dtypes), "order": args.order, "full": args.full, "ops": args.ops,
             "jobs": args.jobs, "device": args.device})
        _run(args, specs, backends, cases, dtypes, results)
        if args.opinfo:
            _run_opinfo(args, backends, dtypes, results)
    _print_matrix(results, args.quiet)
    for p in args.report:
        try:
            report.write(results, p)
        except OSError as e:
            raise UsageError(f"--report {p}: {e.strerror or e}") from None
        print(f"wrote {p}")
    from .opinfo_report import failing as opinfo_failing

    failing = any(c["status"] in ("fail", "xpass", "error") for c in results["cells"])
    return 1 if failing or opinfo_failing(results) else 0
