"""Small lazy values evaluated inside the tasks that use them, instead of being one task
every block of a chunked array waits on.

A reduced cotangent (the gradient of ``mean`` or ``sum``: the head's ones divided by a
count) is a tiny graph of its own. Broadcast into a chunked input's blocks, it becomes a
second dependency of every block's task, and Dask's linear fusion then stops at the
block: the task that loads or generates the input's chunk runs apart, its result held in
the worker's memory (and the next one started) until the gradient's task takes it. The
gradient written by hand has Python numbers there, and its data chunk fuses into the
task that consumes it. :func:`inline` hands :meth:`Backend.like` such a value's graph to
evaluate in each block's task (microseconds: every array in it is small), so the block
keeps its data as its only dependency.
"""

from __future__ import annotations

import math
from typing import Any

import dask

try:  # Dask's task objects (2024.12 and later)
    from dask._task_spec import GraphNode
except ImportError:  # pragma: no cover - older Dask: never inline
    GraphNode = None

__all__ = ["Inline", "inline"]

MAX_TASKS = 32  #: at most this many tasks are recomputed per block
MAX_ELEMENTS = 4096  #: ... and each of their results is at most this many elements


class Inline:
    """A small graph and its output key; calling it computes the value in this thread.

    The value is computed once per copy of the object and kept (every block of the array
    that holds it asks for the same value: the threaded scheduler shares one copy, a
    cluster's worker gets its own). The tasks run directly, each after its dependencies,
    without a scheduler (``dask.get`` would order and dispatch the few tasks again in
    every block: about 0.4 ms each time)."""

    def __init__(self, graph: dict, key: Any):
        self.graph, self.key = graph, key
        self._value: tuple = ()  # (value,) once computed

    def __getstate__(self) -> dict:
        return {"graph": self.graph, "key": self.key}  # the value is not shipped

    def __setstate__(self, state: dict) -> None:
        self.graph, self.key, self._value = state["graph"], state["key"], ()

    def __call__(self) -> Any:
        if not self._value:  # two threads may both compute it: the same value, once stored
            self._value = (_run(self.graph, self.key, {}),)
        return self._value[0]


def _run(graph: dict, key: Any, done: dict) -> Any:
    """The value of ``key`` in ``graph`` (a few tasks: recursion is shallow), its
    dependencies computed first and each task once (``done``)."""
    node = graph[key]
    for dep in node.dependencies:
        if dep not in done:
            done[dep] = _run(graph, dep, done)
    return node(done)


def _small_layers(value: Any) -> bool:
    """Whether every layer of ``value``'s graph is a small array by Dask's own record of
    it (a layer without that record, or a large one, makes the answer no)."""
    layers = value.__dask_graph__().layers
    if len(layers) > MAX_TASKS:
        return False
    for layer in layers.values():
        shape = (layer.collection_annotations or {}).get("shape")
        if shape is None or any(n != n for n in shape) or math.prod(shape) > MAX_ELEMENTS:
            return False
    return True


def inline(value: Any) -> Inline | None:
    """``value`` (a Dask array of one block) as an :class:`Inline` when its whole graph is
    a few tasks on small arrays, held in the graph itself (no data persisted elsewhere, no
    futures); else None."""
    if GraphNode is None or value.npartitions != 1 or not _small_layers(value):
        return None
    graph = dict(value.__dask_graph__())
    if len(graph) > MAX_TASKS or not all(isinstance(node, GraphNode) for node in graph.values()):
        return None
    if any(dep not in graph for node in graph.values() for dep in node.dependencies):
        return None  # refers to something outside the graph (a future on a cluster)
    (key,) = dask.core.flatten(value.__dask_keys__())
    return Inline(graph, key)
