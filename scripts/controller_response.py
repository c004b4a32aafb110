"""Port vs real LIBERO: the OSC step response (per-step end-effector motion) of every recorded
case in tests/data/libero_osc_reference.json, plotted and tabulated.

    python scripts/controller_response.py [--out docs/controller_response.png] [--substeps 10]
        [--simulator c|mjx] [--controller osc|ik]

Each case starts from the task's initial state 0 after 10 no-op steps, as the recording did.
Prints a Markdown table of the worst relative error per case (steps 2..T, error over LIBERO's
value plus a floor of 0.05 cm / 0.3 deg for the near-zero tails).
"""
from __future__ import annotations

import argparse
import json
import pathlib

import envs_mjx  # noqa: F401  (XLA CPU flag before JAX starts)
import matplotlib

matplotlib.use("Agg")
import matplotlib.pyplot as plt  # noqa: E402
import numpy as np  # noqa: E402

from envs_mjx.controller import ControllerConfig  # noqa: E402
from envs_mjx.env import EnvConfig, LiberoEnv  # noqa: E402
from envs_mjx.parity import per_step_motion, response_rollout  # noqa: E402

REFERENCE = pathlib.Path(__file__).parents[1] / "tests" / "data" / "libero_osc_reference.json"
SCENES = {"spatial0": "libero_spatial/0", "object0": "libero_object/0"}
PLOTTED = ["dx+1", "dz+1", "dx+0.2", "stop", "droll+1", "dyaw+1"]


def motion(name: str, pos, rot) -> tuple[np.ndarray, str]:
    dist, ang = per_step_motion(np.asarray(pos), np.asarray(rot))
    if any(k in name for k in ("roll", "pitch", "yaw")):
        return np.degrees(ang), "deg"
    return 100 * dist, "cm"


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__)
    ap.add_argument("--out", default="docs/controller_response.png")
    ap.add_argument("--substeps", type=int, default=10)
    ap.add_argument("--simulator", default="c", choices=["c", "mjx"])
    ap.add_argument("--controller", default="osc", choices=["osc", "ik"])
    args = ap.parse_args()
    cases = json.loads(REFERENCE.read_text())["cases"]
    cfg = EnvConfig(substeps=args.substeps, controller=ControllerConfig(kind=args.controller))
    envs: dict[str, LiberoEnv] = {}
    results = {}
    print("| case | unit | port (steps 1-6) | LIBERO (steps 1-6) | worst rel. error |")
    print("|---|---|---|---|---|")
    for name, c in cases.items():
        task = SCENES.get(name.split("/")[0], "libero_10/2") if "/" in name else "libero_10/2"
        if task not in envs:
            envs[task] = LiberoEnv(task, cfg)
        pos, rot = response_rollout(envs[task], np.asarray(c["actions"]), 0, args.simulator)
        port, unit = motion(name, pos, rot)
        ref, _ = motion(name, c["ee_pos"], c["ee_rot"])
        floor = 0.3 if unit == "deg" else 0.05
        rel = (np.abs(port - ref) / (np.abs(ref) + floor))[1:].max()
        results[name] = (port, ref, unit)
        print(f"| {name} | {unit} | {' '.join(f'{x:.2f}' for x in port[:6])} | "
              f"{' '.join(f'{x:.2f}' for x in ref[:6])} | {100 * rel:.0f}% |")
    fig, axes = plt.subplots(2, 3, figsize=(12, 6.5))
    for ax, name in zip(axes.ravel(), PLOTTED):
        port, ref, unit = results[name]
        t = np.arange(1, len(ref) + 1)
        ax.plot(t, ref, "k-o", ms=3, label="LIBERO (robosuite 1.4 OSC_POSE)")
        ax.plot(t, port, "C1-s", ms=3, label=f"port ({args.controller}, {args.simulator})")
        ax.set_title(f"{name}: action {cases[name]['actions'][0][:6]}", fontsize=9)
        ax.set_xlabel("control step (20 Hz)")
        ax.set_ylabel(f"motion per step [{unit}]")
        ax.grid(alpha=0.3)
    axes[0, 0].legend(fontsize=8)
    fig.suptitle("End-effector motion per control step from rest (libero_10/2, init state 0)")
    fig.tight_layout()
    fig.savefig(args.out, dpi=110)
    print(f"wrote {args.out}")


if __name__ == "__main__":
    main()
