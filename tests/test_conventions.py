"""The conventions decided in docs/semantics.md, at the points where the references
disagree (kinks, ties, zeros), with expectations derived by hand.

Every test runs on every installed backend (the ``xp`` fixture). Values are
small exact binary fractions, so float32 backends (torch, JAX without x64)
give the same numbers.
"""

from __future__ import annotations

import math

import numpy as np
import pytest

import ag_bridge
from ag_bridge import autograd


def grads(xp, f, *values, head=None):
    """Gradients of ``f(*arrays)`` (head gradient ``head``, default ones) w.r.t. each input."""
    xs = [xp.asarray(v, dtype=xp.float32) for v in values]
    for x in xs:
        x.attach_grad()
    with autograd.record():
        y = f(*xs)
    y.backward(None if head is None else xp.asarray(head, dtype=y.dtype))
    out = [x.grad.asnumpy() for x in xs]
    return out if len(out) > 1 else out[0]


def close(got, want):
    np.testing.assert_allclose(got, np.asarray(want, dtype=np.float64), rtol=1e-6, atol=1e-6)


# -- ties split equally ----------------------------------------------------------------------
def test_maximum_minimum_ties_split(xp):
    a, b = [1.0, 2.0, 3.0], [1.0, 0.0, 3.0]  # ties at 0 and 2
    da, db = grads(xp, xp.maximum, a, b)
    close(da, [0.5, 1.0, 0.5])
    close(db, [0.5, 0.0, 0.5])
    da, db = grads(xp, xp.minimum, a, b)
    close(da, [0.5, 0.0, 0.5])
    close(db, [0.5, 1.0, 0.5])


@pytest.mark.parametrize("op, values, kw, want", [
    ("max", [1.0, 3.0, 3.0, 2.0], {}, [0.0, 0.5, 0.5, 0.0]),
    ("min", [1.0, 1.0, 3.0], {}, [0.5, 0.5, 0.0]),
    ("max", [2.0, 2.0, 2.0], {}, [1 / 3, 1 / 3, 1 / 3]),
    ("max", [[1.0, 1.0], [2.0, 0.0]], {"axis": 1}, [[0.5, 0.5], [1.0, 0.0]]),
    ("min", [[1.0, 4.0], [1.0, 0.0]], {"axis": 0, "keepdims": True}, [[0.5, 0.0], [0.5, 1.0]]),
])
def test_max_min_reductions_split_ties(xp, op, values, kw, want):
    close(grads(xp, lambda x: getattr(xp, op)(x, **kw), values), want)


# -- kinks --------------------------------------------------------------------------------------
def test_abs_at_zero_is_zero(xp):
    close(grads(xp, xp.abs, [-1.0, 0.0, 1.0]), [-1.0, 0.0, 1.0])


def test_clip_passes_gradient_at_its_bounds(xp):
    x = [-1.0, 0.0, 0.5, 1.0, 2.0]
    close(grads(xp, lambda v: xp.clip(v, 0.0, 1.0), x), [0.0, 1.0, 1.0, 1.0, 0.0])
    dx, dlo, dhi = grads(xp, xp.clip, x, [0.0] * 5, [1.0] * 5)
    close(dx, [0.0, 1.0, 1.0, 1.0, 0.0])
    close(dlo, [1.0, 0.0, 0.0, 0.0, 0.0])  # the bound wins only strictly outside
    close(dhi, [0.0, 0.0, 0.0, 0.0, 1.0])


@pytest.mark.parametrize("form", ["operator", "pow scalar", "pow array"])
def test_pow_zero_exponent_has_zero_gradient_at_zero(xp, form):
    f = {"operator": lambda x: x ** 0,
         "pow scalar": lambda x: xp.pow(x, 0.0),
         "pow array": lambda x: xp.pow(x, xp.zeros_like(x))}[form]
    close(grads(xp, f, [0.0, 2.0]), [0.0, 0.0])


# -- products with zeros ---------------------------------------------------------------------
@pytest.mark.parametrize("values, kw, head, want", [
    ([2.0, 0.0, 3.0], {}, None, [0.0, 6.0, 0.0]),
    ([0.0, 2.0, 0.0], {}, None, [0.0, 0.0, 0.0]),
    ([[2.0, 0.0, 3.0], [1.0, 4.0, 5.0]], {"axis": 1}, [1.0, 10.0], [[0.0, 6.0, 0.0], [200.0, 50.0, 40.0]]),
    ([[0.0, 2.0], [3.0, 0.0]], {"axis": (0, 1)}, None, [[0.0, 0.0], [0.0, 0.0]]),
    ([[0.0, 2.0], [3.0, 4.0]], {}, None, [[24.0, 0.0], [0.0, 0.0]]),
])
def test_prod_with_zeros(xp, values, kw, head, want):
    close(grads(xp, lambda x: xp.prod(x, **kw), values, head=head), want)


@pytest.mark.parametrize("values, kw, head, want", [
    # x̄_k = sum_{i>=k} g_i prod_{j<=i, j!=k} x_j
    ([2.0, 0.0, 3.0], {}, None, [1.0, 8.0, 0.0]),  # torch and JAX agree
    ([2.0, 0.0, 3.0], {"include_initial": True}, None, [1.0, 8.0, 0.0]),
    ([0.0, 2.0, 0.0, 3.0], {}, [1.0, 10.0, 100.0, 1000.0], [21.0, 0.0, 0.0, 0.0]),
    ([2.0, 3.0, 0.0, 0.5], {}, [1.0, 10.0, 100.0, 1000.0], [1.0 + 30.0, 20.0, 600.0 + 3000.0, 0.0]),
    ([[1.0, 0.0], [2.0, 3.0]], {"axis": 0}, None, [[3.0, 4.0], [1.0, 0.0]]),
])
def test_cumulative_prod_with_zeros(xp, values, kw, head, want):
    close(grads(xp, lambda x: xp.cumulative_prod(x, **kw), values, head=head), want)


def test_cumulative_prod_second_order_at_a_zero(xp):
    # f = sum(cumprod(x)) = x0 + x0 x1 + x0 x1 x2; its Hessian at (2, 0, 3) is
    # [[0, 1+x2, x1], [1+x2, 0, x0], [x1, x0, 0]] = [[0, 4, 0], [4, 0, 2], [0, 2, 0]]
    x = xp.asarray([2.0, 0.0, 3.0], dtype=xp.float32)
    x.attach_grad()
    with autograd.record():
        [g] = autograd.grad(xp.sum(xp.cumulative_prod(x)), [x], create_graph=True)
        z = xp.sum(g * xp.asarray([1.0, 10.0, 100.0], dtype=x.dtype))
    z.backward()
    close(g.asnumpy(), [1.0, 8.0, 0.0])
    close(x.grad.asnumpy(), [40.0, 4.0 + 200.0, 20.0])


# -- std at a constant slice: 0 like torch ----------------------------------------------------------
def test_std_at_a_constant_slice_is_zero(xp):
    got = grads(xp, lambda x: xp.std(x, axis=1), [[2.0, 2.0, 2.0], [1.0, 2.0, 4.0]])
    dev = np.array([1.0, 2.0, 4.0]) - 7.0 / 3.0
    # d std / dx_i = (x_i - mean) / (N std), N std = 3 sqrt(14)/3 = sqrt(14)
    close(got, [[0.0, 0.0, 0.0], dev / math.sqrt(14.0)])
    assert np.all(np.isfinite(grads(xp, xp.std, [0.5, 0.5, 0.5, 0.5])))
    close(grads(xp, xp.var, [0.5, 0.5, 0.5]), [0.0, 0.0, 0.0])


# -- routing and casts ------------------------------------------------------------------------------
def test_sort_ties_follow_the_stable_order(xp):
    # sum(sort([3, 1, 3]) * [1, 10, 100]): the first 3 takes slot 1, the second slot 2
    close(grads(xp, xp.sort, [3.0, 1.0, 3.0], head=[1.0, 10.0, 100.0]), [10.0, 1.0, 100.0])


def test_astype_gradient_has_the_leaf_dtype(xp):
    wide = xp.asarray(1.0, dtype=xp.float64)
    if wide.dtype != xp.float64:
        pytest.skip("no float64 on this backend here (JAX without jax_enable_x64)")
    x = xp.asarray([1.0, 2.0], dtype=xp.float32)
    x.attach_grad()
    with autograd.record():
        y = xp.sum(xp.astype(x, xp.float64) ** 2)
    y.backward()
    assert x.grad.dtype == xp.float32
    close(x.grad.asnumpy(), [2.0, 4.0])


def test_namespace_numpy_convention_smoke():
    # the same conventions through the documented entry point
    xp = ag_bridge.namespace("numpy")
    close(grads(xp, xp.max, [1.0, 3.0, 3.0]), [0.0, 0.5, 0.5])
