"""The powered SmoothVLA experiment on 2 CPU cores (2.5 h under IK, ~3.3 h now): SFT vs GRPO arms.

    python -m smoothvla_jax.experiment --config=configs/smoothvla_cpu.py
    python -m smoothvla_jax.experiment --config=configs/smoothvla_cpu.py \\
        --config.experiment.sft_checkpoint=runs/cpu     # start from an existing SFT run

``configs/cpu.py`` (tiny VLA, 64 px, LIBERO's OSC controller with finger-pad contacts
(``"libero_fast"``), 240-step episodes (``cpu.HORIZON``): its expert needs 146-154; temperature
0.7, P = 2 prompts x G = 8 samples per GRPO iteration) on ONE task, ``libero_10/2`` (turn on the
stove and put the moka pot on it: the kitchen scene simulates ~3x faster than the living-room
tasks), with its own SFT size (50 demos, 4,000 steps; ``configs/cpu.py`` trains 150 demos per
task for 9,000 steps), run directory ``runs/smoothvla_cpu``. Demonstrations come from
``data/cpu``: a ``configs/cpu.py`` dataset present there is reused as it is (its 150 task-2
demos), else 50 are collected. Stages and protocol: :mod:`smoothvla_jax.experiment` and
RESULTS.md ("The powered experiment").

Where the 2.5 hours went under the IK dynamics at 180 steps (2 cores; the measured speeds behind
``smoothvla_jax.train.estimate_cpu_seconds`` then: GRPO ~44 s per iteration of 16 episodes x 180
steps, SFT 0.21 s per step, evaluation ~46 s per 50 greedy episodes; plus MJX compilation,
~100 s per program, cached in ``<workdir>/jax_cache`` so the seeds of one arm share it):

=================  ==========================================================  =========
stage              size                                                        time
=================  ==========================================================  =========
demos              50 expert demos of libero_10/2 (skipped when present)       ~3 min
sft                4,000 steps, batch 32                                       ~14 min
calibrate          4 rounds x 16 SFT rollouts (64 episodes)                    ~2 min
control            12 GRPO iterations, jerk-only reward on successes           ~9 min
grpo               6 pairs x 2 arms x 10 iterations (120 iterations)           ~88 min
eval               13 policies x {greedy, T=0.7} x 50 fixed states             ~20 min
report             tables, figures                                             <1 min
=================  ==========================================================  =========

about 2 h 15 min plus compilation under IK (the experiment's progress bar starts from these
estimates and rescales its ETA with the measured speed). Starting from an existing SFT run
(``experiment.sft_checkpoint``) saves ~17 min. Six pairs is the protocol's minimum;
the report gives the power they achieve with the observed SD and the pairs needed for 0.8.
10 GRPO iterations per run (160 episodes) is what fits: a smaller effect than a long run's is
expected, and the positive control says whether the jerk reward can move MSJ at this size at
all.

Under ``"libero_fast"`` at 240 steps (the default now) expect the episode stages (demos,
calibrate, control, grpo, eval) to cost ~1.5x the table (240/180 steps at ~0.86x the IK step
rate with pixels, BENCHMARKS.md), ~3.3 h in all: over the 2.5 h budget; not yet re-measured
for this config. ``estimate_cpu_seconds`` now holds OSC-era speeds (SFT 0.175 s per step; GRPO
from ``configs/grpo_cpu_t03.py``'s 64-episode iterations, ~2.5x cheaper per episode-step than
the IK-era table since the update got cheaper), which flatter this config's 16-episode
iterations, where compilation and per-iteration overheads weigh more. To fit 2.5 h again, move
to a shorter OSC task (``libero_10/5``, the second task of ``configs/cpu.py``: 104-111 steps)
or run fewer pairs as a pilot.
"""

from __future__ import annotations

import ml_collections

from configs import cpu


def get_config() -> ml_collections.ConfigDict:
    c = cpu.get_config()
    c.name = "smoothvla_cpu"
    c.workdir = "runs/smoothvla_cpu"
    c.data.tasks = "libero_10/2"    # data.root stays data/cpu (its task-2 demos are reused)
    c.data.num_demos = 50           # collected only when data/cpu is missing
    c.sft.num_steps = 4_000
    c.grpo.tasks = ""               # = data.tasks
    c.grpo.num_iterations = 10
    c.grpo.save_every = 5
    c.eval.tasks = ""
    c.eval.num_init = 50            # the LIBERO protocol's 50 fixed initial states
    c.eval.batch_size = 25
    c.eval.num_videos = 0           # data, GRPO and eval horizons: cpu.HORIZON

    x = c.experiment
    x.num_pairs = 6
    x.calib_rounds = 4
    x.control_iterations = 12
    x.control_window = 3
    return c
