"""The powered SmoothVLA experiment on 2 CPU cores (~2 h 22 min estimated): SFT vs GRPO arms.

    python -m smoothvla_jax.experiment --config=configs/smoothvla_cpu.py
    python -m smoothvla_jax.experiment --config=configs/smoothvla_cpu.py \\
        --config.experiment.sft_checkpoint=runs/cpu     # start from an existing configs/cpu.py SFT run

**Start**: ``configs/cpu.py``'s SFT (tiny VLA, 64 px, LIBERO's OSC controller with finger-pad
contacts ``"libero_fast"``, 240-step episodes ``cpu.HORIZON``; 150 demos each of
``libero_10/2`` and ``libero_10/5`` from training layouts, 9,000 steps; 34% at T = 0.3 and 42%
greedy on the first 50 training layouts of task 2). Demonstrations come from ``data/cpu``, so
a ``configs/cpu.py`` dataset there is reused; ``experiment.sft_checkpoint=runs/cpu`` reuses
its SFT run too. Run directory ``runs/smoothvla_cpu``.

**GRPO**: the recipe that raised success under LIBERO's controller (``configs/grpo_cpu_t03.py``,
built by its :func:`~configs.grpo_cpu_t03.recipe`: RESULTS.md section 4, +9..+16 points greedy
over 3 seeds): task ``libero_10/2`` only, binary-reward mechanics (refilled buffer of informative
groups, <= 3 rounds, >= 2 kept groups to update, std advantages, sequence-mean loss, one pass
in 2 minibatches, KL 0, G = 8), T = 0.3, lr 3e-5. The experiment's arms differ from each other
only in the reward: binary ``R = success`` vs SmoothVLA ``R = success x (1 - 0.5 J)`` with the
calibrated ``log_msj`` jerk term ``J`` (``reward.form``/``lam``; :mod:`smoothvla_jax.experiment`).
What differs from ``grpo_cpu_t03.py`` is the size: P = 4 kept groups (32 episodes) per update
drawn in rounds of R = 5, and 5 iterations per run. Evaluation: the 50 fixed states of
``libero_10/2``, greedy and at T = 0.3.

*Why std advantages for both arms* (issue 13): with ``adv_norm="std"`` a group with exactly one
success gets the same advantages under both rewards (the normalisation divides the jerk factor
out), so the jerk term acts only in groups with >= 2 successes; ``"mean"`` (Dr. GRPO) would keep
it there too. Both arms use "std" because it is what the binary recipe was shown to improve
success with (the arms must share the normalisation so that they differ in the reward alone),
and at the start's ~35-45% training success most informative groups of 8 have >= 2 successes
(one success: ~5-15% of them).

*Why P = 4, R = 5*: an iteration of P = 8 (the recipe as run) costs ~2x one of P = 4, so within
the budget it would give half the updates for the same episodes; the policy's drift grew with
the number of updates (RESULTS.md section 4: KL rose linearly). With R = P a second round is
drawn whenever one group of the first is uninformative (25 of 36 iterations of the recipe); a
group was informative with probability ~0.86 there (a first round of 8 was full in 11 of 36),
so R = 5 needs a second round in ~14% of iterations (1.14 rounds on average; R = 6: 1.04 rounds
of 6, dearer).

**Two processes** (``experiment.workers = 2``): the two arms of each pair, and then the
evaluations, run side by side in two spawned processes, since one XLA CPU process keeps only
about one of the two cores busy: on the same 8 GRPO iterations, each of two processes side by
side was as fast as one process alone (BENCHMARKS.md). The table below is the one-process cost
(the progress bar's weights), so with two processes it is an upper bound.

**Budget** (2 CPU cores, ONE process; the estimates of ``smoothvla_jax.train.cpu_costs`` from
speeds measured on 2026-11-30, which also weight the experiment's progress bar; the run must
confirm them):

=========  ================================================================  ===============
stage      size                                                              time (estimate)
=========  ================================================================  ===============
demos      150 expert demos each of libero_10/2 and /5 (skipped if present)  ~3 min
sft        9,000 steps x 32                                                  ~26 min
calibrate  4 rounds x 5 groups x 8 = 160 SFT rollouts at T = 0.3             ~5 min
control    8 GRPO iterations, jerk-only reward on successes                  ~10 min
grpo       6 pairs x 2 arms x 5 iterations (60 iterations, 32 kept each)     ~67 min
eval       13 policies x {greedy, T = 0.3} x 50 fixed states                 ~29 min
report     tables, figures                                                   <1 min
total                                                                        ~2 h 22 min
=========  ================================================================  ===============

Where the numbers come from (one process keeps about one core busy: three GRPO runs side by
side each took ~1.5x as long per iteration as one alone, BENCHMARKS.md, so the ~92 s per
64-episode iteration of the three-seed runs is the throughput of three processes, not one's):
demos 39,450 env-steps at 290 env-steps/s + 18 s compile per task (178 s measured); SFT
0.175 s per step (26 min measured); a GRPO rollout round of 40 episodes x 240 steps 43 s (64 in
69-70 s measured alone) x 1.14 expected rounds + the update on 32 kept episodes 6.5 s (64 in
13 s) = 56 s per iteration, plus 30 s per run to load its programs from the persistent cache;
an evaluation of 50 episodes 56 s (rollouts 36-46 s measured alone, plus 10 s allowed for
loading the policy, building the env and the metrics); cold compilation 150 s per program set
(the calibration's rollout, the control, each arm's first run, each evaluation mode: 6 x
150 s = 15 min of the total, ~100-200 s each measured). Not measured for this config: one
process running these stages back to back (the next run's stages.json has each stage's
seconds), P = 4 iterations (costs taken as linear in the episodes), and the informative-group
rate of the arms after the first iterations. ``experiment.sft_checkpoint=runs/cpu`` saves
~29 min (demos + SFT), enough for 2 more pairs (~14 min each) in the same 2.5 h.

**The first run** (2026-11-30, RESULTS.md section 5) stopped at the positive control after 49
min: demos 3.4 min, SFT 31.6 min (0.21 s per step while a low-priority test run shared the
cores), calibration 3.2 min, control 11.3 min; the control failed (-4.5% vs -14%), so the arms
and evaluations never ran.

**Power**: six pairs is the protocol's minimum and what fits. They give power 0.8 for the
paper's 13.8% MSJ reduction (paired t, two-sided alpha 0.05) only if the SD of the paired
differences of mean ln MSJ is <= 0.10. The only SD measured so far, section 2's IK-era
between-seed SD of ln MSJ of successes (0.166 pooled over both arms, unpaired), gives a paired
SD of 0.17-0.24 (pairing removing half or none of the variance): power 0.42-0.24, 12-22 pairs
needed. So power 0.8 most likely does not fit 2.5 h; the report gives the achieved power with
the observed SD and the pairs needed. 5 iterations per run (160 kept episodes, 10 optimiser
steps) is far less GRPO than the 12 x 64 episodes that raised success, so both arms can be
expected to move less from their start than those runs did; the positive control says whether
the jerk reward moves MSJ at this size at all.
"""

from __future__ import annotations

import ml_collections

from configs import cpu, grpo_cpu_t03


def get_config() -> ml_collections.ConfigDict:
    c = grpo_cpu_t03.recipe(cpu.get_config())   # cpu.py's start + the T = 0.3 GRPO recipe
    c.name = "smoothvla_cpu"
    c.workdir = "runs/smoothvla_cpu"            # data.root stays data/cpu (reused when present)
    c.reward.kind = "smooth"        # the SmoothVLA arm: form and lam here, J calibrated (log_msj)
    g = c.grpo
    g.prompts_per_iteration = 4     # P kept groups per update (32 episodes)
    g.rollout_prompts = 5           # R groups per round (> P: one uninformative group does not
                                    # cost a second round)
    g.num_iterations = 5            # checkpoints every 2 (save_every, the recipe's)
    c.eval.num_videos = 0

    x = c.experiment
    x.num_pairs = 6
    x.workers = 2                   # the arms of a pair, and the evaluations, two at a time
    x.calib_rounds = 4
    x.control_iterations = 8
    x.control_window = 3
    return c
