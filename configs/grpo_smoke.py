"""CPU smoke config for GRPO: checks the SFT -> GRPO -> evaluate plumbing in minutes.

``configs/smoke.py`` (one task, 48-step episodes at 32x32, tiny model) + the GRPO sections, shrunk:
1 prompt x 4 samples of 6 chunks x 8 steps per iteration, 3 iterations (and 100 SFT steps). 48 steps
are far too short to succeed, so success is ~0: dynamic sampling on success would drop every group,
hence it is off, and the reward is the *additive* hybrid (failures still get lam * smoothness), so
the smooth run has a non-zero learning signal. ``reward.kind=binary`` gives all-zero rewards here
(no update): the binary smoke run only checks the plumbing.

    python -m smoothvla_jax.train        --config=configs/grpo_smoke.py --config.stage=sft \\
        --config.workdir=runs/smoke                                   # the SFT checkpoint
    python -m smoothvla_jax.rl.trainer   --config=configs/grpo_smoke.py [--config.reward.kind=binary]

``SMOKE=1 bash scripts/run_experiment.sh`` runs the whole pipeline with this file.
"""

from __future__ import annotations

import ml_collections

from configs import grpo_libero10, smoke


def get_config() -> ml_collections.ConfigDict:
    c = smoke.get_config()
    c.name = "grpo_smoke"
    c.workdir = "runs/smoke_grpo"
    grpo_libero10.add_grpo(c, init_checkpoint="runs/smoke")

    g = c.grpo
    g.num_iterations = 3
    g.prompts_per_iteration = 1
    g.group_size = 4
    g.horizon = 48                  # = data.horizon = eval.horizon (6 chunks of 8)
    g.num_train_init = 4
    g.lr = 1e-4                     # tiny model on CPU: larger than the paper's 5e-6
    g.num_minibatches = 2
    g.dynamic_sampling = False      # success is ~0 at 48 steps (see the docstring)
    g.save_every = 2
    g.async_checkpoint = False
    g.eval_num_paths = 2

    c.reward.form = "additive"
    c.sft.num_steps = 100           # the SFT stage of `SMOKE=1 scripts/run_experiment.sh`
    c.sft.save_every = 100
    return c
