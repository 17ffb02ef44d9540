"""Dask: the plugin's backward kernels (``Backend.fast_vjps``, one layer per cotangent, named
``<op>-vjp-...``) give the portable rules' gradients in the inputs' chunks, are the ones a plain
backward pass takes, and step aside (portable rule) for complex values, broadcasting and
``create_graph``; the small values computed inside blocks (``_inline``) are computed once per
copy; ``ones_like``/``zeros_like`` are Dask's with a cheap name."""

from __future__ import annotations

import pickle

import numpy as np
import pytest

da = pytest.importorskip("dask.array")

import ag_bridge  # noqa: E402
from ag_bridge import autograd  # noqa: E402

pytestmark = pytest.mark.skipif("dask" not in ag_bridge.available_backends(),
                                reason="the dask plugin is not installed")

RNG = np.random.default_rng(7)
A = RNG.uniform(0.5, 2.0, (6, 4))
B = RNG.uniform(0.5, 2.0, (6, 4))
V = RNG.uniform(-1.0, 1.0, 4)

# (op, program over (xp, a, b), inputs that get gradients)
PROGRAMS = [
    ("exp", lambda xp, a, b: xp.sum(xp.exp(a) * b), "ab"),
    ("log", lambda xp, a, b: xp.sum(xp.log(a) * b), "ab"),
    ("negative", lambda xp, a, b: xp.sum(-a * b), "ab"),
    ("multiply", lambda xp, a, b: xp.sum(xp.sin(a * b)), "ab"),
    ("multiply", lambda xp, a, b: xp.sum(xp.sin(0.5 * a)), "a"),  # a Python number operand
    ("divide", lambda xp, a, b: xp.sum(xp.sin(a / b)), "ab"),
    ("subtract", lambda xp, a, b: xp.sum(xp.sin(a - b)), "ab"),
    ("sum", lambda xp, a, b: xp.sum(a * b), "ab"),
    ("mean", lambda xp, a, b: xp.mean(xp.sin(a) * b), "ab"),
]


def _grads(fn, backend, wrt, chunked, a=A, b=B):
    ins = []
    for name, v in (("a", a), ("b", b)):
        raw = da.from_array(v, chunks=(4, 3)) if chunked else v
        x = ag_bridge.asarray(raw, backend=backend)
        if name in wrt:
            x.attach_grad()
        ins.append(x)
    with autograd.record():
        y = fn(ag_bridge.namespace(backend), *ins)
    y.backward()
    return [ag_bridge.unwrap(x.grad) for name, x in zip("ab", ins) if name in wrt]


def _layers(arr) -> list:
    return list(arr.__dask_graph__().layers)


@pytest.mark.parametrize("op,fn,wrt", PROGRAMS, ids=[f"{p[0]}-{i}" for i, p in enumerate(PROGRAMS)])
def test_kernel_taken_matches_portable_rule_in_the_inputs_chunks(op, fn, wrt):
    got = _grads(fn, "dask", wrt, chunked=True)
    want = _grads(fn, "numpy", wrt, chunked=False)  # the portable rules
    for g, w in zip(got, want):
        assert g.chunks == ((4, 2), (3, 1))
        np.testing.assert_allclose(g.compute(), w, rtol=1e-13, atol=1e-15)
    layers = [name for g in got for name in _layers(g)]
    assert any(name.startswith(f"{op}-vjp-") for name in layers), layers


def test_kernels_match_finite_differences():
    """``mean(log(1 + exp(-b * a)))`` (D3's loss, element-wise): against central differences."""
    def loss(xp, a, b):
        return xp.mean(xp.log(1 + xp.exp(-b * a)) / b)

    (g,) = _grads(loss, "dask", "a", chunked=True)
    h, fd = 1e-6, np.zeros_like(A)
    f = lambda a: np.mean(np.log(1 + np.exp(-B * a)) / B)  # noqa: E731
    for i in np.ndindex(A.shape):
        e = np.zeros_like(A)
        e[i] = h
        fd[i] = (f(A + e) - f(A - e)) / (2 * h)
    np.testing.assert_allclose(g.compute(), fd, rtol=1e-7, atol=1e-10)
    assert sum(name.split("-vjp-")[0] in {"mean", "divide", "log", "exp", "multiply", "negative"}
               for name in _layers(g) if "-vjp-" in name) >= 4


@pytest.mark.parametrize("xchunks,wchunks,dtype", [((4, 4), 4, "float64"), ((4, 4), 3, "float64"),
                                                   ((4, 2), 4, "float64"), ((4, 4), 4, "complex128")])
def test_matrix_vector_products(xchunks, wchunks, dtype):
    """``X @ w`` with X in one column of blocks and w in one block is one ``matvec`` layer; the
    cotangent of w (real X, g chunked like X's rows) is ``vecmat``: partial products per row
    block summed in one task. Other layouts and complex values take Dask's matmul and the
    portable rule; every gradient equals ``conj(X).T @ cos(X @ w)`` in w's chunks."""
    a = A + (0.5j * B if dtype == "complex128" else 0)
    v = V + (0.25j * V[::-1] if dtype == "complex128" else 0)
    x = ag_bridge.asarray(da.from_array(a, chunks=xchunks), backend="dask")
    w = ag_bridge.asarray(da.from_array(v, chunks=wchunks), backend="dask")
    w.attach_grad()
    xp = ag_bridge.namespace("dask")
    with autograd.record():
        p = xp.matmul(x, w)
        y = xp.sum(xp.real(xp.sin(p)))
    y.backward()
    g = ag_bridge.unwrap(w.grad)
    plain = xchunks[1] == 4 and wchunks == 4
    assert any(name.startswith("matvec-") for name in _layers(ag_bridge.unwrap(p))) == plain
    assert any(name.startswith("vecmat-") for name in _layers(g)) == \
        (xchunks[1] == 4 and dtype == "float64")
    assert g.chunks == w._data.chunks
    np.testing.assert_allclose(ag_bridge.unwrap(p).compute(), a @ v, rtol=1e-13)
    np.testing.assert_allclose(g.compute(), np.conj(a).T @ np.conj(np.cos(a @ v)), rtol=1e-12)


def test_complex_and_broadcast_operands_take_the_portable_rule():
    z = A + 1j * B
    row = B[:1]  # (1, 4): broadcast against (6, 4)
    for a, b, wrt in ((z, B, "a"), (A, row, "ab")):
        got = _grads(lambda xp, a, b: xp.sum(xp.real(xp.exp(a) * b)), "dask", wrt, True, a, b) \
            if a is z else _grads(lambda xp, a, b: xp.sum(xp.exp(a) * b), "dask", wrt, True, a, b)
        want = _grads(lambda xp, a, b: xp.sum(xp.real(xp.exp(a) * b)), "numpy", wrt, False, a, b)
        for g, w in zip(got, want):
            np.testing.assert_allclose(g.compute(), w, rtol=1e-13)
    # the complex exp and the broadcast multiply have no kernel layer
    (g,) = _grads(lambda xp, a, b: xp.sum(xp.real(xp.exp(a))), "dask", "a", True, z, B)
    assert not any(name.startswith("exp-vjp-") for name in _layers(g))


def test_create_graph_differentiates_the_portable_rule():
    """Second order on Dask: d/da sum(d/da sum(exp(a) * b)) = exp(a) * b."""
    a = ag_bridge.asarray(da.from_array(A, chunks=(4, 3)), backend="dask")
    b = ag_bridge.asarray(da.from_array(B, chunks=(4, 3)), backend="dask")
    a.attach_grad()
    xp = ag_bridge.namespace("dask")
    with autograd.record():
        y = xp.mean(xp.exp(a) * b)
        (g,) = autograd.grad(y, [a], create_graph=True)
        z = xp.sum(g * g)
    np.testing.assert_allclose(ag_bridge.unwrap(g).compute(), np.exp(A) * B / A.size, rtol=1e-13)
    z.backward()
    want = 2 * (np.exp(A) * B / A.size) ** 2  # d/da (exp(a) b / n)^2
    np.testing.assert_allclose(ag_bridge.unwrap(a.grad).compute(), want, rtol=1e-12)


def test_inline_value_computed_once_per_copy_and_not_pickled():
    from ag_bridge_dask._inline import inline

    calls = []

    def count(v):
        calls.append(1)
        return v

    small = inline(da.ones((), chunks=()).map_blocks(count, dtype=float, meta=np.ones(())) * 3.0)
    assert small is not None
    calls.clear()
    assert float(small()) == 3.0 and float(small()) == 3.0
    assert len(calls) == 1
    plain = inline(da.ones((), chunks=()) * 3.0)
    assert float(plain()) == 3.0
    copy = pickle.loads(pickle.dumps(plain))
    assert copy._value == () and float(copy()) == 3.0


def test_ones_and_zeros_like_keep_chunks_dtype_and_fall_back_on_unknown_sizes():
    from ag_bridge_dask._xp import xp

    x = da.from_array(A, chunks=(4, 3))
    o, z = xp.ones_like(x), xp.zeros_like(x, dtype=np.float32)
    assert o.chunks == x.chunks and o.dtype == x.dtype and z.dtype == np.float32
    np.testing.assert_array_equal(o.compute(), np.ones_like(A))
    np.testing.assert_array_equal(z.compute(), np.zeros(A.shape, np.float32))
    assert xp.ones_like(x).name == o.name  # named by shape, chunks and dtype
    masked = x[x[:, 0] > 1.0]  # unknown sizes: Dask's own
    assert np.isnan(xp.ones_like(masked).shape[0])


@pytest.mark.parametrize("name", ["add", "subtract", "multiply", "divide", "negative", "exp", "log",
                                  "tanh", "sqrt", "square"])
def test_namespace_elementwise_one_layer_and_fallbacks(name):
    """The plugin namespace's element-wise functions build one named layer for same-layout real
    floating operands (and Python numbers), and Dask's general path otherwise: NumPy's values
    and dtypes either way."""
    from ag_bridge_dask._elementwise import elementwise
    from ag_bridge_dask._xp import xp

    fn, ufunc = getattr(xp, name), getattr(np, name)
    binary = name in ("add", "subtract", "multiply", "divide")
    a, b = da.from_array(A, chunks=(4, 3)), da.from_array(B, chunks=(4, 3))
    cases = [((a, b), True), ((a, 2.5), True), ((3, a), True), ((a, b[:1]), False),
             ((a, da.from_array(B, chunks=(3, 4))), False), ((a.astype(np.float32), b), False),
             ((a + 1j * b, b), False), ((a, True), False)] if binary else \
        [((a,), True), ((a.astype(np.float32),), True), ((a + 1j * b,), False),
         ((da.from_array(np.arange(1, 7)),), False)]
    for args, plain in cases:
        out = fn(*args)
        want = ufunc(*[x.compute() if isinstance(x, da.Array) else x for x in args])
        assert (out.name == elementwise(name, ufunc, *args).name) if plain else \
            elementwise(name, ufunc, *args) is None
        assert out.dtype == want.dtype and out.shape == want.shape
        np.testing.assert_allclose(out.compute(), want, rtol=1e-14)
