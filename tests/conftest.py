"""Shared fixtures: every engine test runs on every installed backend.

``AG_BRIDGE_TEST_BACKENDS=numpy,torch`` restricts the list (default: all
installed). Tests take the ``backend`` fixture (a loaded
:class:`ag_bridge.Backend`) or ``xp`` (its recording namespace).
"""

from __future__ import annotations

import os

# Conformance runs in float64 (JAX in 64-bit mode) with fast XLA compiles: set before JAX
# starts (conformance/_env.py says why).
from ag_bridge.conformance._env import prepare  # noqa: E402

prepare()
# SciPy follows the array API only when this is set before scipy is first imported, and
# jax (loaded below with every backend) imports scipy: tests/test_downstream.py needs it.
os.environ.setdefault("SCIPY_ARRAY_API", "1")

import pytest  # noqa: E402

import ag_bridge  # noqa: E402


def _backends() -> list[str]:
    wanted = os.environ.get("AG_BRIDGE_TEST_BACKENDS")
    names = ag_bridge.available_backends()
    if wanted:
        names = [n for n in wanted.split(",") if n in names]
    return names or ["numpy"]


BACKENDS = _backends()


def on_backend(name: str):
    """``use_backend(name)``, on AG_BRIDGE_DEVICE when AG_BRIDGE_BACKEND names it (torch on cuda)."""
    device = os.environ.get("AG_BRIDGE_DEVICE") if name == os.environ.get("AG_BRIDGE_BACKEND") else None
    return ag_bridge.use_backend(name, device=device)


@pytest.fixture(params=BACKENDS)
def backend(request):
    """A loaded backend; arrays made with ``ag_bridge.asarray`` inside the test land on it."""
    with on_backend(request.param) as b:
        yield b


@pytest.fixture
def xp(backend):
    """The recording namespace of the current backend."""
    return backend.namespace


def torch_autograd_sees_asarray() -> bool:
    """Whether ``torch.asarray(t)`` keeps ``t``'s autograd graph (PyTorch 2.13 does; 2.11 and
    earlier return it with ``requires_grad=False``, pytorch#170819). Library code that
    canonicalises its input with ``xp.asarray`` (SciPy, scikit-learn, array-api-extra) is then
    invisible to torch.autograd, which cannot serve as the oracle: tests use finite differences."""
    import warnings

    import torch

    t = torch.ones(1, requires_grad=True)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")  # 2.13 warns that the default now follows the input
        kept = torch.asarray(t).requires_grad
    return kept and t.requires_grad
