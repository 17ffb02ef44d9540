"""Reports of a conformance run, all drawn from the same JSON results
(:mod:`ag_bridge.conformance.results`): Markdown for docs, a self-contained
HTML page (no network: the matrix, a filter box, a colour per cell, and the
error and reproducer of a cell on click), and the JSON itself.
"""

from __future__ import annotations

import html
import json
from pathlib import Path

from . import opinfo_report
from .results import RANK, SYMBOL, dump, matrix, summary, write_atomic

__all__ = ["markdown", "html_page", "render", "write", "FORMATS"]

FORMATS = (".html", ".md", ".json")
_SHORT = {"float64": "f64", "complex128": "c128", "float32": "f32", "complex64": "c64"}


def _fmt_ratio(r) -> str:
    if r is None:
        return ""
    if isinstance(r, str):
        return r
    return f"{r:.1g}"


def summary_table(results: dict) -> str:
    """The per-backend summary as a Markdown table."""
    lines = ["| backend | library | cases | pass | declared | not provided | fail |",
             "|---|---|---:|---:|---:|---:|---:|"]
    for name, row in summary(results).items():
        info = results["backends"][name]
        lib = info.get("library", "") + (" (sampled: see What is sampled)" if info.get("sampled") else "")
        lines.append(f"| {name} | {lib} | {row['cases']} | {row['pass']} | {row['declared']} | "
                     f"{row['not-provided']} | {row['fail']} |")
    return "\n".join(lines)


def markdown(results: dict) -> str:
    """The matrix of every backend as Markdown: a summary table, then per backend a table
    of ops by (dtype, check) with one symbol per cell, then the declared gaps and failures."""
    out = [summary_table(results), "",
           "Legend: ✓ pass, ✗ fail, ! unexpected pass of a declared gap, ◐ declared gap "
           "(expected failure or no oracle), – not provided by the library; blank: not applicable.", ""]
    for name in results["backends"]:
        cols, rows = matrix(results, name)
        out += [f"### {name}", "", "<details><summary>matrix (ops × dtype/check)</summary>", "",
                "| op | " + " | ".join(f"{_SHORT[d]} {k}" for d, k in cols) + " |",
                "|---|" + "---|" * len(cols)]
        for op, cells in rows.items():
            out.append(f"| `{op}` | " + " | ".join(
                SYMBOL[cells[c]["status"]] if c in cells else "" for c in cols) + " |")
        out += ["", "</details>", ""]
        notes = sorted({(c["status"], c["case"], c["dtype"], c["check"], c["reason"] or c["message"])
                        for c in results["cells"] if c["backend"] == name and c["status"] != "pass"},
                       key=lambda t: (-RANK[t[0]], t[1], t[2], t[3]))
        if notes:
            out += ["| status | case | dtype | check | reason or error |", "|---|---|---|---|---|"]
            out += [f"| {s} | `{cs}` | {d} | {k} | {m.replace('|', '/')} |" for s, cs, d, k, m in notes]
            out.append("")
    extra = opinfo_report.markdown(results)
    return "\n".join(out).rstrip() + "\n" + ("\n" + extra if extra else "")


_CSS = """
body{font:14px system-ui,sans-serif;margin:1em;color:#222}
table{border-collapse:collapse;margin:.5em 0}td,th{border:1px solid #ccc;padding:2px 5px;text-align:center}
th{background:#f3f3f3;position:sticky;top:0}td.op{text-align:left;font-family:monospace}
.pass{background:#c8efc8}.fail,.error{background:#f4a6a6}.xpass{background:#f7c873}
.xfail,.declared{background:#fbeaa0}.not-provided{background:#ddd;color:#555}
td.cell{cursor:pointer;min-width:2.5em}#detail{position:fixed;right:1em;top:1em;width:45%;max-height:90%;
overflow:auto;background:#fff;border:2px solid #888;padding:.5em;display:none}
pre{background:#f6f6f6;padding:.4em;white-space:pre-wrap}#filter{font-size:1.1em;width:30em}
"""

_JS = """
const DATA = JSON.parse(document.getElementById('cells').textContent);
function show(td){
  const ids = td.dataset.cells.split(',').map(Number);
  let h = '<button onclick="this.parentNode.style.display=\\'none\\'">close</button>';
  for (const i of ids){ const c = DATA[i];
    h += `<h3 class="${c.status}">${esc(c.case)} · ${c.dtype} · ${c.check}: ${c.status}</h3>`;
    if (c.ratio !== null) h += `<p>worst error / tolerance: ${c.ratio}</p>`;
    if (c.message) h += `<p>${esc(c.message)}</p>`;
    if (c.reason) h += `<p>declared: ${esc(c.reason)}</p>`;
    if (c.reproducer) h += `<pre>${esc(c.reproducer)}</pre>`; }
  const d = document.getElementById('detail'); d.innerHTML = h; d.style.display = 'block';
}
function esc(s){return String(s).replace(/[&<>"]/g,
  m => ({'&':'&amp;','<':'&lt;','>':'&gt;','"':'&quot;'})[m]);}
document.getElementById('filter').addEventListener('input', e => {
  const q = e.target.value.toLowerCase();
  for (const tr of document.querySelectorAll('tr.row'))
    tr.style.display = (tr.dataset.op + ' ' + tr.dataset.status).toLowerCase().includes(q) ? '' : 'none';
});
for (const td of document.querySelectorAll('td.cell')) td.addEventListener('click', () => show(td));
"""


def html_page(results: dict) -> str:
    """A self-contained HTML page of the matrix (no external resources)."""
    esc = html.escape
    index = {id(c): i for i, c in enumerate(results["cells"])}
    body = [f"<h1>ag_bridge gradient conformance</h1><p>{esc(results['command'])} · "
            f"ag_bridge {esc(results['ag_bridge'])} · {esc(results['created'])}</p>",
            "<table><tr><th>backend</th><th>library</th><th>cases</th><th>pass</th><th>declared</th>"
            "<th>not provided</th><th>fail</th></tr>"]
    for name, row in summary(results).items():
        body.append(f"<tr><td>{esc(name)}</td><td>{esc(results['backends'][name].get('library', ''))}</td>"
                    f"<td>{row['cases']}</td><td>{row['pass']}</td><td>{row['declared']}</td>"
                    f"<td>{row['not-provided']}</td><td>{row['fail']}</td></tr>")
    body.append("</table><p><input id='filter' placeholder='filter: op name or status (fail, declared…)'>"
                " Click a cell for its cases, errors and reproducers.</p>")
    for name in results["backends"]:
        cols, rows = matrix(results, name)
        body.append(f"<h2>{esc(name)}</h2><table class='matrix'><tr><th>op</th>" + "".join(
            f"<th>{_SHORT[d]}<br>{k}</th>" for d, k in cols) + "</tr>")
        for op, cells in rows.items():
            worst = max((e["status"] for e in cells.values()), key=RANK.__getitem__)
            tds = []
            for c in cols:
                e = cells.get(c)
                if e is None:
                    tds.append("<td></td>")
                    continue
                ids = ",".join(str(index[id(x)]) for x in e["cells"])
                label = SYMBOL[e["status"]] + (f" {_fmt_ratio(e['ratio'])}" if e["ratio"] is not None else "")
                tds.append(f"<td class='cell {e['status']}' data-cells='{ids}' "
                           f"title='{e['n']} case(s): {e['status']}'>{esc(label)}</td>")
            body.append(f"<tr class='row' data-op='{esc(name)} {esc(op)}' data-status='{worst}'>"
                        f"<td class='op'>{esc(op)}</td>{''.join(tds)}</tr>")
        body.append("</table>")
    body.append(opinfo_report.html_table(results))
    cells_json = json.dumps(results["cells"], ensure_ascii=True).replace("</", "<\\/")
    return ("<!DOCTYPE html><html lang='en'><head><meta charset='utf-8'>"
            f"<title>ag_bridge conformance</title><style>{_CSS}</style></head><body>"
            + "\n".join(body) + "<div id='detail'></div>"
            f"<script type='application/json' id='cells'>{cells_json}</script>"
            f"<script>{_JS}</script></body></html>\n")


def render(results: dict, suffix: str) -> str:
    """The report text for a file suffix of :data:`FORMATS`."""
    if suffix == ".json":
        return dump(results)
    if suffix == ".md":
        return markdown(results)
    if suffix == ".html":
        return html_page(results)
    raise ValueError(f"unknown report format {suffix!r}; use one of {', '.join(FORMATS)}")


def write(results: dict, path: str | Path) -> None:
    """Write the report named by ``path``'s suffix, atomically."""
    path = Path(path)
    write_atomic(path, render(results, path.suffix.lower()))
