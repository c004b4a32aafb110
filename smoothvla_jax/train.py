"""The SmoothVLA pipeline: collect -> sft -> grpo -> eval -> report.

    python -m smoothvla_jax.train --config=configs/libero10.py            # GPU/TPU-sized
    python -m smoothvla_jax.train --config=configs/cpu.py                 # CPU-sized
    python -m smoothvla_jax.train --config=configs/libero10.py --config.stages=sft,grpo

Stages (``config.stages``, any subset, always run in this order; each one resumes):

* ``collect``: scripted-expert demonstrations into ``data.root``, only when that dataset is
  missing (:func:`smoothvla_jax.collect.collect`);
* ``sft``: supervised fine-tuning into ``workdir`` (:func:`smoothvla_jax.sft.train_sft`;
  continues from the latest checkpoint);
* ``grpo``: GRPO with the ``reward`` section (``kind="smooth"`` = SmoothVLA) from the SFT run
  (``grpo.init_checkpoint``, default ``workdir``) into ``grpo.workdir`` (default
  ``<workdir>/grpo``; :func:`smoothvla_jax.rl.trainer.run_grpo`; continues too);
* ``eval``: closed-loop evaluation of the SFT and GRPO policies under ``config.eval``
  (:func:`smoothvla_jax.evaluation.evaluate_policy`) into ``<run>/eval/step_<n>/eval.json``;
  an existing file for the same step and protocol is reused;
* ``report``: SFT vs GRPO table + figure (:func:`smoothvla_jax.report.build_report`) in
  ``<workdir>/report/``.

Compiled programs are cached in ``<workdir>/jax_cache`` (``JAX_COMPILATION_CACHE_DIR``
overrides), so a resumed stage does not compile again.

Resuming a stage with a changed config is refused with the differing fields named
(``--config.allow_config_change=True`` overrides). On a CPU-only machine an accelerator-sized
config (``hardware="accelerator"``) prints one notice with a time estimate and the CPU config,
then runs. The last thing printed is a summary table and where the outputs are.
"""

from __future__ import annotations

import dataclasses
import math
import os
import time
from typing import Any

from absl import flags
from ml_collections import config_flags

from smoothvla_jax import cli
from smoothvla_jax.config import STAGES, Config, as_config

# Measured on the 2-core CPU machine (2026-11-30), each number by ONE process, which is how
# `train` and `experiment` run. One process keeps about one core busy: three GRPO runs side by
# side (configs/grpo_cpu_t03.py, RESULTS.md section 4) each took 1.5x the time of the same
# iteration alone (one rollout round: 117-142 s wall side by side vs 82-83 s alone; two rounds:
# 211-227 s vs ~152 s), so the machine's throughput with three processes (3 x 12 iterations of
# 64 kept episodes in ~3,300 s, ~92 s per iteration) is ~2x what one process gets.
# Collection (configs/cpu.py, 150 demos each of libero_10/2 and /5, 240-step limit): 39,454
# env-steps (151 and 112 per demo) at 290 env-steps/s after ~17 s of compilation per task, 178 s.
_CPU_COLLECT_ENV_STEPS_PER_S = 290.0
_CPU_COLLECT_COMPILE_S = 18.0                  # per task
_CPU_COLLECT_STEPS_PER_DEMO = 39_454 / 300     # mean expert demo of configs/cpu.py's tasks
# SFT of the tiny VLA at 64 px, batch 32 (configs/cpu.py): 1,050 s for 6,000 steps, ~26 min for
# 9,000 (the IK-era section-1 run of RESULTS.md: 0.21 s per step).
_CPU_SFT_S_PER_STEP = 1_050 / 6_000
# GRPO (configs/grpo_cpu_t03.py seed 0, iterations 11 and 12, after the other seeds had ended):
# a rollout round of 64 episodes x 240 steps 69-70 s, the update on 64 kept episodes 13 s.
_CPU_ROLLOUT_S_PER_EPISODE_STEP = 69.5 / (64 * 240)
_CPU_UPDATE_S_PER_EPISODE_STEP = 13.0 / (64 * 240)
# Refill: the chance that a drawn group is informative (0 < successes < G), from the same runs:
# a first round of R = P = 8 groups was full (all 8 informative) in 11 of 36 iterations.
_GROUP_INFORMATIVE_P = (11 / 36) ** (1 / 8)
# Evaluation of one policy on 50 layouts x 240 steps, one process alone (`evaluate` of the
# configs/cpu.py starts on training layouts, RESULTS.md section 4): rollouts 36-46 s, ~65 s as
# a process of its own with the program from the persistent cache (15-18 s) and start-up; in
# one process later evaluations reuse the compiled program (evaluation._COMPILED). Per
# evaluation ~10 s more are allowed for loading the checkpoint, building the env and the
# metrics (not timed separately).
_CPU_EVAL_S_PER_EPISODE_STEP = 46.0 / (50 * 240)
_CPU_EVAL_OVERHEAD_S = 10.0
# A program set compiled cold (the first GRPO iteration of a process, an evaluation program):
# ~100-200 s; one from the persistent cache: ~15 s per program, two per GRPO run.
_CPU_COMPILE_S = 150.0
_CPU_GRPO_RUN_OVERHEAD_S = 30.0


def _model_cost_ratio(config: Config) -> float:
    """Forward/backward cost of the config's VLA relative to the tiny 64 px one (parameters x
    image tokens)."""
    import jax

    from smoothvla_jax import builders
    from smoothvla_jax.model import VLAConfig, init_params

    def n_params(vcfg: VLAConfig) -> int:
        shapes = jax.eval_shape(lambda: init_params(jax.random.PRNGKey(0), vcfg))
        return sum(math.prod(x.shape) for x in jax.tree.leaves(shapes))

    vcfg = builders.vla_config(config)
    tiny = VLAConfig.tiny(image_size=64, chunk=vcfg.chunk)
    return n_params(vcfg) / n_params(tiny) * (vcfg.image_size / 64) ** 2


def expected_rounds(prompts: int, rollout_prompts: int, max_rounds: int,
                    p_informative: float = _GROUP_INFORMATIVE_P) -> float:
    """Expected rollout rounds of one GRPO iteration with refill: rounds of ``rollout_prompts``
    groups are drawn until ``prompts`` informative ones are kept, at most ``max_rounds``; each
    group is informative with probability ``p_informative``, independently. ``1 + sum_{k=1}^{
    max_rounds - 1} P(Binomial(k * R, p) < P)``."""
    p, r = float(p_informative), int(rollout_prompts)

    def below(n: int) -> float:          # P(fewer than `prompts` informative among n groups)
        return sum(math.comb(n, j) * p ** j * (1 - p) ** (n - j)
                   for j in range(min(int(prompts), n + 1)))

    return 1.0 + sum(below(k * r) for k in range(1, int(max_rounds)))


@dataclasses.dataclass(frozen=True)
class CPUCosts:
    """Seconds of the 2-core CPU machine (one process) per unit of work of a config, from the
    measured speeds above: the basis of :func:`estimate_cpu_seconds` and of the experiment's
    progress bar (:func:`smoothvla_jax.experiment._jobs`)."""

    collect: float          # all demonstrations of data.tasks, compilation included
    sft: float              # all SFT steps
    rollout_round: float    # one GRPO rollout round: R groups x G episodes x grpo.horizon
    rounds: float           # expected rounds per iteration (refill, :func:`expected_rounds`)
    iteration: float        # one GRPO iteration: `rounds` rollout rounds + the update
    eval_policy: float      # one policy, one task, eval.num_init episodes x eval.horizon
    compile: float          # one program set compiled cold (per task)
    grpo_run_overhead: float  # per GRPO run: its programs from the persistent cache

    def grpo_run(self, iterations: int, cold_compiles: int) -> float:
        """One GRPO run of ``iterations`` iterations that compiles ``cold_compiles`` program
        sets cold (0 when its programs come from the persistent cache)."""
        return iterations * self.iteration + self.grpo_run_overhead + cold_compiles * self.compile


def cpu_costs(config: Config) -> CPUCosts:
    """:class:`CPUCosts` of ``config`` (rough: the real ETA is in each stage's progress bar).
    Collection assumes demos as long as configs/cpu.py's (capped by ``data.horizon``) and an
    expert that succeeds; the policy's cost scales with :func:`_model_cost_ratio` (rollouts and
    evaluations half policy, half simulation)."""
    from smoothvla_jax import builders

    r = _model_cost_ratio(config)
    d, g = config.data, config.grpo
    n_tasks = len(builders.task_keys(d.tasks, d.suite))
    demo_steps = min(_CPU_COLLECT_STEPS_PER_DEMO, d.horizon or 520)
    collect = n_tasks * (_CPU_COLLECT_COMPILE_S
                         + d.num_demos * demo_steps / _CPU_COLLECT_ENV_STEPS_PER_S)
    sft = config.sft.num_steps * _CPU_SFT_S_PER_STEP * r * config.sft.batch_size / 32
    steps = g.horizon or 520
    roll_p = g.rollout_prompts or g.prompts_per_iteration
    rounds = (expected_rounds(g.prompts_per_iteration, roll_p, g.max_rounds)
              if g.dynamic_sampling else 1.0)
    rollout_round = (roll_p * g.group_size * steps * _CPU_ROLLOUT_S_PER_EPISODE_STEP
                     * (0.5 + 0.5 * r))
    update = g.prompts_per_iteration * g.group_size * steps * _CPU_UPDATE_S_PER_EPISODE_STEP * r
    eval_policy = (config.eval.num_init * (config.eval.horizon or 520)
                   * _CPU_EVAL_S_PER_EPISODE_STEP * (0.5 + 0.5 * r) + _CPU_EVAL_OVERHEAD_S)
    return CPUCosts(collect=collect, sft=sft, rollout_round=rollout_round, rounds=rounds,
                    iteration=rounds * rollout_round + update, eval_policy=eval_policy,
                    compile=_CPU_COMPILE_S, grpo_run_overhead=_CPU_GRPO_RUN_OVERHEAD_S)


def estimate_cpu_seconds(config: Config) -> dict[str, float]:
    """Rough 2-core CPU time per stage of the pipeline (:func:`cpu_costs`; order of magnitude
    only: the real ETA is in each stage's progress bar). ``eval``: the SFT and the GRPO policy
    on every evaluated task."""
    from smoothvla_jax import builders

    c = cpu_costs(config)
    n_grpo = len(builders.task_keys(config.grpo.tasks or config.data.tasks, config.data.suite))
    n_eval = len(builders.eval_task_keys(config))
    grpo = c.grpo_run(config.grpo.num_iterations, n_grpo)
    ev = n_eval * (2 * c.eval_policy + c.compile)
    return {"collect": c.collect, "sft": c.sft, "grpo": grpo, "eval": ev}


def _human(seconds: float) -> str:
    if seconds >= 2 * 86400:
        return f"{seconds / 86400:.0f} days"
    if seconds >= 2 * 3600:
        return f"{seconds / 3600:.0f} hours"
    return f"{max(seconds / 60, 1):.0f} min"


def hardware_notice(config: Config, config_path: str | None) -> str | None:
    """The one-time notice for an accelerator-sized config on a CPU-only machine, or None."""
    import jax

    if config.hardware != "accelerator" or jax.default_backend() != "cpu":
        return None
    est = estimate_cpu_seconds(config)
    total = sum(est[s] for s in config.stage_list() if s in est)
    path = config_path or "this config"
    cpu = cpu_config_seconds()
    return (f"note: {path} is sized for a GPU/TPU ({config.model.size} VLA, "
            f"{config.data.image_size} px, {config.sft.num_steps:,} SFT steps, "
            f"{config.grpo.num_iterations} GRPO iterations of "
            f"{config.grpo.prompts_per_iteration * config.grpo.group_size} episodes) but JAX "
            f"only sees a CPU: stages {','.join(config.stage_list())} would take roughly "
            f"{_human(total)} here (extrapolated from measured CPU speeds; each progress bar "
            f"shows the real ETA). For a CPU run use configs/cpu.py (about {_human(cpu)} on 2 "
            f"cores) or configs/smoke.py (minutes). Continuing.")


def cpu_config_seconds() -> float:
    """:func:`estimate_cpu_seconds` of ``configs/cpu.py``, all stages (the CPU run the notice
    of :func:`hardware_notice` points to)."""
    from configs import cpu

    return float(sum(estimate_cpu_seconds(as_config(cpu.get_config())).values()))


# ============================================================================ stages
def use_compilation_cache(cache_dir: str, min_compile_secs: float = 2.0) -> None:
    """Compiled XLA programs (those taking >= ``min_compile_secs`` to compile) go to
    ``cache_dir``, unless ``JAX_COMPILATION_CACHE_DIR`` or the JAX config already names a cache."""
    import jax

    if jax.config.jax_compilation_cache_dir:
        return
    jax.config.update("jax_compilation_cache_dir", cache_dir)
    jax.config.update("jax_persistent_cache_min_compile_time_secs", min_compile_secs)


def _persistent_compilation_cache(config: Config) -> None:
    """The persistent compilation cache in ``<workdir>/jax_cache`` (:func:`use_compilation_cache`),
    so a resumed or re-run stage skips compilation."""
    use_compilation_cache(os.path.join(os.path.abspath(config.workdir), "jax_cache"))


def _has_checkpoint(run_dir: str) -> int | None:
    from smoothvla_jax import checkpoints

    d = checkpoints.resolve_dir(run_dir)
    if not os.path.isdir(d):
        return None
    ck = checkpoints.Checkpointer(d, read_only=True)
    step = ck.latest_step()
    ck.close()
    return step


def _eval_stage(run_dir: str, config: Config) -> dict[str, Any]:
    """Evaluates the latest checkpoint of ``run_dir`` unless its eval.json (same step and
    protocol) exists (:func:`smoothvla_jax.evaluation.evaluate_or_reuse`)."""
    from smoothvla_jax.evaluation import evaluate_or_reuse

    return evaluate_or_reuse(run_dir, config)


def train(config: Config | Any, config_path: str | None = None,
          stop_at: int | None = None) -> dict[str, Any]:
    """Runs ``config.stages``; returns ``{"stages": {name: summary}, "outputs": {...}}``.

    ``config_path`` only improves messages; ``stop_at`` ends SFT early at that global step with
    a checkpoint (see :func:`smoothvla_jax.sft.train_sft`)."""
    from smoothvla_jax.rl.trainer import grpo_workdir, init_checkpoint

    config = as_config(config)
    stages = config.stage_list()
    _persistent_compilation_cache(config)
    notice = hardware_notice(config, config_path)
    if notice:
        print(notice, flush=True)
    sft_dir, grpo_dir = os.path.abspath(config.workdir), grpo_workdir(config)
    init_dir = init_checkpoint(config)
    report_dir = os.path.join(sft_dir, "report")
    out: dict[str, Any] = {"stages": {}, "times": {}, "outputs": {}}
    for i, stage in enumerate(stages, 1):
        print(f"[{i}/{len(stages)}] {stage}", flush=True)
        t0 = time.perf_counter()
        if stage == "collect":
            out["stages"]["collect"] = collect_if_missing(config)
            out["outputs"]["dataset"] = os.path.abspath(config.data.root)
        elif stage == "sft":
            from smoothvla_jax.sft import train_sft

            out["stages"]["sft"] = train_sft(config, config_path, stop_at)
            out["outputs"]["sft"] = sft_dir
            if stop_at is not None and out["stages"]["sft"]["step"] < config.sft.num_steps:
                out["times"]["sft"] = time.perf_counter() - t0
                break
        elif stage == "grpo":
            from smoothvla_jax.rl.trainer import run_grpo

            cfg = config
            if "eval" in stages:  # the eval stage evaluates the final GRPO policy
                cfg = dataclasses.replace(config, grpo=dataclasses.replace(config.grpo,
                                                                           eval_at_end=False))
            out["stages"]["grpo"] = run_grpo(cfg, grpo_dir)
            out["outputs"]["grpo"] = grpo_dir
        elif stage == "eval":
            runs = {"sft": init_dir, "grpo": grpo_dir}
            res = {}
            for name, d in runs.items():
                if _has_checkpoint(d) is None:
                    print(f"eval: no {name} checkpoint in {d}; skipped")
                    continue
                res[name] = _eval_stage(d, config)
                out["outputs"][f"eval_{name}"] = res[name]["path"]
            if not res:
                raise cli.UserError(f"eval stage: no checkpoint in {init_dir} or {grpo_dir}; "
                                    f"run the sft stage first (--config.stages=sft,eval)")
            out["stages"]["eval"] = res
        elif stage == "report":
            from smoothvla_jax.report import build_report

            ev = out["stages"].get("eval") or {}
            if not ev:
                raise cli.UserError("the report stage needs the eval stage's files: run it with "
                                    "eval (--config.stages=eval,report)")
            kind = "smooth" if config.reward.kind == "smooth" else "binary"
            runs = {("sft" if k == "sft" else kind): [v["path"]] for k, v in ev.items()}
            rep = build_report(runs, report_dir, baseline="sft",
                               title=f"SFT vs GRPO ({config.reward.kind} reward): {config.name}")
            out["stages"]["report"] = {"markdown": os.path.join(report_dir, "report.md"),
                                       "figure": rep["figure"]}
            out["outputs"]["report"] = os.path.join(report_dir, "report.md")
        out["times"][stage] = time.perf_counter() - t0
    return out


def collect_if_missing(config: Config) -> dict[str, Any]:
    from smoothvla_jax import builders, data

    keys = builders.task_keys(config.data.tasks, config.data.suite)
    try:
        ds = data.load_dataset(config.data.root, keys, dynamics=config.env.dynamics)
        n = sum(t.num_episodes for t in ds.tasks)
        print(f"collect: dataset {ds.root} present ({n} demos); skipped")
        return {"root": ds.root, "demos": n, "collected": False}
    except data.DatasetNotFoundError:
        pass
    from smoothvla_jax.collect import collect

    root = collect(config)
    ds = data.load_dataset(root, keys)
    return {"root": root, "demos": sum(t.num_episodes for t in ds.tasks), "collected": True}


# ============================================================================ summary
def _success(s: dict[str, Any]) -> str:
    from smoothvla_jax.evaluation import format_success

    return format_success(s["success"]) if isinstance(s.get("success"), dict) else "n/a"


def summary_table(out: dict[str, Any]) -> str:
    """The final table: one row per stage that ran (time, result), then the output paths."""
    rows = []
    st, times = out["stages"], out["times"]
    for stage in STAGES:
        if stage not in st:
            continue
        s = st[stage]
        if stage == "collect":
            res = f"{s['demos']} demos" + (" collected" if s["collected"] else " (present)")
        elif stage == "sft":
            loss = f", loss {s['loss']:.3f}" if "loss" in s else ""
            res = f"step {s['step']}{loss}"
        elif stage == "grpo":
            r = f", reward {s['reward_mean']:.3f}" if "reward_mean" in s else ""
            res = f"iteration {s['step']}{r}"
        elif stage == "eval":
            res = "; ".join(f"{k} success {_success(v['overall'])} "
                            f"(n={v['overall']['n']})" for k, v in s.items())
        else:
            res = "SFT vs GRPO table + figure"
        rows.append((stage, f"{times.get(stage, 0.0):.0f} s", res))
    w = max([len(r[2]) for r in rows] + [6])
    lines = [f"{'stage':8s} {'time':>8s}  {'result':{w}s}", "-" * (19 + w)]
    lines += [f"{a:8s} {b:>8s}  {c}" for a, b, c in rows]
    lines += ["", "outputs:"] + [f"  {k:10s} {v}" for k, v in out["outputs"].items()]
    return "\n".join(lines)


def main(argv: list[str]) -> None:
    if len(argv) > 1:
        raise cli.UserError(f"unexpected arguments {argv[1:]}; use --config.<field>=<value>")
    config = cli.typed_config()
    if config.parallel.distributed:
        from smoothvla_jax.parallel import initialize_distributed

        initialize_distributed()  # multi-host: before anything else touches the devices
    out = train(config, cli.config_path())
    print("\n" + summary_table(out), flush=True)


if __name__ == "__main__":
    config_flags.DEFINE_config_file("config", None, "config file, e.g. configs/smoke.py")
    flags.mark_flags_as_required(["config"])
    cli.run(main)
