"""CPU XLA flag bootstrap, imported before JAX initialises.

Two CPU-only flags are appended to ``XLA_FLAGS`` (each unless the user already chose a value
for it; flags the user set are kept; GPU/TPU backends ignore them):

* ``--xla_cpu_use_fusion_emitters=false``: MJX's forward kinematics on the 9-deep Panda chain is
  ~20-40x slower on CPU with XLA's fusion emitters enabled (see BENCHMARKS.md);
* ``--xla_cpu_enable_concurrency_optimized_scheduler=false``: with it enabled, large batched
  MJX rollouts (e.g. the 8-object LIBERO-10 scene at batch >= 16) deadlock on a 2-core machine:
  every XLA worker waits on a futex and the computation never completes. Measured here with
  jax 0.10.2; disabling the scheduler removes the hang.

Set ``SMOOTHVLA_KEEP_XLA_FLAGS=1`` to leave ``XLA_FLAGS`` untouched.
"""

from __future__ import annotations

import os

CPU_FLAG = "--xla_cpu_use_fusion_emitters=false"
SCHEDULER_FLAG = "--xla_cpu_enable_concurrency_optimized_scheduler=false"
CPU_FLAGS = (CPU_FLAG, SCHEDULER_FLAG)


def apply_cpu_flags(environ: dict[str, str] | None = None) -> str:
    """Appends :data:`CPU_FLAGS` to ``XLA_FLAGS`` (idempotent).

    Args:
      environ: mapping to edit (defaults to ``os.environ``).

    Returns:
      The resulting ``XLA_FLAGS`` value.
    """
    env = os.environ if environ is None else environ
    if env.get("SMOOTHVLA_KEEP_XLA_FLAGS", "") == "1":
        return env.get("XLA_FLAGS", "")
    flags = env.get("XLA_FLAGS", "")
    for flag in CPU_FLAGS:
        name = flag.split("=")[0]
        if name + "=" not in flags and not flags.endswith(name):
            flags = (flags + " " + flag).strip()
    if flags:
        env["XLA_FLAGS"] = flags
    return flags


apply_cpu_flags()
