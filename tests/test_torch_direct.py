"""The torch plugin's direct calls (``ag_bridge_torch._direct``) give array-api-compat's
results exactly: same values, dtype and device, for every replaced function, with
operands of one dtype, of two dtypes (array-api-compat's promotion) and Python numbers."""

from __future__ import annotations

import inspect

import pytest

torch = pytest.importorskip("torch")
compat = pytest.importorskip("array_api_compat.torch")

import ag_bridge  # noqa: E402

_INT_ONLY = {"bitwise_and", "bitwise_or", "bitwise_xor", "bitwise_left_shift",
             "bitwise_right_shift"}
_BOOL_ONLY = {"logical_and", "logical_or", "logical_xor"}


def _direct():
    ag_bridge.namespace("torch")  # loads the plugin
    import ag_bridge_torch._direct as d

    return d


def _operands(name):
    g = torch.Generator().manual_seed(0)
    if name in _INT_ONLY:
        a = torch.randint(0, 7, (3, 4), generator=g, dtype=torch.int32)
        return a, torch.randint(0, 3, (3, 4), generator=g, dtype=torch.int32), \
            torch.randint(0, 3, (4,), generator=g, dtype=torch.int64), 2
    if name in _BOOL_ONLY:
        a = torch.rand(3, 4, generator=g) > 0.5
        return a, torch.rand(3, 4, generator=g) > 0.3, torch.rand(4, generator=g) > 0.5, True
    a = torch.rand(3, 4, generator=g, dtype=torch.float32) + 0.5
    return a, torch.rand(3, 4, generator=g, dtype=torch.float32) + 0.5, \
        torch.rand(4, generator=g, dtype=torch.float64) + 0.5, 1.5


def _same(got, want):
    assert got.dtype == want.dtype and got.shape == want.shape and got.device == want.device
    assert torch.equal(got, want) or torch.allclose(got, want, equal_nan=True, rtol=0, atol=0)


def test_the_common_functions_are_replaced():
    d = _direct()
    import ag_bridge_torch

    for name in ("add", "subtract", "multiply", "divide", "pow", "matmul", "matrix_transpose"):
        assert name in d.DIRECT
        assert getattr(ag_bridge_torch._xp, name) is not getattr(compat, name)


@pytest.mark.parametrize("name", ["add", "atan2", "bitwise_and", "bitwise_left_shift", "copysign",
                                  "divide", "equal", "floor_divide", "greater", "hypot",
                                  "logaddexp", "logical_and", "maximum", "minimum", "multiply",
                                  "nextafter", "not_equal", "pow", "remainder", "subtract"])
def test_two_argument_functions_match_array_api_compat(name):
    d = _direct()
    if name not in d.DIRECT:
        pytest.skip(f"array-api-compat's {name} is not a thin wrapper in this version")
    import ag_bridge_torch

    fast, slow = getattr(ag_bridge_torch._xp, name), getattr(compat, name)
    assert fast is not slow
    a, b, wide, number = _operands(name)
    for x1, x2 in ((a, b), (a, wide), (wide, a), (a, number), (number, a), (a[0, 0], b)):
        try:
            want = slow(x1, x2)
        except Exception as exc:  # the same error either way
            with pytest.raises(type(exc)):
                fast(x1, x2)
            continue
        _same(fast(x1, x2), want)


def test_matmul_and_matrix_transpose_match_array_api_compat():
    import ag_bridge_torch

    xp = ag_bridge_torch._xp
    g = torch.Generator().manual_seed(1)
    a32 = torch.rand(2, 3, 4, generator=g)
    b32, b64 = torch.rand(4, 5, generator=g), torch.rand(4, 5, generator=g, dtype=torch.float64)
    _same(xp.matmul(a32, b32), compat.matmul(a32, b32))
    _same(xp.matmul(a32, b64), compat.matmul(a32, b64))  # promoted by array-api-compat
    _same(xp.matrix_transpose(a32), compat.matrix_transpose(a32))
    with pytest.raises(ValueError):
        xp.matrix_transpose(torch.ones(3))


def test_direct_functions_keep_the_signatures_the_namespace_showed():
    """The recording namespace shows what it showed over array-api-compat's functions."""
    from ag_bridge._signatures import signature_of

    xp = ag_bridge.namespace("torch")
    for name in ("add", "multiply", "matmul", "matrix_transpose", "sum", "max"):
        assert str(inspect.signature(getattr(xp, name))) == str(signature_of(name, getattr(compat, name)))


@pytest.mark.parametrize("name", ["sum", "mean", "max", "min"])
def test_reductions_match_array_api_compat(name):
    """Every axis form (int, negative, tuple, (), None) with and without keepdims, and
    sum's dtype=, on float, int and bool tensors: array-api-compat's result or its error."""
    import ag_bridge_torch

    d = _direct()
    assert name in d.DIRECT
    fast, slow = getattr(ag_bridge_torch._xp, name), getattr(compat, name)
    assert fast is not slow
    g = torch.Generator().manual_seed(2)
    tensors = [torch.rand(3, 4, 2, generator=g, dtype=torch.float64),
               torch.randint(-5, 5, (3, 4), generator=g, dtype=torch.int32),
               torch.rand(3, 4, generator=g) > 0.5, torch.tensor(2.5)]
    extra = [{}, {"dtype": torch.float64}] if name == "sum" else [{}]
    for x in tensors:
        for axis in (None, 0, -1, (0, 1), (), (1, 0)):
            for keepdims in (False, True):
                for kw in extra:
                    try:
                        want = slow(x, axis=axis, keepdims=keepdims, **kw)
                    except Exception as exc:  # the same error either way
                        with pytest.raises(type(exc)):
                            fast(x, axis=axis, keepdims=keepdims, **kw)
                        continue
                    _same(fast(x, axis=axis, keepdims=keepdims, **kw), want)
