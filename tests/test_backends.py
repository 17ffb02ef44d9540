"""Backends: selection API, isolation, and the same gradients on every backend.

The cross-backend cases are written once against a namespace ``xp``; each runs
through ag_bridge on every installed backend (float64, and float32 against a
float64 reference) and, on PyTorch and JAX, through the library's own
autodiff (``Backend.native_vjp``) on raw arrays.
"""

from __future__ import annotations

import asyncio
import contextlib
import os
import subprocess
import sys
import threading

import numpy as np
import pytest
from ag_bridge.conformance.check import _fd

import ag_bridge
from ag_bridge import autograd

from .conftest import BACKENDS

ALL = ("numpy", "torch", "jax", "array_api_strict", "dask")


def _run(code: str, **env: str) -> subprocess.CompletedProcess:
    full = dict(os.environ)
    for k in ("AG_BRIDGE_BACKEND", "AG_BRIDGE_DEVICE"):
        full.pop(k, None)
    full.update(env)
    return subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, env=full,
                          timeout=300)


@contextlib.contextmanager
def x64():
    """JAX's 64-bit mode inside the block (a no-op without JAX)."""
    try:
        import jax
    except ImportError:
        yield
        return
    with jax.enable_x64(True):
        yield


# ------------------------------------------------------------------ selection
def test_available_backends_lists_the_installed_plugins():
    names = ag_bridge.available_backends()
    assert "numpy" in names
    assert names == sorted(names)
    for name in names:
        b = ag_bridge.load_backend(name)
        assert isinstance(b, ag_bridge.Backend) and b.name == name
        assert ag_bridge.load_backend(name) is b  # loaded once


def test_get_and_set_backend():
    old = ag_bridge.get_backend().name
    other = next(n for n in BACKENDS if n != old) if len(BACKENDS) > 1 else old
    try:
        ag_bridge.set_backend(other)
        assert ag_bridge.get_backend().name == other
        seen = []
        t = threading.Thread(target=lambda: seen.append(ag_bridge.get_backend().name))
        t.start()
        t.join()
        assert seen == [other]  # process-wide: other threads see it too
        x = ag_bridge.asarray([1.0, 2.0])
        assert x._backend.name == other
    finally:
        ag_bridge.set_backend(old)
    assert ag_bridge.get_backend().name == old


@pytest.mark.parametrize("name", BACKENDS)
def test_use_backend_is_a_context(name):
    before = ag_bridge.get_backend().name
    with ag_bridge.use_backend(name) as b:
        assert b is ag_bridge.get_backend() and b.name == name
        x = ag_bridge.asarray([1.0, 2.0])
        assert x._backend is b and b.is_array(ag_bridge.unwrap(x))
        with ag_bridge.use_backend("numpy"):
            assert ag_bridge.get_backend().name == "numpy"
        assert ag_bridge.get_backend().name == name
    assert ag_bridge.get_backend().name == before


def test_use_backend_is_local_to_threads():
    if len(BACKENDS) < 3:
        pytest.skip("needs three backends")
    a, b = [n for n in BACKENDS if n != ag_bridge.get_backend().name][:2]
    default = ag_bridge.get_backend().name
    barrier = threading.Barrier(2)
    seen = {}

    def worker():
        seen["start"] = ag_bridge.get_backend().name  # a new thread starts clean
        with ag_bridge.use_backend(b):
            barrier.wait()
            barrier.wait()
            seen["inside"] = ag_bridge.get_backend().name

    with ag_bridge.use_backend(a):
        t = threading.Thread(target=worker)
        t.start()
        barrier.wait()  # the worker is inside use_backend(b) now
        assert ag_bridge.get_backend().name == a
        barrier.wait()
        t.join()
        assert ag_bridge.get_backend().name == a
    assert seen == {"start": default, "inside": b}


def test_use_backend_is_local_to_asyncio_tasks():
    if len(BACKENDS) < 2:
        pytest.skip("needs two backends")
    names = BACKENDS[:2]

    async def task(name, out):
        with ag_bridge.use_backend(name):
            await asyncio.sleep(0.01)
            out.append((name, ag_bridge.get_backend().name))
            await asyncio.sleep(0.01)
            out.append((name, ag_bridge.asarray([1.0])._backend.name))

    async def main():
        out = []
        await asyncio.gather(*(task(n, out) for n in names))
        return out

    out = asyncio.run(main())
    assert len(out) == 4 and all(want == got for want, got in out)


def test_unknown_backend_lists_the_installed_ones():
    for call in (ag_bridge.set_backend, ag_bridge.load_backend,
                 lambda n: ag_bridge.use_backend(n).__enter__()):
        with pytest.raises(ValueError) as err:
            call("no_such_lib")
        msg = str(err.value)
        assert "no_such_lib" in msg
        for name in BACKENDS:
            assert name in msg


def test_environment_variables_pick_the_default():
    if "torch" not in BACKENDS:
        pytest.skip("needs torch")
    r = _run("import ag_bridge\n"
             "x = ag_bridge.asarray([1.0, 2.0])\n"
             "print(ag_bridge.get_backend().name, type(ag_bridge.unwrap(x)).__name__, x.device)",
             AG_BRIDGE_BACKEND="torch", AG_BRIDGE_DEVICE="cpu")
    assert r.returncode == 0, r.stderr
    assert r.stdout.split() == ["torch", "Tensor", "cpu"]
    r = _run("import ag_bridge\nag_bridge.get_backend()", AG_BRIDGE_BACKEND="no_such_lib")
    assert r.returncode != 0 and "no_such_lib" in r.stderr and "numpy" in r.stderr


def test_import_ag_bridge_imports_no_other_array_library():
    r = _run("import sys, ag_bridge, ag_bridge.autograd\n"
             "x = ag_bridge.asarray([1.0, 2.0]); x.attach_grad()\n"
             "with ag_bridge.autograd.record():\n"
             "    y = (x * x).sum()\n"
             "y.backward()\n"
             "assert x.grad.tolist() == [2.0, 4.0]\n"
             "mods = ('torch', 'jax', 'jaxlib', 'dask', 'array_api_strict', 'cupy')\n"
             "print([m for m in mods if m in sys.modules])")
    assert r.returncode == 0, r.stderr
    assert r.stdout.strip() == "[]"


# -------------------------------------------------------------- isolation
def _pair():
    if len(BACKENDS) < 2:
        pytest.skip("needs two backends")
    a, b = BACKENDS[:2]
    return (ag_bridge.asarray(np.ones(3), backend=a), ag_bridge.asarray(np.ones(3), backend=b))


@pytest.mark.parametrize("op", ["add", "matmul", "setitem", "where", "getitem"])
def test_mixing_backends_names_both(op):
    x, y = _pair()
    xp = x._backend.namespace
    calls = {
        "add": lambda: x + y,
        "matmul": lambda: xp.matmul(x, y),
        "setitem": lambda: x.__setitem__(0, y[0]),
        "where": lambda: xp.where(x > 0, x, y),
        "getitem": lambda: x[ag_bridge.asarray(np.array([0]), backend=y._backend)],
    }
    with pytest.raises(TypeError) as err:
        calls[op]()
    msg = str(err.value)
    assert f"'{x._backend.name}'" in msg and f"'{y._backend.name}'" in msg


@pytest.mark.parametrize("name", BACKENDS)
def test_arrays_stay_on_their_backend(name):
    with x64():
        b = ag_bridge.load_backend(name)
        x = ag_bridge.asarray(np.array([1.0, 2.0, 3.0]), backend=name)
        x.attach_grad()
        with ag_bridge.use_backend("numpy" if name != "numpy" else BACKENDS[-1]):
            raw = ag_bridge.unwrap(x)
            assert ag_bridge.asarray(raw)._backend is b  # a raw array keeps its library
            with autograd.record():
                y = (x * x)[ag_bridge.asarray(np.array([0, 0, 2]), backend=name)].sum()
            assert y._backend is b and b.is_array(ag_bridge.unwrap(y))
            y.backward()
        g = x.grad
        assert g._backend is b and b.is_array(ag_bridge.unwrap(g))
        assert g.dtype == x.dtype and g.shape == x.shape
        assert str(b.device(ag_bridge.unwrap(g))) == str(x.device)
        np.testing.assert_allclose(g.asnumpy(), [4.0, 0.0, 6.0])
        assert ag_bridge.namespace(name) is b.namespace
        assert x.__array_namespace__() is b.namespace


@pytest.mark.parametrize("name", BACKENDS)
def test_asarray_wraps_the_named_backends_own_array_as_it_is(name, monkeypatch):
    b = ag_bridge.load_backend(name)
    raw = ag_bridge.unwrap(ag_bridge.asarray(np.array([1.0, 2.0]), backend=name))
    calls: list = []
    real = b.asarray

    def spy(*args, **kwargs):
        calls.append(kwargs)
        return real(*args, **kwargs)

    monkeypatch.setattr(b, "asarray", spy)
    a = ag_bridge.asarray(raw, backend=name)  # nothing to convert, nowhere to move it
    assert ag_bridge.unwrap(a) is raw and a._backend is b and calls == []
    # a dtype, a copy or a device does go through the library
    assert ag_bridge.asarray(raw, backend=name, dtype=b.namespace.float32).dtype == b.namespace.float32
    c = ag_bridge.asarray(raw, backend=name, copy=True)
    assert ag_bridge.unwrap(c) is not raw
    np.testing.assert_array_equal(c.asnumpy(), [1.0, 2.0])
    if b.mutable:  # copy=True owns its memory, also across libraries (torch shares NumPy's)
        src = np.array([1.0, 2.0])
        own = ag_bridge.asarray(src, backend=name, copy=True)
        src[0] = 7.0
        np.testing.assert_array_equal(own.asnumpy(), [1.0, 2.0])
    dev = b.device(raw)
    with ag_bridge.use_backend(name, device=dev):
        n = len(calls)
        d = ag_bridge.asarray(raw, backend=name)
        assert len(calls) == n + 1 and calls[-1].get("device") is not None
    assert str(b.device(ag_bridge.unwrap(d))) == str(b.device(raw))


@pytest.mark.parametrize("name", BACKENDS)
def test_asarray_copy_false_never_copies(name):
    b = ag_bridge.load_backend(name)
    raw = ag_bridge.unwrap(ag_bridge.asarray(np.array([1.0, 2.0]), backend=name))
    for got in (ag_bridge.asarray(raw, backend=name, copy=False), ag_bridge.asarray(raw, copy=False)):
        assert ag_bridge.unwrap(got) is raw or name != "numpy"  # (elsewhere maybe an alias)
        np.testing.assert_array_equal(got.asnumpy(), [1.0, 2.0])
    if b.mutable:  # the same memory: a write to the source shows
        view = ag_bridge.asarray(raw, backend=name, copy=False)
        raw[0] = 3.0
        assert float(view.asnumpy()[0]) == 3.0
    if name == "jax":  # JAX never refuses (immutable arrays): it converts
        assert ag_bridge.asarray([1.0], backend=name, copy=False).shape == (1,)
        return
    other = b.namespace.float32 if raw.dtype != b.namespace.float32 else b.namespace.float64
    for bad in (lambda: ag_bridge.asarray([1.0, 2.0], backend=name, copy=False),
                lambda: ag_bridge.asarray(raw, dtype=other, copy=False)):
        with pytest.raises(ValueError, match=f"copy=False.*backend '{name}'.*pass copy=None"):
            bad()
    wrapped = ag_bridge.asarray(raw)
    target = next((n for n in BACKENDS if n != name), None)
    if target is not None:  # values of one backend copied to another: refused, named
        with pytest.raises(ValueError, match=f"backend '{name}'.*to backend '{target}'"):
            ag_bridge.asarray(wrapped, backend=target, copy=False)


# ---------------------------------------------------- the same gradients
def _idx(xp, seq):
    return xp.asarray(seq)


def _set(y, key, v):
    if not isinstance(y, ag_bridge.Array) and hasattr(y, "at"):  # raw JAX: functional update
        return y.at[key].set(v)
    y[key] = v
    return y


def _c_elementwise(xp, x, y):
    return xp.sin(x) * xp.exp(y) / (1 + x * x) + xp.tanh(x - y) ** 2 - xp.sqrt(xp.abs(y) + 1)


def _c_broadcast(xp, x, y):
    return xp.maximum(x, y) * xp.log1p(y * y) + xp.where(x > 0, (xp.abs(x) + 0.5) ** 2.5, -x / 3)


def _c_reductions(xp, x):
    return xp.sum(x * x, axis=0) + xp.mean(xp.exp(x), axis=1, keepdims=True) + xp.sum(x) / 7


def _c_matmul(xp, a, b, v):
    return xp.matmul(xp.matmul(a, b), v) + xp.vecdot(a, a) + xp.sum(a @ b, axis=1)


def _c_getitem_basic(xp, x):
    return x[1:, ::-1][:, :3] * x[None, 0, :3] + x[2, 3] * x[1:, ..., 1:4]


def _c_getitem_dup(xp, x):
    return x[_idx(xp, [0, 0, 2, 4, 2])] ** 2


def _c_getitem_pairs(xp, x):
    return x[_idx(xp, [0, 0, 2]), _idx(xp, [1, 1, 3])] * 3


def _c_getitem_mask(xp, x):
    return xp.sum(x[x > 0] ** 2) + xp.sum(x)


def _c_setitem(xp, x, v):
    y = _set(x * 1, (1, slice(None)), v * 2)
    y = _set(y, (slice(None), 0), xp.exp(x[:, 1]))
    return y * x


CASES = {  # name: (function, input shapes, {backend: why it is skipped})
    "elementwise": (_c_elementwise, [(3, 4), (3, 4)], {}),
    "broadcast": (_c_broadcast, [(3, 4), (4,)], {}),
    "reductions": (_c_reductions, [(3, 4)], {}),
    "matmul": (_c_matmul, [(3, 4), (4, 2), (2,)], {}),
    "getitem_basic": (_c_getitem_basic, [(4, 5)], {}),
    "getitem_dup": (_c_getitem_dup, [(5,)], {}),
    "getitem_pairs": (_c_getitem_pairs, [(3, 4)], {}),
    "getitem_mask": (_c_getitem_mask, [(3, 4)], {}),
    "setitem": (_c_setitem, [(3, 4), (4,)], {}),
}
NATIVE_SKIP = {("getitem_basic", "torch"): "torch rejects x[::-1] on raw tensors"}


def _inputs(name: str, dtype) -> list:
    rng = np.random.default_rng(sum(map(ord, name)))
    return [rng.uniform(-1.5, 1.5, shape).astype(dtype) for shape in CASES[name][1]]


def _head(name: str, out_shape: tuple, dtype) -> np.ndarray:
    rng = np.random.default_rng(1000 + sum(map(ord, name)))
    return rng.standard_normal(out_shape).astype(dtype)


def _ours(case: str, bname: str, xs: list) -> list:
    fn = CASES[case][0]
    b = ag_bridge.load_backend(bname)
    arrays = [ag_bridge.asarray(x, backend=b) for x in xs]
    for a in arrays:
        a.attach_grad()
    with autograd.record():
        out = fn(b.namespace, *arrays)
    w = ag_bridge.asarray(_head(case, out.shape, xs[0].dtype), backend=b)
    out.backward(w)
    for a, x in zip(arrays, xs, strict=True):
        assert a.grad.dtype == a.dtype and a.grad.shape == x.shape
    return [a.grad.asnumpy() for a in arrays]


def _skip(case: str, bname: str) -> None:
    why = CASES[case][2].get(bname)
    if why:
        pytest.skip(why)


def _reference(case: str) -> list:
    """Central finite differences of <head, f> in float64, on NumPy's raw namespace: no rule of
    ag_bridge's is involved, so every backend (NumPy too) is compared with an independent truth."""
    fn, xp = CASES[case][0], ag_bridge.load_backend("numpy").xp
    xs = _inputs(case, np.float64)
    w = _head(case, np.shape(fn(xp, *xs)), np.float64)
    return _fd(lambda ys: float(np.sum(w * fn(xp, *ys))), xs, 1e-6)


@pytest.mark.parametrize("bname", BACKENDS)
@pytest.mark.parametrize("case", list(CASES))
def test_same_gradients_float64(case, bname):
    _skip(case, bname)
    ref = _reference(case)
    with x64():
        got = _ours(case, bname, _inputs(case, np.float64))
    for g, r in zip(got, ref, strict=True):
        assert g.dtype == np.float64
        # central differences with step 1e-6 are exact to ~1e-9 on these O(1) smooth functions
        np.testing.assert_allclose(g, r, rtol=1e-7, atol=1e-8)


@pytest.mark.parametrize("bname", BACKENDS)
@pytest.mark.parametrize("case", list(CASES))
def test_same_gradients_float32(case, bname):
    _skip(case, bname)
    ref = _reference(case)
    got = _ours(case, bname, _inputs(case, np.float32))
    for g, r in zip(got, ref, strict=True):
        assert g.dtype == np.float32
        np.testing.assert_allclose(g, r, rtol=2e-4, atol=2e-5 * (1 + np.abs(r).max()))


@pytest.mark.parametrize("bname", [n for n in BACKENDS if n in ("torch", "jax")])
@pytest.mark.parametrize("case", list(CASES))
def test_native_autodiff_agrees(case, bname):
    _skip(case, bname)
    if (case, bname) in NATIVE_SKIP:
        pytest.skip(NATIVE_SKIP[case, bname])
    b = ag_bridge.load_backend(bname)
    with x64():
        xs = _inputs(case, np.float64)
        ours = _ours(case, bname, xs)
        raw = [b.asarray(x) for x in xs]
        out = CASES[case][0](b.xp, *raw)
        w = b.asarray(_head(case, tuple(out.shape), np.float64))
        native = b.native_vjp(lambda *a: CASES[case][0](b.xp, *a), tuple(raw), (w,))
        native = [b.to_numpy(g) for g in native]
    for g, r in zip(ours, native, strict=True):
        np.testing.assert_allclose(g, r, rtol=1e-10, atol=1e-12)


@pytest.mark.parametrize("bname", [n for n in BACKENDS if n in ("torch", "jax")])
def test_native_vjp_complex_convention(bname):
    """native_vjp returns PyTorch's conjugate-Wirtinger cotangents on both libraries."""
    b = ag_bridge.load_backend(bname)
    with x64():
        z = b.asarray(np.array([1 + 2j, -0.5 + 0.25j]))
        v = b.asarray(np.array([1.0 + 0j, 2.0 - 1j]))
        (g,) = b.native_vjp(lambda a: a * a, (z,), (v,))  # holomorphic: v * conj(2 z)
        np.testing.assert_allclose(b.to_numpy(g), np.array([1, 2 - 1j]) * np.conj(2 * b.to_numpy(z)))
        x = ag_bridge.asarray(np.array([1 + 2j, -0.5 + 0.25j]), backend=b)
        x.attach_grad()
        with autograd.record():
            y = x * x
        y.backward(ag_bridge.asarray(np.array([1.0 + 0j, 2.0 - 1j]), backend=b))
        np.testing.assert_allclose(x.grad.asnumpy(), b.to_numpy(g))


@pytest.mark.parametrize("bname", [n for n in BACKENDS if n in ("torch", "jax")])
def test_native_hvp_complex_convention(bname):
    """native_hvp differentiates M(z) = sum(Re(g(z) * w)), g = native_vjp, in PyTorch's convention.

    For z*z with cotangent v, g = v conj(2z) and M = 2 sum(Re(conj(z) v w)), whose gradient
    dM/dRe z + i dM/dIm z is 2 v w (JAX's own is its conjugate: the plugin conjugates it).
    """
    b = ag_bridge.load_backend(bname)
    with x64():
        z = b.asarray(np.array([1 + 2j, -0.5 + 0.25j]))
        v, w = np.array([1.0 + 0j, 2.0 - 1j]), np.array([0.5 - 2j, -1.0 + 1j])
        (h,) = b.native_hvp(lambda a: a * a, (z,), (b.asarray(v),), (b.asarray(w),))
        np.testing.assert_allclose(b.to_numpy(h), 2 * v * w)


@pytest.mark.parametrize("bname", BACKENDS)
def test_index_add_accumulates_duplicates(bname):
    """The scatter-add behind indexing VJPs, called directly on raw arrays."""
    b = ag_bridge.load_backend(bname)
    with x64():
        a = b.asarray(np.zeros(5))
        idx = b.index_array([0, 0, 2, 4, 2])
        v = b.asarray(np.array([1.0, 2.0, 3.0, 4.0, 5.0]))
        np.testing.assert_allclose(b.to_numpy(b.index_add(a, idx, v)), [3, 0, 8, 0, 4])
        np.testing.assert_allclose(b.to_numpy(a), np.zeros(5))  # not changed
        m = b.asarray(np.arange(12.0).reshape(3, 4))
        got = b.index_add(m, (slice(1, None), slice(None, None, -2)), 1.0)
        want = np.arange(12.0).reshape(3, 4)
        want[1:, ::-2] += 1
        np.testing.assert_allclose(b.to_numpy(got), want)
        got = b.index_set(m, (slice(None), slice(None, None, -1)), b.asarray(np.arange(4.0)))
        np.testing.assert_allclose(b.to_numpy(got), np.tile(np.arange(4.0)[::-1], (3, 1)))


# ------------------------------------------------------------- buffers
@pytest.mark.parametrize("name", BACKENDS)
def test_grad_buffer_is_reused_or_rebound(name):
    """Mutable backends write the same raw buffer; immutable ones rebind it behind .grad."""
    b = ag_bridge.load_backend(name)
    x = ag_bridge.asarray(np.array([1.0, 2.0]), backend=name)
    x.attach_grad(grad_req="add")
    holder, raw0 = x.grad, ag_bridge.unwrap(x.grad)
    xp = b.namespace
    for k in (1, 2):
        with autograd.record():
            y = xp.sum(x * x)
        y.backward()
        assert x.grad is holder
        np.testing.assert_allclose(x.grad.asnumpy(), k * np.array([2.0, 4.0]))
        if b.mutable:
            assert ag_bridge.unwrap(x.grad) is raw0


@pytest.mark.parametrize("name", BACKENDS)
def test_setitem_never_changes_another_array(name):
    b = ag_bridge.load_backend(name)
    raw = b.asarray(np.zeros(3))
    a = ag_bridge.asarray(raw)
    a[0] = 1.0
    np.testing.assert_allclose(b.to_numpy(raw), 0.0)  # the caller's raw array is untouched
    c = a.detach()
    a[1:] = 2.0
    np.testing.assert_allclose(c.asnumpy(), [1.0, 0.0, 0.0])
    np.testing.assert_allclose(a.asnumpy(), [1.0, 2.0, 2.0])
    a[::-1] = ag_bridge.asarray(np.array([3.0, 4.0, 5.0]), backend=name)  # torch: translated
    np.testing.assert_allclose(a.asnumpy(), [5.0, 4.0, 3.0])


def test_torch_writes_in_place_when_nothing_else_refers():
    if "torch" not in BACKENDS:
        pytest.skip("needs torch")
    a = ag_bridge.asarray([0.0, 0.0, 0.0], backend="torch")
    ptr = ag_bridge.unwrap(a).data_ptr()
    a[0] = 1.0
    assert ag_bridge.unwrap(a).data_ptr() == ptr
    assert a.tolist() == [1.0, 0.0, 0.0]


# ---------------------------------------------------------------- CUDA
def _cuda():
    torch = pytest.importorskip("torch")
    if not torch.cuda.is_available():
        pytest.skip("no CUDA device")
    return torch


@pytest.mark.cuda
@pytest.mark.parametrize("dtype", ["float32", "float64"])
def test_torch_cuda_gradients_stay_on_the_device(dtype):
    torch = _cuda()
    with ag_bridge.use_backend("torch", device="cuda") as b:
        xp = b.namespace
        x = ag_bridge.asarray([1.0, 2.0, 3.0, 4.0], dtype=getattr(torch, dtype))
        assert x.device.type == "cuda"  # Python data lands on the chosen backend and device
        w = ag_bridge.asarray([[0.5, -1.0], [2.0, 0.25], [1.0, 1.0], [0.0, 3.0]], dtype=x.dtype)
        x.attach_grad()
        w.attach_grad()
        buf = ag_bridge.unwrap(x.grad)
        for _ in range(2):
            with autograd.record():
                h = xp.matmul(xp.sin(x), w)
                y = xp.sum(h * h) + xp.sum(x[[0, 0, 3]] * x[::-1][:3])
                z = x * 1
                z[1:3] = xp.exp(x[:2])
                y = y + xp.sum(z)
            y.backward()
        b.synchronize()
        g = ag_bridge.unwrap(x.grad)
        assert g is buf and g.device.type == "cuda" and g.dtype == getattr(torch, dtype)
        assert ag_bridge.unwrap(w.grad).device.type == "cuda"
    xs = np.array([1.0, 2.0, 3.0, 4.0])
    with x64():
        ref = []
        for name in ("numpy",):
            xa = ag_bridge.asarray(xs, backend=name)
            wa = ag_bridge.asarray(np.array([[0.5, -1.0], [2.0, 0.25], [1.0, 1.0], [0.0, 3.0]]),
                                   backend=name)
            xa.attach_grad()
            xq = xa._backend.namespace
            with autograd.record():
                h = xq.matmul(xq.sin(xa), wa)
                y = xq.sum(h * h) + xq.sum(xa[[0, 0, 3]] * xa[::-1][:3])
                z = xa * 1
                z[1:3] = xq.exp(xa[:2])
                y = y + xq.sum(z)
            y.backward()
            ref.append(xa.grad.asnumpy())
    tol = 1e-4 if dtype == "float32" else 1e-12
    np.testing.assert_allclose(x.grad.asnumpy(), ref[0], rtol=tol)


@pytest.mark.cuda
def test_torch_cuda_native_vjp_and_index_add():
    torch = _cuda()
    b = ag_bridge.load_backend("torch")
    a = torch.zeros(5, device="cuda", dtype=torch.float64)
    out = b.index_add(a, b.index_array([0, 0, 2, 4, 2]), torch.arange(1.0, 6.0, device="cuda",
                                                                        dtype=torch.float64))
    assert out.device.type == "cuda"
    np.testing.assert_allclose(b.to_numpy(out), [3, 0, 8, 0, 4])
    x = torch.linspace(-1, 1, 6, device="cuda", dtype=torch.float64)
    (g,) = b.native_vjp(lambda t: torch.tanh(t) ** 2, (x,), (torch.ones_like(x),))
    assert g.device.type == "cuda"
    xa = ag_bridge.asarray(x)
    xa.attach_grad()
    with autograd.record():
        y = xa._backend.namespace.tanh(xa) ** 2
    y.backward()
    np.testing.assert_allclose(xa.grad.asnumpy(), b.to_numpy(g), rtol=1e-12)
