"""Training-time summary of GRPO runs from their ``metrics.jsonl`` (Markdown table).

    python scripts/grpo_curves.py runs/cpu_experiment/grpo_*_s* [--window 5] [--plot curves.png]

Per run: iterations, fraction of iterations with an update, mean informative groups kept per
iteration (of ``groups_drawn``), and the sampled episodes' success rate, dimensionless jerk and
EE mean squared jerk averaged over the first and the last ``window`` iterations. These are the
rollouts GRPO trained on (sampled at ``grpo.temperature``), not the greedy evaluation.
``--plot`` draws the learning curves (success, action-token entropy, KL to the SFT policy, clip
fraction) per iteration.
"""

from __future__ import annotations

import argparse
import os

import numpy as np

from smoothvla_jax.logger import read_metrics


def load_rows(run: str) -> list[dict]:
    return read_metrics(run, "grpo/success_rate")


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__)
    ap.add_argument("runs", nargs="+")
    ap.add_argument("--window", type=int, default=5)
    ap.add_argument("--plot", default="", help="write learning curves to this PNG")
    a = ap.parse_args()
    w = a.window
    print("| run | iters | updated | kept / drawn | success first→last | DJ first→last "
          "| MSJ first→last |")
    print("|---|---|---|---|---|---|---|")
    for run in a.runs:
        rows = load_rows(run)
        if not rows:
            print(f"| {run} | no GRPO rows | | | | | |")
            continue
        col = lambda k: np.array([r[f"grpo/{k}"] for r in rows])
        drawn = lambda rows: np.mean([r.get("grpo/groups_drawn", 1.0) for r in rows])
        fl = lambda k, f: f"{f(col(k)[:w].mean())} → {f(col(k)[-w:].mean())}"
        print(f"| {os.path.basename(run.rstrip('/'))} | {len(rows)} | {col('updated').mean():.2f} "
              f"| {col('groups_kept').mean():.2f} / {drawn(rows):.2f} "
              f"| {fl('success_rate', lambda x: f'{x:.3f}')} "
              f"| {fl('dimensionless_jerk_ee', lambda x: f'{x:.3g}')} "
              f"| {fl('msj_ee', lambda x: f'{x:.3g}')} |")
    if a.plot:
        plot(a.runs, a.plot)


CURVES = (("success_rate", "success (sampled, training layouts)"),
          ("entropy", "action-token entropy (nats)"), ("kl_ref", "KL to SFT (k3)"),
          ("clip_frac", "clip fraction"))


def plot(runs: list[str], out: str) -> None:
    """One panel per curve in ``CURVES``, one line per run; iterations without an update have no
    update metrics (gaps)."""
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    fig, axes = plt.subplots(1, len(CURVES), figsize=(4 * len(CURVES), 3.2))
    for run in runs:
        rows = load_rows(run)
        x = [r["step"] for r in rows]
        for ax, (k, title) in zip(axes, CURVES):
            y = [r.get(f"grpo/{k}", np.nan) for r in rows]
            ax.plot(x, y, marker="o", ms=3, label=os.path.basename(run.rstrip("/")))
            ax.set_title(title, fontsize=10)
            ax.set_xlabel("iteration")
    axes[0].legend(fontsize=8)
    fig.tight_layout()
    fig.savefig(out, dpi=110)
    print(f"wrote {out}")


if __name__ == "__main__":
    main()
