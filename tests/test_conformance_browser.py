"""The HTML report renders in a real browser: headless Chromium takes a screenshot of the
matrix and the cells' colours are there (pass and fail). Skips when Chromium is absent
outside CI (.ci/run installs Debian's ``chromium``)."""

from __future__ import annotations

import os
import shutil
import struct
import subprocess
import zlib

import pytest
from ag_bridge.conformance import cli, report, results

from ag_bridge._registry import RULES

CHROMIUM = shutil.which("chromium") or shutil.which("chromium-browser")
PASS, FAIL = (0xC8, 0xEF, 0xC8), (0xF4, 0xA6, 0xA6)  # the page's .pass and .fail backgrounds


def _pixels(png: bytes) -> tuple[int, int, int, bytes]:
    """Width, height, channels and raw rows of an 8-bit non-interlaced PNG (what Chromium writes)."""
    assert png[:8] == b"\x89PNG\r\n\x1a\n"
    pos, idat, head = 8, b"", None
    while pos < len(png):
        n, kind = struct.unpack(">I4s", png[pos:pos + 8])
        body = png[pos + 8:pos + 8 + n]
        if kind == b"IHDR":
            head = struct.unpack(">IIBBBBB", body)
        elif kind == b"IDAT":
            idat += body
        pos += 12 + n
    w, h, depth, color, _, _, interlace = head
    assert depth == 8 and interlace == 0 and color in (2, 6)
    ch = 3 if color == 2 else 4
    raw, stride, prev, out = zlib.decompress(idat), w * ch, bytearray(w * ch), bytearray()
    for y in range(h):
        f, line = raw[y * (stride + 1)], bytearray(raw[y * (stride + 1) + 1:(y + 1) * (stride + 1)])
        for i in range(stride):
            a, b = (line[i - ch] if i >= ch else 0), prev[i]
            c = prev[i - ch] if i >= ch else 0
            if f == 4:  # Paeth
                p = a + b - c
                pa, pb, pc = abs(p - a), abs(p - b), abs(p - c)
                pred = a if pa <= pb and pa <= pc else b if pb <= pc else c
            else:  # None, Sub, Up, Average
                pred = (0, a, b, (a + b) // 2)[f]
            line[i] = (line[i] + pred) & 0xFF
        out += line
        prev = line
    return w, h, ch, bytes(out)


def test_html_report_renders_in_chromium(tmp_path, monkeypatch, capsys):
    if CHROMIUM is None:
        if os.environ.get("CI"):
            pytest.fail("chromium is missing in CI (.ci/run installs Debian's chromium package)")
        pytest.skip("chromium is not installed (apt-get install chromium)")
    good = RULES["tan"].fns  # one op made wrong, so both colours show
    monkeypatch.setattr(RULES["tan"], "fns", (lambda xp, g, ans, x: 2.0 * good[0](xp, g, ans, x),))
    assert cli.main(["--quiet", "--backend", "numpy", "--ops", "sin,tan,cos", "--dtype", "float64",
                     "--order", "1", "--report", str(tmp_path / "r.json")]) == 1
    capsys.readouterr()
    page = tmp_path / "r.html"
    report.write(results.load(tmp_path / "r.json"), page)
    shot = tmp_path / "shot.png"
    subprocess.run([CHROMIUM, "--headless", "--no-sandbox", "--disable-gpu", "--hide-scrollbars",
                    f"--screenshot={shot}", "--window-size=1000,700", page.as_uri()],
                   capture_output=True, timeout=120, check=False)
    assert shot.exists(), "chromium wrote no screenshot"
    w, h, ch, px = _pixels(shot.read_bytes())
    count = {PASS: 0, FAIL: 0}
    for k in range(0, len(px), ch):
        rgb = px[k:k + 3]
        if tuple(rgb) in count:
            count[tuple(rgb)] += 1
    # the matrix rendered: green cells for sin and cos, red ones for tan (each cell ~ 40x20 px)
    assert count[PASS] > 2000 and count[FAIL] > 500, count
    dom = subprocess.run([CHROMIUM, "--headless", "--no-sandbox", "--disable-gpu", "--dump-dom",
                          page.as_uri()], capture_output=True, text=True, timeout=120).stdout
    assert dom.count("class=\"row\"") == 3 and "id=\"filter\"" in dom
