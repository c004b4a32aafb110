"""Shared builder of the per-suite SFT configs (``configs/libero_spatial.py`` & co.).

Each suite config is ``configs/libero10.py`` with the suite's tasks, dataset/run directories and
LIBERO episode limit (libero_spatial 220, libero_object 280, libero_goal 300 control steps).
"""

from __future__ import annotations

import ml_collections

from configs import libero10

HORIZONS = {"libero_spatial": 220, "libero_object": 280, "libero_goal": 300, "libero_10": 520}


def suite_config(suite: str) -> ml_collections.ConfigDict:
    """``configs/libero10.py`` retargeted to all 10 tasks of ``suite``."""
    c = libero10.get_config()
    c.name = suite
    c.workdir = f"runs/{suite}"
    c.data.root = f"data/{suite}"
    c.data.suite = suite
    c.data.tasks = "all"            # = the suite's 10 tasks
    c.data.horizon = HORIZONS[suite]
    c.eval.horizon = HORIZONS[suite]
    c.grpo.horizon = HORIZONS[suite]
    return c
