"""Scripted experts: a pure-JAX waypoint state machine over a task's :class:`Stage` plan.

Each stage's target is ``ref_body_pos + offset`` (captured when the stage starts) with an
optional absolute z, a gripper command and a gripper yaw. Translation and rotation actions are
proportional to the error (saturating at the controller's per-step limits); the stage advances
when the TCP is within ``tol`` after ``min_steps`` or after ``max_steps``. The expert runs under
``jit``/``vmap``/``scan`` next to the env, e.g. to collect demonstrations at batch scale.

Usage::

    expert = ScriptedExpert(env)
    es = expert.init(state)
    action, es = expert.act(es, state, key)   # action [7]

The expert reads only an :class:`ExpertInputs` (TCP pose and the poses of the plan's reference
bodies, ``expert.ref_names``); ``init``/``act`` build it from the port's ``State``
(:meth:`ScriptedExpert.inputs`), and ``init_inputs``/``act_inputs`` take one built from another
simulator's observation (the LIBERO parity harness, ``scripts/libero_parity.py``).
"""

from __future__ import annotations

import jax
import jax.numpy as jnp
from flax import struct

from envs_mjx import controller as ctrl_lib
from envs_mjx.env import LiberoEnv, State

_DOWN = ctrl_lib.TCP_DOWN  # TCP frame of LIBERO's initial (yaw 0) grasp orientation

# Speed caps on the translation action's norm. IK: 0.5 = 2.5 cm per 50 ms step (the IK
# controller reaches its goal within a step). OSC: a held action a moves the hand ~1.25*a cm
# per step after a ~3-step ramp (docs/controller.md), so 2.0 gives a stage's ``speed`` the same
# metres per step as under IK wherever the action limit (|a_i| <= 1, ~1.25 cm/step per axis)
# allows; faster stages saturate at that limit.
IK_MAX_SPEED = 0.5
OSC_MAX_SPEED = 2.0
# OSC only covers ~25% of the commanded displacement per step (the hand lags its goal), so a
# stage's proportional gain is scaled up: with gain*scale = 1 the goal is the target itself
# and the task-space PD (critically damped) converges without overshoot; above 1 it settles
# sooner with a little ringing. Likewise for rotation: a held rotation action turns the hand
# only ~13% of its commanded angle per step (dyaw = 1: ~3.7 of 28.6 deg), so the yaw error is
# amplified (a 90 deg regrasp turn must finish during the approach). Chosen on libero_object/0
# and libero_10/3 (docs/controller.md): lower values leave libero_10/3's drawer unsolved.
OSC_GAIN_SCALE = 2.0
OSC_ROT_GAIN = 3.0
# A gripper yaw is reached by the shorter of its two turns (the gripper is symmetric under
# half a turn); near a quarter turn either way, prefer turning counter-clockwise (seen from
# above) by up to this much more [rad]: the Panda's wrist (joint 7, +-2.9 rad, starting at
# +0.79) has 3.7 rad of room that way and 2.1 the other, which a bowl grasp on the robot's
# left (the arm itself turned left) exhausts under OSC (libero_spatial/1, docs/controller.md).
# 0 under IK (its tables were measured without it).
OSC_YAW_BIAS = 0.3


@struct.dataclass
class ExpertState:
    """Expert memory: ``stage []`` int32, ``t []`` steps in stage, ``ref_pos [3]``,
    ``ref_yaw []`` of the stage's reference body when the stage started."""

    stage: jax.Array
    t: jax.Array
    ref_pos: jax.Array
    ref_yaw: jax.Array


@struct.dataclass
class ExpertInputs:
    """Everything the expert reads in one step (simulator-agnostic).

    Attributes:
      tcp_pos: TCP position ``[3]`` [m, world].
      tcp_rot: TCP rotation ``[3, 3]`` in the port's TCP convention (``TCP_DOWN`` = pointing down
        at yaw 0, fingers closing along world y).
      body_pos: world positions ``[n, 3]`` of the reference bodies ``ScriptedExpert.ref_names``.
      body_rot: their rotation matrices ``[n, 3, 3]`` (only the yaw is used).
    """

    tcp_pos: jax.Array
    tcp_rot: jax.Array
    body_pos: jax.Array
    body_rot: jax.Array


def _yaw_of(mat: jax.Array) -> jax.Array:
    m = mat.reshape(3, 3)
    return jnp.arctan2(m[1, 0], m[0, 0])


def _wrap_half_pi(a: jax.Array, bias: float = 0.0) -> jax.Array:
    """Wraps an angle to ``[-pi/2 + bias, pi/2 + bias)`` (a parallel gripper is symmetric
    under pi)."""
    return (a + jnp.pi / 2 - bias) % jnp.pi - jnp.pi / 2 + bias


def perturb_action(action: jax.Array, key: jax.Array, std: float) -> jax.Array:
    """The expert's action ``[7]`` with Gaussian noise of ``std`` on the six arm dimensions (the
    gripper command is kept), clipped to [-1, 1]: the imperfect demonstrations of
    ``data.action_noise``. ``std = 0`` returns ``action`` unchanged."""
    if std <= 0:
        return action
    noise = float(std) * jax.random.normal(key, action.shape)
    return jnp.clip(action + noise.at[..., 6].set(0.0), -1.0, 1.0)


class ScriptedExpert:
    """Waypoint expert for the task's plan under the env's controller
    (``env.task.plan_for(env.config.controller.kind)``).

    Args:
      env: the environment (its task supplies the plan).
      action_noise: std of Gaussian noise added to the action (imperfect demonstrations).
      max_speed: cap on the translation action's norm (times the stage's ``speed``); None =
        the controller's default (:data:`OSC_MAX_SPEED` or :data:`IK_MAX_SPEED`). The action is
        also scaled down (direction kept) so that no component exceeds 1.
      gain_scale: multiplies every stage's proportional ``gain``; None = the controller's
        default (:data:`OSC_GAIN_SCALE` or 1.0).
      rot_gain: proportional gain of the rotation action (error / ``max_rot_delta``); None =
        the controller's default (:data:`OSC_ROT_GAIN` or 1.0).
      yaw_bias: how much farther than a quarter turn [rad] the gripper may turn
        counter-clockwise to reach a yaw rather than clockwise; None = the controller's
        default (:data:`OSC_YAW_BIAS` or 0).
    """

    def __init__(self, env: LiberoEnv, action_noise: float = 0.0,
                 max_speed: float | None = None, gain_scale: float | None = None,
                 rot_gain: float | None = None, yaw_bias: float | None = None):
        self.env = env
        osc = env.config.controller.kind == "osc"
        if max_speed is None:
            max_speed = OSC_MAX_SPEED if osc else IK_MAX_SPEED
        if gain_scale is None:
            gain_scale = OSC_GAIN_SCALE if osc else 1.0
        if rot_gain is None:
            rot_gain = OSC_ROT_GAIN if osc else 1.0
        if yaw_bias is None:
            yaw_bias = OSC_YAW_BIAS if osc else 0.0
        self.yaw_bias = float(yaw_bias)
        self.max_speed = max_speed
        self.gain_scale = gain_scale
        self.rot_gain = rot_gain
        self.action_noise = float(action_noise)
        m = env.mj_model
        plan = env.task.plan_for(env.config.controller.kind)
        if not plan:
            raise ValueError(f"task {env.task.key} has no expert plan")

        def body(name: str) -> int:
            if name == "world":
                return 0
            try:
                return m.body(name).id
            except KeyError as e:
                raise ValueError(f"plan of {env.task.key} names unknown body {name!r}") from e

        self.num_stages = len(plan)
        # reference bodies the plan reads, in first-use order ("world" = the origin)
        self.ref_names: tuple[str, ...] = tuple(dict.fromkeys(s.ref for s in plan))
        self.ref_body_ids = jnp.array([body(n) for n in self.ref_names], jnp.int32)
        self.ref_slot = jnp.array([self.ref_names.index(s.ref) for s in plan], jnp.int32)
        self.offset = jnp.array([s.offset for s in plan], jnp.float32)
        self.gripper = jnp.array([s.gripper for s in plan], jnp.float32)
        self.z_abs = jnp.array([s.z_abs for s in plan])
        self.yaw = jnp.array([s.yaw for s in plan], jnp.float32)
        self.yaw_rel = jnp.array([s.yaw_rel for s in plan])
        self.tilt = jnp.array([s.tilt for s in plan], jnp.float32)
        self.lean = jnp.array([s.lean for s in plan], jnp.float32)
        self.tol = jnp.array([s.tol for s in plan], jnp.float32)
        self.min_steps = jnp.array([s.min_steps for s in plan], jnp.int32)
        self.max_steps = jnp.array([s.max_steps for s in plan], jnp.int32)
        self.gain = jnp.array([s.gain for s in plan], jnp.float32)
        self.speed = jnp.array([s.speed for s in plan], jnp.float32)
        self.table_z = float(env.task.scene.table_z)
        self.cfg = env.config.controller

    def inputs(self, state: State) -> ExpertInputs:
        """The expert's inputs read from the port's ``State``."""
        return ExpertInputs(
            tcp_pos=state.ee_pos, tcp_rot=state.ee_rot,
            body_pos=state.data.xpos[self.ref_body_ids],
            body_rot=state.data.xmat[self.ref_body_ids].reshape(-1, 3, 3),
        )

    def _capture(self, stage: jax.Array, inp: ExpertInputs) -> tuple[jax.Array, jax.Array]:
        s = jnp.minimum(stage, self.num_stages - 1)
        b = self.ref_slot[s]
        return inp.body_pos[b], _yaw_of(inp.body_rot[b])

    def init(self, state: State) -> ExpertState:
        """Expert memory at the start of an episode."""
        return self.init_inputs(self.inputs(state))

    def init_inputs(self, inp: ExpertInputs) -> ExpertState:
        """:meth:`init` from :class:`ExpertInputs`."""
        pos, yaw = self._capture(jnp.array(0), inp)
        return ExpertState(jnp.array(0, jnp.int32), jnp.array(0, jnp.int32), pos, yaw)

    def target(self, es: ExpertState) -> tuple[jax.Array, jax.Array, jax.Array]:
        """Current stage's ``(tcp_target [3], yaw_target [], gripper [])``."""
        s = jnp.minimum(es.stage, self.num_stages - 1)
        off = self.offset[s]
        tgt = es.ref_pos + off
        tgt = tgt.at[2].set(jnp.where(self.z_abs[s], self.table_z + off[2], tgt[2]))
        yaw = self.yaw[s] + jnp.where(self.yaw_rel[s], es.ref_yaw, 0.0)
        return tgt, yaw, self.gripper[s]

    def act(self, es: ExpertState, state: State,
            key: jax.Array | None = None) -> tuple[jax.Array, ExpertState]:
        """One expert action ``[7]`` and the updated memory."""
        return self.act_inputs(es, self.inputs(state), key)

    def act_inputs(self, es: ExpertState, inp: ExpertInputs,
                   key: jax.Array | None = None) -> tuple[jax.Array, ExpertState]:
        """:meth:`act` from :class:`ExpertInputs`."""
        tgt, yaw, grip = self.target(es)
        s = jnp.minimum(es.stage, self.num_stages - 1)
        err = tgt - inp.tcp_pos
        dpos = self.gain_scale * self.gain[s] * err / self.cfg.max_pos_delta
        cap = self.max_speed * self.speed[s]
        dpos = dpos * jnp.minimum(1.0, cap / (jnp.linalg.norm(dpos) + 1e-9))
        # keep the direction when a component would be clipped at the action limit (a no-op
        # while cap <= 1, i.e. always under IK)
        dpos = dpos * jnp.minimum(1.0, 1.0 / (jnp.max(jnp.abs(dpos)) + 1e-9))
        cur_yaw = _yaw_of(inp.tcp_rot @ _DOWN)
        yaw_t = cur_yaw + _wrap_half_pi(yaw - cur_yaw, self.yaw_bias)
        c, sn = jnp.cos(yaw_t), jnp.sin(yaw_t)
        rz = jnp.array([[c, -sn, 0.0], [sn, c, 0.0], [0.0, 0.0, 1.0]])
        # tilt about the gripper's x axis (across the closing direction); a yaw taken half a
        # turn from the stage's (symmetric gripper) swings the fingers the other way
        flip = jnp.cos(yaw_t - yaw) < 0
        tilt = jnp.where(flip, -self.tilt[s], self.tilt[s])
        ct, st = jnp.cos(tilt), jnp.sin(tilt)
        rx = jnp.array([[1.0, 0.0, 0.0], [0.0, ct, -st], [0.0, st, ct]])
        # lean about the gripper's closing axis (world y before the yaw), flipped the same way
        lean = jnp.where(flip, -self.lean[s], self.lean[s])
        cl, sl = jnp.cos(lean), jnp.sin(lean)
        ry = jnp.array([[cl, 0.0, sl], [0.0, 1.0, 0.0], [-sl, 0.0, cl]])
        rot_err = ctrl_lib.matrix_to_axis_angle(rz @ rx @ ry @ _DOWN @ inp.tcp_rot.T)
        drot = jnp.clip(self.rot_gain * rot_err / self.cfg.max_rot_delta, -1.0, 1.0)
        action = jnp.concatenate([dpos, drot, grip[None]])
        if key is not None:
            action = perturb_action(action, key, self.action_noise)

        t = es.t + 1
        reached = (jnp.linalg.norm(err) < self.tol[s]) & (t >= self.min_steps[s])
        advance = (reached | (t >= self.max_steps[s])) & (es.stage < self.num_stages)
        new_stage = es.stage + advance.astype(jnp.int32)
        pos, yaw_ref = self._capture(new_stage, inp)
        es = ExpertState(
            stage=new_stage,
            t=jnp.where(advance, 0, t),
            ref_pos=jnp.where(advance, pos, es.ref_pos),
            ref_yaw=jnp.where(advance, yaw_ref, es.ref_yaw),
        )
        return action, es

    def finished(self, es: ExpertState) -> jax.Array:
        return es.stage >= self.num_stages


def rollout_expert(env: LiberoEnv, init_index: jax.Array, num_steps: int,
                   key: jax.Array | None = None, action_noise: float = 0.0):
    """Runs the expert from one initial state for ``num_steps`` under ``lax.scan``.

    Returns the final ``State`` and per-step ``(ee_pos [T, 3], action [T, 7], success [T],
    done [T])``. Wrap in ``jax.jit(jax.vmap(...))`` over ``init_index`` to batch.
    """
    expert = ScriptedExpert(env, action_noise)
    key = jax.random.PRNGKey(0) if key is None else key
    state = env.reset(key, init_index)
    es = expert.init(state)

    def body(carry, k):
        st, e = carry
        a, e = expert.act(e, st, k)
        st = env.step(st, a)
        return (st, e), (st.ee_pos, a, st.success, st.done)

    keys = jax.random.split(key, num_steps)
    (state, _), traj = jax.lax.scan(body, (state, es), keys)
    return state, traj


def run_expert_batch(env: LiberoEnv, init_indices: jax.Array, max_steps: int,
                     key: jax.Array | None = None, action_noise: float = 0.0) -> State:
    """Runs the expert on a batch of initial states ``[B]`` until every episode is done (or
    ``max_steps``), under one ``lax.while_loop`` over ``vmap``-ed steps, so a batch stops as
    soon as its slowest episode ends. Returns the final batched ``State`` (``state.step`` is each
    episode's length). Jit it: ``jax.jit(functools.partial(run_expert_batch, env, max_steps=T))``.
    """
    expert = ScriptedExpert(env, action_noise)
    key = jax.random.PRNGKey(0) if key is None else key
    idx = jnp.asarray(init_indices, jnp.int32)
    n = idx.shape[0]
    states = jax.vmap(env.reset)(jax.random.split(key, n), idx)
    es = jax.vmap(expert.init)(states)

    def cond(c):
        t, st, _, _ = c
        return (t < max_steps) & ~jnp.all(st.done)

    def body(c):
        t, st, e, k = c
        k, sub = jax.random.split(k)
        a, e = jax.vmap(expert.act)(e, st, jax.random.split(sub, n))
        return t + 1, jax.vmap(env.step)(st, a), e, k

    _, states, _, _ = jax.lax.while_loop(cond, body, (jnp.array(0), states, es, key))
    return states
