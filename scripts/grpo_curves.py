"""Training-time summary of GRPO runs from their ``metrics.jsonl`` (Markdown table).

    python scripts/grpo_curves.py runs/cpu_experiment/grpo_*_s* [--window 5]

Per run: iterations, fraction of iterations with an update (some group kept), mean kept-group
fraction, and the sampled episodes' success rate, ln dimensionless jerk and EE mean squared jerk
averaged over the first and the last ``window`` iterations. These are the rollouts GRPO trained
on (sampled at ``grpo.temperature``), not the greedy evaluation.
"""

from __future__ import annotations

import argparse
import json
import os

import numpy as np


def load_rows(run: str) -> list[dict]:
    rows: dict[int, dict] = {}
    with open(os.path.join(run, "metrics.jsonl")) as f:
        for line in f:
            r = json.loads(line)
            if "grpo/success_rate" in r:
                rows[r["step"]] = r  # last row per step (resumed runs re-log)
    return [rows[k] for k in sorted(rows)]


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__)
    ap.add_argument("runs", nargs="+")
    ap.add_argument("--window", type=int, default=5)
    a = ap.parse_args()
    w = a.window
    print("| run | iters | updated | kept | success first→last | ln DJ first→last "
          "| MSJ first→last |")
    print("|---|---|---|---|---|---|---|")
    for run in a.runs:
        rows = load_rows(run)
        if not rows:
            print(f"| {run} | no GRPO rows | | | | | |")
            continue
        col = lambda k: np.array([r[f"grpo/{k}"] for r in rows])
        fl = lambda k, f: f"{f(col(k)[:w].mean())} → {f(col(k)[-w:].mean())}"
        print(f"| {os.path.basename(run.rstrip('/'))} | {len(rows)} | {col('updated').mean():.2f} "
              f"| {col('groups_kept').mean():.2f} | {fl('success_rate', lambda x: f'{x:.3f}')} "
              f"| {fl('dimensionless_jerk_ee', lambda x: f'{x:.3g}')} | {fl('msj_ee', lambda x: f'{x:.3g}')} |")


if __name__ == "__main__":
    main()
