"""Seconds per GRPO iteration (rollouts + reward + update, one jitted call) for a GRPO config.

    python benchmarks/grpo_iteration.py --config configs/grpo_smoke.py [--iters 3] \\
        [--config.grpo.group_size=8 ...]

Uses a freshly initialised policy of the config's model size (no SFT checkpoint needed) on the
config's first task; compile time is reported separately. Prints one JSON line.
"""

from __future__ import annotations  # noqa: I001  (smoothvla_jax must import before jax)

import argparse
import json
import time

import smoothvla_jax  # noqa: F401  (XLA CPU flag before JAX starts)

import jax
import numpy as np

from smoothvla_jax import builders
from smoothvla_jax.checkpoints import Policy
from smoothvla_jax.model import ActionNormalizer, ActionTokenizer, init_params
from smoothvla_jax.model.tokenizer import LIBERO_10_INSTRUCTIONS
from smoothvla_jax.rl import trainer


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__)
    ap.add_argument("--config", required=True)
    ap.add_argument("--iters", type=int, default=3)
    args, overrides = ap.parse_known_args()  # the rest: --config.a.b=v overrides
    bad = [o for o in overrides if not o.startswith("--config.")]
    if bad:
        ap.error(f"unrecognized arguments: {bad}")
    config = builders.load_config(args.config, overrides)
    vcfg = builders.vla_config(config)
    tok = builders.make_tokenizer(LIBERO_10_INSTRUCTIONS, vcfg.vocab_size)
    policy = Policy(params=init_params(jax.random.PRNGKey(0), vcfg), vla_config=vcfg,
                    action_tokenizer=ActionTokenizer(num_bins=vcfg.num_bins),
                    action_normalizer=ActionNormalizer(), tokenizer=tok, config={}, step=0,
                    meta={})
    task = builders.task_keys(config.grpo.tasks or config.data.tasks, config.data.suite)[0]
    g = config.grpo
    opt = trainer.make_grpo_optimizer(float(g.lr))
    setup = trainer.build_task_iteration(task, policy, config, opt)
    state = trainer.init_train_state(policy.params, opt, jax.random.PRNGKey(0),
                                     keep_reference=float(g.kl_coef) > 0)
    key = jax.random.PRNGKey(1)
    t0 = time.perf_counter()
    fn = setup.iteration.lower(state, key).compile()
    compile_s = time.perf_counter() - t0
    times = []
    for i in range(args.iters):
        t0 = time.perf_counter()
        state, metrics = fn(state, jax.random.fold_in(key, i))
        jax.block_until_ready(metrics)
        times.append(time.perf_counter() - t0)
    n_eps = int(g.prompts_per_iteration) * int(g.group_size)
    steps = n_eps * trainer.episode_shape(g, vcfg.chunk)[1] * vcfg.chunk
    print(json.dumps({"config": args.config, "task": task, "episodes": n_eps,
                      "env_steps_per_iter": steps, "image_size": vcfg.image_size,
                      "compile_s": round(compile_s, 1), "iter_s": [round(t, 2) for t in times],
                      "mean_iter_s": round(float(np.mean(times)), 2),
                      "env_steps_per_s": round(steps / float(np.mean(times)), 1),
                      "cpu_devices": jax.device_count()}))


if __name__ == "__main__":
    main()
