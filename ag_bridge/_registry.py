"""The rule registry: VJPs keyed by the spec table's qualified names.

A rule is a plain function ``rule(xp, g, ans, *args, **kwargs)`` returning
the cotangent of one array argument (``defvjp``, one function per argument)
or of all of them at once (``defvjp_joint``, a tuple aligned with the array
arguments; used by sequence inputs and decompositions). ``xp`` is the raw
backend namespace during a plain backward and the recording namespace under
``create_graph=True``; rules never import an array library.

The registry is filled when :mod:`ag_bridge.rules` is imported and is
read-only afterwards.
"""

from __future__ import annotations

from collections.abc import Callable
from types import FunctionType, MappingProxyType
from typing import Any

from ._spec import SPECS

__all__ = ["Rule", "fast_rule", "real_rule", "defvjp", "defvjp_joint", "RULES", "freeze"]

_rules: dict[str, Rule] = {}
_frozen = False


class Rule:
    """The VJP of one op: per-argument functions, or one joint function.

    A backend's own kernels (:attr:`Backend.fast_vjps`, e.g. a fused library kernel) make a
    rule of this same class (:func:`fast_rule`) whose ``portable`` is the registered rule,
    the one ``create_graph`` passes and every other path use; a registered rule's
    ``portable`` is None. (One class: the sweep's reads of ``rule.fns`` stay monomorphic.)
    """

    __slots__ = ("name", "fns", "joint", "portable", "exact", "_real")

    def __init__(self, name: str, fns: tuple | None, joint: Callable | None,
                 portable: Rule | None = None, exact: bool = False) -> None:
        self._real: dict = {}  # exact -> this rule's real_rule, made once
        self.name = name
        self.fns = fns
        self.joint = joint
        self.portable = portable
        #: the recorder vouches that each cotangent has its input's shape and dtype
        #: (:func:`real_rule` with ``exact``): the sweep does not check them
        self.exact = exact

    def __setattr__(self, name: str, value: Any) -> None:
        # fns replaced (a test's wrong rule, monkeypatched): the real variants follow
        object.__setattr__(self, name, value)
        if name == "fns":  # (_real is unset while copy or pickle restores the slots)
            for real in getattr(self, "_real", {}).values():
                if real is not self:
                    real.fns = _real_fns(value)

    def __repr__(self) -> str:
        return f"<ag_bridge {'fast ' if self.portable is not None else ''}rule {self.name}>"


def fast_rule(rule: Rule, fns: tuple) -> Rule:
    """The rule of plain backward passes made of a backend's functions ``fns`` (one per
    array argument), standing in for the registered ``rule``."""
    return Rule(rule.name, tuple(fns), None, rule)


def _same(xp: Any, a: Any) -> Any:
    return a


#: a rule module's globals with ``cj`` bound to :func:`_same`, one copy per module
_REAL_GLOBALS: dict[int, dict] = {}


def _without_cj(fn: Callable) -> Callable:
    if "cj" not in fn.__code__.co_names:
        return fn
    glb = fn.__globals__
    real = _REAL_GLOBALS.get(id(glb))
    if real is None:
        real = _REAL_GLOBALS[id(glb)] = dict(glb, cj=_same)
    clone = FunctionType(fn.__code__, real, fn.__name__, fn.__defaults__, fn.__closure__)
    clone.__qualname__, clone.__kwdefaults__ = fn.__qualname__, fn.__kwdefaults__
    return clone


def real_rule(rule: Rule | None, exact: bool = False) -> Rule | None:
    """``rule`` for calls whose arguments and result are all real: the same functions with
    ``cj`` (the conjugation of a derivative factor) bound to the identity, which it is on
    real values, and which cost as much as the product it feeds. The recorder picks it for
    such calls; ``portable`` (create_graph passes) is the registered rule. ``exact``: marked
    :attr:`Rule.exact`, for calls whose cotangents have their inputs' shapes and dtypes.
    ``rule`` itself when it would be the same."""
    if rule is None or rule.fns is None:
        return rule
    real = rule._real.get(exact)
    if real is None:
        fns = _real_fns(rule.fns)
        real = rule._real[exact] = rule if fns == rule.fns and not exact else \
            Rule(rule.name, fns, None, rule.portable or rule, exact)
    return real


def _real_fns(fns: tuple) -> tuple:
    return tuple(None if f is None else _without_cj(f) for f in fns)


def _register(name: str, rule: Rule) -> None:
    if _frozen:
        raise RuntimeError(f"the rule registry is read-only after import; cannot add {name!r}")
    if name in _rules:
        raise ValueError(f"a VJP rule for {name!r} is already registered")
    if name in SPECS and not SPECS[name].differentiable:
        raise ValueError(f"{name!r} is marked non-differentiable in the spec table")
    _rules[name] = rule


def defvjp(name: str, *fns: Callable | None) -> None:
    """Register one VJP function per array argument of ``name`` (None: no gradient)."""
    _register(name, Rule(name, tuple(fns), None))


def defvjp_joint(name: str, fn: Callable) -> None:
    """Register one function that returns the cotangents of all array arguments."""
    _register(name, Rule(name, None, fn))


def freeze() -> None:
    """Make the registry read-only (called once all rule modules are imported)."""
    global _frozen, RULES
    _frozen = True
    RULES = MappingProxyType(_rules)


#: name -> Rule (a read-only view once :func:`freeze` ran)
RULES: MappingProxyType[str, Rule] | dict[str, Rule] = _rules
