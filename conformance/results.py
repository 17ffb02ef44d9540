"""The JSON results of a conformance run, and the matrix every report is drawn from.

Schema ``ag_bridge.conformance`` version 1 (documented in docs/conformance.md)::

    {
      "schema": "ag_bridge.conformance", "version": 1,
      "ag_bridge": "0.1.0", "created": "2026-11-30T00:00:00Z",
      "command": "ag-bridge conformance --backend numpy",
      "options": {"dtypes": [...], "order": 2, "full": false, "ops": "*", "jobs": 1},
      "backends": {"numpy": {"library": "numpy 2.3.1", "device": null, "sampled": false,
                             "seconds": 12.5}},
      "cells": [{"backend": "numpy", "op": "sin", "case": "sin[3x4]", "dtype": "float64",
                 "check": "fd", "status": "pass", "ratio": 0.02, "message": "", "reason": "",
                 "reproducer": ""}, ...]
    }

The recorded docs results use the compact form: ``"cell_fields"`` lists the
field names and each cell is a row of values in that order. A cell's
``status`` is one of :data:`~ag_bridge.conformance.policy.STATUSES`;
``ratio`` is the worst error over its tolerance (ok when <= 1; null when the
check did not compare numbers; a string for inf/nan).
"""

from __future__ import annotations

import datetime
import json
import os
import tempfile
from collections import defaultdict
from pathlib import Path
from typing import Any

from .policy import CHECKS, DTYPES, FAILING

__all__ = ["SCHEMA", "VERSION", "new_results", "load", "dump", "write_atomic", "matrix", "summary",
           "SYMBOL", "RANK", "case_status"]

SCHEMA, VERSION = "ag_bridge.conformance", 1
#: severity of a status (the worst one names a matrix cell)
RANK = {"pass": 0, "not-provided": 1, "declared": 2, "xfail": 3, "xpass": 4, "fail": 5, "error": 6}
#: one character per status (Markdown and the terminal)
SYMBOL = {"pass": "✓", "fail": "✗", "error": "✗", "xpass": "!", "xfail": "◐", "declared": "◐",
          "not-provided": "–"}


def new_results(command: str, options: dict) -> dict:
    """An empty results document (schema version :data:`VERSION`)."""
    import ag_bridge

    now = datetime.datetime.now(datetime.timezone.utc).replace(microsecond=0)
    return {"schema": SCHEMA, "version": VERSION, "ag_bridge": ag_bridge.__version__,
            "created": now.isoformat().replace("+00:00", "Z"), "command": command,
            "options": options, "backends": {}, "cells": []}


#: the order of a cell's fields in the compact form (``"cell_fields"`` + rows)
CELL_FIELDS = ("backend", "op", "case", "dtype", "check", "status", "ratio", "message", "reason",
               "reproducer")


def load(path: str | Path) -> dict:
    """Read a results file (either form), refusing another schema or a newer version."""
    data = json.loads(Path(path).read_text())
    if data.get("schema") != SCHEMA or not isinstance(data.get("version"), int):
        raise ValueError(f"{path} is not an ag_bridge conformance results file")
    if data["version"] > VERSION:
        raise ValueError(f"{path} has results schema version {data['version']}; this ag_bridge reads "
                         f"up to {VERSION} (upgrade ag_bridge)")
    if "cell_fields" in data:
        fields = data.pop("cell_fields")
        data["cells"] = [dict(zip(fields, row)) for row in data["cells"]]
    return data


def dump(results: dict, compact: bool = False) -> str:
    """The results as JSON text; ``compact``: each cell a row of :data:`CELL_FIELDS` on
    one line, ratios to two significant digits (the recorded docs results)."""
    if not compact:
        return json.dumps(results, indent=1, ensure_ascii=False) + "\n"
    head = {k: v for k, v in results.items() if k != "cells"}
    head["cell_fields"] = list(CELL_FIELDS)
    rows = []
    for c in results["cells"]:
        r = c["ratio"]
        if isinstance(r, float):
            r = float(f"{r:.2g}")
        rows.append(json.dumps([r if k == "ratio" else c[k] for k in CELL_FIELDS], ensure_ascii=False))
    text = json.dumps(head, indent=1, ensure_ascii=False)
    return text[:-2] + ',\n "cells": [\n' + ",\n".join(rows) + "\n ]\n}\n"


def write_atomic(path: str | Path, text: str) -> None:
    """Write ``text`` to ``path`` through a temporary file in the same folder, so a
    reader never sees a half-written report."""
    path = Path(path)
    fd, tmp = tempfile.mkstemp(dir=path.parent, prefix=f".{path.name}.", suffix=".tmp")
    try:
        with os.fdopen(fd, "w", encoding="utf-8") as f:
            f.write(text)
        os.replace(tmp, path)
    except BaseException:
        if os.path.exists(tmp):
            os.unlink(tmp)
        raise


def _ratio(r: Any) -> float:
    if r is None:
        return 0.0
    return float(r) if not isinstance(r, str) else float("inf")


def columns(cells: list[dict]) -> list[tuple[str, str]]:
    """The (dtype, check) pairs present in ``cells``, in the matrix's order."""
    seen = {(c["dtype"], c["check"]) for c in cells}
    return [(d, k) for d in DTYPES for k in CHECKS if (d, k) in seen]


def matrix(results: dict, backend: str) -> tuple[list[tuple[str, str]], dict]:
    """``(columns, rows)`` for one backend: rows map op -> {(dtype, check): entry}, an entry
    ``{"status": worst status, "ratio": worst ratio, "n": cases, "cells": [cell, ...]}``."""
    cells = [c for c in results["cells"] if c["backend"] == backend]
    rows: dict = defaultdict(dict)
    for c in cells:
        e = rows[c["op"]].setdefault((c["dtype"], c["check"]),
                                     {"status": "pass", "ratio": None, "n": 0, "cells": []})
        e["n"] += 1
        e["cells"].append(c)
        if RANK[c["status"]] > RANK[e["status"]]:
            e["status"] = c["status"]
        if c["ratio"] is not None and (e["ratio"] is None or _ratio(c["ratio"]) > _ratio(e["ratio"])):
            e["ratio"] = c["ratio"]
    return columns(cells), dict(sorted(rows.items()))


def case_status(cells: list[dict]) -> str:
    """A case's overall status: fail (anything failing), declared (a declared gap,
    an expected failure or not provided), else pass."""
    sts = {c["status"] for c in cells}
    if sts & set(FAILING):
        return "fail"
    if sts & {"xfail", "declared", "not-provided"}:
        return "not-provided" if sts == {"not-provided"} else "declared"
    return "pass"


def summary(results: dict) -> dict:
    """Per backend: cases, pass, declared, not provided, fail (cases counted once
    over all their dtypes and checks), and cells by status."""
    out: dict = {}
    by_case: dict = defaultdict(list)
    for c in results["cells"]:
        by_case[(c["backend"], c["case"])].append(c)
    for name in results["backends"]:
        row = {"cases": 0, "pass": 0, "declared": 0, "not-provided": 0, "fail": 0,
               "cells": {s: 0 for s in RANK}}
        for (b, _), cells in by_case.items():
            if b != name:
                continue
            row["cases"] += 1
            row[case_status(cells)] += 1
            for c in cells:
                row["cells"][c["status"]] += 1
        out[name] = row
    return out
