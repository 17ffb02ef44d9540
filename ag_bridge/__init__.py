"""ag_bridge: one reverse-mode autodiff engine for every array-API library.

MXNet's ``attach_grad()`` / ``autograd.record()`` / ``backward()`` / ``.grad``
on NumPy, PyTorch, JAX, array-api-strict and Dask arrays::

    from ag_bridge import autograd, np
    x = np.arange(4.0)
    x.attach_grad()
    with autograd.record():
        y = 2 * np.dot(x, x)
    y.backward()
    x.grad            # array([ 0.,  4.,  8., 12.])

``import ag_bridge`` imports no array library but NumPy.
"""

from __future__ import annotations

from . import rules as _rules  # noqa: F401,E402  (fills the VJP registry; imports no array library)
from ._api import asarray, namespace, unwrap
from ._array import Array
from ._backends import Backend
from ._interop import install as _install_interop
from ._select import (
    available_backends,
    get_backend,
    load_backend,
    set_backend,
    use_backend,
)
from ._spec import SPECS

_install_interop()  # einops and opt_einsum find ag_bridge arrays (ag_bridge/_interop.py)

__version__ = "0.1.0"

__all__ = [
    "Array", "Backend", "SPECS", "asarray", "autograd", "available_backends", "get_backend",
    "load_backend", "namespace", "np", "npx", "set_backend", "unwrap", "use_backend",
    "grad", "value_and_grad", "vjp", "jvp", "jacobian", "hessian",
]


def __getattr__(name: str):
    # Front doors load lazily so `import ag_bridge` stays light.
    import importlib

    if name in ("autograd", "np", "npx", "functional"):
        return importlib.import_module(f"{__name__}.{name}")
    if name in ("grad", "value_and_grad", "vjp", "jvp", "jacobian", "hessian"):
        return getattr(importlib.import_module(f"{__name__}.functional"), name)
    raise AttributeError(f"module 'ag_bridge' has no attribute {name!r}")
