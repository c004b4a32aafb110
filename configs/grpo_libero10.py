"""GRPO stage of the real SmoothVLA run alone, from the SFT run ``runs/libero10``.

    python -m smoothvla_jax.train --config=configs/grpo_libero10.py \\
        [--config.reward.kind=binary] [--config.seed=1] [--config.grpo.workdir=runs/libero10_grpo_b1]

``configs/libero10.py`` with ``stages="grpo"`` and the GRPO run in its own directory. Starts
from the SFT checkpoint ``grpo.init_checkpoint``; its policy config, tokenizers and action
normaliser are reused, so the ``model``/``data.image_size`` sections are only read by SFT.
:func:`grpo_only` is what the other GRPO configs (``grpo_cpu``, ``grpo_smoke``) use.
"""

from __future__ import annotations

import ml_collections

from configs import libero10


def grpo_only(c: ml_collections.ConfigDict, grpo_workdir: str) -> ml_collections.ConfigDict:
    """Turns a pipeline config into a GRPO-only one: GRPO from the SFT run ``c.workdir`` into
    ``grpo_workdir`` (``grpo.eval_at_end`` evaluates the final GRPO policy)."""
    c.stages = "grpo"
    c.grpo.init_checkpoint = ""     # = c.workdir (so --config.workdir=... moves it too)
    c.grpo.workdir = grpo_workdir
    return c


def get_config() -> ml_collections.ConfigDict:
    c = libero10.get_config()
    c.name = "libero10_grpo"
    return grpo_only(c, "runs/libero10_grpo")
