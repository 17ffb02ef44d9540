"""Conformance records of the statistical functions: axis None/int/negative/
tuple, keepdims, 0-d and empty arrays, dtype, correction, include_initial,
inputs with zeros for the products (exact there) and two-way ties for max/min
(central differences give the split gradient exactly there)."""

from __future__ import annotations

from ._record import Input, record

C = {"complex": True}


def _call(op: str, kw: dict):
    """``xp.<op>(x, **kw)``; a ``dtype`` is given by name and looked up in ``xp``."""
    def fn(xp, x):
        return getattr(xp, op)(x, **{k: getattr(xp, v) if k == "dtype" else v for k, v in kw.items()})
    return fn


def _label(shape: tuple, kw: dict) -> str:
    return ",".join(["x".join(map(str, shape)) or "0d"] + [f"{k}={v}" for k, v in kw.items()])


def reductions(op: str, cases: list, low: float = -2.0, high: float = 2.0, kind: str = "uniform",
               label: str = "", **opts) -> None:
    """One record of ``op`` per ``(shape, kwargs)`` case."""
    for shape, kw in cases:
        record(op, _call(op, kw), Input(shape, low, high, kind),
               label=",".join(filter(None, [label, _label(shape, kw)])), **opts)


def fixed(op: str, kw: dict, values: list, label: str, **opts) -> None:
    """One record of ``op`` on the given values."""
    shape = tuple(len(v) for v in _nest(values))
    record(op, _call(op, kw), Input(shape, kind="fixed", values=values), label=label, **opts)


def _nest(values: list) -> list:
    out = [values]
    while isinstance(out[-1][0], list):
        out.append(out[-1][0])
    return out


AXES = [
    ((3, 4), {}),
    ((3, 4), {"axis": 1}),
    ((3, 4), {"axis": -2, "keepdims": True}),
    ((2, 3, 4), {"axis": (0, 2)}),
    ((2, 3, 4), {"axis": (-1, 0), "keepdims": True}),
    ((2, 3, 4), {"axis": None, "keepdims": True}),
    ((), {}),
    ((0, 3), {"axis": 1}),
]
DTYPE = [((3, 4), {"axis": 1, "dtype": "float64"})]  # real input only: complex -> float64 drops imag

# -- sum, mean, prod --------------------------------------------------------------------------------
reductions("sum", AXES + [((0, 3), {}), ((2, 3), {"axis": ()})], **C)
reductions("sum", DTYPE)
reductions("mean", AXES + [((2, 3), {"axis": ()})], **C)
reductions("prod", AXES + [((0, 3), {})], 0.5, 1.5, **C)
reductions("prod", DTYPE, 0.5, 1.5)
PROD_ZEROS = [[2.0, 0.0, 3.0, -1.5], [0.0, 1.5, 0.0, 2.0], [1.2, -0.7, 0.9, 1.1]]
fixed("prod", {}, PROD_ZEROS, "zeros", **C)
fixed("prod", {"axis": 1}, PROD_ZEROS, "zeros,axis=1", **C)
fixed("prod", {"axis": (0, 2)}, [[[0.0, 2.0, 1.5], [1.1, 0.0, -2.0]], [[3.0, 0.5, 0.0], [0.7, 1.3, 0.8]]],
      "zeros,axis=(0,2)")

# -- var, std -----------------------------------------------------------------------------------------
VAR = [c for c in AXES if c[0] != ()] + [((3, 4), {"axis": 1, "correction": 1}), ((5,), {"correction": 1.0})]
FLOAT_CORRECTION = [((2, 3, 4), {"axis": (0, 1), "correction": 0.5, "keepdims": True})]
# the standard defines var/std for real input only (strict refuses complex): complex cases apart
COMPLEX_VAR = [((3, 4), {"axis": 1, "correction": 1}), ((2, 3), {})]
# array-api-strict lacks the complex forward (expectations/array_api_strict.toml;
# "Only real floating-point dtypes are allowed in var/std")
for op in ("var", "std"):
    reductions(op, VAR + FLOAT_CORRECTION)
    reductions(op, COMPLEX_VAR, label="complex", complex=True)

# -- max, min ---------------------------------------------------------------------------------------
for op in ("max", "min"):
    reductions(op, AXES[:-1], kind="distinct", second_order=False)
    reductions(op, AXES[-1:], second_order=False)  # empty: (0, 3) reduced along the non-empty axis
    fixed(op, {}, [1.0, 3.0, -3.0, 3.0 if op == "max" else -3.0], "2-way tie", second_order=False)
    fixed(op, {"axis": 1}, [[1.0, 1.0, 0.5], [-1.0, 2.0, -1.0]], "tie,axis=1", second_order=False)

# -- cumulative_sum, cumulative_prod ----------------------------------------------------------------------
CUM = [
    ((5,), {}),
    ((5,), {"include_initial": True}),
    ((3, 4), {"axis": 1}),
    ((3, 4), {"axis": 0, "include_initial": True}),
    ((2, 3, 4), {"axis": -2}),
    ((0, 3), {"axis": 1}),
]
EMPTY_INITIAL = [((3, 0), {"axis": 1, "include_initial": True})]
reductions("cumulative_sum", CUM + EMPTY_INITIAL, **C)
reductions("cumulative_sum", [((4,), {"dtype": "float64"})])
reductions("cumulative_prod", CUM + EMPTY_INITIAL, 0.5, 1.5, "away", **C)
reductions("cumulative_prod", [((4,), {"dtype": "float64"})], 0.5, 1.5, "away")
CUMPROD_ZEROS = [[2.0, 0.0, 3.0, 1.5], [0.0, 1.5, -2.0, 0.7], [1.2, -0.7, 0.9, 0.0]]  # one zero per row
fixed("cumulative_prod", {}, [2.0, 0.0, 3.0], "[2,0,3]")
fixed("cumulative_prod", {"axis": 1}, CUMPROD_ZEROS, "zeros,axis=1", **C)
fixed("cumulative_prod", {"axis": 1, "include_initial": True}, CUMPROD_ZEROS, "zeros,axis=1,include_initial")
# several zeros in a slice: exact at second order too (issue 14: x=[2,0,0,3] had a zero HVP)
fixed("cumulative_prod", {"axis": 0}, [[0.0, 1.5], [2.0, 0.0], [0.0, 1.2], [1.3, 0.0], [-0.8, 0.9]],
      "two zeros,axis=0", **C)
fixed("cumulative_prod", {}, [2.0, 0.0, 0.0, 3.0], "[2,0,0,3]")
fixed("cumulative_prod", {}, [0.0, 2.0, 0.0], "[0,2,0]")
fixed("cumulative_prod", {"axis": 1, "include_initial": True}, [[0.0, 0.0, 0.0, 2.0], [1.5, 0.0, 0.0, 0.0]],
      "three zeros,axis=1,include_initial", **C)
fixed("prod", {"axis": 1}, [[2.0, 0.0, 0.0, 3.0], [0.0, 0.0, 0.0, 1.5], [0.0, 2.0, 0.0, -1.0]],
      "several zeros,axis=1", **C)

# -- dtype= widening a float32 input (the engine casts the float64 cotangent back to float32) -------------
F32 = {"eps": 1e-2, "rtol": 1e-4, "atol": 1e-4}
for op, kw in (("sum", {"axis": 0}), ("prod", {"axis": 1}), ("cumulative_sum", {"axis": 1}),
               ("cumulative_prod", {"axis": 0})):
    record(op, lambda xp, x, op=op, kw=kw: getattr(xp, op)(xp.astype(x, xp.float32), dtype=xp.float64, **kw),
           Input((3, 4), 0.5, 1.5), label=f"float32 input,dtype=float64,{_label((3, 4), kw)}", **F32)
