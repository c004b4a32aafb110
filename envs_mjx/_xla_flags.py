"""CPU XLA flag bootstrap, imported before JAX initialises.

MJX's forward kinematics on the 9-deep Panda chain is ~20-40x slower on CPU with XLA's
fusion emitters enabled (see BENCHMARKS.md). We append ``--xla_cpu_use_fusion_emitters=false``
to ``XLA_FLAGS`` unless the user already chose a value for it. Flags the user set are kept.
The flag only affects the CPU backend, so it is harmless on GPU/TPU hosts.

Set ``SMOOTHVLA_KEEP_XLA_FLAGS=1`` to leave ``XLA_FLAGS`` untouched.
"""

from __future__ import annotations

import os

CPU_FLAG = "--xla_cpu_use_fusion_emitters=false"
_FLAG_NAME = "--xla_cpu_use_fusion_emitters"


def apply_cpu_flags(environ: dict[str, str] | None = None) -> str:
    """Appends the CPU fusion-emitter flag to ``XLA_FLAGS`` (idempotent).

    Args:
      environ: mapping to edit (defaults to ``os.environ``).

    Returns:
      The resulting ``XLA_FLAGS`` value.
    """
    env = os.environ if environ is None else environ
    if env.get("SMOOTHVLA_KEEP_XLA_FLAGS", "") == "1":
        return env.get("XLA_FLAGS", "")
    flags = env.get("XLA_FLAGS", "")
    if _FLAG_NAME not in flags:
        flags = (flags + " " + CPU_FLAG).strip()
        env["XLA_FLAGS"] = flags
    return flags


apply_cpu_flags()
