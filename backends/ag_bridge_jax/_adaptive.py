"""Shape functions that become one compiled program once their shapes recur.

In eager JAX, ``jnp.broadcast_to``, ``jnp.expand_dims``, ``jnp.matrix_transpose``
and ``jnp.ones_like`` go through Python checks and a primitive dispatch on every
call (50-100 µs each on a small array), while a ``jax.jit`` of the same function
is served by JAX's C++ dispatch (6-12 µs). Compiling costs milliseconds, though,
and the conformance suite calls these on hundreds of shapes once each. So
:func:`adaptive` calls the function as it is until the same shapes, dtype,
placement and static arguments have come back :data:`RECUR` times (a training
loop does by its second step), and the jitted function from then on. Tracers
(inside ``jax.jit``), weakly typed arrays and arrays sharded over several devices
always take the function as it is; a committed array's results stay on its device.
The results are the same either way: the same function, traced by JAX.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import jax

from ag_bridge._patch import stands_for

__all__ = ["adaptive", "RECUR"]

#: calls with one key before the compiled program serves it
RECUR = 2
_LIMIT = 4096  # keys remembered before the counts start over

_Tracer = jax.core.Tracer
_OneDevice = jax.sharding.SingleDeviceSharding


def adaptive(fn: Callable, static: tuple = (), first: Callable | None = None) -> Callable:
    """``fn(x, *args)`` eagerly (or ``first(x, *args)``, the same result by a way that
    compiles nothing), and jitted once ``x``'s key recurred; ``static`` names the
    arguments after ``x``, in order (hashable, compile-time: shapes, axes)."""
    first = fn if first is None else first
    counts: dict = {}
    nstatic = len(static)
    statics = tuple(range(1, 1 + nstatic))
    programs: dict = {None: jax.jit(fn, static_argnums=statics)}

    def program(place: Any) -> Callable:
        # a committed array's results stay on its device (a jitted zeros_like would not:
        # its output does not depend on the input's data)
        p = programs.get(place)
        if p is None:
            p = programs[place] = jax.jit(fn, static_argnums=statics, out_shardings=place)
        return p

    def f(x: Any, /, *args: Any, **kwargs: Any) -> Any:
        if kwargs:  # the static ones, as positional arguments in ``static``'s order
            rest = static[len(args):]
            if len(args) + len(kwargs) != nstatic or not set(kwargs) <= set(rest):
                return fn(x, *args, **kwargs)
            args = args + tuple(kwargs[k] for k in rest)
        elif len(args) != nstatic:
            return fn(x, *args)
        if isinstance(x, _Tracer) or not isinstance(x, jax.Array) or x.weak_type:
            return fn(x, *args)
        place = x.sharding if x.committed else None
        if place is not None and not isinstance(place, _OneDevice):
            return fn(x, *args)  # sharded over devices: JAX places the result
        try:
            key = (x.shape, x.dtype, place, args)
            n = counts.get(key, 0)
        except TypeError:  # an unhashable argument (a list for a shape): no program
            return fn(x, *args)
        if n >= RECUR:
            return program(place)(x, *args)
        out = first(x, *args)
        if len(counts) >= _LIMIT:
            counts.clear()
        counts[key] = n + 1
        return out

    return stands_for(f, fn)  # jnp's own results: conformance.reach does not sample it
