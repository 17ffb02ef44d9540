"""ag_bridge on each framework next to that framework's own autodiff.

    python benchmarks/bench_backends.py [--rounds N]

Prints, from one process with the systems interleaved round by round, the
median time of: (T1) a 784-256-10 tanh MLP step (batch 64, float32, softmax
cross-entropy) with ag_bridge on torch vs torch.autograd; (T2) a 4-layer
1024x1024 float32 matmul chain; (J1) the same MLP gradient with ag_bridge on
JAX (eager) vs ``jax.grad`` (eager); (J2) ``jax.jit`` of a function using
``ag_bridge.autograd.grad`` vs ``jax.jit(jax.grad(...))``. Ratios are
ag_bridge / reference. Timings, never assertions: the machine is shared.
"""

from __future__ import annotations

import argparse
import os
import statistics
import time

os.environ.setdefault("OMP_NUM_THREADS", "1")

import numpy as np  # noqa: E402

import ag_bridge  # noqa: E402
from ag_bridge import autograd  # noqa: E402


def _mlp_data(rng):
    return (rng.standard_normal((784, 256)).astype(np.float32) * 0.05,
            rng.standard_normal((256, 10)).astype(np.float32) * 0.05,
            rng.standard_normal((64, 784)).astype(np.float32),
            rng.integers(0, 10, 64))


def _loss(xp, w1, w2, x, onehot):
    z = xp.matmul(xp.tanh(xp.matmul(x, w1)), w2)
    m = xp.max(z, axis=1, keepdims=True)
    lse = xp.log(xp.sum(xp.exp(z - m), axis=1, keepdims=True)) + m
    return -xp.sum((z - lse) * onehot) / x.shape[0]


def _ag_step(name, data):
    with ag_bridge.use_backend(name):
        xp = ag_bridge.namespace(name)
        w1, w2, x = (ag_bridge.asarray(a, backend=name) for a in data[:3])
        onehot = ag_bridge.asarray(np.eye(10, dtype=np.float32)[data[3]], backend=name)
        w1.attach_grad()
        w2.attach_grad()

    def step():
        with autograd.record():
            loss = _loss(xp, w1, w2, x, onehot)
        loss.backward()
        return w1.grad
    return step


def _torch_step(data):
    import array_api_compat.torch as tx
    import torch

    w1, w2, x = (torch.tensor(a, requires_grad=i < 2) for i, a in enumerate(data[:3]))
    onehot = torch.tensor(np.eye(10, dtype=np.float32)[data[3]])

    def step():
        w1.grad = w2.grad = None
        _loss(tx, w1, w2, x, onehot).backward()
        return w1.grad
    return step


def _chain(name_or_torch, rng):
    mats = [rng.standard_normal((1024, 1024)).astype(np.float32) / 32 for _ in range(5)]
    if name_or_torch == "torch.autograd":
        import torch

        ts = [torch.tensor(m, requires_grad=True) for m in mats]

        def step():
            for t in ts:
                t.grad = None
            y = ts[0]
            for t in ts[1:]:
                y = torch.matmul(y, t)
            y.sum().backward()
            return ts[0].grad
        return step
    with ag_bridge.use_backend("torch"):
        xp = ag_bridge.namespace("torch")
        arrs = [ag_bridge.asarray(m, backend="torch") for m in mats]
        for a in arrs:
            a.attach_grad()

    def step():
        with autograd.record():
            y = arrs[0]
            for a in arrs[1:]:
                y = xp.matmul(y, a)
            s = xp.sum(y)
        s.backward()
        return arrs[0].grad
    return step


def _jax_steps(data):
    import jax
    import jax.numpy as jnp

    w1, w2, x = (jnp.asarray(a) for a in data[:3])
    onehot = jnp.asarray(np.eye(10, dtype=np.float32)[data[3]])
    ref_grad = jax.grad(lambda a, b: _loss(jnp, a, b, x, onehot), argnums=(0, 1))

    def ours(a, b):
        xp = ag_bridge.namespace("jax")
        aa, bb = ag_bridge.asarray(a), ag_bridge.asarray(b)
        aa.attach_grad()
        bb.attach_grad()
        with autograd.record():
            loss = _loss(xp, aa, bb, ag_bridge.asarray(x), ag_bridge.asarray(onehot))
        ga, gb = autograd.grad(loss, [aa, bb])
        return ag_bridge.unwrap(ga), ag_bridge.unwrap(gb)

    jit_ref, jit_ours = jax.jit(ref_grad), jax.jit(ours)

    def block(f):
        return lambda: jax.block_until_ready(f(w1, w2))
    return {"J1 eager": (block(ours), block(ref_grad)), "J2 jit": (block(jit_ours), block(jit_ref))}


def _time(fns: dict, rounds: int) -> dict:
    for f in fns.values():
        f()
        f()
    out = {k: [] for k in fns}
    names = list(fns)
    for r in range(rounds):
        for k in names[r % len(names):] + names[:r % len(names)]:
            t = time.perf_counter_ns()
            fns[k]()
            out[k].append((time.perf_counter_ns() - t) / 1e6)
    return {k: statistics.median(v) for k, v in out.items()}


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--rounds", type=int, default=30)
    args = ap.parse_args()
    rng = np.random.default_rng(0)
    data = _mlp_data(rng)
    rows = []
    try:
        import torch

        torch.set_num_threads(1)
        t = _time({"ag_bridge[torch]": _ag_step("torch", data), "torch.autograd": _torch_step(data)},
                  args.rounds)
        rows.append(("T1 MLP step (torch)", t["ag_bridge[torch]"], t["torch.autograd"], "<= 1.5"))
        t = _time({"ag_bridge[torch]": _chain("ag", rng), "torch.autograd": _chain("torch.autograd", rng)},
                  max(5, args.rounds // 3))
        rows.append(("T2 4x1024^2 matmul chain", t["ag_bridge[torch]"], t["torch.autograd"], "<= 1.1"))
    except ImportError:
        print("torch not installed: T1/T2 skipped")
    try:
        for label, (ours, ref) in _jax_steps(data).items():
            t = _time({"ours": ours, "ref": ref}, args.rounds)
            rows.append((f"{label} MLP grad (jax)", t["ours"], t["ref"],
                         "< 1 (faster)" if "eager" in label else "<= 1.1"))
    except ImportError:
        print("jax not installed: J1/J2 skipped")
    print(f"{'workload':30} {'ag_bridge ms':>13} {'reference ms':>13} {'ratio':>7}  target")
    for name, ours, ref, target in rows:
        print(f"{name:30} {ours:13.3f} {ref:13.3f} {ours / ref:7.2f}  {target}")


if __name__ == "__main__":
    main()
