"""The NumPy plugin's direct calls (``ag_bridge_numpy._direct``) give array-api-compat's
results exactly (values, dtype, shape, scalar or array) and its errors, for every form
of their arguments; ``broadcast_small`` gives ``np.broadcast_to``'s values and errors."""

from __future__ import annotations

import inspect

import array_api_compat.numpy as compat
import numpy as np
import pytest

import ag_bridge


def _plugin():
    ag_bridge.namespace("numpy")  # loads the plugin
    import ag_bridge_numpy
    import ag_bridge_numpy._direct as d

    return ag_bridge_numpy, d


def _same(got, want):
    assert type(got) is type(want)
    assert got.dtype == want.dtype and got.shape == want.shape
    np.testing.assert_array_equal(got, want, strict=True)


def _agree(fast, slow, *args, **kwargs):
    """``fast`` returns what ``slow`` returns, or raises the same type of error."""
    try:
        want = slow(*args, **kwargs)
    except Exception as exc:
        with pytest.raises(type(exc)):
            fast(*args, **kwargs)
        return
    _same(fast(*args, **kwargs), want)


def test_the_namespace_has_direct_functions():
    plugin, d = _plugin()
    assert {"matmul", "matrix_transpose"} <= set(d.DIRECT)
    for name in d.DIRECT:
        fast = getattr(plugin._xp, name)
        assert fast is not getattr(compat, name)
        assert fast.speed_only and fast.__wrapped__ is getattr(compat, name)
    assert ag_bridge.load_backend("numpy").xp is plugin._xp


def test_matmul_and_matrix_transpose_match_array_api_compat():
    plugin, _ = _plugin()
    xp = plugin._xp
    rng = np.random.default_rng(0)
    a32 = rng.standard_normal((2, 3, 4)).astype(np.float32)
    b32 = rng.standard_normal((4, 5)).astype(np.float32)
    b64, bi = rng.standard_normal((4, 5)), rng.integers(-3, 3, (4, 5)).astype(np.int8)
    v = rng.standard_normal(4)
    c = (rng.standard_normal((4, 2)) + 1j * rng.standard_normal((4, 2))).astype(np.complex64)
    for x1, x2 in ((a32, b32), (a32, b64), (a32, bi), (bi.T, bi), (v, v), (a32, v), (v, b64),
                   (a32, c), (a32, a32), (np.float64(2.0), b32), (a32.tolist(), b32), (v, 2.0)):
        _agree(xp.matmul, compat.matmul, x1, x2)
    _agree(xp.matmul, compat.matmul, a32, b32, dtype=np.float64)  # keywords: array-api-compat's
    for x in (a32, b64, bi, c, np.asfortranarray(b64), a32[:, ::2], v, np.float32(1.0), 3.0):
        _agree(xp.matrix_transpose, compat.matrix_transpose, x)
    with pytest.raises(ValueError):
        xp.matrix_transpose(v)


@pytest.mark.filterwarnings("ignore::numpy.exceptions.ComplexWarning")  # sum(complex, dtype=f8)
@pytest.mark.filterwarnings("ignore:Mean of empty slice:RuntimeWarning")
@pytest.mark.filterwarnings("ignore:invalid value encountered:RuntimeWarning")
@pytest.mark.parametrize("name", ["sum", "max", "min", "mean"])
def test_reductions_match_array_api_compat(name):
    """Every axis form (int, negative, tuple, (), None, out of range, repeated) with and
    without keepdims, and sum's dtype=, on float, complex, int, bool, 0-d and empty arrays."""
    plugin, d = _plugin()
    if name not in d.DIRECT:
        pytest.skip(f"array-api-compat's {name} is not NumPy's own in this version")
    fast, slow = getattr(plugin._xp, name), getattr(compat, name)
    rng = np.random.default_rng(2)
    arrays = [rng.standard_normal((3, 4, 2)).astype(np.float32), rng.standard_normal((3, 4)),
              rng.integers(-5, 5, (3, 4)).astype(np.int8), rng.standard_normal((3, 4)) > 0,
              np.array(2.5), np.zeros((0, 3)), np.array([1.0, np.nan, 2.0])]
    if name in ("sum", "mean"):
        arrays.append((rng.standard_normal((3, 2)) + 1j).astype(np.complex64))
    if name == "mean":  # float16 (summed in float32 by NumPy), long double, a float32 mean of
        # 2**24 + 1 items (the count is not a float32: NumPy divides by it as an intp)
        arrays += [rng.standard_normal((3, 4)).astype(np.float16),
                   rng.standard_normal((3, 4)).astype(np.longdouble),
                   np.full((1, 1 << 24 | 1), 1.1, np.float32), np.asfortranarray(arrays[1])]
    extra = [{}, {"dtype": np.float64}] if name == "sum" else [{}]
    for x in arrays:
        for axis in (None, 0, -1, (0, 1), (), (1, 0), 5, (0, 0)):
            for keepdims in (False, True):
                for kw in extra:
                    _agree(fast, slow, x, axis=axis, keepdims=keepdims, **kw)
    masked = np.ma.masked_array([1.0, 2.0, 3.0], mask=[0, 1, 0])
    assert fast(masked) == slow(masked)  # a subclass: array-api-compat's function


def test_ones_like_matches_array_api_compat():
    """Values, dtype, class and memory layout (``np.ones_like`` keeps the input's) for every
    kind of dtype, 0-d and empty arrays; keywords and other classes go to array-api-compat."""
    plugin, d = _plugin()
    assert "ones_like" in d.DIRECT
    fast, slow = plugin._xp.ones_like, compat.ones_like
    arrays = [np.zeros((2, 3), dt) for dt in ("f4", "f8", "c8", "i1", "u2", "?", "M8[s]",
                                                "m8[ms]", "U3", "O", [("a", "f4"), ("b", "i2")])]
    arrays += [np.zeros(()), np.zeros((0, 4)), np.asfortranarray(np.zeros((3, 2))),
               np.zeros((4, 6))[::2, ::3], np.float32(2.0), [1.0, 2.0]]
    for x in arrays:
        got, want = fast(x), slow(x)
        assert type(got) is type(want) and got.dtype == want.dtype and got.shape == want.shape
        assert list(got.flat) == list(want.flat)
        assert got.strides == want.strides
    _same(fast(arrays[0], dtype=np.int64), slow(arrays[0], dtype=np.int64))
    masked = np.ma.masked_array([1.0, 2.0], mask=[0, 1])
    assert type(fast(masked)) is type(slow(masked))


def test_broadcast_small_matches_broadcast_to():
    """Values, dtype and errors of np.broadcast_to; small results are new writable arrays,
    large ones stay NumPy's read-only view."""
    _, d = _plugin()
    rng = np.random.default_rng(3)
    cases = [(rng.standard_normal((3, 1)).astype(np.float32), (3, 4)),
             (rng.standard_normal(4), (2, 3, 4)), (np.float32(1.5), (2, 2)),
             (np.array(2.0), ()), (np.array([1, 2], dtype=np.int16), (0, 2)),
             (np.array([True]), (5,)), (rng.standard_normal((1, 1)), (d.SMALL, 1)),
             (rng.standard_normal((1, 1)), (d.SMALL + 1, 1)), (rng.standard_normal(3), (3,))]
    for x, shape in cases:
        got, want = d.broadcast_small(x, shape), np.broadcast_to(x, shape)
        _same(got, want)
        assert got.flags.writeable == (np.prod(shape) <= d.SMALL)
    bad = [(np.ones((1, 3)), (3,)), (np.ones(3), (4,)), (np.ones(3), (-1, 3)), (np.ones(3), 3),
           (np.ones(3), "x"), (np.ones((2, 1)), (2, 3.0))]
    for x, shape in bad:
        _agree(lambda *a: d.broadcast_small(*a), np.broadcast_to, x, shape)
    masked = np.ma.masked_array([1.0, 2.0], mask=[0, 1])
    assert d.broadcast_small(masked, (2, 2)).base is not None  # a subclass: NumPy's own view


def test_only_the_rules_get_broadcast_small(monkeypatch):
    plugin, d = _plugin()
    b = ag_bridge.load_backend("numpy")
    assert b.rule_xp.broadcast_to is d.broadcast_small
    monkeypatch.setattr(b, "_rule_xp", None)  # a reset rules namespace is rebuilt, patched again
    assert b.rule_xp.broadcast_to is d.broadcast_small and b.rule_xp is b.rule_xp
    assert b.sweep_hooks[0] is b.rule_xp
    assert plugin._xp.broadcast_to is compat.broadcast_to  # users get NumPy's view
    assert not ag_bridge.unwrap(ag_bridge.namespace("numpy").broadcast_to(
        ag_bridge.asarray(np.ones(1)), (3,))).flags.writeable


def test_direct_functions_keep_the_signatures_the_namespace_showed():
    from ag_bridge._signatures import signature_of

    xp = ag_bridge.namespace("numpy")
    for name in ("matmul", "matrix_transpose", "ones_like", "sum", "max", "min", "mean"):
        assert str(inspect.signature(getattr(xp, name))) == str(signature_of(name, getattr(compat, name)))


def test_a_small_model_gradient_through_the_direct_calls():
    """A two-layer model's gradient (matmul, matrix_transpose, sum, max and the rules'
    broadcast) against the same gradient written by hand."""
    xp = ag_bridge.namespace("numpy")
    rng = np.random.default_rng(4)
    X, W, V = rng.standard_normal((5, 3)), rng.standard_normal((3, 4)), rng.standard_normal((4, 2))
    w, v = ag_bridge.asarray(W.copy()), ag_bridge.asarray(V.copy())
    w.attach_grad()
    v.attach_grad()
    with ag_bridge.autograd.record():
        h = xp.tanh(xp.asarray(X) @ w)
        z = xp.matrix_transpose(h @ v)  # (2, 5)
        loss = xp.sum(z * z) + xp.sum(xp.max(z, axis=1) * 3.0) + xp.mean(xp.min(h, axis=0))
    loss.backward()
    hN = np.tanh(X @ W)
    zN = (hN @ V).T
    dz = 2 * zN
    dz[np.arange(2), np.argmax(zN, axis=1)] += 3.0
    dh = dz.T @ V.T
    dh[np.argmin(hN, axis=0), np.arange(4)] += 1 / 4
    da = dh * (1 - hN * hN)
    np.testing.assert_allclose(ag_bridge.unwrap(v.grad), hN.T @ dz.T, rtol=1e-12)
    np.testing.assert_allclose(ag_bridge.unwrap(w.grad), X.T @ da, rtol=1e-12)
