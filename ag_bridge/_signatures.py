"""The signatures the recording namespace's functions show (``inspect.signature``).

A wrapper shows the library function's own signature, less the NumPy-only
parameters the standard does not have. Where that says less than the standard
-- a builtin Python cannot inspect (torch's ``argmax``), a plugin's forwarding
wrapper ``(x, /, **kw)``, an op the library lacks -- it shows the standard's,
read from array-api-strict (the standard's reference implementation) when that
is installed. That reading is lazy: building a namespace imports no other
array library; the first ``inspect.signature`` of such a function does.
"""

from __future__ import annotations

import functools
import inspect
from collections.abc import Callable
from typing import Any

__all__ = ["signature_of"]

# Parameters of NumPy functions that the standard does not have; `out=` would
# write past the tape.
HIDDEN = {"out", "where", "casting", "order", "subok", "signature", "initial", "like"}


def _own(raw: Callable) -> inspect.Signature | None:
    try:
        sig = inspect.signature(raw)
    except (TypeError, ValueError):
        return None
    return sig.replace(parameters=[p for p in sig.parameters.values() if p.name not in HIDDEN])


@functools.cache
def _standard(qualname: str) -> inspect.Signature | None:
    try:
        import array_api_strict as ref
    except ImportError:
        return None
    obj: Any = ref
    for part in qualname.split("."):
        obj = getattr(obj, part, None)
    sig = None if obj is None else _own(obj)
    if sig is None:
        return None
    bare = inspect.Parameter.empty  # strict's annotations name strict's own types
    return sig.replace(parameters=[p.replace(annotation=bare) for p in sig.parameters.values()],
                       return_annotation=bare)


def _forwards_keywords(sig: inspect.Signature, std: inspect.Signature | None) -> bool:
    """A forwarding wrapper: it takes keywords through ``**kw`` without naming the standard's."""
    if not any(p.kind is inspect.Parameter.VAR_KEYWORD for p in sig.parameters.values()):
        return False
    return std is not None and not set(std.parameters) <= set(sig.parameters)


class _Deferred(inspect.Signature):
    """A signature decided on first use: the library's own or the standard's (module
    docstring). Behaves as the decided :class:`inspect.Signature`."""

    __slots__ = ("_qualname", "_own_sig", "_decided")

    def __init__(self, qualname: str, own: inspect.Signature | None) -> None:
        super().__init__()
        self._qualname, self._own_sig, self._decided = qualname, own, None

    def _get(self) -> inspect.Signature:
        if self._decided is None:
            own, std = self._own_sig, _standard(self._qualname)
            use = std if own is None or _forwards_keywords(own, std) else own
            self._decided = use if use is not None else inspect.Signature(
                [inspect.Parameter("args", inspect.Parameter.VAR_POSITIONAL),
                 inspect.Parameter("kwargs", inspect.Parameter.VAR_KEYWORD)])
        return self._decided

    @property
    def parameters(self) -> Any:  # type: ignore[override]
        return self._get().parameters

    @property
    def return_annotation(self) -> Any:  # type: ignore[override]
        return self._get().return_annotation

    def replace(self, **changes: Any) -> inspect.Signature:  # type: ignore[override]
        return self._get().replace(**changes)


def signature_of(qualname: str, raw: Callable | None) -> inspect.Signature:
    """The signature the wrapper of ``raw`` (None: the library lacks the op) shows."""
    own = None if raw is None else _own(raw)
    if own is not None and not any(p.kind is inspect.Parameter.VAR_KEYWORD
                                   for p in own.parameters.values()):
        return own
    return _Deferred(qualname, own)
