"""GRPO stage of ``configs/smoke.py`` alone, from the smoke SFT run ``runs/smoke``.

    python -m smoothvla_jax.train --config=configs/grpo_smoke.py [--config.reward.kind=binary]

The smoke version of the paired experiment is
``python -m smoothvla_jax.experiment --config=configs/smoothvla_smoke.py``.
"""

from __future__ import annotations

import ml_collections

from configs import grpo_libero10, smoke


def get_config() -> ml_collections.ConfigDict:
    c = smoke.get_config()
    c.name = "grpo_smoke"
    c.sft.num_steps = 100           # a short SFT start for this GRPO smoke run
    c.sft.save_every = 100
    return grpo_libero10.grpo_only(c, "runs/smoke_grpo")
