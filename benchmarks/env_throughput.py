"""Environment throughput: MJX (with / without pixels) vs C MuJoCo on the same scene.

    python benchmarks/env_throughput.py [--task libero_10/0] [--batch 1,8,64] [--steps 20]

Reports control steps/s (20 Hz LIBERO steps) and physics steps/s (x10 substeps of 5 ms) for
``jit(vmap(scan(env.step)))`` at each batch size, with and without agentview+wrist pixels
(64x64), and C MuJoCo's ``mj_step`` on the identical MJCF (one thread, arm servo targets held).
Compile time is reported separately and excluded from the rates. Prints a Markdown table.
"""
from __future__ import annotations

import argparse
import time

import envs_mjx  # noqa: F401  (XLA CPU flag before JAX starts)
import jax
import jax.numpy as jnp
import mujoco
import numpy as np

from envs_mjx.env import EnvConfig, LiberoEnv
from envs_mjx.renderer import RenderConfig


def bench_mjx(task: str, batch: int, steps: int, pixels: bool, size: int = 64) -> tuple[float, float]:
    cfg = EnvConfig(render=RenderConfig(width=size, height=size) if pixels else None)
    env = LiberoEnv(task, cfg)
    rng = np.random.default_rng(0)
    actions = jnp.asarray(rng.uniform(-0.3, 0.3, (batch, steps, 7)), jnp.float32)

    def rollout(i, acts):
        st = env.reset(jax.random.PRNGKey(0), i)
        st, _ = jax.lax.scan(lambda s, a: (env.step(s, a), None), st, acts)
        return st.ee_pos.sum() + (st.obs["agentview"].sum() if pixels else 0.0)

    fn = jax.jit(jax.vmap(rollout))
    idx = jnp.arange(batch) % env.num_init_states
    t0 = time.perf_counter()
    jax.block_until_ready(fn(idx, actions))
    compile_s = time.perf_counter() - t0
    best = float("inf")
    for _ in range(2):
        t0 = time.perf_counter()
        jax.block_until_ready(fn(idx, actions))
        best = min(best, time.perf_counter() - t0)
    return batch * steps / best, compile_s


def bench_c_mujoco(task: str, physics_steps: int = 20000) -> float:
    env = LiberoEnv(task)
    m = env.mj_model
    d = mujoco.MjData(m)
    d.qpos[:] = env.init_qpos[0]
    d.ctrl[:7] = d.qpos[env.arm_qadr]
    d.ctrl[7:9] = 0.04
    mujoco.mj_forward(m, d)
    t0 = time.perf_counter()
    for _ in range(physics_steps):
        mujoco.mj_step(m, d)
    return physics_steps / (time.perf_counter() - t0)


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__)
    ap.add_argument("--task", default="libero_10/0")
    ap.add_argument("--batch", default="1,8,64")
    ap.add_argument("--steps", type=int, default=20, help="control steps per rollout")
    args = ap.parse_args()
    print(f"backend={jax.default_backend()} devices={jax.devices()} task={args.task}")
    c_rate = bench_c_mujoco(args.task)
    rows = []
    for pixels in (False, True):
        for b in [int(x) for x in args.batch.split(",")]:
            rate, comp = bench_mjx(args.task, b, args.steps, pixels)
            rows.append((pixels, b, rate, comp))
            print(f"pixels={pixels} B={b}: {rate:.1f} control steps/s "
                  f"({rate * 10:.0f} physics steps/s), compile {comp:.0f}s", flush=True)
    print("\n| pixels | B | control steps/s | physics steps/s | vs C MuJoCo (physics) | compile s |")
    print("|---|---|---|---|---|---|")
    for pixels, b, rate, comp in rows:
        print(f"| {'64x64 x2' if pixels else 'no'} | {b} | {rate:.1f} | {rate * 10:.0f} | "
              f"{rate * 10 / c_rate:.3f}x | {comp:.0f} |")
    print(f"| C MuJoCo mj_step (1 thread) | 1 | {c_rate / 10:.0f} | {c_rate:.0f} | 1x | - |")


if __name__ == "__main__":
    main()
