"""Paired success gain of GRPO policies over their SFT start (RESULTS.md section 4).

    python scripts/success_gain.py --label "T = 0.3" \\
        --base runs/eval/sft_T0.3_s{0,1,2,3} \\
        --policy runs/eval/s0_T0.3_s{0,1,2,3} --policy runs/eval/s1_T0.3_s{0,1,2,3} \\
        --policy runs/eval/s2_T0.3_s{0,1,2,3}

``--base``: the start's evaluations (one per sampling seed); ``--policy`` once per training seed,
with that policy's evaluations (one per sampling seed). Each argument is an ``eval.json`` or the
directory holding it (``python -m smoothvla_jax.evaluate --out=DIR``); all must cover the same
task and the same states. Prints one Markdown table row: the start's success, each seed's (and its
gain), the mean gain, its 95% interval by bootstrap over states and by t over seeds, and the exact
McNemar p-value per seed (first sampling seed each). ``--json`` also writes the numbers and the
per-state outcomes they came from (``init_index`` [N], ``base_success`` [S, N],
``policy_success`` [K, S, N] for S sampling seeds and K training seeds), so the statistics can be
recomputed, or a re-run compared state by state, from the JSON alone.
The statistics are :func:`smoothvla_jax.metrics.stats.success_gain`.
"""

from __future__ import annotations

import argparse
import json
import os
import sys

import numpy as np

from smoothvla_jax.metrics import stats


def load_success(path: str, task: str | None) -> tuple[str, np.ndarray, np.ndarray]:
    """``(task, init_index [N], success [N])`` of one eval.json, ordered by initial state."""
    f = os.path.join(path, "eval.json") if os.path.isdir(path) else path
    if not os.path.isfile(f):
        sys.exit(f"error: {f} not found; pass an eval.json or the --out directory of "
                 f"python -m smoothvla_jax.evaluate")
    with open(f, encoding="utf-8") as fh:
        eps = json.load(fh).get("episodes") or {}
    if task is None:
        if len(eps) != 1:
            sys.exit(f"error: {f} has tasks {sorted(eps)}; choose one with --task")
        task = next(iter(eps))
    if task not in eps:
        sys.exit(f"error: {f} has no episodes of {task} (it has {sorted(eps)})")
    idx = np.asarray(eps[task]["init_index"], np.int64)
    order = np.argsort(idx, kind="stable")
    return task, idx[order], np.asarray(eps[task]["success"], np.float64)[order]


def load_group(paths: list[str], task: str | None, states: np.ndarray | None
               ) -> tuple[str, np.ndarray, np.ndarray]:
    """Outcomes ``[len(paths), N]`` of evaluations over the same states."""
    rows = []
    for p in paths:
        task, idx, s = load_success(p, task)
        if states is None:
            states = idx
        elif not np.array_equal(idx, states):
            sys.exit(f"error: {p} covers other states than the first file; evaluate every "
                     f"policy with the same --num_init and --layouts")
        rows.append(s)
    return task, states, np.stack(rows)


def main(argv: list[str] | None = None) -> dict:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--base", nargs="+", required=True, help="the start's evaluations")
    ap.add_argument("--policy", nargs="+", action="append", required=True,
                    help="one trained policy's evaluations (repeat per training seed)")
    ap.add_argument("--label", default="success", help="first cell of the row")
    ap.add_argument("--task", default=None, help="task key when an eval.json has several")
    ap.add_argument("--n_boot", type=int, default=10_000)
    ap.add_argument("--json", default="", help="also write the numbers here")
    a = ap.parse_args(argv)
    task, states, base = load_group(a.base, a.task, None)
    pol = [load_group(p, task, states)[2] for p in a.policy]
    if len({p.shape[0] for p in pol}) != 1:
        sys.exit("error: give every --policy the same number of sampling seeds")
    r = stats.success_gain(base, np.stack(pol), n_boot=a.n_boot)
    pts = lambda x: f"{100 * x:+.1f}"  # noqa: E731
    seeds = " | ".join(f"{100 * v:.0f}% ({pts(g)})" for v, g in zip(r["policy"], r["gain"]))
    t = ("n/a" if r["t_low"] is None else f"[{pts(r['t_low'])}, {pts(r['t_high'])}]")
    mc = ", ".join(f"{m['up']:.0f}/{m['down']:.0f} p={m['p']:.3f}" for m in r["mcnemar"])
    print(f"| {a.label} | {100 * r['base']:.0f}% | {seeds} | **{pts(r['mean'])} points** | "
          f"[{pts(r['boot_low'])}, {pts(r['boot_high'])}] | {t} | {mc} |")
    if a.json:
        with open(a.json, "w", encoding="utf-8") as fh:
            json.dump(r | {"task": task, "base_files": a.base, "policy_files": a.policy,
                           "init_index": states.tolist(),
                           "base_success": base.astype(int).tolist(),
                           "policy_success": [p.astype(int).tolist() for p in pol]}, fh)
    return r


if __name__ == "__main__":
    main()
