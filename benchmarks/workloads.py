"""The workloads of ``benchmarks/run.py``: one callable per system, the same work for each.

W1: the 1,000-op elementwise chain of ``bench_engine.chain`` on 16 float64 (record + backward).
W2: one SGD step of the 784-256-10 tanh MLP, batch 64, float32 (``bench_engine.w2_*``).
W3: four ``tanh(h @ W)`` layers, 1024 x 1024 float32, loss ``sum``; forward alone or with backward.
W4: the W1 chain with 100,000 ops (time; peak memory in a child process).
A system missing from this installation gives no callable (None) and is left out.
"""

from __future__ import annotations

from importlib.metadata import PackageNotFoundError, version
from typing import Any

import bench_engine as be
import numpy as np

import ag_bridge
from ag_bridge import autograd as ag

AG = {b: f"ag_bridge ({b})" for b in ("numpy", "torch", "jax")}
HIPS, TORCH, JAX = "HIPS autograd", "torch.autograd", "jax.grad"
AG_JIT, JAX_JIT = "jit(ag_bridge grad) (jax)", "jit(jax.grad)"
#: W2 only: the same step with its gradients written out by hand in NumPy (no autodiff), the
#: floor of any NumPy autodiff (its matmuls are NumPy's BLAS, torch's are its own)
BY_HAND = "NumPy by hand"
SYSTEMS = [AG["numpy"], AG["torch"], AG["jax"], HIPS, TORCH, JAX, AG_JIT, JAX_JIT, BY_HAND]

try:
    import torch
except ImportError:  # pragma: no cover
    torch = None
try:
    import jax
    import jax.numpy as jnp

    jax.config.update("jax_enable_x64", True)
except ImportError:  # pragma: no cover
    jax = jnp = None


def versions() -> dict:
    """Versions of the optional libraries (the machine description has the others)."""
    out = {}
    for lib in ("jax", "jaxlib", "matplotlib"):
        try:
            out[lib] = version(lib)
        except PackageNotFoundError:
            pass
    return out


def _raw(backend: str, a: np.ndarray, device: Any = None) -> Any:
    if backend == "torch":
        return torch.tensor(a, device=device)
    if backend == "jax":
        return jnp.asarray(a)
    return a.copy()


def _available(backend: str) -> bool:
    return {"numpy": True, "torch": torch is not None, "jax": jax is not None}[backend]


# ------------------------------------------------------------------------------- W1, W4
def _ag_chain(backend: str, n: int) -> Any:
    if not _available(backend):
        return None
    xp = ag_bridge.namespace(backend)
    x = ag_bridge.asarray(_raw(backend, be.w1_input()), backend=backend)
    x.attach_grad()

    def run() -> Any:
        with ag.record():
            y = xp.sum(be.chain(xp, x, n))
        y.backward()
        return x.grad

    return run


def _jax_chain(n: int) -> Any:
    if jax is None:
        return None
    g = jax.grad(lambda x: jnp.sum(be.chain(jnp, x, n)))
    x = jnp.asarray(be.w1_input())
    return lambda: jax.block_until_ready(g(x))


def w1_cases(n: int) -> dict:
    """W1 (``n`` ops): system -> callable (record + backward)."""
    out = {AG[b]: _ag_chain(b, n) for b in AG}
    out[HIPS] = be.w1_hips(be.w1_input(), n) if be.hips is not None else None
    out[TORCH] = be.w1_torch(be.w1_input(), n) if torch is not None else None
    out[JAX] = _jax_chain(n)
    return out


def w4_cases(n: int = 100_000) -> dict:
    """W4: the chain with ``n`` ops on the NumPy and torch backends and torch.autograd."""
    return {AG["numpy"]: _ag_chain("numpy", n), AG["torch"]: _ag_chain("torch", n),
            TORCH: be.w1_torch(be.w1_input(), n) if torch is not None else None}


# ------------------------------------------------------------------------------- W2
def _loss(m: Any, params: list, X: Any, Y: Any, stop: Any) -> Any:
    W1, b1, W2, b2 = params
    h = m.tanh(X @ W1 + b1)
    logits = h @ W2 + b2
    z = logits - m.max(stop(logits), axis=1, keepdims=True)
    lse = m.log(m.sum(m.exp(z), axis=1, keepdims=True))
    return m.mean(lse - m.sum(z * Y, axis=1, keepdims=True))


def _ag_step(backend: str, X0: np.ndarray, Y0: np.ndarray, p0: list, device: Any = None) -> Any:
    """One SGD step of ag_bridge on ``backend`` (``step.leaves``: the parameters)."""
    if not _available(backend):
        return None
    xp = ag_bridge.namespace(backend)
    X, Y = (ag_bridge.asarray(_raw(backend, a, device), backend=backend) for a in (X0, Y0))
    params = [ag_bridge.asarray(_raw(backend, p, device), backend=backend) for p in p0]
    for p in params:
        p.attach_grad()

    def step() -> Any:
        with ag.record():
            loss = _loss(xp, params, X, Y, lambda a: a.detach())
        loss.backward()
        for p in params:
            p -= be.W2_LR * p.grad
        return loss

    step.leaves = params
    return step


def _jax_grads() -> tuple:
    """W2's gradient function with ag_bridge on JAX and with ``jax.grad``: ``(parameters, X,
    Y)`` in, gradients out. The batch is an argument, as in a training loop (closed over, it
    would be a constant that XLA folds: ``X.T`` computed at compile time, a different kernel)."""
    xp = ag_bridge.namespace("jax")

    def ours(ps: list, X: Any, Y: Any) -> list:
        arrs = [ag_bridge.asarray(p, backend="jax") for p in ps]
        for a in arrs:
            a.attach_grad()
        with ag.record():
            loss = _loss(xp, arrs, ag_bridge.asarray(X), ag_bridge.asarray(Y), lambda a: a.detach())
        return [ag_bridge.unwrap(g) for g in ag.grad(loss, arrs)]

    return ours, jax.grad(lambda ps, X, Y: _loss(jnp, ps, X, Y, jax.lax.stop_gradient))


def _jax_steps(X0: np.ndarray, Y0: np.ndarray, p0: list) -> dict:
    if jax is None:
        return {}
    X, Y = jnp.asarray(X0), jnp.asarray(Y0)
    ours, ref = _jax_grads()

    def sgd(ps: list, gs: list) -> list:
        return [p - be.W2_LR * g for p, g in zip(ps, gs, strict=True)]

    def stepper(grad_fn: Any, update: Any) -> Any:
        state = [jnp.asarray(p) for p in p0]

        def step() -> Any:
            state[:] = update(state, grad_fn(state, X, Y))
            return jax.block_until_ready(state)

        return step

    # eager: the update op by op; jit: one compiled update, the same for both systems (eight
    # eager dispatches took about half of the jit step and diluted its ratio towards 1)
    jsgd = jax.jit(sgd)
    return {AG["jax"]: stepper(ours, sgd), JAX: stepper(ref, sgd),
            AG_JIT: stepper(jax.jit(ours), jsgd), JAX_JIT: stepper(jax.jit(ref), jsgd)}


def jit_programs() -> dict:
    """W2's two gradient functions compiled by ``jax.jit`` (``AG_JIT``, ``JAX_JIT``): for each,
    ``(call, cost)``, where ``call()`` runs the compiled program alone (no update) and ``cost``
    is XLA's cost analysis of it (``flops``, ``bytes accessed``, ``transcendentals``)."""
    if jax is None:
        return {}
    X0, Y0, p0 = be.w2_data()
    args = ([jnp.asarray(p) for p in p0], jnp.asarray(X0), jnp.asarray(Y0))
    out = {}
    for name, fn in zip((AG_JIT, JAX_JIT), _jax_grads(), strict=True):
        compiled = jax.jit(fn).lower(*args).compile()
        cost = compiled.cost_analysis()
        cost = cost[0] if isinstance(cost, (list, tuple)) else cost  # (a list in older jax)
        keys = ("flops", "bytes accessed", "transcendentals")
        out[name] = (lambda c=compiled: jax.block_until_ready(c(*args)),
                     {k: float(cost[k]) for k in keys if k in cost})
    return out


def w2_cases() -> dict:
    """W2: system -> one SGD step (JAX: eager and jit, gradients then the update; and NumPy
    with its gradients written by hand)."""
    X, Y, p0 = be.w2_data()
    out = {AG[b]: _ag_step(b, X, Y, p0) for b in ("numpy", "torch")}
    out[HIPS] = be.w2_hips(X, Y, p0)[0] if be.hips is not None else None
    out[TORCH] = be.w2_torch(X, Y, p0)[0] if torch is not None else None
    out.update(_jax_steps(X, Y, p0))
    out[BY_HAND] = be.w2_numpy(X, Y, p0)[0]
    return out


# ------------------------------------------------------------------------------- W3
W3_N, W3_LAYERS = 1024, 4


def _w3_data() -> list:
    rng = np.random.default_rng(3)
    return [(rng.standard_normal((W3_N, W3_N)) / np.sqrt(W3_N)).astype(np.float32)
            for _ in range(W3_LAYERS + 1)]


def _ag_w3(backend: str, mats: list, backward: bool, device: Any = None) -> Any:
    """W3 with ag_bridge on ``backend`` (``run.leaves``: the weights)."""
    if not _available(backend):
        return None
    xp = ag_bridge.namespace(backend)
    h0, *ws = (ag_bridge.asarray(_raw(backend, m, device), backend=backend) for m in mats)
    for w in ws:
        w.attach_grad()

    def run() -> Any:
        with ag.record():
            h = h0
            for w in ws:
                h = xp.tanh(h @ w)
            y = xp.sum(h)
        if backward:
            y.backward()
        return y

    run.leaves = ws
    return run


def _hips_w3(mats: list, backward: bool) -> Any:
    if be.hips is None:
        return None
    hnp = be.hnp
    h0, *ws = mats

    def f(ws: list) -> Any:
        h = h0
        for w in ws:
            h = hnp.tanh(h @ w)
        return hnp.sum(h)

    g = be.hips.grad(f)
    return (lambda: g(ws)) if backward else (lambda: f(ws))


def _torch_w3(mats: list, backward: bool, device: Any = None) -> Any:
    """W3 with torch.autograd (``run.leaves``: the weights)."""
    if torch is None:
        return None
    h0, *ws = (torch.tensor(m, device=device) for m in mats)
    for w in ws:
        w.requires_grad_(True)

    def run() -> Any:
        h = h0
        for w in ws:
            w.grad = None
            h = torch.tanh(h @ w)
        y = torch.sum(h)
        if backward:
            y.backward()
        return y

    run.leaves = ws
    return run


def w3_cases(backward: bool) -> dict:
    """W3: system -> forward (and backward when ``backward``) of the 4-layer network."""
    mats = _w3_data()
    return {AG["numpy"]: _ag_w3("numpy", mats, backward), AG["torch"]: _ag_w3("torch", mats, backward),
            HIPS: _hips_w3(mats, backward), TORCH: _torch_w3(mats, backward)}
