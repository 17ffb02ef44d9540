"""Third-party calls on ag_bridge arrays (tests/downstream_cases.py), and the docs table.

Every call either differentiates and matches its oracle (torch.autograd on the
same library call with a float64 torch tensor, or central finite differences
of the same call on NumPy where the library refuses torch), or fails with the
error the case names. ``docs/third-party.md`` holds the table rendered from
the cases; ``test_docs_table_is_current`` fails when it is stale.

SciPy and scikit-learn need ``SCIPY_ARRAY_API=1`` before scipy is imported:
tests/conftest.py sets it.
"""

from __future__ import annotations

import os
import re

os.environ.setdefault("SCIPY_ARRAY_API", "1")  # noqa: E402  (before any scipy import)

import numpy as np  # noqa: E402
import pytest  # noqa: E402

import ag_bridge  # noqa: E402
from ag_bridge import autograd  # noqa: E402

from .conftest import BACKENDS, on_backend, torch_autograd_sees_asarray  # noqa: E402
from .downstream_cases import CALLS, DOC, START, current_table, render  # noqa: E402

torch = pytest.importorskip("torch")


def _cotangent(shape: tuple, cplx: bool = False) -> np.ndarray:
    w = np.random.default_rng(3).standard_normal(shape)
    if cplx:
        w = w + 1j * np.random.default_rng(4).standard_normal(shape)
    return w


def _loss_np(y: np.ndarray) -> float:
    w = _cotangent(y.shape, np.iscomplexobj(y))
    return float(np.sum(np.real(np.conj(w) * y)))


def _context():
    import contextlib

    try:
        import sklearn
    except ImportError:
        return contextlib.nullcontext()
    return sklearn.config_context(array_api_dispatch=True)


def ours(call, backend_name):
    """(value, gradient of <w, f(x)>) through ag_bridge on ``backend_name``."""
    x = ag_bridge.asarray(np.asarray(call.data, dtype=np.float64), backend=backend_name)
    x.attach_grad()
    with _context(), autograd.record():
        y = call.fn(x)
        if not isinstance(y, ag_bridge.Array):
            raise TypeError(f"{call.function} returned {type(y).__name__}, not an ag_bridge Array")
        assert y._node is not None, "the result is not connected to the input (gradient lost)"
        xp = y.__array_namespace__()
        w = xp.asarray(_cotangent(y.shape, xp.isdtype(y.dtype, "complex floating")))
        loss = xp.sum(xp.real(xp.conj(w) * y))
    loss.backward()
    g = x.grad.asnumpy()
    if np.isnan(g).any() and not np.isnan(y.asnumpy()).any():
        raise FloatingPointError(f"{call.function}: NaN gradient of a finite value")
    return y.asnumpy(), g


def by_torch(call):
    t = torch.tensor(np.asarray(call.data, dtype=np.float64), requires_grad=True)
    with _context():
        y = call.fn(t)
    w = torch.as_tensor(_cotangent(tuple(y.shape), y.is_complex()))
    torch.sum(torch.real(torch.conj(w) * y)).backward()
    return y.detach().numpy(), t.grad.numpy()


def by_fd(call, h: float = 1e-6):
    """Value and central differences of <w, f(x)> with the library on NumPy arrays."""
    data = np.asarray(call.data, dtype=np.float64)
    with _context():
        y = np.asarray(call.fn(data))
        g = np.zeros_like(data)
        for i in np.ndindex(data.shape):
            e = np.zeros_like(data)
            e[i] = h
            up, down = np.asarray(call.fn(data + e)), np.asarray(call.fn(data - e))
            g[i] = (_loss_np(up) - _loss_np(down)) / (2 * h)
    return y, g


# Tolerances, derived: torch and ag_bridge evaluate the same float64 formulas in a
# different order, so values and gradients agree to a few ulps of the O(1)-O(10) results
# (rtol 1e-9 leaves room for cancellation in sums of ~20 terms). Central differences
# with h = 1e-6 on O(1) smooth functions err by O(h^2 f''') ~ 1e-12 plus rounding
# O(eps |f| / h) ~ 1e-10 * |loss|; the losses here are O(10), so atol 1e-7 and rtol 1e-6.
TOL = {"torch": dict(rtol=1e-9, atol=1e-11), "fd": dict(rtol=1e-6, atol=1e-7)}


def _params():
    out = []
    for c in CALLS:
        for b in c.backends:
            marks = [] if b in BACKENDS else [pytest.mark.skip(reason=f"backend {b} not installed")]
            out.append(pytest.param(c, b, id=f"{b}-{c.library}-{c.function}", marks=marks))
    return out


def _scipy_mode():
    from scipy._lib import _array_api

    xp = ag_bridge.namespace("numpy")
    return _array_api.array_namespace(xp.asarray([1.0])) is xp


@pytest.mark.parametrize("call,bname", _params())
def test_call(call, bname):
    pytest.importorskip(call.extra)
    if call.extra in ("scipy", "sklearn") and not _scipy_mode():
        pytest.skip("scipy was imported before SCIPY_ARRAY_API=1 was set (tests/conftest.py sets it)")
    with on_backend(bname):
        fail = call.failure(bname)
        if fail:
            with pytest.raises(Exception, match=fail[0]):
                ours(call, bname)
            return
        y, g = ours(call, bname)
    oracle = call.oracle if call.oracle != "torch" or torch_autograd_sees_asarray() else "fd"
    ry, rg = by_torch(call) if oracle == "torch" else by_fd(call)
    np.testing.assert_allclose(y, ry, **TOL[oracle], err_msg="value")
    np.testing.assert_allclose(g, rg, **TOL[oracle], err_msg="gradient")


def test_failures_name_a_pattern_and_a_reason():
    for c in CALLS:
        for b, (pattern, why) in c.fails.items():
            assert pattern and why and (b == "*" or b in c.backends), c.id


def test_docs_table_is_current():
    text = DOC.read_text(encoding="utf-8")
    assert current_table(text) is not None, f"{DOC} lacks the table markers ({START})"
    assert current_table(text) == render(), (
        "docs/third-party.md's downstream table is stale: run `python -m tests.downstream_cases --write`")


def test_table_lists_every_call_once():
    rows = re.findall(r"^\| ([^|]+) \| `([^`]+)` \|", render(), flags=re.M)
    assert len(rows) == len(CALLS) == len({c.id for c in CALLS})


def test_a_failure_fixed_upstream_is_expected_only_before_the_fix():
    from dataclasses import replace

    simpson = next(c for c in CALLS if c.function == "integrate.simpson")
    assert simpson.fixed_in and simpson.declared_failure("numpy")
    assert replace(simpson, fixed_in="numpy 999").failure("numpy") == simpson.declared_failure("numpy")
    assert replace(simpson, fixed_in="numpy 0.1").failure("numpy") is None
    assert "before SciPy 1.18" in render()  # the table shows the declaration, not this machine
