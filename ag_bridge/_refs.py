"""The reference counts behind a mutable backend's buffer reuse, measured on this interpreter.

A plugin may write a buffer in place (:meth:`~ag_bridge.Backend.exclusive`) or let a
gradient buffer adopt a cotangent's memory (:meth:`~ag_bridge.Backend.write_into`) only
when nothing else refers to the array; NumPy's and PyTorch's plugins tell by
``sys.getrefcount``. What that count is when nothing else refers depends on the interpreter
as well as on the code: CPython 3.14 pushes borrowed references for most loads of a local
variable (gh-130704), so it counts one reference fewer than 3.13 for each such load along
the call chain (a check written for 3.13's counts took a buffer with one more holder for a
lone one, and wrote through a view, a ``detach()`` or a value saved for backward).

So a plugin does not write the counts down: :func:`calibrate` measures them once, through
the engine's own calls on fresh probe arrays (``exclusive`` called as the in-place
operators call it, ``write_into`` through the backward pass's
:func:`~ag_bridge._heads.apply`), and sets them on the plugin's class as
``refs_exclusive`` and ``refs_adopt``. Where one more reference does not turn a check
from yes to no, the count is set to 0, which turns that reuse off: correct values first.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from ._heads import apply

__all__ = ["calibrate"]

#: the counts tried: a lone array is seen with 1 to 4 references on CPython 3.10 to 3.14
_TRIED = range(1, 9)


class _Slot:
    """An Array's place for its raw array (what ``Array._data`` is to the engine)."""

    __slots__ = ("_data",)


class _Leaf:
    """What :func:`~ag_bridge._heads.apply` reads of a leaf."""

    __slots__ = ("grad", "grad_req", "backend")

    def __init__(self, grad: _Slot, backend: Any) -> None:
        self.grad, self.grad_req, self.backend = grad, "write", backend


def _least(cls: type, name: str, holds: Callable[[], bool]) -> int:
    """Set ``cls.name`` to the least count for which ``holds()`` is true (0 if none)."""
    for k in _TRIED:
        setattr(cls, name, k)
        if holds():
            return k
    setattr(cls, name, 0)
    return 0


def calibrate(backend: Any, make: Callable[[], Any], address: Callable[[Any], int]) -> None:
    """Measure ``refs_exclusive`` and ``refs_adopt`` for ``backend``'s class.

    ``make()`` returns a fresh array that the backend's checks accept apart from its
    reference count (writable, contiguous, large enough to adopt); ``address(a)`` is the
    address of ``a``'s memory. ``refs_exclusive`` is the count an array held by one
    Array's slot shows when that slot's value is passed to a backend method;
    ``refs_adopt`` is the count of a cotangent nothing else holds in ``write_into``.
    """
    cls = type(backend)
    slot = _Slot()
    slot._data = make()
    if _least(cls, "refs_exclusive", lambda: backend.exclusive(slot._data)):
        other = slot._data  # one more holder: exclusive() must say no
        if backend.exclusive(slot._data):
            cls.refs_exclusive = 0
        del other

    def adopted(keep: bool) -> bool:
        buf = _Slot()
        buf._data = make()
        leaves = [(_Leaf(buf, backend), make())]
        at = address(leaves[0][1])
        kept = leaves[0][1] if keep else None  # one more holder of the cotangent
        apply(leaves)
        taken = address(buf._data) == at
        del kept
        return taken

    if not cls.refs_exclusive or not _least(cls, "refs_adopt", lambda: adopted(False)) \
            or adopted(True):
        cls.refs_adopt = 0
