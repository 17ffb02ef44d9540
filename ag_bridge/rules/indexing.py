"""VJPs of indexing: ``take``, ``take_along_axis``, ``__getitem__``, ``__setitem__``.

The standard has no scatter-add, but these VJPs need one: ``xp._index_add``
is the backend's (``np.add.at``, ``index_add_``, ``.at[].add``) in a plain
backward and a recorded op (whose VJP is the gather) under create_graph.
Duplicate indices accumulate.
"""

from __future__ import annotations

from .._registry import defvjp


def _gather_back(xp, g, ans, x, key):
    return xp._index_add(xp.zeros_like(x), key, g)


def _set_target(xp, g, ans, x, key, v):
    return xp._index_set(g, key, 0)


def _set_value(xp, g, ans, x, key, v):
    return g[key]


defvjp("__getitem__", _gather_back)
defvjp("__setitem__", _set_target, None, _set_value)
defvjp("_index_set", _set_target, None, _set_value)
defvjp("_index_add", lambda xp, g, ans, x, key, v: g, None, _set_value)
