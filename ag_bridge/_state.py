"""Context-local recording state (threads and asyncio tasks never share it)."""

from __future__ import annotations

from contextvars import ContextVar

__all__ = ["STATE", "SELECTION", "DEFAULT", "is_recording", "is_training", "set_state", "selection"]

#: ``(recording, training)``; an immutable tuple so a new context starts clean.
STATE: ContextVar[tuple[bool, bool]] = ContextVar("ag_bridge_state", default=(False, False))


def is_recording() -> bool:
    """Whether operations on arrays that need gradients are being recorded."""
    return STATE.get()[0]


def is_training() -> bool:
    """Whether layers should behave as in training (dropout on, ...)."""
    return STATE.get()[1]


def set_state(recording: bool | None = None, training: bool | None = None) -> tuple[bool, bool]:
    """Set either flag for the current context; return the previous pair."""
    old = STATE.get()
    STATE.set(
        (
            old[0] if recording is None else bool(recording),
            old[1] if training is None else bool(training),
        )
    )
    return old


#: The backend selection of this context: ``(backend, device)`` set by ``use_backend``
#: (None: the process default in :data:`DEFAULT`). Read by ``Backend.creation_device``.
SELECTION: ContextVar[tuple | None] = ContextVar("ag_bridge_backend", default=None)


class _Default:
    """The process-wide backend choice: ``set_backend``, else ``AG_BRIDGE_BACKEND``
    (a name or module name, resolved at first use) and ``AG_BRIDGE_DEVICE``."""

    def __init__(self) -> None:
        import os

        self.choice: tuple = (os.environ.get("AG_BRIDGE_BACKEND", "numpy"),
                              os.environ.get("AG_BRIDGE_DEVICE") or None)


DEFAULT = _Default()


def selection() -> tuple:
    """The ``(backend or its name, device)`` new arrays of this context are created on."""
    return SELECTION.get() or DEFAULT.choice
