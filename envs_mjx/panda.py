"""Franka Emika Panda: MJCF fragment and pure-JAX forward kinematics.

The model is written from the public kinematic description of the Panda (modified-DH link
offsets, joint limits) with primitive geometry only:

* arm links: capsules (named ``link{i}_geom``); which of them touch the scene is decided by
  the explicit ``<pair>`` contacts of :mod:`envs_mjx.scene` (every geom has
  ``contype=conaffinity=0``);
* hand: a box palm and two slide fingers (0 .. 0.04 m each) with box finger pads;
* a ``tcp`` site between the finger pads marks the tool-centre point used by the controller.

Actuators depend on the controller (:mod:`envs_mjx.controller`): ``"osc"`` drives the arm with
torque motors limited to the Panda's 87 / 12 Nm (the controller compensates gravity, as
robosuite does; joint damping 0.1 / 0.01 as robosuite's Panda); ``"ik"`` uses stiff joint
position servos on gravity-compensated bodies (``gravcomp="1"``) with heavy joint damping.
The fingers are position servos in both.

``fk(q) -> (pos [3], rot [3, 3])`` computes the TCP pose relative to the robot base from the 7
arm joint angles, in pure JAX, so the controller's IK needs no MJX kinematics call.
"""

from __future__ import annotations

import math

import jax
import jax.numpy as jnp
import numpy as np

NUM_ARM_JOINTS = 7
# Joint limits [rad] from the Panda datasheet.
JOINT_LOWER = np.array([-2.8973, -1.7628, -2.8973, -3.0718, -2.8973, -0.0175, -2.8973])
JOINT_UPPER = np.array([2.8973, 1.7628, 2.8973, -0.0698, 2.8973, 3.7525, 2.8973])
# LIBERO's initial joint configuration (gripper pointing down in front of the robot).
INIT_QPOS = np.array([0.0, -0.161, 0.0, -2.4446, 0.0, 2.2268, math.pi / 4])
# robosuite perturbs the Panda's initial joints at every reset (``initialization_noise``:
# Gaussian, 0.02 rad std per joint), so LIBERO's 50 saved states start the arm within a few
# hundredths of a radian of INIT_QPOS (per-joint std 0.018-0.022 across a task's states); the
# port's fresh training layouts draw the same noise.
ARM_INIT_NOISE = 0.02  # [rad] std per joint
FINGER_OPEN = 0.04  # [m] per finger
HAND_TO_TCP = 0.1034  # [m] along the hand z axis
FLANGE = 0.107  # [m] link7 -> hand

# Link-frame offsets (parent frame): translation and a rotation about the parent x axis.
# Derived from the Panda's modified DH table (a, d, alpha).
_LINK_POS = [
    (0.0, 0.0, 0.333),
    (0.0, 0.0, 0.0),
    (0.0, -0.316, 0.0),
    (0.0825, 0.0, 0.0),
    (-0.0825, 0.384, 0.0),
    (0.0, 0.0, 0.0),
    (0.088, 0.0, 0.0),
]
_LINK_XROT = [0.0, -math.pi / 2, math.pi / 2, math.pi / 2, -math.pi / 2, math.pi / 2, math.pi / 2]
# Link inertials (centre of mass in the link frame, mass [kg], isotropic inertia [kg m^2]) as in
# robosuite's Panda model, whose OSC step response LIBERO's numbers come from; the hand and the
# fingers below lump robosuite's hand, gripper and finger bodies (0.8 kg hand, 0.11 kg fingers,
# large rotational inertia: with the 12 Nm wrist limits it is what slows LIBERO's rotations).
_LINK_COM = [(0, 0, -0.07), (0, -0.1, 0), (0.04, 0, -0.05), (-0.04, 0.05, 0), (0, 0, -0.15),
             (0.06, 0, 0), (0, 0, 0.08)]
_LINK_MASS = [3.0, 3.0, 2.0, 2.0, 2.0, 1.5, 0.5]
_LINK_INERTIA = [0.3, 0.3, 0.2, 0.2, 0.2, 0.1, 0.05]
# The first port's inertials, kept for the "ik" controller (its servos were tuned on them).
_IK_LINK_MASS = [4.0, 4.0, 3.0, 3.0, 2.0, 2.0, 0.6]
# Servo gains per joint (position actuators) and joint damping.
_KP = [4500.0, 4500.0, 3500.0, 3500.0, 2000.0, 2000.0, 2000.0]
_DAMPING = [40.0, 40.0, 30.0, 30.0, 15.0, 15.0, 10.0]
_FORCE = [87.0, 87.0, 87.0, 87.0, 12.0, 12.0, 12.0]
# [Nm] arm torque limits of the OSC motors: robosuite 1.4's Panda (LIBERO's), 80 Nm on joints
# 1-5 and 12 Nm on joints 6-7 (the Panda datasheet says 87 / 12 Nm on joints 1-4 / 5-7).
TORQUE_LIMIT = np.array([80.0, 80.0, 80.0, 80.0, 80.0, 12.0, 12.0])
_OSC_DAMPING = [0.1, 0.1, 0.1, 0.1, 0.1, 0.01, 0.01]
# Rotor inertia reflected to each joint [kg m^2] as LIBERO's robosuite Panda (5 / joint number):
# large at the wrist, it is what (with the 12 Nm limits) slows full-action rotations to
# LIBERO's 4-6 degrees per step.
_OSC_ARMATURE = [5.0 / (i + 1) for i in range(7)]
# Visual capsules per link: (from, to) in the link frame.
_LINK_CAPSULES = [
    ((0, 0, -0.19), (0, 0, -0.03)),
    ((0, 0, -0.06), (0, -0.20, 0)),
    ((0, 0, -0.12), (0, 0, 0)),
    ((0, 0, 0), (-0.0825, 0.12, 0)),
    ((0, 0, -0.25), (0, 0, 0)),
    ((0, 0, -0.02), (0.088, 0, 0)),
    ((0, 0, -0.02), (0, 0, 0.08)),
]
_RADII = [0.06, 0.06, 0.055, 0.055, 0.05, 0.045, 0.04]


AIR_DENSITY = 1.2  # [kg/m^3] LIBERO's MuJoCo option
# LIBERO's hand bodies (robosuite 1.4 Panda hand, gripper, 2 fingers, 2 finger tips): mass [kg]
# and principal inertia [kg m^2] expressed along our hand frame's axes.
_LIBERO_HAND_BODIES = [
    (0.5, (0.05, 0.05, 0.05)), (0.3, (0.05, 0.09, 0.07)),
    (0.1, (0.01, 0.01, 0.005)), (0.1, (0.01, 0.01, 0.005)),
    (0.01, (0.01, 0.01, 0.01)), (0.01, (0.01, 0.01, 0.01)),
]


def _hand_drag_coefficients() -> tuple[np.ndarray, np.ndarray]:
    """Quadratic drag coefficients ``(linear [3], angular [3])`` of MuJoCo's inertia-box fluid
    model (density 1.2) summed over LIBERO's hand bodies: force ``-c_lin |v| v`` and torque
    ``-c_ang |w| w`` per hand-frame axis."""
    lin, ang = np.zeros(3), np.zeros(3)
    for mass, inertia in _LIBERO_HAND_BODIES:
        i = np.asarray(inertia)
        box = np.sqrt(6.0 * np.maximum(i.sum() - 2 * i, 1e-12) / mass)  # box edge lengths
        lin += 0.5 * AIR_DENSITY * np.array([box[1] * box[2], box[0] * box[2], box[0] * box[1]])
        ang += AIR_DENSITY / 64.0 * np.array([
            box[0] * (box[1] ** 4 + box[2] ** 4), box[1] * (box[0] ** 4 + box[2] ** 4),
            box[2] * (box[0] ** 4 + box[1] ** 4)])
    return lin, ang


HAND_DRAG_LIN, HAND_DRAG_ANG = _hand_drag_coefficients()


def hand_drag(rot: jax.Array, lin_vel: jax.Array, ang_vel: jax.Array) -> jax.Array:
    """Air-drag wrench ``[6]`` = (force, torque) in world axes on the hand.

    LIBERO's scenes set air density 1.2 and MuJoCo's inertia-box fluid model turns the
    gripper's finger tips (10 g with 0.01 kg m^2 of inertia) into ~2.4 m virtual boxes, so the
    hand meets a quadratic drag torque of ~7 Nm at 1 rad/s: with the 12 Nm wrist limit it caps
    LIBERO's full-action rotations at ~4-6 degrees per step. The port applies the same drag to
    its hand (and no fluid forces elsewhere, which are negligible).

    Args:
      rot: hand (= TCP) rotation ``[3, 3]``; lin_vel, ang_vel: TCP velocity ``[3]`` (world).
    """
    v, w = rot.T @ lin_vel, rot.T @ ang_vel
    force = rot @ (-jnp.asarray(HAND_DRAG_LIN) * jnp.abs(v) * v)
    torque = rot @ (-jnp.asarray(HAND_DRAG_ANG) * jnp.abs(w) * w)
    return jnp.concatenate([force, torque])


def _fmt3(v: tuple[float, float, float]) -> str:
    return " ".join(f"{x:g}" for x in v)


def _quat_x(angle: float) -> str:
    return f"{math.cos(angle / 2):.9f} {math.sin(angle / 2):.9f} 0 0"


def panda_mjcf(base_pos: tuple[float, float, float], finger_friction: float = 1.5,
               controller: str = "ik") -> str:
    """Returns the ``<body>`` XML of the Panda mounted at ``base_pos`` (world frame).

    The caller wraps it into a ``<worldbody>``; actuators come from :func:`panda_actuators`
    (same ``controller``).
    """
    x, y, z = base_pos
    ik = controller == "ik"
    gravcomp = ' gravcomp="1"' if ik else ""
    damping = _DAMPING if ik else _OSC_DAMPING
    armature = [0.1] * NUM_ARM_JOINTS if ik else _OSC_ARMATURE

    def inertial(i: int) -> str:
        if ik:
            return f'<inertial pos="0 0 0" mass="{_IK_LINK_MASS[i]}" diaginertia="0.02 0.02 0.01"/>'
        n = _LINK_INERTIA[i]
        return (f'<inertial pos="{_fmt3(_LINK_COM[i])}" mass="{_LINK_MASS[i]}" '
                f'diaginertia="{n} {n} {n}"/>')

    hand_inertial = ('<inertial pos="0 0 0.03" mass="0.73" diaginertia="0.003 0.0025 0.0017"/>'
                     if ik else
                     '<inertial pos="0 0 0.064" mass="0.8" diaginertia="0.105 0.145 0.12"/>')
    finger_inertial = ('<inertial pos="0 0 0.02" mass="0.05" diaginertia="1e-5 1e-5 1e-5"/>'
                       if ik else
                       '<inertial pos="0 0 0.05" mass="0.11" diaginertia="0.02 0.02 0.015"/>')
    parts = [
        f'<body name="link0" pos="{x} {y} {z}">',
        '<geom type="cylinder" size="0.07 0.05" pos="0 0 0.05" rgba="0.92 0.92 0.93 1" '
        'contype="0" conaffinity="0"/>',
    ]
    for i in range(NUM_ARM_JOINTS):
        px, py, pz = _LINK_POS[i]
        lo, hi = JOINT_LOWER[i], JOINT_UPPER[i]
        (a, b) = _LINK_CAPSULES[i]
        rgba = "0.92 0.92 0.93 1" if i % 2 == 0 else "0.25 0.25 0.27 1"
        parts.append(
            f'<body name="link{i + 1}" pos="{px} {py} {pz}" quat="{_quat_x(_LINK_XROT[i])}"'
            f'{gravcomp}>'
            f'{inertial(i)}'
            f'<joint name="joint{i + 1}" type="hinge" axis="0 0 1" range="{lo} {hi}" '
            f'damping="{damping[i]}" armature="{armature[i]:.6g}"/>'
            f'<geom name="link{i + 1}_geom" type="capsule" '
            f'fromto="{a[0]} {a[1]} {a[2]} {b[0]} {b[1]} {b[2]}" '
            f'size="{_RADII[i]}" rgba="{rgba}" contype="0" conaffinity="0"/>'
        )
    c, s = math.cos(-math.pi / 8), math.sin(-math.pi / 8)
    pad = (
        'type="box" size="0.009 0.004 0.018" pos="0 {y} 0.036" rgba="0.2 0.2 0.2 1" '
        f'friction="{finger_friction} 0.02 0.001" contype="0" conaffinity="0" '
        'solref="0.01 1" solimp="0.95 0.99 0.001" condim="4"'
    )
    parts.append(
        f'<body name="hand" pos="0 0 {FLANGE}" quat="{c:.9f} 0 0 {s:.9f}"{gravcomp}>'
        f'{hand_inertial}'
        '<geom name="hand_geom" type="box" size="0.02 0.095 0.03" pos="0 0 0.03" '
        'rgba="0.92 0.92 0.93 1" '
        'contype="0" conaffinity="0"/>'
        f'<site name="tcp" pos="0 0 {HAND_TO_TCP}" size="0.005" rgba="1 0 0 0"/>'
        f'<body name="left_finger" pos="0 0 0.0584"{gravcomp}>'
        f'{finger_inertial}'
        '<joint name="finger_left" type="slide" axis="0 1 0" range="0 0.04" damping="10" '
        'armature="0.01"/>'
        '<geom name="left_finger_geom" type="box" size="0.01 0.006 0.02" pos="0 0.006 0.01" '
        'rgba="0.85 0.85 0.86 1" '
        'contype="0" conaffinity="0"/>'
        f'<geom name="left_pad" {pad.format(y=0.004)}/>'
        "</body>"
        f'<body name="right_finger" pos="0 0 0.0584"{gravcomp}>'
        f'{finger_inertial}'
        '<joint name="finger_right" type="slide" axis="0 -1 0" range="0 0.04" damping="10" '
        'armature="0.01"/>'
        '<geom name="right_finger_geom" type="box" size="0.01 0.006 0.02" pos="0 -0.006 0.01" '
        'rgba="0.85 0.85 0.86 1" '
        'contype="0" conaffinity="0"/>'
        f'<geom name="right_pad" {pad.format(y=-0.004)}/>'
        "</body>"
        '<camera name="wrist" pos="0.05 0 0.0" quat="0 0.7071068 0.7071068 0" fovy="75"/>'
        "</body>"
    )
    parts.append("</body>" * (NUM_ARM_JOINTS + 1))
    return "".join(parts)


# Robot geoms that touch the scene with ``contacts="full"`` (besides the finger pads): the hand,
# the finger bodies and the wrist / forearm links.
CONTACT_GEOMS = ("hand_geom", "left_finger_geom", "right_finger_geom", "link7_geom",
                 "link6_geom", "link5_geom")


def panda_actuators(finger_force: float = 40.0, controller: str = "ik") -> str:
    """Returns the ``<actuator>`` children: 7 arm actuators (torque motors for ``"osc"``,
    joint position servos for ``"ik"``) and 2 finger position servos."""
    acts = []
    for i in range(NUM_ARM_JOINTS):
        kp, f = _KP[i], _FORCE[i]
        lo, hi = JOINT_LOWER[i], JOINT_UPPER[i]
        if controller == "ik":
            acts.append(
                f'<position name="act{i + 1}" joint="joint{i + 1}" kp="{kp}" '
                f'ctrlrange="{lo} {hi}" forcerange="{-f * 3} {f * 3}"/>'
            )
        else:
            lim = TORQUE_LIMIT[i]
            acts.append(
                f'<motor name="act{i + 1}" joint="joint{i + 1}" ctrlrange="{-lim} {lim}"/>'
            )
    for side in ("left", "right"):
        acts.append(
            f'<position name="act_finger_{side}" joint="finger_{side}" kp="800" kv="20" '
            f'ctrlrange="0 0.04" forcerange="{-finger_force} {finger_force}"/>'
        )
    return "".join(acts)


def _rot_x(a: float) -> np.ndarray:
    c, s = math.cos(a), math.sin(a)
    return np.array([[1, 0, 0], [0, c, -s], [0, s, c]])


_STATIC_ROT = np.stack([_rot_x(a) for a in _LINK_XROT])  # [7, 3, 3]
_STATIC_POS = np.array(_LINK_POS)  # [7, 3]
_HAND_ROT = np.array(
    [[math.cos(-math.pi / 4), -math.sin(-math.pi / 4), 0],
     [math.sin(-math.pi / 4), math.cos(-math.pi / 4), 0],
     [0, 0, 1]]
)


def fk_frames(q: jax.Array) -> tuple[jax.Array, jax.Array, jax.Array, jax.Array]:
    """TCP pose plus every joint's origin and axis, relative to the robot base.

    Args:
      q: arm joint angles ``[7]``.

    Returns:
      ``pos [3]``, ``rot [3, 3]`` of the ``tcp`` site, joint ``origins [7, 3]`` and unit
      joint ``axes [7, 3]``, all in the base frame.
    """
    rot = jnp.eye(3)
    pos = jnp.zeros(3)
    origins, axes = [], []
    for i in range(NUM_ARM_JOINTS):
        pos = pos + rot @ _STATIC_POS[i]
        rot = rot @ _STATIC_ROT[i]
        origins.append(pos)
        axes.append(rot[:, 2])
        c, s = jnp.cos(q[i]), jnp.sin(q[i])
        rz = jnp.array([[c, -s, 0.0], [s, c, 0.0], [0.0, 0.0, 1.0]])
        rot = rot @ rz
    pos = pos + rot @ jnp.array([0.0, 0.0, FLANGE])
    rot = rot @ _HAND_ROT
    pos = pos + rot @ jnp.array([0.0, 0.0, HAND_TO_TCP])
    return pos, rot, jnp.stack(origins), jnp.stack(axes)


def fk(q: jax.Array) -> tuple[jax.Array, jax.Array]:
    """Tool-centre-point pose ``(pos [3], rot [3, 3])`` relative to the robot base; ``q [7]``."""
    pos, rot, _, _ = fk_frames(q)
    return pos, rot
