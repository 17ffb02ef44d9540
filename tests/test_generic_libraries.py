"""Libraries without a plugin, through the generic backend: marray, cubed, sparse, and
array-api-strict with its plugin bypassed.

For each: arrays wrap without copying and gradients come back in the same
library; the seed chapter and the from-scratch linear regression of
docs/getting-started.md run on it with the same numbers as NumPy; writes and
scatter-adds work whether or not the library can write in place. Then the
semantics of masked (marray) and sparse gradients and of a lazy library
(cubed), as docs/semantics.md states them.
"""

from __future__ import annotations

import numpy
import pytest

import ag_bridge
from ag_bridge import autograd
from ag_bridge import np as mnp

from ._generic_libs import backend, installed, make, namespace_module

LIBS = installed()
FAST = [lib for lib in LIBS if lib != "cubed"]  # cubed schedules a computation per evaluation


def _wrap(lib, data):
    """An Array over a raw ``lib`` array holding ``data`` (the generic backend, never a plugin)."""
    raw = make(lib, numpy.asarray(data, dtype=numpy.float64))
    if lib == "array_api_strict":  # a plugin exists: ask for the generic backend explicitly
        return ag_bridge.asarray(raw, backend=backend(lib))
    return ag_bridge.asarray(raw)


@pytest.mark.parametrize("lib", LIBS)
def test_wraps_without_copy_and_gives_gradients_of_the_same_library(lib):
    x = _wrap(lib, [1.0, 2.0, 3.0])
    b = x._backend
    assert b is backend(lib) and b.name == lib and type(b).__name__ == "GenericBackend"
    if lib != "array_api_strict":
        raw = ag_bridge.unwrap(x)
        assert ag_bridge.asarray(raw)._data is raw  # no copy
    assert x.__array_namespace__() is b.namespace
    x.attach_grad()
    with autograd.record():
        y = (x * x * x).sum()
    y.backward()
    g = ag_bridge.unwrap(x.grad)
    assert type(g) is type(ag_bridge.unwrap(x))
    numpy.testing.assert_allclose(x.grad.asnumpy(), 3 * numpy.array([1.0, 2.0, 3.0]) ** 2)


@pytest.mark.parametrize("lib", [lib for lib in LIBS if lib != "array_api_strict"])
def test_selected_by_module_or_module_name(lib):
    mod = namespace_module(lib)
    from ._generic_libs import LIBRARIES

    assert ag_bridge.namespace(mod) is ag_bridge.namespace(LIBRARIES[lib][0]) is backend(lib).namespace
    with ag_bridge.use_backend(LIBRARIES[lib][0]) as b:
        assert b is backend(lib) and ag_bridge.get_backend() is b
        z = ag_bridge.asarray([1.0, 2.0])
    assert z._backend is b and type(ag_bridge.unwrap(z)) is type(ag_bridge.unwrap(_wrap(lib, [0.0])))


def test_an_installed_plugin_takes_precedence():
    import array_api_strict

    assert ag_bridge.load_backend(array_api_strict) is ag_bridge.load_backend("array_api_strict")
    assert type(ag_bridge.load_backend(array_api_strict)).__name__ == "Backend"
    assert ag_bridge.asarray(numpy.ones(2))._backend is ag_bridge.load_backend("numpy")


def test_environment_and_command_line_select_a_library_by_module_name():
    import os
    import subprocess
    import sys

    pytest.importorskip("marray")
    env = dict(os.environ, AG_BRIDGE_BACKEND="marray.numpy")
    out = subprocess.run([sys.executable, "-m", "ag_bridge", "backends"], env=env,
                         capture_output=True, text=True, check=True).stdout
    assert "* marray (generic, marray.numpy)" in out.splitlines()
    demo = subprocess.run([sys.executable, "-m", "ag_bridge", "demo", "--plain", "--backend",
                           "marray.numpy"], capture_output=True, text=True)
    assert demo.returncode == 0, demo.stderr
    assert "backend 'marray'" in demo.stdout
    assert demo.stdout.rstrip().endswith("array(True, backend='marray', dtype=bool)")


# -- the seed chapter and the linear regression ----------------------------------------------

@pytest.mark.parametrize("lib", LIBS)
def test_seed_chapter(lib):
    """The autograd chapter of Dive into Deep Learning, on arrays of the library: through
    ag_bridge.asarray of its arrays, the MXNet facade and the recording namespace."""
    x = _wrap(lib, [0.0, 1.0, 2.0, 3.0])
    xp = x.__array_namespace__()
    x.attach_grad()
    with autograd.record():
        y = 2 * mnp.dot(x, x)
    y.backward()
    assert float(y) == 28.0
    numpy.testing.assert_array_equal(x.grad.asnumpy(), [0, 4, 8, 12])
    if lib == "cubed":
        return  # each further evaluation is a scheduled computation: the rest runs on the others
    with autograd.record():
        y = xp.sum(x)
    y.backward()
    numpy.testing.assert_array_equal(x.grad.asnumpy(), [1, 1, 1, 1])
    with autograd.record():
        y = x * x
        u = y.detach()
        z = u * x
    z.backward()
    numpy.testing.assert_array_equal(x.grad.asnumpy(), u.asnumpy())

    def f(a):
        b = a * 2
        while mnp.linalg.norm(b) < 1000:
            b = b * 2
        return b if b.sum() > 0 else 100 * b

    a = _wrap(lib, 1.3)
    a.attach_grad()
    with autograd.record():
        d = f(a)
    d.backward()
    assert float(a.grad) == float(d) / 1.3 == 1024.0


def _regression(make_array, epochs):
    rng = numpy.random.default_rng(1)
    X = rng.normal(0, 1, (100, 2))
    y = X @ numpy.array([2, -3.4]) + 4.2
    X, y = make_array(X), make_array(y)
    w, b = make_array(numpy.zeros(2)), make_array(numpy.zeros(1))
    w.attach_grad()
    b.attach_grad()
    for _ in range(epochs):
        with autograd.record():
            loss = ((mnp.dot(X, w) + b - y) ** 2 / 2).mean()
        loss.backward()
        for param in (w, b):
            param[:] = param - 0.1 * param.grad
    return w, b


@pytest.mark.parametrize("lib", LIBS)
def test_linear_regression_of_getting_started(lib):
    """docs/getting-started.md's training loop (lr 0.1, zero init) gives NumPy's parameters;
    200 epochs as there (cubed: 2, each step being several scheduled computations)."""
    epochs = 2 if lib == "cubed" else 200
    w, b = _regression(lambda a: _wrap(lib, a), epochs)
    w_np, b_np = _regression(ag_bridge.asarray, epochs)
    numpy.testing.assert_allclose(w.asnumpy(), w_np.asnumpy(), rtol=1e-10, atol=1e-12)
    numpy.testing.assert_allclose(b.asnumpy(), b_np.asnumpy(), rtol=1e-10, atol=1e-12)
    if epochs == 200:
        numpy.testing.assert_allclose(w.asnumpy(), [2, -3.4], atol=0.05)


# -- writes and scatter-adds, mutable or not ---------------------------------------------------

@pytest.mark.parametrize("lib", [lib for lib in FAST if lib != "sparse"])  # see docs/semantics.md
def test_setitem_with_ints_slices_masks_and_index_lists(lib):
    x = _wrap(lib, numpy.arange(6.0).reshape(2, 3))
    want = numpy.arange(6.0).reshape(2, 3)
    for key, v in (((0, 1), 10.0), ((slice(None), slice(None, None, 2)), -1.0), ((1,), [7.0, 8.0, 9.0])):
        x[key] = _wrap(lib, v) if isinstance(v, list) else v
        want[key] = v
    numpy.testing.assert_array_equal(x.asnumpy(), want)
    m = x > 5
    x[m] = 0.0
    want[want > 5] = 0.0
    numpy.testing.assert_array_equal(x.asnumpy(), want)


@pytest.mark.parametrize("lib", [lib for lib in FAST if lib != "sparse"])  # sparse: no array keys
def test_take_with_duplicates_scatter_adds_its_gradient(lib):
    """take's VJP is a scatter-add built from the standard (no integer-array __setitem__)."""
    x = _wrap(lib, [1.0, 2.0, 3.0, 4.0])
    xp = x.__array_namespace__()
    idx = ag_bridge.asarray(make(lib, numpy.array([3, 0, 3, 3])), backend=x._backend)
    x.attach_grad()
    with autograd.record():
        y = xp.sum(xp.take(x, idx) * ag_bridge.asarray(make(lib, numpy.array([1.0, 2.0, 3.0, 4.0])),
                                                       backend=x._backend))
    y.backward()
    numpy.testing.assert_array_equal(x.grad.asnumpy(), [2.0, 0.0, 0.0, 8.0])


@pytest.mark.parametrize("blocked", [False, True])
def test_portable_scatter_add_matches_bincount(blocked, monkeypatch):
    """Both fallbacks (sorted segment sums; one-hot blocks) give NumPy's ``bincount``."""
    import array_api_strict as xp

    from ag_bridge import _portable_scatter as _portable

    rng = numpy.random.default_rng(0)
    ids = rng.integers(0, 37, 500)
    vals = rng.normal(size=500)
    caps = backend("array_api_strict").caps
    if blocked:
        import dataclasses

        caps = dataclasses.replace(caps, sort=False)
        monkeypatch.setattr(_portable, "BLOCK", 64 * 500)  # several blocks
    got = _portable.scatter_add(xp, xp.asarray(ids), xp.asarray(vals), 40, caps=caps)
    numpy.testing.assert_allclose(numpy.asarray(got), numpy.bincount(ids, vals, minlength=40), rtol=1e-12)


def test_portable_fallbacks_split_by_job_stay_importable_from_the_contract():
    # _portable.py (the probe) names the fallbacks that moved to _portable_keys/_portable_scatter
    from ag_bridge import _portable, _portable_keys, _portable_scatter

    for name, where in _portable._MOVED.items():
        assert getattr(_portable, name) is getattr({"_portable_keys": _portable_keys,
                                                    "_portable_scatter": _portable_scatter}[where], name)
    with pytest.raises(AttributeError, match="no attribute 'nope'"):
        _portable.nope  # noqa: B018


@pytest.mark.parametrize("lib", FAST)
def test_a_missing_function_raises_naming_it_and_the_library(lib):
    b = backend(lib)
    missing = next(n for n in ("fft.fft", "linalg.det", "arange", "take_along_axis")
                   if getattr(getattr(b.xp, n.split(".")[0], None) if "." in n else b.xp,
                              n.split(".")[-1], None) is None) if lib != "array_api_strict" else None
    if missing is None:
        pytest.skip("array-api-strict has every function")
    fn = b.namespace
    for part in missing.split("."):
        fn = getattr(fn, part)
    with pytest.raises(NotImplementedError, match=rf"{missing}\(\) is not provided by backend '{lib}'"):
        fn(_wrap(lib, [1.0, 2.0]))


def test_capabilities_are_probed_not_named():
    caps = {lib: backend(lib).caps for lib in LIBS}
    if "marray" in caps:
        assert caps["marray"].mutable
    for lib in ("cubed", "sparse"):
        if lib in caps:
            assert not caps[lib].mutable and not backend(lib).mutable
    if "cubed" in caps:  # cubed gives wrong numbers for x[int_array] on 2-D: never trusted
        assert caps["cubed"].index_arrays == "flat" and not caps["cubed"].negative_steps


# -- masked arrays (marray) -----------------------------------------------------------------

marray_only = pytest.mark.skipif("marray" not in LIBS, reason="marray is not installed")


@marray_only
def test_masked_gradient_has_the_leafs_mask_and_flows_only_through_unmasked_elements():
    import marray

    mxp = marray.numpy
    data = numpy.array([1.0, 2.0, 3.0, 4.0])
    mask = numpy.array([False, True, False, False])
    x = ag_bridge.asarray(mxp.asarray(data, mask=mask))
    x.attach_grad()
    with autograd.record():
        y = mnp.sum(x * x)  # the masked element takes no part in the sum
    y.backward()
    g = ag_bridge.unwrap(x.grad)
    numpy.testing.assert_array_equal(numpy.asarray(g.mask), mask)
    numpy.testing.assert_array_equal(numpy.asarray(g.data)[~mask], 2 * data[~mask])
    assert float(y) == float(numpy.sum(data[~mask] ** 2))


@marray_only
def test_masked_mean_sends_one_over_the_unmasked_count():
    import marray

    mxp = marray.numpy
    mask = numpy.array([False, True, True, False])
    x = ag_bridge.asarray(mxp.asarray(numpy.array([1.0, 5.0, 7.0, 3.0]), mask=mask))
    x.attach_grad()
    with autograd.record():
        y = x.__array_namespace__().mean(x)
    y.backward()
    assert float(y) == 2.0
    g = ag_bridge.unwrap(x.grad)
    numpy.testing.assert_array_equal(numpy.asarray(g.data)[~mask], [0.5, 0.5])
    numpy.testing.assert_array_equal(numpy.asarray(g.mask), mask)


@marray_only
@pytest.mark.parametrize("name", ["var", "std"])
@pytest.mark.parametrize(("axis", "correction"), [(None, 0.0), (1, 1.0), (0, 0.0)])
def test_masked_var_and_std_differentiate_over_the_unmasked_elements(name, axis, correction):
    # the oracle: numpy.ma's var/std of the same data, by central differences in each
    # unmasked element (independent of ag_bridge and of marray)
    import marray

    mxp = marray.numpy
    data = numpy.array([[1.0, 2.0, 4.0, 7.5, 11.0], [3.0, 1.0, 0.5, 2.0, 5.0], [2.0, 6.0, 1.0, 4.0, 3.0]])
    mask = numpy.array([[False, True, False, False, True], [False, False, True, False, False],
                        [True, False, False, False, False]])

    def ref(d):
        return float(numpy.sum(getattr(numpy.ma.masked_array(d, mask), name)(axis=axis, ddof=correction)))

    x = ag_bridge.asarray(mxp.asarray(data, mask=mask))
    x.attach_grad()
    with autograd.record():
        y = getattr(x.__array_namespace__(), name)(x, axis=axis, correction=correction)
        total = y.sum()
    total.backward()
    assert abs(float(total) - ref(data)) < 1e-12
    g = ag_bridge.unwrap(x.grad)
    numpy.testing.assert_array_equal(numpy.asarray(g.mask), mask)  # the leaf's mask
    fd = numpy.zeros_like(data)
    for i, j in zip(*numpy.nonzero(~mask)):
        e = numpy.zeros_like(data)
        e[i, j] = 1e-6
        fd[i, j] = (ref(data + e) - ref(data - e)) / 2e-6
    numpy.testing.assert_allclose(numpy.asarray(g.data)[~mask], fd[~mask], rtol=1e-7, atol=1e-9)


# -- sparse (pydata COO) --------------------------------------------------------------------

@pytest.mark.skipif("sparse" not in LIBS, reason="sparse is not installed")
def test_sparse_gradient_is_a_sparse_array_of_the_dense_gradient():
    import sparse

    dense = numpy.array([[0.0, 2.0, 0.0], [1.0, 0.0, 0.0]])
    w_np = numpy.arange(6.0).reshape(2, 3)
    x = ag_bridge.asarray(sparse.asarray(dense))
    w = ag_bridge.asarray(sparse.asarray(w_np))
    x.attach_grad()
    with autograd.record():
        y = (x * x * w).sum()
    y.backward()
    g = ag_bridge.unwrap(x.grad)
    assert isinstance(g, sparse.COO)
    # the dense gradient: every element, stored (x != 0) or not
    numpy.testing.assert_array_equal(g.todense(), 2 * dense * w_np)


# -- lazy (cubed) ---------------------------------------------------------------------------

@pytest.mark.skipif("cubed" not in LIBS, reason="cubed is not installed")
def test_cubed_gradient_stays_lazy_and_a_step_does_not_grow_the_graph():
    import cubed

    x = _wrap("cubed", [1.0, 2.0])
    x.attach_grad()
    with autograd.record():
        y = (x * x).sum()
    y.backward()
    g = ag_bridge.unwrap(x.grad)
    assert isinstance(g, cubed.Array)  # not computed: a cubed array with a plan
    x[:] = x - 0.5 * x.grad  # a parameter update outside record() is evaluated (settled)
    assert isinstance(ag_bridge.unwrap(x), cubed.Array)
    numpy.testing.assert_array_equal(x.asnumpy(), [0.0, 0.0])
    numpy.testing.assert_array_equal(x.grad.asnumpy(), [2.0, 4.0])


@pytest.mark.skipif("cubed" not in LIBS, reason="cubed is not installed")
def test_imag_gradient_needs_no_python_complex_scalar_with_a_real_array():
    # cubed refuses real_array * 1j (the standard does not require it): imag's VJP, whose
    # cotangent is real, casts it first
    x = ag_bridge.asarray(make("cubed", numpy.array([1.0 + 2.0j, -0.5 + 0.0j])))
    xp = x.__array_namespace__()
    x.attach_grad()
    with autograd.record():
        y = xp.sum(xp.imag(x) * xp.asarray(make("cubed", [3.0, -1.0])))
    y.backward()
    # d/dx of sum(w * Im x), conjugate-Wirtinger (docs/semantics.md): 1j * w
    numpy.testing.assert_array_equal(x.grad.asnumpy(), [3.0j, -1.0j])


@pytest.mark.parametrize("lib", LIBS)
def test_take_matches_numpy_even_where_the_library_take_is_wrong(lib):
    # cubed 0.27's own take returns its input unchanged when the index is as long as the
    # axis; the probe finds that (caps.take) and the generic backend gathers portably
    data = numpy.array([[0.5, 1.0, 2.0], [3.0, -1.5, 5.0]])
    if lib == "cubed":
        raw_xp = namespace_module(lib)
        raw = raw_xp.take(make(lib, data), raw_xp.asarray([2, 0, 1]), axis=1)
        own_ok = numpy.array_equal(numpy.asarray(raw), data[:, [2, 0, 1]])
        assert backend(lib).caps.take is own_ok
    x = _wrap(lib, data)
    xp = x.__array_namespace__()
    x.attach_grad()
    idx = [2, 0, 2]  # as long as the axis, with a repeat
    with autograd.record():
        y = xp.take(x, xp.asarray(idx), axis=1)
        z = xp.take(x, xp.asarray([1, 0]), axis=0)
        loss = xp.sum(y * y) + xp.sum(z * xp.asarray(make(lib, [[1.0, 2.0, 3.0], [4.0, 5.0, 6.0]])))
    numpy.testing.assert_array_equal(y.asnumpy(), data[:, idx])
    numpy.testing.assert_array_equal(z.asnumpy(), data[[1, 0]])
    loss.backward()
    want = numpy.zeros_like(data)  # d/dx of sum(x[:, idx]^2) + sum(x[[1, 0]] * w), by hand
    numpy.add.at(want, (slice(None), idx), 2 * data[:, idx])
    want += numpy.array([[4.0, 5.0, 6.0], [1.0, 2.0, 3.0]])
    numpy.testing.assert_allclose(x.grad.asnumpy(), want)


def test_portable_gather_and_scatter_keep_non_finite_values_in_their_slots():
    # the no-take/no-sort fallbacks select with where, never multiply by a one-hot mask
    import dataclasses

    import array_api_strict as xp

    from ag_bridge import _portable_keys, _portable_scatter

    caps = dataclasses.replace(backend("array_api_strict").caps, take=False, sort=False)
    a = xp.asarray([[1.0, numpy.inf, 3.0], [numpy.nan, 5.0, 6.0]])
    got = _portable_keys.gather(xp, a, xp.asarray([2, 1, 1, 0]), 3, caps)
    numpy.testing.assert_array_equal(numpy.asarray(got), numpy.asarray(a)[:, [2, 1, 1, 0]])
    vals = xp.asarray([1.0, numpy.inf, 2.0, numpy.nan])
    got = _portable_scatter.scatter_add(xp, xp.asarray([0, 1, 0, 3]), vals, 5, caps=caps)
    numpy.testing.assert_array_equal(numpy.asarray(got), [3.0, numpy.inf, 0.0, numpy.nan, 0.0])
