"""Closed-loop evaluation of a trained policy: success rates + smoothness metrics + videos.

    python -m smoothvla_jax.evaluate --checkpoint=runs/smoke [--config=configs/smoke.py]
        [--tasks=libero_10/0,libero_10/3] [--num_init=50] [--temperature=0] [--out=DIR]

Without ``--config`` the run's config stored in the checkpoint is used (its ``eval`` section).
Per task, ``rollout_batch`` (:mod:`smoothvla_jax.rollout`) runs ``eval.batch_size`` fixed
initial states at once under ``jit(vmap)``. Prints a per-task table; writes
``<out>/results.json`` and ``<out>/videos/<task>_init<i>.gif`` (default
``<out> = <workdir>/eval/step_<step>``).

Metrics (per episode, all episodes; :func:`smoothvla_jax.metrics.smoothness_report`), mean with a
95% Student-t interval (:func:`smoothvla_jax.metrics.summarize`): end-effector mean squared jerk
(MSJ, m^2/s^6), dimensionless jerk, LDLJ, SPARC, action-chunk discontinuity, path length (m),
episode length (steps).
"""

from __future__ import annotations

import json
import math
import os
import time
from collections.abc import Sequence
from typing import Any

import imageio.v2 as imageio
import jax
import ml_collections
import numpy as np
from absl import app, flags, logging
from ml_collections import config_flags

from envs_mjx.env import CONTROL_DT, EnvConfig, LiberoEnv
from envs_mjx.renderer import RenderConfig
from smoothvla_jax import builders, checkpoints
from smoothvla_jax.metrics import smoothness_report, summarize
from smoothvla_jax.rollout import make_batch_rollout_fn

TABLE = (("msj_ee", "MSJ"), ("dimensionless_jerk_ee", "DJ"), ("ldlj_ee", "LDLJ"),
         ("sparc_ee", "SPARC"), ("chunk_discontinuity", "chunk_disc"),
         ("path_length", "path_m"), ("episode_length", "ep_len"))
REPORTED = tuple(k for k, _ in TABLE) + ("msj_action", "ldlj_action")


def run_task(policy: checkpoints.Policy, task_key: str, ecfg: ml_collections.ConfigDict,
             num_init: int, temperature: float, seed: int) -> dict[str, Any]:
    """Rolls out ``num_init`` initial states of one task; returns per-episode numpy arrays
    (``report``: smoothness_report, ``frames`` [V, T, H, W, 3], ``lengths``) and timings."""
    vcfg, s = policy.vla_config, policy.vla_config.image_size
    horizon = builders.episode_limit(task_key, ecfg.horizon)  # 0: the task's LIBERO limit
    env = LiberoEnv(task_key, EnvConfig(render=RenderConfig(width=s, height=s), max_steps=horizon))
    tokens, mask = policy.tokenizer.encode(env.instruction, max_len=vcfg.text_max_len)
    n_videos = min(int(ecfg.num_videos), num_init)
    rollout_batch = make_batch_rollout_fn(
        env, vcfg, policy.action_tokenizer, tokens[0], mask[0], math.ceil(horizon / vcfg.chunk),
        temperature, record_frames=n_videos > 0, action_normalizer=policy.action_normalizer)
    bsz = min(int(ecfg.batch_size), num_init)
    key = jax.random.PRNGKey(seed)
    parts: list[dict[str, np.ndarray]] = []
    t0 = time.perf_counter()  # compile ahead of time so run_s is pure rollout time
    rollout_batch = rollout_batch.lower(policy.params, key, np.arange(bsz)).compile()
    compile_s = time.perf_counter() - t0
    t0 = time.perf_counter()
    for start in range(0, num_init, bsz):
        ids = np.arange(start, start + bsz) % env.num_init_states  # padded batch: one compile
        traj = rollout_batch(policy.params, jax.random.fold_in(key, start), ids)
        n = min(bsz, num_init - start)
        keep = {"actions": traj.actions, "ee_pos": traj.ee_pos, "step_mask": traj.step_mask,
                "success": traj.success, "length": traj.length}
        if start < n_videos:
            keep["frames"] = traj.frames[: n_videos - start]
        parts.append({k: np.asarray(v)[:n] for k, v in jax.device_get(keep).items()})
    run_s = time.perf_counter() - t0
    cat = {k: np.concatenate([p[k] for p in parts if k in p]) for k in parts[0]}
    report = smoothness_report(cat["ee_pos"], cat["actions"], cat["step_mask"], cat["success"],
                               CONTROL_DT, vcfg.chunk)
    steps = int(cat["length"].sum())
    simulated = bsz * math.ceil(num_init / bsz) * math.ceil(horizon / vcfg.chunk) * vcfg.chunk
    return {"report": report, "frames": cat.get("frames"), "lengths": cat["length"],
            "instruction": env.instruction, "horizon": horizon, "compile_s": round(compile_s, 1),
            "run_s": round(run_s, 1), "env_steps": steps,
            "env_steps_per_s": round(simulated / run_s, 1)}  # incl. no-op steps after done


def _summary(report: dict[str, np.ndarray]) -> dict[str, Any]:
    out: dict[str, Any] = {"success_rate": float(np.mean(report["success"])),
                           "n": int(report["success"].size)}
    for k in REPORTED:
        v = np.asarray(report[k], np.float64)
        out[k] = summarize(v[np.isfinite(v)]) | {"n_nonfinite": int((~np.isfinite(v)).sum())}
    return out


def format_table(rows: dict[str, dict[str, Any]]) -> str:
    head = f"{'task':14s} {'success':>8s} {'n':>4s} " + " ".join(f"{h:>18s}" for _, h in TABLE)
    lines = [head, "-" * len(head)]
    for name, r in rows.items():
        cells = []
        for k, _ in TABLE:
            m = r[k]
            half = (m["ci_high"] - m["ci_low"]) / 2 if m["n"] else float("nan")
            cells.append(f"{m['mean']:>10.4g} ±{half:<7.2g}")
        lines.append(f"{name:14s} {100 * r['success_rate']:7.1f}% {r['n']:4d} " + " ".join(cells))
    return "\n".join(lines)


def _write_videos(out_dir: str, task_key: str, frames: np.ndarray, lengths: np.ndarray,
                  fmt: str) -> list[str]:
    os.makedirs(out_dir, exist_ok=True)
    paths = []
    for i, (f, n) in enumerate(zip(frames, lengths, strict=False)):
        path = os.path.join(out_dir, f"{task_key.replace('/', '_')}_init{i}.{fmt}")
        clip = np.repeat(np.repeat(f[: max(int(n), 1)], 4, axis=1), 4, axis=2)  # upscale x4
        if fmt == "gif":
            imageio.mimsave(path, list(clip), duration=1000 * CONTROL_DT, loop=0)
        else:
            imageio.mimsave(path, list(clip), fps=round(1 / CONTROL_DT))
        paths.append(path)
    return paths


def evaluate(checkpoint: str, config: ml_collections.ConfigDict | None = None,
             tasks: str | Sequence[str] | None = None, num_init: int | None = None,
             temperature: float | None = None, out_dir: str | None = None,
             step: int | None = None, seed: int = 0) -> dict[str, Any]:
    """Evaluates a checkpoint (run or checkpoint directory). Returns the results dict that is
    also written to ``<out_dir>/results.json``."""
    policy = checkpoints.load_policy(checkpoint, step)
    config = config if config is not None else builders.from_dict(policy.config)
    ecfg = config.eval
    keys = builders.eval_task_keys(config, tasks)
    num_init = int(num_init or ecfg.num_init)
    temperature = float(ecfg.temperature if temperature is None else temperature)
    ckpt_dir = checkpoints.resolve_dir(checkpoint)
    out_dir = out_dir or os.path.join(os.path.dirname(ckpt_dir), "eval", f"step_{policy.step}")
    rows, reports, videos, timing = {}, [], [], {}
    for task_key in keys:
        res = run_task(policy, task_key, ecfg, num_init, temperature, seed)
        rows[task_key] = _summary(res["report"]) | {"instruction": res["instruction"]}
        reports.append(res["report"])
        timing[task_key] = {k: res[k] for k in ("horizon", "compile_s", "run_s", "env_steps",
                                                "env_steps_per_s")}
        if res["frames"] is not None:
            videos += _write_videos(os.path.join(out_dir, "videos"), task_key, res["frames"],
                                    res["lengths"], ecfg.video_format)
        print(f"{task_key}: success {100 * rows[task_key]['success_rate']:.1f}% "
              f"({timing[task_key]})", flush=True)
    overall = {k: np.concatenate([np.atleast_1d(r[k]) for r in reports])
               for k in REPORTED + ("success",)}
    rows["overall"] = _summary(overall)
    table = format_table(rows)
    print(table)
    results = {"checkpoint": ckpt_dir, "step": policy.step, "temperature": temperature,
               "num_init": num_init, "horizon": int(ecfg.horizon), "tasks": rows,
               "videos": videos, "timing": timing, "table": table}
    os.makedirs(out_dir, exist_ok=True)
    with open(os.path.join(out_dir, "results.json"), "w", encoding="utf-8") as f:
        json.dump(results, f, indent=1)
    results["out_dir"] = out_dir
    return results


def main(argv: list[str]) -> None:
    del argv
    logging.set_verbosity(logging.WARNING)
    f = flags.FLAGS
    evaluate(f.checkpoint, f.config, f.tasks or None, f.num_init, f.temperature, f.out or None,
             f.step, f.seed)


if __name__ == "__main__":
    flags.DEFINE_string("checkpoint", None, "run directory or its checkpoints/ directory")
    config_flags.DEFINE_config_file("config", None, "config file (default: the run's config)")
    flags.DEFINE_string("tasks", "", "comma-separated task keys (default: eval.tasks/data.tasks)")
    flags.DEFINE_integer("num_init", None, "initial states per task (default: eval.num_init)")
    flags.DEFINE_float("temperature", None, "sampling temperature (default eval.temperature)")
    flags.DEFINE_string("out", "", "output directory (default <workdir>/eval/step_<step>)")
    flags.DEFINE_integer("step", None, "checkpoint step (default: latest)")
    flags.DEFINE_integer("seed", 0, "sampling seed")
    flags.mark_flags_as_required(["checkpoint"])
    app.run(main)
