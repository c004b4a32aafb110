"""An honest CPU run (~30 min on 2 cores): tiny VLA, 64 px, two short LIBERO-10 kitchen tasks.

``libero_10/2`` (turn on the stove, put the moka pot on it) and ``libero_10/9`` (mug into the
microwave, close it): the scripted expert solves them in ~80-90 and ~115-125 control steps and
their scenes simulate ~5x faster than LIVING_ROOM_SCENE2 (tasks 0/1), so a 180-step horizon
(also the GRPO horizon of ``configs/grpo_cpu.py``) keeps full, successful demonstrations while
bounding MJX cost. 50 demos per task (LIBERO's count) from fresh training layouts, with light
action noise (0.02; at 0.05 the stove push fails ~60% of the time), 6,000 SFT steps with +-4 px
image shifts, greedy evaluation on 20 of the fixed (held-out) initial states per task.

    python -m smoothvla_jax.train    --config=configs/cpu.py   # collect, SFT, GRPO, eval, report
    python -m smoothvla_jax.train    --config=configs/cpu.py --config.stages=collect,sft,eval
    python -m smoothvla_jax.evaluate --checkpoint=runs/cpu --num_init=50   # more init states

GRPO (the settings of ``configs/grpo_cpu.py``, which runs it alone for several seeds) trains on
task 2 only: 2 prompts x 8 samples of 23 chunks x 8 steps (limit 180) per iteration, 16
iterations, ~12 min on 2 cores; the paper's multiplicative hybrid reward with an MSJ scale.
"""

from __future__ import annotations

import ml_collections

from configs import libero10


def get_config() -> ml_collections.ConfigDict:
    c = libero10.get_config()
    c.name = "cpu"
    c.workdir = "runs/cpu"
    c.hardware = "cpu"

    d = c.data
    d.root = "data/cpu"
    d.tasks = "libero_10/2,libero_10/9"
    d.num_demos = 50
    d.image_size = 64
    d.horizon = 180
    d.action_noise = 0.02
    d.max_attempts = 2
    d.batch_size = 10
    d.segment = 40

    c.model.size = "tiny"
    c.model.dtype = "float32"

    s = c.sft
    s.batch_size = 32
    s.num_steps = 6_000
    s.augment_shift = 4             # +-4 px random image translation
    s.lr = 1e-3
    s.warmup_steps = 150
    s.log_every = 50
    s.save_every = 1_000
    s.async_checkpoint = False

    e = c.eval
    e.num_init = 20
    e.horizon = 180
    e.batch_size = 10
    e.num_videos = 2

    g = c.grpo
    g.tasks = "libero_10/2"         # "" = data.tasks (round robin over both SFT tasks)
    g.num_iterations = 16
    g.prompts_per_iteration = 2     # prompts from 50 fresh training layouts (prompt_layouts)
    g.group_size = 8
    g.horizon = 180                 # = data.horizon = eval.horizon (23 chunks of 8)
    g.lr = 1e-4                     # tiny policy, few iterations (paper: 5e-6 for a 7B VLA)
    g.num_minibatches = 2
    g.save_every = 4
    g.async_checkpoint = False
    g.ds_criterion = "reward"       # binary: same as "success"; smooth: keeps all-success groups
    g.temperature = 0.7
    r = c.reward
    r.form = "multiplicative"
    r.lam = 0.5
    r.normalization = "msj_scale"
    r.jerk_scale = 1.0e5
    return c
