"""The powered SmoothVLA experiment at full size: all 10 LIBERO-10 tasks, base VLA (GPU/TPU).

    python -m smoothvla_jax.experiment --config=configs/smoothvla_libero10.py
    python -m smoothvla_jax.experiment --config=configs/smoothvla_libero10.py \\
        --config.experiment.sft_checkpoint=runs/libero10     # an existing SFT run

``configs/libero10.py`` (base VLA, 128 px, 50 demos per task, 30,000 SFT steps, GRPO 100
iterations of 8 prompts x 8 samples at temperature 1.6, one task per iteration round robin,
LIBERO's 520-step limit) in the run directory ``runs/smoothvla_libero10``; 6 paired seeds (the
protocol's minimum; raise ``experiment.num_pairs`` to what the report's power analysis of a
pilot asks for: a rerun with more pairs keeps the finished ones), calibration from 4 rounds of
64 SFT rollouts per task, a 30-iteration positive control, evaluation of every policy on the 50
fixed initial states of all 10 tasks, greedy and at temperature 1.6. Dynamic sampling keeps
groups whose reward varies (``ds_criterion="reward"``: for the binary arm that is
"0 < success rate < 1", for SmoothVLA also all-success groups that differ in jerk).
"""

from __future__ import annotations

import ml_collections

from configs import libero10


def get_config() -> ml_collections.ConfigDict:
    c = libero10.get_config()
    c.name = "smoothvla_libero10"
    c.workdir = "runs/smoothvla_libero10"
    c.grpo.ds_criterion = "reward"
    c.eval.num_videos = 0
    x = c.experiment
    x.num_pairs = 6
    x.calib_rounds = 4
    x.control_iterations = 30
    x.control_window = 5
    return c
