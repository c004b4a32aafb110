"""LIBERO-style delta end-effector controller in pure JAX.

LIBERO drives the Panda with OSC_POSE at 20 Hz: a 7-D action
``[dx, dy, dz, droll, dpitch, dyaw, gripper]`` in ``[-1, 1]`` is scaled to at most 0.05 m and
0.5 rad per control step, relative to the current end-effector pose (world frame), and the
gripper command ``-1`` opens, ``+1`` closes.

Here the pose target is mapped to joint-position targets by damped-least-squares IK on our own
analytic kinematics (:func:`envs_mjx.panda.fk_frames`), with a weak null-space pull toward the
initial posture; MuJoCo position servos then track the joint targets during the physics
substeps. Everything is a pure function of arrays, so it runs under ``jit``/``vmap``.
"""

from __future__ import annotations

import dataclasses

import jax
import jax.numpy as jnp
import numpy as np

from envs_mjx import panda

ACTION_DIM = 7
# TCP orientation of LIBERO's home grasp pose (gripper pointing down, fingers closing along world
# y): a rotation by pi about x, where the axis-angle map is singular.
TCP_DOWN = np.diag([1.0, -1.0, -1.0])


@dataclasses.dataclass(frozen=True)
class ControllerConfig:
    """Scales and IK settings.

    Attributes:
      max_pos_delta: metres per control step for ``|a_xyz| = 1``.
      max_rot_delta: radians per control step for ``|a_rpy| = 1``.
      ik_iters: damped-least-squares iterations per control step.
      damping: DLS damping ``lambda``.
      nullspace_gain: pull toward ``panda.INIT_QPOS`` in the Jacobian's null space.
    """

    max_pos_delta: float = 0.05
    max_rot_delta: float = 0.5
    ik_iters: int = 2
    damping: float = 0.05
    nullspace_gain: float = 0.05


def skew(v: jax.Array) -> jax.Array:
    """``[3] -> [3, 3]`` cross-product matrix."""
    return jnp.array([[0.0, -v[2], v[1]], [v[2], 0.0, -v[0]], [-v[1], v[0], 0.0]])


def axis_angle_to_matrix(r: jax.Array) -> jax.Array:
    """Rodrigues: rotation vector ``[3]`` -> rotation matrix ``[3, 3]`` (safe at 0)."""
    theta2 = jnp.sum(r * r)
    theta = jnp.sqrt(theta2 + 1e-12)
    k = skew(r)
    small = theta2 < 1e-8
    a = jnp.where(small, 1.0 - theta2 / 6.0, jnp.sin(theta) / theta)
    b = jnp.where(small, 0.5 - theta2 / 24.0, (1.0 - jnp.cos(theta)) / (theta2 + 1e-12))
    return jnp.eye(3) + a * k + b * (k @ k)


def matrix_to_axis_angle(m: jax.Array) -> jax.Array:
    """Rotation matrix ``[3, 3]`` -> rotation vector ``[3]`` (safe near 0; valid below ~pi)."""
    cos = jnp.clip((jnp.trace(m) - 1.0) / 2.0, -1.0, 1.0)
    theta = jnp.arccos(cos)
    v = jnp.array([m[2, 1] - m[1, 2], m[0, 2] - m[2, 0], m[1, 0] - m[0, 1]])
    sin = jnp.sin(theta)
    scale = jnp.where(sin < 1e-6, 0.5 + theta**2 / 12.0, theta / (2.0 * sin + 1e-12))
    return v * scale


def tcp_rotation_features(rot: jax.Array) -> jax.Array:
    """TCP rotation ``[3, 3]`` -> ``[3]`` axis-angle of ``rot`` relative to :data:`TCP_DOWN`.

    Continuous for every orientation these tasks use (within ~pi of pointing down), unlike the
    plain axis-angle of ``rot``, which sits at its pi singularity in the home pose and flips
    between ``(+pi, 0, 0)``, ``(-pi, 0, 0)`` and ``0`` from one step to the next.
    """
    return matrix_to_axis_angle(rot @ TCP_DOWN.T)


def _jacobian(q: jax.Array) -> tuple[jax.Array, jax.Array, jax.Array]:
    """Geometric TCP Jacobian in the base frame: ``(pos [3], rot [3, 3], J [6, 7])``."""
    pos, rot, origins, axes = panda.fk_frames(q)
    jp = jnp.cross(axes, pos[None, :] - origins).T  # [3, 7]
    jr = axes.T  # [3, 7]
    return pos, rot, jnp.concatenate([jp, jr], axis=0)


def ik_targets(
    q: jax.Array,
    action: jax.Array,
    cfg: ControllerConfig = ControllerConfig(),
) -> jax.Array:
    """Joint-position targets that realise one delta action.

    Args:
      q: current arm joint angles ``[7]``.
      action: ``[7]`` in ``[-1, 1]`` (values outside are clipped); only the first 6 are used.
      cfg: scales and IK settings.

    Returns:
      Joint targets ``[7]`` clipped to the joint limits.
    """
    a = jnp.clip(action, -1.0, 1.0)
    pos, rot = panda.fk(q)
    target_pos = pos + cfg.max_pos_delta * a[:3]
    target_rot = axis_angle_to_matrix(cfg.max_rot_delta * a[3:6]) @ rot
    lower, upper = jnp.asarray(panda.JOINT_LOWER), jnp.asarray(panda.JOINT_UPPER)
    q_home = jnp.asarray(panda.INIT_QPOS)

    def body(qt: jax.Array, _: None) -> tuple[jax.Array, None]:
        p, r, jac = _jacobian(qt)
        err = jnp.concatenate([target_pos - p, matrix_to_axis_angle(target_rot @ r.T)])
        jjt = jac @ jac.T + (cfg.damping**2) * jnp.eye(6)
        pinv = jac.T @ jnp.linalg.solve(jjt, jnp.eye(6))  # [7, 6]
        dq = pinv @ err
        null = (jnp.eye(7) - pinv @ jac) @ (cfg.nullspace_gain * (q_home - qt))
        return jnp.clip(qt + dq + null, lower, upper), None

    qt, _ = jax.lax.scan(body, q, None, length=cfg.ik_iters)
    return qt


def gripper_target(action: jax.Array) -> jax.Array:
    """Finger opening per finger [m] from the gripper command (-1 open .. +1 closed)."""
    g = jnp.clip(action[6], -1.0, 1.0)
    return panda.FINGER_OPEN * (1.0 - g) / 2.0


def scale_action_np(action: np.ndarray, cfg: ControllerConfig = ControllerConfig()) -> np.ndarray:
    """Physical deltas ``[..., 6]`` (metres, radians) of actions ``[..., 7]`` (NumPy)."""
    a = np.clip(action, -1.0, 1.0)
    return np.concatenate(
        [a[..., :3] * cfg.max_pos_delta, a[..., 3:6] * cfg.max_rot_delta], axis=-1
    )
