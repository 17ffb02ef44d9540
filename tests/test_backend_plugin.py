"""An out-of-tree backend plugin: found through its entry point, used for gradients.

The plugin is written the way docs/backends.md says: a package with a
:class:`ag_bridge.Backend` subclass, registered under the entry-point group
``ag_bridge.backends``. Here it is "installed" by putting the package and a
``*.dist-info`` with ``entry_points.txt`` on ``sys.path`` of a subprocess.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
import textwrap

import numpy as np
import pytest

pytest.importorskip("array_api_strict")

TOY = '''
"""A minimal ag_bridge plugin: array-api-strict under another name, defaults for the rest."""
import array_api_strict

import ag_bridge


class Backend(ag_bridge.Backend):
    name = "toy"
    xp = array_api_strict
    array_types = (type(array_api_strict.asarray(0)),)
'''

BROKEN = '''
import a_library_that_is_not_installed  # noqa: F401
'''

SCRIPT = '''
import json
import numpy as np
import ag_bridge
from ag_bridge import autograd

names = ag_bridge.available_backends()
b = ag_bridge.load_backend("toy")
with ag_bridge.use_backend("toy"):
    xp = ag_bridge.namespace()
    x = ag_bridge.asarray([1.0, 2.0, 3.0], dtype=xp.float64)
    x.attach_grad()
    with autograd.record():
        y = x[xp.asarray([0, 0, 2])] * xp.sin(x[:3])   # duplicates: the portable scatter-add
        z = xp.sum(y) + xp.sum(x[::-1] ** 2)
    z.backward()
try:
    ag_bridge.set_backend("broken")
    broken = "no error"
except ValueError as exc:
    broken = str(exc)
print(json.dumps({"names": names, "cls": type(b).__module__, "backend": x._backend.name,
                  "raw": type(ag_bridge.unwrap(x.grad)).__module__,
                  "grad": x.grad.tolist(), "broken": broken}))
'''


def _install(root) -> None:
    (root / "ag_bridge_toy").mkdir()
    (root / "ag_bridge_toy" / "__init__.py").write_text(textwrap.dedent(TOY))
    (root / "ag_bridge_broken").mkdir()
    (root / "ag_bridge_broken" / "__init__.py").write_text(BROKEN)
    dist = root / "ag_bridge_toy-0.1.dist-info"
    dist.mkdir()
    (dist / "METADATA").write_text("Metadata-Version: 2.1\nName: ag-bridge-toy\nVersion: 0.1\n")
    (dist / "entry_points.txt").write_text(
        "[ag_bridge.backends]\ntoy = ag_bridge_toy:Backend\nbroken = ag_bridge_broken:Backend\n")


def test_out_of_tree_plugin_is_found_and_differentiates(tmp_path):
    _install(tmp_path)
    env = dict(os.environ)
    env["PYTHONPATH"] = os.pathsep.join([str(tmp_path)] + [p for p in
                                                          [env.get("PYTHONPATH")] if p])
    env.pop("AG_BRIDGE_BACKEND", None)
    env.pop("AG_BRIDGE_DEVICE", None)
    r = subprocess.run([sys.executable, "-c", SCRIPT], capture_output=True, text=True, env=env,
                       timeout=300)
    assert r.returncode == 0, r.stderr
    out = json.loads(r.stdout.strip().splitlines()[-1])
    assert "toy" in out["names"] and "numpy" in out["names"]
    assert "broken" not in out["names"]  # its library cannot be imported
    assert out["cls"] == "ag_bridge_toy" and out["backend"] == "toy"
    assert out["raw"].startswith("array_api_strict")
    x = np.array([1.0, 2.0, 3.0])
    want = 2 * x
    # y = x[[0, 0, 2]] * sin(x) = (x0 sin x0, x0 sin x1, x2 sin x2)
    want[0] += np.sin(x[0]) + x[0] * np.cos(x[0]) + np.sin(x[1])
    want[1] += x[0] * np.cos(x[1])
    want[2] += np.sin(x[2]) + x[2] * np.cos(x[2])
    np.testing.assert_allclose(out["grad"], want, rtol=1e-12)
    assert "broken" in out["broken"] and "cannot be imported" in out["broken"]
