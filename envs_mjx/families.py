"""Scene families shared by the suites: table, robot mount and ``agentview`` camera per LIBERO
arena, and :func:`make_scene`, which lifts fixtures and world-frame regions onto the table.

* ``KITCHEN`` / ``TABLETOP``: table 1.0 x 1.2 m, top at z = 0.90, arm on a pedestal at
  x = -0.66 (LIBERO's kitchen and tabletop arenas share this geometry);
* ``LIVING``: low table 0.70 x 1.6 m, top at z = 0.41, arm at (-0.51, 0, 0.42);
* ``STUDY``: table top at z = 0.867, centred at x = -0.2 with the arm at (-0.75, 0, 0.912)
  and the camera at (0.4586, 0, 1.6104) (LIBERO's study arena; its BDDL regions carry that
  offset);
* ``FLOOR``: no table; objects on the floor and the arm on the ground at (-0.6, 0, 0)
  (LIBERO's floor arena of libero_object, its ``OnTheGroundPanda``).

``robot_base`` is where LIBERO's ``robot0_link0`` stands in each arena (measured in LIBERO).

Every arena's ``agentview`` camera is LIBERO's (:data:`AGENTVIEW`: the pose each LIBERO
problem class sets in ``_setup_camera``; field of view :data:`envs_mjx.scene.AGENTVIEW_FOVY`).
The wrist camera is robosuite's ``eye_in_hand`` (:mod:`envs_mjx.panda`).
"""

from __future__ import annotations

import dataclasses
import math
from typing import Any

from envs_mjx import libero_data
from envs_mjx.libero_names import to_bddl
from envs_mjx.scene import Fixture, ObjectSpec, Region, SceneSpec

# LIBERO's agentview camera per problem class: (pos [m, world], quat (w, x, y, z)), as each
# problem class's ``_setup_camera`` sets it (libero/envs/problems/*.py, LIBERO 0.1.1)
_Q_HIGH = (0.6380177736282349, 0.3048497438430786, 0.30484986305236816, 0.6380177736282349)
_Q_LOW = (0.6182166934013367, 0.3432307541370392, 0.3432314395904541, 0.6182177066802979)
AGENTVIEW: dict[str, tuple[tuple[float, float, float], tuple[float, float, float, float]]] = {
    "LIBERO_Tabletop_Manipulation": ((0.6586131746834771, 0.0, 1.6103500240372423), _Q_HIGH),
    "LIBERO_Kitchen_Tabletop_Manipulation": ((0.6586131746834771, 0.0, 1.6103500240372423),
                                             _Q_HIGH),
    "LIBERO_Living_Room_Tabletop_Manipulation": ((0.6065773716836134, 0.0, 0.96), _Q_LOW),
    "LIBERO_Study_Tabletop_Manipulation": ((0.4586131746834771, 0.0, 1.6103500240372423),
                                           _Q_HIGH),
    "LIBERO_Floor_Manipulation": ((0.8965773716836134, 5.216182733499864e-07, 0.65), _Q_LOW),
}


def _agentview(problem_class: str) -> dict[str, Any]:
    pos, quat = AGENTVIEW[problem_class]
    return dict(agentview_pos=pos, agentview_quat=quat)


KITCHEN: dict[str, Any] = dict(
    table_z=0.90, table_half=(0.5, 0.6), robot_base=(-0.66, 0.0, 0.912),
    **_agentview("LIBERO_Kitchen_Tabletop_Manipulation"))
TABLETOP: dict[str, Any] = dict(KITCHEN, table_rgba=(0.62, 0.5, 0.38, 1.0),
                                **_agentview("LIBERO_Tabletop_Manipulation"))
LIVING: dict[str, Any] = dict(
    table_z=0.41, table_half=(0.35, 0.8), robot_base=(-0.51, 0.0, 0.42),
    table_rgba=(0.75, 0.7, 0.6, 1.0), **_agentview("LIBERO_Living_Room_Tabletop_Manipulation"))
STUDY: dict[str, Any] = dict(
    table_z=0.867, table_half=(0.5, 0.6), table_xy=(-0.2, 0.0), robot_base=(-0.75, 0.0, 0.912),
    table_rgba=(0.4, 0.3, 0.25, 1.0), **_agentview("LIBERO_Study_Tabletop_Manipulation"))
FLOOR: dict[str, Any] = dict(
    table_z=0.0, table_half=(1.5, 1.5), robot_base=(-0.6, 0.0, 0.0),
    floor_rgba=(0.6, 0.52, 0.42, 1.0), has_table=False,
    **_agentview("LIBERO_Floor_Manipulation"))


def make_scene(name: str, family: dict[str, Any], fixtures: tuple[Fixture, ...],
               objects: tuple[ObjectSpec, ...], active: tuple[str, ...] = (),
               contacts: tuple[tuple[str, str], ...] = ()) -> SceneSpec:
    """A :class:`SceneSpec` of ``family`` with fixtures standing on the table top.

    Fixture positions (``(x, y)`` or ``(x, y, dz)``) and world-frame (``parent="world"``) regions
    are given relative to the table top: their z is raised by the family's ``table_z``.
    """
    fz = family["table_z"]

    def lift(r: Region) -> Region:
        if r.parent != "world":
            return r
        return Region(r.name, r.parent, (r.center[0], r.center[1], r.center[2] + fz), r.half)

    fixtures = tuple(
        Fixture(f.name, (f.pos[0], f.pos[1], fz + (f.pos[2] if len(f.pos) > 2 else 0.0)),
                f.parts, f.yaw,
                tuple(map(lift, f.regions)))
        for f in fixtures
    )
    return SceneSpec(name=name, fixtures=fixtures, objects=objects, active=active,
                     contacts=contacts, **family)


def bddl_layout(key: str, objects: tuple[ObjectSpec, ...]) -> tuple[ObjectSpec, ...]:
    """``objects`` placed as LIBERO's BDDL file of task ``key`` places them: ``init_xy`` at the
    centre of each object's ``:init`` region (world frame) and ``init_jitter`` its half size,
    so sampled layouts are uniform over the region (LIBERO's region sampler), with no yaw
    jitter (LIBERO's 50 states keep every object's orientation fixed except the study's book).
    Objects without a world-frame placement region (e.g. on another object) are unchanged."""
    lt = libero_data.task_data(key)
    out = []
    for o in objects:
        r = lt.placement(to_bddl(o.name, lt.suite))
        if r is None or not r.ranges:
            out.append(o)
            continue
        x0, y0, x1, y1 = r.world_ranges[0]
        out.append(dataclasses.replace(o, init_xy=r.world_center,
                                       init_jitter=((x1 - x0) / 2, (y1 - y0) / 2),
                                       yaw_jitter=0.0))
    return tuple(out)


def bddl_object(key: str, name: str, category: str, factories: dict, *args: Any) -> ObjectSpec:
    """The port's model of LIBERO ``category`` (``factories[category](*args)``) under its BDDL
    ``name``; a one-line error naming the task when the port has no model for the category."""
    if category not in factories:
        raise ValueError(f"{key}: no port model for LIBERO category {category!r}")
    return bddl_named(factories[category](*args), name)


def bddl_named(obj: ObjectSpec, name: str) -> ObjectSpec:
    """``obj`` renamed to its BDDL name; its regions follow (``basket_contain_region`` of
    ``basket`` becomes ``basket_1_contain_region`` of ``basket_1``)."""
    old = obj.name
    regions = tuple(dataclasses.replace(r, name=r.name.replace(old, name, 1),
                                        parent=name if r.parent == old else r.parent)
                    for r in obj.regions)
    return dataclasses.replace(obj, name=name, regions=regions)


# port fixture yaw = LIBERO yaw + this [rad], per LIBERO category. LIBERO's cabinets slide
# their drawers along their local -y (joint axis +y, qpos < 0 open) and its microwave opens
# toward its local -y; the port's models face their local -x (assets.wooden_cabinet,
# assets.cabinet, assets.microwave), so the port's frame is LIBERO's turned by +90 deg.
PORT_YAW_OFFSET: dict[str, float] = {"wooden_cabinet": math.pi / 2, "white_cabinet": math.pi / 2,
                                     "microwave": math.pi / 2}
# where the port model's origin stands in LIBERO's body frame (x, y) [m], per category, when
# LIBERO's body origin is not the model's centre: the white cabinet's shell is centred 1.6 cm
# behind its origin (LIBERO's white_cabinet.xml, shell boxes at y = 0.016); the microwave's
# door hinge is at (-0.1725, -0.088) of LIBERO's origin and at (-0.1725, -0.138) of the port's
# (turned), so the port's origin is 5 cm behind LIBERO's and the doors coincide.
LIBERO_ORIGIN_SHIFT: dict[str, tuple[float, float]] = {"white_cabinet": (0.0, 0.016),
                                                       "microwave": (0.0, 0.05)}
# LIBERO's flat stove: its body origin is the knob end; the burner (``cook_region``) stands
# 0.15 m along the stove's +x (measured in LIBERO: body ``flat_stove_1_burner``). The port's
# stove is centred on its burner top.
LIBERO_STOVE_BURNER_X = 0.15


def bddl_fixture_pose(key: str, name: str) -> tuple[tuple[float, float], float]:
    """``((x, y), yaw)`` [m, rad] of fixture ``name`` (BDDL name) of task ``key`` as LIBERO
    places it: the centre of its ``:init`` region and the middle of the region's yaw interval
    (0 when the region gives none). LIBERO samples both uniformly over the region (2 x 2 cm,
    a few degrees); its 50 states do not record fixture poses, so the port uses the centre.

    Raises:
      ValueError: the fixture has no world-frame placement region in the BDDL file.
    """
    lt = libero_data.task_data(key)
    r = lt.placement(name)
    if r is None or not r.ranges:
        raise ValueError(f"{key}: fixture {name!r} has no world-frame :init region in the BDDL")
    return r.world_center, r.yaw


def port_fixture_pose(key: str, name: str, category: str) -> tuple[tuple[float, float], float]:
    """``((x, y), yaw)`` at which the port's model of LIBERO fixture ``name`` (of ``category``)
    stands so that it matches LIBERO's placement (:func:`bddl_fixture_pose`): the yaw shifted by
    :data:`PORT_YAW_OFFSET`, the flat stove moved so the port's burner is LIBERO's burner and
    the models of :data:`LIBERO_ORIGIN_SHIFT` by that shift."""
    (x, y), yaw = bddl_fixture_pose(key, name)
    sx, sy = LIBERO_ORIGIN_SHIFT.get(category, (0.0, 0.0))
    if category == "flat_stove":
        sx += LIBERO_STOVE_BURNER_X
    x += sx * math.cos(yaw) - sy * math.sin(yaw)
    y += sx * math.sin(yaw) + sy * math.cos(yaw)
    return (x, y), yaw + PORT_YAW_OFFSET.get(category, 0.0)
