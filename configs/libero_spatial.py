"""SFT on LIBERO-Spatial: ten layouts of one tabletop scene (the black bowl to put on the plate
starts at a different place in each).

``configs/libero10.py`` (base VLA, 128 px, 50 demos per task) with the libero_spatial tasks and its
LIBERO episode limit of 220 control steps. Scenes, experts and fidelity notes: docs/suites.md.

    python -m smoothvla_jax.collect  --config=configs/libero_spatial.py
    python -m smoothvla_jax.train    --config=configs/libero_spatial.py
    python -m smoothvla_jax.evaluate --checkpoint=runs/libero_spatial --num_init=50
"""

from __future__ import annotations

import ml_collections

from configs.suites import suite_config


def get_config() -> ml_collections.ConfigDict:
    return suite_config("libero_spatial")
