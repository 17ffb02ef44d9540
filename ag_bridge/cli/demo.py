"""Run the autograd chapter of Dive into Deep Learning step by step.

Prints each code cell of the chapter as an interactive session (>>> prompts)
and what it shows, as a notebook would, on the backend you choose. Output
uses rich when it is installed (plain text otherwise, or with --plain).

examples:
  ag-bridge demo                    # NumPy (or $AG_BRIDGE_BACKEND)
  ag-bridge demo --backend torch    # the same chapter on PyTorch
  ag-bridge demo --backend marray.numpy  # any array API namespace, no plugin needed
  ag-bridge demo --lang vi          # in Vietnamese
"""

from __future__ import annotations

import argparse
from collections.abc import Callable

from ._common import add_backend_argument, resolve_backend, rich_console
from .chapter import LANGUAGES, TEXT, as_session, chapter, run_cell

__all__ = ["add_arguments", "run", "demo"]


def add_arguments(parser: argparse.ArgumentParser) -> None:
    """``--backend``, ``--lang``, ``--plain``, ``--seed``."""
    add_backend_argument(parser)
    parser.add_argument("--lang", choices=LANGUAGES, default="en",
                        help="language of the text: en (English, default) or vi (Vietnamese)")
    parser.add_argument("--plain", action="store_true", help="plain text output (no rich)")
    parser.add_argument("--seed", type=int, default=0, help="seed of np.random (default 0)")


def run(args: argparse.Namespace) -> int:
    """The command: :func:`demo` with the parsed options."""
    return demo(args.backend, args.plain, args.seed, args.lang)


def demo(backend: str | None = None, plain: bool = False, seed: int = 0, lang: str = "en") -> int:
    """Run the chapter on ``backend`` (default: the current one) in ``lang``, printing
    each step; returns the exit status (0).

    An unknown backend raises :class:`ag_bridge.cli.CommandError`.
    """
    import ag_bridge

    b = resolve_backend(backend)
    cells = chapter(lang)
    heading, show_code, show_out = _printer(plain)
    with ag_bridge.use_backend(b):
        ag_bridge.np.random.seed(seed)  # the book's random draw, made reproducible
        title, intro, _ = TEXT[lang]
        heading(title, intro.format(backend=b.name))
        scope: dict = {}
        for title, prose, code in cells:
            heading(title, prose)
            show_code(code)
            value = run_cell(code, scope)
            if value is not None:
                show_out(repr(value))
    return 0


def _plain_heading(title: str, prose: str) -> None:
    """Print a section title and its prose as plain text."""
    if title:
        print(f"\n## {title}\n")
    if prose:
        print(prose)


def _printer(plain: bool) -> tuple[Callable[[str, str], None], Callable[[str], None],
                                   Callable[[str], None]]:
    """(heading, code, output) printers: rich when available and wanted, else print.
    Code is shown as an interactive session either way."""
    if not plain:
        try:
            from rich.markdown import Markdown
            from rich.syntax import Syntax
        except ImportError:
            plain = True
    if plain:
        return _plain_heading, lambda code: print(as_session(code)), print
    console = rich_console()

    def heading(title: str, prose: str) -> None:
        if title:
            console.rule(f"[bold]{title}")
        if prose:
            console.print(Markdown(prose))

    def code(text: str) -> None:
        console.print(Syntax(as_session(text), "pycon", theme="ansi_dark", background_color="default"))

    return (heading, code,
            lambda out: console.print(out, style="bold green", highlight=False, markup=False))
