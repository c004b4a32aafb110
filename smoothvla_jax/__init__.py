"""smoothvla-jax: SmoothVLA (GRPO with an intrinsic jerk reward) in JAX/Flax.

``from smoothvla_jax import load_policy`` gives the inference facade
(:func:`smoothvla_jax.inference.load_policy` -> :class:`~smoothvla_jax.inference.InferencePolicy`);
it is imported lazily so ``import smoothvla_jax`` stays light and keeps setting XLA flags first.
"""

from envs_mjx import _xla_flags  # noqa: F401  (must run before JAX initialises)

__version__ = "0.1.0"

_LAZY = {"load_policy": "smoothvla_jax.inference", "InferencePolicy": "smoothvla_jax.inference"}


def __getattr__(name: str):
    if name in _LAZY:
        import importlib

        return getattr(importlib.import_module(_LAZY[name]), name)
    raise AttributeError(f"module 'smoothvla_jax' has no attribute {name!r}")


def __dir__() -> list[str]:
    return sorted(list(globals()) + list(_LAZY))
