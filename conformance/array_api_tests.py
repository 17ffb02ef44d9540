"""Run the official array API test suite (data-apis/array-api-tests) on ag_bridge's
recording namespace and on the bare library, and list where they differ::

    python -m ag_bridge.conformance.array_api_tests [--backend numpy --backend torch ...]
        [--max-examples N] [--suite DIR] [-k EXPR]

The suite is fetched at run time (``git clone --recurse-submodules``) into
``--suite`` (default: ``~/.cache/ag_bridge/array-api-tests``), never vendored;
it needs ``pytest-json-report`` and ``ndindex`` (``pip install pytest-json-report
ndindex``). For each backend the suite runs twice, on the bare namespace and on
``ag_bridge.namespace(backend)``; the test ids whose outcome differs are printed,
with the reasons recorded in ``conformance/array-api-tests.md``.
"""

from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
import tempfile
from collections.abc import Sequence
from pathlib import Path

__all__ = ["main", "BARE", "URL"]

URL = "https://github.com/data-apis/array-api-tests"
#: the bare namespace of each backend, as array-api-tests imports it
BARE = {"numpy": "array_api_compat.numpy", "torch": "array_api_compat.torch",
        "array_api_strict": "array_api_strict"}


def _fetch(suite: Path) -> None:
    if (suite / "array_api_tests").is_dir():
        return
    suite.parent.mkdir(parents=True, exist_ok=True)
    subprocess.run(["git", "clone", "--depth", "1", "--recurse-submodules", "--shallow-submodules", URL,
                    str(suite)], check=True)


def _run(suite: Path, module: str, max_examples: int, k: str | None) -> dict:
    """Outcome per test id of one run of the suite on ``module`` (an import path or exec form)."""
    with tempfile.TemporaryDirectory() as tmp:
        out = Path(tmp) / "report.json"
        cmd = [sys.executable, "-m", "pytest", "-p", "no:cacheprovider", "-q", "--disable-warnings",
               f"--max-examples={max_examples}", "--json-report", f"--json-report-file={out}",
               "--hypothesis-seed=0", "array_api_tests"]
        if k:
            cmd += ["-k", k]
        env = dict(os.environ, ARRAY_API_TESTS_MODULE=module, JAX_ENABLE_X64="1")
        subprocess.run(cmd, cwd=suite, env=env, stdout=subprocess.DEVNULL, check=False)
        data = json.loads(out.read_text())
    return {t["nodeid"]: t["outcome"] for t in data["tests"]}


def main(argv: Sequence[str] | None = None) -> int:
    """Run the suite per backend, bare and recorded; print the counts and differences."""
    p = argparse.ArgumentParser(prog="python -m ag_bridge.conformance.array_api_tests",
                                description=__doc__.split("\n\n")[0])
    p.add_argument("--backend", action="append", choices=sorted(BARE))
    p.add_argument("--max-examples", type=int, default=10)
    p.add_argument("--suite", type=Path, default=Path.home() / ".cache" / "ag_bridge" / "array-api-tests")
    p.add_argument("-k", help="pytest -k expression (a subset of the suite)")
    args = p.parse_args(argv)
    _fetch(args.suite)
    for name in args.backend or sorted(BARE):
        bare = _run(args.suite, BARE[name], args.max_examples, args.k)
        rec = _run(args.suite, f"exec('import ag_bridge; xp = ag_bridge.namespace(\"{name}\")')",
                   args.max_examples, args.k)
        for label, res in (("bare", bare), ("ag_bridge", rec)):
            counts = {o: sum(v == o for v in res.values()) for o in sorted(set(res.values()))}
            print(f"{name} {label}: {len(res)} tests; " + ", ".join(f"{v} {o}" for o, v in counts.items()))
        diff = sorted(t for t in set(bare) | set(rec) if bare.get(t) != rec.get(t))
        for t in diff:
            print(f"  {name}: {t}: bare {bare.get(t)}, ag_bridge {rec.get(t)}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
