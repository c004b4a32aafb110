"""Binary-reward GRPO from the task-2 SFT start (``configs/cpu_t2.py``): does GRPO improve on SFT?

``configs/grpo_cpu.py`` (task ``libero_10/2``, 240-step episodes under LIBERO's OSC controller
with finger-pad contacts, ``"libero_fast"``; training layouts for prompts,
the 50 fixed evaluation states for evaluation) with the mechanics of RESULTS.md section 4:
per-step loss mask, sequence-mean loss, std-normalised advantages (binary reward) and dynamic
sampling with refill: each round rolls out R = 4 prompt groups of G = 8, keeps the groups with
0 < success rate < 1 in a buffer of P = 4 groups, and repeats (at most 3 rounds) until the
buffer is full; fewer than 2 kept groups skip the update. One pass over the buffer per update
(SimpleVLA-RL), 2 minibatches, lr 3e-5, sampling temperature ``grpo.temperature`` (0.7 here;
pick the temperature at which the SFT start succeeds 50-70% of the time, RESULTS.md section 4).

RESULTS.md section 4 ran it under the IK dynamics at 180 steps, from an IK start (add
``--config.env.dynamics=ik --config.data.horizon=180 --config.eval.horizon=180
--config.grpo.horizon=180`` to both commands below to rerun that).

    python -m smoothvla_jax.train    --config=configs/cpu_t2.py                  # SFT -> runs/cpu_t2
    python -m smoothvla_jax.train    --config=configs/grpo_cpu_t2.py --config.seed=0 \\
        --config.grpo.workdir=runs/cpu_t2_grpo/s0                 # GRPO from runs/cpu_t2
"""

from __future__ import annotations

import ml_collections

from configs import cpu_t2, grpo_libero10


def mechanics(c: ml_collections.ConfigDict) -> ml_collections.ConfigDict:
    """The section-4 GRPO mechanics on task 2 (binary reward, refilled buffer), in place."""
    c.reward.kind = "binary"
    g = c.grpo
    g.tasks = "libero_10/2"
    g.num_iterations = 12
    g.prompts_per_iteration = 4     # P groups in the update buffer
    g.rollout_prompts = 4           # R groups per rollout round
    g.max_rounds = 3                # refill rounds (bounded)
    g.min_groups = 2                # fewer kept groups: skip the update
    g.group_size = 8
    g.ds_criterion = "success"
    g.adv_norm = "std"
    g.loss_agg = "seq_mean"
    g.update_epochs = 1
    g.num_minibatches = 2
    g.lr = 3e-5
    g.temperature = 0.7
    g.save_every = 2
    g.eval_at_end = False           # evaluate greedy and sampled separately (RESULTS.md)
    return c


def get_config() -> ml_collections.ConfigDict:
    c = mechanics(cpu_t2.get_config())
    c.name = "grpo_cpu_t2"
    return grpo_libero10.grpo_only(c, "runs/cpu_t2_grpo/s0")
