"""BDDL-style goal predicates evaluated in JAX on MJX data.

Thresholds follow LIBERO's BDDL predicate implementations:

* ``On(a, b)`` object on object: ``b.z <= a.z``, in contact, xy distance < 0.03 m;
* ``On(a, region)``: a within the region's xy half extent, 0 - 0.10 m above its bottom face,
  and touching the region's parent body;
* ``In(a, region)``: a's position inside the region box (lower z bound relaxed by 0.01 m);
* drawers: open if qpos < -0.14, closed if qpos > 0.0;
* microwave door: open if qpos < -1.3, closed if qpos > -0.005;
* stove knob: on if qpos >= 0.5.

Positions are body origins (bottom centres of objects). Everything is a pure function of
``(geom/body/contact arrays)``, compiled once per task by :func:`make_goal_fn`.
"""

from __future__ import annotations

import dataclasses
from typing import Callable

import jax
import jax.numpy as jnp
import mujoco
import numpy as np

from envs_mjx.assets import KNOB_ON
from envs_mjx.scene import Region, SceneSpec
from envs_mjx.tasks import Pred

ON_XY_TOL = 0.03
ON_Z_RANGE = (-0.01, 0.10)
IN_Z_SLACK = 0.01
CONTACT_DIST = 2e-3
JOINT_THRESHOLDS: dict[str, dict[str, tuple[str, float]]] = {
    "drawer": {"open": ("lt", -0.14), "close": ("gt", 0.0)},
    "door": {"open": ("lt", -1.3), "close": ("gt", -0.005)},
    "knob": {"turnon": ("ge", KNOB_ON), "turnoff": ("lt", KNOB_ON)},
}


def joint_family(joint_name: str) -> str:
    """Which threshold family a fixture joint belongs to."""
    if "drawer" in joint_name:
        return "drawer"
    if "door" in joint_name:
        return "door"
    if "knob" in joint_name:
        return "knob"
    raise ValueError(f"joint {joint_name!r} is not a drawer, door or knob joint")


def joint_predicate(kind: str, joint_name: str, qpos: jax.Array) -> jax.Array:
    """Open/close/turnon/turnoff of a 1-DoF fixture joint with position ``qpos []``."""
    fam = joint_family(joint_name)
    if kind not in JOINT_THRESHOLDS[fam]:
        raise ValueError(f"predicate {kind!r} does not apply to {fam} joint {joint_name!r}")
    op, thr = JOINT_THRESHOLDS[fam][kind]
    return {"lt": qpos < thr, "gt": qpos > thr, "ge": qpos >= thr}[op]


def in_region(pos: jax.Array, parent_pos: jax.Array, parent_mat: jax.Array,
              center: jax.Array, half: jax.Array) -> jax.Array:
    """``pos [3]`` inside a region box ``(center [3], half [3])`` of a parent frame."""
    local = parent_mat.reshape(3, 3).T @ (pos - parent_pos) - center
    inside_xy = jnp.all(jnp.abs(local[:2]) <= half[:2])
    return inside_xy & (local[2] >= -half[2] - IN_Z_SLACK) & (local[2] <= half[2])


def on_region(pos: jax.Array, parent_pos: jax.Array, parent_mat: jax.Array, center: jax.Array,
              half: jax.Array, touching: jax.Array) -> jax.Array:
    """``pos [3]`` resting on a region: xy inside, 0-0.10 m above its bottom, touching parent."""
    local = parent_mat.reshape(3, 3).T @ (pos - parent_pos) - center
    height = local[2] + half[2]
    inside_xy = jnp.all(jnp.abs(local[:2]) <= half[:2])
    return inside_xy & (height >= ON_Z_RANGE[0]) & (height <= ON_Z_RANGE[1]) & touching


def on_object(pos_a: jax.Array, pos_b: jax.Array, touching: jax.Array) -> jax.Array:
    """Object a on object b: ``b.z <= a.z``, touching, xy distance below 0.03 m."""
    xy = jnp.linalg.norm(pos_a[:2] - pos_b[:2])
    return (pos_b[2] <= pos_a[2]) & touching & (xy < ON_XY_TOL)


def bodies_touching(contact_geom: jax.Array, contact_dist: jax.Array, geom_body: jax.Array,
                    body_a: int, body_b: int) -> jax.Array:
    """Any contact between bodies ``a`` and ``b`` (contact arrays ``[ncon, 2]``, ``[ncon]``)."""
    valid = (contact_geom[:, 0] >= 0) & (contact_geom[:, 1] >= 0)
    b1 = geom_body[jnp.maximum(contact_geom[:, 0], 0)]
    b2 = geom_body[jnp.maximum(contact_geom[:, 1], 0)]
    match = ((b1 == body_a) & (b2 == body_b)) | ((b1 == body_b) & (b2 == body_a))
    return jnp.any(valid & match & (contact_dist < CONTACT_DIST))


@dataclasses.dataclass(frozen=True)
class GoalInputs:
    """What the goal function reads from MJX data (all jnp arrays)."""

    xpos: jax.Array  # [nbody, 3]
    xmat: jax.Array  # [nbody, 9] or [nbody, 3, 3]
    qpos: jax.Array  # [nq]
    contact_geom: jax.Array  # [ncon, 2]
    contact_dist: jax.Array  # [ncon]


def make_goal_fn(
    spec: SceneSpec, goal: tuple[Pred, ...], mj_model: mujoco.MjModel
) -> Callable[[GoalInputs], jax.Array]:
    """Builds ``goal_fn(inputs) -> [len(goal)] bool`` (one entry per predicate).

    Raises:
      ValueError: a predicate names an unknown object, region or joint.
    """
    regions: dict[str, Region] = {r.name: r for r in spec.regions()}
    geom_body = jnp.asarray(mj_model.geom_bodyid)

    def body_id(name: str) -> int:
        if name == "world":
            return 0
        bid = mujoco.mj_name2id(mj_model, mujoco.mjtObj.mjOBJ_BODY, name)
        if bid < 0:
            raise ValueError(f"goal names unknown body {name!r} in scene {spec.name!r}")
        return bid

    def joint_qadr(name: str) -> int:
        jid = mujoco.mj_name2id(mj_model, mujoco.mjtObj.mjOBJ_JOINT, name)
        if jid < 0:
            raise ValueError(f"goal names unknown joint {name!r} in scene {spec.name!r}")
        return int(mj_model.jnt_qposadr[jid])

    checks: list[Callable[[GoalInputs], jax.Array]] = []
    for p in goal:
        if p.kind in ("open", "close", "turnon", "turnoff"):
            adr = joint_qadr(p.a)
            joint_family(p.a)
            checks.append(lambda g, adr=adr, p=p: joint_predicate(p.kind, p.a, g.qpos[adr]))
            continue
        a = body_id(p.a)
        if p.b in regions:
            r = regions[p.b]
            parent = body_id(r.parent)
            center, half = jnp.asarray(r.center), jnp.asarray(r.half)
            if p.kind == "in":
                checks.append(lambda g, a=a, pa=parent, c=center, h=half: in_region(
                    g.xpos[a], g.xpos[pa], g.xmat[pa], c, h))
            else:
                checks.append(lambda g, a=a, pa=parent, c=center, h=half: on_region(
                    g.xpos[a], g.xpos[pa], g.xmat[pa], c, h,
                    bodies_touching(g.contact_geom, g.contact_dist, geom_body, a, pa)))
        else:
            if p.kind != "on":
                raise ValueError(f"{p.kind}({p.a}, {p.b}): {p.b!r} is not a region")
            b = body_id(p.b)
            checks.append(lambda g, a=a, b=b: on_object(
                g.xpos[a], g.xpos[b],
                bodies_touching(g.contact_geom, g.contact_dist, geom_body, a, b)))

    def goal_fn(inputs: GoalInputs) -> jax.Array:
        return jnp.stack([c(inputs) for c in checks])

    return goal_fn


def numpy_contacts(data: mujoco.MjData) -> tuple[np.ndarray, np.ndarray]:
    """Contact arrays ``(geom [ncon, 2], dist [ncon])`` from C MuJoCo data (for tests/tools)."""
    n = data.ncon
    if n == 0:
        return np.zeros((1, 2), np.int32), np.full((1,), 1.0)
    return np.asarray(data.contact.geom[:n]), np.asarray(data.contact.dist[:n])
