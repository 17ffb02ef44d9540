"""conformance/_env.py: the conformance run's JAX settings (float64, fast XLA compiles)."""

from __future__ import annotations

import importlib.util
import os

import pytest
from ag_bridge.conformance import _env

pytestmark = pytest.mark.skipif(importlib.util.find_spec("jax") is None, reason="jax is not installed")


def test_this_run_compiles_with_the_fast_flags():
    """tests/conftest.py calls prepare(): every flag is in XLA_FLAGS (set by us or the user),
    unless this XLA refuses them (then none is: test_flags_xla_refuses_are_left_out)."""
    flags = os.environ.get("XLA_FLAGS", "")
    if not _env._xla_accepts(" ".join(_env.FAST_COMPILE)):
        assert not any(f.split("=")[0] in flags for f in _env.FAST_COMPILE), flags
    else:
        assert all(f.split("=")[0] in flags for f in _env.FAST_COMPILE), flags
    assert os.environ.get("JAX_ENABLE_X64") == "1"
    assert os.environ.get("JAX_DEFAULT_MATMUL_PRECISION") == "highest"  # full float32 on GPUs


def test_a_users_matmul_precision_is_kept(monkeypatch):
    monkeypatch.setenv("JAX_DEFAULT_MATMUL_PRECISION", "bfloat16")
    _env.prepare()
    assert os.environ["JAX_DEFAULT_MATMUL_PRECISION"] == "bfloat16"


def test_a_users_setting_is_kept(monkeypatch):
    monkeypatch.setenv("XLA_FLAGS", "--xla_backend_optimization_level=3")
    monkeypatch.setattr(_env, "_xla_accepts", lambda flags: True)
    _env.prepare()
    flags = os.environ["XLA_FLAGS"]
    assert "--xla_backend_optimization_level=3" in flags and "level=0" not in flags
    assert "--xla_cpu_use_fusion_emitters=false" in flags


def test_flags_xla_refuses_are_left_out(monkeypatch):
    """An XLA that does not know a flag aborts the process: the flags are tried first."""
    assert not _env._xla_accepts("--ag_bridge_no_such_xla_flag=1")
    monkeypatch.setenv("XLA_FLAGS", "--xla_force_host_platform_device_count=1")
    monkeypatch.setattr(_env, "_xla_accepts", lambda flags: False)
    _env.prepare()
    assert os.environ["XLA_FLAGS"] == "--xla_force_host_platform_device_count=1"
