"""CPU smoke config: the whole pipeline (collect -> SFT -> GRPO -> evaluate -> report) in minutes.

One task, 4 short (48-step) noisy expert demos at 32x32, the tiny model, 300 SFT steps, 3 GRPO
iterations of 1 prompt x 4 samples, greedy evaluation on 4 initial states, under the CPU
dynamics of ``configs/cpu.py`` (``"libero_fast"``: LIBERO's OSC controller, finger-pad
contacts). Episodes are far shorter than the task needs (its expert: ~240 control steps under
``"libero_fast"``; 48 steps move the hand at most ~60 cm), so demos are *partial* expert trajectories
(``keep_only_success=False``) and success rates are ~0: this config checks the plumbing, not
learning. See configs/cpu.py for an honest CPU run.

    python -m smoothvla_jax.train --config=configs/smoke.py
    python -m smoothvla_jax.train --config=configs/smoke.py --config.stages=collect,sft,eval

Because success is ~0 at 48 steps, dynamic sampling on success would drop every GRPO group, so
it is off, and the reward is the *additive* hybrid (failures still get lam * smoothness), so the
smooth run has a learning signal. ``--config.reward.kind=binary`` gives all-zero rewards here
(no update): the binary smoke run only checks the plumbing.
"""

from __future__ import annotations

import ml_collections

from configs import libero10
from envs_mjx import dynamics


def get_config() -> ml_collections.ConfigDict:
    c = libero10.get_config()
    c.name = "smoke"
    c.workdir = "runs/smoke"
    c.hardware = "cpu"
    c.env.dynamics = dynamics.CPU    # "libero_fast" (as configs/cpu.py)

    d = c.data
    d.root = "data/smoke"
    d.tasks = "libero_10/9"
    d.num_demos = 4
    d.image_size = 32
    d.horizon = 48
    d.keep_only_success = False
    d.max_attempts = 1
    d.batch_size = 4
    d.segment = 48

    c.model.size = "tiny"
    c.model.dtype = "float32"

    s = c.sft
    s.batch_size = 32
    s.num_steps = 300
    s.augment_shift = 2
    s.lr = 1e-3
    s.warmup_steps = 30
    s.log_every = 25
    s.save_every = 100
    s.async_checkpoint = False

    e = c.eval
    e.num_init = 4
    e.horizon = 48
    e.batch_size = 4
    e.num_videos = 2
    e.num_paths = 2

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
    c.reward.form = "additive"
    return c
