"""smoothvla-jax: SmoothVLA (GRPO with an intrinsic jerk reward) in JAX/Flax."""

from envs_mjx import _xla_flags  # noqa: F401  (must run before JAX initialises)

__version__ = "0.1.0"
