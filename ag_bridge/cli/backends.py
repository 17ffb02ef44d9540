"""List the installed backends and the generic ones in use (* marks the current one).

A backend is installed when its plugin is registered and its library imports.
A generic backend (any array API namespace, no plugin) is listed once it has
been used in this process, marked "generic" with its namespace module.
"""

from __future__ import annotations

import argparse
import sys

from ._common import CommandError, resolve_backend

__all__ = ["add_arguments", "run"]


def add_arguments(parser: argparse.ArgumentParser) -> None:
    """No options."""


def run(args: argparse.Namespace) -> int:
    """Print the installed backends, marking the current one."""
    import ag_bridge

    try:
        current = resolve_backend(None).name
    except CommandError as exc:  # a bad AG_BRIDGE_BACKEND: still list what there is
        print(f"ag-bridge backends: {exc}", file=sys.stderr)
        current = None
    from ag_bridge._select import generic_backends

    for name in ag_bridge.available_backends():
        print(f"{'*' if name == current else ' '} {name}")
    for b in generic_backends():
        print(f"{'*' if b.name == current else ' '} {b.name} (generic, {getattr(b.xp, '__name__', b.xp)})")
    return 0
