"""The JAX plugin's speed paths give JAX's own results: shape functions that switch to one
jitted program once their shapes recur (``ag_bridge_jax._adaptive``), and the compiled
tanh/expit VJPs of plain backward passes, checked against ``jax.vjp``."""

from __future__ import annotations

import numpy as np
import pytest

jax = pytest.importorskip("jax")
jnp = pytest.importorskip("jax.numpy")

import ag_bridge  # noqa: E402
from ag_bridge import autograd  # noqa: E402


def _plugin():
    ag_bridge.namespace("jax")
    import ag_bridge_jax
    import ag_bridge_jax._adaptive as adaptive

    return ag_bridge_jax, adaptive


def test_adaptive_functions_switch_to_one_program_with_the_same_results(monkeypatch):
    plugin, adaptive = _plugin()
    traced: list = []
    real = jnp.broadcast_to

    def counting(x, shape):
        traced.append(isinstance(x, jax.core.Tracer))
        return real(x, shape)

    f = adaptive.adaptive(counting, ("shape",))
    x = jnp.asarray([1.0, 2.0, 3.0], dtype=jnp.float32)
    outs = [f(x, (2, 3)) for _ in range(adaptive.RECUR + 3)] + [f(x, shape=(2, 3))]
    # eager calls until the key recurred, then one trace: the jitted program serves the rest
    assert traced == [False] * adaptive.RECUR + [True]
    for o in outs:
        assert o.shape == (2, 3) and o.dtype == jnp.float32
        np.testing.assert_array_equal(np.asarray(o), np.broadcast_to([1.0, 2.0, 3.0], (2, 3)))
    f(x, (4, 3))  # another shape: eager again
    assert traced[-1] is False and len(traced) == adaptive.RECUR + 2
    with pytest.raises(ValueError):  # bad input: JAX's own error, eager or compiled
        for _ in range(adaptive.RECUR + 1):
            f(x, (2, 4))


@pytest.mark.parametrize("name,args", [("broadcast_to", ((2, 3, 4),)), ("expand_dims", ((0, 2),)),
                                       ("matrix_transpose", ()), ("ones_like", ())])
def test_namespace_shape_functions_match_jax_numpy(name, args):
    plugin, adaptive = _plugin()
    x = jnp.arange(12.0, dtype=jnp.float32).reshape(3, 4)
    fn = getattr(plugin._xp, name)
    want = getattr(jnp, name)(x, *args)
    for _ in range(adaptive.RECUR + 2):
        got = fn(x, *args)
        assert got.shape == want.shape and got.dtype == want.dtype
        np.testing.assert_array_equal(np.asarray(got), np.asarray(want))
    # inside jax.jit the function is traced as it is
    np.testing.assert_array_equal(np.asarray(jax.jit(lambda a: fn(a, *args))(x)), np.asarray(want))


def test_zeros_like_keeps_dtype_and_placement_when_it_recurs():
    plugin, adaptive = _plugin()
    b = ag_bridge.asarray(jnp.ones(3))._backend
    for shape, dtype in (((5,), jnp.float32), ((300, 300), jnp.float32), ((2, 2), jnp.int32)):
        x = jax.device_put(jnp.ones(shape, dtype), jax.devices()[0])
        for _ in range(adaptive.RECUR + 2):
            z = b.zeros_like(x)
            assert z.shape == x.shape and z.dtype == x.dtype and z.committed == x.committed
            assert not np.asarray(z).any()


def test_gradient_buffers_share_one_zero_array_and_stay_independent():
    plugin, _ = _plugin()
    raw = jax.device_put(jnp.ones((4, 3), jnp.float32), jax.devices()[0])
    a, c = ag_bridge.asarray(raw), ag_bridge.asarray(raw + 1)
    a.attach_grad()
    c.attach_grad()
    # one shape, dtype and placement: one zeros array behind both buffers (nothing dispatched)
    assert ag_bridge.unwrap(a.grad) is ag_bridge.unwrap(c.grad)
    z = ag_bridge.unwrap(a.grad)
    assert z.shape == (4, 3) and z.dtype == jnp.float32 and z.committed and not np.asarray(z).any()
    with autograd.record():
        y = (a * a).sum()
    y.backward()  # a's buffer is rebound to its gradient; c's (and the shared zeros) stay zero
    np.testing.assert_array_equal(np.asarray(ag_bridge.unwrap(a.grad)), 2 * np.asarray(raw))
    assert not np.asarray(ag_bridge.unwrap(c.grad)).any() and not np.asarray(z).any()
    a.grad[:] = 5.0  # writing one buffer leaves the other alone
    assert not np.asarray(ag_bridge.unwrap(c.grad)).any()
    # another dtype or shape: its own zeros; tracers and weakly typed arrays share nothing
    assert plugin._shared_zeros(raw.astype(jnp.float16)).dtype == jnp.float16
    assert plugin._shared_zeros(jnp.ones((4, 4))) is not z
    traced = jax.jit(lambda t: plugin._shared_zeros(t) + t)(raw)
    np.testing.assert_array_equal(np.asarray(traced), np.asarray(raw))
    assert not any(isinstance(v, jax.core.Tracer) for v in plugin._shared.values())
    weak = jnp.asarray(2.0)
    assert weak.weak_type and plugin._shared_zeros(weak) is not plugin._shared_zeros(weak)
    z.delete()  # a buffer deleted (or donated) by the user: later buffers get new zeros
    fresh = ag_bridge.asarray(raw)
    fresh.attach_grad()
    assert not ag_bridge.unwrap(fresh.grad).is_deleted()
    assert not np.asarray(ag_bridge.unwrap(fresh.grad)).any()


def test_shared_zeros_hold_a_bounded_number_of_bytes(monkeypatch):
    plugin, _ = _plugin()
    monkeypatch.setattr(plugin, "_SHARED_BYTES", 4096)
    monkeypatch.setattr(plugin, "_shared", {})
    big = jnp.ones(2048, jnp.float32)  # 8 KiB: larger than the budget, never kept
    assert plugin._shared_zeros(big) is not plugin._shared_zeros(big)
    for n in range(1, 40):
        plugin._shared_zeros(jnp.ones(n * 8, jnp.float32))
        assert sum(a.nbytes for a in plugin._shared.values()) <= 4096


@pytest.mark.parametrize("dtype", ["float32", "float64", "complex128"])
@pytest.mark.parametrize("op", ["tanh", "special.expit"])
def test_compiled_vjps_match_jax_vjp(op, dtype):
    xp = ag_bridge.namespace("jax")
    b = ag_bridge.asarray(jnp.ones(2))._backend
    assert op in type(b).fast_vjps
    ref = jnp.tanh if op == "tanh" else jax.nn.sigmoid
    fn = xp.tanh if op == "tanh" else xp.special.expit
    v = np.array([0.3 + 0.2j, -1.1 - 0.4j, 2.0 + 0.1j])
    v = v if dtype.startswith("complex") else v.real
    v = jnp.asarray(v, dtype=dtype)
    w = jnp.asarray([1.5, -0.5, 0.25], dtype=dtype)
    x = ag_bridge.asarray(v)
    x.attach_grad()
    for _ in range(2):  # the second pass runs the compiled kernel from its cache
        with autograd.record():
            y = fn(x)
        y.backward(ag_bridge.asarray(w))
        _, pull = jax.vjp(ref, v)
        want = jnp.conj(pull(jnp.conj(w))[0])  # ag_bridge's convention is the conjugate of JAX's
        tol = 1e-6 if dtype == "float32" else 1e-13
        np.testing.assert_allclose(np.asarray(ag_bridge.unwrap(x.grad)), np.asarray(want),
                                   rtol=tol, atol=tol)
