"""In-place operators and ``__setitem__`` on recorded arrays, on every backend.

docs/semantics.md: in-place updates give correct gradients, an Array never changes
another Array through aliasing (views from reshape/slicing/detach, values
saved for backward), a marked leaf cannot be updated in place inside
``record()`` but can outside it (keeping its gradient buffer), and a recorded
value written into a constant buffer gets its gradient. Every expected
gradient is derived by hand in the comment next to it.
"""

from __future__ import annotations

import math

import numpy
import pytest

from ag_bridge import autograd


def val(a):
    return numpy.asarray(a.asnumpy(), dtype=numpy.float64)


def close(a, expected, rtol=1e-5, atol=1e-6):
    numpy.testing.assert_allclose(val(a), numpy.asarray(expected, dtype=numpy.float64), rtol=rtol, atol=atol)


def leaf(xp, values):
    x = xp.asarray(values)
    x.attach_grad()
    return x


X = [1.0, 2.0, 3.0]


# ------------------------------------------------------------------ gradients through in-place updates
def test_inplace_chain_gradient(xp):
    x = leaf(xp, X)
    with autograd.record():
        y = x * 2
        y += 1
        y *= x  # y_i = (2 x_i + 1) x_i
        y[1] = x[0]  # y_1 = x_0
        loss = xp.sum(y)
    loss.backward()
    # dL/dx0 = (4 x0 + 1) + 1 (through y_1); dL/dx1 = 0 (overwritten); dL/dx2 = 4 x2 + 1
    close(x.grad, [4 * 1 + 1 + 1, 0.0, 4 * 3 + 1])
    close(y, [3.0, 1.0, 21.0])


def test_all_inplace_operators(xp):
    x = leaf(xp, X)
    with autograd.record():
        y = x + 0
        y += x  # 2x
        y -= 0.5  # 2x - 0.5
        y *= 3  # 6x - 1.5
        y /= 2  # 3x - 0.75
        y **= 2  # (3x - 0.75)^2
        loss = xp.sum(y)
    loss.backward()
    # d/dx (3x - 0.75)^2 = 6 (3x - 0.75)
    close(x.grad, [6 * (3 * v - 0.75) for v in X])


def test_inplace_with_leaf_on_the_right(xp):
    x = leaf(xp, X)
    w = leaf(xp, [0.5, -1.0, 2.0])
    with autograd.record():
        y = x * 1
        y *= w  # x w
        y -= w * w  # x w - w^2
        loss = xp.sum(y)
    loss.backward()
    close(x.grad, [0.5, -1.0, 2.0])  # d/dx = w
    close(w.grad, [v - 2 * u for v, u in zip(X, [0.5, -1.0, 2.0], strict=True)])  # d/dw = x - 2w


def test_constant_accumulator_routes_gradient(xp):
    x = leaf(xp, X)
    with autograd.record():
        acc = xp.zeros((3,), dtype=x.dtype)
        acc += x * x
        acc += 2 * x  # x^2 + 2x
        loss = xp.sum(acc)
    loss.backward()
    close(x.grad, [2 * v + 2 for v in X])


def test_setitem_routes_target_and_value(xp):
    x = leaf(xp, [1.0, 2.0, 3.0, 4.0])
    v = leaf(xp, [10.0, 20.0])
    with autograd.record():
        y = x * x
        y[1:3] = v * v  # y = [x0^2, v0^2, v1^2, x3^2]
        loss = xp.sum(y * xp.asarray([1.0, 2.0, 3.0, 4.0], dtype=x.dtype))
    loss.backward()
    close(x.grad, [2 * 1.0 * 1, 0.0, 0.0, 2 * 4.0 * 4])  # overwritten elements get 0
    close(v.grad, [2 * 10.0 * 2, 2 * 20.0 * 3])


def test_setitem_broadcast_scalar_value(xp):
    x = leaf(xp, [[1.0, 2.0], [3.0, 4.0]])
    s = leaf(xp, 5.0)
    with autograd.record():
        y = x * 1
        y[0, ...] = s  # s broadcast over a row: dL/ds = sum of that row's cotangent
        loss = xp.sum(y * y)
    loss.backward()
    close(x.grad, [[0.0, 0.0], [6.0, 8.0]])
    close(s.grad, 2 * 5.0 * 2)


# ------------------------------------------------------------------ value semantics
def test_reshape_view_not_aliased(xp):
    x = xp.asarray([1.0, 2.0, 3.0, 4.0])
    v = xp.reshape(x, (2, 2))
    x[0] = 10.0
    close(v, [[1.0, 2.0], [3.0, 4.0]])
    v[1, 1] = -1.0
    close(x, [10.0, 2.0, 3.0, 4.0])
    close(v, [[1.0, 2.0], [3.0, -1.0]])


def test_slice_view_not_aliased(xp):
    x = xp.asarray([1.0, 2.0, 3.0, 4.0])
    s = x[1:3]
    x[1] = 10.0
    close(s, [2.0, 3.0])
    s[0] = -5.0
    close(x, [1.0, 10.0, 3.0, 4.0])
    x += 1
    close(s, [-5.0, 3.0])
    s *= 2
    close(x, [2.0, 11.0, 4.0, 5.0])


def test_detach_not_aliased(xp):
    x = xp.asarray([1.0, 2.0, 3.0])
    d = x.detach()
    x[0] = 10.0
    close(d, X)
    d[2] = -1.0
    close(x, [10.0, 2.0, 3.0])
    d -= 1
    close(x, [10.0, 2.0, 3.0])


def test_leaf_detach_not_aliased(xp):
    w = leaf(xp, X)
    d = w.detach()
    d[0] = 100.0
    d += 1
    close(w, X)
    w[1] = 7.0  # outside record(): allowed
    close(d, [101.0, 3.0, 4.0])


def test_views_inside_record_keep_their_values(xp):
    x = leaf(xp, X)
    with autograd.record():
        y = x * 2
        v = xp.reshape(y, (3, 1))
        s = y[0:2]
        y[0] = 100.0
        y += 1  # y = [101, 2 x1 + 1, 2 x2 + 1]
        loss = xp.sum(v * v) + xp.sum(s) + xp.sum(y)
    close(v, [[2.0], [4.0], [6.0]])
    close(s, [2.0, 4.0])
    loss.backward()
    # sum(v^2) = sum 4x^2 -> 8x; sum(s) = 2 x0 + 2 x1; sum(y) -> 2 for x1, x2
    close(x.grad, [8 * 1.0 + 2, 8 * 2.0 + 2 + 2, 8 * 3.0 + 2])


def test_saved_values_not_corrupted_inside_record(xp):
    x = leaf(xp, [0.5, 1.0, 1.5])
    with autograd.record():
        y = x * 1
        z = xp.sin(y)  # saves y
        w = y * y  # saves y twice
        y[0] = 100.0
        y *= 3
        y -= y
        loss = xp.sum(z) + xp.sum(w) + xp.sum(y)
    loss.backward()
    # d/dx [sin x + x^2] = cos x + 2x; sum(y) = 0 after y -= y
    close(x.grad, [math.cos(v) + 2 * v for v in [0.5, 1.0, 1.5]])


def test_saved_values_not_corrupted_after_record(xp):
    x = leaf(xp, X)
    with autograd.record():
        y = x * 1
        z = xp.sum(y * y)  # saves y
    y[:] = 0.0  # outside record(): y is a plain value now, but z's graph still holds the old y
    y += 5
    x2 = x.detach()
    x2 *= 0  # x2 does not alias x
    loss = z
    loss.backward()
    close(x.grad, [2 * v for v in X])
    close(y, [5.0, 5.0, 5.0])
    close(x, X)


def test_inplace_shape_change_refused(xp):
    y = xp.asarray(X)
    with pytest.raises(ValueError, match="shape"):
        y += xp.ones((2, 3))
    close(y, X)


# ------------------------------------------------------------------ marked leaves
@pytest.mark.parametrize("update", ["iadd", "imul", "setitem", "setitem_value"])
def test_leaf_inplace_inside_record_refused(xp, update):
    w = leaf(xp, X)
    with autograd.record():
        with pytest.raises(RuntimeError, match=r"attach_grad\(\).*record\(\)"):
            if update == "iadd":
                w += 1
            elif update == "imul":
                w *= w
            elif update == "setitem":
                w[0] = 5.0
            else:
                w[1:] = w[0:2] * 2
    close(w, X)  # unchanged, still a leaf with its buffer
    with autograd.record():
        loss = xp.sum(w * w)
    loss.backward()
    close(w.grad, [2 * v for v in X])


def test_parameter_update_outside_record_keeps_leaf(xp):
    w = leaf(xp, X)
    buf = w.grad
    current = list(X)
    for step in range(3):
        with autograd.record():
            loss = xp.sum(w * w)
        loss.backward()
        assert w.grad is buf, "the gradient buffer is the same Array after every backward"
        close(w.grad, [2 * v for v in current])
        if step % 2 == 0:
            w[:] = w - 0.1 * w.grad  # w <- 0.8 w
        else:
            w -= 0.1 * w.grad
        current = [0.8 * v for v in current]
        close(w, current)
        assert w.grad is buf and w.grad_req == "write"
    close(w.grad, [2 * v / 0.8 for v in current])  # not touched by the update


def test_parameter_update_writes_the_buffer_itself(backend, xp):
    """``w -= lr * w.grad`` outside record() updates w's own buffer on NumPy and PyTorch
    (no new allocation each step, as ``torch.no_grad(): p -= ...`` does) when nothing else
    refers to it; values are the same on every backend."""
    import ag_bridge

    w = leaf(xp, X)
    for _ in range(2):
        with autograd.record():
            loss = xp.sum(w * w)
        loss.backward()
        before = id(ag_bridge.unwrap(w))
        w -= 0.25 * w.grad  # w <- 0.5 w
        w *= 2.0  # w <- w
        w /= 2.0  # w <- 0.5 w (net: halved each step)
        w += 0.0
        if backend.name in ("numpy", "torch"):
            assert id(ag_bridge.unwrap(w)) == before, "updated in its own buffer"
    close(w, [v / 4 for v in X])
    close(w.grad, [2 * v / 2 for v in X])  # the gradient at the previous value


def test_update_after_record_keeps_the_saved_value(xp):
    w = leaf(xp, X)
    with autograd.record():
        loss = xp.sum(w * w)  # saves w
    w -= 1.0  # outside record(): the graph still needs the old w
    held = w.detach()
    w += 1.0  # a detached alias exists: written into a new buffer
    loss.backward()
    close(w.grad, [2 * v for v in X])  # d/dw sum(w^2) at the recorded w
    close(held, [v - 1.0 for v in X])
    close(w, X)


def test_grad_buffer_zeroed_in_place(xp):
    w = leaf(xp, X)
    w.attach_grad(grad_req="add")
    for _ in range(2):
        with autograd.record():
            loss = xp.sum(3 * w)
        loss.backward()
    close(w.grad, [6.0, 6.0, 6.0])  # accumulated twice
    w.grad[:] = 0
    with autograd.record():
        loss = xp.sum(3 * w)
    loss.backward()
    close(w.grad, [3.0, 3.0, 3.0])


# ------------------------------------------------------------------ third-party patterns
def _scipy_log_softmax(xp, x):
    """SciPy's pattern: shift by the max, then mutate the intermediate in place."""
    m = xp.max(x, axis=-1, keepdims=True)
    tmp = x - m
    tmp -= 1  # (cancels below: log_softmax is shift-invariant)
    tmp[..., 0] = tmp[..., 0] * 1  # an in-place write of the intermediate through a key
    s = xp.sum(xp.exp(tmp), axis=-1, keepdims=True)
    out = tmp
    out -= xp.log(s)
    return out


def test_scipy_style_intermediate_mutation(xp):
    data = [[0.1, 0.7, -0.3], [1.5, -2.0, 0.2]]
    x = leaf(xp, data)
    c = numpy.asarray([[1.0, -2.0, 0.5], [0.3, 0.0, 2.0]])
    with autograd.record():
        out = _scipy_log_softmax(xp, x)
        loss = xp.sum(out * xp.asarray(c, dtype=x.dtype))
    loss.backward()
    a = numpy.asarray(data)
    sm = numpy.exp(a) / numpy.exp(a).sum(axis=-1, keepdims=True)
    close(out, numpy.log(sm))
    # log_softmax VJP: c - softmax * sum(c)
    close(x.grad, c - sm * c.sum(axis=-1, keepdims=True))


def test_array_api_extra_style_buffer(xp):
    x = leaf(xp, X)
    c = numpy.arange(1.0, 11.0).reshape(2, 5)
    with autograd.record():
        buf = xp.zeros((2, 5), dtype=x.dtype)  # a constant buffer ...
        buf[0, 1:4] = x  # ... receives recorded values (xpx.pad, create_diagonal)
        buf[1, xp.asarray([4, 0])] = x[0:2] * x[0:2]
        loss = xp.sum(buf * xp.asarray(c, dtype=x.dtype))
    loss.backward()
    close(buf, [[0.0, 1.0, 2.0, 3.0, 0.0], [4.0, 0.0, 0.0, 0.0, 1.0]])
    # x_i lands at c[0, 1 + i]; x0^2 at c[1, 4] = 10, x1^2 at c[1, 0] = 6
    close(x.grad, [2.0 + 2 * 1.0 * 10, 3.0 + 2 * 2.0 * 6, 4.0])


def test_buffer_written_twice_routes_only_the_survivor(xp):
    x = leaf(xp, X)
    with autograd.record():
        buf = xp.zeros((3,), dtype=x.dtype)
        buf[:] = x * 5
        buf[1] = x[2]  # overwrites 5 x1
        loss = xp.sum(buf)
    loss.backward()
    close(x.grad, [5.0, 0.0, 5.0 + 1.0])
