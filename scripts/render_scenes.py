"""Renders each task's first frame (agentview | wrist) to docs/ as PNG with our JAX renderer.

    python scripts/render_scenes.py [--size 128] [--suite libero_10]
"""
from __future__ import annotations

import argparse
import pathlib

import envs_mjx  # noqa: F401
import jax.numpy as jnp
import mujoco
import numpy as np
from PIL import Image

from envs_mjx.init_states import load_init_states
from envs_mjx.registry import suite_tasks
from envs_mjx.renderer import RenderConfig, Renderer
from envs_mjx.scene import build_mjcf


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__)
    ap.add_argument("--size", type=int, default=128)
    ap.add_argument("--suite", default="libero_10")
    ap.add_argument("--out", default="docs")
    args = ap.parse_args()
    out = pathlib.Path(args.out)
    out.mkdir(exist_ok=True)
    tiles = []
    for t in suite_tasks(args.suite):
        m = mujoco.MjModel.from_xml_string(build_mjcf(t.scene))
        d = mujoco.MjData(m)
        d.qpos[:] = load_init_states(t, m)[0]
        mujoco.mj_forward(m, d)
        r = Renderer(m, RenderConfig(width=args.size, height=args.size))
        img = np.asarray(r.render(jnp.asarray(d.geom_xpos), jnp.asarray(d.geom_xmat),
                                  jnp.asarray(d.cam_xpos), jnp.asarray(d.cam_xmat)))
        tile = np.concatenate(list(img), axis=1)
        Image.fromarray(tile).save(out / f"{args.suite}_{t.index}.png")
        tiles.append(tile)
        print(f"{t.key}: {t.instruction}")
    Image.fromarray(np.concatenate(tiles, axis=0)).save(out / f"{args.suite}_all.png")


if __name__ == "__main__":
    main()
