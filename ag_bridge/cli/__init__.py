"""The ``ag-bridge`` command line (also ``python -m ag_bridge``): a thin dispatcher.

Each command lives in its own module, registered in :data:`COMMANDS` by one
line. A command module has a docstring (its first line is the command's help
in ``ag-bridge --help``, the whole of it the description of
``ag-bridge NAME --help``) and two functions::

    def add_arguments(parser: argparse.ArgumentParser) -> None: ...
    def run(args: argparse.Namespace) -> int: ...          # the exit status

A command with options of its own parser (``conformance``, ``fuzz``) instead
has ``main(argv) -> int`` and a one-line ``SUMMARY``; it gets the arguments after its name as they are.

Bad input ends with one line on stderr, never a traceback: a command raises
:class:`CommandError` (or lets a ValueError/ImportError of ag_bridge through);
a closed pipe (``ag-bridge demo | head``) ends the command with one line on
stderr saying the reader stopped early, and the shell's status for it (141).
"""

from __future__ import annotations

import argparse
import os
import sys
from collections.abc import Sequence
from importlib import import_module
from typing import Any

from ._common import CommandError, one_line

__all__ = ["COMMANDS", "CommandError", "main"]

#: command name -> module implementing it (add a command: one line here)
COMMANDS: dict[str, str] = {
    "demo": "ag_bridge.cli.demo",
    "backends": "ag_bridge.cli.backends",
    "conformance": "ag_bridge.conformance.cli",
    "fuzz": "ag_bridge.conformance.fuzz_cli",
}

_BROKEN_PIPE = 141  # 128 + SIGPIPE: what a shell reports for a command cut off by `| head`


def build_parser(prog: str = "ag-bridge") -> argparse.ArgumentParser:
    """The argument parser with one sub-command per entry of :data:`COMMANDS`."""
    from .. import __version__

    parser = argparse.ArgumentParser(
        prog=prog, description="One reverse-mode autodiff engine for every array-API library.")
    parser.add_argument("--version", action="version", version=f"ag-bridge {__version__}")
    sub = parser.add_subparsers(dest="command", required=True, metavar="COMMAND")
    for name, modname in COMMANDS.items():
        mod = import_module(modname)
        doc = (mod.__doc__ or name).strip()
        if not hasattr(mod, "add_arguments"):  # parses its own options: main(argv)
            sub.add_parser(name, help=getattr(mod, "SUMMARY", name), add_help=False)
            continue
        p = sub.add_parser(name, help=doc.splitlines()[0].rstrip("."), description=doc,
                           formatter_class=argparse.RawDescriptionHelpFormatter)
        mod.add_arguments(p)
        p.set_defaults(_run=mod.run)
    return parser


def main(argv: Sequence[str] | None = None, prog: str = "ag-bridge") -> int:
    """Entry point of ``ag-bridge``; returns the exit status."""
    argv = list(sys.argv[1:] if argv is None else argv)
    if argv and argv[0] in COMMANDS:
        mod = import_module(COMMANDS[argv[0]])
        if not hasattr(mod, "add_arguments"):
            try:
                status = mod.main(argv[1:])
                sys.stdout.flush()
                return status
            except BrokenPipeError:
                return _broken_pipe(f"{prog} {argv[0]}")
    try:
        args = build_parser(prog).parse_args(argv)  # --help/--version write too
    except BrokenPipeError:
        return _broken_pipe(prog)
    try:
        status = args._run(args)
        sys.stdout.flush()  # a closed pipe shows up here, not at interpreter exit
        return status
    except BrokenPipeError:
        return _broken_pipe(f"{prog} {args.command}")
    except KeyboardInterrupt:
        print(f"{prog} {args.command}: interrupted", file=sys.stderr)
        return 130
    except (CommandError, ValueError, ImportError) as exc:
        print(f"{prog} {args.command}: {one_line(exc)}", file=sys.stderr)
        return getattr(exc, "status", 2)


def _broken_pipe(who: str) -> int:
    """Report a closed output pipe in one line on stderr; the shell's status for it."""
    _silence_stdout()
    try:
        print(f"{who}: output closed early by the reading command (broken pipe); "
              "the rest was not written", file=sys.stderr)
    except OSError:  # stderr closed as well: nothing left to tell
        pass
    return _BROKEN_PIPE


def _silence_stdout() -> None:
    """Point stdout at the null device, so that flushing it at exit raises nothing more."""
    try:
        fd = sys.stdout.fileno()
    except (AttributeError, OSError, ValueError):  # replaced by a test harness: nothing to do
        return
    null = os.open(os.devnull, os.O_WRONLY)
    os.dup2(null, fd)
    os.close(null)


def __getattr__(name: str) -> Any:
    # The chapter moved to ag_bridge.cli.chapter; keep the old names importable.
    if name in ("CHAPTER", "run_cell"):
        return getattr(import_module(f"{__name__}.chapter"), name)
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
