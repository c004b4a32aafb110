"""Renders each task's initial state 0 (agentview | wrist, LIBERO's cameras) with our JAX renderer
to docs/ as PNG, and writes docs/scenes.md: every task's image next to one line on what still
looks different from LIBERO.

    python scripts/render_scenes.py [--size 128] [--suite all|libero_10|...] [--out docs]

Writes ``<out>/<suite>_<i>.png`` (one task: agentview | wrist), ``<out>/<suite>_all.png`` (one
row per task; ``scripts/libero_parity.py --port-images=docs`` reads it) and, with
``--suite all``, ``<out>/scenes.md``.
"""
from __future__ import annotations

import argparse
import pathlib

import envs_mjx  # noqa: F401
import mujoco
import numpy as np
from PIL import Image

from envs_mjx import libero_data
from envs_mjx.init_states import load_init_states
from envs_mjx.registry import suite_tasks
from envs_mjx.renderer import RenderConfig, Renderer
from envs_mjx.scene import build_mjcf

SUITES = ("libero_10", "libero_spatial", "libero_object", "libero_goal")
COMMON = (
    "Everywhere: LIBERO's layouts, initial state 0, `agentview` and wrist cameras; objects and "
    "fixtures are boxes and cylinders of LIBERO's sizes and main colours (no meshes, textures or "
    "labels), the robot is drawn from primitives, and the background is a plain sky over a "
    "checkered floor (LIBERO: textured walls and floors); one directional light, no shadows.")
_STOVE = ("the stove is a 19 x 30 cm slab centred on LIBERO's burner (LIBERO: a 19 x 19 cm plate "
          "with its knob 15 cm toward the robot)")
# what still differs from LIBERO, per LIBERO scene (libero_10) or suite (the other three)
NOTES: dict[str, str] = {
    "LIVING_ROOM_SCENE1": "groceries are unlabelled boxes and cylinders; the wicker basket is a "
                          "brown open box",
    "LIVING_ROOM_SCENE2": "groceries are unlabelled boxes and cylinders; the wicker basket is a "
                          "brown open box",
    "KITCHEN_SCENE3": f"{_STOVE}; the moka pot is a box (LIBERO: octagonal, with a handle); the "
                      "frying pan is a flat square without its handle",
    "KITCHEN_SCENE4": "the white cabinet has two drawers (LIBERO: three); the wine rack is an "
                      "open frame; the bowl is square (LIBERO: round)",
    "LIVING_ROOM_SCENE5": "the mugs have no handles; the plates are square (LIBERO: round)",
    "STUDY_SCENE1": "the desk caddy is a brown open box with two compartments; the book is a "
                    "plain black box; the mug has no handle",
    "LIVING_ROOM_SCENE6": "the mugs have no handles; the plate is square (LIBERO: round); the "
                          "pudding is a plain brown box",
    "KITCHEN_SCENE8": f"{_STOVE}, its burner red as LIBERO's (the stove starts on); the moka "
                      "pots are boxes (LIBERO: octagonal, with handles)",
    "KITCHEN_SCENE6": "the microwave is a grey box with an opaque door (LIBERO: black, glass "
                      "door); the mugs have no handles",
    "libero_spatial": f"the black bowls are square (LIBERO: round); the plate is square; the "
                      f"wooden cabinet is light wood (LIBERO: dark); {_STOVE}",
    "libero_object": "the groceries are unlabelled boxes and cylinders; the wicker basket is a "
                     "brown open box; the floor is a brown checker (LIBERO: grey wood)",
    "libero_goal": f"the bowl and plate are square (LIBERO: round); the wine rack is an open "
                   f"frame; the wooden cabinet is light wood (LIBERO: dark); {_STOVE}",
}


def note(key: str) -> str:
    """The one-line note on what still differs for task ``key``."""
    suite = key.split("/")[0]
    if suite != "libero_10":
        return NOTES[suite]
    name = libero_data.task_data(key).name
    scene = next((s for s in NOTES if name.startswith(s + "_")), None)
    if scene is None:
        raise KeyError(f"{key}: no note for LIBERO scene of {name!r}; add one to NOTES")
    return NOTES[scene]


def render_suite(suite: str, size: int, out: pathlib.Path) -> list[tuple[str, str, str]]:
    """Renders ``suite``'s tasks; returns ``(key, instruction, png name)`` per task."""
    tiles, rows = [], []
    for t in suite_tasks(suite):
        m = mujoco.MjModel.from_xml_string(build_mjcf(t.scene))
        d = mujoco.MjData(m)
        d.qpos[:] = load_init_states(t, m)[0]
        mujoco.mj_forward(m, d)
        r = Renderer(m, RenderConfig(width=size, height=size), t.scene.lit_geoms())
        tile = np.concatenate(list(np.asarray(r.render_data(d))), axis=1)
        png = f"{suite}_{t.index}.png"
        Image.fromarray(tile).save(out / png)
        tiles.append(tile)
        rows.append((t.key, t.instruction, png))
        print(f"{t.key}: {t.instruction}", flush=True)
    Image.fromarray(np.concatenate(tiles, axis=0)).save(out / f"{suite}_all.png")
    return rows


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__)
    ap.add_argument("--size", type=int, default=128)
    ap.add_argument("--suite", default="all", help="'all' (also writes scenes.md) or one suite")
    ap.add_argument("--out", default="docs")
    args = ap.parse_args()
    out = pathlib.Path(args.out)
    out.mkdir(exist_ok=True)
    suites = SUITES if args.suite == "all" else (args.suite,)
    md = ["# The 40 scenes: the port's first frames and what still differs from LIBERO", "",
          "Generated by `python scripts/render_scenes.py` (initial state 0 of every task, "
          f"{args.size} x {args.size}, agentview | wrist). LIBERO's own renders of the same "
          "states, side by side with these: [fidelity.md](fidelity.md), \"Camera images at "
          "reset\".", "", COMMON, ""]
    for suite in suites:
        md += [f"## {suite}", "", "| task | agentview, wrist | still differs |", "|---|---|---|"]
        for key, instruction, png in render_suite(suite, args.size, out):
            md.append(f"| `{key}` {instruction} | ![{key}]({png}) | {note(key)} |")
        md.append("")
    if args.suite == "all":
        (out / "scenes.md").write_text("\n".join(md))


if __name__ == "__main__":
    main()
