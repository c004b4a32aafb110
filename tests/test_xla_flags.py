"""The package appends the CPU fusion-emitter flag before JAX starts, keeping user flags."""

import os
import subprocess
import sys

import envs_mjx  # noqa: F401
import jax

from envs_mjx import _xla_flags


def test_flag_in_effect_in_this_process():
    assert jax.default_backend() == "cpu"
    for flag in _xla_flags.CPU_FLAGS:
        assert flag in os.environ["XLA_FLAGS"]


def test_apply_keeps_user_flags_and_is_idempotent():
    env = {"XLA_FLAGS": "--xla_force_host_platform_device_count=4"}
    out = _xla_flags.apply_cpu_flags(env)
    assert out == "--xla_force_host_platform_device_count=4 " + " ".join(_xla_flags.CPU_FLAGS)
    assert _xla_flags.apply_cpu_flags(env) == out  # no duplicate
    user_choice = {"XLA_FLAGS": "--xla_cpu_use_fusion_emitters=true"}
    assert _xla_flags.apply_cpu_flags(user_choice) == (
        "--xla_cpu_use_fusion_emitters=true " + _xla_flags.SCHEDULER_FLAG)
    assert _xla_flags.apply_cpu_flags({"SMOOTHVLA_KEEP_XLA_FLAGS": "1"}) == ""


def test_flag_reaches_xla_in_a_fresh_process():
    """In a new interpreter, importing the package before JAX makes XLA see the flag
    (and the user's own flag survives)."""
    code = (
        "import smoothvla_jax, os, jax, jax.numpy as jnp;"
        "jnp.ones(2).block_until_ready();"
        "print(os.environ['XLA_FLAGS']); print(jax.device_count())"
    )
    env = dict(os.environ, XLA_FLAGS="--xla_force_host_platform_device_count=3")
    out = subprocess.run([sys.executable, "-c", code], env=env, capture_output=True, text=True,
                         check=True).stdout.split("\n")
    assert all(f in out[0] for f in _xla_flags.CPU_FLAGS)
    assert out[1] == "3"  # the user's flag was honoured by XLA, so XLA parsed our string too
