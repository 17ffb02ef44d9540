"""Context-local recording state (threads and asyncio tasks never share it)."""

from __future__ import annotations

from contextvars import ContextVar

__all__ = ["STATE", "is_recording", "is_training", "set_state"]

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
