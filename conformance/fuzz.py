"""Differential fuzzing: random straight-line programs, checked on any backend.

A program (built by hypothesis from the templates of :mod:`.fuzz_ops`, over the
spec table's ops) has one or two inputs of random shapes (0-d, empty,
broadcastable), all real or all complex, and one to six lines. It runs as a
conformance :class:`~ag_bridge.conformance.Case`, so the checks are those of
the suite: NumPy's gradient and Hessian-vector product against central finite
differences, the backend's against NumPy's, against the library's own
autodiff where it has one (``native``/``native2``), and ``ag_bridge.jvp``
against finite differences of the forward. A failure is shrunk by hypothesis
and printed as a runnable reproducer (:func:`reproducer`).
"""

from __future__ import annotations

import re
import zlib
from collections import Counter
from dataclasses import dataclass, field, replace
from typing import Any

import numpy as np

import ag_bridge

from ._record import Case, Input
from .check import check_case
from .fuzz_ops import TEMPLATES

__all__ = ["Program", "programs", "check_program", "reproducer", "run", "FuzzReport"]

_SHAPES = ((), (0,), (3,), (1, 3), (2, 3), (2, 1), (3, 2), (2, 2, 3), (0, 2))


@dataclass
class Program:
    """A straight-line program: its source lines, input shapes and kind ("f"/"c")."""

    shapes: tuple
    kind: str
    lines: list = field(default_factory=list)
    used: tuple = ()  # template names, for the coverage count
    result: str = "x0"  # the variable returned

    def source(self) -> str:
        """``def program(xp, x0, ...)`` as Python source."""
        args = ", ".join(f"x{i}" for i in range(len(self.shapes)))
        body = "\n".join(f"    {ln}" for ln in self.lines)
        return f"def program(xp, {args}):\n{body}\n    return {self.result}\n"

    def pruned(self) -> Program:
        """The same program without the lines its result does not depend on."""
        need, keep = {self.result}, []
        for ln in reversed(self.lines):
            target = re.match(r"\w+", ln).group(0)
            if target in need:
                keep.append(ln)
                need |= set(re.findall(r"\b[vx]\d+\b", ln))
        return replace(self, lines=keep[::-1])

    def function(self):
        """The compiled program."""
        scope: dict = {}
        exec(compile(self.source(), "<fuzz program>", "exec"), scope)  # noqa: S102 - generated here
        return scope["program"]


def programs(max_lines: int = 6):
    """The hypothesis strategy of :class:`Program`."""
    from hypothesis import strategies as st

    @st.composite
    def build(draw):
        kind = draw(st.sampled_from(["f", "c"]))
        shapes = tuple(draw(st.lists(st.sampled_from(_SHAPES), min_size=1, max_size=2)))
        vals = [(f"x{i}", s, kind) for i, s in enumerate(shapes)]
        lines, used = [], []
        for k in range(draw(st.integers(1, max_lines))):
            name = draw(st.sampled_from(list(TEMPLATES)))
            out = TEMPLATES[name][2](draw, st, vals)
            if out is None:
                continue
            code, shape, okind = out
            var = f"v{k}"
            lines += [code[0].format(out=var) if len(code) > 1 else f"{var} = {code[0]}"]
            lines += [c.format(out=var) for c in code[1:]]
            vals.append((var, tuple(int(n) for n in shape), okind))
            used.append(name)
        if not lines:
            lines, used, vals = ["v0 = xp.sin(x0)"], ["sin"], vals + [("v0",)]
        return Program(shapes, kind, lines, tuple(used), vals[-1][0])

    return build()


def _case(fn: Any, shapes: list) -> Case:
    """The program as a conformance case; its inputs depend on the shapes only, so a
    reproducer (and a program with its dead lines removed) sees the same numbers."""
    return Case("fuzz", fn, tuple(Input(tuple(s), -1.2, 1.2) for s in shapes), "program",
                rtol=1e-4, atol=1e-5)


def _jvp_error(case: Case, b: Any, dtype: Any) -> tuple[float, str]:
    """``ag_bridge.jvp`` against central differences of the forward (NumPy)."""
    from ._record import make_inputs

    rng = np.random.default_rng(zlib.crc32(case.label.encode()))
    xs = make_inputs(case, rng, dtype)
    ts = [rng.standard_normal(x.shape) + (1j * rng.standard_normal(x.shape) if x.dtype.kind == "c" else 0)
          for x in xs]
    np_b = ag_bridge.load_backend("numpy")

    def f(ys):
        out = case.fn(np_b.namespace, *[ag_bridge.asarray(y, backend=np_b) for y in ys])
        return np.asarray(out.asnumpy(), dtype=complex)

    eps = 1e-6
    fd = (f([x + eps * t for x, t in zip(xs, ts)]) - f([x - eps * t for x, t in zip(xs, ts)])) / (2 * eps)
    with ag_bridge.use_backend(b):
        prim = [ag_bridge.asarray(x, backend=b) for x in xs]
        tan = [ag_bridge.asarray(t.astype(x.dtype), backend=b) for x, t in zip(xs, ts)]
        _, got = ag_bridge.jvp(lambda *a: case.fn(b.namespace, *a), prim, tan)
    got = np.asarray(got.asnumpy(), dtype=complex)
    if got.shape != fd.shape:
        return np.inf, f"jvp shape {got.shape}, expected {fd.shape}"
    if fd.size == 0:
        return 0.0, "ok"
    err = np.abs(got - fd) / (case.atol + case.rtol * np.abs(fd))
    j = int(np.argmax(err))
    return float(err.reshape(-1)[j]), (f"jvp element {j}: got {got.reshape(-1)[j]}, "
                                       f"expected {fd.reshape(-1)[j]}")


def check_program(fn: Any, shapes: list, kind: str = "f", backend: str = "numpy") -> str:
    """Run every check of the program ``fn(xp, *inputs)`` on ``backend``; returns "ok" or
    the failed checks, one per line (what a reproducer prints)."""
    return _check(_case(fn, shapes), backend, kind)


def _check(case: Case, backend: str, kind: str) -> str:
    dtype = np.complex128 if kind == "c" else np.float64
    b = ag_bridge.load_backend(backend)
    errors: dict = {}
    with ag_bridge.use_backend("numpy"):
        ref = check_case(case, "numpy", dtype, native=False)
    errors.update({f"numpy {k}": v for k, v in ref.errors.items()})
    if b.name != "numpy":
        try:
            with ag_bridge.use_backend(b):
                res = check_case(case, b, dtype, reference=ref)
        except NotImplementedError:
            return "ok (not provided)"
        errors.update({f"{b.name} {k}": v for k, v in res.errors.items()})
    errors[f"{b.name} jvp"] = _jvp_error(case, b, dtype)
    bad = [f"{k}: {m} (error/tolerance {r:.3g})" for k, (r, m) in errors.items() if r > 1.0]
    return "\n".join(bad) or "ok"


def reproducer(prog: Program, backend: str, report: str) -> str:
    """A runnable Python script that re-runs the failing program."""
    return ("import os; os.environ.setdefault('JAX_ENABLE_X64', '1')\n"
            "from ag_bridge.conformance.fuzz import check_program\n\n\n"
            f"{prog.source()}\n\n"
            f"# expected 'ok'; the fuzzer saw:\n" + "".join(f"#   {ln}\n" for ln in report.splitlines())
            + f"print(check_program(program, {list(prog.shapes)!r}, kind={prog.kind!r}, "
              f"backend={backend!r}))\n")


@dataclass
class FuzzReport:
    """The outcome of :func:`run`."""

    backend: str
    programs: int = 0
    coverage: Counter = field(default_factory=Counter)
    failures: list = field(default_factory=list)  # reproducers (shrunk)


def run(backend: str = "numpy", programs_: int = 100, seed: int = 0, max_lines: int = 6,
        progress: Any = None) -> FuzzReport:
    """Check ``programs_`` random programs on ``backend``; a failure is shrunk to a minimal
    program and kept as a reproducer."""
    from hypothesis import HealthCheck, Phase, given, settings
    from hypothesis import seed as hseed

    b = ag_bridge.load_backend(backend)
    rep = FuzzReport(b.name)
    last: dict = {}

    @hseed(seed)
    @settings(max_examples=programs_, database=None, deadline=None, derandomize=False,
              suppress_health_check=list(HealthCheck), report_multiple_bugs=False,
              phases=(Phase.generate, Phase.shrink), print_blob=False)
    @given(programs(max_lines))
    def one(prog: Program) -> None:
        rep.programs += 1
        rep.coverage.update({k: 1 for k in prog.used} | {"complex": prog.kind == "c",
                            "0-d": () in prog.shapes, "empty": any(0 in s for s in prog.shapes)})
        if progress is not None:
            progress()
        try:
            out = _check(_case(prog.function(), prog.shapes), b.name, prog.kind)
        except Exception as e:  # a crash is a failure too (NumPy accepts every program)
            out = f"raised {type(e).__name__}: {str(e).splitlines()[0] if str(e) else ''}"
        if out != "ok" and not out.startswith("ok "):
            last["prog"], last["out"] = prog, out
            raise AssertionError(out)

    try:
        one()
    except Exception:  # AssertionError, or hypothesis' Flaky when a failure does not repeat
        if "prog" in last:
            rep.failures.append(reproducer(last["prog"].pruned(), b.name, last["out"]))
    return rep
