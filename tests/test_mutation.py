"""The conformance machinery can fail: known-bad variants of a handful of rules and engine
helpers are planted one at a time, in memory (monkeypatch, undone after each test), and
:func:`check_case` over the records that cover them must report a failure; unmutated, the same
records pass.

Each mutant is a bug an earlier version of the suite missed or caught only through one
hand-written test: a complex-only second-order bug, a tie that is not split, a broken
unbroadcast, a scatter-add that drops duplicates, flat ids without ``% size`` for negative
indices (Dask), a dropped transpose in matmul's VJP, and a head gradient whose graph
``create_graph`` loses.
"""

from __future__ import annotations

import numpy as np
import pytest
from ag_bridge.conformance import RECORDS, check_case

import ag_bridge
from ag_bridge import _autograd_core, _backward
from ag_bridge._array import Array, wrap
from ag_bridge._registry import RULES
from ag_bridge.rules._util import cj

from .conftest import BACKENDS, on_backend


def _case(op: str, label: str):
    found = [c for c in RECORDS[op] if c.label == label]
    assert found, f"no record {op}[{label}]"
    return found[0]


def _check(op: str, label: str, dtype=np.float64, backend: str = "numpy", **kw):
    """The case's result, or None when a check raised (a failure the runner reports too)."""
    case = _case(op, label)
    ref = None
    if backend not in ("numpy", "array_api_strict"):  # as the suite does: NumPy's checked result
        with on_backend("numpy"):
            ref = check_case(case, "numpy", dtype, native=False)
    with on_backend(backend):
        try:
            return check_case(case, backend, dtype, reference=ref, **kw)
        except Exception:
            return None


def _fails(*args, **kw) -> str:
    res = _check(*args, **kw)
    assert res is None or not res.ok, f"the mutant passed {args}: {res.report()}"
    return "raised" if res is None else res.report()


# -- the mutants ------------------------------------------------------------------------------------

def _exp_no_conj_under_create_graph(xp, g, ans, x):
    """exp's VJP that forgets the conjugate only when recorded (create_graph) on complex input:
    plain first-order gradients stay right, the complex Hessian goes wrong."""
    if isinstance(ans, Array) and xp.isdtype(ans.dtype, "complex floating"):
        return g * ans
    return g * cj(xp, ans)


def _maximum_no_split(xp, g, ans, x1, x2):
    return xp.where(x1 >= x2, g, 0)


def _maximum_no_split_2(xp, g, ans, x1, x2):
    return xp.where(x2 >= x1, g, 0)


def _unbroadcast_first_row(xp, c, shape):
    """Leading broadcast axes dropped by taking their first entry instead of summing."""
    while c.ndim > len(shape):
        c = c[0]
    return _ORIGINAL_UNBROADCAST(xp, c, shape)


def _unbroadcast_size1_first(xp, c, shape):
    """Size-1 broadcast axes take their first entry instead of the sum."""
    extra = c.ndim - len(shape)
    if extra > 0:
        c = xp.sum(c, axis=tuple(range(extra)))
    return c[tuple(slice(0, 1) if n == 1 and m != 1 else slice(None) for n, m in zip(shape, c.shape))]


_ORIGINAL_UNBROADCAST = _backward.unbroadcast


def _matmul_1_no_transpose(xp, g, ans, x1, x2):
    if x1.ndim == 1 or x2.ndim == 1:
        return _MATMUL_1(xp, g, ans, x1, x2)
    return xp.matmul(g, cj(xp, x2))


_MATMUL_1 = RULES["matmul"].fns[0]


def _index_add_drops_duplicates(self, a, key, v):
    out = np.array(a, copy=True)
    out[key] += v  # buffered: a repeated index keeps one of its contributions
    return out


def _seeds_detached(heads, head_grads, who, wrap_=None):
    """Head gradients enter the backward as constants even under create_graph."""
    seeds = _ORIGINAL_SEEDS(heads, head_grads, who, wrap_)
    return [(n, k, wrap(g._data, g._backend) if isinstance(g, Array) else g) for n, k, g in seeds]


_ORIGINAL_SEEDS = _autograd_core.seeds


# -- the tests ---------------------------------------------------------------------------------------

#: (op, label, dtype, backend) of every record a mutant below is caught by
COVERING = [
    ("exp", "3x4", np.complex128, "numpy"),
    ("maximum", "ties,3 vs 2x3", np.float64, "numpy"),
    ("maximum", "ties,x,0.5", np.float64, "numpy"),
    ("add", "3,2x3", np.float64, "numpy"),
    ("add", "1x3,4x1", np.float64, "numpy"),
    ("subtract", "1x3,4x1", np.complex128, "numpy"),
    ("__getitem__", "int array duplicates", np.float64, "numpy"),
    ("matmul", "2-D,square", np.float64, "numpy"),
    ("matmul", "batched,square", np.complex128, "numpy"),
    ("exp", "vjp,recorded cotangent", np.float64, "numpy"),
    ("multiply", "vjp,recorded cotangent,broadcast", np.complex128, "numpy"),
]
if "dask" in BACKENDS:
    COVERING.append(("__getitem__", "int array duplicates", np.float64, "dask"))


@pytest.mark.parametrize("op, label, dtype, backend", COVERING,
                         ids=[f"{o}[{lb}]-{np.dtype(d).name}-{b}" for o, lb, d, b in COVERING])
def test_unmutated_records_pass(op, label, dtype, backend):
    res = _check(op, label, dtype, backend)
    assert res is not None and res.ok, res.report() if res else "raised"


def test_complex_only_second_order_bug(monkeypatch):
    monkeypatch.setattr(RULES["exp"], "fns", (_exp_no_conj_under_create_graph,))
    assert _check("exp", "3x4").ok  # real: untouched
    res = _check("exp", "3x4", np.complex128)
    assert res.errors["fd"][0] <= 1.0, res.report()  # first order untouched
    assert res.errors["second"][0] > 1.0, res.report()
    if "torch" in BACKENDS:  # torch's double backward (native2) sees it as well
        res = _check("exp", "3x4", np.complex128, "torch", fd=False)
        assert res.errors["native2"][0] > 1.0, res.report()


def test_tie_not_split(monkeypatch):
    monkeypatch.setattr(RULES["maximum"], "fns", (_maximum_no_split, _maximum_no_split_2))
    _fails("maximum", "ties,3 vs 2x3")
    _fails("maximum", "ties,x,0.5")


@pytest.mark.parametrize("mutant, labels", [
    (_unbroadcast_first_row, ["3,2x3", "2x3,3"]),
    (_unbroadcast_size1_first, ["1x3,4x1", "2x1,1x3"]),
], ids=["leading axes", "size-1 axes"])
def test_broken_unbroadcast(monkeypatch, mutant, labels):
    monkeypatch.setattr(_backward, "unbroadcast", mutant)
    for label in labels:
        _fails("add", label)
        _fails("subtract", label, np.complex128)


def test_scatter_add_drops_duplicates(monkeypatch):
    b = ag_bridge.load_backend("numpy")
    monkeypatch.setattr(type(b), "index_add", _index_add_drops_duplicates)
    # the namespaces bind index_add when built: rebuild them (the originals come back after the test)
    monkeypatch.setattr(b, "_rule_xp", None)
    monkeypatch.setattr(b, "_namespace", None)
    _fails("__getitem__", "int array duplicates")
    _fails("take", "1-D duplicates")


@pytest.mark.skipif("dask" not in BACKENDS, reason="Dask is not installed")
def test_dask_flat_ids_without_modulo(monkeypatch):
    import ag_bridge_dask._scatter as mod

    original = mod.flat_ids

    def flat_ids_no_mod(a, key):
        keys = key if isinstance(key, tuple) else (key,)
        if len(keys) == a.ndim and all(isinstance(k, mod.ARRAYS) and k.dtype.kind in "iu" for k in keys):
            ids, stride = 0, 1
            for k, size in zip(reversed(keys), reversed(a.shape)):
                ids = ids + k * stride  # the planted bug: no % size for negative indices
                stride *= size
            return mod.da.asarray(ids)
        return original(a, key)

    monkeypatch.setattr(mod, "flat_ids", flat_ids_no_mod)
    _fails("__getitem__", "int array duplicates", backend="dask")


def test_matmul_dropped_transpose(monkeypatch):
    monkeypatch.setattr(RULES["matmul"], "fns", (_matmul_1_no_transpose, RULES["matmul"].fns[1]))
    for label, dtype in (("2-D,square", np.float64), ("batched,square", np.complex128)):
        # first order only: the second order differentiates the VJP's own (non-square) matmuls,
        # where the mutant raises
        res = _check("matmul", label, dtype, second_order=False)
        assert res is not None and res.errors["fd"][0] > 1.0, res and res.report()  # a wrong number


def test_create_graph_loses_recorded_head_gradient(monkeypatch):
    monkeypatch.setattr(_autograd_core, "seeds", _seeds_detached)
    _fails("exp", "vjp,recorded cotangent")
    _fails("multiply", "vjp,recorded cotangent,broadcast", np.complex128)
