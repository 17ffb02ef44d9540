"""What several commands share: the ``--backend`` option and one-line errors."""

from __future__ import annotations

import argparse
import os
from typing import Any

__all__ = ["CommandError", "add_backend_argument", "resolve_backend", "one_line", "rich_console"]


class CommandError(Exception):
    """Bad input to a command: ``ag-bridge`` prints the message as one line and exits
    with ``status`` (2 unless given)."""

    def __init__(self, message: str, status: int = 2) -> None:
        super().__init__(message)
        self.status = status


def one_line(exc: BaseException) -> str:
    """The message of ``exc`` on one line."""
    text = " ".join(str(exc).split()) or type(exc).__name__
    return text if isinstance(exc, (CommandError, ValueError)) else f"{type(exc).__name__}: {text}"


def add_backend_argument(parser: argparse.ArgumentParser) -> None:
    """Add ``--backend NAME`` (default: ``AG_BRIDGE_BACKEND``, else numpy)."""
    parser.add_argument("--backend", metavar="NAME|MODULE",
                        help="backend to run on: a plugin (see `ag-bridge backends`) or an array "
                             "API namespace's module name, e.g. cubed.array_api (default: "
                             "$AG_BRIDGE_BACKEND, else numpy)")


def resolve_backend(name: str | None) -> Any:
    """The :class:`ag_bridge.Backend` a ``--backend`` value names (None: the current one).

    An unknown or uninstalled backend is a :class:`CommandError` saying where the
    name came from (the option or ``AG_BRIDGE_BACKEND``) and what is installed.
    """
    import ag_bridge

    try:
        if name is not None:
            return ag_bridge.load_backend(name)
        return ag_bridge.get_backend()
    except (ValueError, ImportError, TypeError) as exc:
        env = os.environ.get("AG_BRIDGE_BACKEND")
        where = f" (from AG_BRIDGE_BACKEND={env})" if name is None and env else ""
        raise CommandError(f"{one_line(exc)}{where}") from None


def rich_console(**kwargs: Any) -> Any:
    """A ``rich.console.Console`` that raises BrokenPipeError on a closed pipe, so that
    ``ag-bridge`` reports it in one line (rich itself would exit with status 1)."""
    from rich.console import Console

    class _Console(Console):
        def on_broken_pipe(self) -> None:
            self.quiet = True
            raise BrokenPipeError

    return _Console(**kwargs)
