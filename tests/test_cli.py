"""The ``ag-bridge`` command line: dispatch, --version, python -m, help, languages,
one-line errors, also for a broken pipe."""

from __future__ import annotations

import argparse
import os
import re
import subprocess
import sys
import types
from importlib import import_module
from pathlib import Path

import pytest

import ag_bridge
from ag_bridge import cli
from ag_bridge.cli import chapter

ROOT = Path(__file__).resolve().parents[1]


def _run(*args: str, env: dict | None = None, **kw) -> subprocess.CompletedProcess:
    """``python -m ag_bridge ARGS`` in a child process."""
    full = {**os.environ, **(env or {})}
    return subprocess.run([sys.executable, "-m", "ag_bridge", *args], capture_output=True,
                          text=True, env=full, timeout=120, **kw)


def test_every_command_module_follows_the_contract():
    for name, modname in cli.COMMANDS.items():
        mod = import_module(modname)
        assert mod.__doc__ and mod.__doc__.strip(), name
        if hasattr(mod, "add_arguments"):
            assert callable(mod.add_arguments) and callable(mod.run), name
        else:  # parses its own options (conformance, fuzz)
            assert callable(mod.main) and mod.SUMMARY.strip(), name


def test_registering_a_command_is_one_entry(monkeypatch, capsys):
    mod = types.ModuleType("ag_bridge_test_hello", "Say hello.\n\nA longer description.")
    mod.add_arguments = lambda p: p.add_argument("--who", default="world")
    mod.run = lambda args: print(f"hello {args.who}") or 7
    monkeypatch.setitem(sys.modules, mod.__name__, mod)
    monkeypatch.setitem(cli.COMMANDS, "hello", mod.__name__)
    assert cli.main(["hello", "--who", "ag"]) == 7
    assert capsys.readouterr().out == "hello ag\n"
    with pytest.raises(SystemExit):
        cli.main(["--help"])
    assert re.search(r"hello\s+Say hello", capsys.readouterr().out)


def test_version(capsys):
    with pytest.raises(SystemExit) as exc:
        cli.main(["--version"])
    assert exc.value.code == 0
    assert capsys.readouterr().out.strip() == f"ag-bridge {ag_bridge.__version__}"
    project = re.search(r'^version = "(.+)"', (ROOT / "pyproject.toml").read_text(), re.M)
    assert project.group(1) == ag_bridge.__version__  # one version, not two drifting apart


def test_python_dash_m_runs_the_command_line():
    out = _run("--version")
    assert out.returncode == 0 and out.stdout.strip() == f"ag-bridge {ag_bridge.__version__}"
    out = _run("demo", "--plain")
    assert out.returncode == 0 and "array([ 0.,  4.,  8., 12.]" in out.stdout


def test_demo_help_describes_the_command(capsys):
    with pytest.raises(SystemExit):
        cli.main(["demo", "--help"])
    text = capsys.readouterr().out
    assert "Run the autograd chapter of Dive into Deep Learning" in text
    assert "--lang" in text and "--backend" in text and "examples:" in text


def test_demo_in_vietnamese(capsys):
    assert cli.main(["demo", "--plain", "--lang", "vi"]) == 0
    out = capsys.readouterr().out
    assert "Tính vi phân tự động" in out and "A Simple Example" not in out
    assert "array([ 0.,  4.,  8., 12.]" in out  # the same code, the same numbers
    with pytest.raises(SystemExit):
        cli.main(["demo", "--lang", "xx"])


@pytest.mark.parametrize("lang, page", [("en", "getting-started.md"), ("vi", "getting-started.vi.md")])
def test_demo_headings_are_the_pages_headings(lang, page):
    headings = {h.strip().casefold() for h in
                re.findall(r"^#+ (.+)$", (ROOT / "docs" / page).read_text(encoding="utf-8"), re.M)}
    title, intro, cells = chapter.TEXT[lang]
    assert len(cells) == len(chapter.CELLS)
    assert title.casefold() in {h.split(": ")[-1] for h in headings}
    for heading, _ in cells:
        if heading:
            assert heading.casefold() in headings, heading


def test_rich_output_keeps_the_session_prompts(capsys):
    pytest.importorskip("rich")
    assert cli.main(["demo"]) == 0
    out = capsys.readouterr().out
    assert ">>> x = np.arange(4)" in out
    assert "...     y = 2 * np.dot(x, x)" in out
    assert "array(28." in out


def test_unknown_backend_option_is_one_line_with_a_suggestion(capsys):
    assert cli.main(["demo", "--backend", "pytorch"]) == 2
    err = capsys.readouterr().err
    assert err.count("\n") == 1 and "did you mean 'torch'" in err
    assert "ag-bridge[pytorch]" not in err


def test_bad_backend_in_the_environment_is_one_line():
    out = _run("demo", "--plain", env={"AG_BRIDGE_BACKEND": "bogus"})
    assert out.returncode == 2 and out.stdout == ""
    assert out.stderr.count("\n") == 1, out.stderr
    assert "'bogus'" in out.stderr and "AG_BRIDGE_BACKEND" in out.stderr


def test_backends_listing_survives_a_bad_environment(monkeypatch, capsys):
    from ag_bridge._state import DEFAULT

    monkeypatch.setenv("AG_BRIDGE_BACKEND", "bogus")
    monkeypatch.setattr(DEFAULT, "choice", ("bogus", None))
    assert cli.main(["backends"]) == 0
    out = capsys.readouterr()
    assert "numpy" in out.out.split() and "*" not in out.out
    assert out.err.count("\n") == 1 and "AG_BRIDGE_BACKEND=bogus" in out.err


def _closed_pipe_run(*args: str) -> subprocess.CompletedProcess:
    """``python -m ag_bridge ARGS`` writing into a pipe whose reader has already exited
    (``| head`` once head is done): every write fails with EPIPE."""
    read, write = os.pipe()
    os.close(read)
    try:
        return subprocess.run([sys.executable, "-m", "ag_bridge", *args], stdout=write,
                              stderr=subprocess.PIPE, text=True, timeout=120)
    finally:
        os.close(write)


@pytest.mark.parametrize("args", [["demo", "--plain"], ["demo"],
                                  ["conformance", "--backend", "numpy", "--ops", "sin",
                                   "--dtype", "float64", "--order", "1", "--quiet"]],
                         ids=["demo-plain", "demo-rich", "conformance"])
def test_closed_pipe_is_one_line_error(args):
    out = _closed_pipe_run(*args)
    assert out.returncode == 141  # 128 + SIGPIPE, what a shell shows for `cmd | head`
    assert "Traceback" not in out.stderr, out.stderr
    lines = out.stderr.strip().splitlines()
    assert len(lines) == 1 and "broken pipe" in lines[-1], out.stderr
    assert lines[-1].startswith(f"python -m ag_bridge {args[0]}: "), lines


def test_pipe_closed_after_first_line():
    # a real `ag-bridge demo --plain | head -1`: head reads one line, then closes the pipe
    demo = subprocess.Popen([sys.executable, "-m", "ag_bridge", "demo", "--plain"],
                            stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    first = demo.stdout.readline()
    demo.stdout.close()
    err = demo.stderr.read()
    assert demo.wait(timeout=120) == 141
    assert first.endswith("\n") and err.count("\n") == 1 and "broken pipe" in err, err


def test_command_error_and_status():
    err = cli.CommandError("bad thing")
    assert err.status == 2 and str(err) == "bad thing"
    parser = argparse.ArgumentParser()
    from ag_bridge.cli._common import add_backend_argument, resolve_backend

    add_backend_argument(parser)
    assert parser.parse_args(["--backend", "numpy"]).backend == "numpy"
    assert resolve_backend("numpy").name == "numpy"
    with pytest.raises(cli.CommandError, match="no_such_lib"):
        resolve_backend("no_such_lib")
