"""LIBERO-Spatial: "pick up the black bowl <where> and place it on the plate", 10 layouts.

One tabletop scene (LIBERO's ``LIBERO_Tabletop_Manipulation``): a wooden cabinet, a flat stove,
two identical black bowls, a cookie box, a ramekin and a plate. The ten tasks are ten LAYOUTS
of it: the bowl to pick (``akita_black_bowl_1``) starts at a different place in each (between
the plate and the ramekin, on the cookie box, in the open top drawer, ...), the other bowl
(``akita_black_bowl_2``) elsewhere; the goal is always ``On(akita_black_bowl_1, plate_1)``.

Everything is read from LIBERO's BDDL file of each task (:mod:`envs_mjx.libero_data`): the
objects and their BDDL names, the table regions they are placed in, the fixtures' regions and
yaws (the cabinet stands at LIBERO's ~154 deg, its drawers opening toward +y, away from the
robot's side of the table; :func:`envs_mjx.families.port_fixture_pose`), and the open top
drawer of task 4. The 50 evaluation states put every object at the xy of LIBERO's state i (at
the port's resting height), the arm and the drawers at LIBERO's joints; training layouts
(indices >= 50) sample each object uniformly over its BDDL region (LIBERO's 2 x 2 cm regions),
bowls on another object, on the stove, on the cabinet or in its drawer around LIBERO's spot.

Contacts: only ``akita_black_bowl_1`` x ``plate_1`` and each bowl x what it stands on collide
(besides the fingers and the table), via :attr:`envs_mjx.scene.SceneSpec.contacts`.
"""

from __future__ import annotations

import dataclasses
import math

from envs_mjx import assets as A
from envs_mjx import libero_data
from envs_mjx.families import TABLETOP, bddl_layout, bddl_object, make_scene, port_fixture_pose
from envs_mjx.scene import Fixture, ObjectSpec, SceneSpec
from envs_mjx.tasks import BOWL_GRASP_Z, BOWL_SPEED, CARRY_Z, Pred, Stage, Task, pick_bowl, place_bowl

SUITE = "libero_spatial"
MAX_STEPS = 220

PLATE_TOP = 0.019
CABINET, STOVE = "wooden_cabinet_1", "flat_stove_1"  # BDDL names of the fixtures
DRAWER_OPEN = -0.15  # top drawer slide in training layouts of task 4 (LIBERO's: -0.151 +/- 0.005)
# bowl centre in the open top drawer, from the cabinet centre along the drawer's opening
# direction [m] (LIBERO's state mean: 0.140 with the drawer at -0.151)
_BOWL_IN_DRAWER = 0.14
_CABINET_TOP_JITTER = 0.02  # a bowl on the cabinet top: LIBERO's std 2.4 / 1.4 cm in x / y
_ON_JITTER = 0.008  # a bowl on the cookie box, the ramekin or the stove
_FACTORIES = {"akita_black_bowl": lambda: A.akita_black_bowl((0.0, 0.0)),
              "plate": lambda: A.round_plate("plate", (0.0, 0.0)),
              "cookies": lambda: dataclasses.replace(A.cookie_box((0.0, 0.0)), footprint=0.052),
              "glazed_rim_porcelain_ramekin": lambda: dataclasses.replace(
                  A.ramekin((0.0, 0.0)), footprint=0.045)}
# port body each support of a bowl collides through
_SUPPORT_BODY = {f"{CABINET}_top_side": "wooden_cabinet/top",
                 f"{CABINET}_top_region": "wooden_cabinet/top_drawer",
                 f"{STOVE}_cook_region": "stove/body"}


def _fixtures(key: str, drawer: float) -> tuple[tuple[Fixture, ...], dict[str, tuple]]:
    """The cabinet and the stove at LIBERO's places and yaws; also their poses by BDDL name."""
    cab_xy, cab_yaw = port_fixture_pose(key, CABINET, "wooden_cabinet")
    stove_xy, stove_yaw = port_fixture_pose(key, STOVE, "flat_stove")
    cab = A.wooden_cabinet(cab_xy, cab_yaw, {"top_drawer": drawer} if drawer else None)
    stove = dataclasses.replace(A.flat_stove(stove_xy), yaw=stove_yaw)
    return (cab, stove), {CABINET: (cab_xy, cab_yaw), STOVE: (stove_xy, stove_yaw)}


def drawer_direction(cabinet_yaw: float) -> tuple[float, float]:
    """World xy unit vector along which the port's wooden cabinet at ``cabinet_yaw`` opens its
    drawers (its local -x)."""
    return (-math.cos(cabinet_yaw), -math.sin(cabinet_yaw))


def _place_on(obj: ObjectSpec, support: str, poses: dict[str, tuple]) -> ObjectSpec:
    """``obj`` placed on/in ``support`` (a BDDL object or fixture region name), at a fixed
    yaw like every object of LIBERO's states."""
    obj = dataclasses.replace(obj, yaw_jitter=0.0)
    if support in (f"{CABINET}_top_side", f"{CABINET}_top_region"):
        (cx, cy), yaw = poses[CABINET]
        if support.endswith("top_side"):
            return dataclasses.replace(obj, init_xy=(cx, cy), init_z=2 * A.WOODEN_CABINET_HALF[2],
                                       init_jitter=(_CABINET_TOP_JITTER,) * 2)
        dx, dy = drawer_direction(yaw)
        # square-sided in the port (round in LIBERO): turned square to the drawer's walls
        return dataclasses.replace(
            obj, init_xy=(cx + _BOWL_IN_DRAWER * dx, cy + _BOWL_IN_DRAWER * dy),
            init_z=A.wooden_cabinet_drawer_z("top_drawer") + 0.008, init_jitter=(_ON_JITTER,) * 2,
            init_yaw=yaw)
    if support == f"{STOVE}_cook_region":
        return dataclasses.replace(obj, init_xy=poses[STOVE][0], init_z=0.07,
                                   init_jitter=(_ON_JITTER,) * 2)
    return dataclasses.replace(obj, init_on=support, init_jitter=(_ON_JITTER,) * 2)


def layout_scene(index: int) -> SceneSpec:
    """The scene of task ``index``: LIBERO's objects (BDDL names), fixtures and placements."""
    lt = libero_data.task_data(f"{SUITE}/{index}")
    opened = any(p[0] == "Open" and p[1] == f"{CABINET}_top_region" for p in lt.init)
    fixtures, poses = _fixtures(lt.key, DRAWER_OPEN if opened else 0.0)
    objects, contacts = [], [("akita_black_bowl_1", "plate_1")]
    # the supports first, then the bowls: one object order (and qpos layout) in every task
    for name, category in sorted(lt.objects, key=lambda o: o[1] == "akita_black_bowl"):
        obj = bddl_object(lt.key, name, category, _FACTORIES)
        region = lt.placement(name)
        if region is not None and region.ranges:
            objects.append(bddl_layout(lt.key, (obj,))[0])
            continue
        support = next(p[2] for p in lt.init if p[0] in ("On", "In") and p[1] == name)
        objects.append(_place_on(obj, support, poses))
        if category == "akita_black_bowl":
            contacts.append((name, _SUPPORT_BODY.get(support, support)))
    return make_scene(f"TABLETOP_SPATIAL_LAYOUT{index}", TABLETOP, fixtures, tuple(objects),
                      contacts=tuple(contacts))


# OSC: TCP height [m] above the table to lift a bowl out of the open top drawer and carry it;
# the drawer's front panel stands ~0.24 m up and the slower OSC hand must clear it before
# the carry starts (at CARRY_Z the bowl caught on the panel and dropped; C MuJoCo, state 0);
# carried at this speed (x the stage speed cap), as the bowl, pinched by one wall after the
# drawer nudged it in the grasp, slid out of the fingers at BOWL_SPEED (states 3 and 5)
_DRAWER_LIFT_OSC = 0.32
_DRAWER_CARRY_SPEED_OSC = 0.3
# gripper command while descending onto the bowl's wall in the drawer (OSC): half open, each
# finger 2 cm off the TCP, so the outer finger fits between the bowl's wall and the drawer's
# (fully open, it landed on the drawer and the pinch stayed 1 cm off the wall: states 3, 5)
_DRAWER_DESCENT_GRIP_OSC = 0.0
_DRAWER_SLIDE_OSC = 0.04  # [m] the pinched bowl slides out along the drawer before the lift


def _plan(lt: libero_data.LiberoTask, osc: bool = False) -> tuple[Stage, ...]:
    """The expert's plan (``osc``: the OSC plan, which differs only for the drawer layout)."""
    support = next(p[2] for p in lt.init if p[1] == "akita_black_bowl_1")
    approach = lift = 0.42 if support.endswith("top_side") else CARRY_Z
    carry, speed = CARRY_Z, BOWL_SPEED
    wall = None
    if support.endswith("top_region"):  # in the drawer: pinch the wall along the drawer's
        # width on the robot's side, so the hand's width lies along the front panel
        _, yaw = port_fixture_pose(lt.key, CABINET, "wooden_cabinet")
        dx, dy = drawer_direction(yaw)
        wall = math.atan2(dx, -dy) if dy > 0 else math.atan2(-dx, dy)
        approach = 0.32
        if osc:
            lift = carry = _DRAWER_LIFT_OSC
            speed = _DRAWER_CARRY_SPEED_OSC
    grasp = pick_bowl("akita_black_bowl_1", approach_z=approach, lift_z=lift, wall=wall)
    if osc and wall is not None:  # the two descent stages half open
        grasp = (grasp[0],) + tuple(dataclasses.replace(g, gripper=_DRAWER_DESCENT_GRIP_OSC)
                                    for g in grasp[1:3]) + grasp[3:]
        # then slid out along the drawer before the lift: a bowl lying far back in the
        # drawer has its back wall under the cabinet's top slab and caught on it (state 5)
        ox, oy, _ = grasp[-1].offset
        out = (ox + _DRAWER_SLIDE_OSC * dx, oy + _DRAWER_SLIDE_OSC * dy, BOWL_GRASP_Z + 0.01)
        grasp = grasp[:-1] + (dataclasses.replace(grasp[-1], offset=out, z_abs=False, tol=0.01,
                                                  max_steps=30), grasp[-1])
    return (grasp
            + place_bowl("plate_1", PLATE_TOP, wall=wall, carry_z=carry, speed=speed))


def _tasks() -> list[Task]:
    out = []
    for lt in libero_data.suite_data(SUITE):
        plan, osc_plan = _plan(lt), _plan(lt, osc=True)
        out.append(Task(SUITE, lt.index, lt.name, lt.instruction, layout_scene(lt.index),
                        (Pred("on", "akita_black_bowl_1", "plate_1"),), plan, MAX_STEPS,
                        libero_states=True, osc_plan=None if osc_plan == plan else osc_plan))
    return out


TASKS: tuple[Task, ...] = tuple(_tasks())
