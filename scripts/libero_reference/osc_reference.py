#!/usr/bin/env python3
"""Record real LIBERO's OSC step response for a fixed set of action cases (runs in the reference venv).

  LIBERO_CONFIG_PATH=<ref>/config PYTHONPATH=<ref>/LIBERO:scripts/libero_reference MUJOCO_GL=egl \\
    <ref>/venv/bin/python scripts/libero_reference/osc_reference.py --out tests/data/libero_osc_reference.json

Every case starts from the same state: LIBERO's initial state, then 10 no-op steps.  The JSON layout:
  {"source": str, "control_hz": 20, "physics_dt": 0.002,
   "cases": {name: {"actions": [T][7], "ee_pos": [T+1][3], "ee_rot": [T+1][9] (row-major 3x3)}}}
Row 0 of ee_pos/ee_rot is the pose before the first action.  Case names without a prefix are from libero_10
task 2 initial state 0; "spatial0/..." and "object0/..." from task 0 of libero_spatial / libero_object.
"""

from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path

import numpy as np

sys.path.insert(0, str(Path(__file__).parent))
import libero_runner as lr  # noqa: E402

GRIP = -1.0


def _const(vec6, steps=20):
    return [list(map(float, vec6)) + [GRIP] for _ in range(steps)]


def _axis(i, v, steps=20):
    vec = [0.0] * 6
    vec[i] = v
    return _const(vec, steps)


def cases() -> dict[str, list[list[float]]]:
    """The action cases (gripper -1 throughout): translations, small actions, rotations, stop, diagonal."""
    c = {
        "dx+1": _axis(0, 1.0),
        "dx-1": _axis(0, -1.0),
        "dy+1": _axis(1, 1.0),
        "dy-1": _axis(1, -1.0),
        "dz+1": _axis(2, 1.0),
        "dz-1": _axis(2, -1.0),
        "dx+0.5": _axis(0, 0.5),
        "dx+0.2": _axis(0, 0.2),
        "dx+0.1": _axis(0, 0.1),
        "droll+1": _axis(3, 1.0),
        "dpitch+1": _axis(4, 1.0),
        "dyaw+1": _axis(5, 1.0),
        "droll+0.3": _axis(3, 0.3),
        "stop": _axis(0, 1.0, 5) + _const([0.0] * 6, 15),
        "diag": _const([0.6, -0.6, 0.6, 0.0, 0.0, 0.0]),
    }
    return c


SCENES = {  # prefix -> (suite, task, init, case names)
    "": ("libero_10", 2, 0, None),
    "spatial0/": ("libero_spatial", 0, 0, ["dx+1", "dz+1", "stop"]),
    "object0/": ("libero_object", 0, 0, ["dx+1", "dz+1", "stop"]),
}


def main(argv=None) -> int:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--out", type=Path, required=True)
    ap.add_argument("--settle", type=int, default=10)
    args = ap.parse_args(argv)
    import subprocess
    import mujoco
    import robosuite

    commit = subprocess.run(
        ["git", "-C", str(lr.libero_root()), "rev-parse", "HEAD"], capture_output=True, text=True
    ).stdout.strip()
    if not commit:
        ref = lr.libero_root().parents[2] / "reference.json"
        commit = json.loads(ref.read_text())["libero_commit"] if ref.exists() else "unknown"
    all_cases = cases()
    result = {"source": "", "control_hz": 20, "physics_dt": 0.002, "cases": {}}
    sources = []
    for prefix, (suite, task, init, names) in SCENES.items():
        env, name = lr.make_env(suite, task)
        state = lr.init_states(suite, name)[init]
        sources.append(f"{prefix or '(no prefix)'} = {suite} task {task} ({name}) init state {init}")
        for cname in names or list(all_cases):
            acts = np.asarray(all_cases[cname])
            out = lr.run_actions(env, state, acts, settle=args.settle)
            result["cases"][prefix + cname] = {
                "actions": acts.tolist(),
                "ee_pos": np.round(out["ee_pos"], 7).tolist(),
                "ee_rot": np.round(out["ee_rot"].reshape(-1, 9), 7).tolist(),
            }
            d = np.linalg.norm(np.diff(out["ee_pos"], axis=0), axis=1) * 100
            print(f"{prefix}{cname}: per-step |dEE| cm {np.round(d[:10], 2).tolist()}", flush=True)
        env.close()
    result["source"] = (
        f"original LIBERO commit {commit}, robosuite {robosuite.__version__}, mujoco "
        f"{mujoco.__version__}, OSC_POSE controller (LIBERO defaults), Panda; each case starts "
        f"from the initial state then {args.settle} no-op steps ([0]*6+[-1]); EE = robosuite "
        f"grip site (obs robot0_eef_pos) position and site rotation matrix; " + "; ".join(sources)
    )
    args.out.parent.mkdir(parents=True, exist_ok=True)
    args.out.write_text(json.dumps(result, separators=(",", ":")))
    print(f"wrote {args.out} ({args.out.stat().st_size / 1e3:.0f} kB, {len(result['cases'])} cases)")
    return 0


if __name__ == "__main__":
    sys.exit(main())
