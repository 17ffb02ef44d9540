#!/usr/bin/env python
"""Where ag_bridge's time goes on NumPy: a per-op cost ladder and cProfile of W1/W2.

Run from the repository root (after ``benchmarks/bench_engine.py``)::

    python benchmarks/profile_engine.py              # cost ladder + cProfile top 20
    python benchmarks/profile_engine.py --top 40 --only ladder

The *cost ladder* times one 16-element float64 op with each engine layer
added in turn (raw ufunc, wrapper without recording, recorded forward), then
the pieces of the backward sweep for one node, each in isolation with
``timeit`` (best of several repeats, in nanoseconds). Differences between
rungs are the cost of each layer; they add up to the W1 per-op time of
``bench_engine.py`` within a few tenths of a microsecond. The numbers are
for engine developers: they name the function to speed up, not a bar.
"""

from __future__ import annotations

import os

for _var in ("OMP_NUM_THREADS", "OPENBLAS_NUM_THREADS", "MKL_NUM_THREADS"):
    os.environ[_var] = "1"

import argparse  # noqa: E402
import cProfile  # noqa: E402
import io  # noqa: E402
import pstats  # noqa: E402
import sys  # noqa: E402
import timeit  # noqa: E402
from heapq import heappop, heappush  # noqa: E402
from pathlib import Path  # noqa: E402

sys.path.insert(0, str(Path(__file__).resolve().parent))

import bench_engine as B  # noqa: E402  (sets sys.path to this checkout)
import numpy as np  # noqa: E402

import ag_bridge  # noqa: E402
from ag_bridge import _node  # noqa: E402
from ag_bridge._array import wrap  # noqa: E402
from ag_bridge._registry import RULES, real_rule  # noqa: E402
from ag_bridge._state import STATE  # noqa: E402
from ag_bridge.autograd import record  # noqa: E402
from ag_bridge.rules._util import cj  # noqa: E402


def ns(stmt: str, env: dict, number: int = 20000, repeat: int = 7) -> float:
    """Best-of-``repeat`` nanoseconds per execution of ``stmt``."""
    t = timeit.Timer(stmt, globals=env)
    return min(t.repeat(repeat=repeat, number=number)) / number * 1e9


def ladder() -> list[tuple[str, float, str]]:
    """(label, ns, note) for the forward and backward of one elementwise op."""
    xp = B.XP
    b = ag_bridge.load_backend("numpy")
    raw = np.linspace(-1.0, 1.0, B.W1_SIZE)
    const = ag_bridge.asarray(raw.copy())
    leaf = ag_bridge.asarray(raw.copy())
    leaf.attach_grad()
    ans = np.sin(raw)
    g = np.ones_like(raw)
    parents = ((0, leaf._node, -1),)
    rule = RULES["sin"]
    rxp = b.rule_xp
    env = dict(np=np, xp=xp, raw=raw, const=const, leaf=leaf, ans=ans, g=g, b=b, STATE=STATE,
               Node=_node.Node, wrap=wrap, rule=rule, rxp=rxp, parents=parents,
               record=record, cj=cj, real=real_rule(rule), c=np.cos(raw) * g, h=[],
               heappush=heappush, heappop=heappop, SEQ=_node._SEQ, Array=ag_bridge.Array,
               SCALARS=(bool, int, float, complex), mf=RULES["multiply"].fns[0], tf=RULES["tanh"].fns[0])
    try:
        env["node"] = _node.Node("sin", rule, (raw,), {}, ans, parents, b, False)
    except TypeError:  # the Node signature changed; the rows that use it say n/a
        env["node"] = None
    rows = []
    with record():
        head = B.chain(xp, leaf, 1000)
    env["head"] = head._node

    def add(label: str, stmt: str, note: str = "", per: int = 1, **kw) -> None:
        try:
            rows.append((label, ns(stmt, env, **kw) / per, note))
        except Exception as exc:  # an engine internal changed: say so, keep going
            rows.append((label, float("nan"), f"n/a ({type(exc).__name__}: {exc})"))

    # ------------------------------------------------------------ forward
    add("np.sin(raw)", "np.sin(raw)", "the NumPy floor of one forward op")
    add("raw * 2.0", "raw * 2.0", "")
    add("xp.sin(constant Array)", "xp.sin(const)", "wrapper, no graph: unwrap + _wrap_out")
    add("xp.sin(leaf) outside record()", "xp.sin(leaf)", "parents built, STATE checked, no node")
    token = STATE.set((True, True))
    try:
        add("xp.sin(leaf) inside record()", "xp.sin(leaf)", "full recorded forward op")
        add("leaf * 2.0 inside record()", "leaf * 2.0", "operator path: _operand + namespace lookup")
        add("xp.multiply(leaf, 2.0) inside record()", "xp.multiply(leaf, 2.0)", "")
    finally:
        STATE.reset(token)
    add("  Node(...) constructor", "Node('sin', rule, (raw,), {}, ans, parents, b, False)",
        "10 slot stores + next(_SEQ)")
    add("  wrap(out, b, node)", "wrap(ans, b, node)", "object.__new__ + 4 slot stores")
    add("  STATE.get()[0]", "STATE.get()[0]", "ContextVar read")
    add("  b.coerce(out)", "b.coerce(ans)", "NumPy scalar -> 0-d check")
    add("  b.is_inexact(out.dtype)", "b.is_inexact(ans.dtype)", "")
    add("  leaf._backend.namespace", "leaf._backend.namespace", "property on every operator call")
    add("  next(_SEQ)", "next(SEQ)", "the node's creation number")
    add("  Array operator dispatch check", "isinstance(2.0, (Array,) + SCALARS)",
        "_operand() builds this tuple on every operator call")
    # ------------------------------------------------------------ backward, one node
    add("np.cos(raw) * g", "np.cos(raw) * g", "the NumPy floor of sin's VJP")
    add("rule sin: fns[0](rxp, g, ans, raw)", "rule.fns[0](rxp, g, ans, raw)",
        "the registered rule: lambda + cj()")
    add("real rule sin: real_rule(rule).fns[0](...)", "real.fns[0](rxp, g, ans, raw)",
        "what a real call records: cj bound to the identity")
    add("  cj(rxp, arr) (real)", "cj(rxp, ans)", "in every registered rule of a holomorphic op")
    add("rule mul-by-scalar: fns[0](rxp, g, ans, raw, 2.0)",
        "mf(rxp, g, ans, raw, 2.0)", "g * cj(xp, 2.0)")
    add("rule tanh: fns[0](rxp, g, ans, raw)", "tf(rxp, g, ans, raw)", "g * cj(xp, 1 - ans * ans)")
    add("  the sweep's shape + dtype check", "c.dtype is raw.dtype or c.dtype == raw.dtype; "
        "c.shape != raw.shape", "skipped for calls recorded exact (SAME_LAYOUT)")
    add("  accumulate: grads.get + store",
        "d = {}; prev = d.get(node); d[node] = g if prev is None else prev + g", "(+ the {} here)")
    add("  heap push + pop", "heappush(h, (-node.seq, node)); heappop(h)",
        "a node reached while another waits (a chain keeps its next node off the heap)")
    add("  b.rule_xp", "b.rule_xp", "property read once per node in the sweep")
    add("  node.free()", "node.args = (raw,); node.free()", "(+ one re-assignment here)")
    return rows


def profile(which: str, top: int) -> str:
    """cProfile of ag_bridge on W1 (50 runs) or W2 (300 steps); top functions by own time."""
    if which == "w1":
        run, n = B.w1_ag(B.w1_input()), 50
    else:
        X, Y, p0 = B.w2_data()
        run, n = B.w2_ag(X, Y, p0)[0], 300
    for _ in range(5):
        run()
    pr = cProfile.Profile()
    pr.enable()
    for _ in range(n):
        run()
    pr.disable()
    out = io.StringIO()
    st = pstats.Stats(pr, stream=out)
    st.sort_stats("tottime").print_stats(top)
    text = out.getvalue()
    root = str(Path(__file__).resolve().parent.parent) + "/"
    return text.replace(root, "")


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--only", default="ladder,w1,w2", help="comma-separated: ladder,w1,w2")
    ap.add_argument("--top", type=int, default=20, help="functions to list per cProfile run")
    args = ap.parse_args()
    only = set(args.only.split(","))
    if "ladder" in only:
        rows = ladder()
        print(f"Cost ladder: one op on {B.W1_SIZE} float64 (ns, best of 7; indented rows are parts "
              "of the row above them)")
        width = max(len(r[0]) for r in rows)
        for label, t, note in rows:
            print(f"  {label.ljust(width)}  {t:8.0f}  {note}")
    for which in ("w1", "w2"):
        if which in only:
            print(f"\ncProfile of ag_bridge on {which.upper()} (sorted by own time; NumPy ufunc time is "
                  "counted in the calling function's own time)")
            print(profile(which, args.top))


if __name__ == "__main__":
    main()
