"""Which conformance cases reach a plugin's own code (issue 13).

A sampled backend (:data:`policy.SAMPLED_BACKENDS`) still runs every case that
reaches code its plugin defines, decided by code, not by a list:

* the plugin's own functions are the methods its ``Backend`` class defines and
  the functions of its namespace (``xp``, ``xp.fft``, ``xp.linalg``) defined in
  the plugin's module (JAX: ``index_add``, ``index_set``, ``special_function``,
  ``permute_dims``, ``fftn``, ...), less the plumbing every case goes through
  (converting arrays, gradient buffers: :func:`plumbing`), which the first
  case of each op exercises anyway, and less the functions marked ``speed_only``
  (a faster route to the library's own function, e.g. JAX's shape functions
  jitted once their shapes recur: the library's results by construction);
* a case reaches one of them when running it through ag_bridge on NumPy (the
  forward, the backward and, for second-order records, the ``create_graph``
  backward, in float64 and complex128) calls a function of that name: the
  engine and the rules are the same code on every backend, so the calls they
  make into the backend's hooks and namespace are the same too.
"""

from __future__ import annotations

import inspect
import sys
import types
import warnings
from functools import cache
from typing import Any

import numpy as np

import ag_bridge
from ag_bridge import autograd

from ._record import RECORDS, Case, make_inputs
from .check import _draw, _forward, _hvp, _rng, gradients

__all__ = ["plugin_functions", "plumbing", "reached", "reaches_plugin"]


def _traced(run: Any) -> frozenset:
    """Names of the Python functions called while ``run()`` runs."""
    seen: set[str] = set()

    def prof(frame: Any, event: str, arg: Any) -> None:
        if event == "call":
            seen.add(frame.f_code.co_name)

    old = sys.getprofile()
    sys.setprofile(prof)
    try:
        with warnings.catch_warnings():  # the run's numbers are not looked at
            warnings.simplefilter("ignore")
            run()
    finally:
        sys.setprofile(old)
    return frozenset(seen)


@cache
def plumbing() -> frozenset:
    """Functions every case calls on NumPy: arrays in and out, gradient buffers, a backward."""

    def run() -> None:
        with ag_bridge.use_backend("numpy"):
            for dt in (np.float64, np.complex128):
                x = ag_bridge.asarray(np.ones(3, dtype=dt))
                x.attach_grad()
                with autograd.record():
                    y = x * x
                y.backward(ag_bridge.asarray(np.ones(3, dtype=dt)))
                x.grad.asnumpy()

    return _traced(run)


def _own(obj: Any, module: str) -> bool:
    # ``speed_only``: a plugin's faster route to the library's own function, the same
    # results by construction (JAX's jitted shape functions): not a deviation to sample
    return inspect.isfunction(obj) and (obj.__module__ or "").split(".")[0] == module \
        and not getattr(obj, "speed_only", False)


@cache
def plugin_functions(backend: str) -> frozenset:
    """Names of the functions the plugin of ``backend`` defines (see the module docstring)."""
    b = ag_bridge.load_backend(backend)
    module = type(b).__module__.split(".")[0]
    names = {k for k, v in vars(type(b)).items() if inspect.isfunction(v)}
    spaces = [b.xp] + [getattr(b.xp, s, None) for s in ("fft", "linalg")]
    for ns in spaces:
        if isinstance(ns, types.ModuleType):
            names |= {k for k in dir(ns) if _own(getattr(ns, k, None), module)}
    return frozenset(names - plumbing())


def reached(case: Case) -> frozenset:
    """Names of the functions ``case`` calls running through ag_bridge on NumPy
    (``{"?"}`` when it does not run there); traced once per record."""
    cases = RECORDS.get(case.op, [])
    if any(c is case for c in cases):
        return _reached_record(case.op, next(i for i, c in enumerate(cases) if c is case))
    return _trace_case(case)


@cache
def _reached_record(op: str, index: int) -> frozenset:
    return _trace_case(RECORDS[op][index])


@cache
def _settled() -> None:
    """Resolve every special function of the NumPy backend before the first trace: the
    namespace asks the plugin's ``special_function`` once per backend and name, so what a case
    reaches would otherwise depend on what ran before it in the process."""
    from ag_bridge._special import NAMES, raw_special

    b = ag_bridge.load_backend("numpy")
    for name in NAMES:
        getattr(raw_special(b), name)
        getattr(b.namespace.special, name)


def _trace_case(case: Case) -> frozenset:
    _settled()

    def run() -> None:
        b = ag_bridge.load_backend("numpy")
        with ag_bridge.use_backend(b):
            for dtype in (np.float64, np.complex128) if case.complex else (np.float64,):
                rng = _rng(case, dtype)
                xs = make_inputs(case, rng, dtype)
                vs = [_draw(rng, o) for o in _forward(case, b, xs)]
                gradients(case, b, xs, vs)
                if case.second_order:
                    _hvp(case, b, xs, vs, [_draw(rng, x) for x in xs])

    try:
        return _traced(run)
    except Exception:  # NumPy lacks the forward: nothing known, run it wherever it is sampled
        return frozenset({"?"})


def reaches_plugin(case: Case, backend: str) -> bool:
    """True when ``case`` reaches a function the plugin of ``backend`` defines (or could not be
    traced on NumPy)."""
    seen = reached(case)
    return "?" in seen or bool(seen & plugin_functions(backend))
