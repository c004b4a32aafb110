"""An honest CPU run (~30 min on 2 cores): tiny VLA, 64 px, three short LIBERO-10 tasks.

Tasks 0 and 1 share a scene (only the instruction tells them apart); task 2 is a kitchen. The
scripted expert solves them in ~80-110 control steps, so a 180-step horizon keeps full,
successful demonstrations while bounding MJX cost. 20 noisy demos per task, 1,500 SFT steps,
greedy evaluation on 10 fixed initial states per task.

    python -m smoothvla_jax.train    --config=configs/cpu.py  # collect + SFT + evaluate
    python -m smoothvla_jax.evaluate --checkpoint=runs/cpu --num_init=50   # more init states
"""

from __future__ import annotations

import ml_collections

from configs import libero10


def get_config() -> ml_collections.ConfigDict:
    c = libero10.get_config()
    c.name = "cpu"
    c.workdir = "runs/cpu"

    d = c.data
    d.root = "data/cpu"
    d.tasks = "libero_10/0,libero_10/1,libero_10/2"
    d.num_demos = 20
    d.image_size = 64
    d.horizon = 180
    d.max_attempts = 2
    d.batch_size = 10
    d.segment = 30
    d.auto_collect = True

    c.model.size = "tiny"
    c.model.dtype = "float32"

    s = c.sft
    s.batch_size = 32
    s.num_steps = 1_500
    s.lr = 1e-3
    s.warmup_steps = 100
    s.log_every = 50
    s.save_every = 250
    s.async_checkpoint = False

    e = c.eval
    e.num_init = 10
    e.horizon = 180
    e.batch_size = 10
    e.num_videos = 2
    e.after_train = True
    return c
