"""Task = data: a scene, a verbatim instruction, BDDL-style goal predicates, an expert plan.

Goal predicates (all must hold; checked every control step):

* ``Pred("in", a, region)`` / ``Pred("on", a, region_or_object)``;
* ``Pred("open", joint)``, ``Pred("close", joint)``, ``Pred("turnon", joint)``,
  ``Pred("turnoff", joint)`` on articulated fixture joints.

Expert plans are sequences of :class:`Stage` waypoints interpreted by :mod:`envs_mjx.expert`.
"""

from __future__ import annotations

import dataclasses
from typing import Literal

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
    within ``tol`` [m] of the target after ``min_steps``, or after ``max_steps``.
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


@dataclasses.dataclass(frozen=True)
class Task:
    """A LIBERO task."""

    suite: str
    index: int
    name: str
    instruction: str
    scene: SceneSpec
    goal: tuple[Pred, ...]
    plan: tuple[Stage, ...]
    max_steps: int
    joint_inits: dict[str, tuple[float, float]] = dataclasses.field(default_factory=dict)

    @property
    def key(self) -> str:
        return f"{self.suite}/{self.index}"


# --- plan building blocks ---------------------------------------------------------------------

CARRY_Z = 0.25  # carry height above the table [m]


def pick(obj: str, grasp_z: float, offset_xy: tuple[float, float] = (0.0, 0.0), yaw: float = 0.0,
         yaw_rel: bool = True, lift_z: float = CARRY_Z) -> tuple[Stage, ...]:
    """Approach above ``obj``, descend, close, lift. ``grasp_z``: TCP height above obj origin."""
    ox, oy = offset_xy
    return (
        Stage(obj, (ox, oy, CARRY_Z), -1.0, z_abs=True, yaw=yaw, yaw_rel=yaw_rel, tol=0.02,
              max_steps=80),
        Stage(obj, (ox, oy, grasp_z + 0.06), -1.0, yaw=yaw, yaw_rel=yaw_rel, tol=0.008,
              max_steps=40),
        Stage(obj, (ox, oy, grasp_z), -1.0, yaw=yaw, yaw_rel=yaw_rel, tol=0.005, max_steps=40,
              gain=0.5),
        Stage(obj, (ox, oy, grasp_z), 1.0, yaw=yaw, yaw_rel=yaw_rel, tol=1.0, min_steps=8,
              max_steps=8),
        Stage(obj, (ox, oy, lift_z), 1.0, z_abs=True, yaw=yaw, yaw_rel=yaw_rel, tol=0.03,
              max_steps=60),
    )


def place(dest: str, release_z: float, offset_xy: tuple[float, float] = (0.0, 0.0),
          yaw: float = 0.0, carry_z: float = CARRY_Z) -> tuple[Stage, ...]:
    """Carry above ``dest`` (+offset), lower to ``release_z`` above dest origin, open, retreat."""
    ox, oy = offset_xy
    return (
        Stage(dest, (ox, oy, carry_z), 1.0, z_abs=True, yaw=yaw, tol=0.015, max_steps=90),
        Stage(dest, (ox, oy, release_z), 1.0, yaw=yaw, tol=0.008, max_steps=60, gain=0.5),
        Stage(dest, (ox, oy, release_z), -1.0, yaw=yaw, tol=1.0, min_steps=6, max_steps=6),
        Stage(dest, (ox, oy, carry_z), -1.0, z_abs=True, yaw=yaw, tol=0.03, max_steps=40),
    )


def path(ref: str, points: tuple[tuple[float, float, float], ...], gripper: float = 1.0,
         tol: float = 0.01, max_steps: int = 40, z_abs: bool = True) -> tuple[Stage, ...]:
    """Straight-line moves through ``points`` (offsets from ``ref``), e.g. a push."""
    return tuple(Stage(ref, p, gripper, z_abs=z_abs, tol=tol, max_steps=max_steps) for p in points)
