"""Binary-reward GRPO on task 2 at T = 0.15: the lr 6e-5 recipe trained nearer the greedy policy.

``configs/grpo_cpu_t03_lr6e5.py`` (T = 0.3) cleared the issue-13 bar at its training
temperature in two sets of three seeds (+14.0 and +18.3 points) but not greedy (+10.7 and +0.7,
per seed -10 to +16): the episodes GRPO learns from are sampled at T = 0.3, whose failures are
largely sampling failures that the greedy policy does not make (the start: 38% at T = 0.3, 46%
greedy on the 50 fixed states), so the update mostly removes those. This config changes one
thing: the temperature GRPO samples at (and evaluates at) 0.3 -> 0.15. Its rollouts then stay
close to the greedy trajectory, so the failures it learns from are mostly the greedy policy's
own, and the tokens it pushes down are mostly the argmax tokens on them.

Everything else is the lr 6e-5 run: the ``configs/cpu.py`` start, binary reward, P = 8 kept
groups of G = 8 drawn in rounds of R = 10 (<= 3 rounds), lr 6e-5, std advantages,
sequence-mean loss, one pass in 2 minibatches, KL 0, 240-step episodes, 16 iterations.

    python -m smoothvla_jax.train    --config=configs/cpu.py --config.stages=collect,sft   # -> runs/cpu
    python -m smoothvla_jax.train    --config=configs/grpo_cpu_t015.py --config.seed=0 \\
        --config.grpo.workdir=runs/cpu_grpo_t015/s0                    # seeds 0, 1, 2
    python -m smoothvla_jax.evaluate --checkpoint=runs/cpu_grpo_t015/s0 --step=16 \\
        --config=configs/grpo_cpu_t015.py --config.eval.num_videos=0 --num_init=50 \\
        --seed=0,1,2,3 --out=eval/g0_T0.15                             # and --temperature=0

Protocol and outcome: RESULTS.md section 4, "Training nearer the greedy policy". Iteration 16,
50 fixed states, SFT 40% at T = 0.15 (4 sampling seeds) and 46% greedy: seeds 0-2 (primary)
+12.2 points [+3.2, +21.3] at T = 0.15, +7.3 [-5.3, +20.0] greedy (bar not met greedy);
replication seeds 3-5 +14.5 [+4.7, +24.7] and +16.0 [+2.0, +30.0] (bar met in both modes).
"""

from __future__ import annotations

import ml_collections

from configs import grpo_cpu_t03_lr6e5, grpo_libero10

TEMPERATURE = 0.15


def get_config() -> ml_collections.ConfigDict:
    c = grpo_cpu_t03_lr6e5.get_config()
    c.name = "grpo_cpu_t015"
    c.grpo.temperature = TEMPERATURE
    c.eval.temperature = TEMPERATURE
    return grpo_libero10.grpo_only(c, "runs/cpu_grpo_t015/s0")
