"""The real SmoothVLA run: base VLA, 128 px cameras, all 10 LIBERO-10 tasks (GPU/TPU sized).

    python -m smoothvla_jax.train --config=configs/libero10.py

runs the whole pipeline in ``runs/libero10``: collect 50 scripted-expert demonstrations per task
(when ``data/libero10`` is missing), 30,000 SFT steps, 100 GRPO iterations of 8 prompts x 8
samples with the SmoothVLA reward (success x (1 - 0.2 x jerk cost)), greedy evaluation of the SFT
and GRPO policies on the 50 fixed initial states of every task, and an SFT vs SmoothVLA report,
all under LIBERO's dynamics (``env.dynamics="libero"``, the default: OSC_POSE + full contacts;
every evaluation-sized config inherits it).
``--config.stages=sft,grpo`` (any subset of collect,sft,grpo,eval,report) runs only those
stages; every stage resumes where it stopped. Every value is a default of
:class:`smoothvla_jax.config.Config` (the field comments there document them); the other
configs start from this file and change what they need. On a CPU-only machine use
``configs/cpu.py``.
"""

from __future__ import annotations

import ml_collections

from smoothvla_jax.config import default_config_dict


def get_config() -> ml_collections.ConfigDict:
    c = default_config_dict()
    c.name = "libero10"
    c.workdir = "runs/libero10"
    c.data.root = "data/libero10"
    return c
