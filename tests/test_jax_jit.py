"""ag_bridge inside ``jax.jit``: tracers are JAX arrays, so recording, the
backward sweep and everything that returns gradients trace into one XLA
computation and give the numbers of the eager run. Also: JAX's 64-bit mode.
"""

from __future__ import annotations

import numpy as np
import pytest

jax = pytest.importorskip("jax")
jnp = jax.numpy

import ag_bridge  # noqa: E402
from ag_bridge import autograd  # noqa: E402

pytestmark = pytest.mark.skipif("jax" not in ag_bridge.available_backends(),
                                reason="the jax plugin is not installed")

XP = ag_bridge.namespace("jax") if "jax" in ag_bridge.available_backends() else None


def loss(xp, w, x):
    """Elementwise, matmul, reductions, indexing with duplicates, setitem."""
    h = xp.tanh(xp.matmul(x, w))
    h = h * 1
    h[0, :] = xp.exp(h[1, :]) * 0.5
    picked = h[xp.asarray([0, 0, 2]), :]
    return xp.sum(picked ** 2) + xp.mean(xp.sin(w)) + xp.sum(xp.maximum(h, 0.1))


def _data(dtype):
    rng = np.random.default_rng(0)
    return (rng.standard_normal((4, 3)).astype(dtype), rng.standard_normal((3, 4)).astype(dtype))


def grads_by_autograd(w_raw, x_raw):
    w = ag_bridge.asarray(w_raw)
    x = ag_bridge.asarray(x_raw)
    w.attach_grad()
    x.attach_grad()
    with autograd.record():
        y = loss(w._backend.namespace, w, x)
    gw, gx = autograd.grad(y, [w, x])
    return ag_bridge.unwrap(y), ag_bridge.unwrap(gw), ag_bridge.unwrap(gx)


def grads_by_backward(w_raw, x_raw):
    """backward() rebinds the immutable .grad buffers; reading them inside jit works too."""
    w = ag_bridge.asarray(w_raw)
    x = ag_bridge.asarray(x_raw)
    w.attach_grad()
    x.attach_grad()
    with autograd.record():
        y = loss(w._backend.namespace, w, x)
    y.backward()
    return ag_bridge.unwrap(y), ag_bridge.unwrap(w.grad), ag_bridge.unwrap(x.grad)


@pytest.mark.parametrize("how", [grads_by_autograd, grads_by_backward])
@pytest.mark.parametrize("dtype", ["float32", "float64"])
def test_jit_gives_the_eager_numbers(how, dtype):
    with jax.enable_x64(dtype == "float64"):
        w, x = (jnp.asarray(a) for a in _data(dtype))
        eager = how(w, x)
        traced = jax.jit(how)(w, x)
        ref = how(*_data(dtype)) if dtype == "float64" else None  # the NumPy backend
        for e, t in zip(eager, traced, strict=True):
            assert t.dtype == e.dtype == np.dtype(dtype)
            np.testing.assert_allclose(np.asarray(t), np.asarray(e), rtol=1e-5 if dtype == "float32"
                                       else 1e-12, atol=1e-6 if dtype == "float32" else 1e-13)
        if ref is not None:
            for e, r in zip(eager, ref, strict=True):
                np.testing.assert_allclose(np.asarray(e), r, rtol=1e-12)


def test_jit_traces_once_and_sees_tracers():
    seen = []

    def f(x_raw):
        x = ag_bridge.asarray(x_raw)
        seen.append((type(x_raw).__name__, x._backend.name, x.device, repr(x)[:16]))
        x.attach_grad()
        with autograd.record():
            y = XP.sum(XP.exp(x) * x)
        (g,) = autograd.grad(y, [x])
        return ag_bridge.unwrap(g)

    jf = jax.jit(f)
    a = jnp.asarray([0.0, 1.0, 2.0])
    np.testing.assert_allclose(jf(a), np.exp([0.0, 1.0, 2.0]) * (1 + np.array([0.0, 1.0, 2.0])),
                               rtol=1e-6)
    jf(a + 1)
    assert len(seen) == 1  # traced once, replayed after
    kind, backend, device, text = seen[0]
    assert "Tracer" in kind and backend == "jax" and device is None
    assert text == "ag_bridge.Array("


def test_second_order_inside_jit():
    def hvp_diag(x_raw):
        x = ag_bridge.asarray(x_raw)
        x.attach_grad()
        with autograd.record():
            y = XP.sum(x ** 3)
            (g,) = autograd.grad(y, [x], create_graph=True)
            z = XP.sum(g)
        (h,) = autograd.grad(z, [x])
        return ag_bridge.unwrap(h)

    a = jnp.asarray([1.0, -2.0, 0.5])
    np.testing.assert_allclose(jax.jit(hvp_diag)(a), 6 * np.asarray(a), rtol=1e-6)
    np.testing.assert_allclose(hvp_diag(a), 6 * np.asarray(a), rtol=1e-6)


def test_functional_api_inside_jit():
    f = lambda w, x: loss(XP, w, x)  # noqa: E731
    w, x = (jnp.asarray(a) for a in _data("float32"))

    def by_grad(w, x):
        gw, gx = ag_bridge.grad(f, argnums=(0, 1))(w, x)
        return ag_bridge.unwrap(gw), ag_bridge.unwrap(gx)

    def by_value_and_grad(w, x):
        v, gw = ag_bridge.value_and_grad(f)(w, x)
        return ag_bridge.unwrap(v), ag_bridge.unwrap(gw)

    for fn in (by_grad, by_value_and_grad):
        for e, t in zip(fn(w, x), jax.jit(fn)(w, x), strict=True):
            np.testing.assert_allclose(np.asarray(t), np.asarray(e), rtol=1e-5, atol=1e-6)
    _, gw_ref, gx_ref = grads_by_autograd(w, x)
    gw, gx = jax.jit(by_grad)(w, x)
    np.testing.assert_allclose(gw, gw_ref, rtol=1e-5, atol=1e-6)
    np.testing.assert_allclose(gx, gx_ref, rtol=1e-5, atol=1e-6)


def test_jax_can_differentiate_through_ag_bridge():
    """JAX's own transforms see only jnp operations: jax.grad of ag_bridge's gradient."""
    def g_sum(x_raw):
        _, gw, _ = grads_by_autograd(x_raw, jnp.ones((3, 4), dtype=x_raw.dtype))
        return jnp.sum(gw)

    w = jnp.asarray(_data("float32")[0])
    ours = jax.grad(g_sum)(w)
    eps = 1e-2
    e0 = np.zeros(w.shape, dtype=np.float32)
    e0[1, 2] = eps
    fd = (g_sum(w + e0) - g_sum(w - e0)) / (2 * eps)
    np.testing.assert_allclose(ours[1, 2], fd, rtol=2e-2, atol=2e-3)


def test_float64_without_x64_says_so():
    from ag_bridge_jax import JaxFloat64Warning

    with jax.enable_x64(False):
        with pytest.warns(JaxFloat64Warning, match=r"float64.*float32.*jax_enable_x64"):
            x = ag_bridge.asarray(np.array([1.0, 2.0]), backend="jax")
        assert x.dtype == jnp.float32
        with pytest.warns(JaxFloat64Warning, match="complex128.*complex64"):
            ag_bridge.asarray(np.array([1j]), backend="jax")
        with pytest.warns(JaxFloat64Warning):
            ag_bridge.asarray([1.0], backend="jax", dtype="float64")
    with jax.enable_x64(True):
        import warnings

        with warnings.catch_warnings():
            warnings.simplefilter("error")
            x = ag_bridge.asarray(np.array([1.0, 2.0]), backend="jax")
            assert x.dtype == jnp.float64
            assert ag_bridge.asarray([1.0, 2.0], backend="jax").dtype == jnp.float64


def test_immutable_buffers_are_rebound():
    x = ag_bridge.asarray(jnp.asarray([1.0, 2.0]))
    x.attach_grad(grad_req="add")
    holder = x.grad
    for k in (1, 2):
        with autograd.record():
            y = XP.sum(x * x)
        y.backward()
        assert x.grad is holder  # the same Array object, a new JAX array behind it
        np.testing.assert_allclose(x.grad.asnumpy(), k * np.array([2.0, 4.0]))
    with autograd.record():
        y = x * 3
    with pytest.raises(RuntimeError, match="in-place"):
        with autograd.record():
            x += 1
    del y


def test_vjp_jvp_jacobian_hessian_inside_jit():
    f = lambda x: XP.sum(XP.sin(x) * x)  # noqa: E731
    g = lambda x: XP.sin(x) * x[::-1]  # noqa: E731
    transforms = {
        "vjp": lambda x: ag_bridge.unwrap(ag_bridge.vjp(g, x)[1](jnp.ones(3, dtype=x.dtype))[0]),
        "jvp": lambda x: ag_bridge.unwrap(ag_bridge.jvp(g, (x,), (jnp.ones(3, dtype=x.dtype),))[1]),
        "jacobian": lambda x: ag_bridge.unwrap(ag_bridge.jacobian(g)(x)),
        "hessian": lambda x: ag_bridge.unwrap(ag_bridge.hessian(f)(x)),
    }
    x = jnp.asarray([0.5, 1.0, 2.0])
    for name, fn in transforms.items():
        np.testing.assert_allclose(np.asarray(jax.jit(fn)(x)), np.asarray(fn(x)), rtol=1e-5,
                                   atol=1e-6, err_msg=name)
    jac = transforms["jacobian"](x)
    want = np.diag(np.cos(x) * np.asarray(x)[::-1]) + np.fliplr(np.diag(np.sin(np.asarray(x))))
    np.testing.assert_allclose(np.asarray(jac), want, rtol=1e-5, atol=1e-6)


class _Compiles:
    """Counts XLA compilations (JAX's backend-compile monitoring event) inside the block."""

    def __enter__(self):
        import jax.monitoring

        self.n, self.on = 0, True

        def listener(event, duration, **kw):
            if self.on and event == "/jax/core/compile/backend_compile_duration":
                self.n += 1

        jax.monitoring.register_event_duration_secs_listener(listener)
        return self

    def __exit__(self, *exc):
        self.on = False  # JAX has no public way to unregister a listener


def test_asarray_from_numpy_compiles_nothing_and_copies():
    """A NumPy array becomes a JAX array by a transfer, not a compiled identity (lax.stage, one
    compilation per shape and dtype), with jnp.asarray's dtype, and it is a copy."""
    b = ag_bridge.load_backend("jax")
    with jax.enable_x64(True):
        for dt in (np.float64, np.float32, np.complex128, np.int32, np.bool_):
            src = np.arange(7 * 13).reshape(7, 13).astype(dt)  # a shape no other test uses
            want = jnp.asarray(src)
            with _Compiles() as c:
                got = b.asarray(src)
            assert c.n == 0, dt
            assert (got.dtype, got.weak_type, got.shape) == (want.dtype, want.weak_type, want.shape)
            np.testing.assert_array_equal(np.asarray(got), src)
        src = np.ones(3)
        got = b.asarray(src)
        src[0] = 5.0  # the JAX array does not alias the NumPy buffer
        np.testing.assert_array_equal(np.asarray(got), np.ones(3))
        assert jax.jit(lambda x: x + b.asarray(np.ones(3)))(jnp.ones(3)).tolist() == [2.0] * 3


def test_zeros_like_compiles_nothing():
    """Gradient buffers (Backend.zeros_like) of small arrays are copied NumPy zeros, not a
    compiled broadcast; they match jnp.zeros_like, placement and weak type included."""
    b = ag_bridge.load_backend("jax")
    with jax.enable_x64(True):
        dev = jax.devices()[0]
        for x in (jnp.ones((5, 17)), jnp.ones(17, dtype=jnp.complex64), jnp.ones((), jnp.int32),
                  jax.device_put(jnp.ones((17, 2)), dev), jnp.asarray(2.0)):  # committed, weak
            want = jnp.zeros_like(x)
            with _Compiles() as c:
                got = b.zeros_like(x)
            assert c.n == 0 or x.weak_type
            assert (got.dtype, got.shape, got.weak_type, got.committed, got.sharding) == \
                (want.dtype, want.shape, want.weak_type, want.committed, want.sharding)
            assert not np.asarray(got).any()
        assert jax.jit(b.zeros_like)(jnp.ones(2)).tolist() == [0.0, 0.0]


def test_native_oracle_is_one_compiled_program_or_eager():
    """native_vjp/native_hvp compile the whole jax.vjp once (eagerly each operation compiles on
    its own); a function that does not trace (a boolean mask) runs eagerly, with the same answer."""
    b = ag_bridge.load_backend("jax")
    with jax.enable_x64(True):
        x = jnp.asarray(np.linspace(-1.0, 1.0, 11 * 3).reshape(11, 3))  # shapes no other test uses
        v, w = jnp.asarray(np.full(11, 0.5)), jnp.asarray(np.full((11, 3), 2.0))
        f = lambda a: jnp.sum(jnp.sin(a) * a, axis=1)  # noqa: E731
        with _Compiles() as c:
            (g,) = b.native_vjp(f, (x,), (v,))
            (h,) = b.native_hvp(f, (x,), (v,), (w,))
        assert c.n == 2
        xn = np.asarray(x)  # d/dx sin(x) x = cos x x + sin x; d2/dx2 = 2 cos x - x sin x
        np.testing.assert_allclose(np.asarray(g), 0.5 * (np.cos(xn) * xn + np.sin(xn)))
        np.testing.assert_allclose(np.asarray(h), 2.0 * 0.5 * (2 * np.cos(xn) - xn * np.sin(xn)))
        masked = lambda a: jnp.sum(a[a > 0] ** 3)  # noqa: E731  (a value-dependent shape)
        (g,) = b.native_vjp(masked, (x,), (jnp.asarray(1.0),))
        (h,) = b.native_hvp(masked, (x,), (jnp.asarray(1.0),), (w,))
        np.testing.assert_allclose(np.asarray(g), np.where(xn > 0, 3 * xn ** 2, 0.0))
        np.testing.assert_allclose(np.asarray(h), np.where(xn > 0, 2.0 * 6 * xn, 0.0))
