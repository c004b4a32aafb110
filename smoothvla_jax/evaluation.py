"""Closed-loop evaluation: ONE rollout-and-evaluate function and the summaries built from it.

:func:`rollout_episodes` runs ``num_init`` fixed initial states of one task with a policy
(``jit(vmap)`` batches of :func:`smoothvla_jax.rollout.make_batch_rollout_fn`) and returns
per-episode NumPy arrays. Every consumer summarises those arrays: :func:`evaluate_policy`
(``python -m smoothvla_jax.evaluate``, the pipeline's eval stage, the GRPO trainer's final
evaluation, the notebook) and :mod:`smoothvla_jax.report`.

Metric names (per episode, :data:`EPISODE_METRICS`; the same names as
:func:`smoothvla_jax.metrics.smoothness_report` and the GRPO training logs): ``success``,
``episode_length`` (steps), ``path_length`` (m), ``msj_ee`` (end-effector mean squared jerk,
m^2/s^6), ``dimensionless_jerk_ee``, ``ldlj_ee``, ``sparc_ee``, ``msj_action``, ``ldlj_action``,
``chunk_discontinuity``. Summaries: success rate with a 95% Wilson interval, every other metric as
mean with a 95% Student-t interval (:mod:`smoothvla_jax.metrics`).

``eval.json`` (:data:`EVAL_FORMAT`): ``checkpoint``, ``step``, ``stage``, ``temperature``,
``num_init``, ``layouts`` (``"eval"``: the fixed states; ``"train"``: training layouts),
``horizon``, ``seed``, ``dynamics`` (the env dynamics), ``tasks`` (per-task and
``overall`` summaries), ``table``, ``timing``, ``videos`` and ``episodes[task]`` =
``{init_index: [n], <metric>: [n], ee_paths: [num_paths][len_i][3]}``.
"""

from __future__ import annotations

import json
import math
import os
import time
from collections.abc import Sequence
from typing import Any

import numpy as np

from envs_mjx.dynamics import recorded as recorded_dynamics
from smoothvla_jax.config import Config, as_config, stored_config
from smoothvla_jax.metrics import success_interval, summarize

EVAL_FORMAT = "smoothvla-eval-episodes/1"
EPISODE_METRICS = ("success", "episode_length", "path_length", "msj_ee", "dimensionless_jerk_ee",
                   "ldlj_ee", "sparc_ee", "msj_action", "ldlj_action", "chunk_discontinuity")
SUMMARISED = tuple(k for k in EPISODE_METRICS if k != "success")
TRAIN_LAYOUTS_MAX = 1000  # training layouts per evaluation (C MuJoCo, ~2 ms each to generate)
_COMPILED: dict[Any, Any] = {}  # compiled rollouts by protocol (bounded, like a jit cache)
TABLE = (("msj_ee", "MSJ"), ("dimensionless_jerk_ee", "DJ"), ("ldlj_ee", "LDLJ"),
         ("sparc_ee", "SPARC"), ("chunk_discontinuity", "chunk_disc"),
         ("path_length", "path_m"), ("episode_length", "ep_len"))


def check_num_init(num_init: int, available: int, flag: str = "num_init",
                   kind: str = "fixed initial states") -> int:
    """``num_init`` if in ``[1, available]``, else a ValueError naming the flag and the fix
    (more would repeat initial states and overstate n and the interval's precision)."""
    if isinstance(num_init, bool) or not isinstance(num_init, (int, np.integer)):
        raise ValueError(f"{flag} must be an integer, got {num_init!r}")
    if not 1 <= int(num_init) <= available:
        raise ValueError(f"{flag}={num_init} is out of range: each task has {available} {kind}; "
                         f"use 1 <= {flag} <= {available}")
    return int(num_init)


def rollout_episodes(policy: Any, task_key: str, num_init: int, horizon: int,
                     temperature: float, batch_size: int, seed: int = 0, num_videos: int = 0,
                     init_indices: Sequence[int] | None = None,
                     layouts: str = "eval") -> dict[str, Any]:
    """Rolls out a policy from fixed initial states of one task; per-episode arrays.

    Args:
      policy: a :class:`smoothvla_jax.checkpoints.Policy`; the env runs the dynamics it was
        trained under (``policy.dynamics``).
      task_key: e.g. ``"libero_10/9"``.
      num_init: episodes, from fixed initial states ``0 .. num_init - 1`` (1..50).
      horizon: control steps per episode (0 = the task's LIBERO limit).
      temperature: sampling temperature (0 = greedy).
      batch_size: episodes per ``jit(vmap)`` call (the last batch is padded).
      seed: sampling key.
      num_videos: record agentview frames of the first ``num_videos`` episodes.
      init_indices: explicit initial-state indices instead of ``range(num_init)``.
      layouts: ``"eval"`` (LIBERO's 50 fixed initial states, the held-out protocol) or
        ``"train"``: the first ``num_init`` (any number >= 1) fresh training layouts, the ones
        demonstrations and GRPO prompts are drawn from (``EnvConfig.train_layouts``; indices
        ``50 ..``), e.g. to measure the sampled success GRPO will see.

    Returns:
      ``{"init_index": [N], <EPISODE_METRICS>: [N], "ee_pos": [N, T, 3], "actions": [N, T, 7],
      "step_mask": [N, T], "frames": [V, T, H, W, 3] | None, "instruction", "horizon",
      "compile_s", "run_s", "env_steps_per_s"}`` with ``T = ceil(horizon / K) * K``.
    """
    import jax

    from envs_mjx.env import CONTROL_DT, LiberoEnv
    from envs_mjx.renderer import RenderConfig
    from smoothvla_jax import builders
    from smoothvla_jax.metrics import smoothness_report
    from smoothvla_jax.rollout import make_batch_rollout_fn

    vcfg, s = policy.vla_config, policy.vla_config.image_size
    horizon = builders.episode_limit(task_key, horizon)
    if layouts not in ("eval", "train"):
        raise ValueError(f"layouts must be 'eval' (the 50 fixed states) or 'train', got {layouts!r}")
    n_train = 0
    if layouts == "train":
        if init_indices is not None:
            raise ValueError("init_indices index the fixed states; use layouts='eval' with them")
        n_train = check_num_init(num_init, TRAIN_LAYOUTS_MAX, "num_init", "training layouts here")
    env = LiberoEnv(task_key, builders.env_config(  # the dynamics the policy was trained under
        policy.dynamics, render=RenderConfig(width=s, height=s), max_steps=horizon,
        train_layouts=n_train))
    if layouts == "train":
        ids_all = env.start_indices("train")
    elif init_indices is None:
        ids_all = np.arange(check_num_init(num_init, env.num_init_states))
    else:
        ids_all = np.asarray(init_indices, np.int64).reshape(-1)
        if ids_all.size == 0 or ids_all.min() < 0 or ids_all.max() >= env.num_init_states:
            raise ValueError(f"init_indices must be in [0, {env.num_init_states}), got {ids_all}")
    n_eps = int(ids_all.size)
    if int(batch_size) < 1:
        raise ValueError(f"eval.batch_size must be >= 1, got {batch_size}")
    tokens, mask = policy.tokenizer.encode(env.instruction, max_len=vcfg.text_max_len)
    n_videos = min(max(int(num_videos), 0), n_eps)
    num_chunks = math.ceil(horizon / vcfg.chunk)
    bsz = min(int(batch_size), n_eps)
    key = jax.random.PRNGKey(int(seed))
    # one compiled program per protocol: the SFT and GRPO policies of a run share it
    cache_key = (task_key, horizon, num_chunks, float(temperature), bsz, n_videos > 0,
                 repr(vcfg), np.asarray(tokens).tobytes(), np.asarray(mask).tobytes(),
                 json.dumps(policy.action_tokenizer.to_dict(), sort_keys=True, default=str),
                 json.dumps(policy.action_normalizer.to_dict(), sort_keys=True, default=str),
                 jax.tree.structure(policy.params),
                 tuple((x.shape, str(x.dtype)) for x in jax.tree.leaves(policy.params)))
    t0 = time.perf_counter()  # compile ahead of time so run_s is pure rollout time
    compiled = _COMPILED.get(cache_key)
    if compiled is None:
        rollout_batch = make_batch_rollout_fn(
            env, vcfg, policy.action_tokenizer, tokens[0], mask[0], num_chunks,
            float(temperature), record_frames=n_videos > 0,
            action_normalizer=policy.action_normalizer)
        compiled = rollout_batch.lower(policy.params, key, np.zeros(bsz, np.int32)).compile()
        if len(_COMPILED) >= 8:
            _COMPILED.pop(next(iter(_COMPILED)))
        _COMPILED[cache_key] = compiled
    compile_s = time.perf_counter() - t0
    t0 = time.perf_counter()
    parts: list[dict[str, np.ndarray]] = []
    for start in range(0, n_eps, bsz):
        ids = ids_all[start:start + bsz]
        n = ids.size
        padded = np.concatenate([ids, np.repeat(ids[-1:], bsz - n)])  # one compiled shape
        traj = compiled(policy.params, jax.random.fold_in(key, start), padded.astype(np.int32))
        keep = {"actions": traj.actions, "ee_pos": traj.ee_pos, "step_mask": traj.step_mask,
                "success": traj.success}
        if start < n_videos:
            keep["frames"] = traj.frames[: n_videos - start]
        parts.append({k: np.asarray(v)[:n] for k, v in jax.device_get(keep).items()})
    run_s = time.perf_counter() - t0
    cat = {k: np.concatenate([p[k] for p in parts if k in p]) for k in parts[0]}
    report = smoothness_report(cat["ee_pos"], cat["actions"], cat["step_mask"], cat["success"],
                               CONTROL_DT, vcfg.chunk)
    out: dict[str, Any] = {k: np.asarray(report[k], np.float64) for k in EPISODE_METRICS}
    simulated = bsz * math.ceil(n_eps / bsz) * num_chunks * vcfg.chunk
    out.update(init_index=ids_all, ee_pos=cat["ee_pos"], actions=cat["actions"],
               step_mask=cat["step_mask"],
               frames=np.concatenate([p["frames"] for p in parts if "frames" in p])
               if n_videos else None,
               instruction=env.instruction, horizon=horizon, compile_s=round(compile_s, 1),
               run_s=round(run_s, 1),
               env_steps_per_s=round(simulated / max(run_s, 1e-9), 1))  # incl. no-op steps
    return out


def summarize_episodes(ep: dict[str, Any]) -> dict[str, Any]:
    """Per-task (or pooled) summary of :func:`rollout_episodes` arrays: ``success_rate``,
    ``success`` (Wilson interval), ``n`` and, per metric, mean / Student-t interval over the
    finite values plus ``n_nonfinite``."""
    succ = success_interval(ep["success"])
    out: dict[str, Any] = {"success_rate": succ["mean"], "success": succ, "n": succ["n"]}
    for k in SUMMARISED:
        v = np.asarray(ep[k], np.float64)
        out[k] = summarize(v[np.isfinite(v)]) | {"n_nonfinite": int((~np.isfinite(v)).sum())}
    return out


def format_success(s: dict[str, Any]) -> str:
    """``"42.0% [29.4, 55.8]"`` (rate and 95% Wilson interval, in percent)."""
    if not s["n"]:
        return "n/a"
    return f"{100 * s['mean']:.1f}% [{100 * s['ci_low']:.1f}, {100 * s['ci_high']:.1f}]"


def format_table(rows: dict[str, dict[str, Any]]) -> str:
    """Plain-text table: task, success with its 95% interval, n, metric means +- half-width."""
    head = (f"{'task':16s} {'success [95% CI]':>22s} {'n':>4s} "
            + " ".join(f"{h:>18s}" for _, h in TABLE))
    lines = [head, "-" * len(head)]
    for name, r in rows.items():
        cells = []
        for k, _ in TABLE:
            m = r[k]
            half = (m["ci_high"] - m["ci_low"]) / 2 if m["n"] else float("nan")
            cells.append(f"{m['mean']:>10.4g} ±{half:<7.2g}")
        lines.append(f"{name:16s} {format_success(r['success']):>22s} {r['n']:4d} "
                     + " ".join(cells))
    return "\n".join(lines)


def jsonable(x: Any) -> Any:
    """Floats/arrays -> JSON (non-finite -> None)."""
    if isinstance(x, dict):
        return {k: jsonable(v) for k, v in x.items()}
    if isinstance(x, (list, tuple)):
        return [jsonable(v) for v in x]
    if isinstance(x, np.ndarray):
        return jsonable(x.tolist())
    if isinstance(x, (np.floating, float)):
        return float(x) if math.isfinite(float(x)) else None
    if isinstance(x, np.integer):
        return int(x)
    if isinstance(x, np.bool_):
        return bool(x)
    return x


def _write_videos(out_dir: str, task_key: str, frames: np.ndarray, lengths: np.ndarray,
                  fmt: str) -> list[str]:
    import imageio.v2 as imageio

    from envs_mjx.env import CONTROL_DT

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


def default_out_dir(checkpoint_dir: str, step: int) -> str:
    return os.path.join(os.path.dirname(checkpoint_dir), "eval", f"step_{step}")


def parse_seeds(text: str | int) -> list[int]:
    """Sampling seeds from ``"0"`` or ``"0,1,2,3"`` (distinct non-negative integers, in order)."""
    parts = [p.strip() for p in str(text).split(",")]
    try:
        seeds = [int(p) for p in parts]
    except ValueError:
        raise ValueError(f"--seed={text!r}: give a sampling seed or a comma-separated list of "
                         f"them, e.g. --seed=0 or --seed=0,1,2,3") from None
    if min(seeds) < 0 or len(set(seeds)) != len(seeds):
        raise ValueError(f"--seed={text!r}: seeds must be distinct and >= 0, e.g. --seed=0,1,2,3")
    return seeds


def seed_subdir(seeds: Sequence[int], seed: int) -> str:
    """Where one seed of a multi-seed evaluation goes inside the output directory: ``""`` for a
    single seed (``<out>/eval.json``), else ``seed_<s>`` (``<out>/seed_<s>/eval.json``)."""
    return "" if len(seeds) == 1 else f"seed_{int(seed)}"


def evaluate_policy(checkpoint: str, config: Config | Any = None,
                    tasks: str | Sequence[str] | None = None, num_init: int | None = None,
                    temperature: float | None = None, out_dir: str | None = None,
                    step: int | None = None, seed: int = 0, videos: bool = True,
                    verbose: bool = True, layouts: str = "eval",
                    out_subdir: str = "") -> dict[str, Any]:
    """Evaluates a checkpoint (run or checkpoint directory) under ``config.eval``.

    ``config`` defaults to the run's stored config; ``tasks`` / ``num_init`` / ``temperature``
    override ``eval.tasks`` / ``eval.num_init`` / ``eval.temperature`` (None = the config's).
    The env runs the policy's dynamics; a ``config`` asking for other ``env.dynamics`` is a
    CheckpointError. Writes ``<out_dir>/eval.json`` (default ``out_dir =
    <run>/eval/step_<step>``; it records ``dynamics`` and ``layouts``: ``"eval"``, LIBERO's
    fixed initial states, or ``"train"``, the first ``num_init`` training layouts, see
    :func:`rollout_episodes`) and, when
    ``videos``, ``<out_dir>/videos/<task>_init<i>.<gif|mp4>``; returns the same dict plus
    ``out_path``. ``out_subdir`` is appended to ``out_dir`` (:func:`seed_subdir`: the seeds of
    one evaluation side by side). Calls in one process with the same protocol share one compiled
    rollout (only the seed or the parameters differ), so several sampling seeds or checkpoints
    are best evaluated in one process (``evaluate --seed=0,1,2,3``).
    """
    from smoothvla_jax import builders, checkpoints

    policy = checkpoints.load_policy(checkpoint, step)
    config = as_config(config) if config is not None else stored_config(policy.config)
    policy.check_dynamics(config.env.dynamics)
    ecfg = config.eval
    keys = builders.eval_task_keys(config, tasks)
    from envs_mjx.init_states import NUM_INIT_STATES

    train = layouts == "train"
    num_init = check_num_init(ecfg.num_init if num_init is None else num_init,
                              TRAIN_LAYOUTS_MAX if train else NUM_INIT_STATES,
                              "num_init" if num_init is not None else "eval.num_init",
                              "training layouts here" if train else "fixed initial states")
    temperature = float(ecfg.temperature if temperature is None else temperature)
    ckpt_dir = checkpoints.resolve_dir(checkpoint)
    out_dir = out_dir or default_out_dir(ckpt_dir, policy.step)
    out_dir = os.path.join(out_dir, out_subdir) if out_subdir else out_dir
    from tqdm import tqdm

    rows, episodes, timing, pooled, horizons, video_paths = {}, {}, {}, [], {}, []
    for task in tqdm(keys, desc=f"eval step {policy.step}", unit="task", disable=not verbose):
        ep = rollout_episodes(policy, task, num_init, ecfg.horizon, temperature,
                              ecfg.batch_size, seed, ecfg.num_videos if videos else 0,
                              layouts=layouts)
        horizons[task] = ep["horizon"]
        rows[task] = summarize_episodes(ep) | {"instruction": ep["instruction"]}
        lengths = ep["episode_length"].astype(np.int64)
        episodes[task] = {k: ep[k] for k in ("init_index",) + EPISODE_METRICS}
        episodes[task]["ee_paths"] = [np.round(ep["ee_pos"][i, : max(int(lengths[i]), 1)], 5)
                                      for i in range(min(ecfg.num_paths, len(lengths)))]
        pooled.append(ep)
        timing[task] = {k: ep[k] for k in ("horizon", "compile_s", "run_s", "env_steps_per_s")}
        if ep["frames"] is not None:
            video_paths += _write_videos(os.path.join(out_dir, "videos"), task, ep["frames"],
                                         lengths, ecfg.video_format)
        if verbose:
            tqdm.write(f"{task}: success {format_success(rows[task]['success'])} "
                       f"(compile {ep['compile_s']} s, rollouts {ep['run_s']} s)")
    rows["overall"] = summarize_episodes(
        {k: np.concatenate([p[k] for p in pooled]) for k in EPISODE_METRICS})
    table = format_table(rows)
    if verbose:
        print(table)
    results = {"format": EVAL_FORMAT, "checkpoint": ckpt_dir, "step": policy.step,
               "stage": policy.meta.get("stage", "sft"), "temperature": temperature,
               "num_init": num_init, "layouts": layouts, "seed": int(seed),
               "dynamics": policy.dynamics,
               "tasks": rows,
               # one number when every task shares it, else per task
               "horizon": (next(iter(horizons.values())) if len(set(horizons.values())) == 1
                           else horizons),
               "table": table, "timing": timing, "videos": video_paths, "episodes": episodes}
    os.makedirs(out_dir, exist_ok=True)
    out_path = os.path.join(out_dir, "eval.json")
    with open(out_path, "w", encoding="utf-8") as f:
        json.dump(jsonable(results), f)
    results["out_path"] = out_path
    return results


def evaluate_or_reuse(run_dir: str, config: Config, out_dir: str | None = None,
                      tasks: Sequence[str] | None = None, temperature: float | None = None,
                      seed: int | None = None, videos: bool = True,
                      step: int | None = None) -> dict[str, Any]:
    """Evaluates checkpoint ``step`` (default: the latest) of ``run_dir`` into
    ``<out_dir>/eval.json`` (default
    :func:`default_out_dir`) unless that file exists for the same step and protocol (tasks,
    ``num_init``, temperature, seed), which is then reused. ``tasks`` / ``temperature`` /
    ``seed`` default to :func:`smoothvla_jax.builders.eval_task_keys`, ``eval.temperature``
    and ``config.seed``. Returns ``{"path", "overall", "reused", "step"}``."""
    from smoothvla_jax import builders, checkpoints

    ckpt_dir = checkpoints.resolve_dir(run_dir)
    if step is None:
        ck = checkpoints.Checkpointer(ckpt_dir, read_only=True)
        step = ck.latest_step()
        ck.close()
    if step is None:
        raise checkpoints.CheckpointNotFoundError(
            f"no checkpoint in {run_dir} to evaluate; train it first")
    keys = list(tasks) if tasks is not None else builders.eval_task_keys(config)
    temperature = float(config.eval.temperature if temperature is None else temperature)
    seed = int(config.seed if seed is None else seed)
    out_dir = out_dir or default_out_dir(ckpt_dir, step)
    path = os.path.join(out_dir, "eval.json")
    if os.path.isfile(path):
        with open(path, encoding="utf-8") as f:
            old = json.load(f)
        same = (old.get("step") == step and old.get("num_init") == config.eval.num_init
                and old.get("layouts", "eval") == "eval"
                and old.get("seed") == seed and old.get("temperature") == temperature
                and recorded_dynamics(old) == config.env.dynamics
                and set(old.get("tasks", {})) - {"overall"} == set(keys))
        if same:
            print(f"eval: reusing {path}")
            return {"path": path, "overall": old["tasks"]["overall"], "reused": True,
                    "step": step}
    res = evaluate_policy(run_dir, config, tasks=keys, temperature=temperature, seed=seed,
                          out_dir=out_dir, step=step, videos=videos)
    return {"path": res["out_path"], "overall": res["tasks"]["overall"], "reused": False,
            "step": step}
