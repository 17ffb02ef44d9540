"""Conformance records: one per op and variant, driving every gradient test.

Import the chapter modules to fill :data:`RECORDS`; :func:`check_case` runs
one record on one backend; :mod:`.policy` is the run policy (finite
differences or NumPy's reference, sampling, single precision, declared gaps)
shared by ``ag-bridge conformance`` (:mod:`.cli`; ``python -m
ag_bridge.conformance`` is the same command, printing the matrix for the
installed backends), the pytest plugin (``pytest --pyargs ag_bridge.conformance
--ag-bridge-backend=NAME``) and this repository's tests; ``ag-bridge fuzz``
(:mod:`.fuzz`) checks random programs. docs/conformance.md says how.
"""

from __future__ import annotations

from importlib import import_module

from ._record import RECORDS, Case, Input, binary, record, unary
from .check import CaseResult, check_case, check_single

__all__ = ["RECORDS", "Case", "Input", "record", "unary", "binary", "check_case", "check_single",
           "CaseResult", "all_cases"]

CHAPTERS = (
    "elementwise", "creation", "data_type", "indexing", "linear_algebra", "manipulation",
    "searching", "sorting", "statistical", "utility", "linalg", "fft", "special", "extras",
)

for _name in CHAPTERS:
    try:
        import_module(f"{__name__}.{_name}")
    except ModuleNotFoundError as _exc:
        if _exc.name != f"{__name__}.{_name}":
            raise


def all_cases() -> list[Case]:
    """Every registered case, in a stable order."""
    return [c for op in sorted(RECORDS) for c in RECORDS[op]]
