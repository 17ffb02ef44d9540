"""PyTorch's OpInfo sample inputs, translated to the array API standard.

``torch.testing._internal.common_methods_invocations.op_db`` lists, for each
torch operator, sample inputs (tensors, positional and keyword arguments)
that PyTorch's own gradient tests run. :data:`TABLE` maps every OpInfo entry
with a standard counterpart to that function and says how its arguments
translate (``dim`` -> ``axis``, ``keepdim`` -> ``keepdims``, ``unbiased`` ->
``correction``, ...). :func:`samples` yields one :class:`Sample` per OpInfo
sample: a translated call ``fn(xp, *arrays)`` on the sample's floating
tensors, and the torch call it came from (the oracle), or the reason it does
not translate. A sample that does not translate is counted, never forced.

``op_db`` is torch-internal and slow to import (seconds): :func:`load` imports
it once, lazily, and says why when it cannot (torch missing, the module
moved, a test dependency such as ``expecttest`` missing). :mod:`.opinfo_check`
runs the samples.
"""

from __future__ import annotations

import zlib
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from functools import lru_cache
from typing import Any

import numpy as np

from ._record import getattr_path

__all__ = ["Spec", "Sample", "Untranslatable", "TABLE", "load", "samples", "entries", "DTYPES"]

#: the dtypes drawn from OpInfo (its sample inputs in double precision)
DTYPES = ("float64", "complex128")
_MODULE = "torch.testing._internal.common_methods_invocations"


class Untranslatable(ValueError):
    """A sample with no translation to the standard (its message says why)."""


@dataclass(frozen=True)
class Spec:
    """How one OpInfo entry translates to the standard function ``std``.

    ``pos``: the standard keyword of each positional argument after the input
    (``"*"``: passed positionally); ``kw``: torch keyword -> standard keyword;
    ``defaults``: standard keywords torch's defaults imply (``std``: correction
    1); ``fix(args, kwargs)`` rewrites values or raises :class:`Untranslatable`;
    ``out``: torch returns a tuple and the standard only its element ``out``;
    ``post(xp, outs)``: makes gauge-dependent outputs comparable (eigenvector
    signs), applied to both sides; ``seq``: the input is a sequence of arrays.
    """

    std: str
    pos: tuple = ()
    kw: dict = field(default_factory=dict)
    defaults: dict = field(default_factory=dict)
    fix: Callable | None = None
    out: int | None = None
    post: Callable | None = None
    seq: bool = False


@dataclass
class Sample:
    """One OpInfo sample: ``id`` (``opinfo.<entry>[<index>]``), the standard
    function, the floating tensors as NumPy arrays (``xs``), the translated
    call ``fn(xp, *arrays)``, torch's call ``torch_fn(*tensors)``, or
    ``untranslated`` (the reason) when there is none."""

    id: str
    entry: str
    std: str
    dtype: str
    gradgrad: bool
    xs: list = field(default_factory=list)
    fn: Callable | None = None
    torch_fn: Callable | None = None
    untranslated: str = ""


@dataclass(frozen=True)
class _Leaf:
    i: int  # index into the sample's floating tensors


@dataclass(frozen=True)
class _Const:
    value: Any  # a NumPy array (an integer or boolean tensor of the sample)


AX = {"dim": "axis", "keepdim": "keepdims"}
_ELEMENTWISE = {
    "abs": "abs", "acos": "acos", "acosh": "acosh", "asin": "asin", "asinh": "asinh", "atan": "atan",
    "atanh": "atanh", "ceil": "ceil", "conj": "conj", "conj_physical": "conj", "cos": "cos",
    "cosh": "cosh", "exp": "exp", "expm1": "expm1", "floor": "floor", "imag": "imag", "log": "log",
    "log10": "log10", "log1p": "log1p", "log2": "log2", "neg": "negative", "positive": "positive",
    "real": "real", "reciprocal": "reciprocal", "round": "round", "sgn": "sign", "sign": "sign",
    "sin": "sin", "sinh": "sinh", "sqrt": "sqrt", "square": "square", "tan": "tan", "tanh": "tanh",
    "trunc": "trunc",
}
_BINARY = {
    "add": "add", "atan2": "atan2", "copysign": "copysign", "div.no_rounding_mode": "divide",
    "true_divide": "divide", "floor_divide": "floor_divide", "hypot": "hypot",
    "logaddexp": "logaddexp", "maximum": "maximum", "minimum": "minimum", "max.binary": "maximum",
    "min.binary": "minimum", "mul": "multiply", "nextafter": "nextafter", "pow": "pow",
    "remainder": "remainder", "sub": "subtract", "matmul": "matmul", "mm": "matmul", "bmm": "matmul",
    "mv": "matmul", "dot": "matmul", "vdot": "vecdot", "linalg.solve": "linalg.solve",
    "outer": "linalg.outer",
}


def _no(why: str) -> Callable:
    def fix(args: list, kw: dict) -> None:
        raise Untranslatable(why)
    return fix


def _axes(name: str, none_if_empty: bool = False) -> Callable:
    """``kw[name]``: a list becomes a tuple (an empty one: every axis, as torch reads it)."""
    def fix(args: list, kw: dict) -> None:
        v = kw.get(name)
        if isinstance(v, list):
            kw[name] = None if (none_if_empty and not v) else tuple(v)
    return fix


def _tuples(args: list, kw: dict) -> None:
    args[1:] = [tuple(a) if isinstance(a, list) else a for a in args[1:]]


def _correction(args: list, kw: dict) -> None:
    if _XS[0].dtype.kind == "c":
        raise Untranslatable("complex input (the standard's std and var take real input)")
    if "unbiased" in kw:
        kw["correction"] = int(bool(kw.pop("unbiased")))
    if kw.get("correction", 1) is None:  # torch's None is its default, 1
        kw["correction"] = 1
    _axes("axis", True)(args, kw)


def _clip(args: list, kw: dict) -> None:
    for k in ("min", "max"):
        if isinstance(kw.get(k), _Const):
            raise Untranslatable(f"integer tensor bound {k}= (the standard wants the input's dtype)")
    lo, hi = (_XS[v.i] if isinstance(v, _Leaf) else v for v in (kw.get("min"), kw.get("max")))
    if lo is not None and hi is not None and np.any(np.asarray(lo) > np.asarray(hi)):
        raise Untranslatable("bounds with min > max (unspecified in the standard)")


#: the standard's FFTs that take complex input only (torch promotes real input)
_COMPLEX_IN = ("fft.fft", "fft.ifft", "fft.fftn", "fft.ifftn", "fft.irfft", "fft.irfftn", "fft.hfft")


def _squeeze(args: list, kw: dict) -> None:
    if "axis" not in kw:  # torch drops every size-1 axis; the standard names them
        kw["axis"] = tuple(i for i, n in enumerate(_SHAPES[0]) if n == 1)
    elif isinstance(kw["axis"], list):
        kw["axis"] = tuple(kw["axis"])
    shape = _SHAPES[0]
    axes = kw["axis"] if isinstance(kw["axis"], tuple) else (kw["axis"],)
    if any(shape[a] != 1 for a in axes if shape):  # torch ignores axes that are not size 1
        kw["axis"] = tuple(a for a in axes if shape[a] == 1)


def _negative_axis(args: list, kw: dict) -> None:
    """cross and vecdot: the standard takes a negative axis only (counted from the end of the
    broadcast shape)."""
    if isinstance(kw.get("axis"), int) and kw["axis"] >= 0:
        kw["axis"] -= max(len(s) for s in _SHAPES)


def _solve(args: list, kw: dict) -> None:
    a, b = _SHAPES[0], _SHAPES[1]
    if len(b) > 1 and len(b) == len(a) - 1:
        raise Untranslatable("a batch of vectors as B (the standard reads a matrix)")


def _tensordot(args: list, kw: dict) -> None:
    if isinstance(kw.get("axes"), (list, tuple)):
        kw["axes"] = tuple(tuple(d) for d in kw["axes"])
        a, b = _SHAPES[0], _SHAPES[1]
        if any(a[i] != b[j] for i, j in zip(*kw["axes"])):
            raise Untranslatable("contracted axes of different sizes (torch broadcasts size 1)")


def _concat(args: list, kw: dict) -> None:
    if len({len(s) for s in _SHAPES}) > 1:
        raise Untranslatable("an empty 1-d tensor among n-d ones (torch's legacy concatenation)")


def _need_axis(args: list, kw: dict) -> None:
    if kw.get("axis") is None:
        raise Untranslatable("no dim: torch flattens the input")


def _not_0d(args: list, kw: dict) -> None:
    if len(_SHAPES[0]) == 0:
        raise Untranslatable("a 0-d input (torch accepts it; the standard needs an axis)")


def _matrix_norm(args: list, kw: dict) -> None:
    if tuple(kw.pop("axis", (-2, -1))) not in ((-2, -1),):
        raise Untranslatable("matrix_norm over other axes than the last two")


def _vector_norm(args: list, kw: dict) -> None:
    if kw.get("ord") == 0:
        raise Untranslatable("ord=0 counts nonzeros (no gradient)")
    _axes("axis")(args, kw)


def _diff(args: list, kw: dict) -> None:
    for k in ("prepend", "append"):
        if k in kw and kw[k] is None:
            del kw[k]


def _sum(args: list, kw: dict) -> None:
    _axes("axis", True)(args, kw)


def _svd_post(xp: Any, outs: list) -> list:
    u, s, vh = outs
    return [xp.abs(u), s, xp.abs(vh)]


def _eigh_post(xp: Any, outs: list) -> list:
    return [outs[0], xp.abs(outs[1])]


def _svd_fix(args: list, kw: dict) -> None:
    m, n = _SHAPES[0][-2:] if len(_SHAPES[0]) >= 2 else (0, 0)
    if kw.get("full_matrices", True) and m != n:
        raise Untranslatable("full_matrices=True of a non-square matrix (the extra vectors are arbitrary)")


def _fft(kind: str) -> Spec:
    if kind.endswith("n") or kind.endswith("2"):
        two = kind.endswith("2")

        def fix(args: list, kw: dict) -> None:
            if two:  # fft2 and friends: the last two axes by default
                kw.setdefault("axes", (-2, -1))
            for k in ("axes", "s"):
                v = kw.get(k)
                kw[k] = tuple(v) if isinstance(v, (list, tuple)) else v if v is None else (v,)
            if kw.get("axes") is None and kw.get("s") is not None:  # torch: the last len(s) axes
                kw["axes"] = tuple(range(-len(kw["s"]), 0))
            for k in [k for k, v in kw.items() if v is None]:
                del kw[k]
        return Spec("fft." + kind.rstrip("2").rstrip("n") + "n", kw={"s": "s", "dim": "axes", "norm": "norm"},
                    fix=fix)
    return Spec("fft." + kind, kw={"n": "n", "dim": "axis", "norm": "norm"})


TABLE: dict[str, Spec] = {
    **{k: Spec(v) for k, v in _ELEMENTWISE.items()},
    **{k: Spec(v, pos=("*",), fix=_solve if k == "linalg.solve" else None) for k, v in _BINARY.items()},
    "clamp": Spec("clip", pos=("min", "max"), kw={"min": "min", "max": "max"}, fix=_clip),
    "clamp_min": Spec("clip", pos=("min",), fix=_clip),
    "clamp_max": Spec("clip", pos=("max",), fix=_clip),
    "where": Spec("where", pos=("*", "*")),  # OpInfo's where is (x, cond, y); reordered below
    "sum": Spec("sum", pos=("axis", "keepdims"), kw=AX, fix=_sum),
    "mean": Spec("mean", pos=("axis", "keepdims"), kw=AX, fix=_sum),
    "prod": Spec("prod", pos=("axis", "keepdims"), kw=AX),
    "amax": Spec("max", pos=("axis", "keepdims"), kw=AX, fix=_sum),
    "amin": Spec("min", pos=("axis", "keepdims"), kw=AX, fix=_sum),
    "max.reduction_no_dim": Spec("max"),
    "min.reduction_no_dim": Spec("min"),
    "std": Spec("std", kw={**AX, "unbiased": "unbiased", "correction": "correction"},
                defaults={"correction": 1}, fix=_correction),
    "var": Spec("var", kw={**AX, "unbiased": "unbiased", "correction": "correction"},
                defaults={"correction": 1}, fix=_correction),
    "std.unbiased": Spec("std", pos=("unbiased",), defaults={"correction": 1}, fix=_correction),
    "var.unbiased": Spec("var", pos=("unbiased",), defaults={"correction": 1}, fix=_correction),
    "cumsum": Spec("cumulative_sum", pos=("axis",), kw={"dim": "axis"}),
    "cumprod": Spec("cumulative_prod", pos=("axis",), kw={"dim": "axis"}),
    "sort": Spec("sort", pos=("axis", "descending"), kw={"dim": "axis", "descending": "descending",
                                                        "stable": "stable"}, out=0, fix=_not_0d),
    "stack": Spec("stack", pos=("axis",), kw={"dim": "axis"}, seq=True),
    "cat": Spec("concat", pos=("axis",), kw={"dim": "axis"}, seq=True, fix=_concat),
    "squeeze": Spec("squeeze", pos=("axis",), kw={"dim": "axis"}, fix=_squeeze),
    "squeeze.multiple": Spec("squeeze", pos=("axis",), fix=_squeeze),
    "unsqueeze": Spec("expand_dims", pos=("axis",), kw={"dim": "axis"}),
    "flip": Spec("flip", pos=("axis",), kw={"dims": "axis"}, fix=_axes("axis")),
    "roll": Spec("roll", pos=("shift", "axis"), kw={"shifts": "shift", "dims": "axis"},
                 fix=lambda a, k: (_axes("shift")(a, k), _axes("axis")(a, k))),
    "permute": Spec("permute_dims", pos=("axes",), fix=_axes("axes")),
    "reshape": Spec("reshape", pos=("shape",), fix=_axes("shape")),
    "movedim": Spec("moveaxis", pos=("*", "*"), fix=_tuples),
    "tile": Spec("tile", pos=("*",), fix=_tuples),
    "repeat_interleave": Spec("repeat", kw={"repeats": "repeats", "dim": "axis"},
                              fix=lambda a, k: a.append(k.pop("repeats"))),
    "tril": Spec("tril", pos=("k",), kw={"diagonal": "k"}),
    "triu": Spec("triu", pos=("k",), kw={"diagonal": "k"}),
    "diff": Spec("diff", pos=("n", "axis", "prepend", "append"),
                 kw={"n": "n", "dim": "axis", "prepend": "prepend", "append": "append"}, fix=_diff),
    "take_along_dim": Spec("take_along_axis", pos=("*", "axis"), kw={"dim": "axis"}, fix=_need_axis),
    "tensordot": Spec("tensordot", pos=("*", "axes"), kw={"dims": "axes"}, fix=_tensordot),
    "trace": Spec("linalg.trace"),
    "linalg.diagonal": Spec("linalg.diagonal", kw={"offset": "offset"}),
    "linalg.cross": Spec("linalg.cross", pos=("*",), kw={"dim": "axis"}, fix=_negative_axis),
    "linalg.vecdot": Spec("vecdot", pos=("*",), kw={"dim": "axis"}, fix=_negative_axis),
    "linalg.det": Spec("linalg.det"),
    "linalg.inv": Spec("linalg.inv"),
    "linalg.slogdet": Spec("linalg.slogdet"),
    "linalg.cholesky": Spec("linalg.cholesky", kw={"upper": "upper"}),
    "linalg.eigh": Spec("linalg.eigh", kw={"UPLO": "UPLO"}, post=_eigh_post,
                        fix=lambda a, k: k.pop("UPLO", None)),
    "linalg.eigvalsh": Spec("linalg.eigvalsh", kw={"UPLO": "UPLO"}, fix=lambda a, k: k.pop("UPLO", None)),
    "linalg.eigvals": Spec("linalg.eigvals"),
    "linalg.svd": Spec("linalg.svd", kw={"full_matrices": "full_matrices"}, post=_svd_post, fix=_svd_fix),
    "linalg.svdvals": Spec("linalg.svdvals"),
    "linalg.qr": Spec("linalg.qr", kw={"mode": "mode"}),
    "linalg.pinv": Spec("linalg.pinv", kw={"rtol": "rtol"}),
    "linalg.matrix_power": Spec("linalg.matrix_power", pos=("*",)),
    "linalg.matrix_norm": Spec("linalg.matrix_norm", pos=("ord", "axis", "keepdims"),
                               kw={"ord": "ord", "dim": "axis", "keepdim": "keepdims"}, fix=_matrix_norm),
    "linalg.vector_norm": Spec("linalg.vector_norm", pos=("ord", "axis", "keepdims"),
                               kw={"ord": "ord", "dim": "axis", "keepdim": "keepdims"}, fix=_vector_norm),
    **{f"fft.{k}": _fft(k) for k in ("fft", "ifft", "rfft", "irfft", "hfft", "ihfft", "fftn", "ifftn",
                                     "rfftn", "irfftn", "fft2", "ifft2", "rfft2", "irfft2")},
    "fft.fftshift": Spec("fft.fftshift", kw={"dim": "axes"}, fix=_axes("axes")),
    "fft.ifftshift": Spec("fft.ifftshift", kw={"dim": "axes"}, fix=_axes("axes")),
}

#: the floating tensors of the sample being translated and their shapes (read by a few ``fix``
#: functions)
_XS: list = []
_SHAPES: list = []


@lru_cache(maxsize=1)
def _load() -> tuple[Any, str]:
    try:
        mod = __import__(_MODULE, fromlist=["op_db"])
        return list(mod.op_db), ""
    except Exception as e:  # torch missing, the internal module moved, or its test deps missing
        return None, f"OpInfo is unavailable: cannot import {_MODULE}.op_db ({type(e).__name__}: {e})"


def load() -> tuple[list | None, str]:
    """``(op_db, "")``, or ``(None, reason)`` when it cannot be imported (cached)."""
    return _load()


def key(op: Any) -> str:
    """The entry's name in :data:`TABLE`: ``name`` or ``name.variant``."""
    return op.name + (f".{op.variant_test_name}" if op.variant_test_name else "")


def entries() -> list:
    """The OpInfo entries with a standard counterpart, in op_db's order."""
    db, _ = load()
    return [op for op in db or () if key(op) in TABLE and op.supports_autograd]


def samples(op: Any, dtype: str) -> Iterator[Sample]:
    """The samples of one OpInfo entry in ``dtype`` (of :data:`DTYPES`), translated.

    The torch generator is seeded from the entry's name, so the samples (and
    their ids) are the same on every run."""
    import torch

    k = key(op)
    td = getattr(torch, dtype)
    if td not in op.supported_backward_dtypes("cpu"):
        return
    wrapper = getattr(op.gradcheck_wrapper, "__name__", "")
    with torch.random.fork_rng():
        torch.manual_seed(zlib.crc32(f"{k}/{dtype}".encode()))
        raw = list(op.sample_inputs("cpu", td, requires_grad=True))
    for i, s in enumerate(raw):
        out = Sample(f"opinfo.{k}[{i}]", k, TABLE[k].std, dtype, bool(op.supports_gradgrad))
        try:
            if wrapper not in ("<lambda>", "wrapper_set_seed", "gradcheck_wrapper_hermitian_input"):
                raise Untranslatable(f"gradcheck wrapper {wrapper}")
            _translate(op, TABLE[k], s, out, hermitian=wrapper == "gradcheck_wrapper_hermitian_input")
        except Untranslatable as e:
            out.untranslated = str(e)
        yield out


def _translate(op: Any, spec: Spec, s: Any, out: Sample, hermitian: bool) -> None:
    import torch

    tensors: list = []

    def place(v: Any) -> Any:
        if isinstance(v, torch.Tensor):
            if (v.dtype.is_floating_point or v.dtype.is_complex) and v.requires_grad:
                tensors.append(v.detach())
                return _Leaf(len(tensors) - 1)
            return _Const(v.detach().numpy().copy())
        if isinstance(v, (list, tuple)):
            return type(v)(place(u) for u in v)
        if isinstance(v, (torch.dtype, torch.device, torch.memory_format)):
            raise Untranslatable(f"argument {v!r}")
        return v

    inp, args, kwargs = place(s.input), place(tuple(s.args)), {k: place(v) for k, v in s.kwargs.items()}
    if not tensors:
        raise Untranslatable("no tensor that requires a gradient")
    out.xs = [t.resolve_conj().resolve_neg().numpy().copy() for t in tensors]
    _XS[:] = out.xs
    _SHAPES[:] = [x.shape for x in out.xs]
    std_args: list = [list(inp) if spec.seq else inp]
    rest = args
    if out.entry == "where":  # OpInfo calls where(cond, input, other) as (input, cond, other)
        std_args, rest = [args[0], inp, args[1]], ()
    std_kw: dict = {}
    for j, a in enumerate(rest):
        if j >= len(spec.pos):
            raise Untranslatable(f"positional argument {j + 1} ({a!r})")
        if spec.pos[j] == "*":
            std_args.append(a)
        else:
            std_kw[spec.pos[j]] = a
    for name, v in kwargs.items():
        if name not in spec.kw:
            raise Untranslatable(f"keyword {name}={v!r}")
        std_kw[spec.kw[name]] = v
    for name, v in spec.defaults.items():
        std_kw.setdefault(name, v)
    if spec.fix is not None:
        spec.fix(std_args, std_kw)
    ax = std_kw.get("axis", std_kw.get("axes"))
    if not spec.seq and out.xs[0].ndim == 0 and ax not in (None, ()) and not isinstance(inp, list):
        raise Untranslatable(f"axis {ax} of a 0-d array (torch accepts 0 and -1 there)")
    std = getattr_path(spec.std)
    promote = spec.std in _COMPLEX_IN and out.xs[0].dtype.kind == "f"
    pick, post = spec.out, spec.post

    def fn(xp: Any, *arrays: Any) -> Any:
        a = list(arrays)
        if hermitian:
            a[0] = a[0] + xp.conj(xp.matrix_transpose(a[0]))
        if promote:  # torch promotes real input of these FFTs; the standard wants complex
            a[0] = xp.astype(a[0], xp.complex128)
        res = std(xp)(*_fill(xp, std_args, a), **_fill(xp, std_kw, a))
        return post(xp, list(res)) if post is not None else res

    def torch_fn(*ts: Any) -> Any:
        t = list(ts)
        if hermitian:
            t[0] = t[0] + t[0].mH
        res = op.op(_fill(None, inp, t), *_fill(None, args, t), **_fill(None, kwargs, t))
        if pick is not None:
            res = res[pick]
        if post is not None:
            from array_api_compat import torch as txp
            return post(txp, list(res))
        return res

    out.fn, out.torch_fn = fn, torch_fn


def _fill(xp: Any, v: Any, arrays: list) -> Any:
    """``v`` with its placeholders replaced: leaves by ``arrays``, constants by
    ``xp.asarray`` (by torch tensors when ``xp`` is None: the oracle's call)."""
    if isinstance(v, _Leaf):
        return arrays[v.i]
    if isinstance(v, _Const):
        if xp is None:
            import torch
            return torch.as_tensor(v.value)
        return xp.asarray(v.value)
    if isinstance(v, dict):
        return {k: _fill(xp, u, arrays) for k, u in v.items()}
    if isinstance(v, (list, tuple)):
        return type(v)(_fill(xp, u, arrays) for u in v)
    return v
