"""Declared gaps: what a backend lacks or does differently, kept as data.

Each backend has one TOML file, ``conformance/expectations/<backend>.toml``
(a third-party plugin may pass its own file to :func:`load`). Each entry is
one ``[[gap]]`` table::

    [[gap]]
    op = "linalg.eig*"        # glob over the op's name or a case id ("matmul[2x3,*]": brackets are literal)
    dtype = "complex*"        # optional glob over float64, complex128, float32, complex64
    check = "native2"         # optional: forward, fd, second, native, native2, single
    kind = "xfail"            # see KINDS
    reason = "JAX's second derivative of eig raises (jax#2748)"

Omitted fields match everything. Kinds:

* ``not-provided`` -- the library has no such function (or no such dtype for
  it): the case is not run and is reported as "not provided", never as a
  pass or a failure;
* ``xfail`` -- the check runs and is expected to fail; a pass is reported as
  an unexpected pass (strict), so a gap that closes is noticed;
* ``no-oracle`` -- the check is not meaningful there (the library's own
  autodiff follows another convention): it is not run, and is reported as
  declared.
"""

from __future__ import annotations

import fnmatch
from dataclasses import dataclass
from pathlib import Path
from typing import Any

__all__ = ["Gap", "Expectations", "load", "KINDS", "CHECKS", "DIRECTORY"]

KINDS = ("not-provided", "xfail", "no-oracle")
CHECKS = ("forward", "fd", "second", "native", "native2", "single")
#: where the first-party backends' files live
DIRECTORY = Path(__file__).with_name("expectations")


@dataclass(frozen=True)
class Gap:
    """One declared gap (see the module docstring)."""

    op: str
    kind: str
    reason: str
    dtype: str = "*"
    check: str = "*"
    source: str = ""

    def matches(self, op: str, case_id: str, dtype: str, check: str) -> bool:
        """Whether this gap covers ``check`` of case ``case_id`` (of ``op``) in ``dtype``."""
        pat = self.op.replace("[", "[[]")  # a case id's brackets are literal, not a glob class
        if self.op not in (op, case_id) and not (
                fnmatch.fnmatchcase(op, pat) or fnmatch.fnmatchcase(case_id, pat)):
            return False
        if not fnmatch.fnmatchcase(dtype, self.dtype):
            return False
        return self.check == "*" or check == "*" or fnmatch.fnmatchcase(check, self.check)


class Expectations:
    """The declared gaps of one backend."""

    def __init__(self, backend: str, gaps: tuple[Gap, ...] = ()) -> None:
        self.backend = backend
        self.gaps = tuple(gaps)

    def find(self, op: str, case_id: str, dtype: str, check: str = "*") -> Gap | None:
        """The first gap covering ``check`` of ``case_id`` in ``dtype`` (None: nothing declared).

        ``check="*"`` asks whether anything of the case is declared in that dtype.
        """
        for gap in self.gaps:
            if gap.matches(op, case_id, dtype, check):
                return gap
        return None

    def not_provided(self, op: str, case_id: str, dtype: str) -> Gap | None:
        """The ``not-provided`` gap of this case and dtype, if one is declared."""
        for gap in self.gaps:
            if gap.kind == "not-provided" and gap.matches(op, case_id, dtype, "*"):
                return gap
        return None

    def __len__(self) -> int:
        return len(self.gaps)

    def __repr__(self) -> str:
        return f"<ag_bridge expectations of {self.backend!r}: {len(self.gaps)} gaps>"


def _read_toml(path: Path) -> dict:
    try:
        import tomllib
    except ModuleNotFoundError:  # Python 3.10
        try:
            import tomli as tomllib
        except ModuleNotFoundError:
            raise ImportError(
                f"reading conformance expectations ({path}) needs Python 3.11+ or the 'tomli' "
                "package; pip install tomli"
            ) from None
    with open(path, "rb") as f:
        return tomllib.load(f)


def _gap(entry: Any, path: Path, i: int) -> Gap:
    where = f"{path}, gap {i + 1}"
    if not isinstance(entry, dict):
        raise ValueError(f"{where}: each [[gap]] must be a table")
    unknown = set(entry) - {"op", "dtype", "check", "kind", "reason"}
    if unknown:
        raise ValueError(f"{where}: unknown field(s) {', '.join(sorted(unknown))}; "
                         "use op, dtype, check, kind, reason")
    for req in ("op", "kind", "reason"):
        if not isinstance(entry.get(req), str) or not entry[req].strip():
            raise ValueError(f"{where}: '{req}' is required (a non-empty string)")
    if entry["kind"] not in KINDS:
        raise ValueError(f"{where}: kind {entry['kind']!r} is not one of {', '.join(KINDS)}")
    check = entry.get("check", "*")
    if check != "*" and not any(fnmatch.fnmatchcase(c, check) for c in CHECKS):
        raise ValueError(f"{where}: check {check!r} matches none of {', '.join(CHECKS)}")
    return Gap(entry["op"], entry["kind"], entry["reason"].strip(), entry.get("dtype", "*"), check,
               f"{path.name}:{i + 1}")


def load(backend: str, path: str | Path | None = None) -> Expectations:
    """The declared gaps of ``backend``: from ``path`` if given, else the first-party file
    ``conformance/expectations/<backend>.toml`` (none: nothing declared).

    >>> load("numpy").backend
    'numpy'
    """
    file = Path(path) if path is not None else DIRECTORY / f"{backend}.toml"
    if not file.exists():
        if path is not None:
            raise FileNotFoundError(f"conformance expectations file {file} does not exist")
        return Expectations(backend)
    data = _read_toml(file)
    unknown = set(data) - {"gap"}
    if unknown:
        raise ValueError(f"{file}: unknown top-level key(s) {', '.join(sorted(unknown))}; "
                         "declare gaps as [[gap]] tables")
    return Expectations(backend, tuple(_gap(e, file, i) for i, e in enumerate(data.get("gap", []))))
