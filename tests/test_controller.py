"""Panda kinematics and the delta-pose controller."""

import envs_mjx  # noqa: F401
import jax.numpy as jnp
import mujoco
import numpy as np
import pytest

from envs_mjx import controller as C
from envs_mjx import panda


def _model():
    xml = (
        '<mujoco><compiler angle="radian" autolimits="true"/><worldbody>'
        f"{panda.panda_mjcf((0.0, 0.0, 0.0))}</worldbody>"
        f"<actuator>{panda.panda_actuators()}</actuator></mujoco>"
    )
    return mujoco.MjModel.from_xml_string(xml)


def test_fk_matches_mujoco():
    m = _model()
    d = mujoco.MjData(m)
    rng = np.random.default_rng(0)
    for _ in range(5):
        q = rng.uniform(panda.JOINT_LOWER, panda.JOINT_UPPER)
        d.qpos[:7] = q
        mujoco.mj_forward(m, d)
        pos, rot = panda.fk(jnp.asarray(q))
        np.testing.assert_allclose(pos, d.site_xpos[m.site("tcp").id], atol=1e-5)
        np.testing.assert_allclose(np.asarray(rot).ravel(), d.site_xmat[m.site("tcp").id],
                                   atol=1e-5)


def test_init_pose_points_down():
    _, rot = panda.fk(jnp.asarray(panda.INIT_QPOS))
    assert float(rot[2, 2]) < -0.99  # tool z axis points at the table


@pytest.mark.parametrize("action", [
    [1, 0, 0, 0, 0, 0, -1], [0, -1, 0, 0, 0, 0, 1], [0, 0, -1, 0, 0, 0, 0],
    [0, 0, 0, 0, 0, 1, -1], [0.3, -0.5, 0.2, 0.1, -0.2, 0.4, 0],
])
def test_ik_realises_delta_pose(action):
    a = jnp.asarray(action, jnp.float32)
    q = jnp.asarray(panda.INIT_QPOS)
    p0, r0 = panda.fk(q)
    qt = C.ik_targets(q, a)
    p, r = panda.fk(qt)
    np.testing.assert_allclose(p, p0 + 0.05 * a[:3], atol=1e-3)
    want = C.axis_angle_to_matrix(0.5 * a[3:6]) @ r0
    assert float(jnp.linalg.norm(C.matrix_to_axis_angle(want @ r.T))) < 2e-3
    assert np.all(np.asarray(qt) >= panda.JOINT_LOWER - 1e-6)
    assert np.all(np.asarray(qt) <= panda.JOINT_UPPER + 1e-6)


def test_actions_are_clipped_to_unit_box():
    q = jnp.asarray(panda.INIT_QPOS)
    big = C.ik_targets(q, jnp.array([5.0, 0, 0, 0, 0, 0, 0]))
    one = C.ik_targets(q, jnp.array([1.0, 0, 0, 0, 0, 0, 0]))
    np.testing.assert_allclose(big, one, atol=1e-6)


def test_gripper_mapping():
    assert float(C.gripper_target(jnp.array([0, 0, 0, 0, 0, 0, -1.0]))) == pytest.approx(0.04)
    assert float(C.gripper_target(jnp.array([0, 0, 0, 0, 0, 0, 1.0]))) == pytest.approx(0.0)


def test_axis_angle_round_trip():
    rng = np.random.default_rng(1)
    for _ in range(10):
        r = rng.normal(size=3)
        r = r / np.linalg.norm(r) * rng.uniform(0, 3.0)
        back = C.matrix_to_axis_angle(C.axis_angle_to_matrix(jnp.asarray(r)))
        np.testing.assert_allclose(back, r, atol=1e-4)
    np.testing.assert_allclose(C.matrix_to_axis_angle(jnp.eye(3)), 0.0, atol=1e-6)


def test_proprio_rotation_is_continuous_around_the_home_grasp_pose():
    """The home TCP pose is a rotation by pi, where plain axis-angle flips sign; the proprio
    feature (relative to TCP_DOWN) is 0 there and moves smoothly with small tilts/yaws."""
    down = jnp.asarray(C.TCP_DOWN)
    np.testing.assert_allclose(C.tcp_rotation_features(down), 0.0, atol=1e-6)
    feats, plain = [], []
    for eps in (-0.02, -0.01, 0.01, 0.02):
        for axis in np.eye(3):
            r = C.axis_angle_to_matrix(jnp.asarray(eps * axis)) @ down  # world-frame tilt
            f = np.asarray(C.tcp_rotation_features(r))
            np.testing.assert_allclose(np.linalg.norm(f), abs(eps), atol=1e-4)
            feats.append(f)
            plain.append(np.asarray(C.matrix_to_axis_angle(r)))
    spread = lambda xs: max(np.abs(a - b).max() for a in xs for b in xs)
    assert spread(feats) < 0.05            # all within a few hundredths of 0
    assert spread(plain) > 3.0             # the plain axis-angle jumps across +-pi (the bug)


def test_servo_holds_initial_pose_under_gravity():
    m = _model()
    d = mujoco.MjData(m)
    d.qpos[:7] = panda.INIT_QPOS
    d.ctrl[:7] = panda.INIT_QPOS
    d.ctrl[7:] = 0.04
    mujoco.mj_forward(m, d)
    p0 = d.site_xpos[m.site("tcp").id].copy()
    for _ in range(400):
        mujoco.mj_step(m, d)
    assert np.linalg.norm(d.site_xpos[m.site("tcp").id] - p0) < 1e-3
