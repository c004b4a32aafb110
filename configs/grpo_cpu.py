"""The honest CPU experiment (2 cores, hours): SFT vs GRPO-binary vs SmoothVLA on one task.

One config file drives every stage (``scripts/run_experiment.sh`` runs them all)::

    python -m smoothvla_jax.collect    --config=configs/grpo_cpu.py
    python -m smoothvla_jax.train      --config=configs/grpo_cpu.py --config.stage=sft \\
                                       --config.workdir=runs/cpu/sft
    python -m smoothvla_jax.rl.trainer --config=configs/grpo_cpu.py --config.reward.kind=binary \\
                                       --config.seed=0 --config.workdir=runs/cpu/binary_s0
    python -m smoothvla_jax.rl.trainer --config=configs/grpo_cpu.py --config.reward.kind=smooth \\
                                       --config.seed=0 --config.workdir=runs/cpu/smooth_s0

Sizing (what makes it "honest" on CPU): LIBERO-10 task 2 ("turn on the stove and put the moka
pot on it"; the scripted expert solves it in ~80 steps), 160-step episodes (2x the expert) instead
of LIBERO's 520, 64x64 cameras, the tiny VLA (~0.5M params), 50 noisy expert demos, 4k SFT
steps. GRPO: 2 prompts x 8 samples = 16 episodes of 20 chunks x 8 steps per iteration (~2.6k env
steps + 320 policy decisions + 2 epochs x 2 minibatches of updates), 40 iterations; the paper's
group size, clipping, temperature, KL 0 and success-based dynamic sampling, with a larger
learning rate (tiny model, few iterations). Evaluation: the 50 fixed initial states, greedy.
Expect GRPO to need an SFT policy with a success rate strictly between 0 and 1 at temperature
1.6; if SFT success collapses at that temperature, lower ``grpo.temperature`` (e.g. 1.0).
"""

from __future__ import annotations

import ml_collections

from configs import grpo_libero10, libero10


def get_config() -> ml_collections.ConfigDict:
    c = libero10.get_config()
    c.name = "grpo_cpu"
    c.workdir = "runs/cpu/grpo"

    d = c.data
    d.root = "data/cpu"
    d.tasks = "libero_10/2"
    d.num_demos = 50
    d.image_size = 64
    d.horizon = 160
    d.batch_size = 25
    d.segment = 40

    c.model.size = "tiny"
    c.model.dtype = "float32"

    s = c.sft
    s.batch_size = 64
    s.num_steps = 4_000
    s.lr = 1e-3
    s.warmup_steps = 200
    s.log_every = 50
    s.save_every = 1_000
    s.async_checkpoint = False

    e = c.eval
    e.num_init = 50
    e.horizon = 160
    e.batch_size = 25
    e.num_videos = 2

    grpo_libero10.add_grpo(c, init_checkpoint="runs/cpu/sft")
    g = c.grpo
    g.num_iterations = 40
    g.prompts_per_iteration = 2
    g.group_size = 8
    g.num_chunks = 20               # 160 steps at chunk 8
    g.lr = 3e-5
    g.num_minibatches = 2
    g.save_every = 5
    g.async_checkpoint = False
    return c
