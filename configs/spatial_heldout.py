"""Held-out generalisation on CPU: SFT on 5 libero_spatial layouts, evaluate on 3 others.

The bowl to pick stands at a place never demonstrated during SFT: training layouts 0 (between
the plate and the ramekin), 2 (table center), 3 (on the cookie box), 8 (next to the plate), 9
(on the wooden cabinet); held-out layouts 1 (next to the ramekin), 5 (on the ramekin), 6 (next
to the cookie box) reuse the training scene and words in new combinations. ``eval.heldout=True``
makes ``evaluate`` refuse any overlap between ``eval.tasks`` and ``data.tasks``.

Sized like ``configs/cpu.py`` (tiny VLA, 64 px, LIBERO's OSC controller with finger-pad contacts,
``"libero_fast"``): 10 demos per training layout, 3,000 SFT steps, greedy evaluation on 20 fixed
initial states of each held-out layout within LIBERO's 220-step limit. Under ``"libero_fast"``
the expert needs 105-168 control steps on the training layouts and 108-133 on the held-out ones
(C MuJoCo, LIBERO's states 0-2 of each; the slowest is layout 9, from the wooden cabinet; under
IK ~60), so 220 steps keep every demonstration whole. RESULTS.md section 3 ran under IK
(``--config.env.dynamics=ik`` reproduces it).

    python -m smoothvla_jax.train    --config=configs/spatial_heldout.py   # collect + SFT + eval
    python -m smoothvla_jax.evaluate --checkpoint=runs/spatial_heldout --num_init=50
"""

from __future__ import annotations

import ml_collections

from configs import cpu

TRAIN = "libero_spatial/0,libero_spatial/2,libero_spatial/3,libero_spatial/8,libero_spatial/9"
HELDOUT = "libero_spatial/1,libero_spatial/5,libero_spatial/6"


def get_config() -> ml_collections.ConfigDict:
    c = cpu.get_config()
    c.name = "spatial_heldout"
    c.workdir = "runs/spatial_heldout"
    c.stages = "collect,sft,eval"   # a generalisation test of SFT (no GRPO)

    d = c.data
    d.root = "data/spatial_heldout"
    d.suite = "libero_spatial"
    d.tasks = TRAIN
    d.num_demos = 10
    d.horizon = 220

    c.sft.num_steps = 3_000

    e = c.eval
    e.tasks = HELDOUT               # layouts absent from the SFT demonstrations
    e.heldout = True                # evaluate refuses eval.tasks that overlap data.tasks
    e.num_init = 20
    e.horizon = 220
    return c
