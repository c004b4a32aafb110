"""LIBERO-Spatial: "pick up the black bowl <where> and place it on the plate", 10 layouts.

One tabletop scene (LIBERO's ``LIBERO_Tabletop_Manipulation``): a wooden cabinet, a flat stove,
two identical black bowls, a cookie box, a ramekin and a plate. The ten tasks are ten LAYOUTS
of it: the bowl to pick (``black_bowl_1``) starts at a different place in each (between the
plate and the ramekin, on the cookie box, in the open top drawer, ...), the other bowl
(``black_bowl_2``) elsewhere; the goal is always ``On(black_bowl_1, plate)``. Places follow the
LIBERO BDDL regions (same relations and sides), spread a little so that our box-shaped objects
do not overlap (see docs/suites.md). Left/right follow ``agentview`` (image-right is +y).

Contacts: only ``black_bowl_1`` x plate and each bowl x what it stands on collide (besides the
fingers and the table), via :attr:`envs_mjx.scene.SceneSpec.contacts`.
"""

from __future__ import annotations

import dataclasses

from envs_mjx import assets as A
from envs_mjx.families import TABLETOP, make_scene
from envs_mjx.scene import ObjectSpec, SceneSpec
from envs_mjx.tasks import CARRY_Z, Pred, Stage, Task, pick_bowl, place_bowl

SUITE = "libero_spatial"
MAX_STEPS = 220

# table-top places (world xy, m); the arm base is at (-0.66, 0)
CABINET_XY = (-0.04, -0.31)
STOVE_XY = (-0.28, -0.03)
_TABLE_PLACES = {
    "between": (-0.105, 0.19),          # between the plate and the ramekin
    "next_to_ramekin": (-0.225, 0.325),
    "table_center": (-0.10, 0.0),
    "next_to_box": (0.07, -0.125),      # next to the cookie box
    "next_to_plate": (0.0, 0.35),
}
PLATE_TOP = 0.019
_PLATE_XY, _COOKIE_XY, _RAMEKIN_XY = (0.05, 0.19), (0.03, 0.02), (-0.235, 0.19)
DRAWER_OPEN = -0.15  # top drawer slide when the bowl starts inside it
_BOWL_IN_DRAWER_X = -0.01  # bowl centre in the drawer frame (front part, outside the shell)

# (where black_bowl_1 is, where black_bowl_2 is) per task, LIBERO order
WHERE = ("between the plate and the ramekin", "next to the ramekin", "from table center",
         "on the cookie box", "in the top drawer of the wooden cabinet", "on the ramekin",
         "next to the cookie box", "on the stove", "next to the plate", "on the wooden cabinet")
LAYOUTS: tuple[tuple[str, str], ...] = (
    ("between", "next_to_ramekin"),
    ("next_to_ramekin", "next_to_box"),
    ("table_center", "next_to_plate"),
    ("cookie_box", "cabinet_top"),
    ("top_drawer", "cabinet_top"),
    ("ramekin", "cookie_box"),
    ("next_to_box", "stove"),
    ("stove", "cabinet_top"),
    ("next_to_plate", "next_to_ramekin"),
    ("cabinet_top", "stove"),
)
_SUPPORT = {"cookie_box": "cookie_box", "ramekin": "ramekin", "stove": "stove/body",
            "cabinet_top": "wooden_cabinet/top", "top_drawer": "wooden_cabinet/top_drawer"}


def _drawer_bowl_xy() -> tuple[float, float]:
    return (CABINET_XY[0] + DRAWER_OPEN + _BOWL_IN_DRAWER_X, CABINET_XY[1])


def _bowl(name: str, where: str) -> ObjectSpec:
    """A black bowl placed at ``where`` (a table place, an object or a fixture top)."""
    bowl = A.akita_black_bowl((0.0, 0.0), name)
    if where in _TABLE_PLACES:
        return dataclasses.replace(bowl, init_xy=_TABLE_PLACES[where])
    if where in ("cookie_box", "ramekin"):
        return dataclasses.replace(bowl, init_on=where, init_jitter=(0.008, 0.008))
    if where == "stove":
        return dataclasses.replace(bowl, init_xy=STOVE_XY, init_z=0.07)
    if where == "cabinet_top":
        return dataclasses.replace(bowl, init_xy=CABINET_XY, init_z=2 * A.WOODEN_CABINET_HALF[2])
    if where == "top_drawer":
        return dataclasses.replace(bowl, init_xy=_drawer_bowl_xy(), init_jitter=(0.008, 0.008),
                                   init_z=A.wooden_cabinet_drawer_z("top_drawer") + 0.008)
    raise ValueError(f"unknown bowl place {where!r}")


def layout_scene(index: int) -> SceneSpec:
    """The scene of task ``index`` (same objects in every layout, so the same ``nq``)."""
    w1, w2 = LAYOUTS[index]
    drawer = {"top_drawer": DRAWER_OPEN} if "top_drawer" in (w1, w2) else {}
    objects = (
        A.round_plate("plate", _PLATE_XY),
        dataclasses.replace(A.cookie_box(_COOKIE_XY), init_jitter=(0.01, 0.01), footprint=0.07),
        dataclasses.replace(A.ramekin(_RAMEKIN_XY), init_jitter=(0.01, 0.01), footprint=0.045),
        _bowl("black_bowl_1", w1),
        _bowl("black_bowl_2", w2),
    )
    contacts = [("black_bowl_1", "plate")]
    for bowl, where in (("black_bowl_1", w1), ("black_bowl_2", w2)):
        if where in _SUPPORT:
            contacts.append((bowl, _SUPPORT[where]))
    return make_scene(f"TABLETOP_SPATIAL_LAYOUT{index}", TABLETOP, (
        A.wooden_cabinet(CABINET_XY, drawer_open=drawer),
        A.flat_stove(STOVE_XY),
    ), objects, contacts=tuple(contacts))


def _plan(where: str) -> tuple[Stage, ...]:
    lateral = where == "top_drawer"  # fingers across the drawer, clear of its front panel
    approach = lift = 0.42 if where == "cabinet_top" else CARRY_Z
    if lateral:
        approach = 0.32
    return (pick_bowl("black_bowl_1", lateral, approach, lift)
            + place_bowl("plate", PLATE_TOP, lateral))


def _tasks() -> list[Task]:
    out = []
    for i, where in enumerate(WHERE):
        instruction = f"pick up the black bowl {where} and place it on the plate"
        out.append(Task(SUITE, i, instruction.replace(" ", "_"), instruction, layout_scene(i),
                        (Pred("on", "black_bowl_1", "plate"),), _plan(LAYOUTS[i][0]),
                        MAX_STEPS))
    return out


TASKS: tuple[Task, ...] = tuple(_tasks())
