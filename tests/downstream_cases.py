"""Downstream calls: what third-party code does with ag_bridge arrays, and the docs table.

Each :class:`Call` is one library function called, unedited, on an ag_bridge
array. ``tests/test_downstream.py`` runs every call on the backends it lists
and checks what the call declares: that the gradient matches the oracle
(``torch``: the same library call on a float64 torch tensor differentiated by
torch.autograd; ``fd``: central finite differences of the same call on NumPy,
where the library refuses torch), or that it fails with the error it names.
The table in docs/third-party.md is rendered from this list
(``python -m tests.downstream_cases --write`` rewrites it; a test fails when
it is stale).
"""

from __future__ import annotations

import re
import sys
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np

RNG = np.random.default_rng(20251130)
V = RNG.standard_normal(8)
VPOS = RNG.uniform(0.2, 2.0, 6)
M = RNG.standard_normal((5, 3))
M01 = RNG.uniform(0.05, 0.95, (2, 3))
GRID = RNG.standard_normal((4, 5))

BOTH = ("numpy", "torch")


@dataclass(frozen=True)
class Call:
    """One library call on an ag_bridge array (see the module docstring).

    ``fails``: backend -> (regex the error must match, why, for the table);
    ``"*"`` means every backend. ``fixed_in`` (``"scipy 1.18"``): the failures are expected
    only with an older release of that package; with it or a newer one the call is checked.
    """

    library: str
    function: str
    fn: Callable
    data: Any
    oracle: str = "torch"
    backends: tuple = BOTH
    fails: dict = field(default_factory=dict)
    note: str = ""
    extra: str = ""  # the pyproject test extra / package it needs (importorskip)
    fixed_in: str = ""

    @property
    def id(self) -> str:
        return f"{self.library}:{self.function}"

    def declared_failure(self, backend: str) -> tuple[str, str] | None:
        """The failure the table shows for ``backend`` (whatever is installed here)."""
        return self.fails.get(backend) or self.fails.get("*")

    def failure(self, backend: str) -> tuple[str, str] | None:
        """The failure expected here: none once the installed package has the fix."""
        if self.fixed_in:
            from importlib.metadata import version

            from packaging.version import Version

            package, release = self.fixed_in.split()
            if Version(version(package)) >= Version(release):
                return None
        return self.declared_failure(backend)


def _sp(name: str) -> Callable:
    import scipy.special

    return getattr(scipy.special, name)


def _st(name: str) -> Callable:
    import scipy.stats

    return getattr(scipy.stats, name)


def _mod(path: str) -> Any:
    import importlib

    return importlib.import_module(path)


CALLS: list[Call] = []


def add(*args: Any, **kw: Any) -> None:
    CALLS.append(Call(*args, **kw))


# ---------------------------------------------------------------- SciPy
_NUMPY_ONLY = ("converting an array that needs gradients", "SciPy converts the input with np.asarray "
               "(compiled NumPy-only code); ag_bridge refuses inside record()")

for _name, _data in (("expit", M), ("logit", M01), ("erf", M), ("erfc", M), ("erfinv", M01 - 0.5),
                     ("ndtr", M), ("ndtri", M01), ("log_ndtr", M), ("gammaln", VPOS), ("digamma", VPOS),
                     ("entr", VPOS), ("i0", M), ("i1", M), ("i0e", M), ("i1e", M)):
    add("SciPy", f"special.{_name}", lambda a, f=_name: _sp(f)(a), _data, extra="scipy")
for _name in ("xlogy", "xlog1py", "rel_entr"):
    add("SciPy", f"special.{_name}", lambda a, f=_name: _sp(f)(a, a * a + 0.5), VPOS, extra="scipy")
add("SciPy", "special.log_softmax", lambda a: _sp("log_softmax")(a, axis=1), M, oracle="fd",
    note="torch refuses SciPy's in-place update", extra="scipy")
add("SciPy", "special.logsumexp", lambda a: _sp("logsumexp")(a, axis=0), M, extra="scipy")
add("SciPy", "special.erf on array-api-strict", lambda a: _sp("erf")(a), M, backends=("array_api_strict",),
    fails={"*": ("special.erf.. is not provided", "array-api-strict has no special functions and erf has "
                 "no exact composition from the standard")}, extra="scipy")
add("SciPy", "special.expit on array-api-strict", lambda a: _sp("expit")(a), M, oracle="fd",
    backends=("array_api_strict",), note="composed from the standard", extra="scipy")
_PVALUE = ("SciPy's p-value step calls .numpy() on torch tensors; on the torch backend betainc is "
           "ag_bridge's continued fraction (torch has none)")
for _what in ("statistic", "pvalue"):
    add("SciPy", f"stats.pearsonr ({_what})", lambda a, w=_what: getattr(_st("pearsonr")(a, a * a), w),
        V, oracle="fd", note=_PVALUE, extra="scipy")
    add("SciPy", f"stats.ttest_1samp ({_what})",
        lambda a, w=_what: getattr(_st("ttest_1samp")(a, 0.3), w), V, oracle="fd", note=_PVALUE,
        extra="scipy")
add("SciPy", "stats.jarque_bera (statistic)", lambda a: _st("jarque_bera")(a).statistic, V, extra="scipy")
add("SciPy", "stats.entropy", lambda a: _st("entropy")(a), VPOS, extra="scipy")
add("SciPy", "stats.entropy (qk)", lambda a: _st("entropy")(a, a * a), VPOS, extra="scipy")
add("SciPy", "signal.fftconvolve", lambda a: _mod("scipy.signal").fftconvolve(a, a[:3]), V, extra="scipy")
add("SciPy", "signal.convolve", lambda a: _mod("scipy.signal").convolve(a, a[:3]), V,
    fails={"*": _NUMPY_ONLY}, extra="scipy")
add("SciPy", "signal.detrend", lambda a: _mod("scipy.signal").detrend(a), V, fails={"*": _NUMPY_ONLY},
    extra="scipy")
add("SciPy", "signal.lfilter", lambda a: _mod("scipy.signal").lfilter([1.0, 0.5], [1.0], a), V,
    fails={"*": ("Multiple namespaces", "SciPy mixes its NumPy coefficients with the input's namespace "
                 "and refuses (torch tensors too)")}, extra="scipy")
add("SciPy", "integrate.trapezoid", lambda a: _mod("scipy.integrate").trapezoid(a, dx=0.5), V, extra="scipy")
add("SciPy", "integrate.cumulative_trapezoid",
    lambda a: _mod("scipy.integrate").cumulative_trapezoid(a, dx=0.5), V, extra="scipy")
add("SciPy", "integrate.simpson", lambda a: _mod("scipy.integrate").simpson(a, dx=0.5), V,
    fails={"*": _NUMPY_ONLY}, fixed_in="scipy 1.18", extra="scipy")  # 1.18.1 ran it (on an H200)

# ---------------------------------------------------------------- scikit-learn (array_api_dispatch=True)
_INPLACE = "torch refuses scikit-learn's in-place update"


def _sk(path: str, name: str) -> Any:
    return getattr(_mod(f"sklearn.{path}"), name)


add("scikit-learn", "metrics.pairwise.rbf_kernel",
    lambda a: _sk("metrics.pairwise", "rbf_kernel")(a, gamma=0.3), M, extra="sklearn")
add("scikit-learn", "metrics.pairwise.euclidean_distances",
    lambda a: _sk("metrics.pairwise", "euclidean_distances")(a, a[:2] + 1.0), M, extra="sklearn")
add("scikit-learn", "metrics.pairwise.cosine_similarity",
    lambda a: _sk("metrics.pairwise", "cosine_similarity")(a), M, oracle="fd", note=_INPLACE, extra="sklearn")
add("scikit-learn", "metrics.pairwise.polynomial_kernel",
    lambda a: _sk("metrics.pairwise", "polynomial_kernel")(a, degree=2), M, extra="sklearn")
add("scikit-learn", "preprocessing.normalize", lambda a: _sk("preprocessing", "normalize")(a), M, oracle="fd",
    note=_INPLACE, extra="sklearn")
add("scikit-learn", "preprocessing.MinMaxScaler",
    lambda a: _sk("preprocessing", "MinMaxScaler")().fit_transform(a), M, extra="sklearn")
add("scikit-learn", "preprocessing.StandardScaler",
    lambda a: _sk("preprocessing", "StandardScaler")().fit_transform(a), M, oracle="fd", note=_INPLACE,
    extra="sklearn")
add("scikit-learn", "decomposition.PCA (fit_transform)",
    lambda a: _sk("decomposition", "PCA")(n_components=2, svd_solver="full").fit_transform(a), M, oracle="fd",
    note=_INPLACE, extra="sklearn")
add("scikit-learn", "metrics.mean_squared_error",
    lambda a: _sk("metrics", "mean_squared_error")(a, a * 0.5), M,
    fails={"*": ("returned float", "returns a Python float: the graph ends there (torch too)")},
    extra="sklearn")

# ---------------------------------------------------------------- xarray (finite differences: xarray
# converts torch tensors to NumPy)


def _da(a: Any) -> Any:
    xr = _mod("xarray")
    return xr.DataArray(a, dims=("x", "y"), coords={"y": np.array([0.0, 1.0, 2.0, 3.5, 4.0])})


def _xr(f: Callable) -> Callable:
    return lambda a: f(_da(a)).data


_W = np.array([1.0, 2.0, 3.0, 4.0])
_NUMPY_DTYPES = {"torch": ("kind|Cannot interpret|has no attribute 'dtype'",
                           "xarray reads NumPy dtype attributes (dtype.kind) of the wrapped array; "
                           "torch dtypes have none")}
for _label, _f, _fails in (
    ("DataArray.mean (skipna)", lambda d: d.mean("x"), _NUMPY_DTYPES),
    ("DataArray.var", lambda d: d.var("y", ddof=1), _NUMPY_DTYPES),
    ("DataArray.cumsum", lambda d: d.cumsum("y"), {}),
    ("DataArray.rolling(y=3).mean()", lambda d: d.rolling(y=3, min_periods=1).mean(), _NUMPY_DTYPES),
    ("DataArray.quantile", lambda d: d.quantile([0.3, 0.8], dim="y"), _NUMPY_DTYPES),
    ("DataArray.differentiate", lambda d: d.differentiate("y"), _NUMPY_DTYPES),
    ("DataArray.dot", lambda d: d.dot(d, dim="y"), {}),
    ("DataArray.weighted(w).mean", lambda d: d.weighted(_mod("xarray").DataArray(_W, dims="x")).mean("x"),
     _NUMPY_DTYPES),
):
    add("xarray", _label, _xr(_f), GRID, oracle="fd", fails=_fails, extra="xarray")
add("xarray", "DataArray.interp", _xr(lambda d: d.interp(y=[0.5, 1.7, 3.2])), GRID, oracle="fd",
    backends=("numpy",), extra="xarray",
    fails={"*": ("converting an array that needs gradients", "xarray's interp always goes through "
                 "scipy.interpolate.interp1d (xarray.core.missing.interp asks for a vectorizeable "
                 "interpolator, even for 1-D linear), which calls np.asarray: compiled NumPy-only code "
                 "with no array-API path; ag_bridge refuses the conversion inside record()")})

# ---------------------------------------------------------------- einops, opt_einsum
T3 = RNG.standard_normal((2, 3, 4))
add("einops", "rearrange", lambda a: _mod("einops").rearrange(a, "a b c -> (a c) b"), T3, extra="einops")
add("einops", "reduce (mean)", lambda a: _mod("einops").reduce(a, "a b c -> a c", "mean"), T3, extra="einops")
add("einops", "reduce (max)", lambda a: _mod("einops").reduce(a, "a b c -> b", "max"), T3, extra="einops")
add("einops", "repeat", lambda a: _mod("einops").repeat(a, "a b c -> a b c k", k=2), T3, extra="einops")
add("einops", "einsum", lambda a: _mod("einops").einsum(a, a, "a b c, a b d -> c d"), T3, extra="einops")
add("opt_einsum", "contract", lambda a: _mod("opt_einsum").contract("abc,abd,bc->d", a, a, a[0]), T3,
    extra="opt_einsum")
add("opt_einsum", "contract (complex)",
    lambda a: _mod("opt_einsum").contract("ab,bc,ca->", a[0] + 1j * a[1], a[1] - 1j * a[0], a[0] + 0j),
    T3[:, :, :3],
    extra="opt_einsum")


# ---------------------------------------------------------------- the table
START = "<!-- downstream-table:start (generated by tests/downstream_cases.py; do not edit) -->"
END = "<!-- downstream-table:end -->"
DOC = Path(__file__).resolve().parent.parent / "docs" / "third-party.md"
_ORACLE = {"torch": "torch.autograd on the same call", "fd": "finite differences (NumPy)"}


def _cell(c: Call) -> tuple[str, str]:
    works = [b for b in c.backends if not c.declared_failure(b)]
    fails = [(b, c.declared_failure(b)) for b in c.backends if c.declared_failure(b)]
    parts, why = [], []
    if works:
        parts.append("works (" + ", ".join(works) + ")")
        why.append(_ORACLE[c.oracle] + (f"; {c.note}" if c.note else ""))
    if fails:
        until = f" before {c.fixed_in.replace('scipy', 'SciPy')}" if c.fixed_in else ""
        parts.append("fails (" + ", ".join(b for b, _ in fails) + ")" + until)
        why.extend(dict.fromkeys(f[1] for _, f in fails))
    return "; ".join(parts), "; ".join(why)


def render() -> str:
    """The markdown table of :data:`CALLS`."""
    lines = [START, "", "| Library | Function | ag_bridge | Checked against / why it fails |",
             "|---|---|---|---|"]
    for c in CALLS:
        status, why = _cell(c)
        lines.append(f"| {c.library} | `{c.function}` | {status} | {why} |")
    return "\n".join(lines + ["", END])


def current_table(text: str) -> str | None:
    m = re.search(re.escape(START) + ".*?" + re.escape(END), text, flags=re.S)
    return m.group(0) if m else None


def write() -> None:
    text = DOC.read_text(encoding="utf-8")
    old = current_table(text)
    if old is None:
        raise SystemExit(f"{DOC}: no table markers ({START!r} ... {END!r})")
    DOC.write_text(text.replace(old, render()), encoding="utf-8")


if __name__ == "__main__":
    if "--write" in sys.argv:
        write()
    else:
        print(render())
