"""MJX vs C MuJoCo: same MJCF, same control sequence -> same end-effector path.

Under the OSC controller (torques recomputed every substep from each simulator's own mass
matrix and bias forces) the two agree to well under a millimetre in free space
(``TOLERANCE_M``). In contact (the fingers pressed onto and dragged along the table) the
different contact solvers (MJX's pyramidal-cone CG vs C MuJoCo's) let the paths drift apart by
up to ``CONTACT_TOLERANCE_M``.
"""

import envs_mjx  # noqa: F401
import mujoco
import numpy as np
import pytest

from envs_mjx.env import EnvConfig, LiberoEnv
from envs_mjx.parity import c_mujoco_rollout, mjx_rollout

TOLERANCE_M = 0.001  # max end-effector deviation over 50 control steps (2.5 s), free space
CONTACT_TOLERANCE_M = 0.01  # the same, fingers pressed onto and dragged along the table


@pytest.mark.parametrize("controller", ["osc", pytest.param("ik", marks=pytest.mark.slow)])
def test_free_space_motion_matches_c_mujoco(controller):
    cfg = EnvConfig.libero() if controller == "osc" else EnvConfig.for_dynamics("ik")
    env = LiberoEnv("libero_10/9", cfg)
    t = np.arange(50) * 0.05
    actions = np.zeros((50, 7), np.float32)
    actions[:, 0] = 0.4 * np.sin(2 * np.pi * 0.4 * t)
    actions[:, 1] = -0.5 * np.cos(2 * np.pi * 0.3 * t)
    actions[:, 2] = 0.3 * np.sin(2 * np.pi * 0.5 * t) + 0.05  # stays clear of the table
    actions[:, 5] = 0.3 * np.sin(2 * np.pi * 0.2 * t)
    actions[:, 6] = np.where(t > 1.2, 1.0, -1.0)  # close the gripper mid-way
    ee_c = c_mujoco_rollout(env, 0, actions)
    ee_x = mjx_rollout(env, 0, actions)
    assert np.linalg.norm(ee_c - ee_c[0], axis=-1).max() > 0.08  # it really moved (~11 cm)
    err = np.linalg.norm(ee_c - ee_x, axis=-1)
    assert err.max() < TOLERANCE_M, f"max EE deviation {err.max() * 1000:.2f} mm"


@pytest.mark.slow
def test_contact_motion_stays_close_to_c_mujoco():
    """Press the open gripper onto the table (libero_10/2, clear of objects), then drag it."""
    env = LiberoEnv("libero_10/2", EnvConfig.libero())
    actions = np.zeros((40, 7), np.float32)
    actions[:, 6] = -1.0
    actions[:20, 2] = -1.0            # down onto the table and keep pushing
    actions[20:, 2] = -0.3            # keep pressing while dragging sideways
    actions[20:, 1] = 0.6
    ee_c = c_mujoco_rollout(env, 0, actions)
    ee_x = mjx_rollout(env, 0, actions)
    tz = env.task.scene.table_z
    assert ee_c[19, 2] < tz + 0.03 and ee_x[19, 2] < tz + 0.03   # both really touch the table
    err = np.linalg.norm(ee_c - ee_x, axis=-1)
    assert err.max() < CONTACT_TOLERANCE_M, f"max EE deviation {err.max() * 1000:.1f} mm"


def test_c_mujoco_expert_rollout_returns_the_tcp_path():
    """``return_path``: the TCP path [steps + 1, 3], row 0 at the initial state (C MuJoCo forward
    of ``init_qpos``), the same episode as without it (a 5-step cap: seconds, no MJX compile)."""
    from envs_mjx.parity import c_mujoco_expert_rollout

    env = LiberoEnv("libero_object/1", EnvConfig.libero())
    ok, steps, stage, path = c_mujoco_expert_rollout(env, 0, 5, return_path=True)
    assert (ok, steps, stage) == c_mujoco_expert_rollout(env, 0, 5)
    assert not ok and steps == 5 and path.shape == (6, 3)
    d = mujoco.MjData(env.mj_model)
    d.qpos[:] = env.init_qpos[0]
    mujoco.mj_forward(env.mj_model, d)
    np.testing.assert_allclose(path[0], d.site_xpos[env.tcp_site])
    assert np.linalg.norm(np.diff(path, axis=0), axis=1).max() > 1e-4  # the expert moves the hand
