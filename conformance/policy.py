"""The run policy of the conformance suite, shared by ``ag-bridge conformance``,
the pytest plugin and this repository's tests.

* NumPy and array-api-strict (:data:`FD_BACKENDS`) are checked against central
  finite differences; every other backend against NumPy's gradients and
  Hessian-vector products (already checked against finite differences: the
  :class:`Reference` cache) and against its own autodiff -- the same numbers,
  much faster.
* JAX compiles every eager operation for each new shape and dtype (1.2 to
  1.9 s of CPU a case, about 38 compilations, with :mod:`._env`'s compile
  flags and the plugin's one-program oracle; 22 CPU-minutes for every case:
  more than CI's 30 minutes on 2 cores can spare; see docs/conformance.md,
  "What is sampled"). Unless a run is
  ``full`` (``--full``, or ``AG_BRIDGE_FULL_CONFORMANCE=1`` in the tests)
  JAX runs the first case of every op and every case that reaches code its
  plugin defines (:func:`runs_on`, decided by :mod:`.reach`). Dask and the
  others run every case.
* Each case runs in float64 (and complex128 where the record allows it); the
  single-precision check then runs the same inputs in float32 / complex64.
  The four dtypes are the matrix's columns.
* Declared gaps come from ``conformance/expectations/<backend>.toml`` (the
  records' deprecated ``skip=``/``native_skip=``/``native2_skip=`` sets are
  still honoured). A forward the library lacks is "not provided", never a
  failure; an ``xfail`` that passes is an unexpected pass, a failure.

:func:`run_case` runs one case on one backend in the requested dtypes and
returns one :class:`Cell` per (dtype, check).
"""

from __future__ import annotations

import os
import traceback
from dataclasses import asdict, dataclass, replace
from typing import Any

import numpy as np

import ag_bridge

from ._record import RECORDS, Case
from .check import CaseResult, check_case, check_single
from .expectations import Expectations
from .expectations import load as load_expectations
from .reach import reaches_plugin

__all__ = ["FD_BACKENDS", "SAMPLED_BACKENDS", "DTYPES", "WIDE", "CHECKS", "STATUSES", "Cell",
           "Reference", "run_case", "sampled", "first_cases", "runs_on", "declared_skip", "reproducer",
           "FAILING"]

#: backends checked against finite differences (the others against NumPy's checked gradients)
FD_BACKENDS = ("numpy", "array_api_strict")
#: backends where, unless a run is full, only the first case of every op and the cases that
#: reach the plugin's own code run (:func:`runs_on`; compiling every eager operation is slow)
SAMPLED_BACKENDS = ("jax",)
#: the matrix's dtype columns
DTYPES = ("float64", "complex128", "float32", "complex64")
#: the double-precision dtype each column is computed from
WIDE = {"float64": "float64", "complex128": "complex128", "float32": "float64", "complex64": "complex128"}
#: the matrix's check columns (``fd``: against finite differences, or NumPy's checked gradient)
CHECKS = ("forward", "fd", "second", "native", "native2", "single")
#: the status of a cell; see docs/conformance.md
STATUSES = ("pass", "fail", "xfail", "xpass", "declared", "not-provided", "error")
#: statuses that make a run fail (exit status 1)
FAILING = ("fail", "xpass", "error")


def sampled(full: bool | None = None) -> tuple[str, ...]:
    """The backends sampled in this run: none when ``full`` (default: the environment
    variable ``AG_BRIDGE_FULL_CONFORMANCE``)."""
    if full is None:
        full = bool(os.environ.get("AG_BRIDGE_FULL_CONFORMANCE"))
    return () if full else SAMPLED_BACKENDS


def first_cases(cases: list[Case]) -> set[int]:
    """``id()`` of the first case of every op in ``cases`` (what a sampled backend runs)."""
    seen: set[str] = set()
    out: set[int] = set()
    for c in cases:
        if c.op not in seen:
            seen.add(c.op)
            out.add(id(c))
    return out


def runs_on(case: Case, backend: str, firsts: set[int], full: bool | None = None) -> bool:
    """Whether ``case`` runs on ``backend`` in this run: always, unless the backend is
    sampled (:func:`sampled`); then when it is the first case of its op (``firsts``, from
    :func:`first_cases`) or reaches code the backend's plugin defines
    (:func:`.reach.reaches_plugin`)."""
    return (backend not in sampled(full) or id(case) in firsts
            or reaches_plugin(case, backend))


@dataclass
class Cell:
    """One (case, backend, dtype, check) outcome: a row of the JSON results."""

    backend: str
    op: str
    case: str
    dtype: str
    check: str
    status: str
    ratio: float | None = None  # worst error / tolerance (ok when <= 1)
    message: str = ""
    reason: str = ""  # of a declared gap
    reproducer: str = ""

    def as_dict(self) -> dict:
        """The JSON form (a non-finite ratio becomes a string)."""
        d = asdict(self)
        if d["ratio"] is not None and not np.isfinite(d["ratio"]):
            d["ratio"] = str(d["ratio"])
        return d


class Reference:
    """NumPy's finite-difference-checked results, computed once per (case, dtype)."""

    def __init__(self) -> None:
        self._cache: dict = {}

    def get(self, case: Case, dtype: str) -> CaseResult:
        """NumPy's result for ``case`` in ``dtype`` (checked against finite differences)."""
        key = (case.id, id(case), dtype)
        if key not in self._cache:
            with ag_bridge.use_backend("numpy"):
                self._cache[key] = check_case(case, "numpy", np.dtype(dtype), native=False)
        return self._cache[key]

    def put(self, case: Case, dtype: str, res: CaseResult) -> None:
        """Reuse NumPy's own checked run as the reference."""
        self._cache[(case.id, id(case), dtype)] = res


def declared_skip(case: Case, backend: str, exp: Expectations, dtype: str = "*") -> str | None:
    """The reason ``case`` is not provided on ``backend`` (None: it is)."""
    if backend in case.skip:  # deprecated: the record's own skip= set
        return f"backend '{backend}' lacks the forward of {case.op} (declared in the record)"
    gap = exp.not_provided(case.op, case.id, dtype)
    if gap is None and dtype == "*":
        gap = next((g for g in exp.gaps if g.kind == "not-provided" and g.dtype == "*"
                    and g.matches(case.op, case.id, "float64", "*")), None)
    return f"{gap.reason} ({gap.source})" if gap is not None else None


def reproducer(case: Case, backend: str, dtype: str) -> str:
    """A runnable snippet that re-runs one case (printed for failures)."""
    idx = RECORDS[case.op].index(case) if case in RECORDS.get(case.op, []) else 0
    return (f"import os; os.environ.setdefault('JAX_ENABLE_X64', '1')\n"
            f"import numpy as np\nimport ag_bridge\n"
            f"from ag_bridge.conformance import RECORDS, check_case\n"
            f"case = RECORDS[{case.op!r}][{idx}]  # {case.id}\n"
            f"with ag_bridge.use_backend({backend!r}):\n"
            f"    print(check_case(case, {backend!r}, np.{WIDE[dtype]}).report())\n")


def _oracle_opt_outs(case: Case, name: str, exp: Expectations, wide: str) -> Case:
    """``case`` with the backend's no-oracle gaps folded into native_skip/native2_skip."""
    nat = exp.find(case.op, case.id, wide, "native")
    nat2 = exp.find(case.op, case.id, wide, "native2")
    if nat is not None and nat.kind == "no-oracle":
        case = replace(case, native_skip=case.native_skip | {name})
    if nat2 is not None and nat2.kind == "no-oracle":
        case = replace(case, native2_skip=case.native2_skip | {name})
    return case


def _judge(cells: list, base: dict, exp: Expectations, case: Case, dtype: str, check: str,
           ratio: float, message: str) -> None:
    gap = exp.find(case.op, case.id, dtype, check)
    ok = ratio <= 1.0
    if gap is not None and gap.kind == "xfail":
        status = "xpass" if ok else "xfail"
        reason = f"{gap.reason} ({gap.source})"
        if ok:
            message = f"unexpected pass of a declared gap: {reason}"
    else:
        status, reason = ("pass" if ok else "fail"), ""
    cells.append(Cell(**base, dtype=dtype, check=check, status=status, ratio=float(ratio),
                      message="" if status == "pass" else message, reason=reason,
                      reproducer=reproducer(case, base["backend"], dtype) if status in FAILING else ""))


def run_case(case: Case, backend: Any, dtypes: tuple = DTYPES, order: int = 2,
             exp: Expectations | None = None, reference: Reference | None = None,
             device: Any = None) -> list[Cell]:
    """Run ``case`` on ``backend`` (a name or a loaded Backend) for ``dtypes`` (of
    :data:`DTYPES`) at derivative ``order`` (1 or 2); one :class:`Cell` per outcome."""
    b = ag_bridge.load_backend(backend)
    name = b.name
    exp = exp if exp is not None else load_expectations(name)
    reference = reference if reference is not None else Reference()
    base = {"backend": name, "op": case.op, "case": case.id}
    cells: list[Cell] = []
    for wide in ("float64", "complex128"):
        wanted = [d for d in dtypes if WIDE[d] == wide]
        if not wanted or (wide == "complex128" and not case.complex):
            continue
        narrow = "float32" if wide == "float64" else "complex64"
        why = declared_skip(case, name, exp, wide)
        if why is not None:
            cells += [Cell(**base, dtype=d, check="forward", status="not-provided", reason=why)
                      for d in wanted]
            continue
        c = _oracle_opt_outs(case, name, exp, wide)
        try:
            ref = None if name in FD_BACKENDS else reference.get(case, wide)
            with ag_bridge.use_backend(b, device=device):
                res = check_case(c, b, np.dtype(wide), second_order=order >= 2, reference=ref)
        except NotImplementedError as e:  # the library lacks the function: not provided
            cells += [Cell(**base, dtype=d, check="forward", status="not-provided",
                           reason=str(e).splitlines()[0]) for d in wanted]
            continue
        except Exception as e:
            msg = f"{type(e).__name__}: {e}".splitlines()[0][:300]
            for d in wanted:
                gap = exp.find(case.op, case.id, d, "forward")
                st = "xfail" if gap is not None and gap.kind == "xfail" else "error"
                cells.append(Cell(**base, dtype=d, check="forward", status=st, message=msg,
                                  reason=f"{gap.reason} ({gap.source})" if st == "xfail" else "",
                                  reproducer=reproducer(case, name, d) + "# " + "# ".join(
                                      traceback.format_exception_only(type(e), e))[:500]
                                  if st == "error" else ""))
            continue
        if name == "numpy" and res.ok:
            reference.put(case, wide, res)
        if wide in wanted:
            cells.append(Cell(**base, dtype=wide, check="forward", status="pass"))
            for check, (ratio, msg) in res.errors.items():
                _judge(cells, base, exp, c, wide, "fd" if check == "cross" else check, ratio, msg)
            for chk, which in (("native", case.native_skip), ("native2", case.native2_skip)):
                gap = exp.find(case.op, case.id, wide, chk)
                if chk not in res.errors and (name in which or (gap and gap.kind == "no-oracle")):
                    cells.append(Cell(**base, dtype=wide, check=chk, status="declared",
                                      reason=f"{gap.reason} ({gap.source})" if gap else
                                      "declared in the record (native_skip/native2_skip)"))
        if narrow in wanted:
            if not case.single:
                cells.append(Cell(**base, dtype=narrow, check="single", status="declared",
                                  reason="the record opts out of the single-precision check "
                                         "(single=False; see its comment)"))
                continue
            failed_wide = [k for k, (r, _) in res.errors.items() if r > 1.0
                           and not (exp.find(case.op, case.id, wide, k) or None)]
            if failed_wide:
                cells.append(Cell(**base, dtype=narrow, check="single", status="fail", ratio=None,
                                  message=f"not run: {wide} failed {', '.join(failed_wide)}",
                                  reproducer=reproducer(case, name, narrow)))
                continue
            try:
                with ag_bridge.use_backend(b, device=device):
                    ratio, msg = check_single(case, b, res)
            except Exception as e:
                ratio, msg = np.inf, f"{type(e).__name__}: {e}".splitlines()[0][:300]
            _judge(cells, base, exp, c, narrow, "single", ratio, msg)
    return cells
