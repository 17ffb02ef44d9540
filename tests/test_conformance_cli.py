"""``ag-bridge conformance``: runs, exit status, reports, declared gaps, bad input; and the
pytest plugin run on an out-of-tree backend, as a backend author's CI would."""

from __future__ import annotations

import os
import subprocess
import sys

import pytest
from ag_bridge.conformance import RECORDS, cli, results

from ag_bridge._registry import RULES

# an out-of-tree plugin: NumPy under another name, whose namespace lacks ``tan``
PLUGIN = '''
import types

import ag_bridge_numpy


class Backend(ag_bridge_numpy.Backend):
    name = "mylib"

    def __init__(self):
        src = self.xp
        self.xp = types.ModuleType("mylib_xp")
        for k in dir(src):
            if k != "tan":
                setattr(self.xp, k, getattr(src, k))
        super().__init__()


class NotABackend:
    pass
'''


@pytest.fixture
def plugin_dir(tmp_path, monkeypatch):
    (tmp_path / "mylib_ag.py").write_text(PLUGIN)
    dist = tmp_path / "mylib_ag-0.1.dist-info"
    dist.mkdir()
    (dist / "METADATA").write_text("Metadata-Version: 2.1\nName: mylib-ag\nVersion: 0.1\n")
    (dist / "entry_points.txt").write_text("[ag_bridge.backends]\nmylib = mylib_ag:Backend\n")
    monkeypatch.syspath_prepend(str(tmp_path))
    return tmp_path


def _run(argv, capsys):
    rc = cli.main(["--quiet", *argv])
    out = capsys.readouterr()
    return rc, out.out, out.err


def test_numpy_run_writes_three_reports_from_one_result(tmp_path, capsys):
    paths = [tmp_path / f"r.{s}" for s in ("json", "md", "html")]
    rc, out, _ = _run(["--backend", "numpy", "--ops", "sin,linalg.det", "--dtype", "float64,float32",
                       *sum((["--report", str(p)] for p in paths), [])], capsys)
    assert rc == 0, out
    data = results.load(paths[0])
    assert data["schema"] == "ag_bridge.conformance" and data["version"] == 1
    cases = {c["case"] for c in data["cells"]}
    assert cases == {c.id for op in ("sin", "linalg.det") for c in RECORDS[op]}
    assert {c["check"] for c in data["cells"]} == {"forward", "fd", "second", "single"}
    assert {c["dtype"] for c in data["cells"]} == {"float64", "float32"}
    assert all(c["status"] == "pass" for c in data["cells"])
    row = results.summary(data)["numpy"]
    assert row["cases"] == len(cases) == row["pass"]
    assert out.splitlines()[1].split()[:3] == ["numpy", str(len(cases)), str(len(cases))]  # cases, pass
    md, page = paths[1].read_text(), paths[2].read_text()
    assert "| `linalg.det` |" in md and "| numpy |" in md
    assert "<table class='matrix'>" in page and "linalg.det" in page and "http" not in page.split("<body>")[1]


def test_a_wrong_rule_fails_with_a_reproducer(tmp_path, capsys, monkeypatch):
    good = RULES["sin"].fns
    monkeypatch.setattr(RULES["sin"], "fns", (lambda xp, g, ans, x: 1.5 * good[0](xp, g, ans, x),))
    rc, out, _ = _run(["--backend", "numpy", "--ops", "sin", "--dtype", "float64",
                       "--report", str(tmp_path / "r.json")], capsys)
    assert rc == 1
    bad = [c for c in results.load(tmp_path / "r.json")["cells"] if c["status"] == "fail"]
    assert bad and {c["check"] for c in bad} >= {"fd"}
    assert "FAIL numpy sin" in out
    # the reproducer runs and shows the failure
    code = bad[0]["reproducer"].replace("print(", "msg = (")
    scope: dict = {}
    exec(code, scope)
    assert "fd:" in scope["msg"]


def test_out_of_tree_class_not_provided_and_strict_unexpected_pass(plugin_dir, tmp_path, capsys):
    exp = tmp_path / "mylib.toml"
    exp.write_text('[[gap]]\nop = "sin[3x4]"\ncheck = "fd"\nkind = "xfail"\nreason = "believed broken"\n')
    rc, _, _ = _run(["--backend", "mylib_ag:Backend", "--ops", "sin,tan", "--dtype", "float64",
                     "--order", "1", "--expectations", str(exp), "--report", str(tmp_path / "r.json")],
                    capsys)
    cells = results.load(tmp_path / "r.json")["cells"]
    tan = {c["status"] for c in cells if c["op"] == "tan"}
    assert tan == {"not-provided"}  # the library lacks tan: shown, neither a failure nor hidden
    assert any("tan() is not provided" in c["reason"] for c in cells if c["op"] == "tan")
    xpass = [c for c in cells if c["status"] == "xpass"]
    assert [(c["case"], c["check"]) for c in xpass] == [("sin[3x4]", "fd")]
    assert "believed broken" in xpass[0]["message"]
    assert rc == 1  # an unexpected pass fails the run (strict)
    assert not [c for c in cells if c["check"] == "second"]  # --order 1


@pytest.mark.parametrize("argv, words", [
    (["--backend", "nosuchlib"], "unknown ag_bridge backend 'nosuchlib'"),
    (["--backend", "nosuchpkg.mod:Backend"], "cannot import 'nosuchpkg.mod'"),
    (["--backend", "mylib_ag:NotABackend"], "is not a subclass of ag_bridge.Backend"),
    (["--backend", "mylib_ag:Missing"], "has no attribute 'Missing'"),
    (["--dtype", "float16"], "unknown dtype float16"),
    (["--ops", "nosuchop*"], "--ops 'nosuchop*' matches no op"),
    (["--report", "{tmp}/missing/r.html"], "does not exist; create it first"),
    (["--report", "{tmp}/r.pdf"], "unknown format .pdf"),
    (["--generic"], "--generic needs --backend MODULE"),
    (["--backend", "nosuchlib", "--generic"], "not an importable array API namespace"),
])
def test_bad_input_is_one_line_and_writes_nothing(argv, words, plugin_dir, tmp_path, capsys):
    argv = [a.replace("{tmp}", str(tmp_path)) for a in argv]
    report = [] if "--report" in argv else ["--report", str(tmp_path / "r.json")]
    before = set(os.listdir(tmp_path))
    rc, out, err = _run(["--ops", "sin", *argv, *report], capsys)
    assert rc == 2
    assert err.count("\n") == 1 and err.startswith("ag-bridge conformance: ") and words in err, err
    assert set(os.listdir(tmp_path)) == before


def test_ctrl_c_stops_cleanly_without_a_report(tmp_path, capsys, monkeypatch):
    calls = []

    def interrupted(task):
        calls.append(task)
        if len(calls) == 2:
            raise KeyboardInterrupt
        return [], {}, 1

    monkeypatch.setattr(cli, "_run_task", interrupted)
    rc, _, err = _run(["--backend", "numpy", "--ops", "sin", "--report", str(tmp_path / "r.html")], capsys)
    assert rc == 130 and err == "ag-bridge conformance: interrupted; no report written\n"
    assert os.listdir(tmp_path) == []


def test_python_m_with_two_jobs(tmp_path):
    out = subprocess.run([sys.executable, "-m", "ag_bridge.conformance", "--backend", "numpy", "--ops",
                          "tanh,matmul", "--jobs", "2", "--quiet", "--report", str(tmp_path / "r.json")],
                         capture_output=True, text=True, timeout=300)
    assert out.returncode == 0, out.stderr
    data = results.load(tmp_path / "r.json")
    assert {c["case"] for c in data["cells"]} == {c.id for op in ("tanh", "matmul") for c in RECORDS[op]}
    assert data["options"]["jobs"] == 2


def test_pytest_plugin_on_an_installed_out_of_tree_backend(plugin_dir):
    env = dict(os.environ, PYTHONPATH=os.pathsep.join([str(plugin_dir), os.environ.get("PYTHONPATH", "")]))
    out = subprocess.run(
        [sys.executable, "-m", "pytest", "-p", "no:cacheprovider", "-rs", "-v", "--pyargs",
         "ag_bridge.conformance", "--ag-bridge-backend=mylib", "-k", "mylib-sin[ or mylib-tan["],
        cwd=plugin_dir, env=env, capture_output=True, text=True, timeout=300)
    text = out.stdout
    assert out.returncode == 0, text[-3000:]
    assert "test_case[mylib-sin[3x4]] PASSED" in text
    assert "test_case[mylib-tan[3x4]] SKIPPED" in text and "tan() is not provided" in text
    assert f"{len(RECORDS['sin'])} passed, {len(RECORDS['tan'])} skipped" in text, text[-500:]


def test_generic_bypasses_the_installed_plugin(tmp_path, capsys):
    """``--generic`` checks array-api-strict through the generic backend (its plugin is
    installed and would otherwise win), in a column of its own, with the gaps of
    ``array_api_strict.generic.toml``."""
    pytest.importorskip("array_api_strict")
    from ag_bridge.conformance.backend_spec import resolve

    import ag_bridge
    from ag_bridge._generic import GenericBackend

    b = resolve("array_api_strict", generic=True)
    assert isinstance(b, GenericBackend) and b.name == "array_api_strict.generic"
    assert b is resolve("array_api_strict", generic=True)
    assert not isinstance(resolve("array_api_strict"), GenericBackend)  # the plugin otherwise
    rc, out, _ = _run(["--backend", "array_api_strict", "--generic", "--ops", "sin[3x4],std[complex,2x3]",
                       "--dtype", "float64,complex128", "--order", "1",
                       "--report", str(tmp_path / "r.json")], capsys)
    assert rc == 0, out
    data = results.load(tmp_path / "r.json")
    assert list(data["backends"]) == ["array_api_strict.generic"]
    std = [c for c in data["cells"] if c["op"] == "std" and c["dtype"] == "complex128"]
    assert std and all(c["status"] == "not-provided" and "array_api_strict.generic.toml" in c["reason"]
                       for c in std)
    assert {c["status"] for c in data["cells"] if c["op"] == "sin"} == {"pass"}
    assert ag_bridge.load_backend("array_api_strict").name == "array_api_strict"  # plugin untouched
