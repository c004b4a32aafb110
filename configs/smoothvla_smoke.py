"""Plumbing check of ``python -m smoothvla_jax.experiment`` in minutes (not an experiment).

    python -m smoothvla_jax.experiment --config=configs/smoothvla_smoke.py

``configs/smoke.py`` (one task, 32 px, 48-step episodes, tiny VLA, 300 SFT steps) with 2 pairs
of 2 GRPO iterations, a 2-iteration control and 4 evaluation states. Nothing succeeds in 48
steps, so the calibration uses every rollout (``calib_on="all"``, not the protocol) and a failed
positive control does not stop the run.
"""

from __future__ import annotations

import ml_collections

from configs import smoke


def get_config() -> ml_collections.ConfigDict:
    c = smoke.get_config()
    c.name = "smoothvla_smoke"
    c.workdir = "runs/smoothvla_smoke"
    c.sft.num_steps = 100
    c.grpo.num_iterations = 2
    c.eval.num_videos = 0
    x = c.experiment
    x.num_pairs = 2
    x.calib_rounds = 1
    x.calib_on = "all"
    x.min_calib_successes = 0
    x.control_iterations = 2
    x.control_window = 1
    x.stop_on_control_failure = False
    return c
