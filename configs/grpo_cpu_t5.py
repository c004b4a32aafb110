"""Binary-reward GRPO on task 5 at T = 0.15: the ``configs/grpo_cpu_t015.py`` recipe on the task
whose SFT start succeeds 50-70% of the time.

``configs/cpu.py``'s SFT policy (150 demos of each of its two tasks, 9,000 steps) succeeds only
34-42% of the time on the training layouts of ``libero_10/2``, the task every earlier GRPO
config trained on; issue 13 asks for a start at 50-70% on the chosen task, so that most groups
hold several successes. On its other task, ``libero_10/5`` (pick up the book and place it in
the back compartment of the caddy), the same checkpoint succeeds **60% (30/50) at T = 0.15 and
58% (29/50) greedy** on the first 50 training layouts (where GRPO's prompts start; seed 0,
``evaluate --layouts=train --num_init=50``; its successes take ~108 of the 240 control steps).
So this config changes one thing against ``configs/grpo_cpu_t015.py``: the task GRPO trains on
and is evaluated on, 2 -> 5. Everything else is that recipe: the same start, binary reward,
P = 8 kept groups of G = 8 drawn in rounds of R = 10 (<= 3 rounds), lr 6e-5, std advantages,
sequence-mean loss, one pass in 2 minibatches, KL 0, T = 0.15, 240-step episodes (task 5's
expert needs <= 111), 16 iterations, evaluation on task 5's 50 fixed states (LIBERO's).

    python -m smoothvla_jax.train    --config=configs/cpu.py --config.stages=collect,sft   # -> runs/cpu
    python -m smoothvla_jax.evaluate --checkpoint=runs/cpu --config=configs/grpo_cpu_t5.py \\
        --config.eval.num_videos=0 --num_init=50 --layouts=train --temperature=0.15 # start: 60%
    python -m smoothvla_jax.train    --config=configs/grpo_cpu_t5.py --config.seed=0 \\
        --config.grpo.workdir=runs/cpu_grpo_t5/s0                      # seeds 0, 1, 2
    python -m smoothvla_jax.evaluate --checkpoint=runs/cpu_grpo_t5/s0 --step=16 \\
        --config=configs/grpo_cpu_t5.py --config.eval.num_videos=0 --num_init=50 \\
        --seed=0,1,2,3 --out=eval/g0_T0.15                             # and --temperature=0

Protocol and outcome: RESULTS.md section 4, "A start at 60%: GRPO on task 5". Iteration 16,
50 fixed states, SFT 57.5% at T = 0.15 (4 sampling seeds) and 54% greedy: seeds 0-2 +14.7
points [+8.2, +21.5] at T = 0.15 and +18.0 [+5.3, +31.3] greedy (issue 13's bar met in both
modes); ~1-1.25 h per seed on 2 CPU cores with three seeds side by side.
"""

from __future__ import annotations

import ml_collections

from configs import grpo_cpu_t015, grpo_libero10

TASK = "libero_10/5"


def get_config() -> ml_collections.ConfigDict:
    c = grpo_cpu_t015.get_config()
    c.name = "grpo_cpu_t5"
    c.grpo.tasks = TASK
    c.eval.tasks = TASK
    return grpo_libero10.grpo_only(c, "runs/cpu_grpo_t5/s0")
