"""The ``ag-bridge`` command line.

``ag-bridge demo [--backend NAME]`` runs the autograd chapter of *Dive into
Deep Learning* (MXNet edition) step by step, printing each code cell and
what it shows, as a notebook would; ``ag-bridge backends`` lists the
installed backends. Output uses ``rich`` when it is installed (plain text
otherwise, or with ``--plain``).
"""

from __future__ import annotations

import argparse
import ast
import sys
from collections.abc import Callable, Sequence
from typing import Any

__all__ = ["CHAPTER", "main", "run_cell"]

#: The chapter: (heading, prose, code) per cell, code verbatim from the book
#: with the import changed to ag_bridge.
CHAPTER: tuple[tuple[str, str, str], ...] = (
    ("A Simple Example", "Differentiate y = 2 x^T x with respect to the column vector x.",
     "from ag_bridge import autograd, np, npx\nnpx.set_np()\n\nx = np.arange(4)\nx"),
    ("", "Allocate memory for the gradient; it starts as zeros.",
     "x.attach_grad()\nx.grad"),
    ("", "Record the computation inside autograd.record() to build the graph.",
     "with autograd.record():\n    y = 2 * np.dot(x, x)\ny"),
    ("", "Backpropagate, then read the gradient: 4x.",
     "y.backward()\nx.grad"),
    ("", "", "x.grad == 4 * x"),
    ("", "Another function of x: the new gradient overwrites the old one.",
     "with autograd.record():\n    y = x.sum()\ny.backward()\nx.grad"),
    ("Backward for Non-Scalar Variables",
     "backward() on a vector sums its elements first: this is the gradient of sum(x * x).",
     "with autograd.record():\n    y = x * x\ny.backward()\nx.grad"),
    ("Detaching Computation", "u = y.detach() is a constant: z = u * x has gradient u.",
     "with autograd.record():\n    y = x * x\n    u = y.detach()\n    z = u * x\nz.backward()\n"
     "x.grad == u"),
    ("", "The graph of y is still there: its gradient is 2x.",
     "y.backward()\nx.grad == 2 * x"),
    ("Computing the Gradient of Python Control Flow",
     "The graph follows whatever path the Python code takes.",
     "def f(a):\n    b = a * 2\n    while np.linalg.norm(b) < 1000:\n        b = b * 2\n"
     "    if b.sum() > 0:\n        c = b\n    else:\n        c = 100 * b\n    return c"),
    ("", "f is linear in a (with a factor chosen by the control flow), so its gradient is d / a.",
     "a = np.random.normal()\na.attach_grad()\nwith autograd.record():\n    d = f(a)\nd.backward()"),
    ("", "", "a.grad == d / a"),
)


def run_cell(code: str, scope: dict) -> Any:
    """Execute ``code`` in ``scope``; return the value of a final expression
    (None when the cell ends with a statement), as a notebook shows it."""
    tree = ast.parse(code)
    last = tree.body.pop() if tree.body and isinstance(tree.body[-1], ast.Expr) else None
    exec(compile(tree, "<chapter>", "exec"), scope)  # noqa: S102 - our own fixed cells
    if last is None:
        return None
    return eval(compile(ast.Expression(last.value), "<chapter>", "eval"), scope)  # noqa: S307


def _as_session(code: str) -> str:
    """``code`` with interpreter prompts, as a plain terminal shows a cell."""
    return "\n".join(("... " if ln.startswith((" ", ")")) else ">>> ") + ln if ln else ">>>"
                     for ln in code.splitlines())


def _plain_heading(title: str, prose: str) -> None:
    """Print a section title and its prose as plain text."""
    if title:
        print(f"\n## {title}\n")
    if prose:
        print(prose)


def _printer(plain: bool) -> tuple[Callable[[str, str], None], Callable[[str], None],
                                   Callable[[str], None]]:
    """(heading, code, output) printers: rich when available and wanted, else print."""
    if not plain:
        try:
            from rich.console import Console
            from rich.markdown import Markdown
            from rich.syntax import Syntax
        except ImportError:
            plain = True
    if plain:
        return _plain_heading, lambda code: print(_as_session(code)), print
    console = Console()

    def heading(title: str, prose: str) -> None:
        if title:
            console.rule(f"[bold]{title}")
        if prose:
            console.print(Markdown(prose))

    return (heading, lambda code: console.print(Syntax(code, "python", theme="ansi_dark")),
            lambda out: console.print(out, style="bold green", highlight=False, markup=False))


def demo(backend: str | None = None, plain: bool = False, seed: int = 0) -> int:
    """Run :data:`CHAPTER` on ``backend`` (default: the current one), printing each step.

    Returns the exit status: 2 when ``backend`` is not installed.
    """
    import ag_bridge

    try:  # a plugin name, or an array API namespace's module name ("cubed.array_api")
        chosen = ag_bridge.load_backend(backend)
    except (ValueError, ImportError, TypeError) as exc:
        print(f"ag-bridge demo: {exc}", file=sys.stderr)
        return 2
    name = chosen.name
    heading, show_code, show_out = _printer(plain)
    with ag_bridge.use_backend(chosen):
        ag_bridge.np.random.seed(seed)  # the book's random draw, made reproducible
        heading("Automatic Differentiation", f"The autograd chapter of Dive into Deep Learning "
                f"on ag_bridge, backend '{name}'.")
        scope: dict = {}
        for title, prose, code in CHAPTER:
            heading(title, prose)
            show_code(code)
            value = run_cell(code, scope)
            if value is not None:
                show_out(repr(value))
    return 0


def backends() -> int:
    """Print the installed backends and the generic ones in use, marking the current one."""
    import ag_bridge
    from ag_bridge._select import generic_backends

    current = ag_bridge.get_backend()
    for name in ag_bridge.available_backends():
        print(f"{'*' if ag_bridge.load_backend(name) is current else ' '} {name}")
    for b in generic_backends():
        print(f"{'*' if b is current else ' '} {b.name} (generic, {getattr(b.xp, '__name__', b.xp)})")
    return 0


def main(argv: Sequence[str] | None = None) -> int:
    """Entry point of ``ag-bridge``; returns the exit status."""
    parser = argparse.ArgumentParser(prog="ag-bridge", description="One reverse-mode autodiff engine "
                                     "for every array-API library.")
    sub = parser.add_subparsers(dest="command", required=True)
    p = sub.add_parser("demo", help="run the autograd chapter of Dive into Deep Learning step by step")
    p.add_argument("--backend", help="backend to run on: a plugin (see `ag-bridge backends`) or an "
                   "array API namespace's module name, e.g. cubed.array_api")
    p.add_argument("--plain", action="store_true", help="plain text output (no rich)")
    p.add_argument("--seed", type=int, default=0, help="seed of np.random (default 0)")
    sub.add_parser("backends", help="list the installed backends (* marks the current one)")
    args = parser.parse_args(argv)
    if args.command == "demo":
        return demo(args.backend, args.plain, args.seed)
    return backends()


if __name__ == "__main__":  # pragma: no cover
    sys.exit(main())
