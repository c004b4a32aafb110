"""Binary-reward GRPO on task 2 from the IK-era two-task SFT start of ``configs/cpu_ik.py``.

``configs/cpu_ik.py`` (tasks ``libero_10/2`` and ``libero_10/9``, 50 demos each, 6,000 SFT steps)
gave a stronger task-2 policy than the task-2-only ``configs/cpu_t2.py`` (RESULTS.md section 4).
GRPO here uses the mechanics of ``configs/grpo_cpu_t2.py`` (binary reward, std advantages,
sequence-mean loss, a refilled buffer of P = 4 informative groups of G = 8) with a 3x larger
learning rate (1e-4): at 3e-5 the clip fraction stayed ~0, the updates far inside the trust
region. Task 2 only, prompts from training layouts, evaluation on the 50 fixed states.

Built on ``configs/cpu_ik.py``, so pinned to the IK dynamics with 180-step episodes and to
that start's data and SFT sizes: RESULTS.md section 4 ran it that way (the defaults then), so
these commands still mean what they meant now that LIBERO's OSC controller is the default (an
OSC start is refused with a one-line dynamics mismatch error):

    python -m smoothvla_jax.train    --config=configs/cpu_ik.py --config.stages=collect,sft  # -> runs/cpu_ik
    python -m smoothvla_jax.train    --config=configs/grpo_cpu_2task.py --config.seed=0 \\
        --config.grpo.workdir=runs/cpu_grpo2/s0
    python -m smoothvla_jax.evaluate --checkpoint=runs/cpu_grpo2/s0 --config=configs/grpo_cpu_2task.py \\
        --config.eval.num_videos=0 --num_init=50 --temperature=0      # and --temperature=0.7
"""

from __future__ import annotations

import ml_collections

from configs import cpu_ik, grpo_cpu_t2, grpo_libero10


def get_config() -> ml_collections.ConfigDict:
    c = grpo_cpu_t2.mechanics(cpu_ik.get_config())   # SFT start runs/cpu_ik
    c.name = "grpo_cpu_2task"
    c.grpo.lr = 1e-4
    c.eval.tasks = "libero_10/2"
    c.eval.num_init = 50
    c.eval.batch_size = 25
    return grpo_libero10.grpo_only(c, "runs/cpu_grpo2/s0")
