"""Functional MJX environment for LIBERO tasks.

``env = LiberoEnv("libero_10/0")`` compiles the task's scene once; then

* ``state = env.reset(key, init_state_index)`` loads one of the 50 fixed (evaluation) initial
  states, or with ``EnvConfig(train_layouts=n)`` one of ``n`` extra training layouts at indices
  ``50 .. 50 + n - 1`` (same distribution, other seeds: demonstrations and RL prompts can avoid
  the evaluation layouts);
* ``state = env.step(state, action)`` applies one 20 Hz control step: the controller's goal
  pose is set from the action, then ``EnvConfig.substeps`` physics substeps run under
  ``lax.scan`` (timestep = 50 ms / substeps), the OSC torques recomputed at each;
* ``env.step(state, action, render=False)`` skips the cameras (``obs`` keeps the previous
  images) and ``state = env.render(state)`` renders them on demand: a policy that reads pixels
  once per action chunk renders once per chunk, while ``ee_pos`` / ``proprio`` stay per step.

Both are pure and work under ``jax.jit(jax.vmap(...))``. ``State`` is a flat PyTree.

Bad input: an action of the wrong shape raises ``ValueError`` at trace time; actions outside
``[-1, 1]`` are clipped (LIBERO does the same); a non-finite action, or physics that becomes
non-finite or diverges (joint speeds above ``MAX_JOINT_SPEED``), sets ``State.error``
(``ERR_NAN_ACTION`` / ``ERR_NAN_PHYSICS``), ends the episode and keeps the last good physics
state - it never continues silently. Once ``done``, further steps
leave the state unchanged.
"""

from __future__ import annotations

import dataclasses
import functools
from typing import Any

import jax
import jax.numpy as jnp
import mujoco
import numpy as np
from flax import struct
from mujoco import mjx

from envs_mjx import controller as ctrl_lib
from envs_mjx import dynamics as dyn_lib
from envs_mjx import panda
from envs_mjx.init_states import NUM_INIT_STATES, generate, load_init_states
from envs_mjx.libero_names import to_bddl
from envs_mjx.predicates import GoalInputs, make_goal_fn
from envs_mjx.registry import get_task
from envs_mjx.renderer import Renderer, RenderConfig
from envs_mjx.scene import build_mjcf
from envs_mjx.tasks import Task

CONTROL_DT = 0.05  # 20 Hz
ERR_NONE, ERR_NAN_ACTION, ERR_NAN_PHYSICS = 0, 1, 2
PROPRIO_DIM = 8
# [rad/s or m/s] any joint faster than this means the physics diverged (the Panda's joints are
# rated at 2.2-2.6 rad/s; free objects flung by a solver blow-up go far faster).
MAX_JOINT_SPEED = 100.0


@struct.dataclass
class State:
    """Environment state (unbatched shapes; a leading batch dim under vmap).

    Attributes:
      data: MJX physics data.
      obs: ``proprio [8]`` = [ee_pos(3), ee_rot(3), finger qpos(2)] where ``ee_rot`` is the
        axis-angle of the TCP rotation relative to the home (pointing-down) grasp orientation
        (:func:`envs_mjx.controller.tcp_rotation_features`), and when rendering
        ``agentview``/``wrist`` uint8 ``[H, W, 3]``.
      ee_pos: executed end-effector (TCP) position ``[3]`` [m, world].
      ee_rot: end-effector rotation matrix ``[3, 3]``.
      target_pos: the controller's goal position of the last control step ``[3]`` (world).
      target_rot: its goal orientation ``[3, 3]`` (OSC keeps it while rotation actions are 0).
      goal: per-predicate truth values ``[num_preds]`` bool.
      success: all goal predicates hold ``[]`` bool (checked every step).
      done: success, time limit or error ``[]`` bool.
      error: ``ERR_*`` code ``[]`` int32.
      step: control steps taken ``[]`` int32.
      init_index: which fixed initial state was loaded ``[]`` int32.
    """

    data: mjx.Data
    obs: dict[str, jax.Array]
    ee_pos: jax.Array
    ee_rot: jax.Array
    target_pos: jax.Array
    target_rot: jax.Array
    goal: jax.Array
    success: jax.Array
    done: jax.Array
    error: jax.Array
    step: jax.Array
    init_index: jax.Array


@dataclasses.dataclass(frozen=True)
class EnvConfig:
    """Environment options.

    Attributes:
      render: camera config, or None for state-only observations.
      controller: delta-pose controller settings (``kind="osc"`` LIBERO's, the default, or
        ``"ik"`` the first port's).
      substeps: physics steps per control step; the timestep is ``0.05 / substeps``
        (robosuite: 25 x 2 ms).
      contacts: ``"full"`` (LIBERO-like, the default; the hand, fingers and wrist/forearm
        links touch the table, fixtures and objects, every object touches every other object
        and fixture) or ``"fast"`` (finger pads only, objects only where the task needs them;
        ~2x cheaper on CPU). See :mod:`envs_mjx.scene`.
      max_steps: episode limit (None = the suite's LIBERO limit).
      train_layouts: extra initial layouts generated at construction (C MuJoCo, ~2 ms each)
        after the 50 saved evaluation states, at indices ``50 .. 50 + train_layouts - 1``.

    The controller and contacts default to :data:`envs_mjx.dynamics.DEFAULT` (``"libero"``);
    :meth:`for_dynamics` builds the other named dynamics (``"libero_fast"``, ``"ik"``).
    """

    render: RenderConfig | None = None
    controller: ctrl_lib.ControllerConfig = ctrl_lib.ControllerConfig(
        kind=dyn_lib.DYNAMICS[dyn_lib.DEFAULT][0])
    substeps: int = 10
    contacts: str = dyn_lib.DYNAMICS[dyn_lib.DEFAULT][1]
    max_steps: int | None = None
    train_layouts: int = 0

    @classmethod
    def for_dynamics(cls, dynamics: str, **kwargs: Any) -> "EnvConfig":
        """The config of a named dynamics (:data:`envs_mjx.dynamics.DYNAMICS`: ``"libero"`` =
        the default ``EnvConfig()``, ``"libero_fast"``, ``"ik"``); other fields as keywords."""
        kind, contacts = dyn_lib.DYNAMICS[dyn_lib.check(dynamics, "dynamics")]
        return cls(controller=ctrl_lib.ControllerConfig(kind=kind), contacts=contacts, **kwargs)

    @classmethod
    def libero(cls, **kwargs: Any) -> "EnvConfig":
        """LIBERO's dynamics: the OSC_POSE controller and full contacts (docs/controller.md;
        the same as ``EnvConfig()``, named for readers); other fields as keywords."""
        return cls.for_dynamics("libero", **kwargs)

    @property
    def dynamics(self) -> str | None:
        """The dynamics name of this controller + contact set (None: a custom mix)."""
        return dyn_lib.name_of(self.controller.kind, self.contacts)


class LiberoEnv:
    """One LIBERO task in MJX. See the module docstring."""

    def __init__(self, task: str | Task, config: EnvConfig = EnvConfig()):
        self.task = get_task(task) if isinstance(task, str) else task
        self.config = config
        if config.substeps < 1:
            raise ValueError(f"EnvConfig.substeps must be >= 1, got {config.substeps}")
        self.xml = build_mjcf(self.task.scene, controller=config.controller.kind,
                              timestep=CONTROL_DT / config.substeps, contacts=config.contacts)
        self.mj_model = mujoco.MjModel.from_xml_string(self.xml)
        self.model = mjx.put_model(self.mj_model)
        self.max_steps = config.max_steps or self.task.max_steps
        m = self.mj_model
        self.arm_qadr = np.array([m.jnt_qposadr[m.joint(f"joint{i + 1}").id] for i in range(7)])
        self.finger_qadr = np.array(
            [m.jnt_qposadr[m.joint(n).id] for n in ("finger_left", "finger_right")]
        )
        self.arm_dofadr = np.array([m.jnt_dofadr[m.joint(f"joint{i + 1}").id]
                                    for i in range(7)])
        self.tcp_site = m.site("tcp").id
        self.hand_body = m.body("hand").id
        self.base_pos = np.asarray(self.task.scene.robot_base)
        self._goal_fn = make_goal_fn(self.task.scene, self.task.goal, m)
        self.init_qpos = load_init_states(self.task, m)  # [50 (+ train_layouts), nq]
        if config.train_layouts < 0:
            raise ValueError(f"EnvConfig.train_layouts must be >= 0, got {config.train_layouts}")
        if config.train_layouts:
            extra = generate(self.task, config.train_layouts, start=NUM_INIT_STATES)
            self.init_qpos = np.concatenate([self.init_qpos, extra])
        self.renderer = (Renderer(m, config.render, self.task.scene.lit_geoms())
                         if config.render is not None else None)

    # -- helpers ------------------------------------------------------------------------------
    @property
    def num_init_states(self) -> int:
        """Evaluation states + training layouts."""
        return int(self.init_qpos.shape[0])

    @property
    def train_layout_indices(self) -> np.ndarray:
        """Indices of the extra training layouts (empty unless ``config.train_layouts``)."""
        return np.arange(NUM_INIT_STATES, self.num_init_states)

    def start_indices(self, layouts: str, num_eval: int | None = None) -> np.ndarray:
        """Initial-state indices episodes may start from: every training layout (``"train"``)
        or the first ``num_eval`` (default all 50) fixed evaluation states (``"eval"``)."""
        if layouts == "train":
            return self.train_layout_indices
        if layouts == "eval":
            return np.arange(min(num_eval or NUM_INIT_STATES, NUM_INIT_STATES))
        raise ValueError(f"layouts must be 'train' or 'eval', got {layouts!r}")

    @property
    def instruction(self) -> str:
        return self.task.instruction

    def _ee(self, data: mjx.Data) -> tuple[jax.Array, jax.Array]:
        return data.site_xpos[self.tcp_site], data.site_xmat[self.tcp_site].reshape(3, 3)

    def _obs(self, data: mjx.Data,
             stale: dict[str, jax.Array] | None = None) -> dict[str, jax.Array]:
        """Proprio of ``data`` + camera images: rendered, or copied from ``stale`` obs."""
        pos, rot = self._ee(data)
        proprio = jnp.concatenate(
            [pos, ctrl_lib.tcp_rotation_features(rot), data.qpos[self.finger_qadr]]
        ).astype(jnp.float32)
        obs = {"proprio": proprio}
        if stale is not None:
            return {**stale, "proprio": proprio}
        if self.renderer is not None:
            imgs = self.renderer.render_data(data)
            for i, name in enumerate(self.renderer.config.cameras):
                obs[name] = imgs[i]
        return obs

    def _goal(self, data: mjx.Data) -> jax.Array:
        contact = data._impl.contact
        return self._goal_fn(GoalInputs(data.xpos, data.xmat, data.qpos, contact.geom,
                                        contact.dist))

    @property
    def _ik(self) -> bool:
        return self.config.controller.kind == "ik"

    def _osc(self, data: mjx.Data, goal_pos: jax.Array,
             goal_rot: jax.Array) -> tuple[jax.Array, jax.Array]:
        """OSC arm torques ``[7]`` for the physics state ``data`` (mass matrix and bias forces
        of the last forward pass, joints of now) and the hand's air-drag wrench ``[6]``
        (:func:`envs_mjx.panda.hand_drag`)."""
        dof = self.arm_dofadr
        q, qd = data.qpos[self.arm_qadr], data.qvel[dof]
        mass = mjx.full_m(self.model, data)[dof[:, None], dof[None, :]]
        tau = ctrl_lib.osc_torques(q, qd, mass, data.qfrc_bias[dof], goal_pos, goal_rot,
                                   jnp.asarray(self.base_pos), self.config.controller)
        _, rot, jac = ctrl_lib.tcp_jacobian(q)
        vel = jac @ qd
        return tau, panda.hand_drag(rot, vel[:3], vel[3:])

    # -- API ----------------------------------------------------------------------------------
    def reset(self, key: jax.Array, init_state_index: jax.Array | int) -> State:
        """Loads fixed initial state ``init_state_index`` (taken modulo the number of states).

        ``key`` is accepted for API symmetry; the fixed initial states are deterministic.
        """
        del key
        idx = jnp.asarray(init_state_index, jnp.int32) % self.num_init_states
        qpos = jnp.asarray(self.init_qpos)[idx]
        data = mjx.make_data(self.model)
        arm = qpos[self.arm_qadr] if self._ik else jnp.zeros(7)
        ctrl = jnp.concatenate([arm, jnp.full((2,), panda.FINGER_OPEN)])
        data = data.replace(qpos=qpos, ctrl=ctrl)
        data = mjx.forward(self.model, data)
        pos, rot = self._ee(data)
        goal = self._goal(data)
        return State(
            data=data, obs=self._obs(data), ee_pos=pos, ee_rot=rot, target_pos=pos,
            target_rot=rot, goal=goal,
            success=jnp.all(goal), done=jnp.array(False), error=jnp.array(ERR_NONE, jnp.int32),
            step=jnp.array(0, jnp.int32), init_index=idx,
        )

    def render(self, state: State) -> State:
        """``state`` with its camera images rendered from its current physics (the images a
        ``step(..., render=False)`` left stale); the identity for a state-only env."""
        if self.renderer is None:
            return state
        return state.replace(obs=self._obs(state.data))

    def step(self, state: State, action: jax.Array, render: bool = True) -> State:
        """One control step with ``action [7]``; a no-op once ``state.done``.

        ``render=False`` (a Python bool, static) keeps ``state.obs``'s images instead of
        rendering the cameras; call :meth:`render` before reading them."""
        action = jnp.asarray(action, jnp.float32)
        if action.shape != (ctrl_lib.ACTION_DIM,):
            raise ValueError(
                f"action must have shape (7,) [dx,dy,dz,droll,dpitch,dyaw,gripper], got "
                f"{action.shape}; batch with jax.vmap(env.step)"
            )
        nan_action = ~jnp.all(jnp.isfinite(action))
        action = jnp.where(nan_action, 0.0, jnp.clip(action, -1.0, 1.0))
        data = state.data
        cfg = self.config.controller
        q = data.qpos[self.arm_qadr]
        finger = ctrl_lib.gripper_target(action)
        fingers = jnp.stack([finger, finger])
        if self._ik:
            target_pos, target_rot = state.target_pos, state.target_rot
            q_target = ctrl_lib.ik_targets(q, action, cfg)
            data = data.replace(ctrl=jnp.concatenate([q_target, fingers]))
        else:
            pos, rot = panda.fk(q)
            target_pos, target_rot = ctrl_lib.goal_pose(
                pos + self.base_pos, rot, state.target_rot, action, cfg)

        def substep(d: mjx.Data, _: None) -> tuple[mjx.Data, None]:
            if not self._ik:
                tau, drag = self._osc(d, target_pos, target_rot)
                d = d.replace(ctrl=jnp.concatenate([tau, fingers]),
                              xfrc_applied=d.xfrc_applied.at[self.hand_body].set(drag))
            return mjx.step(self.model, d), None

        data, _ = jax.lax.scan(substep, data, None, length=self.config.substeps)
        finite = (jnp.all(jnp.isfinite(data.qpos)) & jnp.all(jnp.isfinite(data.qvel))
                  & jnp.all(jnp.abs(data.qvel) < MAX_JOINT_SPEED))
        error = jnp.where(nan_action, ERR_NAN_ACTION,
                          jnp.where(finite, ERR_NONE, ERR_NAN_PHYSICS)).astype(jnp.int32)
        data = jax.tree_util.tree_map(
            lambda new, old: jnp.where(finite & ~nan_action, new, old), data, state.data
        )
        pos, rot = self._ee(data)
        goal = self._goal(data)
        success = jnp.all(goal)
        t = state.step + 1
        new = State(
            data=data, obs=self._obs(data, None if render else state.obs), ee_pos=pos,
            ee_rot=rot, target_pos=target_pos, target_rot=target_rot, goal=goal, success=success,
            done=success | (t >= self.max_steps) | (error != ERR_NONE), error=error, step=t,
            init_index=state.init_index,
        )
        return jax.tree_util.tree_map(lambda o, n: jnp.where(state.done, o, n), state, new)

    def object_body(self, name: str) -> str:
        """The MJCF body of object ``name``: a BDDL name (``akita_black_bowl_1``) or the port's
        own body name (``black_bowl``).

        Raises:
          ValueError: no such object in this task, listing the valid names.
        """
        names = {o.name: o.name for o in self.task.scene.objects}
        names.update({to_bddl(o.name, self.task.suite): o.name for o in self.task.scene.objects})
        if name not in names:
            raise ValueError(f"{self.task.key} has no object {name!r}; objects: "
                             f"{', '.join(sorted(names))}")
        return names[name]

    def object_pose(self, state: State, name: str) -> tuple[jax.Array, jax.Array]:
        """World pose of object ``name`` (BDDL or port name, see :meth:`object_body`) in
        ``state``: ``(pos [..., 3], quat wxyz [..., 4])`` of its body, whose origin is the
        object's bottom centre (LIBERO's bodies use per-model origins and mesh frames). Read
        from the object's free joint, so it is the current pose (``data.xpos`` lags one physics
        substep after :meth:`step`). Works batched and under jit (``name`` is static)."""
        m = self.mj_model
        body = m.body(self.object_body(name)).id
        adr = int(m.jnt_qposadr[m.body_jntadr[body]])
        qpos = state.data.qpos
        return qpos[..., adr:adr + 3], qpos[..., adr + 3:adr + 7]

    @functools.cached_property
    def jit_reset(self) -> Any:
        return jax.jit(self.reset)

    @functools.cached_property
    def jit_step(self) -> Any:
        return jax.jit(self.step)
