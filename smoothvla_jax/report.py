"""Paper-style comparison: SFT vs GRPO (binary reward) vs SmoothVLA (GRPO + jerk reward).

Report from evaluation files (one or more per method; several = several training seeds)::

    python -m smoothvla_jax.report --runs=sft=runs/cpu/eval/step_6000/eval.json \\
        --runs=binary=runs/cpu_grpo/binary_s0/eval/step_16/eval.json,runs/cpu_grpo/binary_s1/... \\
        --runs=smooth=runs/cpu_grpo/smooth_s0/eval/step_16/eval.json --out=docs/report

writes ``<out>/report.md`` (table: success % with its 95% Wilson interval, MSJ (all episodes, and
successful ones only), dimensionless jerk, LDLJ, SPARC, chunk discontinuity as mean +- 95% CI;
relative change vs the ``--baseline`` method, default ``binary``), ``<out>/report.json`` (the
numbers) and ``<out>/report.png`` (per-episode jerk distributions and one example end-effector
path + speed profile per method).

Statistics: with one file per method, success has a Wilson interval and every other metric a
Student-t interval across episodes; with k > 1 files per method, the per-file (per-seed) means
are the samples (Student-t interval across seeds, n = k). Relative change for lower-is-better
metrics is ``100 * (base - x) / base`` ("x% lower MSJ"); for LDLJ / SPARC (log-scale /
negative, higher = smoother) and success the table gives the difference ``x - base``.

Evaluation files are the ``eval.json`` written by :func:`smoothvla_jax.evaluation.evaluate_policy`
(``python -m smoothvla_jax.evaluate``, the pipeline's eval stage, the GRPO trainer): per-task
summaries plus every episode's metrics and the EE paths of the first ``eval.num_paths`` episodes.
Files with summaries only give the table but no figure.
"""

from __future__ import annotations

import json
import math
import os
from collections.abc import Mapping, Sequence
from typing import Any

import numpy as np
from absl import flags

from smoothvla_jax.evaluation import EPISODE_METRICS, EVAL_FORMAT, jsonable  # noqa: F401
from smoothvla_jax.metrics import success_interval, summarize

# (key, column title, lower_is_better, display scale)
METRICS: tuple[tuple[str, str, bool, float], ...] = (
    ("success", "Success (%)", False, 100.0),
    ("msj_ee", "MSJ (m²/s⁶)", True, 1.0),
    ("msj_ee_success", "MSJ, successes (m²/s⁶)", True, 1.0),
    ("dimensionless_jerk_ee", "Dimensionless jerk", True, 1.0),
    ("ldlj_ee", "LDLJ", False, 1.0),
    ("sparc_ee", "SPARC", False, 1.0),
    ("chunk_discontinuity", "Chunk disc.", True, 1.0),
)
RELATIVE = ("msj_ee", "msj_ee_success", "dimensionless_jerk_ee",
            "chunk_discontinuity")  # reported as "% lower"
LABELS = {"sft": "SFT", "binary": "GRPO (binary)", "smooth": "SmoothVLA (GRPO + jerk)"}


def label(name: str) -> str:
    return LABELS.get(name, name)


# ============================================================================ loading
def _as_array(v: Any) -> np.ndarray:
    return np.asarray([np.nan if x is None else x for x in v], np.float64)


def load_eval(path: str) -> dict[str, Any]:
    """Reads an eval file (ours or evaluate's ``results.json``) into
    ``{"path", "episodes": {metric: [n]} | None, "paths": [[T, 3], ...], "overall": summary}``
    (episodes pooled over tasks; ``None`` when the file has only summaries)."""
    if not os.path.isfile(path):
        raise FileNotFoundError(f"report input {path!r} not found; create it with "
                                f"`python -m smoothvla_jax.evaluate --checkpoint=<run>` (it "
                                f"writes <run>/eval/step_<n>/eval.json) or fix the path")
    try:
        with open(path, encoding="utf-8") as f:
            d = json.load(f)
    except json.JSONDecodeError as e:
        raise ValueError(f"report input {path!r} is not JSON ({e}); pass an eval.json") from e
    if not isinstance(d, dict) or "tasks" not in d or "overall" not in d["tasks"]:
        raise ValueError(f"{path}: not an evaluation file (no tasks.overall); expected the output "
                         f"of python -m smoothvla_jax.evaluate")
    out: dict[str, Any] = {"path": path, "overall": d["tasks"]["overall"], "episodes": None,
                           "paths": [], "meta": {k: d.get(k) for k in
                                                 ("checkpoint", "step", "stage", "temperature",
                                                  "num_init", "horizon", "seed")}}
    eps = d.get("episodes")
    if eps:
        pooled: dict[str, list[np.ndarray]] = {}
        for task in sorted(eps):
            for k in EPISODE_METRICS:
                if k in eps[task]:
                    pooled.setdefault(k, []).append(_as_array(eps[task][k]))
            for p in eps[task].get("ee_paths", []):
                out["paths"].append(np.asarray(p, np.float64).reshape(-1, 3))
        out["episodes"] = {k: np.concatenate(v) for k, v in pooled.items()}
        e = out["episodes"]
        if "msj_ee" in e and "success" in e:  # jerk at equal outcome: successful episodes only
            e["msj_ee_success"] = np.where(e["success"] > 0, e["msj_ee"], np.nan)
    return out


def _file_mean(ev: dict[str, Any], key: str) -> float:
    if ev["episodes"] is not None and key in ev["episodes"]:
        v = ev["episodes"][key]
        v = v[np.isfinite(v)]
        return float(v.mean()) if v.size else float("nan")
    if key == "success":
        return float(ev["overall"]["success_rate"])
    s = ev["overall"].get(key)
    return float("nan") if s is None or s.get("mean") is None else float(s["mean"])


def method_stats(evals: Sequence[dict[str, Any]], confidence: float = 0.95) -> dict[str, Any]:
    """``{metric: {mean, ci_low, ci_high, n, over}}`` for one method (see module docstring)."""
    stats: dict[str, Any] = {}
    for key, *_ in METRICS:
        if len(evals) > 1:
            s = summarize([_file_mean(e, key) for e in evals], confidence) | {"over": "seeds"}
        else:
            ev = evals[0]
            if key == "success":  # Wilson interval of the pooled episodes
                if ev["episodes"] is not None and "success" in ev["episodes"]:
                    flags = ev["episodes"]["success"]
                else:
                    n = int(ev["overall"]["n"])
                    flags = np.arange(n) < round(float(ev["overall"]["success_rate"]) * n)
                s = success_interval(flags, confidence) | {"over": "episodes"}
            elif ev["episodes"] is not None and key in ev["episodes"]:
                v = ev["episodes"][key]
                s = summarize(v[np.isfinite(v)], confidence) | {"over": "episodes"}
            else:
                o = ev["overall"].get(key) or {}
                s = {k: (float("nan") if o.get(k) is None else float(o[k]))
                     for k in ("mean", "ci_low", "ci_high")} | {"n": int(o.get("n", 0)),
                                                                "over": "episodes"}
        stats[key] = s
    stats["num_files"] = len(evals)
    stats["num_episodes"] = int(sum(int(e["overall"].get("n", 0)) for e in evals))
    return stats


def relative_change(base: float, value: float, lower_is_better: bool = True) -> float:
    """``100 * (base - value) / |base|`` (positive = lower than base) for lower-is-better
    metrics, else the difference ``value - base``. NaN if base is 0 or not finite."""
    if not lower_is_better:
        return float(value - base)
    if not (math.isfinite(base) and math.isfinite(value)) or base == 0:
        return float("nan")
    return float(100.0 * (base - value) / abs(base))


# ============================================================================ report
def _fmt(x: float, scale: float = 1.0) -> str:
    if x is None or not math.isfinite(x):
        return "n/a"
    x = x * scale
    a = abs(x)
    if a != 0 and (a >= 1e4 or a < 1e-2):
        return f"{x:.2e}"
    return f"{x:.3g}" if a >= 100 else f"{x:.3f}"


def _cell(s: dict[str, Any], scale: float) -> str:
    m, lo, hi = s["mean"], s["ci_low"], s["ci_high"]
    if not math.isfinite(m):
        return "n/a"
    half = (hi - lo) / 2 if math.isfinite(hi) and math.isfinite(lo) else float("nan")
    if scale == 100.0:  # percentages
        return f"{100 * m:.1f} ± {100 * half:.1f}" if math.isfinite(half) else f"{100 * m:.1f}"
    return f"{_fmt(m, scale)} ± {_fmt(half, scale)}"


def markdown_table(stats: Mapping[str, dict[str, Any]], baseline: str | None) -> str:
    head = "| Method | " + " | ".join(t for _, t, _, _ in METRICS) + " | n |"
    lines = [head, "|" + "---|" * (len(METRICS) + 2)]
    for name, st in stats.items():
        n = f"{st['num_episodes']} ep" + (f" / {st['num_files']} seeds" if st["num_files"] > 1
                                          else "")
        cells = [_cell(st[k], sc) for k, _, _, sc in METRICS]
        lines.append(f"| {label(name)} | " + " | ".join(cells) + f" | {n} |")
    if baseline and baseline in stats:
        base = stats[baseline]
        lines += ["", f"Change relative to {label(baseline)} (positive = smoother / better):", "",
                  "| Method | " + " | ".join(t for _, t, _, _ in METRICS) + " |",
                  "|" + "---|" * (len(METRICS) + 1)]
        for name, st in stats.items():
            if name == baseline:
                continue
            cells = []
            for k, _, lower, sc in METRICS:
                r = relative_change(base[k]["mean"], st[k]["mean"], lower)
                if not math.isfinite(r):
                    cells.append("n/a")
                elif k in RELATIVE:
                    cells.append(f"{abs(r):.1f}% {'lower' if r >= 0 else 'higher'}")
                elif k == "success":
                    cells.append(f"{100 * r:+.1f} pp")
                else:
                    cells.append(f"{r:+.3f}")
            lines.append(f"| {label(name)} | " + " | ".join(cells) + " |")
    return "\n".join(lines)


def make_figure(evals: Mapping[str, Sequence[dict[str, Any]]], path: str) -> bool:
    """Jerk distributions (log10 MSJ, log10 dimensionless jerk; episodes pooled over files) and
    one example EE path (top view) + speed profile per method. False if no per-episode data."""
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    names = [n for n, evs in evals.items() if any(e["episodes"] is not None for e in evs)]
    if not names:
        return False
    fig, axes = plt.subplots(2, 2, figsize=(11, 8))
    colors = plt.rcParams["axes.prop_cycle"].by_key()["color"]
    for ax, key, title in ((axes[0, 0], "msj_ee", "log10 MSJ of the EE path (m²/s⁶)"),
                           (axes[0, 1], "dimensionless_jerk_ee", "log10 dimensionless jerk")):
        data, labels = [], []
        for n in names:
            v = np.concatenate([e["episodes"][key] for e in evals[n] if e["episodes"] is not None
                                and key in e["episodes"]] or [np.zeros(0)])
            v = v[np.isfinite(v) & (v > 0)]
            data.append(np.log10(v) if v.size else np.array([np.nan]))
            labels.append(f"{label(n)}\n(n={v.size})")
        ok = [d for d in data if np.isfinite(d).any()]
        if ok:
            parts = ax.violinplot([d[np.isfinite(d)] if np.isfinite(d).any() else [0.0]
                                   for d in data], showmedians=True)
            for body, c in zip(parts["bodies"], colors, strict=False):
                body.set_facecolor(c)
        ax.set_xticks(range(1, len(names) + 1), labels, fontsize=8)
        ax.set_title(title, fontsize=10)
    dt = 0.05
    for i, n in enumerate(names):
        paths = [p for e in evals[n] for p in e["paths"]]
        if not paths:
            continue
        p = paths[0]
        c = colors[i % len(colors)]
        axes[1, 0].plot(p[:, 0], p[:, 1], color=c, label=label(n))
        axes[1, 0].plot(p[:1, 0], p[:1, 1], "o", color=c)
        if len(p) > 2:
            v = np.linalg.norm(np.diff(p, axis=0), axis=1) / dt
            axes[1, 1].plot(np.arange(1, len(p)) * dt, v, color=c, label=label(n), lw=1)
    axes[1, 0].set(title="example end-effector path (top view, o = start)", xlabel="x (m)",
                   ylabel="y (m)")
    axes[1, 0].axis("equal")
    axes[1, 1].set(title="speed of that path", xlabel="time (s)", ylabel="|v| (m/s)")
    for ax in axes[1]:
        ax.title.set_fontsize(10)
        if ax.get_legend_handles_labels()[0]:
            ax.legend(fontsize=8)
    fig.tight_layout()
    fig.savefig(path, dpi=120)
    plt.close(fig)
    return True


def build_report(runs: Mapping[str, Sequence[str]], out_dir: str, baseline: str = "binary",
                 title: str = "SmoothVLA on LIBERO-MJX") -> dict[str, Any]:
    """Loads every method's eval files, writes ``report.md``/``report.json``/``report.png`` to
    ``out_dir``; returns ``{"stats", "relative", "markdown", "figure"}``."""
    if not runs:
        raise ValueError("no runs given")
    evals = {name: [load_eval(p) for p in paths] for name, paths in runs.items()}
    stats = {name: method_stats(evs) for name, evs in evals.items()}
    relative: dict[str, dict[str, float]] = {}
    if baseline in stats:
        for name, st in stats.items():
            if name != baseline:
                relative[name] = {k: relative_change(stats[baseline][k]["mean"], st[k]["mean"],
                                                     lower) for k, _, lower, _ in METRICS}
    os.makedirs(out_dir, exist_ok=True)
    fig_path = os.path.join(out_dir, "report.png")
    has_fig = make_figure(evals, fig_path)
    intro = ("Closed-loop evaluation; each cell is the mean ± half-width of the 95% interval "
             "(success: Wilson interval over the episodes for one evaluation file per method; "
             "other metrics: Student-t interval across episodes, or across the per-seed means "
             "when several files are given). MSJ = mean squared jerk of the executed "
             "end-effector path; dimensionless jerk = D⁵/L²∫‖j‖²dt (lower = smoother); LDLJ and "
             "SPARC: higher (less negative) = smoother; chunk disc. = mean action jump at action-"
             "chunk boundaries. Smoothness metrics are over all episodes (success or not), except "
             "'MSJ, successes' (successful episodes only: jerk at equal outcome).")
    lines = [f"# {title}", "", intro, "", markdown_table(stats, baseline), ""]
    if "smooth" in relative and "msj_ee" in relative["smooth"]:
        r = relative["smooth"]["msj_ee"]
        if math.isfinite(r):
            head = (f"**SmoothVLA vs {label(baseline)}: {abs(r):.1f}% "
                    f"{'lower' if r >= 0 else 'higher'} MSJ** (the paper reports 13.8% "
                    f"smoother than binary-reward RL).")
            lines += [head, ""]
    if has_fig:
        lines += ["![jerk distributions and example trajectories](report.png)", ""]
    else:
        note = ("(No per-episode data in the eval files, so no figure; produce them with "
                "`python -m smoothvla_jax.evaluate --checkpoint=<run>`.)")
        lines += [note, ""]
    lines += ["## Inputs", ""]
    for name, evs in evals.items():
        for e in evs:
            m = e["meta"]
            lines.append(f"- {label(name)}: `{e['path']}` (checkpoint `{m.get('checkpoint')}`, "
                         f"step {m.get('step')}, temperature {m.get('temperature')}, "
                         f"{e['overall'].get('n')} episodes)")
    md = "\n".join(lines) + "\n"
    with open(os.path.join(out_dir, "report.md"), "w", encoding="utf-8") as f:
        f.write(md)
    with open(os.path.join(out_dir, "report.json"), "w", encoding="utf-8") as f:
        json.dump(jsonable({"stats": stats, "relative": relative, "baseline": baseline,
                             "runs": {k: list(v) for k, v in runs.items()}}), f, indent=1)
    return {"stats": stats, "relative": relative, "markdown": md,
            "figure": fig_path if has_fig else None}


def parse_runs(specs: Sequence[str]) -> dict[str, list[str]]:
    """``["sft=a.json", "binary=b.json,c.json", "binary=d.json"]`` -> ordered ``{name: paths}``."""
    runs: dict[str, list[str]] = {}
    for spec in specs:
        if "=" not in spec:
            raise ValueError(f"--runs entries are NAME=FILE[,FILE...], got {spec!r}")
        name, files = spec.split("=", 1)
        paths = [p for p in files.split(",") if p]
        if not name or not paths:
            raise ValueError(f"--runs entry {spec!r} needs a name and at least one file")
        runs.setdefault(name, []).extend(paths)
    return runs


def main(argv: list[str]) -> None:
    if len(argv) > 1:
        raise ValueError(f"unexpected arguments {argv[1:]}; pass each method as "
                         f"--runs=NAME=EVAL.json[,EVAL.json...]")
    f = flags.FLAGS
    res = build_report(parse_runs(f.runs or []), f.out, f.baseline, f.title)
    print(res["markdown"])
    print(f"report: {os.path.join(os.path.abspath(f.out), 'report.md')}")


if __name__ == "__main__":
    from smoothvla_jax import cli

    flags.DEFINE_multi_string("runs", None, "NAME=EVAL.json[,EVAL.json...] (repeat per method)")
    flags.DEFINE_string("out", None, "report directory")
    flags.DEFINE_string("baseline", "binary", "method the others are compared with")
    flags.DEFINE_string("title", "SmoothVLA on LIBERO-MJX", "report title")
    flags.mark_flags_as_required(["runs", "out"])
    cli.run(main, config_flag=None)
