"""GRPO stage of ``configs/smoke.py`` alone, from the smoke SFT run ``runs/smoke``.

    python -m smoothvla_jax.train --config=configs/grpo_smoke.py [--config.reward.kind=binary]

``SMOKE=1 bash scripts/run_experiment.sh`` runs the SFT vs binary vs SmoothVLA experiment with
this file (100 SFT steps there).
"""

from __future__ import annotations

import ml_collections

from configs import grpo_libero10, smoke


def get_config() -> ml_collections.ConfigDict:
    c = smoke.get_config()
    c.name = "grpo_smoke"
    c.sft.num_steps = 100           # the SFT stage of `SMOKE=1 scripts/run_experiment.sh`
    c.sft.save_every = 100
    return grpo_libero10.grpo_only(c, "runs/smoke_grpo")
