"""LIBERO-Goal: ten different goals in ONE tabletop scene.

Scene (LIBERO's ``LIBERO_Tabletop_Manipulation`` of libero_goal): a wooden cabinet (three
drawers, a top you can put things on), a flat stove, a wine rack, a black bowl, a cream
cheese box, a wine bottle and a plate, laid out as in LIBERO's BDDL (same sides and relations;
spread so the arm reaches the stove knob and the cabinet top, see docs/suites.md). Every task
starts from the same layout; only the goal (verbatim LIBERO predicates) and the expert differ.

Contacts: besides the fingers and the table, only the pair the goal needs collides (e.g. the
bowl x the stove's body for "put the bowl on the stove"), via ``SceneSpec.contacts``.
"""

from __future__ import annotations

import dataclasses
import math

from envs_mjx import assets as A
from envs_mjx.families import TABLETOP, make_scene
from envs_mjx.scene import SceneSpec
from envs_mjx.tasks import (CARRY_Z, Pred, Stage, Task, path, pick, pick_bowl, place,
                            place_bowl, stove_knob_push)

SUITE = "libero_goal"
MAX_STEPS = 300

CABINET_XY = (-0.06, -0.28)
STOVE_XY = (-0.24, 0.26)
RACK_XY = (-0.40, -0.27)
STOVE_FRONT_XY = (-0.03, 0.26)  # "the front of the stove": its camera (+x) side
_PLATE_XY = (-0.03, 0.04)
_BOWL_XY = (-0.17, -0.04)
_CHEESE_XY = (0.0, -0.11)
_BOTTLE_XY = (-0.29, -0.07)
CABINET_TOP = 2 * A.WOODEN_CABINET_HALF[2]
_BOTTLE_GRASP_Z = 0.08  # TCP height above the wine bottle's origin (pads around its COM)
_BOTTLE_SPEED = 0.6  # a tall bottle swings in the fingers when carried at full speed
DRAWER_PULL_TO = -0.158  # drawer slide target when opening (open < -0.14, limit -0.16)

INSTRUCTIONS = (
    "open the middle drawer of the cabinet",
    "put the bowl on the stove",
    "put the wine bottle on top of the cabinet",
    "open the top drawer and put the bowl inside",
    "put the bowl on top of the cabinet",
    "push the plate to the front of the stove",
    "put the cream cheese in the bowl",
    "turn on the stove",
    "put the bowl on the plate",
    "put the wine bottle on the rack",
)


def goal_scene(contacts: tuple[tuple[str, str], ...] = ()) -> SceneSpec:
    """The libero_goal scene; ``contacts`` are the task's extra collision pairs."""
    return make_scene("TABLETOP_GOAL", TABLETOP, (
        A.wooden_cabinet(CABINET_XY),
        A.flat_stove(STOVE_XY),
        A.wine_rack(RACK_XY, cradle=True),
        A.table_region("stove_front_region", STOVE_FRONT_XY, (0.04, 0.04)),
    ), (
        dataclasses.replace(A.round_plate("plate", _PLATE_XY), yaw_jitter=0.02),  # pushed
        A.akita_black_bowl(_BOWL_XY),
        A.cream_cheese(_CHEESE_XY),
        A.wine_bottle(_BOTTLE_XY),
    ), contacts=contacts)


def _handle(drawer: str, q: float = 0.0) -> tuple[float, float, float]:
    """Handle-bar centre of a wooden-cabinet drawer at slide ``q``, relative to the cabinet
    origin (yaw 0), z above the table."""
    hx, hy, hz = A.WOODEN_CABINET_HALF
    dx = hx - 0.012
    front_h = (2 * hz / len(A.WOODEN_DRAWERS) - A.WOODEN_CABINET_SLAB) / 2 - 0.003
    return (q - dx - A.WOODEN_DRAWER_HANDLE_X, 0.0, A.wooden_cabinet_drawer_z(drawer) + front_h)


def open_drawer(drawer: str, from_side: bool) -> tuple[Stage, ...]:
    """Hooks the drawer's handle bar between the half-closed fingers (rear finger in the gap
    behind the bar), closes, pulls it out to :data:`DRAWER_PULL_TO`, lets go and backs off.

    ``from_side``: reach the bar sliding in along y at its height (the bar of the drawer above
    is in the way from above), else lower onto it from above.
    """
    x, y, z = _handle(drawer)
    z -= 0.004  # pads span TCP -0.009 .. +0.027 m: centre them on the bar
    half, yaw = 0.3, math.pi / 2  # fingers 1.4 cm apart, closing along x
    c = "wooden_cabinet"
    if from_side:
        reach = (Stage(c, (x, y + 0.1, 0.3), half, z_abs=True, yaw=yaw, tol=0.02, max_steps=80),
                 Stage(c, (x, y + 0.1, z), half, z_abs=True, yaw=yaw, tol=0.008),
                 Stage(c, (x, y, z), half, z_abs=True, yaw=yaw, tol=0.005, gain=0.5))
    else:
        reach = (Stage(c, (x, y, z + 0.12), half, z_abs=True, yaw=yaw, tol=0.01, max_steps=80),
                 Stage(c, (x, y, z), half, z_abs=True, yaw=yaw, tol=0.005, gain=0.5))
    xo = x + DRAWER_PULL_TO
    return reach + (
        Stage(c, (x, y, z), 1.0, z_abs=True, yaw=yaw, tol=1.0, min_steps=5, max_steps=5),
        Stage(c, (xo, y, z), 1.0, z_abs=True, yaw=yaw, tol=0.006, max_steps=50),
        Stage(c, (xo, y, z), half, z_abs=True, yaw=yaw, tol=1.0, min_steps=5, max_steps=5),
        Stage(c, (xo, y, z + 0.12), half, z_abs=True, yaw=yaw, tol=0.02, max_steps=30),
    )


def push_plate() -> tuple[Stage, ...]:
    """Closed fingers behind the plate's -y edge, one straight push along +y to the stove's
    front region, then up."""
    behind = -(0.069 + 0.008 + 0.012)  # plate half width + closed pad + clearance
    dist = STOVE_FRONT_XY[1] - _PLATE_XY[1]
    low = 0.012
    return (
        Stage("plate", (0.0, behind, 0.15), 1.0, z_abs=True, tol=0.015, max_steps=80),
        *path("plate", ((0.0, behind, low),), tol=0.006),
        Stage("plate", (0.0, behind + 0.012 + dist, low), 1.0, z_abs=True, tol=0.01,
              max_steps=80, gain=0.3, speed=0.3),  # slowly: a shoved plate slides on
        *path("plate", ((0.0, -0.1, 0.15),), gripper=1.0, tol=0.03, max_steps=30),
    )


def _bottle_pick(lift_z: float) -> tuple[Stage, ...]:
    return pick("wine_bottle", _BOTTLE_GRASP_Z, lift_z=lift_z, speed=_BOTTLE_SPEED)


def _bottle_place(dest: str, surface_z: float, carry_z: float) -> tuple[Stage, ...]:
    return place(dest, surface_z + _BOTTLE_GRASP_Z + 0.01, carry_z=carry_z,
                 speed=_BOTTLE_SPEED, gain=0.5)


def _tasks() -> list[Task]:
    g = INSTRUCTIONS
    specs: list[tuple[tuple[Pred, ...], tuple[Stage, ...], tuple[tuple[str, str], ...]]] = [
        ((Pred("open", "middle_drawer_slide"),), open_drawer("middle_drawer", True), ()),
        ((Pred("on", "black_bowl", "stove_cook_region"),),
         pick_bowl("black_bowl") + place_bowl("stove", 0.07),
         (("black_bowl", "stove/body"),)),
        ((Pred("on", "wine_bottle", "wooden_cabinet_top_side"),),
         _bottle_pick(0.45) + _bottle_place("wooden_cabinet", CABINET_TOP, 0.45),
         (("wine_bottle", "wooden_cabinet/top"),)),
        ((Pred("in", "black_bowl", "top_drawer_region"),),
         open_drawer("top_drawer", False)
         + pick_bowl("black_bowl", lateral=True, approach_z=0.3)
         + place_bowl("wooden_cabinet/top_drawer", 0.008, lateral=True, carry_z=0.32,
                      offset_xy=(-0.01, 0.0)),
         (("black_bowl", "wooden_cabinet/top_drawer"),)),
        ((Pred("on", "black_bowl", "wooden_cabinet_top_side"),),
         pick_bowl("black_bowl", lift_z=0.42)
         + place_bowl("wooden_cabinet", CABINET_TOP, carry_z=0.42),
         (("black_bowl", "wooden_cabinet/top"),)),
        ((Pred("on", "plate", "stove_front_region"),), push_plate(), ()),
        ((Pred("on", "cream_cheese", "black_bowl"),),
         pick("cream_cheese", 0.011) + place("black_bowl", 0.051 + 0.011 + 0.015),
         (("cream_cheese", "black_bowl"),)),
        ((Pred("turnon", "stove_knob"),), stove_knob_push(), ()),
        ((Pred("on", "black_bowl", "plate"),),
         pick_bowl("black_bowl") + place_bowl("plate", 0.019),
         (("black_bowl", "plate"),)),
        ((Pred("on", "wine_bottle", "wine_rack_top_region"),),
         _bottle_pick(CARRY_Z) + _bottle_place("wine_rack", 0.01, CARRY_Z),
         (("wine_bottle", "wine_rack"),)),
    ]
    return [Task(SUITE, i, g[i].replace(" ", "_"), g[i], goal_scene(contacts), goal, plan,
                 MAX_STEPS) for i, (goal, plan, contacts) in enumerate(specs)]


TASKS: tuple[Task, ...] = tuple(_tasks())
