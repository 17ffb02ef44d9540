"""Where Dask lacks a forward function, calling it through ag_bridge says so.

Every conformance record declared "not provided" on Dask (conformance/expectations/dask.toml,
or a record's deprecated ``skip=``) is so because Dask has no forward for that call. The
same call, made through ``ag_bridge.namespace("dask")`` on Dask-backed
ag_bridge arrays, must fail at once with an error that names the function and
the backend -- not with an error from deep inside Dask, and not lazily at
``compute()``. (The records of conformance/indexing.py are left out here: their
Dask skips are being revisited separately.)
"""

from __future__ import annotations

import numpy as np
import pytest

pytest.importorskip("dask.array")

from ag_bridge.conformance import all_cases  # noqa: E402
from ag_bridge.conformance._record import make_inputs  # noqa: E402
from ag_bridge.conformance.expectations import load as load_expectations  # noqa: E402
from ag_bridge.conformance.policy import declared_skip  # noqa: E402

import ag_bridge  # noqa: E402
from ag_bridge import autograd  # noqa: E402

pytestmark = pytest.mark.skipif("dask" not in ag_bridge.available_backends(),
                                reason="the dask plugin is not installed")

# functions of the standard that Dask's namespace lacks altogether
MISSING = ("linalg.cross", "linalg.det", "linalg.slogdet", "linalg.eig", "linalg.eigvals", "linalg.eigh",
           "linalg.eigvalsh", "linalg.matrix_power", "linalg.pinv")


def _dask_skipped():
    out = []
    exp = load_expectations("dask")
    for c in all_cases():
        if declared_skip(c, "dask", exp) is None or c.fn.__module__.rsplit(".", 1)[-1] == "indexing":
            continue
        out.append(pytest.param(c, id=c.id))
    return out


CASES = _dask_skipped()


def _dask_arrays(case):
    import dask.array as da

    xs = make_inputs(case, np.random.default_rng(0))
    arrays = [ag_bridge.asarray(da.from_array(x)) for x in xs]
    for a in arrays:
        a.attach_grad()
    return arrays


def test_records_skip_dask():
    """The records do skip Dask somewhere (else this file tests nothing)."""
    ops = {p.values[0].op for p in CASES}
    assert set(MISSING) <= ops


@pytest.mark.parametrize("case", CASES)
def test_error_names_function_and_backend(case):
    xp = ag_bridge.namespace("dask")
    arrays = _dask_arrays(case)
    with pytest.raises(Exception) as info, autograd.record():
        case.fn(xp, *arrays)
    msg = str(info.value)
    assert case.op in msg and "'dask'" in msg, f"{case.id}: {type(info.value).__name__}: {msg}"


@pytest.mark.parametrize("op", MISSING)
def test_missing_function(op):
    """A function Dask lacks raises NotImplementedError when called, naming it and the backend."""
    import dask.array as da

    xp = ag_bridge.namespace("dask")
    fn = xp
    for part in op.split("."):
        fn = getattr(fn, part)
    a = ag_bridge.asarray(da.from_array(np.eye(3) + 0.5))
    args = (a, a) if op == "linalg.cross" else (a, 2) if op == "linalg.matrix_power" else (a,)
    with pytest.raises(NotImplementedError, match=rf"{op}\(\) is not provided by backend 'dask'"):
        fn(*args)


def test_dask_complete_qr_of_tall_matrix_says_so():
    """Dask computes the reduced QR only; the complete one of a tall matrix is refused clearly."""
    import dask.array as da

    xp = ag_bridge.namespace("dask")
    a = ag_bridge.asarray(da.from_array(np.ones((4, 3))))
    with pytest.raises(ValueError, match=r"linalg\.qr\(mode='complete'\).*backend 'dask'.*mode='reduced'"):
        xp.linalg.qr(a, mode="complete")
