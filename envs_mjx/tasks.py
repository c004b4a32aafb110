"""Task = data: a scene, a verbatim instruction, BDDL-style goal predicates, an expert plan.

Goal predicates (all must hold; checked every control step):

* ``Pred("in", a, region)`` / ``Pred("on", a, region_or_object)``;
* ``Pred("open", joint)``, ``Pred("close", joint)``, ``Pred("turnon", joint)``,
  ``Pred("turnoff", joint)`` on articulated fixture joints.

Expert plans are sequences of :class:`Stage` waypoints interpreted by :mod:`envs_mjx.expert`.
"""

from __future__ import annotations

import dataclasses
import math
from typing import Literal

from envs_mjx.assets import AKITA_BOWL_HALF, AKITA_BOWL_WALL
from envs_mjx.scene import SceneSpec

PredKind = Literal["on", "in", "open", "close", "turnon", "turnoff"]


@dataclasses.dataclass(frozen=True)
class Pred:
    """One goal predicate; ``b`` is a region or object name for on/in, unused otherwise."""

    kind: PredKind
    a: str
    b: str = ""


@dataclasses.dataclass(frozen=True)
class Stage:
    """One expert waypoint.

    The target TCP position is ``ref_pos + offset`` where ``ref_pos`` is the world position of
    body ``ref`` ("world" = origin) captured when the stage *starts* (so a held object does not
    drag its own target), except ``z``: if ``z_abs`` the z target is ``table_z + offset[2]``.
    ``yaw`` is the gripper yaw [rad] (0 = LIBERO's initial gripper orientation, fingers closing
    along world y); if ``yaw_rel`` the ref body's yaw is added. The stage ends when the TCP is
    within ``tol`` [m] of the target after ``min_steps``, or after ``max_steps``. ``gain`` is
    the proportional gain on the position error, ``speed`` scales the expert's speed cap (e.g.
    0.5 to carry a loosely held object without swinging it). ``tilt`` [rad] swings the
    fingers from pointing down about the gripper's horizontal axis across the closing
    direction, toward the closing direction (at yaw 0: +tilt points them toward +y; pi/2:
    horizontal), e.g. to pinch a drawer's handle bar from the front (LIBERO-Goal's middle
    drawer, whose bar leaves no room for a hand pointing down). ``lean`` [rad] swings them
    about the closing direction instead (at yaw 0: +lean points them toward -x), e.g. to lead
    a push with the finger tips while the wrist trails clear of what stands above.
    """

    ref: str
    offset: tuple[float, float, float]
    gripper: float = -1.0
    z_abs: bool = False
    yaw: float = 0.0
    yaw_rel: bool = False
    tol: float = 0.01
    min_steps: int = 1
    max_steps: int = 60
    gain: float = 0.7
    speed: float = 1.0
    tilt: float = 0.0
    lean: float = 0.0


@dataclasses.dataclass(frozen=True)
class Task:
    """A LIBERO task.

    ``libero_states``: the 50 evaluation initial states place objects (xy), fixture joints and
    arm joints as LIBERO's own states of this task (:mod:`envs_mjx.libero_data`) instead of
    sampling the port's layout (:func:`envs_mjx.init_states.generate`).

    ``osc_plan``: the expert's plan under the OSC controller when it differs from ``plan``
    (:meth:`plan_for`), e.g. a motion that full contacts block (the IK tables were measured
    with ``plan``, which stays the IK plan).
    """

    suite: str
    index: int
    name: str
    instruction: str
    scene: SceneSpec
    goal: tuple[Pred, ...]
    plan: tuple[Stage, ...]
    max_steps: int
    joint_inits: dict[str, tuple[float, float]] = dataclasses.field(default_factory=dict)
    libero_states: bool = False  # evaluation states 0..49 from LIBERO's own (init_states.py)
    osc_plan: tuple[Stage, ...] | None = None

    def plan_for(self, controller: str) -> tuple[Stage, ...]:
        """The expert's plan under controller kind ``controller`` (``"ik"`` / ``"osc"``)."""
        return self.osc_plan if controller == "osc" and self.osc_plan is not None else self.plan

    @property
    def key(self) -> str:
        return f"{self.suite}/{self.index}"


# --- plan building blocks ---------------------------------------------------------------------

CARRY_Z = 0.25  # carry height above the table [m]


def pick(obj: str, grasp_z: float, offset_xy: tuple[float, float] = (0.0, 0.0), yaw: float = 0.0,
         yaw_rel: bool = True, lift_z: float = CARRY_Z, approach_z: float = CARRY_Z,
         speed: float = 1.0) -> tuple[Stage, ...]:
    """Approach above ``obj`` (at ``approach_z`` above the table), descend, close, lift to
    ``lift_z`` (at ``speed``). ``grasp_z``: TCP height above obj origin."""
    ox, oy = offset_xy
    return (
        Stage(obj, (ox, oy, approach_z), -1.0, z_abs=True, yaw=yaw, yaw_rel=yaw_rel, tol=0.02,
              max_steps=80),
        Stage(obj, (ox, oy, grasp_z + 0.06), -1.0, yaw=yaw, yaw_rel=yaw_rel, tol=0.008,
              max_steps=40),
        Stage(obj, (ox, oy, grasp_z), -1.0, yaw=yaw, yaw_rel=yaw_rel, tol=0.005, max_steps=40,
              gain=0.5),
        Stage(obj, (ox, oy, grasp_z), 1.0, yaw=yaw, yaw_rel=yaw_rel, tol=1.0, min_steps=8,
              max_steps=8),
        Stage(obj, (ox, oy, lift_z), 1.0, z_abs=True, yaw=yaw, yaw_rel=yaw_rel, tol=0.03,
              max_steps=60, speed=speed),
    )


def place(dest: str, release_z: float, offset_xy: tuple[float, float] = (0.0, 0.0),
          yaw: float = 0.0, carry_z: float = CARRY_Z, speed: float = 1.0,
          gain: float = 0.7) -> tuple[Stage, ...]:
    """Carry above ``dest`` (+offset; at ``speed`` with ``gain``), lower to ``release_z`` above
    dest origin, open, retreat."""
    ox, oy = offset_xy
    return (
        Stage(dest, (ox, oy, carry_z), 1.0, z_abs=True, yaw=yaw, tol=0.015, max_steps=90,
              gain=gain, speed=speed),
        Stage(dest, (ox, oy, release_z), 1.0, yaw=yaw, tol=0.008, max_steps=60, gain=0.5,
              speed=speed),
        Stage(dest, (ox, oy, release_z), -1.0, yaw=yaw, tol=1.0, min_steps=6, max_steps=6),
        Stage(dest, (ox, oy, carry_z), -1.0, z_abs=True, yaw=yaw, tol=0.03, max_steps=40),
    )


def path(ref: str, points: tuple[tuple[float, float, float], ...], gripper: float = 1.0,
         tol: float = 0.01, max_steps: int = 40, z_abs: bool = True,
         yaw: float = 0.0) -> tuple[Stage, ...]:
    """Straight-line moves through ``points`` (offsets from ``ref``; gripper ``yaw``), e.g. a
    push."""
    return tuple(Stage(ref, p, gripper, z_abs=z_abs, yaw=yaw, tol=tol, max_steps=max_steps)
                 for p in points)


def stove_knob_push(z: float = 0.032) -> tuple[Stage, ...]:
    """Closed-gripper sweep that rotates the flat stove's lever knob from 0 to ~1.1 rad.

    The stove (:func:`envs_mjx.assets.flat_stove`, yaw 0) has its knob hinge at
    ``(-0.107, -0.1185)`` from its origin; the TCP circles it at ``z`` above the table.
    """
    hx, hy = (-0.107, -0.1185)
    r, c = 0.045, 0.028

    def p(theta: float) -> tuple[float, float, float]:
        return (hx - r * math.cos(theta) - c * math.sin(theta),
                hy - r * math.sin(theta) + c * math.cos(theta), z)

    x0, y0, _ = p(-0.15)
    return (
        Stage("stove", (x0, y0, 0.15), 1.0, z_abs=True, tol=0.015, max_steps=80),
        *path("stove", (p(-0.15),), tol=0.006),
        *path("stove", tuple(p(t) for t in (0.3, 0.6, 0.9, 1.15)), tol=0.012, max_steps=25),
        Stage("stove", (*p(1.15)[:2], 0.15), 1.0, z_abs=True, tol=0.02, max_steps=30),
    )


BOWL_GRASP_Z = 0.02  # TCP height above a bowl's origin when pinching its wall [m]
BOWL_WALL_OFFSET = AKITA_BOWL_HALF - AKITA_BOWL_WALL / 2


def _bowl_grasp(lateral: bool, wall: float | None = None) -> tuple[tuple[float, float], float]:
    """(TCP xy offset from the bowl's centre, gripper yaw) pinching one wall of the bowl.
    ``wall``: world direction [rad] of the wall from the centre (fingers close along it);
    otherwise ``lateral`` picks the +y wall, else the wall facing the robot."""
    if wall is not None:
        return ((BOWL_WALL_OFFSET * math.cos(wall), BOWL_WALL_OFFSET * math.sin(wall)),
                wall - math.pi / 2)
    if lateral:  # the +y wall, fingers closing along y (e.g. reaching into a drawer)
        return (0.0, BOWL_WALL_OFFSET), 0.0
    return (-BOWL_WALL_OFFSET, 0.0), math.pi / 2  # the wall facing the robot, fingers along x


BOWL_SPEED, BOWL_GAIN = 0.5, 0.3  # a bowl held by one wall swings: move it gently


def pick_bowl(obj: str, lateral: bool = False, approach_z: float = CARRY_Z,
              lift_z: float = CARRY_Z, wall: float | None = None) -> tuple[Stage, ...]:
    """Pinches one wall of an :func:`envs_mjx.assets.akita_black_bowl` (see
    :func:`_bowl_grasp` for ``lateral`` / ``wall``) and lifts it."""
    off, yaw = _bowl_grasp(lateral, wall)
    return pick(obj, BOWL_GRASP_Z, off, yaw=yaw, yaw_rel=False, lift_z=lift_z,
                approach_z=approach_z, speed=BOWL_SPEED)


def place_bowl(dest: str, surface_z: float, lateral: bool = False,
               carry_z: float = CARRY_Z, offset_xy: tuple[float, float] = (0.0, 0.0),
               wall: float | None = None, speed: float = BOWL_SPEED) -> tuple[Stage, ...]:
    """Puts a bowl held by :func:`pick_bowl` (same ``lateral`` / ``wall``) with its centre over
    ``dest`` (+ ``offset_xy``), releasing 1.2 cm above ``surface_z`` (height of the support
    above ``dest``'s origin), carried at ``speed``."""
    off, yaw = _bowl_grasp(lateral, wall)
    return place(dest, surface_z + BOWL_GRASP_Z + 0.012,
                 (off[0] + offset_xy[0], off[1] + offset_xy[1]), yaw=yaw, carry_z=carry_z,
                 speed=speed, gain=BOWL_GAIN)
