"""The experiment entry point (smoothvla_jax.experiment): paired arm configs, calibration,
positive control, the paired analysis, stage skipping on resume and one-line config errors.

Fast: training, rollouts and evaluation are replaced by fakes that write what the real stages
write (metrics.jsonl rows, eval.json files); the analysis and report code runs for real. The
MJX-level paired-seed property (both arms' first-iteration episodes identical) is in
tests/test_grpo_trainer.py."""

from __future__ import annotations

import json
import math
import os
import subprocess
import sys

import numpy as np
import pytest

from smoothvla_jax import experiment as ex
from smoothvla_jax.config import Config, ConfigError, ExperimentConfig, as_config, flatten
from smoothvla_jax.metrics import stats

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
CAL = {"log_msj_low": 2.0, "log_msj_high": 6.0}


def _config(tmp_path, **experiment) -> Config:
    c = Config()
    return as_config(c.to_dict() | {
        "workdir": str(tmp_path / "run"),
        "data": c.to_dict()["data"] | {"tasks": "libero_10/2,libero_10/9"},
        "model": c.to_dict()["model"] | {"size": "tiny"},
        "grpo": c.to_dict()["grpo"] | {"num_iterations": 4},
        "eval": c.to_dict()["eval"] | {"num_init": 10},
        "experiment": c.to_dict()["experiment"] | {"num_pairs": 3} | experiment})


def test_arms_of_a_pair_differ_only_in_reward_and_workdir(tmp_path):
    c = _config(tmp_path)
    b, s = (ex.arm_config(c, a, 4, CAL) for a in ex.ARMS)
    fb, fs = flatten(b.to_dict()), flatten(s.to_dict())
    differ = sorted(k for k in fb if fb[k] != fs[k])
    assert all(k.startswith("reward.") or k == "grpo.workdir" for k in differ), differ
    assert "reward.kind" in differ
    # same seed (-> PRNGKey(4) in run_grpo), same SFT start
    assert b.seed == s.seed == 4 and b.grpo.init_checkpoint == s.grpo.init_checkpoint
    assert b.grpo.init_checkpoint == str(tmp_path / "run" / "sft")
    assert b.reward.kind == "binary" and s.reward.kind == "smooth"
    assert (s.reward.normalization, s.reward.log_msj_low, s.reward.log_msj_high) == (
        "log_msj", 2.0, 6.0)
    assert s.reward.lam == c.reward.lam and not b.grpo.eval_at_end
    # other seeds differ in the seed only; the control is jerk-only on successes
    assert flatten(ex.arm_config(c, "binary", 5, CAL).to_dict())["seed"] == 5
    ctl = ex.control_config(c, CAL)
    assert (ctl.reward.form, ctl.reward.lam, ctl.grpo.ds_criterion) == (
        "multiplicative", 1.0, "reward")
    ext = as_config(c.to_dict() | {"experiment": c.to_dict()["experiment"] | {
        "sft_checkpoint": "/elsewhere/sft"}})
    assert ex.arm_config(ext, "smooth", 0, CAL).grpo.init_checkpoint == "/elsewhere/sft"


def test_calibration_percentiles_of_successes():
    lm = np.arange(1.0, 12.0)                       # 1 .. 11
    succ = np.ones(11)
    cal = ex.calibration_from(np.r_[lm, 100.0], np.r_[succ, 0], 10, 90, 5)
    assert (cal["log_msj_low"], cal["log_msj_high"]) == (2.0, 10.0)  # failure (100) ignored
    assert cal["n_success"] == 11 and cal["msj_low"] == pytest.approx(math.exp(2))
    with pytest.raises(ConfigError, match="only 2 of 4 SFT rollouts succeeded"):
        ex.calibration_from([1, 2, 3, 4], [1, 1, 0, 0], 10, 90, 5)
    with pytest.raises(ConfigError, match="coincide"):
        ex.calibration_from([3.0] * 6, [1] * 6, 10, 90, 5)


def test_control_drop_weighted_first_and_last_windows():
    rows = [{"step": i + 1, "grpo/log_msj_ee_success": v, "grpo/n_success": n}
            for i, (v, n) in enumerate([(5.0, 1), (4.0, 3), (9.0, 0), (4.5, 2), (3.0, 2),
                                        (3.5, 2)])]
    d = ex.control_drop(rows, 2)
    first, last = (5 * 1 + 4 * 3) / 4, (3 * 2 + 3.5 * 2) / 4   # iteration 3: no success
    assert d["drop"] == pytest.approx(1 - math.exp(last - first))
    assert ex.control_drop(rows[:3], 2)["reason"].startswith("only 2 iterations")


def test_control_reads_each_iteration_once_after_a_resume(tmp_path):
    # a resumed GRPO run logs its resumed steps again: the control must not count them twice
    rows = [{"step": 1, "grpo/log_msj_ee_success": 5.0, "grpo/n_success": 1},
            {"step": 2, "grpo/log_msj_ee_success": 9.0, "grpo/n_success": 4},   # lost at the kill
            {"step": 0, "grpo/libero_10/2/compile_s": 3.0},                      # other rows
            {"step": 2, "grpo/log_msj_ee_success": 4.0, "grpo/n_success": 3},   # resumed
            {"step": 3, "grpo/log_msj_ee_success": 3.0, "grpo/n_success": 2}]
    (tmp_path / "metrics.jsonl").write_text("".join(json.dumps(r) + "\n" for r in rows))
    read = ex.read_metrics(str(tmp_path), "grpo/log_msj_ee_success")
    assert [(r["step"], r["grpo/log_msj_ee_success"]) for r in read] == [(1, 5.0), (2, 4.0),
                                                                        (3, 3.0)]
    assert ex.read_metrics(str(tmp_path / "missing"), "grpo/log_msj_ee_success") == []
    d = ex.control_drop(read, 1)
    assert d["drop"] == pytest.approx(1 - math.exp(3.0 - 5.0)) and d["iterations"] == 3


def _eval_json(success, msj, seed=0, n_tasks=1):
    """An eval.json dict with per-episode arrays (the fields the analysis reads)."""
    from smoothvla_jax.evaluation import EPISODE_METRICS, summarize_episodes

    n = len(success)
    ep = {"init_index": list(range(n)), "success": list(map(float, success)),
          "msj_ee": list(msj), "dimensionless_jerk_ee": [10 * m for m in msj],
          "sparc_ee": [-2.0 - m / 1000 for m in msj], "episode_length": [80.0 + m for m in msj],
          "ldlj_ee": [-8.0] * n, "msj_action": [1.0] * n, "ldlj_action": [-8.0] * n,
          "chunk_discontinuity": [0.1] * n, "path_length": [0.5] * n,
          "ee_paths": [[[0, 0, 0], [0.01, 0, 0], [0.02, 0.01, 0]]]}
    tasks = {f"libero_10/{2 + 7 * t}": ep for t in range(n_tasks)}
    arr = {k: np.asarray(ep[k], float) for k in EPISODE_METRICS}
    return {"format": "smoothvla-eval-episodes/1", "step": 4, "seed": seed, "num_init": n,
            "temperature": 0.0, "tasks": {**{t: {} for t in tasks},
                                          "overall": summarize_episodes(arr)},
            "episodes": tasks}


def test_paired_analysis_matches_hand_computed_statistics(tmp_path):
    c = _config(tmp_path)
    rng = np.random.default_rng(0)
    binary, smooth, want = {}, {}, []
    for s in range(4):
        sb = rng.random(10) < 0.7
        sm = sb.copy()
        sm[s] = not sm[s]
        mb = rng.uniform(50, 150, 10)
        mm = mb * rng.uniform(0.6, 1.0, 10)
        binary[s], smooth[s] = _eval_json(sb, mb, s), _eval_json(sm, mm, s)
        want.append(np.log(mm[sm]).mean() - np.log(mb[sb]).mean())
    a = ex.paired_analysis(binary, smooth, _eval_json(np.ones(10) > 0, np.ones(10)), c)
    ref = stats.log_ratio_effect(np.asarray(want))
    for k in ("effect", "effect_low", "effect_high", "p"):
        assert a["primary_log_msj"][k] == pytest.approx(ref[k], rel=1e-9), k
    # both-success states: the same differences restricted to where both arms succeed
    both = [np.log(np.asarray(smooth[s]["episodes"]["libero_10/2"]["msj_ee"]))[m].mean()
            - np.log(np.asarray(binary[s]["episodes"]["libero_10/2"]["msj_ee"]))[m].mean()
            for s in range(4) for m in [np.asarray(binary[s]["episodes"]["libero_10/2"]["success"])
                                        .astype(bool)
                                        & np.asarray(smooth[s]["episodes"]["libero_10/2"]
                                                     ["success"]).astype(bool)]]
    assert a["both_success_log_msj"]["mean"] == pytest.approx(np.mean(both))
    ni = a["success_noninferiority"]
    assert ni["n"] == 40 and ni["b"] + ni["c"] == 4  # one flipped state per seed
    assert a["sft_success"] == 1.0 and a["generalisation_binary"]["mean"] < 0
    assert a["power"]["pairs_needed"] >= 2 and 0 < a["power"]["achieved"] < 1
    md = ex.analysis_markdown(a, "greedy")
    assert "primary: MSJ of successes" in md and md.count("\n| 3 |") == 1
    # one pair: the interval is undefined and says why instead of failing
    one = ex.paired_analysis({0: binary[0]}, {0: smooth[0]}, None, c)
    assert "at least 2 pairs" in one["primary_log_msj"]["error"]
    assert "error" in one["power"]
    # a seed whose arm never succeeds: the endpoints over successes say so, by seed
    zero = {**smooth, 2: _eval_json(np.zeros(10, bool), np.ones(10) * 9, 2)}
    z = ex.paired_analysis(binary, zero, None, c)
    assert "seed(s) [2]: an arm has no successful" in z["primary_log_msj"]["error"]
    assert "seed(s) [2]: no state is solved by both" in z["both_success_log_msj"]["error"]
    assert "error" not in z["success_noninferiority"]


class _Fakes:
    """Stand-ins for the heavy stages, counting calls."""

    def __init__(self, monkeypatch, drop: float = 0.3):
        self.calls: list[str] = []
        import smoothvla_jax.evaluation as evaluation
        import smoothvla_jax.rl.trainer as trainer
        import smoothvla_jax.sft as sft
        import smoothvla_jax.train as train

        monkeypatch.setattr(train, "collect_if_missing", self._collect)
        monkeypatch.setattr(train, "_persistent_compilation_cache", lambda config: None)
        monkeypatch.setattr(sft, "train_sft", self._sft)
        monkeypatch.setattr(ex, "calibrate", self._calibrate)
        monkeypatch.setattr(trainer, "run_grpo", self._grpo)
        monkeypatch.setattr(evaluation, "evaluate_or_reuse", self._eval)
        self.drop = drop

    def _collect(self, config):
        self.calls.append("demos")
        return {"demos": 2}

    def _sft(self, config, path=None):
        self.calls.append("sft")
        return {"step": 4}

    def _calibrate(self, config):
        self.calls.append("calibrate")
        return ex.calibration_from(np.linspace(1, 5, 20), np.ones(20), 10, 90, 5)

    def _grpo(self, config):
        w = config.grpo.workdir
        self.calls.append("grpo:" + os.path.basename(w))
        os.makedirs(w, exist_ok=True)
        end = math.log1p(-self.drop)
        with open(os.path.join(w, "metrics.jsonl"), "w") as f:
            for i in range(config.grpo.num_iterations):
                v = 4.0 + end * i / (config.grpo.num_iterations - 1)
                f.write(json.dumps({"step": i + 1, "grpo/log_msj_ee_success": v,
                                    "grpo/n_success": 4.0}) + "\n")
        return {"step": config.grpo.num_iterations}

    def _eval(self, run_dir, config, out_dir, tasks, temperature, seed, videos, step):
        name = os.path.basename(run_dir)
        self.calls.append(f"eval:{name}:{temperature}")
        rng = np.random.default_rng(abs(hash((name, temperature))) % 2**32)
        scale = 0.8 if name.startswith("smooth") else 1.0
        ev = _eval_json(rng.random(10) < 0.8, scale * rng.uniform(50, 150, 10), seed)
        os.makedirs(out_dir, exist_ok=True)
        path = os.path.join(out_dir, "eval.json")
        with open(path, "w") as f:
            json.dump(ev, f)
        return {"path": path}


def test_resume_skips_finished_stages_and_refuses_a_changed_config(tmp_path, monkeypatch):
    c = _config(tmp_path, control_iterations=4, control_window=1)
    fakes = _Fakes(monkeypatch)
    out = ex.run_experiment(c)
    grpo = [x for x in fakes.calls if x.startswith("grpo:")]
    assert fakes.calls[:3] == ["demos", "sft", "calibrate"] and grpo[0] == "grpo:control"
    # seed-major, both arms per seed
    assert grpo[1:] == [f"grpo:{a}_s{s}" for s in range(3) for a in ex.ARMS]
    assert len([x for x in fakes.calls if x.startswith("eval:")]) == 7 * 2
    run = tmp_path / "run"
    cal = json.loads((run / "calibration.json").read_text())
    assert cal["log_msj_low"] < cal["log_msj_high"]
    assert json.loads((run / "control.json").read_text())["passed"]
    report = (run / "report" / "report.md").read_text()
    assert "Evaluation greedy" in report and "Evaluation sampled" in report
    assert "positive control" in report.lower() and (run / "report" / "paired.png").is_file()
    assert (run / "report" / "greedy" / "report.md").is_file()
    assert set(out["stages"]) >= {"demos", "sft", "calibrate", "control", "report",
                                  "grpo/smooth_s2", "eval/sft/sampled"}

    fakes.calls.clear()
    ex.run_experiment(c)                       # everything finished: nothing runs again
    assert fakes.calls == []
    # more pairs extend the experiment: only the new pair trains and is evaluated
    more = as_config(c.to_dict() | {"experiment": c.to_dict()["experiment"] | {"num_pairs": 4}})
    ex.run_experiment(more)
    assert [x for x in fakes.calls if x.startswith("grpo:")] == ["grpo:binary_s3",
                                                                 "grpo:smooth_s3"]
    changed = as_config(c.to_dict() | {"grpo": c.to_dict()["grpo"] | {"lr": 1e-3}})
    with pytest.raises(ConfigError, match="grpo.lr"):
        ex.run_experiment(changed)


def test_workers_run_the_same_units_and_give_the_same_report(tmp_path, monkeypatch):
    """experiment.workers = 2 hands the GRPO runs and evaluations to a pool (a thread pool
    here, so the fakes are seen) and records each as it ends: the same units, stages.json
    entries and analysis as one process."""
    from concurrent.futures import ThreadPoolExecutor

    pools = []
    monkeypatch.setattr(ex, "_executor", lambda n: pools.append(n) or ThreadPoolExecutor(n))
    fakes = _Fakes(monkeypatch)
    one = ex.run_experiment(_config(tmp_path / "one", control_iterations=4, control_window=1))
    calls_one = sorted(fakes.calls)
    assert pools == []
    fakes.calls.clear()
    two = ex.run_experiment(_config(tmp_path / "two", control_iterations=4, control_window=1,
                                    workers=2))
    assert pools == [2, 2] and sorted(fakes.calls) == calls_one  # grpo, eval: 2 processes
    assert set(two["stages"]) == set(one["stages"])
    rep = [json.loads((tmp_path / d / "run" / "report" / "report.json").read_text())
           for d in ("one", "two")]
    assert rep[0]["analyses"] == rep[1]["analyses"]


def test_worker_processes_are_spawned_and_share_the_compilation_cache(tmp_path):
    """The real pool: a spawned process (its own pid) gets an arm's Config (as run_grpo does)
    and runs the unit with the parent's cache."""
    arm = ex.arm_config(_config(tmp_path), "smooth", 1, CAL)
    with ex._executor(2) as pool:
        secs, out = pool.submit(ex._in_worker, _worker_probe, (arm,),
                                (str(tmp_path), 1.5)).result()
    assert out["pid"] != os.getpid() and out["cache"] == str(tmp_path) and secs >= 0.0
    assert out["min_secs"] == 1.5
    assert out["workdir"] == arm.grpo.workdir and out["reward"] == repr(arm.reward)


def _worker_probe(config: Config) -> dict:
    import jax

    return {"pid": os.getpid(), "cache": jax.config.jax_compilation_cache_dir,
            "min_secs": jax.config.jax_persistent_cache_min_compile_time_secs,
            "workdir": config.grpo.workdir, "reward": repr(config.reward)}


def test_failed_positive_control_stops_before_the_arms(tmp_path, monkeypatch):
    c = _config(tmp_path, control_iterations=4, control_window=1)
    fakes = _Fakes(monkeypatch, drop=0.05)   # MSJ of successes falls 5% < 14%
    with pytest.raises(ex.ControlFailed, match="positive control FAILED"):
        ex.run_experiment(c)
    assert not [x for x in fakes.calls if x.startswith(("grpo:binary", "grpo:smooth"))]
    report = (tmp_path / "run" / "report" / "report.md").read_text()
    assert "FAILED" in report and "does not work here" in report and "; )" not in report
    assert "4 iterations of 8 x 8 episodes" in report     # the size it failed at
    # the control's curves, one row per iteration: ln MSJ 4 -> 4 + ln(0.95), 4 successes
    lines = report.splitlines()
    head = lines.index(next(x for x in lines if x.startswith("| iteration |")))
    assert "| ln MSJ of successes |" in lines[head] and "| KL to SFT |" in lines[head]
    rows = [x.split(" | ") for x in lines[head + 2:head + 6]]
    assert [r[0] for r in rows] == ["| 1", "| 2", "| 3", "| 4"]
    assert [r[3] for r in rows] == [f"{4 + math.log(0.95) * i / 3:.3f}" for i in range(4)]
    assert {r[2] for r in rows} == {"4"} and rows[0][1] == ""   # success rate not logged


def test_experiment_config_validation():
    with pytest.raises(ConfigError, match="calib_low_pct"):
        ExperimentConfig(calib_low_pct=90, calib_high_pct=10)
    with pytest.raises(ConfigError, match="unknown stage"):
        ExperimentConfig(stages="sft,train")
    with pytest.raises(ConfigError, match="workers must be >= 1"):
        ExperimentConfig(workers=0)
    assert ExperimentConfig(stages="all").stage_list()[0] == "demos"


def test_cli_bad_config_is_one_line_error():
    env = dict(os.environ, PYTHONPATH=ROOT + os.pathsep + os.environ.get("PYTHONPATH", ""))
    res = subprocess.run([sys.executable, "-m", "smoothvla_jax.experiment",
                          "--config=configs/smoothvla_cpu.py", "--config.experiment.num_pairs=0"],
                         cwd=ROOT, env=env, capture_output=True, text=True, timeout=300)
    assert res.returncode == 2
    lines = res.stderr.strip().splitlines()
    assert len(lines) == 1 and "experiment.num_pairs must be >= 1" in lines[0]
