"""Conformance records: sample inputs for each differentiable op of the spec.

A :class:`Case` is one way to call an op: a function ``fn(xp, *arrays)``
written against the array API namespace ``xp`` it is handed, and one
:class:`Input` per differentiable argument (its shape and domain). Constant
arguments (indices, conditions, axes) live inside ``fn``. The same case runs
through ag_bridge's recording namespace, through the backend's raw namespace
under the library's own autodiff (the oracle), and through finite
differences.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

import numpy as np

__all__ = ["Input", "Case", "RECORDS", "record", "unary", "binary", "make_inputs", "complex_of"]


@dataclass(frozen=True)
class Input:
    """How to draw one differentiable input.

    kind: ``uniform`` in [low, high]; ``away`` (|x| in [low, high], random
    sign: keeps away from kinks at 0); ``distinct`` (a permutation of well
    separated values: no ties); ``spd`` (symmetric positive definite in the
    last two axes); ``fixed`` (``values`` as given).
    """

    shape: tuple = ()
    low: float = -2.0
    high: float = 2.0
    kind: str = "uniform"
    values: Any = None


@dataclass(frozen=True)
class Case:
    """One call of one op with its inputs (see the module docstring)."""

    op: str
    fn: Callable
    inputs: tuple
    label: str = ""
    second_order: bool = True
    complex: bool = False  # also check complex128 inputs
    rtol: float = 1e-5
    atol: float = 1e-6
    eps: float = 1e-6
    skip: frozenset = field(default_factory=frozenset)  # backends lacking the forward
    # backends whose own autodiff follows another convention for this case (no oracle there)
    native_skip: frozenset = field(default_factory=frozenset)
    # backends whose own double backward (the ``native2`` oracle: torch's create_graph,
    # nested jax.vjp) is missing, wrong or non-smooth for this case while its first order
    # is fine; say why in a comment where it is set
    native2_skip: frozenset = field(default_factory=frozenset)
    # also checked in single precision (float32/complex64 against float64/complex128);
    # False only where rounding the inputs changes the answer (say why where it is set)
    single: bool = True
    # the gradient the conventions of docs/semantics.md give, where central differences
    # cannot (a kink such as clip's bounds): ``expected(xs, vs)`` -> one NumPy gradient per
    # input, from the inputs and output cotangents; the ``fd`` check compares with it
    expected: Callable | None = None

    @property
    def id(self) -> str:
        """A readable test id: ``op[label]``."""
        return f"{self.op}[{self.label}]" if self.label else self.op


#: op qualified name -> its cases
RECORDS: dict[str, list[Case]] = {}


def _as_input(spec: Any) -> Input:
    if isinstance(spec, Input):
        return spec
    if isinstance(spec, tuple):
        return Input(spec)
    raise TypeError(f"an input is an Input or a shape tuple, not {spec!r}")


def record(op: str, fn: Callable, *inputs: Any, label: str = "", **opts: Any) -> Case:
    """Register one case of ``op`` (the coverage test needs one per op)."""
    c = Case(op, fn, tuple(_as_input(i) for i in inputs), label or _shapes(inputs), **opts)
    RECORDS.setdefault(op, []).append(c)
    return c


def complex_of(xp: Any, re: Any, im: Any) -> Any:
    """``re + 1j*im`` from two real arrays with the standard only: a Python complex scalar
    need not combine with a real array (cubed refuses it), so both are cast first."""
    c = xp.complex64 if re.dtype == xp.float32 else xp.complex128
    return xp.astype(re, c) + 1j * xp.astype(im, c)


def _shapes(inputs: tuple) -> str:
    return ",".join("x".join(map(str, _as_input(i).shape)) or "0d" for i in inputs)


_UNARY_SHAPES = ((3, 4), (), (0,), (2, 1, 3))
# broadcasting both ways: a missing leading axis and a size-1 axis on either side
_BINARY_SHAPES = (((2, 3), (2, 3)), ((2, 3), (3,)), ((3,), (2, 3)), ((2, 1), (1, 3)), ((1, 3), (4, 1)),
                  ((), (4,)), ((0, 2), (2,)))


def unary(op: str, low: float = -2.0, high: float = 2.0, kind: str = "uniform", **opts: Any) -> None:
    """Standard cases of a unary element-wise function: several shapes, 0-d, empty."""
    fn = _fn(op)
    for shape in _UNARY_SHAPES:
        record(op, fn, Input(shape, low, high, kind), **opts)


def binary(op: str, dom1: tuple = (-2.0, 2.0), dom2: tuple = (-2.0, 2.0), kind: str = "uniform",
           scalar: float | None = 1.5, **opts: Any) -> None:
    """Standard cases of a binary element-wise function: broadcasting shapes,
    0-d and empty operands, and a Python scalar on either side."""
    fn = _fn(op)
    for s1, s2 in _BINARY_SHAPES:
        record(op, fn, Input(s1, *dom1, kind), Input(s2, *dom2, kind), **opts)
    if scalar is not None:
        f = getattr_path(op)
        record(op, lambda xp, x: f(xp)(x, scalar), Input((3,), *dom1, kind),
               label=f"x,{scalar}", **opts)
        record(op, lambda xp, x: f(xp)(scalar, x), Input((3,), *dom2, kind),
               label=f"{scalar},x", **opts)


def getattr_path(op: str) -> Callable:
    """``op`` -> a function ``xp -> xp.<op>`` (``linalg.solve`` goes through ``xp.linalg``)."""
    parts = op.split(".")

    def get(xp: Any) -> Callable:
        obj = xp
        for p in parts:
            obj = getattr(obj, p)
        return obj

    return get


def _fn(op: str) -> Callable:
    get = getattr_path(op)
    return lambda xp, *a: get(xp)(*a)


def make_inputs(case: Case, rng: np.random.Generator, dtype: Any = np.float64) -> list[np.ndarray]:
    """Draw the case's inputs as NumPy arrays of ``dtype`` (real or complex)."""
    out = []
    cplx = np.dtype(dtype).kind == "c"
    for k, inp in enumerate(case.inputs):
        shape = tuple(inp.shape)
        if inp.kind == "fixed":
            a = np.asarray(inp.values, dtype=dtype)
        elif inp.kind == "spd":
            m = rng.standard_normal(shape)
            if cplx:
                m = m + 1j * rng.standard_normal(shape)
            n = shape[-1]
            a = m @ np.conj(np.swapaxes(m, -1, -2)) + n * np.eye(n)
        elif inp.kind == "distinct":
            # a permutation of a grid; input k is shifted by k/(k+2) of a step, so
            # no two values of the same or different inputs tie
            n = int(np.prod(shape))
            grid = np.linspace(inp.low, inp.high, max(n, 2))
            grid = grid + (grid[1] - grid[0]) * k / (k + 2)
            a = rng.permutation(grid)[:n].reshape(shape)
            if cplx:
                a = a + 0.5j * rng.permutation(grid)[:n].reshape(shape)
        else:
            a = rng.uniform(inp.low, inp.high, shape)
            if cplx:
                a = a + 1j * rng.uniform(inp.low, inp.high, shape)
            if inp.kind == "away":
                a = a * rng.choice([-1.0, 1.0], shape)
        out.append(np.asarray(a, dtype=dtype))
    return out
