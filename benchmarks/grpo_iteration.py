"""Seconds per GRPO iteration (rollout rounds + reward + update) for a GRPO config.

    python benchmarks/grpo_iteration.py --config configs/grpo_smoke.py [--iters 3] \\
        [--breakdown] [--checkpoint runs/cpu] [--config.grpo.group_size=8 ...]

Uses a freshly initialised policy of the config's model size (no SFT checkpoint needed) on the
config's first task, or with ``--checkpoint DIR`` a trained (SFT) policy: a random policy never
succeeds, so every episode runs to the limit and no decision is left out of the update, while
a policy that succeeds ends episodes early. Compile time (the first call) is reported
separately. ``iter_cpu_s`` is the process's CPU time (all threads) per iteration: on a shared
machine it varies far less with the load than the wall time, so compare code versions by it
when the cores are not idle; ``parts_cpu_s`` splits it into the collect rounds and the update
(each call waited for), ``episodes`` gives each iteration's success rate and decision counts.
``--breakdown`` also times the parts of the iteration as separately jitted functions on the
same inputs: the rollout of the ``R * G`` episodes (physics + rendering + policy sampling),
reward + group advantages, and the PPO update epochs on the ``P * G`` buffer. Peak memory: the
process's max RSS (CPU) or the device's ``peak_bytes_in_use`` (GPU/TPU). A random policy
never succeeds, so time the update with ``--config.grpo.dynamic_sampling=False`` (otherwise
every group is dropped and it is skipped). Prints one JSON line; sweep
``--config.grpo.group_size`` / ``prompts_per_iteration`` for scaling.
"""

from __future__ import annotations  # noqa: I001  (smoothvla_jax must import before jax)

import argparse
import dataclasses
import json
import resource
import time

import smoothvla_jax  # noqa: F401  (XLA CPU flag before JAX starts)

import jax
import numpy as np

from smoothvla_jax import builders
from smoothvla_jax.checkpoints import Policy
from smoothvla_jax.model import ActionNormalizer, ActionTokenizer, init_params
from smoothvla_jax.model.tokenizer import LIBERO_10_INSTRUCTIONS
from smoothvla_jax.config import as_config
from smoothvla_jax.rl import trainer


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__)
    ap.add_argument("--config", required=True)
    ap.add_argument("--iters", type=int, default=3)
    ap.add_argument("--breakdown", action="store_true", help="time rollout / reward / update")
    ap.add_argument("--checkpoint", default="", help="SFT run directory (default: fresh policy)")
    args, overrides = ap.parse_known_args()  # the rest: --config.a.b=v overrides
    bad = [o for o in overrides if not o.startswith("--config.")]
    if bad:
        ap.error(f"unrecognized arguments: {bad}")
    config = as_config(builders.load_config(args.config, overrides))
    if args.checkpoint:
        from smoothvla_jax.checkpoints import load_policy

        policy = load_policy(args.checkpoint)
        vcfg = policy.vla_config
    else:
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
                                     keep_reference=True)
    key = jax.random.PRNGKey(1)
    cpu_parts: dict[str, float] = {}

    def cpu_timed(name, f):
        def g(*a):
            c0 = time.process_time()
            out = jax.block_until_ready(f(*a))
            cpu_parts[name] = cpu_parts.get(name, 0.0) + time.process_time() - c0
            return out
        return g

    it = setup.iteration
    it = dataclasses.replace(it, collect=cpu_timed("collect", it.collect),
                             update=cpu_timed("update", it.update))
    t0 = time.perf_counter()
    state, _ = it(state, key)  # compiles collect + update
    compile_s = time.perf_counter() - t0
    times, cpu_times, parts, rounds, cpu_split, decisions = [], [], [], [], [], []
    for i in range(args.iters):
        cpu_parts.clear()
        t0, c0 = time.perf_counter(), time.process_time()
        state, metrics = it(state, jax.random.fold_in(key, i + 1))
        times.append(time.perf_counter() - t0)
        cpu_times.append(time.process_time() - c0)
        parts.append(dict(it.last_times))
        rounds.append(metrics["rounds"])
        cpu_split.append({k: round(v, 2) for k, v in cpu_parts.items()})
        if hasattr(setup.iteration.update, "_cache_size"):  # compiled update variants so far
            cpu_split[-1]["update_variants"] = setup.iteration.update._cache_size()
        decisions.append({k: metrics.get(k) for k in (
            "success_rate", "episode_length", "valid_chunk_frac", "groups_used",
            "used_decisions", "valid_decisions", "update_decisions") if k in metrics})
    n_roll = it.rollout_prompts * int(g.group_size)
    steps = n_roll * trainer.episode_shape(g, vcfg.chunk)[1] * vcfg.chunk
    out = {"config": args.config, "task": task, "episodes_per_round": n_roll,
           "group_size": int(g.group_size), "prompts": int(g.prompts_per_iteration),
           "rollout_prompts": it.rollout_prompts, "rounds": rounds,
           "env_steps_per_round": steps, "image_size": vcfg.image_size,
           "compile_s": round(compile_s, 1), "iter_s": [round(t, 2) for t in times],
           "mean_iter_s": round(float(np.mean(times)), 2),
           "iter_cpu_s": [round(t, 2) for t in cpu_times],
           "mean_iter_cpu_s": round(float(np.mean(cpu_times)), 2),
           "parts_cpu_s": cpu_split, "episodes": decisions,
           "checkpoint": args.checkpoint or None,
           "iteration_parts_s": {k: round(float(np.mean([p[k] for p in parts])), 2)
                                 for k in parts[0]},
           "backend": jax.default_backend(), "devices": jax.device_count()}
    if args.breakdown:
        out["breakdown_s"] = breakdown(setup, policy, config, opt, state, key, args.iters)
    out.update(peak_memory())
    print(json.dumps(out))


def peak_memory() -> dict:
    """Peak host RSS (MiB) and, on accelerators, the device's peak bytes in use (MiB)."""
    out = {"peak_rss_mib": round(resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024, 1)}
    stats = jax.devices()[0].memory_stats() or {}
    if "peak_bytes_in_use" in stats:
        out["peak_device_mib"] = round(stats["peak_bytes_in_use"] / 2 ** 20, 1)
    return out


def breakdown(setup, policy, config, opt, state, key, iters: int) -> dict:
    """Median seconds of rollout / reward+advantages / update, each jitted on its own."""
    import jax.numpy as jnp

    from smoothvla_jax.rl.grpo import group_advantages
    from smoothvla_jax.rl.rewards import RewardConfig
    from smoothvla_jax.rollout import make_rollout_fn

    g, vcfg = config.grpo, policy.vla_config
    gcfg = trainer.grpo_config_from(g)
    rcfg = RewardConfig.from_config(config.reward)
    it = setup.iteration
    p, gs = it.rollout_prompts, int(g.group_size)
    n = p * gs
    _, num_chunks = trainer.episode_shape(g, vcfg.chunk)
    tokens, mask = policy.tokenizer.encode(setup.env.instruction, max_len=vcfg.text_max_len)
    rollout = make_rollout_fn(setup.env, vcfg, policy.action_tokenizer, tokens[0], mask[0],
                              num_chunks, gcfg.temperature,
                              action_normalizer=policy.action_normalizer)
    roll = jax.jit(lambda params, k: jax.vmap(rollout, in_axes=(None, 0, 0))(
        params, jax.random.split(k, n), jnp.repeat(jnp.arange(p), gs)))

    def reward(traj):
        traj = jax.tree.map(lambda x: x.reshape((p, gs) + x.shape[1:]), traj)
        r, ep = trainer.episode_metrics(traj, rcfg, vcfg.chunk)
        return group_advantages(r, gcfg.adv_eps, gcfg.adv_norm), ep
    reward = jax.jit(reward)

    def timed(f, *a):
        jax.block_until_ready(f(*a))  # compile + warm up
        ts = []
        for _ in range(max(iters, 1)):
            t0 = time.perf_counter()
            jax.block_until_ready(f(*a))
            ts.append(time.perf_counter() - t0)
        return float(np.median(ts))

    params = state.params
    traj = roll(params, key)
    buffer, filled, _ = it.collect(params, key, it.init_buffer(), jnp.int32(0))
    # the update donates its state: time it on copies
    fresh = lambda: jax.tree.map(jnp.array, state)
    out = {"rollout": timed(roll, params, key), "reward": timed(reward, traj),
           "update": timed(lambda: it.update(fresh(), buffer, jnp.int32(it.prompts), key,
                                             it.ladder[-1]))}
    total = sum(out.values())
    return {k: round(v, 3) for k, v in out.items()} | {
        "rollout_frac": round(out["rollout"] / total, 3)}


if __name__ == "__main__":
    main()
