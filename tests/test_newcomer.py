"""What a newcomer meets first: installing from a built wheel, how arrays print,
and what a mistyped backend name says."""

from __future__ import annotations

import os
import re
import shutil
import subprocess
import sys
import sysconfig
import zipfile
from pathlib import Path

import numpy
import pytest

import ag_bridge
from ag_bridge._suggest import not_importable, unknown_backend

ROOT = Path(__file__).resolve().parents[1]


# ------------------------------------------------------------------ the wheel
@pytest.mark.slow
def test_built_wheel_installs_into_a_fresh_venv_and_runs_the_demo(tmp_path):
    pytest.importorskip("build")
    src = tmp_path / "src"  # build from a copy: nothing is written into the checkout
    for part in ("ag_bridge", "backends", "conformance"):
        shutil.copytree(ROOT / part, src / part,
                        ignore=shutil.ignore_patterns("__pycache__", "*.egg-info"))
    for part in ("pyproject.toml", "README.md"):
        shutil.copy(ROOT / part, src / part)
    subprocess.run([sys.executable, "-m", "build", "--wheel", "--no-isolation", "--outdir",
                    str(tmp_path / "dist"), str(src)], check=True, capture_output=True, timeout=300)
    (wheel,) = (tmp_path / "dist").glob("ag_bridge-*.whl")
    names = set(zipfile.ZipFile(wheel).namelist())
    data = [f"ag_bridge/conformance/expectations/{p.name}"
            for p in (ROOT / "conformance" / "expectations").glob("*.toml")]
    for must in ("ag_bridge/cli/demo.py", "ag_bridge/__main__.py", "ag_bridge_numpy/__init__.py",
                 "ag_bridge/conformance/expectations.py", *data):
        assert must in names, must

    venv = tmp_path / "venv"
    subprocess.run([sys.executable, "-m", "venv", "--without-pip", str(venv)], check=True, timeout=120)
    bindir = venv / ("Scripts" if os.name == "nt" else "bin")
    py = bindir / ("python.exe" if os.name == "nt" else "python")
    subprocess.run([sys.executable, "-m", "pip", "--python", str(py), "install", "-q", "--no-deps",
                    "--no-index", str(wheel)], check=True, capture_output=True, timeout=300)
    # Dependencies (NumPy, array-api-compat) come from this environment, after the
    # venv's own site-packages; plain path lines do not run this environment's .pth
    # files, so an editable install of the checkout stays invisible there.
    site = sysconfig.get_path("purelib", vars={"base": str(venv), "platbase": str(venv)})
    deps = [p for p in sys.path if p.rstrip("/\\").endswith(("site-packages", "dist-packages"))]
    Path(site, "_outer_deps.pth").write_text("\n".join(deps) + "\n")
    env = {k: v for k, v in os.environ.items() if k not in ("PYTHONPATH", "AG_BRIDGE_BACKEND",
                                                             "AG_BRIDGE_DEVICE")}

    def run(*cmd: str) -> str:
        out = subprocess.run(list(cmd), cwd=tmp_path, env=env, capture_output=True, text=True,
                             timeout=300)
        assert out.returncode == 0, out.stderr
        return out.stdout

    where = run(str(py), "-c", "import ag_bridge, ag_bridge_numpy; print(ag_bridge.__file__); "
                               "print(ag_bridge_numpy.__file__)")
    for line in where.split():
        assert Path(line).resolve().is_relative_to(venv.resolve()), where  # the wheel's code
    assert run(str(bindir / "ag-bridge"), "--version").strip() == f"ag-bridge {ag_bridge.__version__}"
    demo = run(str(bindir / "ag-bridge"), "demo", "--plain")
    assert ">>> x = np.arange(4)" in demo and "array([ 0.,  4.,  8., 12.])" in demo


# ------------------------------------------------------------------ how arrays print
def _float_arrays(backend):
    xp = backend.namespace
    one = ag_bridge.asarray([1.5, -2.0])
    return xp.astype(one, xp.float32), xp.astype(one, xp.float64)


def test_repr_names_the_library_and_dtype(backend):
    f32, f64 = _float_arrays(backend)
    for a in (f32, f64, f32 > 0, ag_bridge.namespace(backend).arange(3)):
        text = repr(a)
        values = a.asnumpy()
        assert str(a) == text
        if backend.name == "numpy":  # NumPy's own text, with MXNet's rule for the dtype:
            own = repr(values).replace(", dtype=float32)", ")")  # float32 (default) without,
            if values.dtype == numpy.float64:  # float64 (NumPy's text omits it) with
                assert text == own[:-1] + ", dtype=float64)", text
            else:
                assert text == own, text
            continue
        tail = re.search(rf", backend='{backend.name}', dtype=(\w+)(, device='[^']*')?\)\Z", text)
        assert tail, text  # a GPU array adds its device
        assert tail.group(1) == str(a.dtype).rsplit(".", 1)[-1], (text, a.dtype)
        assert text.startswith("array(" + numpy.array2string(values, separator=", ", prefix="array("))
    if f32.dtype != f64.dtype:  # JAX without x64 has no float64
        assert repr(f32) != repr(f64)  # float32 no longer prints like float64
        assert ("float64" in repr(f64)) and ("float64" not in repr(f32))


def test_repr_of_a_0d_array_and_a_gradient(backend):
    x = ag_bridge.asarray(3.0)
    x.attach_grad()
    with ag_bridge.autograd.record():
        y = x * x
    y.backward()
    text = repr(x.grad)
    assert text.startswith("array(6.")
    assert (f"backend='{backend.name}'" in text) == (backend.name != "numpy")


# ------------------------------------------------------------------ backend names
def test_misspelt_backend_suggests_the_real_name_and_extra():
    with pytest.raises(ValueError) as exc:
        with ag_bridge.use_backend("pytorch"):
            pass
    msg = str(exc.value)
    assert "did you mean 'torch'?" in msg and "ag-bridge[pytorch]" not in msg
    missing = unknown_backend("pytorch", ["numpy"])  # as where torch is not installed
    assert "pip install 'ag-bridge[torch]'" in missing and "installed backends: numpy" in missing


@pytest.mark.parametrize("typed, meant", [("Torch", "torch"), ("jnp", "jax"),
                                          ("strict", "array_api_strict"), ("nump", "numpy")])
def test_close_names_are_suggested(typed, meant):
    assert f"did you mean {meant!r}?" in unknown_backend(typed, ["numpy", "torch"])


def test_unknown_name_suggests_no_extra_that_does_not_exist():
    msg = unknown_backend("mylib", ["numpy"])
    assert "did you mean" not in msg and "ag-bridge[" not in msg
    assert "ag_bridge.backends" in msg  # how a third-party library plugs in
    assert "pip install 'ag-bridge[jax]'" in not_importable("jax", ImportError("No module named 'jax'"))
    assert "ag-bridge[" not in not_importable("mylib", ImportError("nope"))


# ------------------------------------------------------------------ citations
_OUTSIDE = re.compile(r"DESIGN\.md|shared reference|array-api-facts|conventions-observed")


def _sources():
    for part in ("ag_bridge", "backends", "conformance", "tests", "docs", "benchmarks", "README.md"):
        top = ROOT / part
        for path in ([top] if top.is_file() else top.rglob("*")):
            if path.suffix in (".py", ".md", ".toml") and "__pycache__" not in path.parts:
                yield path, path.relative_to(ROOT).as_posix()


def test_code_and_docs_cite_only_pages_of_this_repository():
    this = Path(__file__).relative_to(ROOT).as_posix()
    for path, rel in _sources():
        if rel == this:
            continue
        text = path.read_text(encoding="utf-8")
        assert not _OUTSIDE.search(text), f"{rel} cites a file outside the repository"
        for page in re.findall(r"\bdocs/[\w.-]+\.md\b", text):
            assert (ROOT / page).is_file(), f"{rel} cites {page}, which does not exist"
