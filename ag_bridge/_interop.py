"""Register ag_bridge with libraries that look backends up themselves, when they load.

* einops: its main API (``einops.rearrange``...) picks a backend class per
  tensor type; :func:`ag_bridge._einops.register` defines ours.
* opt_einsum: ``contract`` takes its backend name from the first array's
  module (``ag_bridge``) and looks ``einsum``/``tensordot``/``transpose`` up
  there; an alias sends it to :mod:`ag_bridge.np`, which has them with NumPy's
  signatures.

Neither library is imported by ag_bridge: :func:`install` acts at once on one
that is already imported, and otherwise right after the library's own
module has been executed (a meta-path finder that wraps only that module's
loader, and then removes itself).
"""

from __future__ import annotations

import importlib.abc
import sys
from collections.abc import Callable
from types import ModuleType
from typing import Any

__all__ = ["install", "HOOKS"]


def _einops(mod: ModuleType) -> None:
    from ._einops import register

    register(mod)


def _opt_einsum(mod: ModuleType) -> None:
    mod._aliases.setdefault("ag_bridge", "ag_bridge.np")


#: module name -> action run on the module once it is loaded
HOOKS: dict[str, Callable[[ModuleType], None]] = {
    "einops._backends": _einops,
    "opt_einsum.backends.dispatch": _opt_einsum,
}


class _Loader(importlib.abc.Loader):
    """Delegates to the real loader, then runs the hook on the executed module."""

    def __init__(self, loader: Any, action: Callable[[ModuleType], None]) -> None:
        self.loader, self.action = loader, action

    def create_module(self, spec: Any) -> Any:
        return self.loader.create_module(spec)

    def exec_module(self, module: ModuleType) -> None:
        self.loader.exec_module(module)
        self.action(module)


class _AfterImport(importlib.abc.MetaPathFinder):
    """Finds nothing itself; wraps the loader of a hooked module found by the others."""

    def __init__(self) -> None:
        self.pending = {k: v for k, v in HOOKS.items() if k not in sys.modules}

    def find_spec(self, name: str, path: Any, target: Any = None) -> Any:
        action = self.pending.get(name)
        if action is None:
            return None
        for finder in sys.meta_path:
            if finder is self or not hasattr(finder, "find_spec"):
                continue
            spec = finder.find_spec(name, path, target)
            if spec is not None:
                break
        else:
            return None
        if spec.loader is None or not hasattr(spec.loader, "exec_module"):
            return spec
        del self.pending[name]
        if not self.pending and self in sys.meta_path:
            sys.meta_path.remove(self)
        spec.loader = _Loader(spec.loader, action)
        return spec


def install() -> None:
    """Register ag_bridge with einops and opt_einsum now or when they are imported."""
    if any(isinstance(f, _AfterImport) for f in sys.meta_path):
        return
    for name, action in HOOKS.items():
        if name in sys.modules:
            action(sys.modules[name])
    finder = _AfterImport()
    if finder.pending:
        sys.meta_path.insert(0, finder)
