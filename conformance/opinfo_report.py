"""The OpInfo part of a conformance run: collect it into the results document
and render its totals (samples, match, declared, untranslated, fail per
backend and derivative order) for the terminal, Markdown and HTML reports.

The results document gets an optional ``"opinfo"`` key::

    "opinfo": {"available": true, "reason": "", "per_entry": null,
               "totals": {"numpy": {"1": {"samples": 2844, "match": 2550, "declared": 0,
                                          "untranslated": 294, "fail": 0}, "2": {...}}},
               "outcomes": [{"backend": "numpy", "sample": "opinfo.linalg.svd[3]",
                             "std": "linalg.svd", "dtype": "float64", "order": 1,
                             "status": "untranslated", "message": "..."}, ...]}

``outcomes`` lists every sample that is not a match.
"""

from __future__ import annotations

import html
from collections import Counter
from typing import Any

__all__ = ["collect", "markdown", "html_table", "text", "failing"]

_COLS = ("samples", "match", "declared", "untranslated", "fail")


def collect(results: dict, backends: list, orders: tuple, per_entry: Any = None, entries: Any = None,
            dtypes: tuple = ("float64", "complex128")) -> None:
    """Run the OpInfo samples on ``backends`` and store them in ``results["opinfo"]``.

    ``per_entry``: a name -> int|None mapping (samples per OpInfo entry and dtype
    on that backend; None: all)."""
    from . import opinfo, opinfo_check

    _, reason = opinfo.load()
    outs: list = []
    if not reason:
        for b in backends:
            n = per_entry.get(b.name) if per_entry else None
            outs += [o for o in opinfo_check.run(b, orders, n, entries) if o.dtype in dtypes]
    results["opinfo"] = {"available": not reason, "reason": reason,
                         "per_entry": {b.name: (per_entry or {}).get(b.name) for b in backends},
                         "totals": opinfo_check.totals(outs),
                         "outcomes": [o.as_dict() for o in outs if o.status != "match"]}


def failing(results: dict) -> list:
    """The OpInfo outcomes that fail the run."""
    return [o for o in results.get("opinfo", {}).get("outcomes", []) if o["status"] == "fail"]


def _rows(results: dict) -> list:
    tot = results.get("opinfo", {}).get("totals", {})
    return [(b, order, row) for b, by in tot.items() for order, row in sorted(by.items())]


def text(results: dict) -> str:
    """The totals as plain text (the terminal)."""
    op = results.get("opinfo")
    if op is None:
        return ""
    if not op["available"]:
        return f"OpInfo: not run: {op['reason']}"
    lines = ["OpInfo samples      order  samples  match  declared  untranslated  fail"]
    for b, order, r in _rows(results):
        lines.append(f"{b:18s} {order:>6s} {r['samples']:8d} {r['match']:6d} {r['declared']:9d} "
                     f"{r['untranslated']:13d} {r['fail']:5d}")
    for o in failing(results)[:20]:
        lines.append(f"FAIL {o['backend']} {o['sample']} {o['dtype']} order {o['order']}: {o['message']}")
    return "\n".join(lines)


def markdown(results: dict) -> str:
    """The totals, the failures and declared samples, and why samples did not translate."""
    op = results.get("opinfo")
    if op is None:
        return ""
    out = ["## OpInfo samples", ""]
    if not op["available"]:
        return "\n".join(out + [f"Not run: {op['reason']}", ""])
    out += ["PyTorch's OpInfo sample inputs translated to the standard; torch.autograd is the oracle, "
            "central finite differences arbitrate.", "",
            "| backend | order | " + " | ".join(_COLS) + " |", "|---|---:|" + "---:|" * len(_COLS)]
    out += [f"| {b} | {order} | " + " | ".join(str(r[c]) for c in _COLS) + " |"
            for b, order, r in _rows(results)]
    notes = [o for o in op["outcomes"] if o["status"] in ("fail", "declared")]
    if notes:
        out += ["", "| status | backend | sample | dtype | order | why |", "|---|---|---|---|---:|---|"]
        out += [f"| {o['status']} | {o['backend']} | `{o['sample']}` | {o['dtype']} | {o['order']} | "
                f"{o['message'].replace('|', '/')} |" for o in notes]
    why = Counter((o["sample"].split("[")[0], o["message"]) for o in op["outcomes"]
                  if o["status"] == "untranslated")
    if why:
        out += ["", "Untranslated (all backends and orders): count, entry, reason", ""]
        out += [f"- {n} × `{e}`: {m}" for (e, m), n in sorted(why.items(), key=lambda t: -t[1])]
    return "\n".join(out) + "\n"


def html_table(results: dict) -> str:
    """The totals as an HTML table (empty when OpInfo did not run)."""
    op = results.get("opinfo")
    if op is None:
        return ""
    if not op["available"]:
        return f"<h2>OpInfo samples</h2><p>Not run: {html.escape(op['reason'])}</p>"
    rows = "".join(f"<tr><td>{html.escape(b)}</td><td>{order}</td>"
                   + "".join(f"<td>{r[c]}</td>" for c in _COLS) + "</tr>" for b, order, r in _rows(results))
    fails = "".join(f"<li>{html.escape(o['backend'])} {html.escape(o['sample'])} {o['dtype']} order "
                    f"{o['order']}: {html.escape(o['message'])}</li>" for o in failing(results))
    return ("<h2>OpInfo samples</h2><table><tr><th>backend</th><th>order</th>"
            + "".join(f"<th>{c}</th>" for c in _COLS) + f"</tr>{rows}</table>"
            + (f"<ul class='fail'>{fails}</ul>" if fails else ""))
