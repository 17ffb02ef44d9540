"""Differentiate third-party code written against the array API standard, unedited.

array-api-extra and SciPy (with ``SCIPY_ARRAY_API=1``) receive ag_bridge
arrays, find our recording namespace through ``__array_namespace__`` and run
their generic code paths on it; ``backward()`` then gives gradients. Each
result is checked against ``torch.autograd`` running the same function on
torch tensors (both libraries accept them), or against central finite
differences on NumPy where torch cannot run it (SciPy's ``log_softmax``
updates an intermediate in place and torch refuses to differentiate that).

SciPy reads ``SCIPY_ARRAY_API`` once, when it is first imported, so it is set
below before this module imports scipy. In a full run jax has imported scipy
already (conftest loads every backend): then the SciPy tests are not generated
here and ``test_scipy_tests_in_a_subprocess`` runs them in a child pytest with
the variable set from the start. The docs' SciPy/scikit-learn examples run in
fresh interpreters too.

Failures known today are marked xfail with their cause (``KNOWN``); a rule that
is not written yet turns into an xfail naming the op.
"""

from __future__ import annotations

import os

os.environ.setdefault("SCIPY_ARRAY_API", "1")  # before any scipy import

import re  # noqa: E402
import subprocess  # noqa: E402
import sys  # noqa: E402
import textwrap  # noqa: E402
from contextlib import contextmanager  # noqa: E402

import numpy as np  # noqa: E402
import pytest  # noqa: E402

import ag_bridge  # noqa: E402
from ag_bridge import autograd  # noqa: E402

from .conftest import BACKENDS, torch_autograd_sees_asarray  # noqa: E402

xpx = pytest.importorskip("array_api_extra")
torch = pytest.importorskip("torch")

RNG = np.random.default_rng(20251201)
X = RNG.standard_normal((3, 4))
XPOS = RNG.uniform(0.3, 2.0, (3, 4))


# ------------------------------------------------------------------ helpers
@contextmanager
def expect_rules():
    """Turn "no VJP for op()" (a rule not written yet) into an xfail naming the op."""
    try:
        yield
    except NotImplementedError as exc:
        m = re.search(r"no VJP for (\S+)\(\) on backend '[^']*' yet", str(exc))
        if m is None:
            raise
        pytest.xfail(f"missing VJP rule: {m.group(1)}")


def _cotangent(shape: tuple) -> np.ndarray:
    return np.random.default_rng(7).standard_normal(shape)


def ours(f, data: np.ndarray, backend_name: str):
    """Run ``f`` on a recorded ag_bridge array; return (value, gradient of <f(x), w>)."""
    x = ag_bridge.asarray(data, backend=backend_name)
    x.attach_grad()
    xp = x.__array_namespace__()
    with expect_rules():
        with autograd.record():
            y = f(x)
            assert isinstance(y, ag_bridge.Array), f"returned {type(y).__name__}, not an Array"
            assert y._node is not None, "the result is not connected to the input (gradient lost)"
            w = xp.asarray(_cotangent(y.shape), dtype=y.dtype)
            loss = xp.sum(y * w)
        loss.backward()
    np.testing.assert_array_equal(x.asnumpy(), np.asarray(data, dtype=x.asnumpy().dtype))
    return y.asnumpy(), x.grad.asnumpy(), x.dtype


def by_torch(f, data: np.ndarray):
    """The same function on a float64 torch tensor, differentiated by torch.autograd."""
    t = torch.tensor(data, dtype=torch.float64, requires_grad=True)
    y = f(t)
    (y * torch.as_tensor(_cotangent(tuple(y.shape)))).sum().backward()
    return y.detach().numpy(), t.grad.numpy()


def by_fd(f, data: np.ndarray, h: float = 1e-6):
    """Value on NumPy and central finite differences of <f(x), w> in float64."""
    y = np.asarray(f(data))
    w = _cotangent(y.shape)
    g = np.zeros_like(data)
    for i in np.ndindex(data.shape):
        e = np.zeros_like(data)
        e[i] = h
        g[i] = (np.sum(np.asarray(f(data + e)) * w) - np.sum(np.asarray(f(data - e)) * w)) / (2 * h)
    return y, g


def check(f, data, backend_name, oracle="torch"):
    y, g, dtype = ours(f, data, backend_name)
    if oracle == "torch" and not torch_autograd_sees_asarray():
        oracle = "fd"
    ry, rg = by_torch(f, data) if oracle == "torch" else by_fd(f, data)
    single = str(dtype).endswith("float32")
    tol = dict(rtol=2e-3, atol=2e-4) if single else (
        dict(rtol=1e-7, atol=1e-9) if oracle == "torch" else dict(rtol=1e-5, atol=1e-7))
    np.testing.assert_allclose(y, ry, **tol, err_msg="value")
    np.testing.assert_allclose(g, rg, **tol, err_msg="gradient")


# ------------------------------------------------------------------ array-api-extra
def _has(name):
    return pytest.mark.skipif(not hasattr(xpx, name),
                              reason=f"array_api_extra {xpx.__version__} has no {name}")


# case -> (the xpx function it needs, function of the recorded array, input)
XPX_CASES = {
    "cov": ("cov", lambda a: xpx.cov(a), X),
    "kron": ("kron", lambda a: xpx.kron(a, a), X),
    "kron_1d": ("kron", lambda a: xpx.kron(a[0, :], a[:, 1]), X),
    "sinc": ("sinc", lambda a: xpx.sinc(a), X),
    "pad": ("pad", lambda a: xpx.pad(a, 2), X),
    "pad_tuple_constant": ("pad", lambda a: xpx.pad(a, ((1, 0), (0, 2)), constant_values=3.0), X),
    "create_diagonal": ("create_diagonal", lambda a: xpx.create_diagonal(a[0, :]), X),
    "create_diagonal_offset": ("create_diagonal", lambda a: xpx.create_diagonal(a[:, 1], offset=-1), X),
    "atleast_nd": ("atleast_nd", lambda a: xpx.atleast_nd(a[1, :], ndim=3) * 2.0, X),
    "nansum": ("nansum", lambda a: xpx.nansum(a, axis=0), X),
    "apply_where": ("apply_where", lambda a: xpx.apply_where(a > 0, a, lambda v: v * v, fill_value=0.0), X),
    "at_set_copy": ("at", lambda a: xpx.at(a, (0, slice(None))).set(a[1, :] * 2.0, copy=True), X),
    "nan_to_num": ("nan_to_num", lambda a: xpx.nan_to_num(a * 3.0), X),
    "deg2rad": ("deg2rad", lambda a: xpx.deg2rad(a), X),
}


# (backend, case) -> why it fails today (reported to the engine's owner; the tests still run
# and turn into XPASS once fixed).
_BOOL_NODE = ("engine: broadcast_arrays gives its bool output a graph node, so where() later "
              "asks for a VJP of its condition (xpx.apply_where broadcasts the mask, then uses "
              "where() where boolean indexing is off: JAX)")
_NAN_SIZES = ("engine: rule outputs skip backend.coerce, so g[mask] in the __setitem__ VJP keeps "
              "Dask's NaN sizes and unbroadcast fails in _backward._fit")
KNOWN = {
    ("dask", "zscore_ddof"): ("dask plugin: x[mask] with a 0-d mask on a 0-d array raises "
                              "IndexError in Dask (SciPy's _xp_var does apply_where on 0-d n)"),
}


def _known(request, backend_name, case):
    why = KNOWN.get((backend_name, case))
    if why:
        request.applymarker(pytest.mark.xfail(reason=why, strict=False))


# The functions the project promises run on every installed backend; the other cases run on
# NumPy, PyTorch and array-api-strict (which catches non-portable code), to keep JAX's
# per-op compilation and Dask's graph building out of the default run.
EVERYWHERE = {"cov", "kron", "sinc", "pad", "create_diagonal", "atleast_nd", "apply_where",
              "logsumexp_axis", "softmax", "log_softmax", "zscore", "skew"}
SOME = ("numpy", "torch", "array_api_strict")


def _matrix(cases: dict, marks=lambda v: ()):
    return [pytest.param(k, b, marks=marks(v), id=f"{b}-{k}")
            for k, v in cases.items() for b in BACKENDS if k in EVERYWHERE or b in SOME]


@pytest.mark.parametrize("case,bname", _matrix(XPX_CASES, lambda v: _has(v[0])))
def test_array_api_extra(case, bname, request):
    _known(request, bname, case)
    _, f, data = XPX_CASES[case]
    check(f, data, bname)


@_has("nanmean")
def test_array_api_extra_nanmean_with_nans(backend):
    data = X.copy()
    data[0, 1] = data[2, 3] = np.nan
    # nanmean skips the NaNs: their gradient is 0, the others share 1/count.
    y, g, dtype = ours(lambda a: xpx.nanmean(a, axis=0), data, backend.name)
    ry, rg = by_torch(lambda a: xpx.nanmean(a, axis=0), data)
    # Every backend keeps float64 here (conftest turns on JAX's x64), and torch evaluates the
    # same sums and divisions: agreement to a few ulps, the float64 tolerance of check().
    assert str(dtype).endswith("float64"), dtype
    np.testing.assert_allclose(y, ry, rtol=1e-7, atol=1e-9)
    np.testing.assert_allclose(g, rg, rtol=1e-7, atol=1e-9)
    # and the gradient is the derived one: w_j / count_j for the non-NaN entries, 0 for NaNs
    w = _cotangent(y.shape)
    valid = ~np.isnan(data)
    np.testing.assert_allclose(g, np.where(valid, w / valid.sum(axis=0), 0.0), rtol=1e-12, atol=0)
    assert g[0, 1] == 0 and g[2, 3] == 0


@pytest.mark.filterwarnings("ignore::DeprecationWarning")  # xpx.expand_dims is deprecated in 0.9+
@_has("expand_dims")
def test_array_api_extra_expand_dims(backend):
    check(lambda a: xpx.expand_dims(a, axis=(0, 2)) * 3.0, X, backend.name)


def test_bool_output_of_a_multi_output_op_is_a_constant(xp):
    # What xpx.apply_where does on immutable backends, reduced to two calls.
    x = xp.asarray([1.0, -2.0, 3.0])
    x.attach_grad()
    with autograd.record():
        c, xb = xp.broadcast_arrays(x > 0, x)
        y = xp.sum(xp.where(c, xb, 0.0))
    y.backward()
    np.testing.assert_allclose(x.grad.asnumpy(), [1.0, 0.0, 1.0])


def test_array_api_extra_sees_our_namespace(xp):
    x = xp.asarray([1.0, 2.0])
    # xpx resolves the namespace itself: the result is ours, not the backend's.
    assert isinstance(xpx.sinc(x), ag_bridge.Array)
    assert isinstance(xpx.atleast_nd(x, ndim=2), ag_bridge.Array)


def test_array_api_extra_at_in_place_on_a_leaf_is_refused():
    # xpx.at(...).add() without copy=True writes in place; on a marked leaf
    # inside record() that is refused (as in MXNet and torch).
    x = ag_bridge.asarray(X.copy())
    x.attach_grad()
    with autograd.record():
        with pytest.raises(RuntimeError, match="in-place"):
            xpx.at(x)[0, :].add(1.0)


# ------------------------------------------------------------------ SciPy
def _scipy_mode_on() -> bool:
    try:
        from scipy._lib import _array_api
    except ImportError:
        return False
    xp = ag_bridge.namespace("numpy")
    return _array_api.array_namespace(xp.asarray([1.0])) is xp


# Decided once, at import: when jax (or anything) imported scipy before this module could set
# SCIPY_ARRAY_API, the SciPy tests are not generated here and test_scipy_tests_in_a_subprocess
# runs them in a child pytest whose environment has the variable from the start.
SCIPY_HERE = _scipy_mode_on()


@pytest.fixture
def scipy_api():
    """scipy in array-API mode, in this process."""
    pytest.importorskip("scipy")
    if not SCIPY_HERE:
        pytest.skip("scipy was imported before SCIPY_ARRAY_API=1 was set in this process (jax "
                    "imports it); test_scipy_tests_in_a_subprocess runs these tests instead")
    from scipy._lib import _array_api

    return _array_api


def test_scipy_finds_our_namespace(scipy_api, xp):
    x = xp.asarray([1.0, 2.0])
    assert scipy_api.array_namespace(x) is xp
    assert scipy_api.array_namespace(x, 2.0) is xp


def _sp(name):
    import scipy.special

    return getattr(scipy.special, name)


def _st(name):
    import scipy.stats

    return getattr(scipy.stats, name)


SCIPY_CASES = {
    "logsumexp_axis": (lambda a: _sp("logsumexp")(a, axis=1), X, "torch"),
    "logsumexp_all": (lambda a: _sp("logsumexp")(a), X, "torch"),
    "logsumexp_keepdims": (lambda a: _sp("logsumexp")(a, axis=0, keepdims=True), X, "torch"),
    # b= scales inside the log; torch trips over an in-place update here.
    "logsumexp_b": (lambda a: _sp("logsumexp")(a, b=a * a + 0.5, axis=0), X, "fd"),
    "softmax": (lambda a: _sp("softmax")(a, axis=1), X, "torch"),
    "softmax_all": (lambda a: _sp("softmax")(a), X, "torch"),
    # log_softmax writes into an intermediate (xpx.at(x_max)...set); torch refuses.
    "log_softmax": (lambda a: _sp("log_softmax")(a, axis=1), X, "fd"),
    "log_softmax_axis0": (lambda a: _sp("log_softmax")(a, axis=0), X, "fd"),
    "zscore": (lambda a: _st("zscore")(a, axis=1), X, "torch"),
    "zscore_ddof": (lambda a: _st("zscore")(a, axis=0, ddof=1), X, "torch"),
    "zmap": (lambda a: _st("zmap")(a, a[0:2, :]), X, "torch"),
    "skew": (lambda a: _st("skew")(a, axis=1), X, "torch"),
    "skew_unbiased": (lambda a: _st("skew")(a, axis=0, bias=False), X, "torch"),
    "kurtosis": (lambda a: _st("kurtosis")(a, axis=1), X, "torch"),
    "moment": (lambda a: _st("moment")(a, order=3, axis=1), X, "torch"),
    "variation": (lambda a: _st("variation")(a, axis=1), XPOS, "torch"),
    "gmean": (lambda a: _st("gmean")(a, axis=1), XPOS, "torch"),
    "sem": (lambda a: _st("sem")(a, axis=0), X, "torch"),
    "xlogy": (lambda a: _sp("xlogy")(a, a), XPOS, "torch"),
    "rel_entr": (lambda a: _sp("rel_entr")(a, a * a), XPOS, "torch"),
}


@pytest.mark.parametrize("case,bname", _matrix(SCIPY_CASES) if SCIPY_HERE else [])
def test_scipy(case, bname, scipy_api, request):
    _known(request, bname, case)
    f, data, oracle = SCIPY_CASES[case]
    check(f, data, bname, oracle)


def test_scipy_log_softmax_leaves_its_input_alone(scipy_api):
    x = ag_bridge.asarray(X.copy())
    x.attach_grad()
    with autograd.record():
        y = _sp("log_softmax")(x, axis=1)
    np.testing.assert_array_equal(x.asnumpy(), X)
    np.testing.assert_allclose(y.asnumpy(), X - np.log(np.sum(np.exp(X), axis=1, keepdims=True)))


def test_scipy_logsumexp_gradient_is_softmax(scipy_api):
    xp = ag_bridge.namespace("numpy")
    x = xp.asarray(X)
    x.attach_grad()
    with autograd.record():
        y = _sp("logsumexp")(x, axis=1)
    y.backward()
    e = np.exp(X)
    np.testing.assert_allclose(x.grad.asnumpy(), e / e.sum(axis=1, keepdims=True), rtol=1e-12)


@pytest.mark.parametrize("name", ["expit", "erf", "entr", "gammaln"])
def test_scipy_special_numpy_fallback_is_not_silent(name, scipy_api):
    x = ag_bridge.asarray(XPOS.copy())
    x.attach_grad()
    with autograd.record():
        try:
            y = _sp(name)(x)
        except (TypeError, RuntimeError):
            return  # a loud error is acceptable
    assert y._node is not None, f"scipy.special.{name} returned a constant: the gradient is lost"


_CHILD = "AG_BRIDGE_THIRD_PARTY_CHILD"


@pytest.mark.skipif(os.environ.get(_CHILD) == "1", reason="already the child run")
def test_scipy_tests_in_a_subprocess():
    """When this process imported scipy too early, run the SciPy tests in a child pytest."""
    pytest.importorskip("scipy")
    if SCIPY_HERE:
        pytest.skip("scipy is in array-API mode in this process: the SciPy tests ran here")
    env = dict(os.environ, SCIPY_ARRAY_API="1", **{_CHILD: "1"})
    cmd = [sys.executable, "-m", "pytest", __file__, "-q", "-p", "no:cacheprovider", "-k",
           "scipy and not fresh_interpreter", "-o", "addopts=", "-W", "ignore"]
    r = subprocess.run(cmd, capture_output=True, text=True, env=env, timeout=900)
    tail = r.stdout[-4000:]
    assert r.returncode == 0, tail
    assert " skipped" not in tail.splitlines()[-1] or " passed" in tail, tail


def test_scipy_in_a_fresh_interpreter():
    """SciPy mode set before scipy is imported, independent of this pytest process."""
    pytest.importorskip("scipy")
    code = textwrap.dedent("""
        import os
        os.environ["SCIPY_ARRAY_API"] = "1"
        import numpy as np
        import ag_bridge
        from ag_bridge import autograd
        from scipy.special import logsumexp
        from scipy._lib._array_api import array_namespace
        x = ag_bridge.asarray(np.array([[0.0, 1.0, 2.0], [1.0, -1.0, 0.5]]))
        assert array_namespace(x) is ag_bridge.namespace("numpy")
        x.attach_grad()
        with autograd.record():
            y = logsumexp(x, axis=1)
        y.backward()
        e = np.exp(x.asnumpy())
        np.testing.assert_allclose(x.grad.asnumpy(), e / e.sum(axis=1, keepdims=True))
        print("ok")
    """)
    env = dict(os.environ, SCIPY_ARRAY_API="1")
    r = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, env=env,
                       timeout=300)
    assert r.returncode == 0 and r.stdout.strip().endswith("ok"), r.stderr[-3000:]


# ------------------------------------------------------------------ docs/third-party.md
DOC = os.path.join(os.path.dirname(os.path.dirname(os.path.abspath(__file__))), "docs",
                   "third-party.md")


def _doc_blocks() -> list[str]:
    """The plain (non-doctest) Python blocks of docs/third-party.md."""
    if not os.path.exists(DOC):
        return []
    with open(DOC, encoding="utf-8") as fh:
        text = fh.read()
    blocks = re.findall(r"```python\n(.*?)```", text, flags=re.S)
    return [b for b in blocks if ">>>" not in b]


@pytest.mark.parametrize("code", [pytest.param(c, id=f"block{i}") for i, c in enumerate(_doc_blocks())])
def test_doc_examples_run_in_a_fresh_interpreter(code):
    """The SciPy / scikit-learn examples of the docs, each in its own process."""
    for lib in ("scipy", "sklearn"):
        if re.search(rf"^(import|from) {lib}\b", code, flags=re.M):
            pytest.importorskip(lib)
    r = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True,
                       timeout=300, env=dict(os.environ))
    assert r.returncode == 0, r.stderr[-3000:]
