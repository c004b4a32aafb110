"""CPU seconds of the GRPO update alone at a GRPO config's shapes, on a synthetic buffer.

    python benchmarks/grpo_update.py --config configs/grpo_cpu.py [--iters 3] \\
        [--ended 0.5] [--end-step 110] [--loops auto|scan|unroll]

Builds the trainer's jitted update (:func:`smoothvla_jax.rl.trainer.make_grpo_iteration`, the
same program a GRPO run compiles: the update only sees the buffer's shapes and the policy
config) with the cheap point-mass stand-in env of ``tests/test_pipeline.py`` instead of MJX, and
times it on a buffer of the config's ``P x G`` episodes of ``C`` decisions whose first
``--ended`` fraction of each group ends at control step ``--end-step`` (like successes; the rest
run to the limit). The first call (compile) is reported apart; then ``--iters`` calls, each on
a fresh copy of the initial state. Prints one JSON line with the process CPU seconds per update
(``update_cpu_s``), the valid and the computed decisions. Runs against whichever code is on
``PYTHONPATH`` (also code from before the compaction: then every decision is computed), so two
checkouts can be compared side by side. ``--loops`` forces the update's loop form (new code;
default: unrolled on CPU).
"""

from __future__ import annotations  # noqa: I001  (smoothvla_jax must import before jax)

import argparse
import json
import os
import sys
import time

import smoothvla_jax  # noqa: F401  (XLA CPU flag before JAX starts)

import jax
import jax.numpy as jnp
import numpy as np

from smoothvla_jax import builders
from smoothvla_jax.config import as_config
from smoothvla_jax.model import ActionTokenizer, default_tokenizer, init_params
from smoothvla_jax.rl import grpo, trainer

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "tests"))
from test_pipeline import PointEnv  # noqa: E402


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__)
    ap.add_argument("--config", required=True)
    ap.add_argument("--iters", type=int, default=3)
    ap.add_argument("--ended", type=float, default=0.5, help="fraction of each group ending early")
    ap.add_argument("--end-step", type=int, default=110, help="control step they end at")
    ap.add_argument("--loops", choices=("auto", "scan", "unroll"), default="auto")
    args, overrides = ap.parse_known_args()
    bad = [o for o in overrides if not o.startswith("--config.")]
    if bad:
        ap.error(f"unrecognized arguments: {bad}")
    new_code = hasattr(grpo, "compact_decisions")
    kwargs = {}
    if args.loops != "auto":
        if not new_code:
            ap.error("--loops needs the code with the compacted update")
        kwargs["unroll"] = args.loops == "unroll"
    config = as_config(builders.load_config(args.config, overrides))
    vcfg = builders.vla_config(config)
    g = config.grpo
    task = builders.task_keys(g.tasks or config.data.tasks, config.data.suite)[0]
    horizon, c = trainer.episode_shape(g, vcfg.chunk, task)
    k = vcfg.chunk
    ids, tmask = default_tokenizer().encode("put both moka pots on the stove",
                                            max_len=vcfg.text_max_len)
    opt = trainer.make_grpo_optimizer(float(g.lr))
    p = int(g.prompts_per_iteration)
    it = trainer.make_grpo_iteration(
        PointEnv(vcfg.image_size, max_steps=horizon), vcfg,
        ActionTokenizer(num_bins=vcfg.num_bins), ids[0], tmask[0], trainer.grpo_config_from(g),
        config.reward, opt, c, p, donate=False, **kwargs)
    gs = it.group_size
    rng = np.random.default_rng(0)
    buf = {}
    for name, s in it.buffer_shapes.items():
        if s.dtype == jnp.uint8:
            buf[name] = rng.integers(0, 256, s.shape).astype(np.uint8)
        elif name == "tokens":
            buf[name] = rng.integers(0, vcfg.num_bins, s.shape).astype(s.dtype)
        elif name == "logp_old":
            buf[name] = np.full(s.shape, -np.log(vcfg.num_bins), s.dtype)
        else:
            buf[name] = rng.normal(size=s.shape).astype(s.dtype)
    length = np.full((p, gs), horizon)
    length[:, : int(round(args.ended * gs))] = min(args.end_step, horizon)
    steps = np.arange(c * k)
    buf["mask"] = (steps[None, None] < length[..., None]).reshape(p, gs, c, k).astype(np.float32)
    buf["text"] = np.broadcast_to(np.asarray(ids[0]), buf["text"].shape).astype(np.int32)
    buf["text_mask"] = np.broadcast_to(np.asarray(tmask[0]), buf["text_mask"].shape)
    buf = jax.tree.map(jnp.asarray, buf)
    n_valid = int((buf["mask"] > 0).any(-1).sum())
    params = init_params(jax.random.PRNGKey(0), vcfg)
    state = trainer.init_train_state(params, opt, jax.random.PRNGKey(1), keep_reference=True)
    extra = (grpo.bucket_size(n_valid, it.ladder),) if new_code else ()
    filled = jnp.int32(p)
    cpu, wall = [], []
    for i in range(args.iters + 1):
        st = jax.tree.map(jnp.array, state)
        c0, t0 = time.process_time(), time.perf_counter()
        out = jax.block_until_ready(it.update(st, buf, filled, jax.random.PRNGKey(i), *extra))
        cpu.append(time.process_time() - c0)
        wall.append(time.perf_counter() - t0)
    m = jax.device_get(out[1])
    print(json.dumps({
        "config": args.config, "code": "compacted" if new_code else "all decisions",
        "loops": (args.loops if args.loops != "auto" else
                  ("unroll" if grpo.unroll_loops() else "scan")) if new_code else "scan",
        "P x G": f"{p} x {gs}", "C": c, "K": k, "update_epochs": int(g.update_epochs),
        "num_minibatches": int(g.num_minibatches), "kl_coef": float(g.kl_coef),
        "decisions": p * gs * c, "valid_decisions": n_valid,
        "computed_decisions": extra[0] if extra else p * gs * c,
        "compile_cpu_s": round(cpu[0], 1), "update_cpu_s": [round(x, 2) for x in cpu[1:]],
        "mean_update_cpu_s": round(float(np.mean(cpu[1:])), 2),
        "update_wall_s": [round(x, 2) for x in wall[1:]],
        "loss": float(m["loss"]), "kl_ref": float(m["kl_ref"])}), flush=True)


if __name__ == "__main__":
    main()
