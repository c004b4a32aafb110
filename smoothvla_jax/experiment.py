"""The powered SmoothVLA experiment: one command, paired seeds, a positive control.

    python -m smoothvla_jax.experiment --config=configs/smoothvla_cpu.py       # 2 CPU cores
    python -m smoothvla_jax.experiment --config=configs/smoothvla_libero10.py  # GPU, LIBERO-10
    python -m smoothvla_jax.experiment --config=configs/smoothvla_cpu.py \\
        --config.experiment.sft_checkpoint=runs/cpu       # start from an existing SFT run

Stages (``config.experiment.stages``; each writes into the run directory ``config.workdir``
and is recorded in ``<workdir>/stages.json`` when finished, so a rerun skips it; SFT and GRPO
also resume inside a stage from their latest checkpoint):

1. ``demos``: scripted-expert demonstrations into ``data.root`` when missing
   (:func:`smoothvla_jax.train.collect_if_missing`);
2. ``sft``: SFT into ``<workdir>/sft`` (:func:`smoothvla_jax.sft.train_sft`). With
   ``experiment.sft_checkpoint`` both stages are skipped and that run is the start;
3. ``calibrate``: ``calib_rounds`` GRPO rollout rounds of the SFT policy per trained task (the
   GRPO ``collect`` program: training layouts, ``grpo.temperature``, no update); the
   ``calib_low_pct`` / ``calib_high_pct`` percentiles of ``ln MSJ`` of the executed EE path over
   the successful rollouts become the ``log_msj`` reward anchors
   (:mod:`smoothvla_jax.rl.rewards`), stored in ``<workdir>/calibration.json``;
4. ``control``: positive control, one GRPO run (seed ``first_seed``) with a jerk-only reward on
   successes (``success * (1 - J_norm)``, ``lam = 1``, the calibrated ``log_msj`` scale; all-
   success groups kept: ``ds_criterion="reward"``). Its training MSJ of successful episodes
   (geometric mean over the first vs the last ``control_window`` iterations) must fall by
   ``>= control_min_drop``; otherwise the experiment stops and says so (unless
   ``stop_on_control_failure=False``);
5. ``grpo``: for every seed ``s``: GRPO with the binary reward (``<workdir>/grpo/binary_s<s>``)
   and with the SmoothVLA reward (``config.reward``, ``log_msj`` anchors filled in;
   ``grpo/smooth_s<s>``). Both arms of a pair start from the same SFT checkpoint with the same
   PRNG key ``PRNGKey(s)``, so they draw the same prompts and, since the first iteration samples
   from the same parameters, the same first-iteration episodes (:func:`arm_config`);
6. ``eval``: SFT and every final GRPO policy on the ``eval.num_init`` fixed initial states of
   every trained task, greedy and at ``grpo.temperature`` (sampling key = the pair's seed for
   both arms) -> ``<workdir>/eval/<policy>/<mode>/eval.json``;
   With ``experiment.workers = n > 1`` the GRPO runs and the evaluations go ``n`` at a time
   into spawned worker processes (the two arms of a pair side by side; each process has its own
   JAX runtime and they share the persistent compilation cache). The results are the same
   computations; the gain is throughput where one process does not keep every core busy
   (XLA on CPU: ~1 core per process; BENCHMARKS.md).
7. ``report``: ``<workdir>/report/report.md`` + ``report.json`` + figures: the paired analysis
   (:func:`paired_analysis`) for each evaluation mode and the SFT/binary/SmoothVLA tables of
   :func:`smoothvla_jax.report.build_report`.
"""

from __future__ import annotations

import dataclasses
import json
import math
import os
import time
from collections.abc import Mapping, Sequence
from concurrent.futures import Executor, ProcessPoolExecutor, as_completed
from typing import Any

import numpy as np
from absl import flags
from ml_collections import config_flags

from smoothvla_jax import cli
from smoothvla_jax.config import Config, ConfigError, as_config, check_resume
from smoothvla_jax.logger import read_metrics
from smoothvla_jax.rl.rewards import RewardConfig

ARMS = ("binary", "smooth")
MODES = ("greedy", "sampled")  # temperature 0 and grpo.temperature
# a resumed experiment may change these without invalidating finished stages
RESUME_IGNORED = ("experiment.stages", "experiment.num_pairs", "experiment.sft_step",
                  "experiment.workers",
                  "experiment.stop_on_control_failure", "allow_config_change", "stages",
                  "grpo.log_every", "grpo.save_every", "grpo.keep_checkpoints",
                  "grpo.async_checkpoint", "sft.log_every", "sft.save_every",
                  "sft.async_checkpoint", "eval.num_videos", "eval.batch_size", "logging")


class ControlFailed(RuntimeError):
    """The positive control did not reduce the training MSJ of successes enough."""


# ============================================================================ configs per run
def sft_dir(config: Config) -> str:
    """The SFT start: ``experiment.sft_checkpoint`` or ``<workdir>/sft``."""
    return os.path.abspath(config.experiment.sft_checkpoint
                           or os.path.join(config.workdir, "sft"))


def _grpo_config(config: Config, seed: int, workdir: str, reward: RewardConfig,
                 **grpo_changes: Any) -> Config:
    g = dataclasses.replace(config.grpo, init_checkpoint=sft_dir(config),
                            init_step=config.experiment.sft_step, workdir=workdir,
                            eval_at_end=False, **grpo_changes)
    return dataclasses.replace(config, seed=int(seed), grpo=g, reward=reward)


def smooth_reward(config: Config, calibration: Mapping[str, Any] | None) -> RewardConfig:
    """The SmoothVLA arm's reward: ``config.reward`` as ``kind="smooth"``; with a calibration,
    on the calibrated ``log_msj`` scale of the ee path."""
    r = dataclasses.replace(config.reward, kind="smooth")
    if calibration is None:
        return r
    return dataclasses.replace(r, normalization="log_msj", signal="ee",
                               log_msj_low=float(calibration["log_msj_low"]),
                               log_msj_high=float(calibration["log_msj_high"]))


def arm_config(config: Config, arm: str, seed: int,
               calibration: Mapping[str, Any] | None) -> Config:
    """The GRPO config of one arm of pair ``seed``. The arms differ ONLY in ``reward`` and
    ``grpo.workdir``: same SFT start, same seed (hence the same PRNG keys, prompts and
    first-iteration samples), same GRPO hyper-parameters."""
    if arm not in ARMS:
        raise ValueError(f"arm must be one of {ARMS}, got {arm!r}")
    reward = (RewardConfig(kind="binary") if arm == "binary"
              else smooth_reward(config, calibration))
    w = os.path.join(os.path.abspath(config.workdir), "grpo", f"{arm}_s{seed}")
    return _grpo_config(config, seed, w, reward)


def control_iterations(config: Config) -> int:
    """GRPO iterations of the positive control (``experiment.control_iterations``, 0 = those of
    the arms)."""
    return config.experiment.control_iterations or config.grpo.num_iterations


def control_config(config: Config, calibration: Mapping[str, Any]) -> Config:
    """Positive control: jerk-only reward on successes (``success * (1 - J_norm)``, ``lam=1``,
    calibrated ``log_msj``), all-success groups kept, seed ``first_seed``."""
    e = config.experiment
    reward = RewardConfig(kind="smooth", form="multiplicative", lam=1.0, signal="ee",
                          normalization="log_msj",
                          log_msj_low=float(calibration["log_msj_low"]),
                          log_msj_high=float(calibration["log_msj_high"]))
    w = os.path.join(os.path.abspath(config.workdir), "control")
    return _grpo_config(config, e.first_seed, w, reward, ds_criterion="reward",
                        num_iterations=control_iterations(config))


def grpo_tasks(config: Config) -> list[str]:
    from smoothvla_jax import builders

    return builders.task_keys(config.grpo.tasks or config.data.tasks, config.data.suite)


# ============================================================================ calibration
def calibration_from(log_msj: Any, success: Any, low_pct: float, high_pct: float,
                     min_successes: int) -> dict[str, Any]:
    """Reward anchors from per-episode ``ln MSJ [N]`` and ``success [N]``: the ``low_pct`` /
    ``high_pct`` percentiles of ``ln MSJ`` over successful episodes (numpy's linear
    interpolation). Raises ConfigError when fewer than ``min_successes`` succeeded or the
    percentiles coincide."""
    v = np.asarray(log_msj, np.float64).reshape(-1)
    s = np.asarray(success, np.float64).reshape(-1) > 0.5
    if v.shape != s.shape:
        raise ValueError(f"log_msj has {v.size} episodes, success {s.size}")
    ok = s & np.isfinite(v)
    n = int(ok.sum())
    if n < max(int(min_successes), 2):
        raise ConfigError(f"calibration: only {n} of {v.size} SFT rollouts succeeded (need "
                          f">= {max(int(min_successes), 2)}); the SFT start is too weak for the "
                          f"experiment: train it longer, lower grpo.temperature or raise "
                          f"experiment.calib_rounds")
    lo, hi = np.percentile(v[ok], [low_pct, high_pct])
    if not hi > lo:
        raise ConfigError(f"calibration: ln MSJ percentiles {low_pct}/{high_pct} of the {n} "
                          f"successes coincide ({lo:.4g}); raise experiment.calib_rounds")
    return {"log_msj_low": float(lo), "log_msj_high": float(hi), "n_success": n,
            "n_episodes": int(v.size), "success_rate": float(s.mean()),
            "low_pct": float(low_pct), "high_pct": float(high_pct),
            "msj_low": float(math.exp(lo)), "msj_high": float(math.exp(hi))}


def calibrate(config: Config) -> dict[str, Any]:
    """Rolls out the SFT policy with the GRPO ``collect`` program (the arms' rollout: training
    layouts, ``grpo.temperature``) for ``calib_rounds`` rounds per task; returns
    :func:`calibration_from` plus the per-episode values."""
    import jax

    from envs_mjx.env import CONTROL_DT
    from smoothvla_jax import checkpoints
    from smoothvla_jax.metrics import smoothness as sm
    from smoothvla_jax.rl.trainer import build_task_iteration, make_grpo_optimizer

    e = config.experiment
    cfg = arm_config(config, "binary", e.first_seed, None)
    policy = checkpoints.load_policy(sft_dir(config), None if e.sft_step < 0 else e.sft_step)
    opt = make_grpo_optimizer(cfg.grpo.lr)
    base = jax.random.fold_in(jax.random.PRNGKey(e.first_seed), 1_000_003)  # own stream
    log_msj, success = [], []
    from tqdm import tqdm

    tasks = grpo_tasks(config)
    with tqdm(total=len(tasks) * e.calib_rounds, desc="calibrate", unit="round") as bar:
        for ti, task in enumerate(tasks):
            su = build_task_iteration(task, policy, cfg, opt, return_episodes=True,
                                      donate=False)
            it = su.iteration
            for r in range(e.calib_rounds):
                key = jax.random.fold_in(jax.random.fold_in(base, ti), r)
                _, _, m = it.collect(policy.params, key, it.init_buffer(),
                                     jax.numpy.zeros((), jax.numpy.int32))
                ep = jax.device_get(m["episodes"])
                msj = np.asarray(sm.mean_squared_jerk(ep["ee_pos"], CONTROL_DT,
                                                      ep["step_mask"]))
                log_msj.append(np.log(np.maximum(msj, 1e-30)).reshape(-1))
                success.append(np.asarray(ep["success"], np.float64).reshape(-1))
                bar.update(1)
    lm, sc = np.concatenate(log_msj), np.concatenate(success)
    used = sc if e.calib_on == "success" else np.ones_like(sc)
    out = calibration_from(lm, used, e.calib_low_pct, e.calib_high_pct, e.min_calib_successes)
    out["success_rate"], out["calib_on"] = float(sc.mean()), e.calib_on
    return out | {"tasks": tasks, "temperature": cfg.grpo.temperature,
                  "log_msj": lm.tolist(), "success": sc.tolist()}


# ============================================================================ positive control
def control_drop(rows: Sequence[Mapping[str, Any]], window: int) -> dict[str, Any]:
    """Fall of the training MSJ of successful episodes over a GRPO run.

    ``rows``: the run's ``metrics.jsonl`` rows with ``grpo/log_msj_ee_success`` and
    ``grpo/n_success`` (per iteration, by ``step``). The first and last ``window`` iterations
    with successes are averaged (weighted by their number of successes):
    ``drop = 1 - exp(last - first)`` (0.14 = the geometric-mean MSJ fell 14%)."""
    it = sorted(((int(r["step"]), float(r["grpo/log_msj_ee_success"]),
                  float(r["grpo/n_success"])) for r in rows
                 if "grpo/log_msj_ee_success" in r and r.get("grpo/n_success", 0) > 0))
    if len(it) < 2 * window:
        return {"drop": float("nan"), "iterations": len(it),
                "reason": f"only {len(it)} iterations had successes (need {2 * window})"}

    def wmean(part):
        w = np.array([p[2] for p in part])
        return float(np.sum(w * np.array([p[1] for p in part])) / w.sum())

    first, last = wmean(it[:window]), wmean(it[-window:])
    return {"drop": float(-math.expm1(last - first)), "first_log_msj": first,
            "last_log_msj": last, "iterations": len(it), "window": window,
            "curve": [(s, v, n) for s, v, n in it]}


# (metrics.jsonl key, column, format) of the control's per-iteration table in the reports
CONTROL_COLUMNS = (("grpo/success_rate", "success", "{:.0%}"),
                   ("grpo/n_success", "successes", "{:.0f}"),
                   ("grpo/log_msj_ee_success", "ln MSJ of successes", "{:.3f}"),
                   ("grpo/dimensionless_jerk_ee", "dimensionless jerk", "{:.3g}"),
                   ("grpo/episode_length", "steps", "{:.0f}"),
                   ("grpo/kl_ref", "KL to SFT", "{:.4f}"),
                   ("grpo/entropy", "entropy", "{:.3f}"),
                   ("grpo/clip_frac", "clip fraction", "{:.4f}"))


def control_table(rows: Sequence[Mapping[str, Any]]) -> list[str]:
    """The positive control's training curves as a Markdown table, one row per iteration of
    its ``metrics.jsonl`` ``rows`` (how far the policy moved, KL and entropy, next to what the
    reward asked for, ln MSJ of successes); a missing metric is blank."""
    head = ["iteration"] + [c for _, c, _ in CONTROL_COLUMNS]
    out = ["| " + " | ".join(head) + " |", "|" + "---|" * len(head)]
    for r in rows:
        cells = [str(int(r["step"]))] + [fmt.format(float(r[k])) if k in r else ""
                                         for k, _, fmt in CONTROL_COLUMNS]
        out.append("| " + " | ".join(cells) + " |")
    return out


# ============================================================================ analysis
def _episodes(ev: Mapping[str, Any]) -> dict[str, dict[str, np.ndarray]]:
    """``{task: {metric: [n]}}`` of one eval.json dict (``None`` -> NaN)."""
    out = {}
    for task, ep in ev["episodes"].items():
        out[task] = {k: np.asarray([np.nan if x is None else x for x in v], np.float64)
                     for k, v in ep.items() if k != "ee_paths"}
    return out


def arm_means(ev: Mapping[str, Any], states: Mapping[str, np.ndarray] | None = None
              ) -> dict[str, float]:
    """Per-policy endpoint values from one eval.json: over successful episodes (pooled over
    tasks) the mean of ``ln MSJ``, ``ln DJ``, SPARC and episode length (success duration);
    the success rate; ``states`` restricts to ``{task: bool mask over episodes}``."""
    eps = _episodes(ev)
    cat: dict[str, list[np.ndarray]] = {k: [] for k in ("s", "lm", "ldj", "sp", "len")}
    for task, ep in eps.items():
        keep = np.ones_like(ep["success"], bool) if states is None else states[task]
        s = (ep["success"] > 0.5) & keep
        cat["s"].append(ep["success"][keep])
        cat["lm"].append(np.log(np.maximum(ep["msj_ee"][s], 1e-30)))
        cat["ldj"].append(np.log(np.maximum(ep["dimensionless_jerk_ee"][s], 1e-30)))
        cat["sp"].append(ep["sparc_ee"][s])
        cat["len"].append(ep["episode_length"][s])
    c = {k: np.concatenate(v) if v else np.zeros(0) for k, v in cat.items()}
    mean = lambda v: float(np.mean(v)) if v.size else float("nan")  # noqa: E731
    return {"success": mean(c["s"]), "n": int(c["s"].size), "n_success": int(c["lm"].size),
            "log_msj": mean(c["lm"]), "log_dj": mean(c["ldj"]), "sparc": mean(c["sp"]),
            "duration": mean(c["len"])}


def _both_success_states(a: Mapping[str, Any], b: Mapping[str, Any]) -> dict[str, np.ndarray]:
    ea, eb = _episodes(a), _episodes(b)
    out = {}
    for task in ea:
        if task not in eb or not np.array_equal(ea[task]["init_index"], eb[task]["init_index"]):
            raise ValueError(f"paired evaluations differ in task {task} or its initial states; "
                             f"evaluate both arms under the same protocol")
        out[task] = (ea[task]["success"] > 0.5) & (eb[task]["success"] > 0.5)
    return out


def _safe(fn, *args, **kw) -> dict[str, Any]:
    from smoothvla_jax.metrics.stats import StatsError

    try:
        return fn(*args, **kw)
    except StatsError as e:
        return {"error": str(e)}


def paired_analysis(binary: Mapping[int, Mapping[str, Any]],
                    smooth: Mapping[int, Mapping[str, Any]],
                    sft: Mapping[str, Any] | None, config: Config) -> dict[str, Any]:
    """The protocol's statistics from eval.json dicts ``{seed: eval}`` of both arms (and SFT).

    Primary: per-seed difference (SmoothVLA - binary) of mean ``ln MSJ`` over successful
    episodes -> :func:`smoothvla_jax.metrics.stats.log_ratio_effect` (percent change of MSJ,
    95% interval, p). Secondary: ``ln`` dimensionless jerk (the same), SPARC and success
    duration (paired t), ``ln MSJ`` on the states where both arms of the pair succeed, success
    non-inferiority (margin ``ni_margin``) over every paired (seed, task, state) outcome,
    generalisation (success of each arm minus SFT's, paired t over seeds). Power: achieved power
    of the primary test at the target effect with the observed SD, and pairs needed for the
    target power. Statistics that the data cannot give (one pair, zero variance) carry an
    ``error`` string instead."""
    from smoothvla_jax.metrics import stats

    e = config.experiment
    seeds = sorted(set(binary) & set(smooth))
    if not seeds:
        raise ValueError("no seed has both a binary and a SmoothVLA evaluation")
    per_seed = []
    for s in seeds:
        b, m = arm_means(binary[s]), arm_means(smooth[s])
        both = _both_success_states(binary[s], smooth[s])
        bb, mb = arm_means(binary[s], both), arm_means(smooth[s], both)
        per_seed.append({"seed": s, "binary": b, "smooth": m, "both_binary": bb,
                         "both_smooth": mb, "n_both": int(sum(v.sum() for v in both.values()))})
    col = lambda arm, k: np.array([p[arm][k] for p in per_seed])  # noqa: E731
    out: dict[str, Any] = {"seeds": seeds, "n_pairs": len(seeds), "per_seed": per_seed}
    no_succ = [p["seed"] for p in per_seed
               if min(p["binary"]["n_success"], p["smooth"]["n_success"]) == 0]
    no_both = [p["seed"] for p in per_seed if p["n_both"] == 0]

    def over_successes(fn, a, b, missing, what):
        if missing:  # the endpoint is a mean over successes: undefined without any
            return {"error": f"seed(s) {missing}: {what}, so this endpoint (a mean over "
                             f"successful episodes) is undefined for them"}
        return _safe(fn, a, b, 1 - e.alpha)

    arm_fail = "an arm has no successful evaluation episode"
    out["primary_log_msj"] = over_successes(stats.log_ratio_effect, col("smooth", "log_msj"),
                                            col("binary", "log_msj"), no_succ, arm_fail)
    out["log_dj"] = over_successes(stats.log_ratio_effect, col("smooth", "log_dj"),
                                   col("binary", "log_dj"), no_succ, arm_fail)
    out["sparc"] = over_successes(stats.paired_t, col("smooth", "sparc"), col("binary", "sparc"),
                                  no_succ, arm_fail)
    out["duration"] = over_successes(stats.paired_t, col("smooth", "duration"),
                                     col("binary", "duration"), no_succ, arm_fail)
    out["both_success_log_msj"] = over_successes(
        stats.log_ratio_effect, col("both_smooth", "log_msj"), col("both_binary", "log_msj"),
        no_both, "no state is solved by both arms")
    new, ref = [], []
    for s in seeds:
        eb, em = _episodes(binary[s]), _episodes(smooth[s])
        for task in eb:
            new.append(em[task]["success"])
            ref.append(eb[task]["success"])
    out["success_noninferiority"] = _safe(stats.noninferiority_paired, np.concatenate(new),
                                          np.concatenate(ref), e.ni_margin, e.alpha)
    if sft is not None:
        s0 = arm_means(sft)["success"]
        out["sft_success"] = s0
        for arm in ARMS:
            out[f"generalisation_{arm}"] = _safe(stats.paired_t, col(arm, "success") - s0,
                                                 None, 1 - e.alpha)
    target = math.log1p(-e.target_effect)
    p = out["primary_log_msj"]
    if "sd" in p:
        out["power"] = {"target_effect": -e.target_effect,
                        "achieved": _safe_power(target, p["sd"], len(seeds), e.alpha),
                        "pairs_needed": _safe(lambda: {"n": stats.pairs_for_power(
                            target, p["sd"], e.target_power, e.alpha)}).get("n"),
                        "pilot_sd": p["sd"]}
    else:
        out["power"] = {"error": p.get("error", "no primary estimate")}
    return out


def _safe_power(effect: float, sd: float, n: int, alpha: float) -> float | None:
    from smoothvla_jax.metrics.stats import StatsError, paired_t_power

    try:
        return paired_t_power(effect, sd, n, alpha)
    except StatsError:
        return None


# ============================================================================ report
def _pct(x: float | None) -> str:
    return "n/a" if x is None or not np.isfinite(x) else f"{100 * x:+.1f}%"


def _effect_line(name: str, r: Mapping[str, Any], log_ratio: bool) -> str:
    if "error" in r:
        return f"| {name} | n/a | n/a | n/a | {r['error']} |"
    if log_ratio:
        return (f"| {name} | {_pct(r['effect'])} | [{_pct(r['effect_low'])}, "
                f"{_pct(r['effect_high'])}] | {r['p']:.3g} | n = {r['n']} pairs |")
    return (f"| {name} | {r['mean']:+.4g} | [{r['ci_low']:+.4g}, {r['ci_high']:+.4g}] | "
            f"{r['p']:.3g} | n = {r['n']} pairs |")


def analysis_markdown(a: Mapping[str, Any], mode: str) -> str:
    """The paired-analysis section of the report for one evaluation mode."""
    lines = [f"### Evaluation {mode}", "",
             "| endpoint (SmoothVLA vs binary GRPO) | effect | 95% CI | p | |",
             "|---|---|---|---|---|",
             _effect_line("**primary: MSJ of successes** (geometric mean, % change)",
                          a["primary_log_msj"], True),
             _effect_line("dimensionless jerk of successes (% change)", a["log_dj"], True),
             _effect_line("SPARC of successes (difference, higher = smoother)", a["sparc"],
                          False),
             _effect_line("success duration (steps, difference)", a["duration"], False),
             _effect_line("MSJ on states both arms solve (% change)",
                          a["both_success_log_msj"], True)]
    ni = a["success_noninferiority"]
    if "error" in ni:
        lines += ["", f"Success non-inferiority: n/a ({ni['error']})"]
    else:
        verdict = "non-inferior" if ni["noninferior"] else "non-inferiority NOT shown"
        lines += ["", f"Success, SmoothVLA - binary over {ni['n']} paired (seed, task, state) "
                  f"outcomes: {100 * ni['diff']:+.1f} points (Agresti-Min "
                  f"{100 * (1 - 2 * 0.05):.0f}% interval [{100 * ni['ci_low']:+.1f}, "
                  f"{100 * ni['ci_high']:+.1f}]), margin -{100 * ni['margin']:.0f} points, "
                  f"one-sided p = {ni['p']:.3g}: **{verdict}**."]
    if "sft_success" in a:
        g = [f"SFT success {100 * a['sft_success']:.1f}%"]
        for arm in ARMS:
            r = a[f"generalisation_{arm}"]
            g.append(f"{arm} - SFT: " + ("n/a (" + r["error"] + ")" if "error" in r else
                                         f"{100 * r['mean']:+.1f} points "
                                         f"[{100 * r['ci_low']:+.1f}, {100 * r['ci_high']:+.1f}]"
                                         f", p = {r['p']:.3g}"))
        lines += ["", "Generalisation (fixed evaluation states, never trained on): "
                  + "; ".join(g) + "."]
    pw = a["power"]
    if "error" in pw:
        lines += ["", f"Power: n/a ({pw['error']})."]
    else:
        ach = "n/a" if pw["achieved"] is None else f"{pw['achieved']:.2f}"
        lines += ["", f"Power of the primary test for a {100 * abs(pw['target_effect']):.1f}% "
                  f"MSJ reduction with the observed SD of the paired ln-MSJ differences "
                  f"({pw['pilot_sd']:.3g}) and {a['n_pairs']} pairs: {ach}; pairs needed for "
                  f"power 0.8: {pw['pairs_needed'] if pw['pairs_needed'] else 'n/a'}."]
    lines += ["", "| seed | binary success | SmoothVLA success | binary ln MSJ (succ.) | "
              "SmoothVLA ln MSJ (succ.) | d | both-success states |", "|---|---|---|---|---|---|---|"]
    for p in a["per_seed"]:
        b, m = p["binary"], p["smooth"]
        lines.append(f"| {p['seed']} | {100 * b['success']:.1f}% ({b['n_success']}/{b['n']}) | "
                     f"{100 * m['success']:.1f}% ({m['n_success']}/{m['n']}) | "
                     f"{b['log_msj']:.3f} | {m['log_msj']:.3f} | "
                     f"{m['log_msj'] - b['log_msj']:+.3f} | {p['n_both']} |")
    return "\n".join(lines) + "\n"


def paired_figure(analyses: Mapping[str, Mapping[str, Any]], control: Mapping[str, Any] | None,
                  path: str) -> str:
    """Per-seed paired ln MSJ (one line per seed, binary -> SmoothVLA) per mode, and the
    positive control's training curve."""
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    n = len(analyses) + 1
    fig, axes = plt.subplots(1, n, figsize=(4.5 * n, 4), squeeze=False)
    axes = axes[0]
    for ax, (mode, a) in zip(axes, analyses.items(), strict=False):
        for p in a["per_seed"]:
            ax.plot([0, 1], [p["binary"]["log_msj"], p["smooth"]["log_msj"]], "o-", alpha=0.8,
                    label=f"seed {p['seed']}")
        ax.set_xticks([0, 1], ["binary GRPO", "SmoothVLA"])
        ax.set_title(f"ln MSJ of successes, {mode}", fontsize=10)
        ax.set_xlim(-0.3, 1.3)
        if len(a["per_seed"]) <= 10:
            ax.legend(fontsize=7)
    ax = axes[-1]
    curve = (control or {}).get("curve") or []
    if curve:
        ax.plot([c[0] for c in curve], [c[1] for c in curve], "o-")
    ax.set(title="positive control: training ln MSJ of successes", xlabel="iteration")
    ax.title.set_fontsize(10)
    fig.tight_layout()
    fig.savefig(path, dpi=110)
    plt.close(fig)
    return path


# ============================================================================ the run
def _scalars(out: Any) -> dict[str, Any]:
    """The JSON-scalar items of a unit's result (what stages.json keeps)."""
    if not isinstance(out, Mapping):
        return {}
    return {k: v for k, v in out.items() if isinstance(v, (int, float, str, bool)) or v is None}


def _executor(workers: int) -> Executor:
    """The process pool of ``experiment.workers > 1``: spawned processes, each with its own JAX
    runtime (a forked JAX runtime is unsafe). Tests substitute a thread pool."""
    import multiprocessing

    return ProcessPoolExecutor(max_workers=workers, mp_context=multiprocessing.get_context("spawn"))


def _in_worker(fn, args: tuple, cache: tuple[str | None, float]) -> tuple[float, dict[str, Any]]:
    """One unit in a worker process: the parent's persistent compilation cache (so the workers
    share compiled programs), then ``fn(*args)``; returns ``(seconds, scalar results)``."""
    from smoothvla_jax.train import use_compilation_cache

    if cache[0]:
        use_compilation_cache(*cache)
    t0 = time.perf_counter()
    out = fn(*args)
    return time.perf_counter() - t0, _scalars(out)


class Stages:
    """``<workdir>/stages.json``: ``{name: summary}`` of finished stages and sub-runs."""

    def __init__(self, workdir: str) -> None:
        self.path = os.path.join(workdir, "stages.json")
        self.done: dict[str, Any] = {}
        if os.path.isfile(self.path):
            with open(self.path, encoding="utf-8") as f:
                self.done = json.load(f)

    def finish(self, name: str, summary: Any) -> None:
        from smoothvla_jax.evaluation import jsonable

        self.done[name] = jsonable(summary)
        tmp = self.path + ".tmp"
        with open(tmp, "w", encoding="utf-8") as f:
            json.dump(self.done, f, indent=1)
        os.replace(tmp, self.path)


def _check_resume(config: Config, workdir: str) -> None:
    path = os.path.join(workdir, "experiment_config.json")
    if os.path.isfile(path):
        with open(path, encoding="utf-8") as f:
            stored = json.load(f)
        check_resume(stored, config, ("seed", "env", "data", "model", "sft", "grpo", "reward",
                                      "eval", "experiment"), RESUME_IGNORED,
                     f"experiment {workdir}")
    with open(path, "w", encoding="utf-8") as f:
        json.dump(config.to_dict(), f, indent=1)


def _jobs(config: Config) -> list[tuple[str, float]]:
    """Every unit of work with its estimated cost (seconds of the 2 CPU cores, one process:
    :func:`smoothvla_jax.train.cpu_costs`, the measured speeds): the weights of the overall
    progress bar, so its ETA scales with the measured speed, and the budget of a CPU config
    (its sum). Cold compilations are charged where they happen in this process: the
    calibration's rollout program, the control's programs, each arm's first run (its reward
    and rollout program differ) and each evaluation mode's first policy (SFT); later runs load
    their programs from the persistent cache."""
    from smoothvla_jax.train import cpu_costs

    c = cpu_costs(config)
    e, g = config.experiment, config.grpo
    n_tasks = len(grpo_tasks(config))
    compile_s = n_tasks * c.compile
    stages = e.stage_list()
    jobs: list[tuple[str, float]] = []
    if not e.sft_checkpoint:
        jobs += [("demos", c.collect)] if "demos" in stages else []
        jobs += [("sft", c.sft)] if "sft" in stages else []
    if "calibrate" in stages:
        jobs.append(("calibrate", e.calib_rounds * n_tasks * c.rollout_round + compile_s))
    if "control" in stages:
        jobs.append(("control", c.grpo_run(control_iterations(config), n_tasks)))
    if "grpo" in stages:
        jobs += [(f"grpo/{a}_s{s}",
                  c.grpo_run(g.num_iterations, n_tasks if s == e.first_seed else 0))
                 for s in e.seeds() for a in ARMS]
    if "eval" in stages:
        jobs += [(f"eval/{p}/{m}", n_tasks * c.eval_policy + (compile_s if p == "sft" else 0.0))
                 for p in ["sft"] + [f"{a}_s{s}" for s in e.seeds() for a in ARMS]
                 for m in MODES]
    if "report" in stages:
        jobs.append(("report", 10.0))
    return jobs


def _load_json(path: str) -> Any:
    with open(path, encoding="utf-8") as f:
        return json.load(f)


def run_experiment(config: Config | Any, config_path: str | None = None) -> dict[str, Any]:
    """Runs the stages of ``config.experiment.stages`` (see the module docstring) into
    ``config.workdir``; returns ``{"stages": stages.json contents, "outputs": {...}}``.

    Raises :class:`ControlFailed` when the positive control fails (and
    ``stop_on_control_failure``)."""
    from tqdm import tqdm

    from smoothvla_jax.train import _persistent_compilation_cache, collect_if_missing

    import jax

    from smoothvla_jax.train import _human

    config = as_config(config)
    e = config.experiment
    workdir = os.path.abspath(config.workdir)
    jobs = _jobs(config)
    if config.hardware == "accelerator" and jax.default_backend() == "cpu":
        print(f"note: {config_path or 'this config'} is sized for a GPU/TPU but JAX only sees a "
              f"CPU: its stages would take roughly {_human(sum(c for _, c in jobs))} here "
              f"(extrapolated from measured CPU speeds; the progress bar shows the real ETA). "
              f"For a CPU run use configs/smoothvla_cpu.py. Continuing.", flush=True)
    os.makedirs(workdir, exist_ok=True)
    _check_resume(config, workdir)
    _persistent_compilation_cache(config)
    stages = e.stage_list()
    st = Stages(workdir)
    cost = dict(jobs)
    calib_path = os.path.join(workdir, "calibration.json")
    outputs: dict[str, str] = {"run": workdir, "sft": sft_dir(config)}
    bar = tqdm(total=round(sum(cost.values())), desc="experiment", unit="s-est", position=0,
               bar_format="{desc}: {percentage:3.0f}%|{bar}| [{elapsed}<{remaining}]")

    def skipped(name: str) -> bool:
        """True (and the bar shrinks) when stages.json says ``name`` finished."""
        if name not in st.done:
            return False
        tqdm.write(f"[experiment] {name}: finished earlier; skipped")
        bar.total = max(bar.total - round(cost.get(name, 0.0)), bar.n)
        bar.refresh()
        return True

    def finished(name: str, seconds: float, out: Any) -> dict[str, Any]:
        summary = {"seconds": round(seconds, 1)} | _scalars(out)
        st.finish(name, summary)
        bar.update(round(cost.get(name, 0.0)))
        return summary

    def job(name: str, fn, *args, **kw):
        """Runs one unit here unless stages.json says it finished; advances the overall bar."""
        if skipped(name):
            return st.done[name]
        bar.set_description_str(name)
        tqdm.write(f"[experiment] {name}")
        t0 = time.perf_counter()
        out = fn(*args, **kw)
        return finished(name, time.perf_counter() - t0, out)

    def jobs_side_by_side(units: Sequence[tuple[str, Any, tuple]]) -> None:
        """Runs independent ``(name, fn, args)`` units, ``experiment.workers`` at a time in
        their own processes (in order when ``workers == 1``); each is recorded as it ends."""
        todo = [u for u in units if not skipped(u[0])]
        if e.workers == 1:
            for name, fn, args in todo:
                job(name, fn, *args)
            return
        cache = (jax.config.jax_compilation_cache_dir,
                 jax.config.jax_persistent_cache_min_compile_time_secs)
        with _executor(e.workers) as pool:
            running = {}
            for name, fn, args in todo:
                running[pool.submit(_in_worker, fn, args, cache)] = name
                tqdm.write(f"[experiment] {name} (queued; {e.workers} processes)")
            bar.set_description_str(f"{todo[0][0].split('/')[0]} x{e.workers}" if todo else "")
            try:
                for fut in as_completed(running):
                    seconds, out = fut.result()
                    finished(running[fut], seconds, out)
                    tqdm.write(f"[experiment] {running[fut]}: done in {_human(seconds)}")
            except BaseException:
                pool.shutdown(wait=True, cancel_futures=True)
                raise

    sft_cfg = dataclasses.replace(config, workdir=sft_dir(config))
    if e.sft_checkpoint:
        from smoothvla_jax import checkpoints

        start = checkpoints.load_policy(sft_dir(config), None if e.sft_step < 0 else e.sft_step)
        start.check_dynamics(config.env.dynamics)  # fail now, not after the first arm
        tqdm.write(f"[experiment] SFT start: {sft_dir(config)} (experiment.sft_checkpoint); "
                   f"demos and sft skipped")
    else:
        if "demos" in stages:
            job("demos", collect_if_missing, config)
        if "sft" in stages:
            from smoothvla_jax.sft import train_sft

            job("sft", train_sft, sft_cfg, config_path)

    calibration = None
    if "calibrate" in stages:
        def _calibrate():
            c = calibrate(config)
            with open(calib_path, "w", encoding="utf-8") as f:
                json.dump(c, f, indent=1)
            used = "successful" if c.get("calib_on", "success") == "success" else "(all, calib_on='all')"
            tqdm.write(f"[experiment] calibration: ln MSJ of {c['n_success']} {used} SFT "
                       f"rollouts of {c['n_episodes']} (success {100 * c['success_rate']:.0f}%): "
                       f"p{c['low_pct']:.0f} = {c['log_msj_low']:.3f}, "
                       f"p{c['high_pct']:.0f} = {c['log_msj_high']:.3f} -> {calib_path}")
            return c
        job("calibrate", _calibrate)
    if os.path.isfile(calib_path):
        calibration = _load_json(calib_path)
        outputs["calibration"] = calib_path
    need_cal = [s for s in ("control", "grpo") if s in stages]
    if need_cal and calibration is None:
        raise ConfigError(f"stage(s) {need_cal} need {calib_path}; run the calibrate stage "
                          f"first (--config.experiment.stages=calibrate,...)")

    from smoothvla_jax.rl.trainer import run_grpo

    if "control" in stages:
        ccfg = control_config(config, calibration)

        def _control():
            res = run_grpo(ccfg)
            drop = control_drop(read_metrics(ccfg.grpo.workdir, "grpo/log_msj_ee_success"),
                                    e.control_window)
            drop["passed"] = bool(np.isfinite(drop["drop"]) and drop["drop"] >= e.control_min_drop)
            drop["required"] = e.control_min_drop
            with open(os.path.join(workdir, "control.json"), "w", encoding="utf-8") as f:
                json.dump(drop, f, indent=1)
            return {"step": res["step"], "drop": drop["drop"], "passed": drop["passed"]}
        job("control", _control)
        outputs["control"] = os.path.join(workdir, "control.json")
    control = (_load_json(os.path.join(workdir, "control.json"))
               if os.path.isfile(os.path.join(workdir, "control.json")) else None)
    if control is not None and not control["passed"]:
        g = config.grpo
        msg = (f"positive control FAILED: a jerk-only reward on successes changed the training "
               f"MSJ of successful episodes by {_pct(-control['drop'])} (required: at least "
               f"-{100 * control['required']:.0f}%"
               + (f"; {control['reason']}" if control.get("reason") else "")
               + f"); the mechanism does not work here at this size "
               f"({control_iterations(config)} iterations of "
               f"{g.prompts_per_iteration} x {g.group_size} episodes, lr {g.lr:g})")
        if e.stop_on_control_failure:
            bar.close()
            _write_stop_report(config, workdir, control, calibration, msg)
            raise ControlFailed(msg + f"; see {os.path.join(workdir, 'report', 'report.md')}")
        tqdm.write(f"[experiment] warning: {msg}; continuing (stop_on_control_failure=False)")

    if "grpo" in stages:  # seed-major: a run cut short still has whole pairs
        jobs_side_by_side([(f"grpo/{arm}_s{s}", run_grpo,
                            (arm_config(config, arm, s, calibration),))
                           for s in e.seeds() for arm in ARMS])

    policies = {"sft": sft_dir(config)}
    policies.update({f"{a}_s{s}": arm_config(config, a, s, calibration).grpo.workdir
                     for s in e.seeds() for a in ARMS})
    temps = {"greedy": 0.0, "sampled": config.grpo.temperature}
    tasks = grpo_tasks(config)
    if "eval" in stages:
        from smoothvla_jax.evaluation import evaluate_or_reuse

        units = []
        for name, d in policies.items():
            seed = e.first_seed if name == "sft" else int(name.rsplit("_s", 1)[1])
            for mode, temp in temps.items():
                out_dir = os.path.join(workdir, "eval", name, mode)
                step = e.sft_step if name == "sft" and e.sft_step >= 0 else None
                units.append((f"eval/{name}/{mode}", evaluate_or_reuse,
                              (d, config, out_dir, tasks, temp, seed, False, step)))
        jobs_side_by_side(units)
    if "report" in stages:
        def _report():
            return build_experiment_report(config, workdir, policies, calibration, control)
        job("report", _report)
        outputs["report"] = os.path.join(workdir, "report", "report.md")
    bar.close()
    return {"stages": st.done, "outputs": outputs}


def _protocol_lines(config: Config, calibration: Mapping[str, Any] | None,
                    control: Mapping[str, Any] | None) -> list[str]:
    e, g = config.experiment, config.grpo
    lines = [f"Run directory `{os.path.abspath(config.workdir)}`; SFT start `{sft_dir(config)}`; "
             f"tasks {', '.join(grpo_tasks(config))}; {e.num_pairs} paired seeds "
             f"{list(e.seeds())}; GRPO {g.num_iterations} iterations of "
             f"{g.prompts_per_iteration} x {g.group_size} episodes at temperature "
             f"{g.temperature}; evaluation on {config.eval.num_init} fixed states per task.", ""]
    if calibration:
        used = ("successful" if calibration.get("calib_on", "success") == "success"
                else "(all: calib_on='all', not the protocol)")
        lines += [f"Reward calibration: ln MSJ of {calibration['n_success']} {used} SFT "
                  f"rollouts (of {calibration['n_episodes']}, success "
                  f"{100 * calibration['success_rate']:.0f}%): p{calibration['low_pct']:.0f} = "
                  f"{calibration['log_msj_low']:.3f}, p{calibration['high_pct']:.0f} = "
                  f"{calibration['log_msj_high']:.3f} (MSJ {calibration['msj_low']:.3g} .. "
                  f"{calibration['msj_high']:.3g} m²/s⁶) = J_norm 0 .. 1.", ""]
    if control:
        lines += [f"Positive control (jerk-only reward on successes): training MSJ of successes "
                  f"changed by {_pct(-control['drop'])} (required <= "
                  f"-{100 * control['required']:.0f}%): "
                  f"**{'passed' if control['passed'] else 'FAILED'}**"
                  + (f" ({control['reason']})" if control.get("reason") else "") + ".", ""]
        if calibration:
            rows = read_metrics(control_config(config, calibration).grpo.workdir,
                                "grpo/log_msj_ee_success")
            lines += ["The control's training iterations:", ""] + control_table(rows) + [""]
    return lines


def _write_stop_report(config: Config, workdir: str, control: Mapping[str, Any],
                       calibration: Mapping[str, Any] | None, msg: str) -> None:
    out = os.path.join(workdir, "report")
    os.makedirs(out, exist_ok=True)
    paired_figure({}, control, os.path.join(out, "paired.png"))
    md = [f"# SmoothVLA experiment: {config.name}", ""] + _protocol_lines(
        config, calibration, control) + [f"**Stopped:** {msg}.", "",
                                         "![positive control](paired.png)", ""]
    with open(os.path.join(out, "report.md"), "w", encoding="utf-8") as f:
        f.write("\n".join(md))


def build_experiment_report(config: Config, workdir: str, policies: Mapping[str, str],
                            calibration: Mapping[str, Any] | None,
                            control: Mapping[str, Any] | None) -> dict[str, Any]:
    """``<workdir>/report/``: report.md (protocol values, paired analysis per evaluation mode,
    per-seed tables, the SFT/binary/SmoothVLA tables), report.json, paired.png and one
    :func:`smoothvla_jax.report.build_report` sub-report per mode."""
    from smoothvla_jax.evaluation import jsonable
    from smoothvla_jax.report import build_report

    e = config.experiment
    out = os.path.join(workdir, "report")
    os.makedirs(out, exist_ok=True)
    analyses, sections = {}, []
    for mode in MODES:
        path = lambda name: os.path.join(workdir, "eval", name, mode, "eval.json")  # noqa: B023,E731
        have = {n for n in policies if os.path.isfile(path(n))}
        seeds = [s for s in e.seeds() if {f"binary_s{s}", f"smooth_s{s}"} <= have]
        if not seeds:
            continue
        evs = {n: _load_json(path(n)) for n in have}
        a = paired_analysis({s: evs[f"binary_s{s}"] for s in seeds},
                            {s: evs[f"smooth_s{s}"] for s in seeds}, evs.get("sft"), config)
        analyses[mode] = a
        runs = {"sft": [path("sft")]} if "sft" in have else {}
        runs.update(binary=[path(f"binary_s{s}") for s in seeds],
                    smooth=[path(f"smooth_s{s}") for s in seeds])
        sub = build_report(runs, os.path.join(out, mode), baseline="binary",
                           title=f"SFT vs GRPO, evaluation {mode}")
        sections.append(analysis_markdown(a, mode)
                        + f"\nPer-method table and figure: [{mode}/report.md]({mode}/report.md)"
                          f"{' (![](' + mode + '/report.png))' if sub['figure'] else ''}\n")
    if not analyses:
        raise ValueError(f"report: no seed has evaluations of both arms under {workdir}/eval; "
                         f"run the grpo and eval stages first")
    fig = paired_figure(analyses, control, os.path.join(out, "paired.png"))
    md = [f"# SmoothVLA experiment: {config.name}", ""] + _protocol_lines(
        config, calibration, control)
    md += ["Effects: SmoothVLA minus binary-reward GRPO, paired by seed; % change = "
           "exp(mean paired difference of ln) - 1 (negative = smoother); Student-t 95% "
           "intervals over pairs; two-sided p.", ""] + sections
    md += ["![paired ln MSJ per seed and the positive control](paired.png)", ""]
    text = "\n".join(md)
    with open(os.path.join(out, "report.md"), "w", encoding="utf-8") as f:
        f.write(text)
    with open(os.path.join(out, "report.json"), "w", encoding="utf-8") as f:
        json.dump(jsonable({"analyses": analyses, "calibration_anchors": {
            k: (calibration or {}).get(k) for k in ("log_msj_low", "log_msj_high")},
            "control": control}), f, indent=1)
    return {"markdown": os.path.join(out, "report.md"), "figure": fig,
            "modes": ",".join(analyses)}


def main(argv: list[str]) -> None:
    if len(argv) > 1:
        raise cli.UserError(f"unexpected arguments {argv[1:]}; use --config.<field>=<value>")
    config = cli.typed_config()
    try:
        out = run_experiment(config, cli.config_path())
    except ControlFailed as err:
        print(f"\n{err}", flush=True)
        raise SystemExit(3) from err
    print("\nfinished stages:")
    for name, s in out["stages"].items():
        print(f"  {name:24s} {s.get('seconds', 0):>8.0f} s")
    print("outputs:")
    for k, v in out["outputs"].items():
        print(f"  {k:12s} {v}")


if __name__ == "__main__":
    config_flags.DEFINE_config_file("config", None, "config file, e.g. configs/smoothvla_cpu.py")
    flags.mark_flags_as_required(["config"])
    cli.run(main)
