"""Creation follows the selected device: ``use_backend(name, device=...)``.

Every creation function of the recording namespace (and of ``ag_bridge.np``)
puts new arrays on the selected device when no ``device=`` is passed; an
explicit ``device=`` wins, and arrays that already exist stay where they are.
Without a GPU this is checked with JAX on two host CPU devices (in a child
process: ``XLA_FLAGS`` must be set before JAX starts); the PyTorch variant
runs only where CUDA is available.
"""

from __future__ import annotations

import importlib.util
import os
import subprocess
import sys
import textwrap

import numpy as np
import pytest

import ag_bridge
from ag_bridge import autograd

_JAX_SCRIPT = textwrap.dedent('''
    import jax
    import ag_bridge
    from tests.test_devices import _backward_on_selected

    cpu0, cpu1 = jax.devices("cpu")[:2]
    xp = ag_bridge.namespace("jax")


    def dev(a):
        (d,) = ag_bridge.unwrap(a).devices()
        return d


    before = xp.asarray([1.0, 2.0])
    raw_before = ag_bridge.unwrap(xp.ones(2))
    assert dev(before) == cpu0 and raw_before.devices() == {cpu0}

    for selected in (cpu1, "cpu:1"):
        with ag_bridge.use_backend("jax", device=selected):
            made = {
                "asarray": xp.asarray([1.0, 2.0]), "asarray scalar": xp.asarray(3.0),
                "arange": xp.arange(3), "zeros": xp.zeros((2, 2)), "ones": xp.ones(2),
                "full": xp.full(2, 1.5), "empty": xp.empty(2), "eye": xp.eye(2, 3),
                "linspace": xp.linspace(0.0, 1.0, 3), "fftfreq": xp.fft.fftfreq(4),
                "rfftfreq": xp.fft.rfftfreq(4), "ones_like of new": xp.ones_like(xp.zeros(2)),
                "np.zeros": ag_bridge.np.zeros(2), "np.array": ag_bridge.np.array([1, 2]),
                "np.arange": ag_bridge.np.arange(3), "np.ones": ag_bridge.np.ones((1, 2)),
                "np.full": ag_bridge.np.full(2, 7.0), "np.eye": ag_bridge.np.eye(2),
                "np.linspace": ag_bridge.np.linspace(0, 1, 4), "ag_bridge.asarray": ag_bridge.asarray([1.0]),
            }
            wrong = {k: dev(v) for k, v in made.items() if dev(v) != cpu1}
            assert not wrong, f"{selected!r}: not on cpu:1: {wrong}"
            kept = {
                "asarray(Array)": xp.asarray(before), "asarray(raw)": xp.asarray(raw_before),
                "zeros_like": xp.zeros_like(before), "full_like": xp.full_like(before, 2.0),
                "np.array(Array)": ag_bridge.np.array(before), "explicit": xp.zeros(2, device=cpu0),
                "np explicit": ag_bridge.np.zeros(2, device=cpu0),
            }
            wrong = {k: dev(v) for k, v in kept.items() if dev(v) != cpu0}
            assert not wrong, f"{selected!r}: left cpu:0: {wrong}"

            # a backward on cpu:1, with index constants made inside record()
            grads = _backward_on_selected(xp)
            assert all(dev(g) == cpu1 for g in grads), [dev(g) for g in grads]

    assert dev(xp.zeros(2)) == cpu0  # the selection ends with the block
    with ag_bridge.use_backend("jax"):
        assert dev(xp.zeros(2)) == cpu0 and dev(ag_bridge.np.zeros(2)) == cpu0
    print("OK")
''')


def test_jax_creation_follows_the_selected_device():
    if importlib.util.find_spec("jax") is None:
        pytest.skip("JAX is not installed")
    env = dict(os.environ)
    for k in ("AG_BRIDGE_BACKEND", "AG_BRIDGE_DEVICE"):
        env.pop(k, None)
    env.update(XLA_FLAGS="--xla_force_host_platform_device_count=2", JAX_ENABLE_X64="1",
               JAX_PLATFORMS="cpu")
    root = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
    r = subprocess.run([sys.executable, "-c", _JAX_SCRIPT], capture_output=True, text=True, env=env,
                       timeout=300, cwd=root)
    assert r.returncode == 0 and "OK" in r.stdout, r.stdout + r.stderr


def _backward_on_selected(xp):
    """A backward through take / take_along_axis / an index array, with the index
    constants made inside record(); checks the numbers and returns the gradients."""
    x0 = np.array([0.5, -1.0, 2.0, 0.25])
    m0 = np.arange(6.0).reshape(2, 3) / 4
    x = xp.asarray(x0, dtype=xp.float64)
    m = xp.asarray(m0, dtype=xp.float64)
    x.attach_grad()
    m.attach_grad()
    with autograd.record():
        t = xp.take(x, xp.asarray([2, 0, 2]))
        u = xp.take_along_axis(m, xp.asarray([[2, 2], [0, 1]]), axis=1)
        w = x[xp.asarray([3, 3])]
        y = xp.sum(t * t) + xp.sum(xp.sin(x)) + xp.sum(u ** 3) + xp.sum(w * xp.arange(2.0))
    y.backward()
    # d/dx: take gives 2 x_i per pick (x_2 twice, x_0 once), sin gives cos,
    # w = (x_3, x_3) weighted by (0, 1); d/dm: 3 m^2 per pick
    want_x = 2 * x0 * np.array([1, 0, 2, 0]) + np.cos(x0) + np.array([0, 0, 0, 1.0])
    want_m = 3 * m0 ** 2 * np.array([[0, 0, 2], [1, 1, 0]])
    np.testing.assert_allclose(x.grad.asnumpy(), want_x, rtol=1e-12)
    np.testing.assert_allclose(m.grad.asnumpy(), want_m, rtol=1e-12)
    return x.grad, m.grad


def test_array_api_strict_creation_follows_the_selected_device():
    # array-api-strict has several (simulated) devices and refuses to mix them,
    # so a constant landing on the default device would fail here
    strict = pytest.importorskip("array_api_strict")
    if "array_api_strict" not in ag_bridge.available_backends():
        pytest.skip("the array_api_strict backend is not available")
    d1 = strict.Device("device1")
    xp = ag_bridge.namespace("array_api_strict")
    before = xp.asarray([1.0, 2.0])
    default = before.device
    assert default != d1
    with ag_bridge.use_backend("array_api_strict", device=d1):
        made = [xp.asarray([1.0, 2.0]), xp.arange(3), xp.zeros(2), xp.ones(2), xp.full(2, 1.5), xp.empty(2),
                xp.eye(2), xp.linspace(0.0, 1.0, 3), xp.fft.fftfreq(4), ag_bridge.np.zeros(2),
                ag_bridge.np.array([1, 2]), ag_bridge.asarray([1.0])]
        assert all(a.device == d1 for a in made), [a.device for a in made]
        kept = [xp.asarray(before), xp.zeros_like(before), xp.zeros(2, device=default),
                ag_bridge.np.array(before)]
        assert all(a.device == default for a in kept), [a.device for a in kept]
        grads = _backward_on_selected(xp)
    assert all(g.device == d1 for g in grads)
    assert xp.zeros(2).device == default


def test_selection_by_environment_and_set_backend():
    """``AG_BRIDGE_DEVICE`` (a name) and ``set_backend(name, device)`` place creation too."""
    if importlib.util.find_spec("array_api_strict") is None:
        pytest.skip("array_api_strict is not installed")
    code = textwrap.dedent('''
        import array_api_strict as strict
        import ag_bridge
        xp = ag_bridge.namespace()
        made = [xp.zeros(2), xp.arange(2), xp.asarray([1.0]), ag_bridge.np.ones(2), ag_bridge.asarray([1.0])]
        assert all(a.device == strict.Device("device1") for a in made), [a.device for a in made]
        ag_bridge.set_backend("array_api_strict", device=strict.Device("device2"))
        made = [xp.eye(2), xp.full(2, 1.0), ag_bridge.np.zeros(2)]
        assert all(a.device == strict.Device("device2") for a in made), [a.device for a in made]
        assert xp.zeros(2, device="device1").device == strict.Device("device1")  # explicit wins
        print("OK")
    ''')
    env = dict(os.environ, AG_BRIDGE_BACKEND="array_api_strict", AG_BRIDGE_DEVICE="device1")
    r = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, env=env, timeout=300)
    assert r.returncode == 0 and "OK" in r.stdout, r.stdout + r.stderr


def _cuda() -> bool:
    try:
        import torch
    except ImportError:
        return False
    return torch.cuda.is_available()


@pytest.mark.skipif(not _cuda(), reason="needs PyTorch with CUDA")
def test_torch_creation_follows_the_selected_device():
    xp = ag_bridge.namespace("torch")
    before = xp.asarray([1.0, 2.0])
    assert before.device.type == "cpu"
    with ag_bridge.use_backend("torch", device="cuda"):
        made = [xp.asarray([1.0, 2.0]), xp.arange(3), xp.zeros(2), xp.ones(2), xp.full(2, 1.5), xp.empty(2),
                xp.eye(2), xp.linspace(0.0, 1.0, 3), xp.fft.fftfreq(4), ag_bridge.np.zeros(2),
                ag_bridge.np.array([1, 2]), ag_bridge.asarray([1.0])]
        assert all(a.device.type == "cuda" for a in made), [a.device for a in made]
        kept = [xp.asarray(before), xp.zeros_like(before), xp.zeros(2, device="cpu"),
                ag_bridge.np.array(before)]
        assert all(a.device.type == "cpu" for a in kept), [a.device for a in kept]
        grads = _backward_on_selected(xp)
    assert all(g.device.type == "cuda" for g in grads), [g.device for g in grads]
    assert xp.zeros(2).device.type == "cpu"


def test_suites_on_a_second_array_api_strict_device():
    """Every conformance record, the book's training chapters and the engine tests, with
    arrays on array-api-strict's ``device1``. Strict refuses to combine arrays of two
    devices, so any constant that a rule, the engine or a plugin makes on the default
    device fails here -- what CUDA would show, without a GPU."""
    if importlib.util.find_spec("array_api_strict") is None:
        pytest.skip("array_api_strict is not installed")
    root = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
    env = dict(os.environ, AG_BRIDGE_BACKEND="array_api_strict", AG_BRIDGE_DEVICE="device1",
               AG_BRIDGE_TEST_BACKENDS="array_api_strict")
    tests = ["test_conformance.py", "test_training.py", "test_engine.py", "test_inplace.py",
             "test_mxnet_api.py", "test_functional.py", "test_seed.py", "test_linalg_degenerate.py"]
    r = subprocess.run([sys.executable, "-m", "pytest", "-q", "-p", "no:cacheprovider", "-x",
                        *(os.path.join(root, "tests", t) for t in tests)],
                       capture_output=True, text=True, env=env, cwd=root, timeout=900)
    assert r.returncode == 0, r.stdout[-4000:] + r.stderr[-2000:]
    assert " passed" in r.stdout and " failed" not in r.stdout
