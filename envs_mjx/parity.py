"""Physics parity: the same MJCF and action sequence in MJX and in C MuJoCo.

``c_mujoco_rollout(env, init_index, actions)`` replays LIBERO-style delta actions through the
same controller (JAX IK evaluated on host) with ``mujoco.mj_step``, and returns the executed
end-effector path, so it can be compared with the MJX rollout of ``env.step``.
"""

from __future__ import annotations

import jax
import jax.numpy as jnp
import mujoco
import numpy as np

from envs_mjx import controller as ctrl_lib
from envs_mjx.env import LiberoEnv


def c_mujoco_rollout(env: LiberoEnv, init_index: int, actions: np.ndarray) -> np.ndarray:
    """End-effector positions ``[T, 3]`` after each of ``actions [T, 7]`` in C MuJoCo."""
    m = env.mj_model
    d = mujoco.MjData(m)
    d.qpos[:] = env.init_qpos[init_index]
    d.ctrl[:7] = d.qpos[env.arm_qadr]
    d.ctrl[7:9] = 0.04
    mujoco.mj_forward(m, d)
    ik = jax.jit(lambda q, a: (ctrl_lib.ik_targets(q, a, env.config.controller),
                               ctrl_lib.gripper_target(a)))
    out = np.zeros((len(actions), 3))
    for t, a in enumerate(np.clip(actions, -1, 1)):
        q_t, g = ik(jnp.asarray(d.qpos[env.arm_qadr]), jnp.asarray(a, jnp.float32))
        d.ctrl[:7] = np.asarray(q_t)
        d.ctrl[7:9] = float(g)
        for _ in range(env.config.substeps):
            mujoco.mj_step(m, d)
        out[t] = d.site_xpos[env.tcp_site]
    return out


def mjx_rollout(env: LiberoEnv, init_index: int, actions: np.ndarray) -> np.ndarray:
    """End-effector positions ``[T, 3]`` after each of ``actions [T, 7]`` in MJX."""

    def run(acts):
        st = env.reset(jax.random.PRNGKey(0), init_index)
        _, ee = jax.lax.scan(lambda s, a: (env.step(s, a),) * 2, st, acts)
        return ee.ee_pos

    return np.asarray(jax.jit(run)(jnp.asarray(actions, jnp.float32)))
