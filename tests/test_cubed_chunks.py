"""cubed (issue 12, item 4): the issue's loss runs within cubed's ``allowed_mem``
and its gradient keeps the input's chunks (the generic backend's ``like``);
before, cubed broadcast the reduced cotangents in chunks of one element."""

from __future__ import annotations

import numpy as np
import pytest

cubed = pytest.importorskip("cubed")
cubed_random = pytest.importorskip("cubed.random")

import ag_bridge  # noqa: E402
from ag_bridge import autograd  # noqa: E402


def test_loss_gradient_keeps_chunks_within_allowed_mem():
    n = 40_000
    spec = cubed.Spec(allowed_mem="20MB")  # cubed refuses a plan whose tasks would exceed it
    x_raw = cubed_random.random((n,), chunks=(n // 10,), spec=spec)
    x = ag_bridge.asarray(x_raw)
    x.attach_grad()
    xp = x._backend.namespace
    with autograd.record():
        loss = xp.sum(xp.tanh(x) * x) / n + xp.mean(x ** 2)
    loss.backward()
    g = ag_bridge.unwrap(x.grad)
    assert g.chunks == x_raw.chunks
    v = np.asarray(x_raw.compute())
    t = np.tanh(v)  # the hand-written gradient, NumPy
    np.testing.assert_allclose(np.asarray(g.compute()), (t + v * (1 - t * t)) / n + 2 * v / n,
                               rtol=1e-12, atol=1e-18)
