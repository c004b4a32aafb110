"""Scripted-expert success table: runs every task's expert from N fixed initial states.

    python scripts/expert_success.py --suite libero_spatial --num-init 50 [--out f.json] [--markdown]
    python scripts/expert_success.py --num-init 50 [--tasks libero_10/0,libero_10/3]
    python scripts/expert_success.py --dynamics libero ...   # OSC controller + full contacts
    python scripts/expert_success.py --simulator c ...       # C MuJoCo, one episode at a time
    python scripts/expert_success.py ... --out-dir runs/sweep  # resumable: one JSON per task

Suites: libero_10 (default), libero_spatial, libero_object, libero_goal. Each task is one jitted
``lax.while_loop`` over ``vmap``-ed env steps (state-only, no pixels) that stops when every
episode has ended; ``seconds`` includes that compilation. ``--simulator c`` runs each episode
in C MuJoCo instead (:func:`envs_mjx.parity.c_mujoco_expert_rollout`: the same MJCF, controller
and expert, no MJX compilation; cheap for a few states of a scene whose MJX compile is slow).
``--markdown`` prints the table as in docs/suites.md.
"""
from __future__ import annotations

import argparse
import json
import os
import time

import envs_mjx  # noqa: F401  (XLA CPU flag before JAX starts)
import jax
import numpy as np

from envs_mjx.dynamics import DEFAULT, DYNAMICS
from envs_mjx.env import EnvConfig, LiberoEnv
from envs_mjx.expert import run_expert_batch
from envs_mjx.parity import c_mujoco_expert_rollout
from envs_mjx.registry import suite_tasks


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__)
    ap.add_argument("--suite", default="libero_10")
    ap.add_argument("--tasks", default="", help="comma-separated task keys (default: all)")
    ap.add_argument("--num-init", type=int, default=50)
    ap.add_argument("--steps", type=int, default=0, help="0 = task limit")
    ap.add_argument("--out", default="")
    ap.add_argument("--markdown", action="store_true", help="also print a markdown table")
    ap.add_argument("--dynamics", default=DEFAULT, choices=sorted(DYNAMICS),
                    help="env dynamics (envs_mjx.dynamics): libero (LIBERO's OSC controller + "
                         "full contacts, the default EnvConfig()), libero_fast (OSC + finger-pad "
                         "contacts) or ik (the first port's IK controller)")
    ap.add_argument("--libero-dynamics", action="store_true", help="= --dynamics libero")
    ap.add_argument("--simulator", default="mjx", choices=("mjx", "c"),
                    help="mjx (batched, jitted) or c (C MuJoCo, episode by episode)")
    ap.add_argument("--first-init", type=int, default=0, help="first initial state index")
    ap.add_argument("--out-dir", default="",
                    help="resumable sweep: one JSON per task written here as it finishes; "
                         "tasks whose file exists are read back instead of re-run")
    args = ap.parse_args()
    dynamics = "libero" if args.libero_dynamics else args.dynamics
    tasks = suite_tasks(args.suite)
    if args.tasks:
        wanted = args.tasks.split(",")
        tasks = [t for t in tasks if t.key in wanted]
    rows = []
    if args.out_dir:
        os.makedirs(args.out_dir, exist_ok=True)
    for t in tasks:
        inits = np.arange(args.first_init, args.first_init + args.num_init)
        task_file = os.path.join(args.out_dir, f"{t.key.replace('/', '_')}_{dynamics}_"
                                 f"{args.simulator}_{inits[0]}-{inits[-1]}.json")
        if args.out_dir and os.path.exists(task_file):
            with open(task_file) as f:
                rows.append(json.load(f))
            print(f"{t.key:14s} (done: {task_file})", flush=True)
            continue
        env = LiberoEnv(t, EnvConfig.for_dynamics(dynamics))
        steps = args.steps or env.max_steps
        t0 = time.time()
        if args.simulator == "c":
            runs = [c_mujoco_expert_rollout(env, int(i), steps) for i in inits]
            ok = np.array([r[0] for r in runs])
            lengths = np.array([r[1] for r in runs])
        else:
            run = jax.jit(lambda idx: run_expert_batch(env, idx, steps))
            state = run(inits)
            ok = np.asarray(state.success)
            lengths = np.asarray(state.step)
        row = dict(task=t.key, instruction=t.instruction, dynamics=dynamics,
                   simulator=args.simulator, init_states=[int(inits[0]), int(inits[-1])],
                   success_rate=float(ok.mean()),
                   n=int(ok.size), mean_steps=float(lengths[ok].mean()) if ok.any() else None,
                   failed_init_states=inits[~ok].tolist(), seconds=time.time() - t0)
        rows.append(row)
        if args.out_dir:
            with open(task_file + ".tmp", "w") as f:
                json.dump(row, f, indent=1)
            os.replace(task_file + ".tmp", task_file)
        print(f"{t.key:14s} {row['success_rate']*100:5.1f}%  n={row['n']}  steps~{row['mean_steps']}"
              f"  failed={row['failed_init_states'][:10]}  ({row['seconds']:.0f}s)", flush=True)
    if args.out:
        with open(args.out, "w") as f:
            json.dump(rows, f, indent=1)
    if args.markdown:
        print(markdown_table(rows))


def markdown_table(rows: list[dict]) -> str:
    """Per-task rows (as written to ``--out``) as a markdown table plus a suite summary line."""
    out = ["| task | instruction | success | n | mean steps | failed init states | time |",
           "|---|---|---|---|---|---|---|"]
    for r in rows:
        failed = ", ".join(map(str, r["failed_init_states"])) or "none"
        steps = f"{r['mean_steps']:.0f}" if r["mean_steps"] is not None else "-"
        out.append(f"| `{r['task']}` | {r['instruction']} | {100 * r['success_rate']:.0f}% | "
                   f"{r['n']} | {steps} | {failed} | {r['seconds']:.0f} s |")
    n = sum(r["n"] for r in rows)
    rate = sum(r["success_rate"] * r["n"] for r in rows) / max(n, 1)
    out.append(f"\n{100 * rate:.1f}% of {n} episodes; "
               f"{sum(r['seconds'] for r in rows) / 60:.0f} min wall-clock incl. compilation.")
    return "\n".join(out)


if __name__ == "__main__":
    main()
