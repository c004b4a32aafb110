"""CPU smoke config: the whole collect -> SFT -> evaluate flow in a few minutes on 2 cores.

One task, 4 short (48-step) noisy expert demos at 32x32, the tiny model, 300 SFT steps, greedy
evaluation on 4 initial states. Episodes are far shorter than the task needs, so demos are
*partial* expert trajectories (``keep_only_success=False``) and success rates are ~0: this
config checks the plumbing, not learning. See configs/cpu.py for an honest CPU run.

    python -m smoothvla_jax.train --config=configs/smoke.py   # all three stages (below)

``data.auto_collect`` collects the dataset first when it is missing and ``eval.after_train``
evaluates the final checkpoint, so the one command runs collect -> SFT -> evaluate; the stages
can also be run one by one:

    python -m smoothvla_jax.collect  --config=configs/smoke.py
    python -m smoothvla_jax.train    --config=configs/smoke.py --config.eval.after_train=False
    python -m smoothvla_jax.evaluate --checkpoint=runs/smoke
"""

from __future__ import annotations

import ml_collections

from configs import libero10


def get_config() -> ml_collections.ConfigDict:
    c = libero10.get_config()
    c.name = "smoke"
    c.workdir = "runs/smoke"

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
    d.auto_collect = True

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
    e.after_train = True
    return c
