"""Regressions of wrong derivatives and spurious errors (issues 14 and 10), on every backend.

Conformance samples JAX (docs/conformance.md, "What is sampled"), so each case
here runs on every installed backend. Expected values come from analytic formulas
(written out below) or NumPy's own indexing (``np.add.at``), never from ag_bridge.
"""

from __future__ import annotations

import math

import numpy as np
import pytest

import ag_bridge
from ag_bridge import autograd

INT_DTYPES = ("int8", "int16", "int32", "int64", "uint8", "uint16", "uint32", "uint64")


def arr(xp, values, dtype="float64"):
    return ag_bridge.asarray(np.asarray(values).tolist(), dtype=getattr(xp, dtype))


def grads(f, *xs):
    """Gradients of the real scalar ``f(*xs)`` by backward()."""
    for x in xs:
        x.attach_grad()
    with autograd.record():
        y = f(*xs)
    y.backward()
    return [x.grad.asnumpy() for x in xs]


def hvp(xp, f, x0, v):
    """Hessian-vector product of the scalar ``f`` at ``x0`` along ``v`` (create_graph)."""
    x = arr(xp, x0)
    x.attach_grad()
    with autograd.record():
        y = f(x)
        g, = autograd.grad(y, [x], create_graph=True)
        z = xp.sum(g * arr(xp, v))
    z.backward()
    return x.grad.asnumpy()


# -- issue 14.1: logaddexp of complex input -----------------------------------------------------------
def test_logaddexp_complex(xp):
    a0, b0 = np.array([1 + 2j, -0.5 + 0.3j]), np.array([0.5 - 1j, 0.2 - 2.5j])
    c0 = np.array([1.0 - 0.5j, 0.3 + 2j])  # head gradient
    a, b = arr(xp, a0, "complex128"), arr(xp, b0, "complex128")
    a.attach_grad()
    b.attach_grad()
    with autograd.record():
        y = xp.logaddexp(a, b)
    np.testing.assert_allclose(y.asnumpy(), np.log(np.exp(a0) + np.exp(b0)), rtol=1e-12)
    y.backward(arr(xp, c0, "complex128"))
    # d/da log(e^a + e^b) = e^a / (e^a + e^b); PyTorch's convention: cotangent * conj(derivative)
    s = np.exp(a0) + np.exp(b0)
    np.testing.assert_allclose(a.grad.asnumpy(), c0 * np.conj(np.exp(a0) / s), rtol=1e-12)
    np.testing.assert_allclose(b.grad.asnumpy(), c0 * np.conj(np.exp(b0) / s), rtol=1e-12)


def test_logaddexp_complex_matches_torch(xp):
    torch = pytest.importorskip("torch")
    at = torch.tensor([1 + 2j], dtype=torch.complex128, requires_grad=True)
    bt = torch.tensor([0.5 - 1j], dtype=torch.complex128, requires_grad=True)
    want = torch.autograd.grad(torch.real(torch.logaddexp(at, bt)).sum(), [at, bt])
    got = grads(lambda p, q: xp.sum(xp.real(xp.logaddexp(p, q))),
                arr(xp, [1 + 2j], "complex128"), arr(xp, [0.5 - 1j], "complex128"))
    for g, w in zip(got, want, strict=True):
        np.testing.assert_allclose(g, w.numpy(), rtol=1e-12)
    np.testing.assert_allclose(got[0], [2.393054 - 0.512666j], rtol=1e-6)  # the issue's numbers


def test_logaddexp_complex_branch_is_the_same_on_every_backend(xp):
    """Large imaginary parts (PyTorch's OpInfo samples): the value is a logarithm of
    ``exp(a) + exp(b)`` whose imaginary part is within pi of the larger-real-part operand's
    (the branch of torch's complex loop); JAX's own loop answered 2*pi*k away."""
    rng = np.random.default_rng(3)
    a0 = rng.standard_normal(40) * 5 + 1j * rng.standard_normal(40) * 5
    b0 = rng.standard_normal(40) * 5 + 1j * rng.standard_normal(40) * 5
    y = xp.logaddexp(arr(xp, a0, "complex128"), arr(xp, b0, "complex128")).asnumpy()
    np.testing.assert_allclose(np.exp(y), np.exp(a0) + np.exp(b0), rtol=1e-10)
    big = np.where(a0.real >= b0.real, a0, b0)
    assert np.all(np.abs((y - big).imag) <= math.pi + 1e-12), (y - big).imag


# -- issue 14.2: clip with min > max ------------------------------------------------------------------
def test_clip_min_above_max_follows_the_forward(xp, backend):
    if backend.name == "array_api_strict":
        pytest.skip("array-api-strict refuses min > max")
    x, lo, hi = arr(xp, [0.0, 0.0, -2.0]), arr(xp, [1.0, -1.0, 1.0]), arr(xp, [-1.0, 1.0, 1.0])
    gx, glo, ghi = grads(lambda x, lo, hi: xp.sum(xp.clip(x, lo, hi)), x, lo, hi)
    # clip = minimum(maximum(x, lo), hi): [hi, x, lo] here, so each element's 1 goes there alone
    np.testing.assert_array_equal(gx, [0.0, 1.0, 0.0])
    np.testing.assert_array_equal(glo, [0.0, 0.0, 1.0])
    np.testing.assert_array_equal(ghi, [1.0, 0.0, 0.0])


# -- issue 14.3: cumulative_prod / prod second derivatives with several zeros -------------------------
def _cumprod_hessian(x):
    """H[j, k] of sum(cumprod(x)): sum over i >= max(j, k) of prod_{l <= i, l != j, k} x_l."""
    n = len(x)
    h = np.zeros((n, n))
    for j in range(n):
        for k in range(n):
            if j != k:
                h[j, k] = sum(math.prod(x[m] for m in range(i + 1) if m not in (j, k))
                              for i in range(max(j, k), n))
    return h


def _cumprod_third(x, u, v):
    """sum_{j,k} T[j, k, l] u_j v_k: T[j, k, l] = sum_{i >= max(j, k, l)} prod_{m <= i, m not in
    {j, k, l}} x_m for distinct j, k, l, else 0 (sum(cumprod) is linear in each x_m)."""
    n = len(x)
    out = np.zeros(n)
    for j in range(n):
        for k in range(n):
            for m in range(n):
                if len({j, k, m}) == 3:
                    t = sum(math.prod(x[q] for q in range(i + 1) if q not in (j, k, m))
                            for i in range(max(j, k, m), n))
                    out[m] += t * u[j] * v[k]
    return out


def test_cumulative_prod_third_order_with_three_zeros(xp):
    x0, u = [2.0, 0.0, 0.0, 0.0, 3.0, 0.5], [1.0, 2.0, -1.0, 0.5, 1.0, 1.0]
    x = arr(xp, x0)
    x.attach_grad()
    with autograd.record():
        g, = autograd.grad(xp.sum(xp.cumulative_prod(x)), [x], create_graph=True)
        h, = autograd.grad(xp.sum(g * arr(xp, u)), [x], create_graph=True)
        z = xp.sum(h * arr(xp, u))
    z.backward()
    np.testing.assert_allclose(x.grad.asnumpy(), _cumprod_third(x0, u, u), atol=1e-12)


def _prod_hessian(x):
    n = len(x)
    return np.array([[0.0 if j == k else math.prod(x[m] for m in range(n) if m not in (j, k))
                      for k in range(n)] for j in range(n)])


@pytest.mark.parametrize("x0,v", [([2.0, 0.0, 0.0, 3.0], [0, 0, 1, 0]), ([0.0, 2.0, 0.0], [0, 0, 1]),
                                  ([0.0, 0.0, 0.0, 2.0], [1, 1, 0, 1]),
                                  ([1.5, -2.0, 0.5, 3.0], [1, 2, 3, 4])])
def test_cumulative_prod_second_order_with_zeros(xp, x0, v):
    got = hvp(xp, lambda x: xp.sum(xp.cumulative_prod(x)), x0, v)
    np.testing.assert_allclose(got, _cumprod_hessian(x0) @ np.asarray(v, float), atol=1e-12)


def test_issue_numbers_cumulative_prod(xp):
    np.testing.assert_allclose(hvp(xp, lambda x: xp.sum(xp.cumulative_prod(x)), [2, 0, 0, 3], [0, 0, 1, 0]),
                               [0, 8, 0, 0])
    np.testing.assert_allclose(hvp(xp, lambda x: xp.sum(xp.cumulative_prod(x)), [0, 2, 0], [0, 0, 1]),
                               [2, 0, 0])


@pytest.mark.parametrize("x0", [[2.0, 0.0, 0.0, 3.0], [0.0, 0.0, 0.0, 2.0], [0.0, 2.0, 0.0]])
def test_prod_second_order_with_zeros(xp, x0):
    v = np.arange(1.0, len(x0) + 1)
    np.testing.assert_allclose(hvp(xp, lambda x: xp.prod(x), x0, v), _prod_hessian(x0) @ v, atol=1e-12)


# -- issue 14.4: diff with n=0 ------------------------------------------------------------------------
@pytest.mark.parametrize("where", ["prepend", "append"])
def test_diff_n0_ignores_prepend_and_append(xp, where):
    x, p = arr(xp, [1.0, 2.0, 3.0]), arr(xp, [5.0, 6.0])  # p's shape differs from x's
    w = np.array([1.0, -2.0, 0.5])
    gx, gp = grads(lambda x, p: xp.sum(xp.diff(x, n=0, **{where: p}) * arr(xp, w)), x, p)
    np.testing.assert_array_equal(gx, w)
    np.testing.assert_array_equal(gp, [0.0, 0.0])


# -- issue 14.5: index arrays of every integer dtype ----------------------------------------------------
def test_index_arrays_of_every_integer_dtype(xp):
    x0 = np.arange(1.0, 13.0).reshape(4, 3)
    w = np.linspace(-1.0, 2.0, 12).reshape(4, 3)
    rows, cols = np.array([2, 0, 2, 1]), np.array([[1], [0], [2], [1]])
    checked = 0
    for name in INT_DTYPES:
        if not hasattr(xp, name):
            continue
        checked += 1
        r, c = arr(xp, rows, name), arr(xp, cols, name)
        cases = [  # (function, NumPy forward, where each output element comes from)
            (lambda x: xp.take(x, r, axis=0), x0[rows], (rows[:, None], np.arange(3)[None, :])),
            (lambda x: xp.take_along_axis(x, c, axis=1), np.take_along_axis(x0, cols, 1),
             (np.arange(4)[:, None], cols)),
            (lambda x: x[r], x0[rows], (rows[:, None], np.arange(3)[None, :])),  # uint8 is no mask
            (lambda x: x[r, c[:, 0]], x0[rows, cols[:, 0]], (rows, cols[:, 0])),
        ]
        for k, (f, want, src) in enumerate(cases):
            cot = np.linspace(-1.0, 1.0, want.size).reshape(want.shape)
            x = arr(xp, x0)
            x.attach_grad()
            with autograd.record():
                y = f(x)
                loss = xp.sum(y * arr(xp, cot))
            np.testing.assert_array_equal(y.asnumpy(), want, err_msg=f"{name} case {k}")
            loss.backward()
            expect = np.zeros_like(x0)
            np.add.at(expect, src, cot)
            np.testing.assert_allclose(x.grad.asnumpy(), expect, err_msg=f"{name} case {k}")
        # __setitem__ with an integer-array key of this dtype (distinct indices: no write order)
        x, v = arr(xp, x0), arr(xp, [[1.0, 2.0, 3.0], [4.0, 5.0, 6.0]])
        x.attach_grad()
        v.attach_grad()
        key = arr(xp, [3, 1], name)
        with autograd.record():
            y = x * 2
            y[key] = v * v
            loss = xp.sum(y * arr(xp, w))
        loss.backward()
        written = np.isin(np.arange(4), [3, 1])[:, None]
        np.testing.assert_allclose(x.grad.asnumpy(), np.where(written, 0, 2 * w))
        np.testing.assert_allclose(v.grad.asnumpy(), 2 * v.asnumpy() * w[[3, 1]])
    assert checked >= 4


# -- issue 10: __setitem__ that overwrites everything cuts the old value out ---------------------------
@pytest.mark.parametrize("key", ["ellipsis", "slice", "mask list", "mask"])
def test_full_overwrite_cuts_nan_partials(xp, backend, key):
    x = arr(xp, [1.0, 2.0, 3.0])
    x.attach_grad()
    with autograd.record():
        y = (0 * x / 0 - x) ** 2  # all NaN, with NaN partials (StandardScaler's 0/0)
        k = {"ellipsis": ..., "slice": slice(None), "mask list": [True, True, True],
             "mask": xp.asarray(x > 0)}[key]
        y[k] = 2 * x
        loss = xp.sum(y * x)
    if key == "mask" and backend.name == "dask":
        pytest.skip("a lazy mask is not read in backward: the overwrite counts as partial (documented)")
    loss.backward()
    np.testing.assert_allclose(x.grad.asnumpy(), 4 * np.array([1.0, 2.0, 3.0]))  # d(2x^2)/dx


def test_full_overwrite_zeroes_a_leaf_it_cut_off(xp):
    x, c = arr(xp, [1.0, 2.0]), arr(xp, [3.0, 4.0])
    x.attach_grad()
    with autograd.record():
        (x * x).sum().backward()  # a first backward fills x.grad
    with autograd.record():
        y = x * 2
        y[...] = c  # x no longer reaches the head
        z = xp.sum(y)
    z.backward()
    np.testing.assert_array_equal(x.grad.asnumpy(), [0.0, 0.0])  # 'write': d z / d x = 0


def test_partial_overwrite_sends_exact_zeros(xp):
    x = arr(xp, [1.0, 2.0, 3.0])
    x.attach_grad()
    with autograd.record():
        y = x * x
        y[1:] = 5.0
        loss = xp.sum(y * arr(xp, [1.0, 10.0, 100.0]))
    loss.backward()
    np.testing.assert_array_equal(x.grad.asnumpy(), [2.0, 0.0, 0.0])


def test_partial_overwrite_keeps_upstream_nan(xp):
    # documented: only a full overwrite cuts the old value; at a partial one the written
    # elements' zero cotangent still meets the old value's partials (0 * inf = NaN), as in torch
    x = arr(xp, [0.0, 1.0])
    x.attach_grad()
    with autograd.record():
        y = 1 / x  # inf at 0, partial -1/x**2 = -inf
        y[0] = 0.0
        loss = xp.sum(y)
    loss.backward()
    g = x.grad.asnumpy()
    assert np.isnan(g[0]) and g[1] == -1.0


def test_incremental_variance_pattern(xp, backend):
    if backend.name == "dask":
        pytest.skip("a lazy mask is not read in backward: the overwrite counts as partial (documented)")
    # scikit-learn's _incremental_mean_and_var (StandardScaler) on its first batch:
    # 0/0 terms, then ``updated[zeros] = new[zeros]`` with a mask that is all True
    x0 = np.array([[0.3, -1.2], [1.5, 0.4], [-0.7, 2.0], [0.1, 0.9]])
    x = arr(xp, x0)
    x.attach_grad()
    with autograd.record():
        n = x.shape[0]
        last_count = xp.zeros(2, dtype=xp.float64)
        new_sum = xp.sum(x, axis=0)
        temp = x - new_sum / n
        new_unnorm = xp.sum(temp**2, axis=0)
        ratio = last_count / n  # 0
        updated = new_unnorm + ratio / n * (0 * new_sum / ratio - new_sum) ** 2  # 0/0: NaN
        updated[last_count == 0] = new_unnorm[last_count == 0]
        loss = xp.sum(updated / n * arr(xp, [1.0, 3.0]))
    loss.backward()
    # d var / dx = 2 (x - mean) / n per column, weighted 1 and 3
    np.testing.assert_allclose(x.grad.asnumpy(), 2 * (x0 - x0.mean(0)) / 4 * [1.0, 3.0],
                               rtol=1e-12, atol=1e-15)


# -- issue 10 §3: spurious errors ------------------------------------------------------------------------
def test_roll_one_shift_for_several_axes(xp):
    x0 = np.arange(6.0).reshape(3, 2)
    w = np.linspace(-1, 1, 6).reshape(3, 2)
    x = arr(xp, x0)
    x.attach_grad()
    with autograd.record():
        y = xp.roll(x, 1, axis=(0, 1))
        loss = xp.sum(y * arr(xp, w))
    np.testing.assert_array_equal(y.asnumpy(), np.roll(x0, 1, axis=(0, 1)))
    loss.backward()
    np.testing.assert_allclose(x.grad.asnumpy(), np.roll(w, -1, axis=(0, 1)))  # roll's adjoint


@pytest.mark.parametrize("axis,index", [(0, [0]), (0, [2]), (1, [0]), (1, [1])])
def test_take_one_element_index(xp, backend, axis, index):
    x0 = np.arange(1.0, 7.0).reshape(3, 2)
    if backend.name == "dask":  # the failure needed Dask's own chunking
        import dask.array as da

        x = ag_bridge.asarray(da.from_array(x0, chunks=(3, 2)))
    else:
        x = arr(xp, x0)
    x.attach_grad()
    with autograd.record():
        y = xp.take(x, ag_bridge.asarray(index), axis=axis)
        loss = xp.sum(y * y)
    assert tuple(y.shape) == np.take(x0, index, axis=axis).shape
    loss.backward()
    expect = np.zeros_like(x0)
    sel = [slice(None)] * 2
    sel[axis] = index[0]
    expect[tuple(sel)] = 2 * x0[tuple(sel)]
    np.testing.assert_allclose(x.grad.asnumpy(), expect)


def test_python_list_keys(xp):
    x0 = np.arange(12.0).reshape(3, 4)
    x = arr(xp, x0)
    x.attach_grad()
    with autograd.record():
        a, b = x[[0, 2]], x[2, [1, 1]]
        loss = xp.sum(a * a) + xp.sum(b)
    np.testing.assert_array_equal(a.asnumpy(), x0[[0, 2]])
    np.testing.assert_array_equal(b.asnumpy(), x0[2, [1, 1]])
    loss.backward()
    expect = np.zeros_like(x0)
    np.add.at(expect, [0, 2], 2 * x0[[0, 2]])
    np.add.at(expect, (2, [1, 1]), 1.0)
    np.testing.assert_allclose(x.grad.asnumpy(), expect)


@pytest.mark.parametrize("op", ["concat", "stack"])
def test_joined_masked_then_new_axis(xp, op):
    x0 = np.arange(6.0).reshape(3, 2)
    x = arr(xp, x0)
    x.attach_grad()
    with autograd.record():
        c = getattr(xp, op)([x, x])
        y = c[c > 2.0][:, None]
        loss = xp.sum(y * y)
    loss.backward()
    # each element > 2 appears twice in c: d/dx sum(y^2) = 2 * 2x there
    np.testing.assert_allclose(x.grad.asnumpy(), np.where(x0 > 2, 4 * x0, 0.0))
