"""The seed: the autograd chapter of *Dive into Deep Learning* (MXNet edition).

The chapter's code runs verbatim with only the import changed from
``from mxnet import autograd, np, npx`` to ``from ag_bridge import autograd,
np, npx``; every value the book prints is asserted, on every installed
backend (the ``backend`` fixture makes it the current one, so ``np.arange``
creates arrays there).
"""

from __future__ import annotations

import numpy
import pytest

import ag_bridge
from ag_bridge import autograd, np, npx


def shows(a, text: str, values, backend, dtype: str = "float32") -> None:
    """``a`` is what the book prints: same values and dtype; same text where
    the backend prints arrays the default way."""
    assert isinstance(a, ag_bridge.Array)
    got = a.asnumpy()
    assert got.dtype == numpy.dtype(dtype), (got.dtype, dtype)
    numpy.testing.assert_array_equal(got, numpy.asarray(values, dtype=dtype))
    if type(backend).repr is ag_bridge.Backend.repr:  # other backends name themselves
        tail = ")" if backend.name == "numpy" else f", backend='{backend.name}', dtype={dtype})"
        assert repr(a) == text[:-1] + tail


def test_chapter(backend):
    # 2.5.1. A Simple Example
    npx.set_np()
    x = np.arange(4)
    shows(x, "array([0., 1., 2., 3.])", [0, 1, 2, 3], backend)

    # We allocate memory for a tensor's gradient by invoking `attach_grad`
    x.attach_grad()
    # ... whose values are initialized with 0s
    shows(x.grad, "array([0., 0., 0., 0.])", [0, 0, 0, 0], backend)

    # Our code is inside an `autograd.record` scope to build the computational graph
    with autograd.record():
        y = 2 * np.dot(x, x)
    shows(y, "array(28.)", 28, backend)

    y.backward()
    shows(x.grad, "array([ 0.,  4.,  8., 12.])", [0, 4, 8, 12], backend)

    shows(x.grad == 4 * x, "array([ True,  True,  True,  True])", [True] * 4, backend, "bool")

    with autograd.record():
        y = x.sum()
    y.backward()
    shows(x.grad, "array([1., 1., 1., 1.])", [1, 1, 1, 1], backend)  # Overwritten by the new gradient

    # 2.5.2. Backward for Non-Scalar Variables
    # When we invoke `backward` on a vector-valued variable `y`, a new scalar
    # variable is created by summing the elements in `y`.
    with autograd.record():
        y = x * x
    y.backward()
    shows(x.grad, "array([0., 2., 4., 6.])", [0, 2, 4, 6], backend)  # Equals the gradient of y = sum(x * x)

    # 2.5.3. Detaching Computation
    with autograd.record():
        y = x * x
        u = y.detach()
        z = u * x
    z.backward()
    shows(x.grad == u, "array([ True,  True,  True,  True])", [True] * 4, backend, "bool")

    y.backward()
    shows(x.grad == 2 * x, "array([ True,  True,  True,  True])", [True] * 4, backend, "bool")

    # 2.5.4. Computing the Gradient of Python Control Flow
    def f(a):
        b = a * 2
        while np.linalg.norm(b) < 1000:
            b = b * 2
        if b.sum() > 0:
            c = b
        else:
            c = 100 * b
        return c

    np.random.seed(0)  # the book draws an unseeded number; this one is positive
    a = np.random.normal()
    a.attach_grad()
    with autograd.record():
        d = f(a)
    d.backward()

    shows(a.grad == d / a, "array(True)", True, backend, "bool")


def test_normal_without_size_is_a_float32_scalar_array(backend):
    a = np.random.normal()
    assert a.shape == () and a.asnumpy().dtype == numpy.float32


@pytest.mark.parametrize("seed", [0, 4, 8])  # a > 0, a < 0, a < 0
def test_control_flow_gradient_is_the_factor(backend, seed):
    """f(a) = k * a for a k chosen by control flow, so f'(a) = k = f(a) / a."""

    def f(a):
        b = a * 2
        while np.linalg.norm(b) < 1000:
            b = b * 2
        c = b if b.sum() > 0 else 100 * b
        return c

    np.random.seed(seed)
    a = np.random.normal()
    a.attach_grad()
    with autograd.record():
        d = f(a)
    d.backward()
    a0 = float(a)
    k = 2.0  # f doubles a until |b| >= 1000: b = k * a
    while abs(a0) * k < 1000:
        k *= 2
    expected = k if a0 > 0 else 100 * k
    assert float(a.grad) == expected
    numpy.testing.assert_allclose(float(a.grad), float(d) / a0, rtol=1e-6)


def test_attach_grad_inside_record_cuts_the_graph(backend):
    x = np.array([1.0, 2.0, 3.0])
    x.attach_grad()
    with autograd.record():
        y = x * x
        y.attach_grad()  # y becomes a leaf: nothing flows to x through it
        z = 5 * y - x
    z.backward()
    numpy.testing.assert_array_equal(x.grad.asnumpy(), [-1, -1, -1])
    numpy.testing.assert_array_equal(y.grad.asnumpy(), [5, 5, 5])


def test_creation_defaults_are_float32(backend):
    for a in (np.arange(4), np.array([1, 2]), np.zeros(3), np.ones((2, 2)), np.full(3, 7),
              np.eye(2), np.linspace(0, 1, 5), np.random.normal(size=(2,)), np.random.uniform(size=3)):
        assert a.asnumpy().dtype == numpy.float32
    assert np.array([True, False]).asnumpy().dtype == numpy.bool_
    i32 = np.array([1, 2], dtype="int32")
    assert np.array(i32).asnumpy().dtype == numpy.int32  # from an array: keeps its dtype
    assert np.array(numpy.arange(2, dtype=numpy.int32)).asnumpy().dtype == numpy.int32
    assert np.zeros_like(i32).asnumpy().dtype == numpy.int32
    assert np.random.randint(0, 5, size=4).asnumpy().dtype.kind == "i"


def test_demo_prints_the_chapter(capsys):
    from ag_bridge import cli

    assert cli.main(["demo", "--plain"]) == 0
    out = capsys.readouterr().out
    for text in ("x = np.arange(4)", "array([0., 1., 2., 3.])", "array(28.)",
                 "array([ 0.,  4.,  8., 12.])", "array([1., 1., 1., 1.])", "array([0., 2., 4., 6.])",
                 "array(True)"):
        assert text[:-1] in out  # the closing ")" follows backend= and dtype= off NumPy


@pytest.mark.parametrize("name", ag_bridge.available_backends())
def test_demo_on_each_backend(capsys, name):
    from ag_bridge import cli

    assert cli.main(["demo", "--plain", "--backend", name]) == 0
    assert "array([ 0.,  4.,  8., 12.]" in capsys.readouterr().out


def test_cli_unknown_backend_and_backends_listing(capsys):
    from ag_bridge import cli

    assert cli.main(["demo", "--backend", "no_such_library"]) == 2
    assert "no_such_library" in capsys.readouterr().err
    assert cli.main(["backends"]) == 0
    listed = capsys.readouterr().out.split()
    assert "numpy" in listed and "*" in listed


def test_run_cell_returns_the_last_expression():
    from ag_bridge import cli

    scope: dict = {}
    assert cli.run_cell("a = 2\na * 3", scope) == 6
    assert cli.run_cell("b = a + 1", scope) is None and scope["b"] == 3
