"""Control steps/s of the port next to the original LIBERO on this machine, same task, one run.

    python benchmarks/libero_vs_port.py --ref /path/to/libero_ref [--task libero_10/2] [--steps 200]

LIBERO (robosuite 1.4.0 + MuJoCo 2.3.7, one env, its own OSC, 128x128 agentview + wrist rendered
by MuJoCo's OpenGL renderer through ``MUJOCO_GL``) runs in the reference venv built by
``scripts/libero_reference/setup_reference.py``; the port runs here (``jit(vmap(scan(env.step)))``
at B = 1 and a batch, state-only and with its two 128x128 JAX-rendered cameras; compile time
excluded) under ``--port-dynamics`` (default ``libero``: ``EnvConfig.libero()``, OSC + full
contacts, the default ``EnvConfig()``; ``ik``: the first port's IK controller). Prints a
Markdown table with each rate as a ratio to LIBERO's of the same kind.
"""

from __future__ import annotations

import argparse
import json
import os
import pathlib
import subprocess

import envs_mjx  # noqa: F401  (XLA CPU flag before JAX starts)
import jax

from env_throughput import bench_mjx

REPO = pathlib.Path(__file__).resolve().parents[1]
# --port-dynamics -> benchmarks/env_throughput.py variant
PORT_VARIANTS = {"libero": "osc/full/10", "ik": "ik/fast/10"}


def bench_libero(ref: pathlib.Path, task: str, steps: int, gl: str) -> dict[bool, dict]:
    suite, idx = task.split("/")
    env = dict(
        os.environ, LIBERO_CONFIG_PATH=str(ref / "config"), PYTHONPATH=str(ref / "LIBERO"), MUJOCO_GL=gl
    )
    out = subprocess.run(
        [
            str(ref / "venv/bin/python"),
            str(REPO / "scripts/libero_reference/libero_runner.py"),
            "--bench",
            str(steps),
            "--suite",
            suite,
            "--task",
            idx,
            "--images",
        ],
        env=env,
        capture_output=True,
        text=True,
        check=True,
    ).stdout
    rows = [json.loads(line) for line in out.splitlines() if line.startswith("{")]
    return {r["images"]: r for r in rows}


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__)
    ap.add_argument(
        "--ref",
        type=pathlib.Path,
        default=pathlib.Path(os.environ.get("LIBERO_REF", str(pathlib.Path.home() / "libero_ref"))),
    )
    ap.add_argument("--task", default="libero_10/2")
    ap.add_argument("--steps", type=int, default=200, help="LIBERO control steps timed")
    ap.add_argument("--port-steps", type=int, default=10, help="port control steps per rollout")
    ap.add_argument("--batches", default="1,8", help="port batch sizes (vmap)")
    ap.add_argument("--gl", default="egl")
    ap.add_argument(
        "--port-dynamics",
        choices=tuple(PORT_VARIANTS),
        default="libero",
        help="libero: EnvConfig.libero() (OSC + full contacts, the default EnvConfig()); ik: "
             "the first port's IK controller",
    )
    args = ap.parse_args()
    variant = PORT_VARIANTS[args.port_dynamics]
    print(
        f"backend={jax.default_backend()} task={args.task} load average before={os.getloadavg()[0]:.1f}",
        flush=True,
    )
    lib = bench_libero(args.ref, args.task, args.steps, args.gl)
    for k, r in lib.items():
        print(
            f"LIBERO images={k}: {r['steps_per_s']:.1f} steps/s (build+reset {r['build_reset_s']:.1f}s)",
            flush=True,
        )
    rows = []
    for pixels in (False, True):
        for b in [int(x) for x in args.batches.split(",")]:
            rate, comp = bench_mjx(args.task, b, args.port_steps, pixels, size=128, variant=variant)
            rows.append((pixels, b, rate, comp))
            print(f"port pixels={pixels} B={b}: {rate:.1f} steps/s, compile {comp:.0f}s", flush=True)
    print("\n| simulator | cameras | B | control steps/s | ratio to LIBERO (same cameras) | compile s |")
    print("|---|---|---|---|---|---|")
    for pixels in (False, True):
        cam = "2 x 128x128" if pixels else "none"
        print(
            f"| original LIBERO (robosuite 1.4, MuJoCo 2.3.7) | {cam} | 1 "
            f"| {lib[pixels]['steps_per_s']:.1f} | 1x | - |"
        )
        for p, b, rate, comp in rows:
            if p == pixels:
                print(
                    f"| port (MJX, {jax.default_backend()}, {args.port_dynamics}) | {cam} | {b} "
                    f"| {rate:.1f} | "
                    f"{rate / lib[pixels]['steps_per_s']:.2f}x | {comp:.0f} |"
                )
    print(f"\nload average after: {os.getloadavg()[0]:.1f} (on a shared machine every rate is a lower bound)")


if __name__ == "__main__":
    main()
