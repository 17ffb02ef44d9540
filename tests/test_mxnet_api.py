"""MXNet's autograd API and the Array conveniences, through ``ag_bridge.np``.

Every expected gradient is derived by hand in the comment next to it, never
copied from the code's output. Runs on every installed backend.
"""

from __future__ import annotations

import numpy
import pytest

import ag_bridge
from ag_bridge import autograd, np


def val(a):
    return a.asnumpy()


def close(a, expected, **kw):
    numpy.testing.assert_allclose(val(a), numpy.asarray(expected, dtype=numpy.float64),
                                  rtol=kw.pop("rtol", 1e-6), atol=kw.pop("atol", 1e-6), **kw)


def has_float64(backend) -> bool:
    import warnings

    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        return np.zeros(1, dtype="float64").asnumpy().dtype == numpy.float64


@pytest.fixture
def x(backend):
    v = np.array([1.0, 2.0, 3.0])
    v.attach_grad()
    return v


# ------------------------------------------------------------------ state
def test_flags_outside_and_inside_record(backend):
    assert not autograd.is_recording() and not autograd.is_training()
    with autograd.record():
        assert autograd.is_recording() and autograd.is_training()
    with autograd.record(train_mode=False):
        assert autograd.is_recording() and not autograd.is_training()
    assert not autograd.is_recording() and not autograd.is_training()


def test_pause_stops_recording(x):
    with autograd.record():
        with autograd.pause():
            assert not autograd.is_recording() and not autograd.is_training()
            c = x * 3  # not recorded: a constant 3x
        with autograd.pause(train_mode=True):
            assert autograd.is_training()
        assert autograd.is_recording()
        y = (x * c).sum()
    y.backward()
    close(x.grad, [3.0, 6.0, 9.0])  # d/dx sum(x * c) = c = 3x


def test_train_and_predict_mode_leave_recording_alone(backend):
    with autograd.train_mode():
        assert autograd.is_training() and not autograd.is_recording()
        with autograd.predict_mode():
            assert not autograd.is_training()
        assert autograd.is_training()
    with autograd.record():
        with autograd.predict_mode():
            assert autograd.is_recording() and not autograd.is_training()
    assert not autograd.is_training()


def test_set_recording_and_training_return_previous(x):
    assert autograd.set_recording(True) is False
    try:
        assert autograd.set_training(True) is False
        assert autograd.is_recording() and autograd.is_training()
        y = (x * x).sum()  # recorded without a `with` block
        assert autograd.set_training(False) is True
    finally:
        assert autograd.set_recording(False) is True
    assert not autograd.is_recording() and not autograd.is_training()
    y.backward()
    close(x.grad, [2.0, 4.0, 6.0])  # d/dx sum(x^2) = 2x


# ------------------------------------------------------------------ backward
def test_backward_over_several_heads(x):
    with autograd.record():
        y1 = x * x        # dy1/dx = 2x
        y2 = 3 * x        # dy2/dx = 3
    autograd.backward([y1, y2])
    close(x.grad, [5.0, 7.0, 9.0])  # 2x + 3


def test_backward_with_head_grads(x):
    with autograd.record():
        y1 = x * x
        y2 = (x ** 3).sum()  # scalar head, d/dx = 3x^2
    autograd.backward([y1, y2], [np.array([1.0, 0.5, 0.0]), np.array(2.0)])
    # 2x * [1, .5, 0] + 2 * 3x^2 = [2, 2, 0] + [6, 24, 54]
    close(x.grad, [8.0, 26.0, 54.0])


def test_backward_head_grads_none_entry_means_ones(x):
    with autograd.record():
        y1 = x * x
        y2 = 2 * x
    autograd.backward([y1, y2], [None, np.array([1.0, 2.0, 3.0])])
    close(x.grad, [2 + 2, 4 + 4, 6 + 6])  # 2x * 1 + 2 * [1, 2, 3]


def test_backward_head_grad_of_wrong_shape_is_an_error(x):
    with autograd.record():
        y = x * x
    with pytest.raises(ValueError, match="shape"):
        y.backward(np.ones(2))
    close(x.grad, [0.0, 0.0, 0.0])  # untouched


def test_retain_graph(x):
    with autograd.record():
        y = (x * x).sum()
    autograd.backward(y, retain_graph=True)
    close(x.grad, [2.0, 4.0, 6.0])
    y.backward()  # the graph was kept
    close(x.grad, [2.0, 4.0, 6.0])  # 'write': overwritten, not added
    with pytest.raises(RuntimeError, match="freed"):
        y.backward()


def test_array_backward_out_grad(x):
    with autograd.record():
        y = x * x
    y.backward(np.array([1.0, 10.0, 100.0]))
    close(x.grad, [2.0, 40.0, 600.0])  # 2x * out_grad


# ------------------------------------------------------------------ grad
def test_grad_returns_gradients_without_touching_buffers(x, backend):
    w = np.array([0.5, -1.0, 2.0])
    w.attach_grad()
    before = x.grad
    with autograd.record():
        y = (w * x * x).sum()
    gx, gw = autograd.grad(y, [x, w])
    close(gx, [1.0, -4.0, 12.0])  # 2 w x
    close(gw, [1.0, 4.0, 9.0])    # x^2
    close(x.grad, [0.0, 0.0, 0.0])
    close(w.grad, [0.0, 0.0, 0.0])
    assert x.grad is before


def test_grad_single_variable_returns_a_list(x):
    with autograd.record():
        y = (x * x).sum()
    out = autograd.grad(y, x)
    assert isinstance(out, list) and len(out) == 1
    close(out[0], [2.0, 4.0, 6.0])


def test_grad_with_head_grads(x):
    with autograd.record():
        y = x * x
    [g] = autograd.grad([y], [x], head_grads=[np.array([1.0, 2.0, 3.0])])
    close(g, [2.0, 8.0, 18.0])  # 2x * [1, 2, 3]


def test_grad_create_graph_second_derivative(x):
    with autograd.record():
        y = (x ** 3).sum()
        [dx] = autograd.grad(y, [x], create_graph=True)  # 3x^2
        z = (dx * dx).sum()                               # 9 x^4
    close(dx, [3.0, 12.0, 27.0])
    z.backward()
    close(x.grad, [36.0, 288.0, 972.0])  # 36 x^3


def test_grad_create_graph_of_a_product(backend):
    a = np.array([2.0])
    b = np.array([5.0])
    a.attach_grad()
    b.attach_grad()
    with autograd.record():
        y = (a * a * b).sum()                              # a^2 b
        [da] = autograd.grad(y, [a], create_graph=True)  # 2ab
        z = da.sum()
    z.backward()
    close(a.grad, [10.0])  # d(2ab)/da = 2b
    close(b.grad, [4.0])   # d(2ab)/db = 2a


# ------------------------------------------------------------------ marking
def test_mark_variables_uses_the_given_buffers(backend):
    x = np.array([1.0, 2.0])
    w = np.array([3.0, 4.0])
    gx, gw = np.zeros(2), np.zeros(2)
    autograd.mark_variables([x, w], [gx, gw], grad_reqs=["write", "add"])
    assert x.grad is gx and w.grad is gw
    for _ in range(2):
        with autograd.record():
            y = (x * w).sum()
        y.backward()
    close(gx, [3.0, 4.0])       # w, overwritten each time
    close(gw, [2.0, 4.0])       # x, added twice


def test_grad_req_add_and_null(backend):
    x = np.array([1.0, 2.0])
    x.attach_grad(grad_req="add")
    assert x.grad_req == "add"
    for _ in range(3):
        with autograd.record():
            y = (x * x).sum()
        y.backward()
    close(x.grad, [6.0, 12.0])  # 3 * 2x
    x.attach_grad()  # resets the buffer
    close(x.grad, [0.0, 0.0])
    x.attach_grad(grad_req="null")
    assert x.grad is None and x.grad_req == "null"


def test_attach_grad_of_integer_array_is_refused(backend):
    with pytest.raises(TypeError, match="floating"):
        np.array([1, 2], dtype="int32").attach_grad()


# ------------------------------------------------------------------ Function
class Exp(autograd.Function):
    def forward(self, x):
        y = np.exp(x)
        self.save_for_backward(y)
        return y

    def backward(self, dy):
        (y,) = self.saved_tensors
        return dy * y


class ScaledProduct(autograd.Function):
    """f(a, b) = a * b with a deliberately wrong backward: proves it is used."""

    def forward(self, a, b):
        self.save_for_backward(a, b)
        return a * b

    def backward(self, dy):
        a, b = self.saved_tensors
        return 10 * dy * b, 100 * dy * a


def test_function_uses_saved_tensors(x):
    with autograd.record():
        y = Exp()(x)
        z = (2 * y).sum()
    z.backward()
    close(x.grad, 2 * numpy.exp([1.0, 2.0, 3.0]), rtol=1e-5)  # 2 exp(x)


def test_function_with_two_inputs_uses_its_backward(x):
    w = np.array([4.0, 5.0, 6.0])
    w.attach_grad()
    with autograd.record():
        y = ScaledProduct()(x, w)
    close(y, [4.0, 10.0, 18.0])
    y.backward()
    close(x.grad, [40.0, 50.0, 60.0])     # 10 * w
    close(w.grad, [100.0, 200.0, 300.0])  # 100 * x


def test_function_outside_record_records_nothing(x):
    y = Exp()(x)
    close(y, numpy.exp([1.0, 2.0, 3.0]), rtol=1e-5)
    with pytest.raises(RuntimeError):
        y.backward()


# ------------------------------------------------------------------ Array conveniences
def test_properties(backend):
    a = np.arange(6).reshape((2, 3))
    assert a.shape == (2, 3) and a.size == 6 and a.ndim == 2 and len(a) == 2
    assert a.asnumpy().dtype == numpy.float32
    assert a.dtype == np.float32
    assert a.tolist() == [[0.0, 1.0, 2.0], [3.0, 4.0, 5.0]]
    assert a[1, 2].item() == 5.0 and float(a[1, 2]) == 5.0
    assert isinstance(a, np.ndarray)


def test_sum_mean_gradients(backend):
    a = np.arange(6).reshape(2, 3)
    a.attach_grad()
    with autograd.record():
        y = a.sum(axis=0) * np.array([1.0, 2.0, 3.0])  # column sums weighted by 1, 2, 3
    y.backward()
    close(a.grad, [[1, 2, 3], [1, 2, 3]])
    with autograd.record():
        y = a.mean(axis=1, keepdims=True)
    assert y.shape == (2, 1)
    y.backward()
    close(a.grad, numpy.full((2, 3), 1 / 3))  # each row mean: 1/3 per element


def test_max_min_argmax_gradients(backend):
    a = np.array([[1.0, 5.0, 2.0], [7.0, 0.0, 3.0]])
    a.attach_grad()
    with autograd.record():
        y = a.max(axis=1).sum() + 10 * a.min()  # max of each row; 10 * global min
    y.backward()
    close(a.grad, [[0, 1, 0], [1, 10, 0]])
    assert a.argmax(axis=1).tolist() == [1, 0]
    assert int(a.argmax()) == 3 and int(a.argmin()) == 4


def test_reshape_transpose_gradients(backend):
    a = np.arange(6)
    a.attach_grad()
    w = np.array([[1.0, 2.0], [3.0, 4.0], [5.0, 6.0]])
    with autograd.record():
        m = a.reshape(2, 3).T  # m[i, j] = a[3 j + i]
        y = (m * w).sum()
    assert m.shape == (3, 2)
    y.backward()
    # d/da[3j + i] = w[i, j]: a[0..2] -> w[:, 0], a[3..5] -> w[:, 1]
    close(a.grad, [1, 3, 5, 2, 4, 6])


def test_copy_is_independent_and_differentiable(x):
    with autograd.record():
        c = x.copy()
        y = (c * c).sum()
    y.backward()
    close(x.grad, [2.0, 4.0, 6.0])  # copy has derivative 1
    d = x.copy()
    d[0] = 100.0
    close(x, [1.0, 2.0, 3.0])


def test_astype_gradient_has_the_leaf_dtype(x, backend):
    if not has_float64(backend):
        pytest.skip(f"backend '{backend.name}' has no float64 here (JAX without jax_enable_x64)")
    wide = "float64"
    with autograd.record():
        y = (x.astype(wide) * 2).sum()
    assert y.asnumpy().dtype == numpy.dtype(wide)
    y.backward()
    assert x.grad.asnumpy().dtype == numpy.float32
    close(x.grad, [2.0, 2.0, 2.0])
    assert x.astype("int32").asnumpy().dtype == numpy.int32


def test_detach_shares_values_not_the_graph(x):
    with autograd.record():
        d = x.detach()
        y = (d * x).sum()  # d is a constant: dy/dx = d = x
    y.backward()
    close(x.grad, [1.0, 2.0, 3.0])
    assert ag_bridge.unwrap(d) is ag_bridge.unwrap(x) or (d.asnumpy() == x.asnumpy()).all()


# ------------------------------------------------------------------ the np facade
@pytest.mark.parametrize("sa, sb", [((3,), (3,)), ((2, 3), (3,)), ((3,), (3, 2)), ((2, 3), (3, 4)),
                                    ((2, 3, 4), (4,)), ((2, 3, 4), (5, 4, 6)), ((), (3,))])
def test_dot_follows_numpy_dot(backend, sa, sb):
    rng = numpy.random.default_rng(0)
    a = rng.standard_normal(sa).astype(numpy.float32)
    b = rng.standard_normal(sb).astype(numpy.float32)
    numpy.testing.assert_allclose(val(np.dot(np.array(a), np.array(b))), numpy.dot(a, b), rtol=1e-5)


def test_dot_gradients(backend):
    A = np.array([[1.0, 2.0], [3.0, 4.0]])
    v = np.array([5.0, 6.0])
    A.attach_grad()
    v.attach_grad()
    with autograd.record():
        y = np.dot(np.dot(A, v), v)  # sum_ij v_i A_ij v_j
    y.backward()
    close(A.grad, [[25.0, 30.0], [30.0, 36.0]])  # v_i v_j
    close(v.grad, [17.0 + 23.0, 39.0 + 34.0])    # A v + A^T v = [17, 39] + [23, 34]


@pytest.mark.parametrize("kw", [{}, {"axis": 1}, {"axis": (0, 2), "keepdims": True}, {"ord": 1, "axis": -1},
                                {"ord": "fro", "axis": (1, 2)}, {"ord": 1, "axis": (0, 1)}])
def test_linalg_norm_follows_numpy(backend, kw):
    a = numpy.random.default_rng(1).standard_normal((3, 4, 2)).astype(numpy.float32)
    got = np.linalg.norm(np.array(a), **kw)
    want = numpy.linalg.norm(a, **kw)
    assert got.shape == want.shape
    numpy.testing.assert_allclose(val(got), want, rtol=1e-5)


def test_linalg_norm_gradient(backend):
    x = np.array([3.0, 4.0])
    x.attach_grad()
    with autograd.record():
        y = np.linalg.norm(x)
    y.backward()
    close(x.grad, [0.6, 0.8])  # x / |x|


def test_reductions_with_numpy_arguments(backend):
    a = np.arange(6).reshape((2, 3))
    close(np.sum(a, axis=1), [3, 12])
    close(np.mean(a, axis=0, keepdims=True), [[1.5, 2.5, 3.5]])
    close(np.std(np.array([1, 2, 3, 4]), ddof=1), numpy.std([1, 2, 3, 4], ddof=1))
    close(np.var(np.array([1, 2, 3, 4])), 1.25)
    close(np.max(a, axis=0), [3, 4, 5])
    assert np.argmax(a, axis=1).tolist() == [2, 2]
    with pytest.raises(TypeError, match="out="):
        np.sum(a, out=a)


def test_split_concatenate_stack_gradients(backend):
    x = np.arange(6)
    x.attach_grad()
    with autograd.record():
        p, q, r = np.split(x, 3)           # [0,1], [2,3], [4,5]
        y = np.concatenate([r, p]) * np.array([1.0, 2.0, 3.0, 4.0])  # r weighted 1, 2; p 3, 4
        z = np.stack([q, q]).sum() + y.sum()                          # q counted twice
    z.backward()
    close(x.grad, [3, 4, 2, 2, 1, 2])


def test_elementwise_names_and_aliases(backend):
    x = np.array([0.5])
    x.attach_grad()
    with autograd.record():
        y = np.arcsin(x) + np.power(x, 3) + np.exp(x) + np.maximum(x, 0.25)
    y.backward()
    # 1/sqrt(1 - x^2) + 3x^2 + exp(x) + 1
    close(x.grad, [1 / numpy.sqrt(0.75) + 0.75 + numpy.exp(0.5) + 1], rtol=1e-5)
    close(np.clip(np.array([-2.0, 0.5, 2.0]), -1, 1), [-1.0, 0.5, 1.0])
    close(np.where(np.array([1.0, 0.0]) > 0, np.ones(2), np.zeros(2)), [1.0, 0.0])
    assert np.where(np.array([1.0, 0.0]) > 0, 1.0, 2.0).asnumpy().dtype == numpy.float32


def test_random_shapes_dtypes_and_seed(backend):
    np.random.seed(7)
    a = np.random.normal(0, 1, (2, 3))
    np.random.seed(7)
    b = np.random.normal(0, 1, (2, 3))
    assert a.shape == (2, 3) and a.asnumpy().dtype == numpy.float32
    numpy.testing.assert_array_equal(val(a), val(b))
    u = np.random.uniform(2, 3, size=100)
    assert 2 <= float(np.min(u)) and float(np.max(u)) < 3
    assert np.random.rand(2, 2).shape == (2, 2) and np.random.randn(3).shape == (3,)
    i = np.random.randint(0, 4, size=(50,))
    assert set(i.tolist()) <= {0, 1, 2, 3}


def test_random_gradient_flows_to_array_parameters(backend):
    loc = np.array([1.0, 2.0])
    scale = np.array([3.0, 4.0])
    loc.attach_grad()
    scale.attach_grad()
    with autograd.record():
        s = np.random.normal(loc, scale)  # loc + scale * eps
    s.backward()
    eps = (val(s) - [1.0, 2.0]) / [3.0, 4.0]
    close(loc.grad, [1.0, 1.0])
    close(scale.grad, eps, rtol=1e-5)


# ------------------------------------------------------------------ npx
def test_npx_operators(backend):
    from ag_bridge import npx

    assert npx.set_np() is None and npx.reset_np() is None
    z = np.array([[1.0, 2.0, 3.0], [0.0, 0.0, 1000.0]])
    e = numpy.exp([1.0, 2.0, 3.0])
    close(npx.softmax(z), [e / e.sum(), [0.0, 0.0, 1.0]], rtol=1e-5)  # no overflow at 1000
    close(npx.log_softmax(z)[0, :], numpy.log(e / e.sum()), rtol=1e-5)
    close(npx.sigmoid(np.array([0.0])), [0.5])
    close(npx.one_hot(np.array([2, 0]), 3), [[0, 0, 1], [1, 0, 0]])
    close(npx.pick(z, np.array([2, 0])), [3.0, 0.0])
    close(npx.pick(z, np.array([1, 1]), axis=1, keepdims=True), [[2.0], [0.0]])


def test_npx_gradients(backend):
    from ag_bridge import npx

    x = np.array([-1.0, 0.0, 2.0])
    x.attach_grad()
    with autograd.record():
        y = npx.relu(x)
    y.backward()
    close(x.grad, [0.0, 0.0, 1.0])  # relu'(0) = 0
    with autograd.record():
        y = npx.sigmoid(x)
    y.backward()
    s = 1 / (1 + numpy.exp(-numpy.array([-1.0, 0.0, 2.0])))
    close(x.grad, s * (1 - s), rtol=1e-5)  # sigmoid' = s (1 - s)
    with autograd.record():
        y = (npx.softmax(x) * np.array([1.0, 0.0, 0.0])).sum()  # p_0
    y.backward()
    p = numpy.exp([-1.0, 0.0, 2.0]) / numpy.exp([-1.0, 0.0, 2.0]).sum()
    close(x.grad, p[0] * (numpy.eye(3)[0] - p), rtol=1e-5)  # dp_0/dx_j = p_0 (delta_0j - p_j)
