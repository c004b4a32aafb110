"""Physics parity: the same MJCF and action sequence in MJX and in C MuJoCo.

``c_mujoco_rollout(env, init_index, actions)`` replays LIBERO-style delta actions through the
same controller with ``mujoco.mj_step`` (the JAX controller functions evaluated on host, on
C MuJoCo's mass matrix and bias forces for OSC) and returns the executed end-effector path, so
it can be compared with the MJX rollout of ``env.step``. ``c_mujoco_expert_rollout(env,
init_index)`` runs the scripted expert there (one episode's success without compiling MJX).
"""

from __future__ import annotations

import jax
import jax.numpy as jnp
import mujoco
import numpy as np

from envs_mjx import controller as ctrl_lib
from envs_mjx import panda
from envs_mjx.env import LiberoEnv


class _CSim:
    """C MuJoCo twin of ``env.step``: the same MJCF, the env's controller functions evaluated
    on host (OSC on C MuJoCo's mass matrix and bias forces at every substep), the hand's drag."""

    def __init__(self, env: LiberoEnv, init_index: int):
        self.env = env
        m = self.m = env.mj_model
        d = self.d = mujoco.MjData(m)
        cfg = self.cfg = env.config.controller
        d.qpos[:] = env.init_qpos[init_index]
        d.ctrl[:7] = d.qpos[env.arm_qadr] if cfg.kind == "ik" else 0.0
        d.ctrl[7:9] = panda.FINGER_OPEN
        mujoco.mj_forward(m, d)
        self.ik = jax.jit(lambda q, a: ctrl_lib.ik_targets(q, a, cfg))
        self.grip = jax.jit(ctrl_lib.gripper_target)
        self.goal = jax.jit(lambda q, r, a: ctrl_lib.goal_pose(
            panda.fk(q)[0] + env.base_pos, panda.fk(q)[1], r, a, cfg))

        def osc_and_drag(q, qd, mass, bias, goal_pos, goal_rot, base):
            _, rot, jac = ctrl_lib.tcp_jacobian(q)
            vel = jac @ qd
            return (ctrl_lib.osc_torques(q, qd, mass, bias, goal_pos, goal_rot, base, cfg),
                    panda.hand_drag(rot, vel[:3], vel[3:]))

        self.osc = jax.jit(osc_and_drag)
        self.full = np.zeros((m.nv, m.nv))
        self.goal_rot = d.site_xmat[env.tcp_site].reshape(3, 3).copy()

    def step(self, action: np.ndarray) -> None:
        """One control step with ``action [7]`` (clipped to [-1, 1])."""
        env, m, d = self.env, self.m, self.d
        a = jnp.asarray(np.clip(action, -1, 1), jnp.float32)
        q = jnp.asarray(d.qpos[env.arm_qadr])
        d.ctrl[7:9] = float(self.grip(a))
        if self.cfg.kind == "ik":
            d.ctrl[:7] = np.asarray(self.ik(q, a))
        else:
            goal_pos, self.goal_rot = self.goal(q, self.goal_rot, a)
        dof = env.arm_dofadr
        for _ in range(env.config.substeps):
            if self.cfg.kind != "ik":
                mujoco.mj_fullM(m, d, self.full)
                tau, drag = self.osc(d.qpos[env.arm_qadr], d.qvel[dof],
                                     self.full[np.ix_(dof, dof)], d.qfrc_bias[dof], goal_pos,
                                     self.goal_rot, env.base_pos)
                d.ctrl[:7] = np.asarray(tau)
                d.xfrc_applied[env.hand_body] = np.asarray(drag)
            mujoco.mj_step(m, d)


def c_mujoco_rollout(env: LiberoEnv, init_index: int, actions: np.ndarray,
                     return_rot: bool = False):
    """End-effector positions ``[T, 3]`` after each of ``actions [T, 7]`` in C MuJoCo (and,
    with ``return_rot``, the rotations ``[T, 3, 3]``)."""
    sim = _CSim(env, init_index)
    out = np.zeros((len(actions), 3))
    rots = np.zeros((len(actions), 3, 3))
    for t, a in enumerate(actions):
        sim.step(a)
        out[t] = sim.d.site_xpos[env.tcp_site]
        rots[t] = sim.d.site_xmat[env.tcp_site].reshape(3, 3)
    return (out, rots) if return_rot else out


def c_mujoco_expert_rollout(env: LiberoEnv, init_index: int, max_steps: int | None = None,
                            return_path: bool = False):
    """The scripted expert (:class:`envs_mjx.expert.ScriptedExpert`) driving C MuJoCo from
    initial state ``init_index`` until the task's goal holds (checked after every step, as
    ``env.step`` does) or ``max_steps`` (default: the env's limit). A compile-free twin of
    :func:`envs_mjx.expert.run_expert_batch` for tracing one episode (seconds instead of the
    minutes an MJX scene under full contacts takes to compile).

    Returns ``(success, steps, stage)``: whether the goal held, the steps taken, the expert's
    stage at the end; with ``return_path`` also the TCP path ``[steps + 1, 3]`` (row 0 at the
    initial state, row t after step t).
    """
    from mujoco import mjx

    from envs_mjx.expert import ExpertInputs, ScriptedExpert

    sim = _CSim(env, init_index)
    expert = ScriptedExpert(env)
    ids = np.asarray(expert.ref_body_ids)
    d = sim.d

    def inputs() -> ExpertInputs:
        return ExpertInputs(
            tcp_pos=jnp.asarray(d.site_xpos[env.tcp_site]),
            tcp_rot=jnp.asarray(d.site_xmat[env.tcp_site].reshape(3, 3)),
            body_pos=jnp.asarray(d.xpos[ids]), body_rot=jnp.asarray(d.xmat[ids].reshape(-1, 3, 3)))

    act = jax.jit(expert.act_inputs)
    goal = jax.jit(lambda data: jnp.all(env._goal(data)))
    es = jax.jit(expert.init_inputs)(inputs())
    limit = max_steps or env.max_steps
    path = [d.site_xpos[env.tcp_site].copy()]
    success, steps = False, limit
    for t in range(limit):
        a, es = act(es, inputs())
        sim.step(np.asarray(a))
        path.append(d.site_xpos[env.tcp_site].copy())
        if bool(goal(mjx.put_data(sim.m, d))):
            success, steps = True, t + 1
            break
    out = (success, steps, int(es.stage))
    return (*out, np.stack(path)) if return_path else out


def mjx_rollout(env: LiberoEnv, init_index: int, actions: np.ndarray) -> np.ndarray:
    """End-effector positions ``[T, 3]`` after each of ``actions [T, 7]`` in MJX."""

    def run(acts):
        st = env.reset(jax.random.PRNGKey(0), init_index)
        _, ee = jax.lax.scan(lambda s, a: (env.step(s, a),) * 2, st, acts)
        return ee.ee_pos

    return np.asarray(jax.jit(run)(jnp.asarray(actions, jnp.float32)))


SETTLE_STEPS = 10  # LIBERO's evaluation starts with 10 no-op steps ([0]*6 + [-1])


def response_rollout(env: LiberoEnv, actions: np.ndarray, init_index: int = 0,
                     simulator: str = "mjx") -> tuple[np.ndarray, np.ndarray]:
    """TCP pose before and after each of ``actions [T, 7]``, starting after
    :data:`SETTLE_STEPS` no-op steps as LIBERO's reference recordings do.

    Returns ``(pos [T + 1, 3], rot [T + 1, 3, 3])`` (row 0 = before the first action), from
    MJX (``simulator="mjx"``) or C MuJoCo (``"c"``).
    """
    noop = np.zeros((SETTLE_STEPS, 7), np.float32)
    noop[:, 6] = -1.0
    acts = np.concatenate([noop, np.asarray(actions, np.float32)])
    if simulator == "c":
        pos, rot = c_mujoco_rollout(env, init_index, acts, return_rot=True)
    else:
        def run(a):
            st = env.reset(jax.random.PRNGKey(0), init_index)
            _, out = jax.lax.scan(lambda s, x: (lambda n: (n, (n.ee_pos, n.ee_rot)))(
                env.step(s, x)), st, a)
            return out

        pos, rot = (np.asarray(x) for x in jax.jit(run)(jnp.asarray(acts)))
    return pos[SETTLE_STEPS - 1:], rot[SETTLE_STEPS - 1:]


def per_step_motion(pos: np.ndarray, rot: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Per-step displacement [m] and rotation angle [rad] ``([T], [T])`` of a pose path
    ``pos [T + 1, 3]``, ``rot [T + 1, 3, 3]`` (or ``[T + 1, 9]``)."""
    rot = np.asarray(rot).reshape(-1, 3, 3)
    dist = np.linalg.norm(np.diff(pos, axis=0), axis=-1)
    rel = np.einsum("tij,tkj->tik", rot[1:], rot[:-1])
    cos = np.clip((np.trace(rel, axis1=1, axis2=2) - 1.0) / 2.0, -1.0, 1.0)
    return dist, np.arccos(cos)
