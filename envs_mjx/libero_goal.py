"""LIBERO-Goal: ten different goals in ONE tabletop scene.

Scene (LIBERO's ``LIBERO_Tabletop_Manipulation`` of libero_goal): a wooden cabinet (three
drawers, a top you can put things on), a flat stove, a wine rack, a black bowl, a cream
cheese box, a wine bottle and a plate. Everything is read from LIBERO's BDDL files
(:mod:`envs_mjx.libero_data`): the objects and their BDDL names, the table regions they are
placed in, the fixtures' regions and yaws (the cabinet at LIBERO's 180 deg: its drawers open
toward +y, the robot's left, not toward the robot; :func:`envs_mjx.families.port_fixture_pose`)
and the goal region in front of the stove. The 50 evaluation states put every object at the xy
of LIBERO's state i, the arm and the drawers at LIBERO's joints; training layouts (indices
>= 50) sample each object over its BDDL region. Every task has the same scene; only the goal
(verbatim LIBERO predicates) and the expert differ.

Contacts: besides the fingers and the table, only the pair the goal needs collides (e.g. the
bowl x the stove's body for "put the bowl on the stove"), via ``SceneSpec.contacts``.
"""

from __future__ import annotations

import dataclasses
import math

from envs_mjx import assets as A
from envs_mjx import libero_data
from envs_mjx.families import TABLETOP, bddl_layout, bddl_object, make_scene, port_fixture_pose
from envs_mjx.scene import SceneSpec
from envs_mjx.tasks import (BOWL_GAIN, BOWL_GRASP_Z, BOWL_SPEED, BOWL_WALL_OFFSET, CARRY_Z, Pred,
                            Stage, Task, pick, pick_bowl, place, place_bowl, stove_knob_push)

SUITE = "libero_goal"
MAX_STEPS = 300

_KEY = f"{SUITE}/0"  # the ten tasks share one scene and one set of regions (BDDL)
CABINET_XY, CABINET_YAW = port_fixture_pose(_KEY, "wooden_cabinet_1", "wooden_cabinet")
STOVE_XY, STOVE_YAW = port_fixture_pose(_KEY, "flat_stove_1", "flat_stove")
RACK_XY, RACK_YAW = port_fixture_pose(_KEY, "wine_rack_1", "wine_rack")
FRONT_REGION = "main_table_stove_front_region"  # "the front of the stove" (BDDL)
CABINET_TOP = 2 * A.WOODEN_CABINET_HALF[2]
_BOTTLE_GRASP_Z = 0.08  # TCP height above the wine bottle's origin (pads around its COM)
_BOTTLE_SPEED = 0.6  # a tall bottle swings in the fingers when carried at full speed
DRAWER_PULL_TO = -0.158  # drawer slide target when opening (open < -0.14, limit -0.16)
_FACTORIES = {"akita_black_bowl": lambda: A.akita_black_bowl((0.0, 0.0)),
              "plate": lambda: dataclasses.replace(A.round_plate("plate", (0.0, 0.0)),
                                                   yaw_jitter=0.02),  # pushed
              "cream_cheese": lambda: A.cream_cheese((0.0, 0.0)),
              "wine_bottle": lambda: A.wine_bottle((0.0, 0.0))}
BOWL, PLATE, CHEESE, BOTTLE = "akita_black_bowl_1", "plate_1", "cream_cheese_1", "wine_bottle_1"


def _front_region() -> tuple[tuple[float, float], tuple[float, float]]:
    """Centre and half size (world xy) of the BDDL region in front of the stove."""
    x0, y0, x1, y1 = libero_data.task_data(_KEY).region(FRONT_REGION).world_ranges[0]
    return ((x0 + x1) / 2, (y0 + y1) / 2), ((x1 - x0) / 2, (y1 - y0) / 2)


def goal_scene(contacts: tuple[tuple[str, str], ...] = ()) -> SceneSpec:
    """The libero_goal scene; ``contacts`` are the task's extra collision pairs."""
    lt = libero_data.task_data(_KEY)
    objects = []
    for name, category in lt.objects:
        objects.append(bddl_object(lt.key, name, category, _FACTORIES))
    front, half = _front_region()
    return make_scene("TABLETOP_GOAL", TABLETOP, (
        A.wooden_cabinet(CABINET_XY, CABINET_YAW),
        dataclasses.replace(A.flat_stove(STOVE_XY), yaw=STOVE_YAW),
        dataclasses.replace(A.wine_rack(RACK_XY, cradle=True), yaw=RACK_YAW),
        A.table_region(FRONT_REGION, front, half),
    ), bddl_layout(lt.key, tuple(objects)), contacts=contacts)


def _rot(v: tuple[float, float, float], yaw: float = CABINET_YAW) -> tuple[float, float, float]:
    """A cabinet-frame offset ``v`` (x, y rotated by the cabinet's ``yaw``; z unchanged)."""
    c, s = math.cos(yaw), math.sin(yaw)
    return (c * v[0] - s * v[1], s * v[0] + c * v[1], v[2])


def _handle(drawer: str, q: float = 0.0) -> tuple[float, float, float]:
    """Handle-bar centre of a wooden-cabinet drawer at slide ``q``, in the cabinet's frame
    (drawers facing its -x), z above the table."""
    hx, hy, hz = A.WOODEN_CABINET_HALF
    dx = hx - 0.012
    front_h = (2 * hz / len(A.WOODEN_DRAWERS) - A.WOODEN_CABINET_SLAB) / 2 - 0.003
    return (q - dx - A.WOODEN_DRAWER_HANDLE_X, 0.0, A.wooden_cabinet_drawer_z(drawer) + front_h)


def _yaw(local: float) -> float:
    """A gripper yaw given in the cabinet's frame, in the world (wrapped to (-pi, pi])."""
    return math.remainder(local + CABINET_YAW, 2 * math.pi)


def open_drawer(drawer: str, from_side: bool) -> tuple[Stage, ...]:
    """Hooks the drawer's handle bar between the half-closed fingers (rear finger in the gap
    behind the bar), closes, pulls it out to :data:`DRAWER_PULL_TO`, lets go and backs off.
    Built in the cabinet's frame and turned by its yaw.

    ``from_side``: reach the bar sliding in along it at its height, from the robot's side
    (the bar of the drawer above is in the way from above), else lower onto it from above.
    """
    x, y, z = _handle(drawer)
    z -= 0.004  # pads span TCP -0.009 .. +0.027 m: centre them on the bar
    half, yaw = 0.3, _yaw(math.pi / 2)  # fingers 1.4 cm apart, closing along the pull
    c = "wooden_cabinet"
    side = 0.1 if _rot((0.0, 1.0, 0.0))[0] < 0 else -0.1  # along the bar, toward the robot
    if from_side:
        reach = (Stage(c, _rot((x, y + side, 0.3)), half, z_abs=True, yaw=yaw, tol=0.02,
                       max_steps=80),
                 Stage(c, _rot((x, y + side, z)), half, z_abs=True, yaw=yaw, tol=0.008),
                 Stage(c, _rot((x, y, z)), half, z_abs=True, yaw=yaw, tol=0.005, gain=0.5))
    else:
        reach = (Stage(c, _rot((x, y, z + 0.12)), half, z_abs=True, yaw=yaw, tol=0.01,
                       max_steps=80),
                 Stage(c, _rot((x, y, z)), half, z_abs=True, yaw=yaw, tol=0.005, gain=0.5))
    xo = x + DRAWER_PULL_TO
    return reach + (
        Stage(c, _rot((x, y, z)), 1.0, z_abs=True, yaw=yaw, tol=1.0, min_steps=5, max_steps=5),
        Stage(c, _rot((xo, y, z)), 1.0, z_abs=True, yaw=yaw, tol=0.006, max_steps=50),
        Stage(c, _rot((xo, y, z)), half, z_abs=True, yaw=yaw, tol=1.0, min_steps=5,
              max_steps=5),
        Stage(c, _rot((xo, y, z + 0.12)), half, z_abs=True, yaw=yaw, tol=0.02, max_steps=30),
    )


def pinch_drawer_front(drawer: str, tilt: float = 1.4, back: float = 0.06,
                       lift: float = 0.1) -> tuple[Stage, ...]:
    """Pinches the drawer's handle bar from the front with the fingers pointing at the
    cabinet (tilted ``tilt`` rad up from pointing down) and closing vertically around the bar,
    pulls the drawer out to :data:`DRAWER_PULL_TO`, lets go and backs off. Built in the
    cabinet's frame and turned by its yaw.

    For a bar with a drawer above it (the middle drawer): a hand pointing down reaches no
    bar there, as the Panda hand (19 cm across the fingers, 4 cm thick, from 4.3 cm above
    the TCP) would have to stand on the front panel or on the upper drawer's bar; pointing at
    the cabinet, the hand stays in front of the bars and the fingertips 2 cm off the panel.
    """
    x, y, z = _handle(drawer)
    yaw = _yaw(math.pi / 2)  # closing direction along the pull (cabinet -x) before the tilt
    c = "wooden_cabinet"
    half = 0.0  # fingers 2 cm each off the 1.2 cm bar while reaching in
    xo = x + DRAWER_PULL_TO
    st = dict(z_abs=True, yaw=yaw, tilt=-tilt)
    return (
        Stage(c, _rot((x - back, y, z + lift)), -1.0, tol=0.02, max_steps=80, **st),
        Stage(c, _rot((x - back, y, z)), half, tol=0.006, max_steps=60, **st),
        Stage(c, _rot((x, y, z)), half, tol=0.004, max_steps=50, gain=0.5, **st),
        Stage(c, _rot((x, y, z)), 1.0, tol=1.0, min_steps=5, max_steps=5, **st),
        Stage(c, _rot((xo, y, z)), 1.0, tol=0.006, max_steps=60, **st),
        Stage(c, _rot((xo, y, z)), -1.0, tol=1.0, min_steps=5, max_steps=5, **st),
        Stage(c, _rot((xo - back, y, z + lift)), -1.0, tol=0.02, max_steps=30, **st),
    )


def drawer_direction() -> tuple[float, float]:
    """World xy unit vector along which the cabinet's drawers open (its local -x)."""
    x, y, _ = _rot((-1.0, 0.0, 0.0))
    return (x, y)


def push_plate() -> tuple[Stage, ...]:
    """Closed fingers behind the plate (opposite the stove's front region), one straight push
    toward the region's centre (from the plate's BDDL region centre), then up."""
    px, py = libero_data.task_data(_KEY).placement(PLATE).world_center
    (fx, fy), _ = _front_region()
    dist = math.hypot(fx - px, fy - py)
    ux, uy = (fx - px) / dist, (fy - py) / dist
    cos = max(abs(ux), abs(uy))  # the square plate's edge seen along the push
    behind = -(0.069 / cos + 0.008 + 0.012)  # plate half width + closed pad + clearance
    low = 0.012
    yaw = math.remainder(math.atan2(uy, ux) - math.pi / 2, math.pi)  # fingers along the push
    return (
        Stage(PLATE, (behind * ux, behind * uy, 0.15), 1.0, z_abs=True, yaw=yaw, tol=0.015,
              max_steps=80),
        Stage(PLATE, (behind * ux, behind * uy, low), 1.0, z_abs=True, yaw=yaw, tol=0.006,
              max_steps=40),
        Stage(PLATE, ((behind + 0.012 + dist) * ux, (behind + 0.012 + dist) * uy, low), 1.0,
              z_abs=True, yaw=yaw, tol=0.01, max_steps=100, gain=0.3,
              speed=0.3),  # slowly: a shoved plate slides on
        Stage(PLATE, (-0.1 * ux, -0.1 * uy, 0.15), 1.0, z_abs=True, yaw=yaw, tol=0.03,
              max_steps=30),
    )


# OSC + full contacts: LIBERO's plate lies with its rim 1 cm in front of the cabinet's handle
# bars, so a push from behind it must start in the 4.3 cm gap between the plate and the drawer
# fronts, under the bottom bar. The fingers lean back toward the cabinet by this much [rad]
# about their closing axis (across the push), which keeps the hand (from 4.3 cm above the TCP)
# in front of the bars and over the plate's top (C MuJoCo, libero_goal/5). The fingers go
# down beside the bars (this far [m] past a bar's end, across the drawers' width): on the
# plate's side of the cabinet's centre line, as the bottom bar would catch the fingers (they
# landed on it and pulled the drawer out with the plate)
_PUSH_LEAN_OSC = 0.7
_PUSH_PAST_BAR_OSC = 0.032
_PUSH_LEAN_UNTIL_OSC = 0.06  # [m] of the push done leaning; the rest with the fingers upright


def push_plate_osc() -> tuple[Stage, ...]:
    """:func:`push_plate` for OSC + full contacts: the closed fingers, leaning back toward
    the cabinet, go down beside the drawers' handle bars, slide under
    the bottom bar to behind the plate, push it straight to the front region's centre, up."""
    px, py = libero_data.task_data(_KEY).placement(PLATE).world_center
    (fx, fy), _ = _front_region()
    dist = math.hypot(fx - px, fy - py)
    ux, uy = (fx - px) / dist, (fy - py) / dist
    behind = 0.069 / max(abs(ux), abs(uy)) + 0.008  # plate half width + closed pad
    low = 0.012
    # the fingers close along the drawers' width (the hand parallel to the cabinet's front,
    # clear of it) and lean toward the cabinet
    dx, dy = drawer_direction()
    st = dict(z_abs=True, yaw=math.remainder(math.atan2(dy, dx), math.pi), lean=_PUSH_LEAN_OSC)
    upright = dict(st, lean=0.0)
    start = (-(behind + 0.012) * ux, -(behind + 0.012) * uy)
    lean_end = (start[0] + _PUSH_LEAN_UNTIL_OSC * ux, start[1] + _PUSH_LEAN_UNTIL_OSC * uy, low)
    # beside the bars: across the drawers' width (lx, ly), on the plate's side of the
    # cabinet's centre line, _PUSH_PAST_BAR_OSC past a bar's end
    lx, ly = -dy, dx
    lat = (px + start[0] - CABINET_XY[0]) * lx + (py + start[1] - CABINET_XY[1]) * ly
    side = math.copysign(A.WOODEN_DRAWER_HANDLE_HALF + _PUSH_PAST_BAR_OSC, lat) - lat
    down = (start[0] + side * lx, start[1] + side * ly)
    return (
        Stage(PLATE, (*down, 0.15), 1.0, tol=0.015, max_steps=80, **st),
        Stage(PLATE, (*down, low), 1.0, tol=0.006, max_steps=40, **st),
        Stage(PLATE, (*start, low), 1.0, tol=0.008, max_steps=40, **st),
        # leaning only until the hand is clear of the bars: a leaning finger rides up over
        # the plate's rim once the plate meets the cream cheese (states 1, 3, 5-9)
        Stage(PLATE, lean_end, 1.0, tol=0.01, max_steps=30, gain=0.5, speed=0.4, **st),
        # straightened up in place (turning while advancing lifted the fingers onto the plate)
        Stage(PLATE, lean_end, 1.0, tol=0.006, min_steps=10, max_steps=20, **upright),
        Stage(FRONT_REGION, (-behind * ux, -behind * uy, low), 1.0, tol=0.01, max_steps=100,
              gain=0.5, speed=0.4, **upright),
        Stage(FRONT_REGION, (-(behind + 0.04) * ux, -(behind + 0.04) * uy, 0.15), 1.0,
              tol=0.03, max_steps=30, **upright),
    )


def _bottle_pick(lift_z: float) -> tuple[Stage, ...]:
    return pick(BOTTLE, _BOTTLE_GRASP_Z, lift_z=lift_z, speed=_BOTTLE_SPEED)


def _bottle_place(dest: str, surface_z: float, carry_z: float) -> tuple[Stage, ...]:
    return place(dest, surface_z + _BOTTLE_GRASP_Z + 0.01, carry_z=carry_z,
                 speed=_BOTTLE_SPEED, gain=0.5)


# OSC + full contacts: reaching the top drawer's bar from the side, the fingers stand on the
# cabinet's top slab 3 cm above the bar's height (the pads still hook the bar while the hand
# slides along it), so the first sliding-in stage never reaches its target; at 60 steps it
# and the slide spent 120 of the episode's 300 steps and the episode ended during the
# bowl's carry (C MuJoCo, states 0, 1). Under OSC the first is cut to this many steps, and
# the pull (the drawer is out after ~25 of its 50 steps; the hand then presses on the slab)
# to the second number
_TOP_DRAWER_DESCENT_STEPS_OSC, _TOP_DRAWER_PULL_STEPS_OSC = 20, 35
# and the hand reaches for and closes on the bar this far further out from the cabinet [m]:
# at the IK plan's point both fingers closed on nothing in states 15 and 17 (the pads stop
# 1 cm above the bar's top, the hand standing on the cabinet) and the drawer stayed shut;
# with 5 mm out (or in) both opened, and states 0-29 all succeed (C MuJoCo)
_TOP_DRAWER_HOOK_OUT_OSC = 0.005


def _bowl_in_drawer(osc: bool = False) -> tuple[Stage, ...]:
    """Opens the top drawer (reaching its handle bar from the side, like the middle drawer's;
    ``osc``: see :data:`_TOP_DRAWER_DESCENT_STEPS_OSC`), pinches the bowl's wall on the
    robot's side with the fingers across the drawer's width (the hand clear of the front
    panel) and sets it 1 cm in front of the drawer's centre; ``osc``: the bowl as
    :func:`_bowl_into_open_drawer_osc`."""
    side = _rot((0.0, 1.0, 0.0))[:2]
    if side[0] > 0:  # the wall on the robot's side (-x)
        side = (-side[0], -side[1])
    wall = math.atan2(side[1], side[0])
    front = _rot((-0.01, 0.0, 0.0))[:2]
    grasp = pick_bowl(BOWL, approach_z=0.3, wall=wall)
    # the open drawer overhangs the bowl (LIBERO's layout): slide it 8 cm toward the robot,
    # 3 cm up, before lifting it into the drawer's floor
    ox, oy, _ = grasp[-1].offset
    slide = dataclasses.replace(grasp[-1], offset=(ox - 0.08, oy, BOWL_GRASP_Z + 0.03),
                                z_abs=False, tol=0.01, max_steps=40)
    opening = open_drawer("top_drawer", True)
    if osc:
        steps = {1: _TOP_DRAWER_DESCENT_STEPS_OSC, 4: _TOP_DRAWER_PULL_STEPS_OSC}
        opening = tuple(dataclasses.replace(s, max_steps=steps[i]) if i in steps else s
                        for i, s in enumerate(opening))
        dx, dy = drawer_direction()
        out = _TOP_DRAWER_HOOK_OUT_OSC
        opening = tuple(dataclasses.replace(s, offset=(s.offset[0] + out * dx,
                                                       s.offset[1] + out * dy, s.offset[2]))
                        if i <= 3 else s for i, s in enumerate(opening))
        return opening + _bowl_into_open_drawer_osc()
    return (opening + grasp[:-1] + (slide, grasp[-1])
            + place_bowl("wooden_cabinet/top_drawer", 0.008, carry_z=0.32, offset_xy=front,
                         wall=wall))


# OSC + full contacts: the bowl stands under the open top drawer's front corner (LIBERO's
# layout), and the IK plan's pinch of the wall on the robot's side (the 19 cm hand across the
# drawer's front) hit the open drawer's front panel on the way down (C MuJoCo, state 2). Under
# OSC the hand pinches the wall facing away from the cabinet, its TCP this far off the wall's
# middle toward the robot (the bowl is square, the wall straight), so the hand comes down in
# front of the drawer and beside its side wall
_TOP_DRAWER_BOWL_OFF_OSC = 0.03
# then drags the bowl this far toward the robot (out from under the drawer, whose side wall
# is ~1.1 cm from the bowl's edge in state 0), lifts it above the drawer's front panel
# (_TOP_DRAWER_BOWL_LIFT_OSC above the table: at CARRY_Z the hanging bowl caught the panel and
# pushed the drawer shut, state 1) and sets its centre this far in front of the drawer's
# centre, midway between the cabinet's front and the open drawer's front panel (the 10.7 cm
# bowl has ~2 cm to spare between them)
_TOP_DRAWER_BOWL_DRAG_OSC = 0.05
_TOP_DRAWER_BOWL_LIFT_OSC = 0.32
_TOP_DRAWER_BOWL_FRONT_OSC = 0.027


def _bowl_into_open_drawer_osc() -> tuple[Stage, ...]:
    """OSC: pinches the bowl's wall facing the way the drawers open, off its middle toward the
    robot (-x), drags it toward the robot, lifts it and sets it into the open top drawer (see
    :data:`_TOP_DRAWER_BOWL_OFF_OSC`)."""
    dx, dy = drawer_direction()
    yaw = math.atan2(dy, dx) - math.pi / 2  # fingers closing across that wall
    # along the wall, the direction with -x (toward the robot)
    ax, ay = (-dy, dx) if dy > 0 else (dy, -dx)
    off = _TOP_DRAWER_BOWL_OFF_OSC
    gx, gy = BOWL_WALL_OFFSET * dx + off * ax, BOWL_WALL_OFFSET * dy + off * ay
    grasp = pick(BOWL, BOWL_GRASP_Z, (gx, gy), yaw=yaw, yaw_rel=False,
                 lift_z=_TOP_DRAWER_BOWL_LIFT_OSC, approach_z=0.3, speed=BOWL_SPEED)
    drag = dataclasses.replace(grasp[-1], offset=(gx - _TOP_DRAWER_BOWL_DRAG_OSC, gy,
                                                  BOWL_GRASP_Z + 0.03),
                               z_abs=False, tol=0.01, max_steps=40)
    front = _TOP_DRAWER_BOWL_FRONT_OSC
    return (grasp[:-1] + (drag, grasp[-1])
            + place("wooden_cabinet/top_drawer", 0.008 + BOWL_GRASP_Z + 0.012,
                    (gx + front * dx, gy + front * dy), yaw=yaw,
                    carry_z=_TOP_DRAWER_BOWL_LIFT_OSC, speed=BOWL_SPEED, gain=BOWL_GAIN))


def _tasks() -> list[Task]:
    # OSC plans where the IK plan does not carry over (full contacts block it)
    osc_plans = {0: pinch_drawer_front("middle_drawer"),
                 3: _bowl_in_drawer(osc=True), 5: push_plate_osc()}
    specs: list[tuple[tuple[Pred, ...], tuple[Stage, ...], tuple[tuple[str, str], ...]]] = [
        ((Pred("open", "middle_drawer_slide"),), open_drawer("middle_drawer", True), ()),
        ((Pred("on", BOWL, "stove_cook_region"),),
         pick_bowl(BOWL) + place_bowl("stove", 0.07), ((BOWL, "stove/body"),)),
        ((Pred("on", BOTTLE, "wooden_cabinet_top_side"),),
         _bottle_pick(0.45) + _bottle_place("wooden_cabinet", CABINET_TOP, 0.45),
         ((BOTTLE, "wooden_cabinet/top"),)),
        ((Pred("in", BOWL, "top_drawer_region"),), _bowl_in_drawer(),
         ((BOWL, "wooden_cabinet/top_drawer"),)),
        ((Pred("on", BOWL, "wooden_cabinet_top_side"),),
         pick_bowl(BOWL, lift_z=0.42) + place_bowl("wooden_cabinet", CABINET_TOP, carry_z=0.42),
         ((BOWL, "wooden_cabinet/top"),)),
        ((Pred("on", PLATE, FRONT_REGION),), push_plate(), ()),
        ((Pred("on", CHEESE, BOWL),),
         pick(CHEESE, 0.011) + place(BOWL, 0.051 + 0.011 + 0.015), ((CHEESE, BOWL),)),
        ((Pred("turnon", "stove_knob"),), stove_knob_push(), ()),
        ((Pred("on", BOWL, PLATE),), pick_bowl(BOWL) + place_bowl(PLATE, 0.019),
         ((BOWL, PLATE),)),
        ((Pred("on", BOTTLE, "wine_rack_top_region"),),
         _bottle_pick(CARRY_Z) + _bottle_place("wine_rack", 0.01, CARRY_Z),
         ((BOTTLE, "wine_rack"),)),
    ]
    out = []
    for lt, (goal, plan, contacts) in zip(libero_data.suite_data(SUITE), specs, strict=True):
        out.append(Task(SUITE, lt.index, lt.name, lt.instruction, goal_scene(contacts), goal,
                        plan, MAX_STEPS, libero_states=True, osc_plan=osc_plans.get(lt.index)))
    return out


TASKS: tuple[Task, ...] = tuple(_tasks())
