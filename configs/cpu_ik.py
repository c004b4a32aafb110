"""The IK-era CPU SFT start of RESULTS.md sections 1-4: ``configs/cpu.py`` as it was then.

Until 2026-11-30 the port's default dynamics were the first port's IK controller with joint
servos (``"ik"``: ~5 cm per full action, 5x LIBERO's OSC, no ramp; finger-pad contacts), and
``configs/cpu.py`` trained on ``libero_10/2`` and ``libero_10/9`` with 50 demos per task,
6,000 SFT steps and 180-step demonstrations, GRPO rollouts and evaluation (the IK experts need
~71 and ~117 steps; docs/controller.md). This config is that setup on today's code: the one
place that defines it (``configs/grpo_cpu_2task.py`` and ``configs/grpo_cpu_2task_t03.py``,
the section-4 GRPO runs, build on it). Its run and data directories are its own
(``runs/cpu_ik``, ``data/cpu_ik``), so it never meets a ``configs/cpu.py`` run made under
``"libero_fast"`` (a checkpoint or dataset of other dynamics is refused in one line anyway).

    python -m smoothvla_jax.train    --config=configs/cpu_ik.py       # collect, SFT, GRPO, eval
    python -m smoothvla_jax.train    --config=configs/cpu_ik.py --config.stages=collect,sft
    python -m smoothvla_jax.evaluate --checkpoint=runs/cpu_ik --num_init=50
"""

from __future__ import annotations

import ml_collections

from configs import cpu

HORIZON = 180                       # the IK experts: ~71 steps on task 2, ~117 on task 9


def get_config() -> ml_collections.ConfigDict:
    c = cpu.get_config()
    c.name = "cpu_ik"
    c.workdir = "runs/cpu_ik"
    c.env.dynamics = "ik"           # the default until 2026-11-30
    c.data.root = "data/cpu_ik"
    c.data.tasks = "libero_10/2,libero_10/9"
    c.data.num_demos = 50
    c.sft.num_steps = 6_000
    c.data.horizon = c.eval.horizon = c.grpo.horizon = HORIZON
    return c
