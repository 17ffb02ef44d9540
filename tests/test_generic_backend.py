"""The backend layer around the generic backend: what is refused, how lookup works, and
the engine's import structure."""

from __future__ import annotations

import ast
import pathlib

import numpy
import pytest

import ag_bridge
from ag_bridge import autograd

ROOT = pathlib.Path(ag_bridge.__file__).parent


class _Opaque:
    shape = (2,)


@pytest.mark.parametrize("obj", [object(), _Opaque(), {"a": 1}])
def test_an_unknown_object_is_a_type_error_naming_its_type(obj):
    with pytest.raises(TypeError, match=rf"type .*{type(obj).__name__}.*pass Python numbers"):
        ag_bridge.asarray(obj)


@pytest.mark.parametrize("recording", [False, True])
@pytest.mark.parametrize("reflected", [False, True])
def test_a_raw_array_of_another_library_is_refused_at_the_operation(recording, reflected):
    torch = pytest.importorskip("torch")
    x = ag_bridge.asarray(numpy.array([1.0, 2.0]))
    x.attach_grad()
    before = x.grad.asnumpy().copy()
    t = torch.tensor([3.0, 4.0], dtype=torch.float64)
    with pytest.raises(TypeError, match=r"multiply\(\): arrays from libraries 'torch' .* and 'numpy'"):
        if recording:
            with autograd.record():
                _ = t * x if reflected else x * t
        else:
            _ = t * x if reflected else x * t
    numpy.testing.assert_array_equal(x.grad.asnumpy(), before)  # nothing changed


def test_wrapped_arrays_of_two_libraries_are_refused_naming_both():
    torch = pytest.importorskip("torch")
    x = ag_bridge.asarray(numpy.array([1.0, 2.0]))
    t = ag_bridge.asarray(torch.tensor([3.0, 4.0], dtype=torch.float64))
    with pytest.raises(TypeError, match="'torch' and 'numpy'|'numpy' and 'torch'"):
        with autograd.record():
            _ = x * t
    with pytest.raises(TypeError, match="cannot be combined"):
        x[0] = torch.tensor(1.0)


def test_numpy_scalars_still_act_as_numbers():
    torch = pytest.importorskip("torch")
    t = ag_bridge.asarray(torch.tensor([1.0, 2.0]))
    numpy.testing.assert_array_equal((t * numpy.float32(2.0)).asnumpy(), [2.0, 4.0])


def test_the_generic_backend_is_cached_per_namespace_and_named_after_the_library():
    import array_api_strict

    from ag_bridge._generic import generic_backend

    b = generic_backend(array_api_strict)
    assert b is generic_backend(array_api_strict) and b.name == "array_api_strict"
    assert b is not ag_bridge.load_backend("array_api_strict")  # the plugin is another backend
    assert b.caps is b.caps  # probed once


def test_an_unknown_backend_name_is_a_value_error():
    with pytest.raises(ValueError, match="unknown ag_bridge backend .* nor is it an importable array API"):
        ag_bridge.use_backend("no_such_library_xyz").__enter__()


def _imports(path: pathlib.Path) -> tuple[set, list]:
    """(modules imported at module level, names of functions that import inside)."""
    tree = ast.parse(path.read_text())
    top = set()
    for node in tree.body:
        if isinstance(node, ast.ImportFrom) and node.level:
            top.add(node.module)
    inner = [f.name for f in ast.walk(tree) if isinstance(f, ast.FunctionDef)
             for n in ast.walk(f) if isinstance(n, ast.ImportFrom) and n.level]
    return top, inner


def test_the_sweep_depends_only_on_the_node_and_state_modules():
    top, inner = _imports(ROOT / "_backward.py")
    assert top == {"_node", "_state"} and not inner


@pytest.mark.parametrize("module", ["_array", "_autograd_core", "_heads", "_lift", "_namespace", "_recorder"])
def test_engine_modules_import_nothing_inside_functions(module):
    assert _imports(ROOT / f"{module}.py")[1] == []
