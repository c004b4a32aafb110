"""Multi-task SFT over all 40 tasks: LIBERO-10, -Spatial, -Object and -Goal in one run.

``configs/libero10.py`` with ``data.suite="all"`` (``data.tasks="all"`` = every task of every
suite; a comma list mixing suites such as ``"libero_spatial,libero_goal/3"`` works too).
Demonstrations are collected with a 520-step cap (the longest limit; the expert ends far
earlier), evaluation uses each task's own LIBERO limit (``eval.horizon=0``: spatial 220,
object 280, goal 300, libero_10 520 control steps).

    python -m smoothvla_jax.collect  --config=configs/libero_all.py
    python -m smoothvla_jax.train    --config=configs/libero_all.py
    python -m smoothvla_jax.evaluate --checkpoint=runs/libero_all --num_init=50
"""

from __future__ import annotations

import ml_collections

from configs import libero10


def get_config() -> ml_collections.ConfigDict:
    c = libero10.get_config()
    c.name = "libero_all"
    c.workdir = "runs/libero_all"
    c.data.root = "data/libero_all"
    c.data.suite = "all"
    c.data.tasks = "all"            # 40 tasks; or any comma list of keys / suite names
    c.data.horizon = 520            # collection cap: the longest suite limit (libero_10)
    c.eval.horizon = 0              # 0 = each task's LIBERO limit
    c.grpo.horizon = 0              # (GRPO too)
    return c
