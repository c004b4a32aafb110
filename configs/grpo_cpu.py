"""The honest CPU experiment (2 cores, ~2 h): SFT vs GRPO-binary vs SmoothVLA.

``configs/cpu.py`` (tiny VLA, 64 px, LIBERO-10 tasks 2 and 5, 240-step episodes, 150 noisy
demos per task from training layouts, 9,000 SFT steps) + the GRPO sections. Its SFT run (``runs/cpu``)
is the GRPO starting point (the powered, paired version of this experiment is
``python -m smoothvla_jax.experiment --config=configs/smoothvla_cpu.py``); by hand::

    python -m smoothvla_jax.train --config=configs/cpu.py --config.stages=collect,sft
    python -m smoothvla_jax.train --config=configs/grpo_cpu.py --config.reward.kind=binary \\
                                  --config.seed=0 --config.grpo.workdir=runs/cpu_grpo/binary_s0
    python -m smoothvla_jax.train --config=configs/grpo_cpu.py --config.reward.kind=smooth \\
                                  --config.seed=0 --config.grpo.workdir=runs/cpu_grpo/smooth_s0

GRPO sizing (measured under the IK dynamics with 180-step episodes; 2-core machine shared with
another job, 64 px, compile ~100 s per task): task 2 (kitchen) ~30-45 s per iteration; tasks 0/1
(LIVING_ROOM_SCENE2, 80 collision pairs) ~105 s. GRPO therefore trains and is evaluated on task
2 only: 2 prompts x 8 samples of 30 chunks x 8 steps (limit ``cpu.HORIZON`` = 240: the expert
needs 146-154 steps under ``"libero_fast"``, ``configs/cpu.py``) per iteration, 16 iterations;
expect ~1.5x the IK-era ~12 min per run (240/180 steps at ~0.86x the IK step rate; not yet
re-measured). RESULTS.md section 2 ran under IK at 180 steps (``--config.env.dynamics=ik
--config.grpo.horizon=180 --config.eval.horizon=180`` from the IK SFT start of
``configs/cpu_ik.py``, ``--config.workdir=runs/cpu_ik``).
``--config.grpo.tasks= --config.eval.tasks=`` trains/evaluates on both SFT tasks (round robin,
one compiled iteration per task; one horizon serves both).
The paper's group size, clipping and KL 0; a larger learning rate (tiny model, few iterations);
temperature 0.7 instead of 1.6 (see ``get_config``); the paper's multiplicative hybrid reward
with an MSJ scale. Evaluation: the LIBERO protocol's 50 fixed initial states, greedy; neither SFT
nor GRPO ever starts from them (training layouts, ``data.layouts`` / ``grpo.prompt_layouts``).

Dynamic sampling keeps groups whose reward is not constant (``ds_criterion="reward"``): for the
binary reward that is exactly "0 < success rate < 1"; for the SmoothVLA reward also all-success
groups whose members differ in jerk. Check ``grpo/groups_kept`` (of ``grpo/groups_drawn``) in
metrics.jsonl: if it stays ~0 for the binary reward (SFT too weak at the sampling temperature),
lower ``grpo.temperature``, or oversample and refill (``grpo.rollout_prompts``,
``grpo.max_rounds``; ``configs/grpo_cpu_t2.py``).
"""

from __future__ import annotations

import ml_collections

from configs import cpu, grpo_libero10


def get_config() -> ml_collections.ConfigDict:
    c = cpu.get_config()
    c.name = "grpo_cpu"
    e = c.eval
    e.tasks = "libero_10/2"         # "" = data.tasks (both)
    e.num_init = 50                 # LIBERO protocol (cpu.py's SFT-time evaluation uses 20)
    e.batch_size = 25               # e.horizon = grpo.horizon = cpu.HORIZON
    return grpo_libero10.grpo_only(c, "runs/cpu_grpo/smooth_s0")
