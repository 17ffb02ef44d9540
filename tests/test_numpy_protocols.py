"""NumPy ufuncs and functions called on ag_bridge Arrays: recorded (gradients flow)
or a clear error, never a silent conversion to NumPy. Gradients are checked against
analytic derivatives computed here with NumPy."""

from __future__ import annotations

import numpy
import pytest

import ag_bridge
from ag_bridge import autograd

X = numpy.array([0.3, -1.2, 2.0, 0.7])


def _leaf(xp):
    x = xp.asarray(X)  # float64 (JAX runs the tests in x64 mode)
    x.attach_grad()
    return x


def _close(a, b):
    numpy.testing.assert_allclose(ag_bridge.Array.asnumpy(a) if isinstance(a, ag_bridge.Array)
                                  else a, b, rtol=1e-6, atol=1e-9)


def test_ufuncs_record_and_differentiate(xp):
    x = _leaf(xp)
    with autograd.record():
        y = numpy.exp(x) + numpy.sin(x) * numpy.tanh(x) + numpy.power(x, 2) + numpy.arctan(x)
        loss = xp.sum(numpy.absolute(y))
    assert isinstance(y, ag_bridge.Array) and y._backend is x._backend
    loss.backward()
    t = numpy.tanh(X)
    v = numpy.exp(X) + numpy.sin(X) * t + X**2 + numpy.arctan(X)
    dv = numpy.exp(X) + numpy.cos(X) * t + numpy.sin(X) * (1 - t**2) + 2 * X + 1 / (1 + X**2)
    _close(y, v)
    _close(x.grad, numpy.sign(v) * dv)


def test_functions_record_and_differentiate(xp):
    x = _leaf(xp)
    with autograd.record():
        parts = [numpy.concatenate([x, 2 * x]).sum(),      # ag_bridge.np: NumPy's signature
                 numpy.linalg.norm(x),                      # ag_bridge.np.linalg
                 numpy.mean(x * x, axis=0),
                 numpy.where(x > 0, x, 0.0).sum()]
        loss = parts[0] + parts[1] + parts[2] + parts[3]
    loss.backward()
    norm = numpy.sqrt((X**2).sum())
    _close(parts[1], norm)
    _close(x.grad, 3.0 + X / norm + 2 * X / X.size + (X > 0))


def test_function_with_only_a_standard_name(xp):
    # numpy.concat and numpy.fft.rfft reach the recording namespace; NumPy's positional
    # arguments (n of rfft) become the standard's keywords
    x = _leaf(xp)
    with autograd.record():
        c = numpy.concat([x, x])
        f = numpy.fft.rfft(x, 6)
        loss = xp.sum(c) + xp.sum(xp.real(f))
    _close(xp.real(f), numpy.fft.rfft(X, 6).real)
    loss.backward()
    k = numpy.arange(4)  # rfft of 6 points: frequencies 0..3
    dfft = numpy.cos(2 * numpy.pi * numpy.outer(numpy.arange(X.size), k) / 6).sum(axis=1)
    _close(x.grad, 2.0 + dfft)


def test_ndarray_on_the_left_keeps_reflected_operators_working():
    xp = ag_bridge.namespace("numpy")
    x = _leaf(xp)
    a = numpy.array([2.0, 3.0, -1.0, 0.5])
    with autograd.record():
        y = a * x + a @ x + numpy.float64(2.0) * x - a / (x + 3)
        lt = a < x
    assert isinstance(y, ag_bridge.Array) and isinstance(lt, ag_bridge.Array)
    _close(lt, a < X)
    y.backward()
    _close(x.grad, a + X.size * a + 2.0 + a / (X + 3) ** 2)  # a @ x is broadcast over 4 elements


@pytest.mark.parametrize("call, names", [
    (lambda x: numpy.exp(x, out=numpy.empty(4)), ("numpy.exp()", "out=")),
    (lambda x: numpy.exp(x, where=True), ("numpy.exp()", "where")),
    (lambda x: numpy.add.reduce(x), ("numpy.add.reduce()", "'reduce'")),
    (lambda x: numpy.polyval(x, 2.0), ("numpy.polyval()", "no such function")),
    (lambda x: numpy.sum(x, out=numpy.empty(())), ("numpy.sum()", "out=")),
], ids=["ufunc-out", "ufunc-where", "ufunc-method", "no-counterpart", "function-out"])
def test_unsupported_calls_raise_and_change_nothing(xp, call, names):
    x = _leaf(xp)
    with autograd.record():
        y = x * x
    y.backward()
    before = x.grad.asnumpy().copy()
    with autograd.record(), pytest.raises(TypeError) as exc:
        call(x)
    msg = str(exc.value)
    for part in (*names, f"backend '{x._backend.name}'", "__array_namespace__", "asnumpy()"):
        assert part in msg, (part, msg)
    _close(x.grad, before)
    _close(x, X)


def test_metadata_functions_read_the_array(xp):
    x = xp.reshape(xp.asarray(X), (2, 2))
    assert numpy.shape(x) == (2, 2) and numpy.ndim(x) == 2 and numpy.size(x) == 4
