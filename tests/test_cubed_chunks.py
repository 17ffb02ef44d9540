"""cubed (issue 12, item 4): the issue's loss and MXNet-style SGD steps run within
cubed's ``allowed_mem`` (cubed refuses, when it plans, any task it projects above it).
The loss's gradient keeps the input's chunks (the generic backend's ``like``); before,
cubed broadcast the reduced cotangents in chunks of one element. SGD: features larger
than ``allowed_mem`` (no task may hold them), the updated parameter keeps its spec
(``Backend.settle``; before, it came back with cubed's default spec, which cubed refused
to combine with the features), and each step's plan is the same size."""

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


def test_sgd_steps_on_features_larger_than_allowed_mem():
    rows, d, lr = 40_000, 8, 0.5
    spec = cubed.Spec(allowed_mem="2MB")
    X_raw = cubed_random.random((rows, d), chunks=(rows // 10, d), spec=spec) * 4 - 2
    y_raw = cubed.sign(X_raw @ cubed.asarray(np.linspace(-1.0, 1.0, d), spec=spec) + 0.1)
    assert X_raw.nbytes > spec.allowed_mem > 4 * X_raw.nbytes / 10  # a chunk fits, X does not
    X, y = ag_bridge.asarray(X_raw), ag_bridge.asarray(y_raw)
    w = ag_bridge.asarray(cubed.zeros((d,), chunks=(d,), spec=spec))
    w.attach_grad()
    xp = w._backend.namespace
    Xn, yn, wn = np.asarray(X_raw.compute()), np.asarray(y_raw.compute()), np.zeros(d)
    tasks = []
    for _ in range(3):
        with autograd.record():
            loss = xp.mean(xp.log(1 + xp.exp(-y * xp.matmul(X, w))))
        loss.backward()
        plan = ag_bridge.unwrap(w.grad).plan()
        assert plan.max_projected_mem <= spec.allowed_mem
        tasks.append(plan.num_tasks)
        w[:] = w - lr * w.grad  # computes the gradient within allowed_mem, settles w
        assert ag_bridge.unwrap(w).spec == spec and ag_bridge.unwrap(w).plan().num_tasks == 0
        wn = wn - lr * (Xn.T @ (-yn / (1 + np.exp(yn * (Xn @ wn)))) / rows)  # by hand, NumPy
        np.testing.assert_allclose(w.asnumpy(), wn, rtol=1e-12, atol=1e-15)
    assert len(set(tasks)) == 1, tasks  # the graph of a step does not grow
    assert wn @ np.linspace(-1.0, 1.0, d) > 0  # it learns the right direction
