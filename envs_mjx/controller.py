"""LIBERO's delta end-effector controller (robosuite OSC_POSE) in pure JAX.

LIBERO drives the Panda with robosuite's OSC_POSE at 20 Hz: a 7-D action
``[dx, dy, dz, droll, dpitch, dyaw, gripper]`` in ``[-1, 1]`` is scaled to at most 0.05 m and
0.5 rad, added to the *current* end-effector pose (world frame; the rotation delta is an
axis-angle applied on the left) to give the control step's goal, and the gripper command ``-1``
opens, ``+1`` closes.

``kind="osc"`` (the default; docs/controller.md) reproduces OSC_POSE's dynamics: every physics
substep computes joint torques from a critically damped task-space PD law (``kp = 150``),
decoupled through the task-space inertia (position and orientation separately, as robosuite's
``uncouple_pos_ori``),
plus Coriolis/gravity compensation and a null-space posture term toward the initial joints,
clipped to the Panda's torque limits. The goal is never reached within one step: a full action
moves the hand ~1.25 cm per step after a ~3-step ramp (docs/controller.md).

``kind="ik"`` (a non-default option, ``env.dynamics="ik"``: the runs of RESULTS.md sections 1-4
and the datasets and checkpoints they wrote were made with it) is the first port's controller:
the goal pose is mapped to joint-position targets by damped-least-squares IK and stiff position
servos track them (it moves the hand 5-7 cm per full-action step, ~5x farther than LIBERO).

Kinematics and the Jacobian are our analytic ones (:func:`envs_mjx.panda.fk_frames`); the mass
matrix and bias forces come from the simulator. Everything is a pure function of arrays, so it
runs under ``jit``/``vmap`` (and on NumPy inputs from C MuJoCo for the parity check).
"""

from __future__ import annotations

import dataclasses
from typing import Literal

import jax
import jax.numpy as jnp
import numpy as np

from envs_mjx import panda

ACTION_DIM = 7
# TCP orientation of LIBERO's home grasp pose (gripper pointing down, fingers closing along world
# y): a rotation by pi about x, where the axis-angle map is singular.
TCP_DOWN = np.diag([1.0, -1.0, -1.0])


# Singular values of the inverse task-space inertia below this are treated as singular
# (robosuite's threshold for its pseudo-inverse).
_SINGULAR = 2.5e-4


@dataclasses.dataclass(frozen=True)
class ControllerConfig:
    """Controller kind, scales and gains.

    Attributes:
      kind: ``"osc"`` (robosuite OSC_POSE torque control, LIBERO's; the default) or ``"ik"``
        (first port: IK + joint position servos).
      max_pos_delta: metres per control step for ``|a_xyz| = 1``.
      max_rot_delta: radians per control step for ``|a_rpy| = 1``.
      kp: OSC task-space stiffness (position and orientation); damping is ``2 sqrt(kp)``
        times ``damping_ratio``.
      damping_ratio: 1 = critically damped.
      nullspace_kp: stiffness of the null-space posture term (joint space, mass-weighted).
      ik_iters: (``ik``) damped-least-squares iterations per control step.
      damping: (``ik``) DLS damping ``lambda``.
      nullspace_gain: (``ik``) pull toward ``panda.INIT_QPOS`` in the Jacobian's null space.
    """

    kind: Literal["osc", "ik"] = "osc"
    max_pos_delta: float = 0.05
    max_rot_delta: float = 0.5
    kp: float = 150.0
    damping_ratio: float = 1.0
    nullspace_kp: float = 10.0
    ik_iters: int = 2
    damping: float = 0.05
    nullspace_gain: float = 0.05

    def __post_init__(self):
        if self.kind not in ("osc", "ik"):
            raise ValueError(f"ControllerConfig.kind must be 'osc' or 'ik', got {self.kind!r}")


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


def tcp_jacobian(q: jax.Array) -> tuple[jax.Array, jax.Array, jax.Array]:
    """Geometric TCP Jacobian in the base frame: ``(pos [3], rot [3, 3], J [6, 7])``."""
    pos, rot, origins, axes = panda.fk_frames(q)
    jp = jnp.cross(axes, pos[None, :] - origins).T  # [3, 7]
    jr = axes.T  # [3, 7]
    return pos, rot, jnp.concatenate([jp, jr], axis=0)


def goal_pose(
    pos: jax.Array,
    rot: jax.Array,
    prev_goal_rot: jax.Array,
    action: jax.Array,
    cfg: ControllerConfig = ControllerConfig(),
) -> tuple[jax.Array, jax.Array]:
    """OSC goal of one control step: ``(goal_pos [3], goal_rot [3, 3])``.

    ``goal_pos = pos + 0.05 a_xyz``; ``goal_rot = R(0.5 a_rpy) @ rot`` when any rotation
    component is non-zero, else the previous goal orientation is kept (as robosuite, which only
    updates the orientation goal for a non-zero rotation delta).

    Args:
      pos, rot: current TCP pose ``[3]``, ``[3, 3]`` (world).
      prev_goal_rot: previous step's goal orientation ``[3, 3]``.
      action: ``[7]`` (clipped to ``[-1, 1]``).
    """
    a = jnp.clip(action, -1.0, 1.0)
    goal_pos = pos + cfg.max_pos_delta * a[:3]
    turned = axis_angle_to_matrix(cfg.max_rot_delta * a[3:6]) @ rot
    goal_rot = jnp.where(jnp.any(a[3:6] != 0.0), turned, prev_goal_rot)
    return goal_pos, goal_rot


def _pinv_psd(a: jax.Array) -> jax.Array:
    """Pseudo-inverse of a symmetric PSD matrix, zeroing singular directions."""
    w, v = jnp.linalg.eigh(0.5 * (a + a.T))
    winv = jnp.where(w > _SINGULAR, 1.0 / jnp.maximum(w, _SINGULAR), 0.0)
    return (v * winv) @ v.T


def osc_torques(
    q: jax.Array,
    qd: jax.Array,
    mass: jax.Array,
    bias: jax.Array,
    goal_pos: jax.Array,
    goal_rot: jax.Array,
    base_pos: jax.Array,
    cfg: ControllerConfig = ControllerConfig(),
) -> jax.Array:
    """Arm joint torques ``[7]`` of operational-space pose control (one physics substep).

    ``tau = J^T [L_pos F_pos; L_ori F_ori] + N^T M (k_n (q0 - q) - d_n qd) + bias`` with
    ``F = kp e - kd v`` (task-space PD toward the goal, ``e`` the position error and the
    axis-angle of ``goal_rot @ rot^T``), ``L = (J M^-1 J^T)^-1`` per block,
    ``N = I - M^-1 J^T L_full J`` the dynamically consistent null-space projector and ``q0``
    the initial joints; clipped to :data:`envs_mjx.panda.TORQUE_LIMIT`.

    Args:
      q, qd: arm joint positions and velocities ``[7]``.
      mass: arm block of the joint-space inertia matrix ``[7, 7]``.
      bias: arm entries of the bias forces (Coriolis + gravity) ``[7]``.
      goal_pos, goal_rot: the control step's goal ``[3]``, ``[3, 3]`` (world).
      base_pos: robot base position ``[3]`` (world; the base is not rotated).
    """
    pos, rot, jac = tcp_jacobian(q)
    pos = pos + base_pos
    vel = jac @ qd  # [6] linear, angular
    kd = 2.0 * jnp.sqrt(cfg.kp) * cfg.damping_ratio
    err = jnp.concatenate([goal_pos - pos, matrix_to_axis_angle(goal_rot @ rot.T)])
    wrench = cfg.kp * err - kd * vel  # [6]
    m_inv = jnp.linalg.inv(mass)
    lam_inv = jac @ m_inv @ jac.T  # [6, 6]
    force = _pinv_psd(lam_inv[:3, :3]) @ wrench[:3]
    torque = _pinv_psd(lam_inv[3:, 3:]) @ wrench[3:]
    tau = jac.T @ jnp.concatenate([force, torque])
    lam_full = jnp.linalg.inv(lam_inv)
    null = jnp.eye(7) - m_inv @ jac.T @ lam_full @ jac
    kn = cfg.nullspace_kp
    posture = mass @ (kn * (jnp.asarray(panda.INIT_QPOS) - q) - 2.0 * jnp.sqrt(kn) * qd)
    tau = tau + null.T @ posture + bias
    lim = jnp.asarray(panda.TORQUE_LIMIT)
    return jnp.clip(tau, -lim, lim)


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
        p, r, jac = tcp_jacobian(qt)
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
