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
from types import MappingProxyType

from ._spec import SPECS

__all__ = ["Rule", "fast_rule", "defvjp", "defvjp_joint", "RULES", "freeze"]

_rules: dict[str, Rule] = {}
_frozen = False


class Rule:
    """The VJP of one op: per-argument functions, or one joint function.

    A backend's own kernels (:attr:`Backend.fast_vjps`, e.g. a fused library kernel) make a
    rule of this same class (:func:`fast_rule`) whose ``portable`` is the registered rule,
    the one ``create_graph`` passes and every other path use; a registered rule's
    ``portable`` is None. (One class: the sweep's reads of ``rule.fns`` stay monomorphic.)
    """

    __slots__ = ("name", "fns", "joint", "portable")

    def __init__(self, name: str, fns: tuple | None, joint: Callable | None,
                 portable: Rule | None = None) -> None:
        self.name = name
        self.fns = fns
        self.joint = joint
        self.portable = portable

    def __repr__(self) -> str:
        return f"<ag_bridge {'fast ' if self.portable is not None else ''}rule {self.name}>"


def fast_rule(rule: Rule, fns: tuple) -> Rule:
    """The rule of plain backward passes made of a backend's functions ``fns`` (one per
    array argument), standing in for the registered ``rule``."""
    return Rule(rule.name, tuple(fns), None, rule)


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
