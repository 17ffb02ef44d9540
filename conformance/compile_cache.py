"""One JAX compilation cache for all the processes of a conformance run.

JAX compiles every operation it runs eagerly once per new shape and dtype
(tens of milliseconds of XLA each), and the records draw many shapes in four
dtypes: compilation is most of a JAX case's time (issue 13). Each process
keeps its compilations in memory, so pytest-xdist workers and the workers of
``ag-bridge conformance --jobs N`` would each compile the same kernels again.
:func:`share_jax_compilations` points JAX's persistent compilation cache at
one temporary directory, inherited by every process started afterwards (the
environment carries it), so a kernel is compiled once per run. Nothing
outlives the run: the process that made the directory removes it at exit,
and a cache directory the user set (``JAX_COMPILATION_CACHE_DIR``) is used
as it is, with the user's settings.
"""

from __future__ import annotations

import atexit
import os
import shutil
import sys
import tempfile

__all__ = ["share_jax_compilations"]

#: cache every compilation, however small or quick (JAX's defaults keep only slow ones);
#: a size limit turns on JAX's file lock, so concurrent workers never read a half-written entry
_SETTINGS = {"jax_persistent_cache_min_compile_time_secs": 0.0,
             "jax_persistent_cache_min_entry_size_bytes": 0,
             "jax_compilation_cache_max_size": 2**31}


def share_jax_compilations() -> str:
    """Point JAX's compilation cache at a directory shared with the processes this
    one starts (created on first call, removed at exit); returns the directory."""
    path = os.environ.get("JAX_COMPILATION_CACHE_DIR")
    if path:  # the user's, or made by the parent process of this run: already set up
        return path
    path = tempfile.mkdtemp(prefix="ag_bridge_jax_cache_")
    atexit.register(shutil.rmtree, path, True)
    os.environ["JAX_COMPILATION_CACHE_DIR"] = path
    for k, v in _SETTINGS.items():
        os.environ.setdefault(k.upper(), str(v))
    jax = sys.modules.get("jax")
    if jax is not None:  # already imported: its flags were read from the environment before
        jax.config.update("jax_compilation_cache_dir", path)
        for k, v in _SETTINGS.items():
            jax.config.update(k, type(v)(os.environ[k.upper()]))
    return path
