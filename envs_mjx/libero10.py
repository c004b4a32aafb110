"""The 10 LIBERO-10 (LIBERO-Long) tasks on LIBERO's own task data, in MJX scenes of primitives.

Everything is read from LIBERO's BDDL file of each task (:mod:`envs_mjx.libero_data`): the
objects and their BDDL names (``alphabet_soup_1``, ``porcelain_mug_1``, ...), the table regions
they are placed in, the fixtures' regions and yaws (the white cabinet and the microwave at
LIBERO's yaw 0 face sideways, toward -y, not the robot; the desk caddy at yaw pi, its back
compartment on the robot's side; :func:`envs_mjx.families.port_fixture_pose`), the arena (the
study table at x = -0.2), the open bottom drawer, the open microwave door, the stove that is
already on, and the goals verbatim. The 50 evaluation states put every object at the xy of
LIBERO's state i (the book also at LIBERO's yaw), the arm and the fixture joints at LIBERO's;
training layouts (indices >= 50) sample each object uniformly over its BDDL region.

Left/right follow the ``agentview`` image (the camera faces the robot, so image-right is +y).
Each task carries a scripted expert plan (see :mod:`envs_mjx.expert`); plan stages that refer
to a turned fixture are built in the fixture's frame and turned by its yaw (:func:`_rot`).
"""

from __future__ import annotations

import dataclasses
import math
import re
from collections.abc import Callable

from envs_mjx import assets as A
from envs_mjx import libero_data
from envs_mjx.families import KITCHEN, LIVING, STUDY, bddl_layout, bddl_object, make_scene
from envs_mjx.families import port_fixture_pose
from envs_mjx.scene import Fixture, ObjectSpec, SceneSpec
from envs_mjx.tasks import CARRY_Z, Pred, Stage, Task, path, pick, place, stove_knob_push

SUITE = "libero_10"
MAX_STEPS = 520

_WHITE, _CREAM, _YELLOW = (0.95, 0.95, 0.95, 1), (0.95, 0.95, 0.9, 1), (0.95, 0.8, 0.1, 1)
# LIBERO category -> port model (named by its BDDL name afterwards)
_FACTORIES: dict[str, Callable[[], ObjectSpec]] = {
    "alphabet_soup": lambda: A.alphabet_soup((0.0, 0.0)),
    "cream_cheese": lambda: A.cream_cheese((0.0, 0.0)),
    "tomato_sauce": lambda: A.tomato_sauce((0.0, 0.0)),
    "ketchup": lambda: A.ketchup((0.0, 0.0)),
    "orange_juice": lambda: A.orange_juice((0.0, 0.0)),
    "milk": lambda: A.milk((0.0, 0.0)),
    "butter": lambda: A.butter((0.0, 0.0)),
    "chocolate_pudding": lambda: A.chocolate_pudding((0.0, 0.0)),
    "basket": lambda: A.basket((0.0, 0.0)),
    "chefmate_8_frypan": lambda: A.frypan((0.0, 0.0)),
    "moka_pot": lambda: A.moka_pot("moka_pot", (0.0, 0.0)),
    "akita_black_bowl": lambda: A.black_bowl((0.0, 0.0)),
    "wine_bottle": lambda: A.wine_bottle((0.0, 0.0)),
    "plate": lambda: A.plate("plate", (0.0, 0.0)),
    "porcelain_mug": lambda: A.mug("porcelain_mug", _WHITE, (0.0, 0.0)),
    "red_coffee_mug": lambda: A.mug("red_coffee_mug", (0.7, 0.1, 0.1, 1), (0.0, 0.0)),
    "white_yellow_mug": lambda: A.mug("white_yellow_mug", _CREAM, (0.0, 0.0), band=_YELLOW),
    "black_book": lambda: A.book((0.0, 0.0)),
}
_FAMILY = {"LIBERO_Kitchen_Tabletop_Manipulation": KITCHEN,
           "LIBERO_Living_Room_Tabletop_Manipulation": LIVING,
           "LIBERO_Study_Tabletop_Manipulation": STUDY}
# the book: LIBERO samples its yaw over the region's interval; its 50 states lie 45 deg below
# that interval (-135 .. -90 deg: the model's frame), which the training layouts follow
_BOOK_YAW, _BOOK_YAW_JITTER = math.radians(-112.5), math.radians(22.5)
_MUG_GRASP_Z = 0.045  # TCP height above a mug's origin
# carried at 60% speed: at full speed a can slipped out of the fingers when the hand stopped
# above LIBERO's basket, 41 cm away (libero_10/0, 9 of 50 states); the book when turned
_CARRY_SPEED = 0.6
_ON_PLATE = 0.019 + _MUG_GRASP_Z + 0.012  # release height of a mug above a plate's origin
# libero_10/8: the moka pots' y offsets from the stove's centre (the stove is 29.7 cm along y,
# the pots 7 cm wide): the far (-y) half first, then the near half toward the pots' start
_POT_FAR, _POT_NEAR = -0.05, 0.07


def _rot(v: tuple[float, float, float], yaw: float) -> tuple[float, float, float]:
    """Fixture-frame offset ``v`` turned by the fixture's ``yaw`` (z unchanged)."""
    c, s = math.cos(yaw), math.sin(yaw)
    return (c * v[0] - s * v[1], s * v[0] + c * v[1], v[2])


def _wrap(yaw: float) -> float:
    """A gripper yaw wrapped to (-pi/2, pi/2] (the parallel gripper is symmetric)."""
    return math.remainder(yaw, math.pi)


def _objects(key: str) -> tuple[ObjectSpec, ...]:
    """The task's objects: BDDL names and order, placed over their BDDL regions."""
    lt = libero_data.task_data(key)
    out = []
    for name, category in lt.objects:
        out.append(bddl_object(key, name, category, _FACTORIES))
    out = list(bddl_layout(key, tuple(out)))
    for i, o in enumerate(out):
        if o.name == "black_book_1":
            out[i] = dataclasses.replace(o, init_yaw=_BOOK_YAW, yaw_jitter=_BOOK_YAW_JITTER)
    return tuple(out)


def _scene(key: str, fixtures: tuple[Fixture, ...], active: tuple[str, ...]) -> SceneSpec:
    lt = libero_data.task_data(key)
    scene_name = re.match(r"[A-Z_]+SCENE\d+", lt.name).group(0)  # e.g. KITCHEN_SCENE3
    return make_scene(scene_name, _FAMILY[lt.problem_class], fixtures, _objects(key), active)


def _task(index: int, fixtures: tuple[Fixture, ...], active: tuple[str, ...],
          goal: tuple[Pred, ...], plan: tuple[Stage, ...],
          joint_inits: dict[str, tuple[float, float]] | None = None,
          osc_plan: tuple[Stage, ...] | None = None) -> Task:
    lt = libero_data.task_data(f"{SUITE}/{index}")
    return Task(SUITE, index, lt.name, lt.instruction, _scene(lt.key, fixtures, active), goal,
                plan, MAX_STEPS, joint_inits or {}, libero_states=True, osc_plan=osc_plan)


def _stove(key: str, knob_init: float = 0.0) -> Fixture:
    xy, yaw = port_fixture_pose(key, "flat_stove_1", "flat_stove")
    return dataclasses.replace(A.flat_stove(xy, knob_init=knob_init), yaw=yaw)


# OSC + full contacts: the hand (19 cm along the closing direction, here world y) pinching a
# flat box (cream cheese, butter; 4 cm across) that lies within ~18 cm of the basket's centre
# lands on the basket's near wall 3 cm above the grasp (libero_10/1 state 2, C MuJoCo); the
# basket stands on the boxes' +y side in LIBERO's layouts, so the TCP is set this far to -y of
# the box's centre [m] (the +y finger still clears the box: 4 cm open, 2 cm half-width)
_FLAT_BOX_OFFSET_OSC = 0.012
# libero_10/1 under OSC: LIBERO's milk carton (13 cm tall) stands between the cream cheese
# (6-15 cm to its -y) and the butter (10-19 cm to its +y), the orange juice to the cream
# cheese's -x/-y, the basket beyond the butter. Pinched across y, the 19 cm hand lands on the
# milk (the cream cheese: states 4, 17, 27, 33; the butter: 22, 34, 39; C MuJoCo). Turned
# about the vertical (the pads close diagonally across the box's 4 cm and turn it square) and,
# for the cream cheese, set 2.5 cm along the box away from the milk and the juice, the hand's
# footprint clears milk, juice and basket by >= 6 mm in all 50 of LIBERO's layouts
# (rectangles in the plane): (TCP xy offset, world yaw [rad])
_L10_1_GRASPS_OSC = {"cream_cheese_1": ((0.025, -0.006), math.radians(-25.0)),
                     "butter_1": ((0.0, 0.0), math.radians(-45.0))}


def _basket_task(index: int, first: str, second: str,
                 osc_grasps: dict[str, tuple[tuple[float, float], float]] | None = None) -> Task:
    """Two groceries into the basket (LIVING_ROOM_SCENE1/2), each released on its own side.
    ``osc_grasps``: object -> (TCP xy offset from its centre, gripper yaw in the world) of its
    pinch under OSC, replacing the default (:data:`_FLAT_BOX_OFFSET_OSC`, yaw 0)."""
    grasp = {"alphabet_soup": (0.025, 0.075), "tomato_sauce": (0.025, 0.075),
             "cream_cheese": (0.011, 0.05), "butter": (0.011, 0.05)}

    def plan(osc: bool) -> tuple[Stage, ...]:
        out: tuple[Stage, ...] = ()
        for obj, side in ((first, -0.035), (second, 0.035)):
            g, r = grasp[obj[:-2]]
            off = (0.0, -_FLAT_BOX_OFFSET_OSC) if osc and g < 0.02 else (0.0, 0.0)
            if osc and obj in (osc_grasps or {}):
                # a world yaw (LIBERO's boxes stand square to the world), not the box's: the
                # pads turn the box square to them during the pinch, and the lift would chase it
                off, yaw = osc_grasps[obj]
                stages = pick(obj, g, off, yaw=yaw, yaw_rel=False, speed=_CARRY_SPEED)
            else:
                stages = pick(obj, g, off, speed=_CARRY_SPEED)
            out += stages + place("basket_1", r, (0.0, side), speed=_CARRY_SPEED, gain=0.5)
        return out

    return _task(index, (), (first, second, "basket_1"),
                 (Pred("in", first, "basket_1_contain_region"),
                  Pred("in", second, "basket_1_contain_region")), plan(False),
                 osc_plan=None if plan(True) == plan(False) else plan(True))


# --- KITCHEN_SCENE4: the bowl into the bottom drawer of the white cabinet, then close it -------

# OSC + full contacts: closing the bottom drawer with the fingers pointing down, the wrist
# (link7) lands on the top drawer's handle tab and the drawer stays 7 mm open (C MuJoCo,
# state 0); leaning the fingers toward the cabinet [rad] keeps the wrist back
_DRAWER_PUSH_LEAN_OSC = -0.5

def _drawer_task() -> Task:
    key = f"{SUITE}/3"
    cab_xy, cab_yaw = port_fixture_pose(key, "white_cabinet_1", "white_cabinet")
    rack_xy, rack_yaw = port_fixture_pose(key, "wine_rack_1", "wine_rack")
    cabinet = dataclasses.replace(A.cabinet(cab_xy, bottom_open=-0.15), yaw=cab_yaw)
    rack = dataclasses.replace(A.wine_rack(rack_xy), yaw=rack_yaw)

    def r(x: float, y: float, z: float) -> tuple[float, float, float]:
        return _rot((x, y, z), cab_yaw)

    # the bowl pinched by its wall toward the drawer's front (the cabinet's local -x), fingers
    # closing along that axis; set 3 cm in front of the drawer's centre (clear of the shell)
    wall = r(-0.0495, 0.0, 0.0)
    yaw, push = _wrap(cab_yaw + math.pi / 2), _wrap(cab_yaw)

    def plan(lean: float) -> tuple[Stage, ...]:
        return (pick("akita_black_bowl_1", 0.02, wall[:2], yaw=yaw, yaw_rel=False)
                + place("cabinet/bottom_drawer", 0.05, r(-0.03 - 0.0495, 0.0, 0.0)[:2], yaw=yaw)
                # closed fingers (across the push) in front of the drawer, pushed in along the
                # cabinet's +x, leaning ``lean`` about the closing axis
                + (Stage("cabinet", r(-0.32, 0.0, 0.15), 1.0, z_abs=True, yaw=push, tol=0.02,
                         max_steps=60, lean=lean),)
                + tuple(Stage("cabinet", p, 1.0, z_abs=True, yaw=push, tol=0.008,
                              max_steps=40, lean=lean)
                        for p in (r(-0.32, 0.0, 0.04), r(-0.2, 0.0, 0.04), r(-0.105, 0.0, 0.04)))
                + (Stage("cabinet", r(-0.3, 0.0, 0.2), -1.0, z_abs=True, yaw=push, tol=0.03,
                         max_steps=30),))

    return _task(3, (cabinet, rack), ("akita_black_bowl_1",),
                 (Pred("in", "akita_black_bowl_1", "bottom_drawer_region"),
                  Pred("close", "bottom_drawer_slide")), plan(0.0),
                 {"bottom_drawer_slide": (-0.15, 0.005)}, osc_plan=plan(_DRAWER_PUSH_LEAN_OSC))


# --- KITCHEN_SCENE6: the mug into the microwave, then close its door -------------------------

def _microwave_task() -> Task:
    key = f"{SUITE}/9"
    mw_xy, mw_yaw = port_fixture_pose(key, "microwave_1", "microwave")
    door = libero_data.init_states(key).fixture_qpos["microwave_1"][:, 0]
    microwave = dataclasses.replace(A.microwave(mw_xy, door_init=float(door.mean())), yaw=mw_yaw)

    def r(x: float, y: float, z: float) -> tuple[float, float, float]:
        return _rot((x, y, z), mw_yaw)

    # door-closing sweep in the microwave's frame (door hinge at its front +y corner): the
    # TCP circles the hinge outside the open door and pushes its outer face shut
    hx, hy, rad, c, z = -0.138, 0.1725, 0.22, 0.03, 0.09

    def p(theta: float) -> tuple[float, float, float]:
        return r(hx + rad * math.sin(theta) - c * math.cos(theta),
                 hy - rad * math.cos(theta) - c * math.sin(theta), z)

    x0, y0, _ = p(-2.05)
    # the mug held with the fingers closing along the way in (a mug pinched between two pads
    # swings about the line through them: not across the motion)
    mug, ym, yaw = "white_yellow_mug_1", _wrap(mw_yaw + math.pi / 2), _wrap(mw_yaw)
    deep = -0.02  # TCP release point from the cavity's centre, along the microwave's x
    plan = (pick(mug, _MUG_GRASP_Z, yaw=ym, yaw_rel=False)
            + (Stage("microwave", r(-0.32, 0.0, CARRY_Z), 1.0, z_abs=True, yaw=ym, tol=0.02,
                     max_steps=80),
               Stage("microwave", r(-0.32, 0.0, 0.075), 1.0, z_abs=True, yaw=ym, tol=0.01),
               Stage("microwave", r(deep, 0.0, 0.075), 1.0, z_abs=True, yaw=ym, tol=0.01),
               Stage("microwave", r(deep, 0.0, 0.075), -1.0, z_abs=True, yaw=ym, tol=1.0,
                     min_steps=10, max_steps=10),
               # up over the mug's rim before backing out, so the pads do not drag it along
               Stage("microwave", r(deep, 0.0, 0.125), -1.0, z_abs=True, yaw=ym, tol=0.01),
               Stage("microwave", r(-0.34, 0.0, 0.125), -1.0, z_abs=True, yaw=ym, tol=0.015),
               Stage("microwave", (x0, y0, 0.2), 1.0, z_abs=True, yaw=yaw, tol=0.02,
                     max_steps=80))
            + path("microwave", (p(-2.05),), tol=0.01, yaw=yaw)
            + path("microwave", tuple(p(t) for t in (-1.6, -1.2, -0.8, -0.45, -0.15, 0.05)),
                   tol=0.012, max_steps=25, yaw=yaw)
            + (Stage("microwave", r(-0.3, 0.0, 0.2), -1.0, z_abs=True, yaw=yaw, tol=0.03,
                     max_steps=30),))
    return _task(9, (microwave,), (mug,),
                 (Pred("in", mug, "microwave_heating_region"), Pred("close", "microwave_door")),
                 plan, {"microwave_door": (float(door.mean()), 0.05)})


def _tasks() -> list[Task]:
    t: list[Task] = []
    t.append(_basket_task(0, "alphabet_soup_1", "tomato_sauce_1"))
    t.append(_basket_task(1, "cream_cheese_1", "butter_1", _L10_1_GRASPS_OSC))
    # 2: KITCHEN_SCENE3
    t.append(_task(2, (_stove(f"{SUITE}/2"),), ("moka_pot_1",),
                   (Pred("turnon", "stove_knob"), Pred("on", "moka_pot_1", "stove_cook_region")),
                   stove_knob_push() + pick("moka_pot_1", 0.07)
                   + place("stove", 0.07 + 0.07 + 0.015, (0.0, 0.05))))
    t.append(_drawer_task())
    # 4: LIVING_ROOM_SCENE5
    t.append(_task(4, (), ("porcelain_mug_1", "white_yellow_mug_1", "plate_1", "plate_2"),
                   (Pred("on", "porcelain_mug_1", "plate_1"),
                    Pred("on", "white_yellow_mug_1", "plate_2")),
                   pick("porcelain_mug_1", _MUG_GRASP_Z) + place("plate_1", _ON_PLATE)
                   + pick("white_yellow_mug_1", _MUG_GRASP_Z) + place("plate_2", _ON_PLATE)))
    # 5: STUDY_SCENE1. The book, held across its 2.9 cm thickness, is turned so that its
    # thickness lies across the caddy's back compartment (the caddy's local x)
    caddy_xy, caddy_yaw = port_fixture_pose(f"{SUITE}/5", "desk_caddy_1", "desk_caddy")
    caddy = dataclasses.replace(A.desk_caddy(caddy_xy), yaw=caddy_yaw)
    back = _rot((A.DESK_CADDY_BACK_X, 0.0, 0.0), caddy_yaw)
    book_yaw = _wrap(caddy_yaw + math.pi / 2)  # the book's 2.9 cm across the compartment
    t.append(_task(5, (caddy,), ("black_book_1",),
                   (Pred("in", "black_book_1", "desk_caddy_back_contain_region"),),
                   pick("black_book_1", 0.065, yaw=math.pi / 2, lift_z=0.3, speed=_CARRY_SPEED)
                   # turned in place (LIBERO's book stands at -135 .. -90 deg) before the carry
                   + (Stage("black_book_1", (0.0, 0.0, 0.3), 1.0, z_abs=True, yaw=book_yaw,
                            tol=1.0, min_steps=12, max_steps=12, speed=_CARRY_SPEED),)
                   + place("desk_caddy", 0.008 + 0.065 + 0.02, back[:2], yaw=book_yaw,
                           carry_z=0.3, speed=_CARRY_SPEED, gain=0.5)))
    # 6: LIVING_ROOM_SCENE6: "to the right of the plate" is the BDDL's fixed table region
    right = libero_data.task_data(f"{SUITE}/6").region("living_room_table_plate_right_region")
    rx0, ry0, rx1, ry1 = right.world_ranges[0]
    region = A.table_region(right.name, right.world_center, ((rx1 - rx0) / 2, (ry1 - ry0) / 2))
    mug_on_plate = pick("porcelain_mug_1", _MUG_GRASP_Z) + place("plate_1", _ON_PLATE)
    pudding_right = pick("chocolate_pudding_1", 0.013) + place(right.name, 0.03, carry_z=0.15)
    # OSC + full contacts: the pudding goes first. Lowered to the region after the mug, the hand
    # (19 cm along the closing direction, world y) lands on the mug standing on the plate
    # beside the region, 3 cm above the pudding's release point; on the mug's +y edge it tips
    # the mug off the plate (plate at y <= -0.019 m: 8 of states 0-39, C MuJoCo). Released
    # first, the pudding is 2.7 cm tall and the hand lowering the mug clears it by ~9 cm.
    t.append(_task(6, (region,), ("porcelain_mug_1", "chocolate_pudding_1", "plate_1"),
                   (Pred("on", "porcelain_mug_1", "plate_1"),
                    Pred("on", "chocolate_pudding_1", right.name)),
                   mug_on_plate + pudding_right, osc_plan=pudding_right + mug_on_plate))
    t.append(_basket_task(7, "alphabet_soup_1", "cream_cheese_1"))
    # 8: KITCHEN_SCENE8: the stove is on from the start (LIBERO's :init) and stays on (goal).
    # Both pots start on the +y side of the stove (LIBERO's regions): the first is set on the
    # stove's far (-y) half, the second on its near half, so the second is never carried across
    # the first (15 cm tall: carried over it, the second pot's bottom clipped its top and
    # knocked it over, 44 of 50 states)
    t.append(_task(8, (_stove(f"{SUITE}/8", knob_init=1.0),), ("moka_pot_1", "moka_pot_2"),
                   (Pred("on", "moka_pot_1", "stove_cook_region"),
                    Pred("on", "moka_pot_2", "stove_cook_region"),
                    Pred("turnon", "stove_knob")),
                   pick("moka_pot_1", 0.07) + place("stove", 0.155, (0.0, _POT_FAR))
                   + pick("moka_pot_2", 0.07) + place("stove", 0.155, (0.0, _POT_NEAR)),
                   {"stove_knob": (1.0, 0.0)}))
    t.append(_microwave_task())
    return t


TASKS: tuple[Task, ...] = tuple(_tasks())
