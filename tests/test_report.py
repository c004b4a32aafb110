"""smoothvla_jax.report on synthetic evaluation files (no simulation; a few seconds)."""

from __future__ import annotations  # noqa: I001  (smoothvla_jax must import before jax)

import smoothvla_jax  # noqa: F401

import json
import math
import os

import numpy as np
import pytest

from smoothvla_jax import report


def _eval_file(path, msj, success, seed=0, n=20, with_episodes=True, dj_scale=1e5):
    """Writes an eval JSON in evaluate_policy's format (or a summaries-only one, without
    episodes) whose episodes have exactly the given MSJ values / success flags."""
    rng = np.random.default_rng(seed)
    msj = np.broadcast_to(np.asarray(msj, float), (n,))
    success = np.broadcast_to(np.asarray(success, float), (n,))
    ep = {"init_index": list(range(n)), "success": success.tolist(), "msj_ee": msj.tolist(),
          "dimensionless_jerk_ee": (dj_scale * (1 + rng.random(n))).tolist(),
          "ldlj_ee": (-10 - rng.random(n)).tolist(), "sparc_ee": (-2 - rng.random(n)).tolist(),
          "chunk_discontinuity": (0.1 + 0.01 * rng.random(n)).tolist(),
          "episode_length": [40] * n, "path_length": [0.3] * n,
          "ee_paths": [np.cumsum(rng.normal(0, 0.01, (40, 3)), 0).tolist() for _ in range(2)]}
    ep["ldlj_ee"][0] = None  # a non-finite value written as null is ignored

    def summ(v):
        v = np.asarray([x for x in v if x is not None], float)
        h = 1.96 * v.std(ddof=1) / math.sqrt(v.size)
        return {"mean": v.mean(), "std": v.std(ddof=1), "ci_low": v.mean() - h,
                "ci_high": v.mean() + h, "n": int(v.size), "n_nonfinite": 0}

    overall = {"success_rate": float(success.mean()), "n": n}
    for k in ("msj_ee", "dimensionless_jerk_ee", "ldlj_ee", "sparc_ee", "chunk_discontinuity"):
        overall[k] = summ(ep[k])
    d = {"checkpoint": "x", "step": 1, "temperature": 0.0, "num_init": n,
         "tasks": {"libero_10/9": overall, "overall": overall}}
    if with_episodes:
        d["format"] = report.EVAL_FORMAT
        d["episodes"] = {"libero_10/9": ep}
    with open(path, "w") as f:
        json.dump(d, f)
    return str(path)


def test_relative_change():
    assert report.relative_change(10.0, 8.0) == pytest.approx(20.0)    # 20% lower
    assert report.relative_change(10.0, 12.5) == pytest.approx(-25.0)  # 25% higher
    assert report.relative_change(-10.0, -8.0, lower_is_better=False) == pytest.approx(2.0)
    assert math.isnan(report.relative_change(0.0, 1.0))


def test_parse_runs_merges_repeats_and_commas():
    runs = report.parse_runs(["sft=a.json", "binary=b.json,c.json", "binary=d.json"])
    assert runs == {"sft": ["a.json"], "binary": ["b.json", "c.json", "d.json"]}
    with pytest.raises(ValueError, match="NAME=FILE"):
        report.parse_runs(["nofile"])


def test_report_table_figure_and_relative_msj(tmp_path):
    runs = {
        "sft": [_eval_file(tmp_path / "sft.json", 5.0, [1, 0] * 10)],
        "binary": [_eval_file(tmp_path / "b.json", 10.0, 1.0)],
        "smooth": [_eval_file(tmp_path / "s.json", np.r_[[6.0] * 10, [10.0] * 10], 1.0)],
    }
    out = tmp_path / "rep"
    res = report.build_report(runs, str(out))
    # smooth: mean MSJ 8 vs binary 10 -> exactly 20% lower
    assert res["relative"]["smooth"]["msj_ee"] == pytest.approx(20.0)
    assert res["relative"]["sft"]["msj_ee"] == pytest.approx(50.0)
    assert res["stats"]["sft"]["success"]["mean"] == pytest.approx(0.5)
    # "MSJ, successes" averages only the successful episodes
    mixed = {"binary": [_eval_file(tmp_path / "m.json", np.r_[[2.0, 8.0] * 10], [1, 0] * 10)]}
    st = report.build_report(mixed, str(tmp_path / "rep_mixed"))["stats"]["binary"]
    assert st["msj_ee"]["mean"] == pytest.approx(5.0)
    assert st["msj_ee_success"]["mean"] == pytest.approx(2.0) and st["msj_ee_success"]["n"] == 10
    assert res["stats"]["smooth"]["msj_ee"]["n"] == 20
    assert res["stats"]["smooth"]["ldlj_ee"]["n"] == 19  # the null was dropped
    md = (out / "report.md").read_text()
    for s in ("| SFT |", "| GRPO (binary) |", "| SmoothVLA (GRPO + jerk) |", "20.0% lower",
              "Success (%)", "LDLJ", "SPARC", "Chunk disc.", "report.png"):
        assert s in md, s
    assert "**SmoothVLA vs GRPO (binary): 20.0% lower MSJ**" in md
    assert (out / "report.png").stat().st_size > 10_000
    saved = json.loads((out / "report.json").read_text())
    assert saved["relative"]["smooth"]["msj_ee"] == pytest.approx(20.0)


def test_several_seeds_give_interval_across_seed_means(tmp_path):
    files = [_eval_file(tmp_path / f"s{i}.json", m, 1.0, seed=i) for i, m in enumerate([7, 8, 9])]
    runs = {"binary": [_eval_file(tmp_path / "b.json", 10.0, 1.0)], "smooth": files}
    res = report.build_report(runs, str(tmp_path / "rep"))
    st = res["stats"]["smooth"]["msj_ee"]
    assert st["n"] == 3 and st["over"] == "seeds"
    assert st["mean"] == pytest.approx(8.0)
    half = (st["ci_high"] - st["ci_low"]) / 2
    assert half == pytest.approx(4.303 * 1.0 / math.sqrt(3), rel=1e-2)  # t_{0.975,2} * sd/sqrt(n)
    assert res["relative"]["smooth"]["msj_ee"] == pytest.approx(20.0)
    assert "3 seeds" in res["markdown"]


def test_summary_only_files_from_evaluate(tmp_path):
    """A summaries-only eval file (no per-episode data): table yes, figure no."""
    runs = {"binary": [_eval_file(tmp_path / "b.json", 10.0, 1.0, with_episodes=False)],
            "smooth": [_eval_file(tmp_path / "s.json", 9.0, 1.0, with_episodes=False)]}
    res = report.build_report(runs, str(tmp_path / "rep"))
    assert res["figure"] is None and not os.path.exists(tmp_path / "rep" / "report.png")
    assert res["relative"]["smooth"]["msj_ee"] == pytest.approx(10.0)
    assert "No per-episode data" in res["markdown"]


def test_bad_file_raises(tmp_path):
    p = tmp_path / "x.json"
    p.write_text("{}")
    with pytest.raises(ValueError, match="not an evaluation file"):
        report.load_eval(str(p))
