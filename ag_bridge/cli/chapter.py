"""The autograd chapter of *Dive into Deep Learning* as ``ag-bridge demo`` runs it.

The code cells are the book's (MXNet edition), with the import changed to
ag_bridge; the headings and prose exist in English and Vietnamese (the seed's
language), following docs/getting-started.md and docs/getting-started.vi.md.
"""

from __future__ import annotations

import ast
from typing import Any

__all__ = ["CELLS", "TEXT", "LANGUAGES", "CHAPTER", "chapter", "run_cell", "as_session"]

#: The code cells, verbatim from the book but for the import.
CELLS: tuple[str, ...] = (
    "from ag_bridge import autograd, np, npx\nnpx.set_np()\n\nx = np.arange(4)\nx",
    "x.attach_grad()\nx.grad",
    "with autograd.record():\n    y = 2 * np.dot(x, x)\ny",
    "y.backward()\nx.grad",
    "x.grad == 4 * x",
    "with autograd.record():\n    y = x.sum()\ny.backward()\nx.grad",
    "with autograd.record():\n    y = x * x\ny.backward()\nx.grad",
    "with autograd.record():\n    y = x * x\n    u = y.detach()\n    z = u * x\nz.backward()\nx.grad == u",
    "y.backward()\nx.grad == 2 * x",
    "def f(a):\n    b = a * 2\n    while np.linalg.norm(b) < 1000:\n        b = b * 2\n"
    "    if b.sum() > 0:\n        c = b\n    else:\n        c = 100 * b\n    return c",
    "a = np.random.normal()\na.attach_grad()\nwith autograd.record():\n    d = f(a)\nd.backward()",
    "a.grad == d / a",
)

#: Per language: the chapter's title, its introduction (``{backend}`` is filled in),
#: and one (heading, prose) per cell of :data:`CELLS` (empty strings: none).
TEXT: dict[str, tuple[str, str, tuple[tuple[str, str], ...]]] = {
    "en": ("Automatic Differentiation",
           "The autograd chapter of Dive into Deep Learning on ag_bridge, backend '{backend}'.", (
        ("A Simple Example", "Differentiate y = 2 x^T x with respect to the column vector x."),
        ("", "Allocate memory for the gradient; it starts as zeros."),
        ("", "Record the computation inside autograd.record() to build the graph."),
        ("", "Backpropagate, then read the gradient: 4x."),
        ("", ""),
        ("", "Another function of x: the new gradient overwrites the old one."),
        ("Backward for Non-Scalar Variables",
         "backward() on a vector sums its elements first: this is the gradient of sum(x * x)."),
        ("Detaching Computation", "u = y.detach() is a constant: z = u * x has gradient u."),
        ("", "The graph of y is still there: its gradient is 2x."),
        ("Computing the Gradient of Python Control Flow",
         "The graph follows whatever path the Python code takes."),
        ("", "f is linear in a (with a factor chosen by the control flow), so its gradient is d / a."),
        ("", ""),
    )),
    "vi": ("Tính vi phân tự động",
           "Chương tính vi phân tự động của cuốn Đắm mình vào Học Sâu, chạy trên ag_bridge, "
           "backend '{backend}'.", (
        ("Một ví dụ đơn giản", "Lấy đạo hàm của hàm số y = 2 x^T x theo vector cột x."),
        ("", "Cấp phát vùng nhớ cho gradient; gradient được khởi tạo bằng 0."),
        ("", "Ghi lại phép tính trong khối autograd.record() để xây dựng đồ thị tính toán."),
        ("", "Lan truyền ngược, rồi đọc gradient: 4x."),
        ("", ""),
        ("", "Một hàm khác của x: gradient mới ghi đè lên gradient cũ."),
        ("Lan truyền ngược cho biến không phải số vô hướng",
         "Gọi backward() trên một vector sẽ cộng các phần tử lại trước: đây là gradient "
         "của sum(x * x)."),
        ("Tách rời tính toán", "u = y.detach() là một hằng số: gradient của z = u * x là u."),
        ("", "Phép tính y vẫn được ghi lại trong đồ thị: gradient của nó là 2x."),
        ("Tính gradient của luồng điều khiển Python",
         "Đồ thị đi theo đúng những nhánh mà mã Python thực sự chạy."),
        ("", "f tuyến tính theo a (với hệ số do luồng điều khiển quyết định), nên gradient "
             "của nó là d / a."),
        ("", ""),
    )),
}

#: The languages of :data:`TEXT`.
LANGUAGES: tuple[str, ...] = tuple(TEXT)


def chapter(lang: str = "en") -> tuple[tuple[str, str, str], ...]:
    """The chapter in ``lang``: (heading, prose, code) per cell."""
    if lang not in TEXT:
        raise ValueError(f"no chapter text in {lang!r}; languages: {', '.join(LANGUAGES)}")
    return tuple((title, prose, code) for (title, prose), code in zip(TEXT[lang][2], CELLS))


#: The chapter in English: (heading, prose, code) per cell.
CHAPTER = chapter("en")


def run_cell(code: str, scope: dict) -> Any:
    """Execute ``code`` in ``scope``; return the value of a final expression
    (None when the cell ends with a statement), as a notebook shows it."""
    tree = ast.parse(code)
    last = tree.body.pop() if tree.body and isinstance(tree.body[-1], ast.Expr) else None
    exec(compile(tree, "<chapter>", "exec"), scope)  # noqa: S102 - our own fixed cells
    if last is None:
        return None
    return eval(compile(ast.Expression(last.value), "<chapter>", "eval"), scope)  # noqa: S307


def as_session(code: str) -> str:
    """``code`` with interpreter prompts (``>>>``, ``...``), as an interactive session shows it."""
    return "\n".join(("... " if ln.startswith((" ", ")")) else ">>> ") + ln if ln else ">>>"
                     for ln in code.splitlines())
