"""special.betainc composed by ag_bridge (ag_bridge/_betainc.py) for libraries without it:
accuracy against SciPy, its VJP in x against finite differences, a clear error for the
shape parameters, and SciPy's p-values on the torch backend (torch has no betainc)."""

from __future__ import annotations

import numpy as np
import pytest

import ag_bridge

ss = pytest.importorskip("scipy.special")


def _composed():
    import array_api_compat.numpy as xnp

    from ag_bridge._betainc import composed_betainc
    from ag_bridge._special import _like

    return composed_betainc(xnp, ss.gammaln, _like)


@pytest.mark.parametrize("hi", [1.0, 30.0, 1000.0])
def test_matches_scipy_across_the_domain(hi):
    rng = np.random.default_rng(int(hi))
    a, b = np.exp(rng.uniform(np.log(0.01), np.log(hi), (2, 4000)))
    x = rng.uniform(0, 1, 4000)
    want = ss.betainc(a, b, x)
    got = _composed()(a, b, x)
    big = want > 1e-280  # SciPy itself loses digits in the far tail (checked there with mpmath)
    np.testing.assert_allclose(got[big], want[big], rtol=5e-12, atol=0)
    np.testing.assert_allclose(got, want, rtol=0, atol=2e-13)


@pytest.mark.parametrize("df", [3.0, 40.0, 2000.0])
def test_student_t_tail_is_double_precision(df):
    # ttest's p-value: betainc(df/2, 1/2, df/(df+t^2)); Stirling's series keeps log B exact
    t = np.array([0.05, 0.7, 2.5, 6.0])
    x = df / (df + t * t)
    np.testing.assert_allclose(_composed()(df / 2, 0.5, x), ss.betainc(df / 2, 0.5, x), rtol=5e-13)


def test_edges_and_outside_the_domain():
    f = _composed()
    got = f(np.array([2.0, 2.0, 2.0, 2.0, -1.0, 2.0, 0.0]), 3.0,
            np.array([0.0, 1.0, -0.1, 1.5, 0.5, np.nan, 0.5]))
    np.testing.assert_array_equal(got[:2], [0.0, 1.0])
    assert np.isnan(got[2:]).all()


def test_torch_backend_gets_the_composition_and_its_vjp_in_x():
    torch = pytest.importorskip("torch")
    xp = ag_bridge.namespace("torch")
    a, b = np.array([0.5, 2.0, 7.5, 40.0]), np.array([3.0, 0.5, 2.5, 60.0])
    x0 = np.array([0.2, 0.9, 0.55, 0.4])
    x = ag_bridge.asarray(torch.tensor(x0))
    x.attach_grad()
    with ag_bridge.autograd.record():
        y = xp.special.betainc(xp.asarray(a), xp.asarray(b), x)
    y.backward()
    assert isinstance(ag_bridge.unwrap(y), torch.Tensor)
    np.testing.assert_allclose(y.asnumpy(), ss.betainc(a, b, x0), rtol=1e-12)
    h = 1e-6  # central differences of SciPy's betainc: independent of the code under test
    fd = (ss.betainc(a, b, x0 + h) - ss.betainc(a, b, x0 - h)) / (2 * h)
    np.testing.assert_allclose(x.grad.asnumpy(), fd, rtol=1e-7)
    # float32 arrays stay float32 and agree to single precision
    x32 = xp.asarray(x0, dtype=xp.float32)
    y32 = xp.special.betainc(xp.asarray(a, dtype=xp.float32), xp.asarray(b, dtype=xp.float32), x32)
    assert y32.dtype == xp.float32
    np.testing.assert_allclose(y32.asnumpy(), ss.betainc(a, b, x0), rtol=2e-5)


def test_shape_parameters_get_a_clear_error_and_nothing_changes():
    pytest.importorskip("torch")
    xp = ag_bridge.namespace("torch")
    a = xp.asarray([2.0, 3.0], dtype=xp.float64)
    a.attach_grad()
    with ag_bridge.autograd.record():
        y = xp.special.betainc(a, 1.5, xp.asarray([0.3, 0.6], dtype=xp.float64))
    with pytest.raises(NotImplementedError, match=r"special.betainc\(\) argument 0 on backend 'torch'"):
        y.backward()
    assert float(xp.sum(xp.abs(a.grad))) == 0.0


def test_scipy_pvalues_differentiate_on_torch():
    torch = pytest.importorskip("torch")
    stats = pytest.importorskip("scipy.stats")
    v = np.random.default_rng(5).standard_normal(9)

    def pvalue(arr):
        return stats.ttest_1samp(arr, 0.2).pvalue

    x = ag_bridge.asarray(torch.tensor(v))
    x.attach_grad()
    with ag_bridge.autograd.record():
        p = pvalue(x)
    p.backward()
    np.testing.assert_allclose(float(p), pvalue(v), rtol=1e-12)
    h, eye = 1e-6, np.eye(v.size)
    fd = [(pvalue(v + h * e) - pvalue(v - h * e)) / (2 * h) for e in eye]
    np.testing.assert_allclose(x.grad.asnumpy(), fd, rtol=1e-6, atol=1e-9)
