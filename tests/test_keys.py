"""Indexing keys on every backend give NumPy's results: reading ``x[key]``, its
gradient (a scatter-add: duplicates accumulate), ``z[key] = v`` and the
gradients of both of its operands.

Keys are generated: integers (negative too), slices with any step and
out-of-bounds starts and stops (NumPy clamps them; PyTorch refuses negative
steps, array-api-strict out-of-bounds slices, and Dask gets some wrong -- the
engine and the plugins translate), integer arrays of any rank mixed with
slices and ``...`` (strict takes one index per axis only), and keys that leave
trailing axes implicit.
"""

from __future__ import annotations

import numpy as np
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

import ag_bridge
from ag_bridge import autograd

from .conftest import BACKENDS, on_backend

# Dask refuses integer arrays on two axes separated by a slice ("nd fancy indexing"):
# its records skip that forward too (conformance/indexing.py, "int arrays apart").
REFUSED = {"dask": ("fancy indexing",)}


@st.composite
def keys(draw):
    """``(shape, key)``: a NumPy array shape and a key for it, without boolean masks or None."""
    shape = tuple(draw(st.lists(st.integers(1, 4), min_size=1, max_size=3)))
    arr_shape = tuple(draw(st.lists(st.integers(1, 3), min_size=0, max_size=2)))

    def part(size):
        kind = draw(st.sampled_from(["int", "slice", "slice", "array"]))
        if kind == "int":
            return draw(st.integers(-size, size - 1))
        if kind == "slice":
            step = draw(st.sampled_from([None, 1, 2, 3, -1, -2]))
            start = draw(st.one_of(st.none(), st.integers(-size - 1, size + 1)))
            stop = draw(st.one_of(st.none(), st.integers(-size - 1, size + 1)))
            return slice(start, stop, step)
        n = int(np.prod(arr_shape))
        values = draw(st.lists(st.integers(-size, size - 1), min_size=n, max_size=n))
        return np.asarray(values, dtype=np.int64).reshape(arr_shape)

    if draw(st.booleans()):  # leading parts, ``...``, trailing parts
        lead = draw(st.integers(0, len(shape)))
        trail = draw(st.integers(0, len(shape) - lead))
        return shape, (tuple(part(n) for n in shape[:lead]) + (Ellipsis,)
                       + tuple(part(n) for n in shape[len(shape) - trail:]))
    n = draw(st.integers(1, len(shape)))  # trailing axes may be left implicit
    return shape, tuple(part(size) for size in shape[:n])


def _flat_ids(shape, key):
    return np.arange(int(np.prod(shape))).reshape(shape)[key]


@pytest.mark.parametrize("name", BACKENDS)
@settings(max_examples=100, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(case=keys(), seed=st.integers(0, 2**16))
def test_keys_match_numpy(name, case, seed):
    shape, key = case
    rng = np.random.default_rng(seed)
    a = rng.standard_normal(shape)
    want = a[key]
    v = rng.standard_normal(want.shape)
    with on_backend(name) as b:
        xp = b.namespace
        x = ag_bridge.asarray(a, backend=b)
        k = tuple(xp.asarray(p) if isinstance(p, np.ndarray) else p for p in key)
        x.attach_grad()
        try:
            with autograd.record():
                y = x[k]
        except Exception as exc:  # only the refusals a library documents
            if any(s in str(exc) for s in REFUSED.get(name, ())):
                return
            raise
        np.testing.assert_array_equal(y.asnumpy(), want, err_msg=f"x[{key}]")
        y.backward(ag_bridge.asarray(v, backend=b))
        added = np.zeros(shape)
        np.add.at(added, key, v)  # duplicates accumulate
        np.testing.assert_allclose(x.grad.asnumpy(), added, rtol=1e-12, atol=1e-12,
                                   err_msg=f"gradient of x[{key}]")

        ids = _flat_ids(shape, key).reshape(-1)
        if len(np.unique(ids)) < ids.size:  # which duplicate write wins is the library's choice
            return
        val = ag_bridge.asarray(v, backend=b)
        val.attach_grad()
        g = rng.standard_normal(shape)
        with autograd.record():
            z = x * 1
            z[k] = val * 1
        written = a.copy()
        written[key] = v
        np.testing.assert_array_equal(z.asnumpy(), written, err_msg=f"z[{key}] = v")
        z.backward(ag_bridge.asarray(g, backend=b))
        kept = g.copy()
        kept[key] = 0  # what the write replaced gets no gradient
        np.testing.assert_allclose(x.grad.asnumpy(), kept, err_msg=f"z[{key}] = v: gradient of z")
        np.testing.assert_allclose(val.grad.asnumpy(), g[key], err_msg=f"z[{key}] = v: gradient of v")
        np.testing.assert_array_equal(x.asnumpy(), a, err_msg="x changed")
