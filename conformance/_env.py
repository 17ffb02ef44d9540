"""The process settings a conformance run needs, set before JAX starts.

* ``JAX_ENABLE_X64=1``: the checks run in float64 and complex128.
* ``JAX_DEFAULT_MATMUL_PRECISION=highest``: on an NVIDIA GPU JAX multiplies float32
  matrices in TF32 by default (a 10-bit mantissa), so matmul-based gradients in
  float32 and complex64 (einsum, solve, inv, qr, svd, eig, ...) missed the single
  precision checks' tolerance by 2-10x on an H200 (jax 0.11.2). With full float32
  products the checks measure the rules, not TF32. No effect on CPU.
* ``XLA_FLAGS`` gains :data:`FAST_COMPILE`. JAX compiles every eager operation for
  each new shape and dtype, and on CPU that compilation, not the arithmetic, is
  most of a case's time. The records' arrays have a few elements, so XLA's
  fusion emitters and LLVM's optimisation passes buy nothing there. Measured on
  SVD, cumprod and tanh gradients over 20 shapes and dtypes (204 compilations,
  CPU seconds): 26.0 s as shipped, 10.4 s with these flags. They change how XLA
  generates its kernels, not what the kernels compute.

All are defaults: a value already in the environment wins (a flag already in
``XLA_FLAGS`` is kept as the user set it). An XLA that does not know a flag
aborts the process, so the flags are tried once in a subprocess first and left
out if that fails. They must be set before JAX creates its CPU client (its
first computation); later they have no effect, which is harmless.
"""

from __future__ import annotations

import importlib.util
import os
import subprocess
import sys

__all__ = ["prepare", "FAST_COMPILE"]

FAST_COMPILE = ("--xla_cpu_use_fusion_emitters=false", "--xla_backend_optimization_level=0",
                "--xla_llvm_disable_expensive_passes=true")
_PROBE = "import jax.numpy as j; (j.zeros(2) + 1).block_until_ready()"


def _xla_accepts(flags: str) -> bool:
    env = dict(os.environ, XLA_FLAGS=flags, JAX_PLATFORMS="cpu")
    try:
        return subprocess.run([sys.executable, "-c", _PROBE], env=env, capture_output=True,
                              timeout=120).returncode == 0
    except (OSError, subprocess.SubprocessError):
        return False


def prepare() -> None:
    """Set the conformance run's defaults (see the module docstring) in ``os.environ``."""
    os.environ.setdefault("JAX_ENABLE_X64", "1")
    os.environ.setdefault("JAX_DEFAULT_MATMUL_PRECISION", "highest")
    flags = os.environ.get("XLA_FLAGS", "")
    add = [f for f in FAST_COMPILE if f.split("=")[0] not in flags]
    if not add or importlib.util.find_spec("jax") is None:
        return
    wanted = " ".join([flags, *add]).strip()
    if _xla_accepts(wanted):
        os.environ["XLA_FLAGS"] = wanted
