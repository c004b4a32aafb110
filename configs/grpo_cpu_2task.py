"""Binary-reward GRPO on task 2 from the two-task SFT start of ``configs/cpu.py``.

``configs/cpu.py`` (tasks ``libero_10/2`` and ``libero_10/9``, 50 demos each, 6,000 SFT steps)
gave a stronger task-2 policy than the task-2-only ``configs/cpu_t2.py`` (RESULTS.md section 4).
GRPO here uses the mechanics of ``configs/grpo_cpu_t2.py`` (binary reward, std advantages,
sequence-mean loss, a refilled buffer of P = 4 informative groups of G = 8) with a 3x larger
learning rate (1e-4): at 3e-5 the clip fraction stayed ~0, the updates far inside the trust
region. Task 2 only, prompts from training layouts, evaluation on the 50 fixed states.

Pinned to the IK dynamics with 180-step episodes (:func:`pin_ik`): RESULTS.md section 4 ran
it that way (the defaults then), from an SFT start made the same way, so these commands still
mean what they meant now that LIBERO's OSC controller is the default (an OSC start is refused
with a one-line dynamics mismatch error):

    python -m smoothvla_jax.train    --config=configs/cpu.py --config.stages=collect,sft \\
        --config.env.dynamics=ik --config.data.horizon=180 --config.eval.horizon=180  # -> runs/cpu
    python -m smoothvla_jax.train    --config=configs/grpo_cpu_2task.py --config.seed=0 \\
        --config.grpo.workdir=runs/cpu_grpo2/s0
    python -m smoothvla_jax.evaluate --checkpoint=runs/cpu_grpo2/s0 --config=configs/grpo_cpu_2task.py \\
        --config.eval.num_videos=0 --num_init=50 --temperature=0      # and --temperature=0.7
"""

from __future__ import annotations

import ml_collections

from configs import cpu, grpo_cpu_t2, grpo_libero10


IK_HORIZON = 180                    # the IK expert needs ~71 steps on task 2, ~117 on task 9


def pin_ik(c: ml_collections.ConfigDict) -> ml_collections.ConfigDict:
    """The dynamics and horizons RESULTS.md section 4 ran under, in place: the first port's IK
    controller (the default then) and 180-step demonstrations, rollouts and evaluation."""
    c.env.dynamics = "ik"
    c.data.horizon = c.eval.horizon = c.grpo.horizon = IK_HORIZON
    return c


def get_config() -> ml_collections.ConfigDict:
    c = pin_ik(grpo_cpu_t2.mechanics(cpu.get_config()))
    c.name = "grpo_cpu_2task"
    c.grpo.lr = 1e-4
    c.eval.tasks = "libero_10/2"
    c.eval.num_init = 50
    c.eval.batch_size = 25
    return grpo_libero10.grpo_only(c, "runs/cpu_grpo2/s0")
