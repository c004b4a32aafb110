"""SFT on LIBERO-Goal: ten different goals in one tabletop scene (drawers, stove, plate, bowl, wine bottle).

``configs/libero10.py`` (base VLA, 128 px, 50 demos per task) with the libero_goal tasks and its
LIBERO episode limit of 300 control steps. Scenes, experts and fidelity notes: docs/suites.md.

    python -m smoothvla_jax.collect  --config=configs/libero_goal.py
    python -m smoothvla_jax.train    --config=configs/libero_goal.py
    python -m smoothvla_jax.evaluate --checkpoint=runs/libero_goal --num_init=50
"""

from __future__ import annotations

import ml_collections

from configs.suites import suite_config


def get_config() -> ml_collections.ConfigDict:
    return suite_config("libero_goal")
