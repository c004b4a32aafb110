"""MJX vs C MuJoCo: same MJCF, same control sequence -> same end-effector path.

In free space the two agree to well under a millimetre. Once the finger pads slide on the table
the paths diverge by 1-2 cm within a few steps (different contact solvers: MJX's pyramidal-cone
CG vs C MuJoCo's), which BENCHMARKS.md documents.
"""

import envs_mjx  # noqa: F401
import numpy as np

from envs_mjx.env import LiberoEnv
from envs_mjx.parity import c_mujoco_rollout, mjx_rollout

TOLERANCE_M = 0.001  # max end-effector deviation over 50 control steps (2.5 s), free space


def test_free_space_motion_matches_c_mujoco():
    env = LiberoEnv("libero_10/9")
    t = np.arange(50) * 0.05
    actions = np.zeros((50, 7), np.float32)
    actions[:, 0] = 0.4 * np.sin(2 * np.pi * 0.4 * t)
    actions[:, 1] = -0.5 * np.cos(2 * np.pi * 0.3 * t)
    actions[:, 2] = 0.3 * np.sin(2 * np.pi * 0.5 * t) + 0.05  # stays clear of the table
    actions[:, 5] = 0.3 * np.sin(2 * np.pi * 0.2 * t)
    actions[:, 6] = np.where(t > 1.2, 1.0, -1.0)  # close the gripper mid-way
    ee_c = c_mujoco_rollout(env, 0, actions)
    ee_x = mjx_rollout(env, 0, actions)
    assert np.linalg.norm(ee_c[-1] - ee_c[0]) > 0.1  # it really moved
    err = np.linalg.norm(ee_c - ee_x, axis=-1)
    assert err.max() < TOLERANCE_M, f"max EE deviation {err.max() * 1000:.2f} mm"
