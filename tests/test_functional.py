"""The functional API (grad, value_and_grad, vjp, jvp, jacobian, hessian) on every backend,
against analytic derivatives and against torch.func."""

from __future__ import annotations

import numpy as np
import pytest

import ag_bridge
from ag_bridge import autograd
from ag_bridge.functional import grad, hessian, jacobian, jvp, value_and_grad, vjp

torch = pytest.importorskip("torch")
tf = torch.func

RNG = np.random.default_rng(7)


@pytest.fixture(autouse=True)
def _x64(request):
    """JAX compares in float64 too (its 64-bit mode, only around the test)."""
    if "backend" not in request.fixturenames or request.getfixturevalue("backend").name != "jax":
        yield
        return
    import jax

    with jax.enable_x64(True):
        yield


def _a(x, b):
    return ag_bridge.asarray(np.asarray(x, dtype=np.float64), backend=b)


def _n(a):
    return a.asnumpy() if isinstance(a, ag_bridge.Array) else np.asarray(a)


def _t(x):
    return torch.asarray(np.asarray(x), dtype=torch.float64)


def close(a, b, tol=1e-9):
    np.testing.assert_allclose(_n(a), _n(b), rtol=tol, atol=tol)


# ---------------------------------------------------------------- a small tanh MLP
X = RNG.standard_normal((5, 3))
W1 = RNG.standard_normal((3, 4))
B1 = RNG.standard_normal(4)
W2 = RNG.standard_normal(4)


def mlp(xp, w1, b1, w2, x):
    return xp.sum(xp.tanh(xp.tanh(x @ w1 + b1) @ w2) ** 2)


def mlp_torch(w1, b1, w2, x):
    return torch.sum(torch.tanh(torch.tanh(x @ w1 + b1) @ w2) ** 2)


def _mlp_args(b):
    return _a(W1, b), _a(B1, b), _a(W2, b), _a(X, b)


def _torch_args():
    return _t(W1), _t(B1), _t(W2), _t(X)


# ---------------------------------------------------------------- grad / value_and_grad
def test_grad_analytic(backend):
    xp = backend.namespace
    x = _a([0.1, -0.7, 2.0], backend)
    close(grad(lambda x: xp.sum(xp.sin(x)))(x), np.cos(_n(x)))
    close(grad(lambda x: xp.sum(x ** 3) / 3)(x), _n(x) ** 2)


def test_value_and_grad_argnums(backend):
    xp = backend.namespace
    w, x = _a([1.0, 2.0], backend), _a([3.0, -1.0], backend)
    f = lambda w, x, c: c * xp.sum((w * x) ** 2)
    v, (gw, gx) = value_and_grad(f, argnums=(0, 1))(w, x, 0.5)
    close(v, 0.5 * np.sum((_n(w) * _n(x)) ** 2))
    close(gw, _n(w) * _n(x) ** 2)
    close(gx, _n(x) * _n(w) ** 2)
    close(grad(f, argnums=-2)(w, x, 0.5), gx)
    assert v._node is None and gw._node is None  # plain values outside record()


def test_grad_has_aux(backend):
    xp = backend.namespace
    x = _a([1.0, 2.0], backend)
    g, aux = grad(lambda x: (xp.sum(x * x), x + 1), has_aux=True)(x)
    close(g, 2 * _n(x))
    close(aux, _n(x) + 1)
    (v, aux), g = value_and_grad(lambda x: (xp.sum(x * x), "tag"), has_aux=True)(x)
    close(v, 5.0)
    assert aux == "tag"


def test_grad_mlp_vs_torch(backend):
    xp = backend.namespace
    ours = grad(lambda *a: mlp(xp, *a), argnums=(0, 1, 2))(*_mlp_args(backend))
    ref = tf.grad(mlp_torch, argnums=(0, 1, 2))(*_torch_args())
    for o, r in zip(ours, ref, strict=True):
        close(o, r.numpy())


def test_grad_raw_and_python_inputs(backend):
    xp = backend.namespace
    raw = ag_bridge.unwrap(_a([1.0, 2.0], backend))
    g = grad(lambda x: xp.sum(x * x))(raw)
    assert isinstance(g, ag_bridge.Array) and g._backend is backend
    close(g, [2.0, 4.0])
    with ag_bridge.use_backend(backend.name):
        close(grad(lambda x: x * x)(3.0), 6.0)
        close(grad(lambda x: xp.sum(x * x))([1.0, -2.0]), [2.0, -4.0])


def test_grad_complex_input(backend):
    xp = backend.namespace
    z = ag_bridge.asarray(np.array([1 + 2j, 0.5 - 1j]), backend=backend)
    g = grad(lambda z: xp.sum(xp.real(z * xp.conj(z))))(z)  # |z|^2: torch's 2 z
    close(g, 2 * _n(z))


def test_grad_buffers_untouched(backend):
    xp = backend.namespace
    x = _a([1.0, 2.0], backend)
    x.attach_grad()
    with autograd.record():
        y = xp.sum(x * x * x)
    y.backward()
    before = _n(x.grad)
    buf, leaf = x.grad, x._node
    close(grad(lambda x: xp.sum(xp.sin(x)))(x), np.cos([1.0, 2.0]))
    _, fn = vjp(lambda x: x * x, x)
    fn(_a([1.0, 1.0], backend))
    jvp(lambda x: x * x, (x,), (_a([1.0, 1.0], backend),))
    jacobian(lambda x: x * x)(x)
    hessian(lambda x: xp.sum(x ** 3))(x)
    assert x._node is leaf and x.grad is buf
    close(x.grad, before)
    with autograd.record():  # x is still a working leaf
        y = xp.sum(x * x)
    y.backward()
    close(x.grad, 2 * _n(x))


def test_grad_inside_record_is_differentiable(backend):
    """Called while recording, grad stays connected: d/dx sum(grad(f)(x)) for f = sum(x^3)."""
    xp = backend.namespace
    x = _a([1.0, -2.0], backend)
    x.attach_grad()
    with autograd.record():
        g = grad(lambda x: xp.sum(x ** 3))(x)
        z = xp.sum(g * g)  # sum(9 x^4)
    close(g, 3 * _n(x) ** 2)
    z.backward()
    close(x.grad, 36 * _n(x) ** 3)


def test_grad_errors(backend):
    xp = backend.namespace
    x = _a([1.0, 2.0], backend)
    with pytest.raises(ValueError, match="scalar"):
        grad(lambda x: x * x)(x)
    with pytest.raises(ValueError, match="argnums"):
        grad(lambda x: xp.sum(x), argnums=1)(x)
    with pytest.raises(TypeError, match="dtype"):
        grad(lambda n: xp.sum(n * 1.0))(ag_bridge.asarray(np.array([1, 2]), backend=backend))
    z = ag_bridge.asarray(np.array([1 + 1j]), backend=backend)
    with pytest.raises(TypeError, match="complex"):
        grad(lambda z: xp.sum(z * z))(z)
    with pytest.raises(TypeError, match="complex"):
        jacobian(lambda z: z * z)(z)


# ---------------------------------------------------------------- vjp
def test_vjp_vs_torch(backend):
    xp = backend.namespace
    f = lambda w1, x: (xp.tanh(x @ w1), xp.sum(w1 * w1, axis=0))
    ft = lambda w1, x: (torch.tanh(x @ w1), torch.sum(w1 * w1, dim=0))
    (o1, o2), fn = vjp(f, _a(W1, backend), _a(X, backend))
    (t1, t2), tfn = tf.vjp(ft, _t(W1), _t(X))
    close(o1, t1.numpy())
    close(o2, t2.numpy())
    c1, c2 = RNG.standard_normal(o1.shape), RNG.standard_normal(o2.shape)
    ours = fn((_a(c1, backend), _a(c2, backend)))
    ref = tfn((_t(c1), _t(c2)))
    for a, r in zip(ours, ref, strict=True):
        close(a, r.numpy())
    again = fn((_a(c1, backend), _a(c2, backend)))  # callable many times
    close(again[0], ours[0])
    only1 = fn((_a(c1, backend), None))  # None: zero cotangent
    ref1 = tfn((_t(c1), torch.zeros_like(t2)))
    close(only1[0], ref1[0].numpy())


def test_vjp_single_and_constant_output(backend):
    xp = backend.namespace
    x = _a([1.0, 2.0, 3.0], backend)
    out, fn = vjp(lambda x: xp.exp(x), x)
    (gx,) = fn(_a([1.0, 0.0, 2.0], backend))
    close(gx, np.exp(_n(x)) * [1.0, 0.0, 2.0])
    out, fn = vjp(lambda x: xp.ones(3, dtype=xp.float64), x)  # does not depend on x
    close(fn(_a([1.0, 1.0, 1.0], backend))[0], [0.0, 0.0, 0.0])


# ---------------------------------------------------------------- jvp
def test_jvp_vs_torch(backend):
    xp = backend.namespace
    f = lambda w1, x: xp.tanh(x @ w1) * xp.sin(w1[0, ...])
    ft = lambda w1, x: torch.tanh(x @ w1) * torch.sin(w1[0, ...])
    tw, tx = RNG.standard_normal(W1.shape), RNG.standard_normal(X.shape)
    out, tan = jvp(f, (_a(W1, backend), _a(X, backend)), (_a(tw, backend), _a(tx, backend)))
    rout, rtan = tf.jvp(ft, (_t(W1), _t(X)), (_t(tw), _t(tx)))
    close(out, rout.numpy())
    close(tan, rtan.numpy())
    assert out._node is None and tan._node is None


def test_jvp_multiple_outputs_and_python_tangents(backend):
    xp = backend.namespace
    x = _a([1.0, 2.0], backend)
    (a, b), (ta, tb) = jvp(lambda x: (x * x, xp.sum(x)), (x,), ([1.0, 10.0],))
    close(ta, [2.0, 40.0])
    close(tb, 11.0)


def test_jvp_complex(backend):
    """The double-VJP trick holds for holomorphic and for non-holomorphic maps."""
    xp = backend.namespace
    z0 = np.array([1 + 2j, 0.5 - 1j])
    t0 = np.array([0.3 - 1j, 2 + 0.5j])
    z, t = (ag_bridge.asarray(v, backend=backend) for v in (z0, t0))
    _, tan = jvp(lambda z: xp.sin(z), (z,), (t,))
    close(tan, np.cos(z0) * t0)
    _, tan = jvp(lambda z: xp.real(z * xp.conj(z)), (z,), (t,))
    close(tan, 2 * np.real(np.conj(z0) * t0))
    rz = torch.asarray(z0)
    ref = tf.jvp(lambda z: torch.abs(z) ** 2, (rz,), (torch.asarray(t0),))[1]
    close(tan, ref.numpy())


# ---------------------------------------------------------------- jacobian / hessian
def test_jacobian_vs_torch(backend):
    xp = backend.namespace
    f = lambda w1, x: xp.tanh(x @ w1)
    ours = jacobian(f, argnums=(0, 1))(_a(W1, backend), _a(X, backend))
    ref = tf.jacrev(lambda w, x: torch.tanh(x @ w), argnums=(0, 1))(_t(W1), _t(X))
    assert ours[0].shape == (5, 4, 3, 4) and ours[1].shape == (5, 4, 5, 3)
    for o, r in zip(ours, ref, strict=True):
        close(o, r.numpy())


def test_jacobian_shapes(backend):
    xp = backend.namespace
    x = _a([1.0, 2.0, 3.0], backend)
    close(jacobian(lambda x: xp.sum(x * x))(x), 2 * _n(x))  # 0-d output: shape of x
    s = _a(2.0, backend)
    close(jacobian(lambda s: s * x)(s), _n(x))  # 0-d input
    j1, j2 = jacobian(lambda x: (x * 2, x[0]))(x)  # tuple output
    close(j1, 2 * np.eye(3))
    close(j2, [1.0, 0.0, 0.0])
    close(jacobian(lambda x: xp.ones(2, dtype=xp.float64))(x), np.zeros((2, 3)))


def test_hessian_mlp_vs_torch(backend):
    xp = backend.namespace
    w1, b1, w2, x = _mlp_args(backend)
    h = hessian(lambda w: mlp(xp, w, b1, w2, x))(w1)
    ref = tf.hessian(lambda w: mlp_torch(w, *_torch_args()[1:]))(_t(W1))
    assert h.shape == (3, 4, 3, 4)
    close(h, ref.numpy(), 1e-8)


def test_hvp_mlp_vs_torch(backend):
    """Hessian-vector product as jvp(grad(f)) against torch.func (jvp of grad) and the Hessian."""
    xp = backend.namespace
    w1, b1, w2, x = _mlp_args(backend)
    v = RNG.standard_normal(W1.shape)
    g, hv = jvp(grad(lambda w: mlp(xp, w, b1, w2, x)), (w1,), (_a(v, backend),))
    tb1, tw2, tx = _torch_args()[1:]
    rg, rhv = tf.jvp(tf.grad(lambda w: mlp_torch(w, tb1, tw2, tx)), (_t(W1),), (_t(v),))
    close(g, rg.numpy())
    close(hv, rhv.numpy(), 1e-8)
    _, rhv2 = torch.autograd.functional.hvp(lambda w: mlp_torch(w, tb1, tw2, tx), _t(W1), _t(v))
    close(hv, rhv2.numpy(), 1e-8)


def test_hessian_argnums_tuple(backend):
    xp = backend.namespace
    f = lambda a, b: xp.sum(a * a * b) + xp.sum(b ** 3)
    a, b = _a([1.0, 2.0], backend), _a([3.0, -1.0], backend)
    (haa, hab), (hba, hbb) = hessian(f, argnums=(0, 1))(a, b)
    close(haa, np.diag(2 * _n(b)))
    close(hab, np.diag(2 * _n(a)))
    close(hba, np.diag(2 * _n(a)))
    close(hbb, np.diag(6 * _n(b)))


def test_jacobian_of_jacobian_vs_torch(backend):
    xp = backend.namespace
    x0 = np.array([0.3, -1.2, 0.8])
    f = lambda x: xp.sin(x) * xp.sum(x * x)
    ours = jacobian(jacobian(f))(_a(x0, backend))
    ref = tf.jacrev(tf.jacrev(lambda x: torch.sin(x) * torch.sum(x * x)))(_t(x0))
    close(ours, ref.numpy())


# ---------------------------------------------------------------- through the fft rules
FFT_CASES = [
    ("fft n=8 pad", lambda xp, r, i: xp.fft.fft(r + 1j * i, n=8)),
    ("fft n=3 crop ortho", lambda xp, r, i: xp.fft.fft(r + 1j * i, n=3, norm="ortho")),
    ("ifftn forward", lambda xp, r, i: xp.fft.ifftn(r + 1j * i, norm="forward")),
    ("irfft n=7", lambda xp, r, i: xp.fft.irfft(r + 1j * i, n=7)),
    ("hfft n=4 crop", lambda xp, r, i: xp.fft.hfft(r + 1j * i, n=4, axis=0)),
    ("rfftn s crop+pad", lambda xp, r, i: xp.fft.rfftn(r * i, s=(3, 8), axes=(0, 1))),
    ("ihfft n=9 pad", lambda xp, r, i: xp.fft.ihfft(r - i, n=9, norm="ortho")),
    ("irfftn", lambda xp, r, i: xp.fft.irfftn(r + 1j * i, axes=(1, 0))),
    ("fftshift", lambda xp, r, i: xp.fft.fftshift(r * i, axes=(0,))),
]


@pytest.mark.parametrize("fn", [c[1] for c in FFT_CASES], ids=[c[0] for c in FFT_CASES])
def test_jvp_through_fft_vs_torch(backend, fn):
    """jvp differentiates the fft VJPs w.r.t. their cotangent (create_graph through the rules)."""
    xp = backend.namespace
    r0, i0 = RNG.standard_normal((4, 5)), RNG.standard_normal((4, 5))
    tr, ti = RNG.standard_normal((4, 5)), RNG.standard_normal((4, 5))
    out, tan = jvp(lambda r, i: fn(xp, r, i), (_a(r0, backend), _a(i0, backend)),
                   (_a(tr, backend), _a(ti, backend)))
    ct = pytest.importorskip("array_api_compat.torch")
    ref_out, ref_tan = tf.jvp(lambda r, i: fn(ct, r, i), (_t(r0), _t(i0)), (_t(tr), _t(ti)))
    close(out, ref_out.resolve_conj().numpy())
    close(tan, ref_tan.resolve_conj().numpy())
