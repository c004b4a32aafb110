"""Environment throughput: MJX (with / without pixels) vs C MuJoCo on the same scene.

    python benchmarks/env_throughput.py [--task libero_10/0] [--batch 1,8,64] [--steps 20] \
        [--variants osc/full/10,osc/fast/10,ik/fast/10]

Reports control steps/s (20 Hz LIBERO steps) and physics steps/s for
``jit(vmap(scan(env.step)))`` at each batch size, with and without agentview+wrist pixels
(64x64), for each env variant ``controller/contacts/substeps`` (``ik/fast/10`` is the first
port's IK controller with finger-pad-only contacts; ``osc/full/10`` the default ``EnvConfig()``), each row's
ratio to the first variant; all pixel settings and variants of a batch size are timed
interleaved (round-robin, best round) in one run, so their ratios share the load; the load
average is printed before and after timing. Also C MuJoCo's ``mj_step`` on the default MJCF
(one thread, zero torques). Compile time is reported separately and excluded from the rates. Prints a
Markdown table.
"""
from __future__ import annotations

import argparse
import time

import envs_mjx  # noqa: F401  (XLA CPU flag before JAX starts)
import jax
import jax.numpy as jnp
import mujoco
import numpy as np

from envs_mjx.controller import ControllerConfig
from envs_mjx.env import EnvConfig, LiberoEnv
from envs_mjx.renderer import RenderConfig


def variant_config(variant: str | None, pixels: bool, size: int = 64) -> EnvConfig:
    """``"osc/full/10"`` -> the EnvConfig (controller kind / contacts / substeps); None = the
    default EnvConfig."""
    render = RenderConfig(width=size, height=size) if pixels else None
    if variant is None:
        return EnvConfig(render=render)
    kind, contacts, substeps = variant.split("/")
    return EnvConfig(render=render, controller=ControllerConfig(kind=kind), contacts=contacts,
                     substeps=int(substeps))


def compile_mjx(task: str, batch: int, steps: int, pixels: bool, variant: str | None = None,
                size: int = 64):
    """Compiles one variant's batched rollout; returns ``(run, compile_s)`` where ``run()``
    returns the wall time of one rollout of ``batch x steps`` control steps."""
    env = LiberoEnv(task, variant_config(variant, pixels, size))
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

    def run() -> float:
        t0 = time.perf_counter()
        jax.block_until_ready(fn(idx, actions))
        return time.perf_counter() - t0

    return run, compile_s


def bench_mjx(task: str, batch: int, steps: int, pixels: bool, size: int = 64,
              variant: str | None = None) -> tuple[float, float]:
    """``(control steps/s, compile s)`` of one variant (default EnvConfig), best of 2 runs."""
    run, comp = compile_mjx(task, batch, steps, pixels, variant, size)
    return batch * steps / min(run(), run()), comp


def bench_c_mujoco(task: str, physics_steps: int = 20000) -> float:
    env = LiberoEnv(task)
    m = env.mj_model
    d = mujoco.MjData(m)
    d.qpos[:] = env.init_qpos[0]
    d.ctrl[7:9] = 0.04
    mujoco.mj_forward(m, d)
    t0 = time.perf_counter()
    for _ in range(physics_steps):
        mujoco.mj_step(m, d)
    return physics_steps / (time.perf_counter() - t0)


def _load() -> str:
    """The machine's 1/5/15-minute load averages (shared machines: report them with rates)."""
    with open("/proc/loadavg") as f:
        return " ".join(f.read().split()[:3])


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__)
    ap.add_argument("--task", default="libero_10/0")
    ap.add_argument("--batch", default="1,8,64")
    ap.add_argument("--steps", type=int, default=20, help="control steps per rollout")
    ap.add_argument("--variants", default="osc/full/10",
                    help="comma-separated controller/contacts/substeps; ratios are to the first")
    ap.add_argument("--pixels", default="no,yes", help="no, yes or no,yes")
    ap.add_argument("--rounds", type=int, default=3,
                    help="timing rounds; each round runs every variant once (interleaved, so a "
                    "shared machine's load hits all variants alike); the best round counts")
    args = ap.parse_args()
    print(f"backend={jax.default_backend()} devices={jax.devices()} task={args.task}")
    c_rate = bench_c_mujoco(args.task)
    variants = args.variants.split(",")
    rows = []
    pix = [p == "yes" for p in args.pixels.split(",")]
    for b in [int(x) for x in args.batch.split(",")]:
        # every (pixels, variant) of this batch size is compiled first, then timed interleaved
        combos = [(p, v) for p in pix for v in variants]
        runs = {c: compile_mjx(args.task, b, args.steps, c[0], c[1]) for c in combos}
        print(f"load before timing B={b}: {_load()}", flush=True)
        best = {c: float("inf") for c in combos}
        for _ in range(args.rounds):
            for c in combos:
                best[c] = min(best[c], runs[c][0]())
        print(f"load after timing B={b}: {_load()}", flush=True)
        for pixels, v in combos:
            rate, comp = b * args.steps / best[(pixels, v)], runs[(pixels, v)][1]
            sub = int(v.split("/")[2])
            rows.append((pixels, b, v, rate, sub, comp))
            print(f"pixels={pixels} B={b} {v}: {rate:.1f} control steps/s "
                  f"({rate * sub:.0f} physics steps/s), compile {comp:.0f}s", flush=True)
    rows.sort(key=lambda r: (r[1], r[0]))
    print("\n| pixels | B | variant | control steps/s | vs first variant, same pixels | "
          "physics steps/s | compile s |")
    print("|---|---|---|---|---|---|---|")
    for pixels, b, v, rate, sub, comp in rows:
        first = next(r for r in rows if r[0] == pixels and r[1] == b)[3]
        print(f"| {'64x64 x2' if pixels else 'no'} | {b} | {v} | {rate:.1f} | "
              f"{rate / first:.2f}x | {rate * sub:.0f} | {comp:.0f} |")
    print(f"| C MuJoCo mj_step (1 thread, default MJCF) | 1 | - | {c_rate / 10:.0f} | - | "
          f"{c_rate:.0f} | - |")


if __name__ == "__main__":
    main()
