"""An honest CPU run: tiny VLA, 64 px, two LIBERO-10 tasks, LIBERO's OSC controller.

``libero_10/2`` (turn on the stove, put the moka pot on it) and ``libero_10/5`` (pick up the
book and place it in the back compartment of the caddy): cheap scenes (13 and 15 contact pairs
with finger-pad contacts; LIVING_ROOM_SCENE2 of tasks 0/1 has 80) with short expert episodes.
Dynamics ``"libero_fast"``: LIBERO's OSC_POSE controller with finger-pad contacts (full
contacts cost ~2x on CPU: BENCHMARKS.md, "Controller (OSC) and contacts"; evaluation-sized
configs use ``"libero"``).

Horizon: the scripted experts need 146-154 control steps on task 2 and 104-111 on task 5 under
``"libero_fast"`` (:data:`EXPERT_STEPS`, the maxima of docs/controller.md, "Expert episode
lengths under the CPU dynamics"), so ONE :data:`HORIZON` = 240 steps (>= 1.5x either expert)
serves the demonstrations, GRPO and the evaluation of both tasks. Episodes end at success; the
cap only bounds failures (the 50-demo start's successful episodes on task 2 took 114-164).
(``libero_10/9``, the second task until 2026-11-30, needs 238-244: it would need ~370 steps.)

Data and SFT: 150 scripted demos per task from fresh training layouts (``data.layouts=
"train"``) with light action noise (0.02), 240-step limit; 9,000 SFT steps x 32 with +-4 px
image shifts; greedy evaluation on 20 of the fixed (held-out) initial states per task. What
the start took, measured on 2 shared CPU cores (2026-11-30), success of the SFT policy on the
first 50 *training layouts* of ``libero_10/2`` (where GRPO's prompts start;
``evaluate --layouts=train --num_init=50``):

======================================  ===========================  ==========  ======
SFT start                               cost                         T = 0.3     greedy
======================================  ===========================  ==========  ======
50 demos/task, 6,000 steps              collect 124 s, SFT 1,050 s   20% (10/50) 26%
**150 demos/task, 9,000 steps** (this)  collect ~4 min, SFT ~26 min  34% (17/50) 42% (21/50)
300 demos/task, 12,000 steps            collect 15.5 min, SFT 59 min 32% (16/50) 26% (13/50)
======================================  ===========================  ==========  ======

(The 300-demo row ran with other jobs sharing the cores, hence its times. Twice the
demonstrations and 4/3 the steps did not raise the rate: the tiny VLA's SFT plateaus at ~30-40%
on training layouts here, final training loss ~2.16-2.18 in both; the 50-70% that issue 13 asks
of a GRPO start needs something other than more of the same data and steps.)

On its other task, ``libero_10/5``, the same 150-demo, 9,000-step policy succeeds **60% (30/50)
at T = 0.15 and 58% (29/50) greedy** on the first 50 training layouts (2026-12-01; 57.5% at
T = 0.15 over 4 sampling seeds and 54% greedy on the 50 fixed states): inside issue 13's
50-70%, so ``configs/grpo_cpu_t5.py`` runs GRPO on that task from this start.

(Collection runs at 258-290 env-steps/s after a ~36 s compile.) This start is the one
``configs/grpo_cpu_t03.py`` runs GRPO from.

    python -m smoothvla_jax.train    --config=configs/cpu.py   # collect, SFT, GRPO, eval, report
    python -m smoothvla_jax.train    --config=configs/cpu.py --config.stages=collect,sft  # ~30 min
    python -m smoothvla_jax.evaluate --checkpoint=runs/cpu --tasks=libero_10/2 --num_init=50 \\
        --layouts=train --temperature=0.3                # and --temperature=0 (greedy)
    python -m smoothvla_jax.evaluate --checkpoint=runs/cpu --num_init=50   # the 50 fixed states
    # the cheaper first start: --config.data.num_demos=50 --config.sft.num_steps=6000

Full contacts (``--config.env.dynamics=libero``): the experts need ~175 steps on task 2 and
~139 on task 5 (means), so add ``--config.data.horizon=320 --config.eval.horizon=320
--config.grpo.horizon=320``. The IK-era start of RESULTS.md sections 1-4 (tasks 2 and 9 under
the first port's IK controller, 180-step episodes, 50 demos per task, 6,000 steps) is
``configs/cpu_ik.py``.

GRPO (the settings of ``configs/grpo_cpu.py``, which runs it alone for several seeds) trains on
task 2 only: 2 prompts x 8 samples of 30 chunks x 8 steps (limit 240) per iteration, 16
iterations; the paper's multiplicative hybrid reward with an MSJ scale.
"""

from __future__ import annotations

import ml_collections

from configs import libero10
from envs_mjx import dynamics

# Longest scripted-expert episode (control steps to success) under "libero_fast": C MuJoCo
# runs from LIBERO's initial states, all successful (docs/controller.md, "Expert episode lengths
# under the CPU dynamics", where a test checks these against the table).
EXPERT_STEPS = {"libero_10/2": 154, "libero_10/5": 111, "libero_10/9": 244}
HORIZON = 240                       # demos, GRPO and evaluation: >= 1.5x EXPERT_STEPS of data.tasks


def get_config() -> ml_collections.ConfigDict:
    c = libero10.get_config()
    c.name = "cpu"
    c.workdir = "runs/cpu"
    c.hardware = "cpu"
    c.env.dynamics = dynamics.CPU    # "libero_fast": OSC, finger-pad contacts

    d = c.data
    d.root = "data/cpu"
    d.tasks = "libero_10/2,libero_10/5"
    d.num_demos = 150
    d.image_size = 64
    d.horizon = HORIZON
    d.action_noise = 0.02
    d.max_attempts = 2
    d.batch_size = 10
    d.segment = 40

    c.model.size = "tiny"
    c.model.dtype = "float32"

    s = c.sft
    s.batch_size = 32
    s.num_steps = 9_000
    s.augment_shift = 4             # +-4 px random image translation
    s.lr = 1e-3
    s.warmup_steps = 150
    s.log_every = 50
    s.save_every = 1_000
    s.async_checkpoint = False

    e = c.eval
    e.num_init = 20
    e.horizon = HORIZON
    e.batch_size = 10
    e.num_videos = 2

    g = c.grpo
    g.tasks = "libero_10/2"         # "" = data.tasks (round robin over both SFT tasks)
    g.num_iterations = 16
    g.prompts_per_iteration = 2     # prompts from 50 fresh training layouts (prompt_layouts)
    g.group_size = 8
    g.horizon = HORIZON             # 30 chunks of 8
    g.lr = 1e-4                     # tiny policy, few iterations (paper: 5e-6 for a 7B VLA)
    g.num_minibatches = 2
    g.save_every = 4
    g.async_checkpoint = False
    g.ds_criterion = "reward"       # binary: same as "success"; smooth: keeps all-success groups
    g.temperature = 0.7
    r = c.reward
    r.form = "multiplicative"
    r.lam = 0.5
    r.normalization = "msj_scale"
    r.jerk_scale = 1.0e5
    return c
