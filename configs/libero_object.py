"""SFT on LIBERO-Object: ten groceries on the floor, each picked into the basket (arm on the ground).

``configs/libero10.py`` (base VLA, 128 px, 50 demos per task) with the libero_object tasks and its
LIBERO episode limit of 280 control steps. Scenes, experts and fidelity notes: docs/suites.md.

    python -m smoothvla_jax.collect  --config=configs/libero_object.py
    python -m smoothvla_jax.train    --config=configs/libero_object.py
    python -m smoothvla_jax.evaluate --checkpoint=runs/libero_object --num_init=50
"""

from __future__ import annotations

import ml_collections

from configs.suites import suite_config


def get_config() -> ml_collections.ConfigDict:
    return suite_config("libero_object")
