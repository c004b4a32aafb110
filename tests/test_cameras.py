"""The port's cameras are LIBERO's: ``agentview`` per arena and the wrist camera.

Reference numbers are written out from LIBERO 0.1.1 and robosuite 1.4 (not read from the port):
each LIBERO problem class sets its agentview in ``_setup_camera``
(``libero/envs/problems/libero_*_manipulation.py``) and gives no field of view, so MuJoCo's
default 45 deg applies; robosuite's Panda carries ``eye_in_hand`` in its ``right_hand`` body
(``robots/panda/robot.xml``: the body at (0, 0, 0.1065) in link7, quat (0.924, 0, 0, -0.383);
the camera at (0.05, 0, 0) in it, quat (0, 0.707108, 0.707108, 0), fovy 75).
"""

import math

import mujoco
import numpy as np
import pytest

from envs_mjx import libero_data
from envs_mjx.registry import all_tasks, get_task
from envs_mjx.scene import build_mjcf

_Q_HIGH = (0.6380177736282349, 0.3048497438430786, 0.30484986305236816, 0.6380177736282349)
_Q_LOW = (0.6182166934013367, 0.3432307541370392, 0.3432314395904541, 0.6182177066802979)
LIBERO_AGENTVIEW = {
    "LIBERO_Tabletop_Manipulation": ((0.6586131746834771, 0.0, 1.6103500240372423), _Q_HIGH),
    "LIBERO_Kitchen_Tabletop_Manipulation": ((0.6586131746834771, 0.0, 1.6103500240372423),
                                             _Q_HIGH),
    "LIBERO_Living_Room_Tabletop_Manipulation": ((0.6065773716836134, 0.0, 0.96), _Q_LOW),
    "LIBERO_Study_Tabletop_Manipulation": ((0.4586131746834771, 0.0, 1.6103500240372423),
                                           _Q_HIGH),
    "LIBERO_Floor_Manipulation": ((0.8965773716836134, 5.216182733499864e-07, 0.65), _Q_LOW),
}
# one task per LIBERO problem class (compiled: the camera as MuJoCo sees it)
_ONE_PER_CLASS = ("libero_spatial/0", "libero_10/2", "libero_10/0", "libero_10/5",
                  "libero_object/0")


def _quat_mat(q) -> np.ndarray:
    m = np.zeros(9)
    mujoco.mju_quat2Mat(m, np.asarray(q, float) / np.linalg.norm(q))
    return m.reshape(3, 3)


def test_every_task_uses_its_problem_class_agentview():
    for t in all_tasks():
        pos, quat = LIBERO_AGENTVIEW[libero_data.task_data(t.key).problem_class]
        np.testing.assert_allclose(t.scene.agentview_pos, pos, atol=1e-9, err_msg=t.key)
        np.testing.assert_allclose(t.scene.agentview_quat, quat, atol=1e-9, err_msg=t.key)


@pytest.mark.parametrize("key", _ONE_PER_CLASS)
def test_compiled_agentview_is_liberos(key):
    """Position within 0.1 mm, orientation within 0.01 deg, fovy 45 (MuJoCo's default)."""
    t = get_task(key)
    pos, quat = LIBERO_AGENTVIEW[libero_data.task_data(key).problem_class]
    m = mujoco.MjModel.from_xml_string(build_mjcf(t.scene))
    d = mujoco.MjData(m)
    mujoco.mj_kinematics(m, d)
    mujoco.mj_camlight(m, d)
    cam = d.camera("agentview")
    assert m.cam_bodyid[cam.id] == 0  # fixed in the world
    np.testing.assert_allclose(cam.xpos, pos, atol=1e-4)
    rel = cam.xmat.reshape(3, 3).T @ _quat_mat(quat)
    assert math.degrees(math.acos(np.clip((np.trace(rel) - 1) / 2, -1, 1))) < 0.01
    assert m.cam_fovy[cam.id] == pytest.approx(45.0)
    # it looks down at the workspace, toward the robot (-x), image up tilted toward -x
    forward, up = -cam.xmat.reshape(3, 3)[:, 2], cam.xmat.reshape(3, 3)[:, 1]
    assert forward[0] < -0.5 and forward[2] < -0.3 and up[0] < 0 and abs(forward[1]) < 1e-6


def test_wrist_camera_is_robosuites_eye_in_hand():
    """The wrist camera's pose in link7's frame equals robosuite's ``eye_in_hand`` within 1 mm
    (the port's hand body sits 0.5 mm further along link7's z than robosuite's right_hand)
    and 0.05 deg (robosuite's hand quat, rounded to 3 digits, turns 45.03 deg, the port's
    exactly 45); fovy 75."""
    m = mujoco.MjModel.from_xml_string(build_mjcf(get_task("libero_10/2").scene))
    d = mujoco.MjData(m)
    d.qpos[:7] = (0.1, -0.3, 0.2, -2.2, 0.3, 2.0, 0.5)  # any arm pose
    mujoco.mj_kinematics(m, d)
    mujoco.mj_camlight(m, d)
    cam, link7 = d.camera("wrist"), d.body("link7")
    r7 = link7.xmat.reshape(3, 3)
    rel_pos = r7.T @ (cam.xpos - link7.xpos)
    rel_rot = r7.T @ cam.xmat.reshape(3, 3)
    hand_pos, hand_rot = np.array([0.0, 0.0, 0.1065]), _quat_mat((0.924, 0.0, 0.0, -0.383))
    want_pos = hand_pos + hand_rot @ np.array([0.05, 0.0, 0.0])
    want_rot = hand_rot @ _quat_mat((0.0, 0.707108, 0.707108, 0.0))
    np.testing.assert_allclose(rel_pos, want_pos, atol=1e-3)
    err = rel_rot.T @ want_rot
    assert math.degrees(math.acos(np.clip((np.trace(err) - 1) / 2, -1, 1))) < 0.05
    assert m.cam_fovy[cam.id] == pytest.approx(75.0)


def test_stove_burner_glows_only_while_the_stove_is_on():
    """libero_10/2 (the stove starts off): LIBERO's red burner disc appears in agentview when
    the knob reaches the turn-on threshold (0.5 rad, the ``turnon`` predicate's) and not
    before."""
    import jax

    from envs_mjx.predicates import JOINT_THRESHOLDS
    from envs_mjx.renderer import Renderer, RenderConfig

    t = get_task("libero_10/2")
    lit = t.scene.lit_geoms()
    assert [(j, th) for _, j, th, _ in lit] == [("stove_knob", JOINT_THRESHOLDS["knob"]["turnon"][1])]
    m = mujoco.MjModel.from_xml_string(build_mjcf(t.scene))
    d = mujoco.MjData(m)
    mujoco.mj_forward(m, d)
    r = Renderer(m, RenderConfig(width=48, height=48, cameras=("agentview",)), lit)
    render = jax.jit(r.render)
    adr = m.jnt_qposadr[m.joint("stove_knob").id]

    def red_pixels(knob: float) -> int:
        q = d.qpos.copy()
        q[adr] = knob
        img = np.asarray(render(d.geom_xpos, d.geom_xmat, d.cam_xpos, d.cam_xmat, q))[0]
        img = img.astype(int)
        return int(((img[..., 0] > 80) & (img[..., 0] > 3 * img[..., 1:].max(-1))).sum())

    off, below, on = red_pixels(0.0), red_pixels(0.49), red_pixels(0.5)
    assert off == below and on > off + 10, (off, below, on)


# where LIBERO's robot0_link0 stands per problem class (LIBERO 0.1.1: the robot's
# base_xpos_offset for the arena, plus the mount's 0.912 m on the tables)
LIBERO_LINK0 = {
    "LIBERO_Tabletop_Manipulation": (-0.66, 0.0, 0.912),
    "LIBERO_Kitchen_Tabletop_Manipulation": (-0.66, 0.0, 0.912),
    "LIBERO_Living_Room_Tabletop_Manipulation": (-0.51, 0.0, 0.42),
    "LIBERO_Study_Tabletop_Manipulation": (-0.75, 0.0, 0.912),
    "LIBERO_Floor_Manipulation": (-0.6, 0.0, 0.0),
}


@pytest.mark.parametrize("key", _ONE_PER_CLASS)
def test_arm_stands_where_liberos_does(key):
    t = get_task(key)
    want = LIBERO_LINK0[libero_data.task_data(key).problem_class]
    m = mujoco.MjModel.from_xml_string(build_mjcf(t.scene))
    d = mujoco.MjData(m)
    mujoco.mj_kinematics(m, d)
    np.testing.assert_allclose(d.body("link0").xpos, want, atol=1e-6)
    for other in all_tasks():
        if libero_data.task_data(other.key).problem_class == \
                libero_data.task_data(key).problem_class:
            np.testing.assert_allclose(other.scene.robot_base, want, atol=1e-9, err_msg=other.key)
