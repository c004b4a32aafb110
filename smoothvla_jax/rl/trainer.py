"""GRPO fine-tuning of the SFT policy in MJX: one jitted, pure iteration per task.

    python -m smoothvla_jax.train --config=configs/grpo_smoke.py [--config.seed=1]

(the pipeline's ``grpo`` stage, :mod:`smoothvla_jax.train`, calls :func:`run_grpo`).

One GRPO iteration (``make_grpo_iteration`` -> :class:`GRPOIteration`), PureJaxRL style with
two jitted programs:

1. ``collect`` (one round): sample ``R`` prompts = initial-state indices of the task, roll out
   ``G`` episodes per prompt (the closed-loop :func:`smoothvla_jax.rollout.make_rollout_fn` at
   the GRPO temperature; physics, rendering -- once per chunk decision -- and sampling inside
   one compiled function) -> ``[R, G, ...]``; rewards
   :func:`smoothvla_jax.rl.rewards.compute_reward` on the valid-step mask (steps after ``done``
   never count) with ``dt = CONTROL_DT``; jerk metrics of the executed EE path; group-relative
   advantages (``adv_norm``); the informative groups (dynamic sampling) are appended to a
   fixed-size buffer of ``P`` groups. Python repeats rounds while the buffer is not full (at
   most ``max_rounds``);
2. ``update``: ``update_epochs x num_minibatches`` PPO-clipped steps
   (:func:`smoothvla_jax.rl.grpo.make_update_fn`) on the chunk decisions of the buffer's kept
   episodes that have an executed step, token log-probs recomputed by ``apply_policy`` on the
   stored decision observations, the loss masked per executed control step. Decisions after
   an episode's ``done`` carry no loss and are not computed: the host reads how many decisions
   are valid (one small read), picks the smallest size of a ladder of 8 (multiples of
   ``P * G * C / 8``, :func:`smoothvla_jax.rl.grpo.bucket_ladder`; each size used compiles
   its own update once) and the update gathers the valid decisions first
   (:func:`smoothvla_jax.rl.grpo.compact_decisions`); the loss keeps the episode-level
   ``loss_agg`` weighting, and minibatches are minibatches of decisions. k3 KL to the frozen
   SFT reference is always measured: with ``kl_coef > 0`` exactly (a reference forward on
   every update decision) and in the loss; with ``kl_coef == 0`` only logged, on a stratified
   sample of ``P * G * C / 8`` valid decisions (KL of the rollout policy to the reference).
   With fewer than ``min_groups`` kept groups the update is skipped and parameters and
   optimiser state stay untouched.

Multi-task: every iteration trains on ONE task, chosen round robin (``tasks[step % n]``), with
one compiled iteration per task. Different tasks are different MJCF scenes: different numbers of
bodies, geoms, joints and collision pairs, so their ``mjx.Model`` / ``mjx.Data`` pytrees have
different shapes and their physics (collision functions are selected per geom-type pair at trace
time) is different code. ``vmap`` needs one program over equally shaped inputs, so episodes of
different scenes cannot share a vmapped batch (padding every scene to a union model would make
every step pay for every object of every scene).

Shapes: ``P`` prompts, ``G`` group size, ``N = P * G`` episodes, ``C`` chunk decisions per
episode, ``K`` chunk length, ``T = C * K`` control steps, ``D = 7`` action dims.
"""

from __future__ import annotations

import dataclasses
import math
import os
import time
from collections.abc import Callable, Sequence
from typing import Any

import jax
import jax.numpy as jnp
import numpy as np
import optax
from flax import struct

from envs_mjx.env import CONTROL_DT, LiberoEnv
from envs_mjx.init_states import NUM_INIT_STATES
from envs_mjx.renderer import RenderConfig
from smoothvla_jax.config import Config, GRPOTrainConfig, as_config, check_resume
from smoothvla_jax.metrics import smoothness as sm
from smoothvla_jax.parallel import DataParallel
from smoothvla_jax.model import (
    MIN_TEMPERATURE,
    ActionNormalizer,
    ActionTokenizer,
    Observation,
    VLAConfig,
    apply_policy,
    log_probs,
)
from smoothvla_jax.rl.grpo import (
    GRPOConfig,
    apply_group_mask,
    bucket_ladder,
    bucket_size,
    compact_decisions,
    decision_valid,
    fill_buffer,
    group_advantages,
    informative_groups,
    kl_penalty,
    make_update_fn,
    scan_or_unroll,
    unroll_loops,
)
from smoothvla_jax.rl.rewards import RewardConfig, compute_reward, jerk_cost
from smoothvla_jax.rollout import Trajectory, make_rollout_fn

Params = Any
Metrics = dict[str, Any]

DS_CRITERIA = ("success", "reward")


@struct.dataclass
class GRPOTrainState:
    """``step []`` int32 (iterations done), ``params``, ``opt_state``, ``rng`` uint32 [2] (the
    run's base key; the host loop uses ``fold_in(rng, step)``), ``ref_params`` (frozen SFT
    params; ``None`` unless ``kl_coef > 0``)."""

    step: jax.Array
    params: Params
    opt_state: Any
    rng: jax.Array
    ref_params: Params | None = None


# ============================================================================ pure pieces
def episode_metrics(traj: Trajectory, reward_cfg: RewardConfig, chunk_size: int,
                    dt: float = CONTROL_DT) -> tuple[jax.Array, dict[str, jax.Array]]:
    """Rewards and per-episode smoothness of rollouts with any leading dims ``[...]``.

    Only valid steps (``traj.step_mask``) enter the reward and every jerk metric.

    Returns:
      ``(rewards [...], per-episode metrics {name: [...]})`` with ``success``,
      ``episode_length``, ``msj_ee``, ``dimensionless_jerk_ee``, ``ldlj_ee``, ``msj_action``,
      ``chunk_discontinuity`` (the names of :data:`smoothvla_jax.evaluation.EPISODE_METRICS`)
      and ``jerk_cost`` (the reward's ``J_norm``; 0 for binary).
    """
    mask = traj.step_mask.astype(jnp.float32)
    rewards = compute_reward(traj.success, traj.ee_pos, traj.actions, mask, dt, reward_cfg)
    arm = traj.actions[..., :6]
    ep = {
        "success": traj.success.astype(jnp.float32),
        "episode_length": traj.length.astype(jnp.float32),
        "msj_ee": sm.mean_squared_jerk(traj.ee_pos, dt, mask),
        "dimensionless_jerk_ee": sm.dimensionless_jerk(traj.ee_pos, dt, mask),
        "ldlj_ee": sm.log_dimensionless_jerk(traj.ee_pos, dt, mask),
        "msj_action": sm.mean_squared_jerk(arm, dt, mask),
        "chunk_discontinuity": sm.chunk_discontinuity(arm, chunk_size, mask),
    }
    if reward_cfg.kind == "smooth":
        ep["jerk_cost"] = jerk_cost(traj.ee_pos, traj.actions, mask, dt, reward_cfg)
    else:
        ep["jerk_cost"] = jnp.zeros_like(rewards)
    return rewards, ep


def _policy_logp(params: Params, vla_config: VLAConfig, mb: dict[str, jax.Array],
                 temperature: float) -> jax.Array:
    """Token log-probs ``[n, C, K, D]`` of ``mb["tokens"]`` under ``params``: the ``n * C``
    stored decision observations form one policy batch."""
    n, c = mb["tokens"].shape[:2]
    flat = lambda x: x.reshape((n * c,) + x.shape[2:])
    obs = Observation(agentview=flat(mb["agentview"]), wrist=flat(mb["wrist"]),
                      proprio=flat(mb["proprio"]), tokens=flat(mb["text"]),
                      token_mask=flat(mb["text_mask"]))
    logits = apply_policy(params, vla_config, obs)                       # [n*C, K, D, V]
    lp = log_probs(logits, flat(mb["tokens"]), max(temperature, MIN_TEMPERATURE))
    return lp.reshape((n, c) + lp.shape[1:])


def make_grpo_optimizer(lr: float, weight_decay: float = 0.0, b1: float = 0.9,
                        b2: float = 0.999, eps: float = 1e-8) -> optax.GradientTransformation:
    """Constant-LR AdamW from :func:`smoothvla_jax.optim.make_optimizer` (global-norm clipping
    happens in ``make_update_fn``, which also logs the pre-clip norm)."""
    from smoothvla_jax.optim import OptimConfig, make_optimizer

    return make_optimizer(OptimConfig(lr=lr, weight_decay=weight_decay, schedule="constant",
                                      b1=b1, b2=b2, eps=eps))[0]


@dataclasses.dataclass
class GRPOIteration:
    """One GRPO iteration of one task: ``iteration(state, key) -> (state, metrics)``.

    Dynamic sampling with refill (DAPO / SimpleVLA-RL), jit-friendly: ``collect`` (one jitted
    program) rolls out ``rollout_prompts`` prompt groups of ``G`` episodes, computes rewards and
    group advantages, and appends the informative groups to a fixed-size buffer of
    ``prompts`` groups (:func:`smoothvla_jax.rl.grpo.fill_buffer`). Python repeats rounds only
    while the buffer is not full, at most ``max_rounds``. ``update`` (one jitted program) then
    runs the PPO epochs on the valid chunk decisions of the buffer's kept episodes, compacted
    into the smallest batch size of ``ladder`` that holds them (``update`` is static in that
    size: one compiled variant per size used); empty slots and decisions after ``done`` are
    left out. With fewer than ``min_groups`` kept groups the update is skipped: parameters and
    optimiser state are returned untouched (only ``step`` advances).

    ``last_times`` holds the wall seconds of the last call's ``rollout`` (all rounds, rewards
    included) and ``update``.
    """

    collect: Callable[..., Any]
    update: Callable[..., Any]
    buffer_shapes: Any
    prompts: int
    rollout_prompts: int
    group_size: int
    max_rounds: int
    min_groups: int
    ladder: tuple[int, ...] = ()
    last_times: dict[str, float] = dataclasses.field(default_factory=dict)

    @property
    def num_chunks(self) -> int:
        """C decisions per episode."""
        return int(self.buffer_shapes["mask"].shape[2])

    @staticmethod
    def valid_decisions(buffer: Any, kept: int) -> int:
        """Host count of the decisions of the first ``kept`` buffer groups that have an
        executed step (one small device-to-host read of the ``[P, G, C, K]`` mask)."""
        mask = np.asarray(jax.device_get(buffer["mask"]))[:kept]
        return int((mask > 0).any(axis=-1).sum())

    def init_buffer(self) -> Any:
        """Zeroed group buffer: PyTree of ``[P, G, ...]`` arrays."""
        return jax.tree.map(lambda s: jnp.zeros(s.shape, s.dtype), self.buffer_shapes)

    def __call__(self, state: GRPOTrainState, key: jax.Array
                 ) -> tuple[GRPOTrainState, Metrics]:
        k_roll, k_upd = jax.random.split(key)
        t0 = time.perf_counter()
        buffer, filled = self.init_buffer(), jnp.zeros((), jnp.int32)
        rounds = []
        for r in range(self.max_rounds):
            buffer, filled, m = self.collect(state.params, jax.random.fold_in(k_roll, r),
                                             buffer, filled)
            rounds.append(m)
            if int(filled) >= self.prompts:
                break
        kept = int(filled)
        t1 = time.perf_counter()
        episodes = rounds[-1].pop("episodes", None)
        rounds = jax.device_get(rounds)
        metrics: Metrics = {k: float(np.mean([m[k] for m in rounds])) for k in rounds[0]}
        metrics.update(rounds=float(len(rounds)),
                       groups_drawn=float(len(rounds) * self.rollout_prompts),
                       groups_kept=float(sum(m["groups_kept_round"] for m in rounds)),
                       groups_used=float(kept))
        metrics.pop("groups_kept_round")
        if kept >= self.min_groups:
            n_valid = self.valid_decisions(buffer, kept)
            size = bucket_size(n_valid, self.ladder)
            state, upd = self.update(state, buffer, filled, k_upd, size)
            metrics.update({k: float(v) for k, v in jax.device_get(upd).items()}, updated=1.0,
                           valid_decisions=float(n_valid), update_decisions=float(size),
                           used_decisions=float(kept * self.group_size * self.num_chunks))
        else:
            state = state.replace(step=state.step + 1)
            metrics["updated"] = 0.0
        self.last_times = {"rollout": t1 - t0, "update": time.perf_counter() - t1}
        if episodes is not None:
            metrics["episodes"] = jax.device_get(episodes)
        return state, metrics


def make_grpo_iteration(
    env: LiberoEnv,
    vla_config: VLAConfig,
    action_tokenizer: ActionTokenizer,
    instruction_tokens: Any,
    instruction_mask: Any,
    grpo_config: GRPOConfig,
    reward_config: RewardConfig,
    optimizer: optax.GradientTransformation,
    num_chunks: int,
    prompts_per_iteration: int,
    action_normalizer: ActionNormalizer | None = None,
    init_states: Sequence[int] | None = None,
    ds_criterion: str = "success",
    return_episodes: bool = False,
    donate: bool = True,
    parallel: DataParallel | None = None,
    rollout_prompts: int | None = None,
    max_rounds: int = 1,
    min_groups: int | None = None,
    ds_tol: float = 0.0,
    unroll: bool | None = None,
) -> GRPOIteration:
    """Builds the :class:`GRPOIteration` of one task.

    Args:
      env: the task's env, rendering ``agentview`` + ``wrist`` at ``vla_config.image_size``
        (its ``max_steps`` is the episode limit; ``num_chunks * K`` steps are simulated).
      vla_config, action_tokenizer, action_normalizer: the policy (as in the SFT checkpoint).
      instruction_tokens, instruction_mask: the encoded task instruction ``[L]``.
      grpo_config: group size G, clipping, KL, temperature, epochs, minibatches, adv_norm,
        loss_agg, dynamic_sampling.
      reward_config: binary or hybrid smoothness reward.
      optimizer: optax transformation; ``train_state.opt_state`` is its state.
      num_chunks: C decisions per episode.
      prompts_per_iteration: P groups in the update batch (``P * G`` must be divisible by
        ``grpo_config.num_minibatches``).
      init_states: indices prompts are drawn from (default: all of the env's fixed states).
      ds_criterion, ds_tol: which groups are informative
        (:func:`smoothvla_jax.rl.grpo.informative_groups`); only with ``dynamic_sampling``
        (otherwise every group is kept).
      return_episodes: also return the last round's per-episode arrays under
        ``metrics["episodes"]`` (rewards, advantages, keep, success, length, actions, ee_pos,
        step_mask, chunk_mask; for tests/debug).
      donate: donate the train state's buffers to the update.
      parallel: shard the episodes (rollout, reward, per-episode gradient work) over a device
        mesh; ``rollout_prompts * G`` and ``P * G`` must be multiples of the device count.
      rollout_prompts: R prompt groups rolled out per round (default P; > P oversamples).
      max_rounds: at most this many rounds per iteration (refill while the buffer is not full).
      min_groups: fewest kept groups that still update (default ``ceil(P / 2)``: the update
        never runs on a batch that is mostly empty).
      unroll: the update's loops as straight-line code (default: on CPU only,
        :func:`smoothvla_jax.rl.grpo.unroll_loops`).

    Metrics (scalars; rollout ones are means over all drawn episodes): ``reward_mean``,
    ``reward_std``, ``success_rate``, ``episode_length``, ``entropy`` (of the sampled
    action-token distributions, valid chunks), jerk metrics (``msj_ee``, ``dimensionless_jerk_ee``,
    ``ldlj_ee``, ``msj_action``, ``chunk_discontinuity``, ``jerk_cost``), ``n_success`` and
    ``log_msj_ee_success`` (mean ln MSJ of the successful episodes, 0 when none),
    ``valid_chunk_frac``,
    ``rounds``, ``groups_drawn``, ``groups_kept`` (informative groups seen), ``groups_used``
    (in the update batch), ``updated``; when updated also ``loss``, ``pg_loss``, ``clip_frac``,
    ``approx_kl``, ``ratio_mean``, ``ratio_first`` (first minibatch, 1 up to float error),
    ``grad_norm``, ``kl_ref`` (k3 KL to the SFT reference, also when ``kl_coef == 0``: then of
    the rollout policy, on a sample of valid decisions; 0 when the state keeps no reference),
    ``valid_decisions`` (decisions with an executed step among the ``used_decisions`` =
    groups_used * G * C) and ``update_decisions`` (the compacted batch size).
    """
    g, p = int(grpo_config.group_size), int(prompts_per_iteration)
    r_p = p if rollout_prompts is None else int(rollout_prompts)
    n_eps, n_roll = p * g, r_p * g
    if p < 1:
        raise ValueError(f"prompts_per_iteration must be >= 1, got {p}")
    if r_p < 1:
        raise ValueError(f"rollout_prompts must be >= 1, got {r_p}")
    if int(max_rounds) < 1:
        raise ValueError(f"max_rounds must be >= 1, got {max_rounds}")
    min_groups = -(-p // 2) if min_groups is None else int(min_groups)
    if not 1 <= min_groups <= p:
        raise ValueError(f"min_groups={min_groups} must be in [1, prompts_per_iteration={p}]")
    if n_eps % grpo_config.num_minibatches:
        raise ValueError(f"P * G = {p} * {g} = {n_eps} episodes is not divisible by "
                         f"num_minibatches={grpo_config.num_minibatches}")
    if ds_criterion not in DS_CRITERIA:
        raise ValueError(f"ds_criterion must be one of {DS_CRITERIA}, got {ds_criterion!r}")
    pool = np.arange(env.num_init_states) if init_states is None else np.asarray(init_states)
    pool = jnp.asarray(pool.reshape(-1), jnp.int32)
    if pool.size == 0:
        raise ValueError("init_states is empty")
    replace = r_p > pool.size
    temp = float(grpo_config.temperature)
    chunk = vla_config.chunk

    if parallel is not None:
        parallel.check_batch(n_roll, f"rolled-out episodes (R * G = {r_p} * {g})")
        parallel.check_batch(n_eps, f"update episodes (P * G = {p} * {g})")
    constrain = parallel.constrain_batch if parallel is not None else (lambda t: t)

    rollout = make_rollout_fn(env, vla_config, action_tokenizer, instruction_tokens,
                              instruction_mask, num_chunks, temp,
                              action_normalizer=action_normalizer)
    # R * G episodes in one flat vmap (episode i starts from prompt i // G); the flat
    # episode axis is what a device mesh splits
    flat_rollout = jax.vmap(rollout, in_axes=(None, 0, 0))

    apply_logp = lambda params, mb: _policy_logp(params, vla_config, mb, temp)
    unroll = unroll_loops(unroll)
    update = make_update_fn(apply_logp, optimizer, grpo_config, unroll)
    n_mb = grpo_config.num_minibatches
    n_dev = parallel.num_devices if parallel is not None else 1
    # compacted update batch sizes (decisions); the smallest is also the KL-log sample
    ladder = bucket_ladder(n_eps * num_chunks, math.lcm(n_mb, n_dev))

    def reference_logp(ref_params: Params, batch: dict[str, jax.Array]) -> jax.Array:
        """Reference log-probs ``[S, 1, K, D]`` of a compacted batch, one minibatch-sized
        forward at a time (a Python loop when ``unroll``)."""
        s = batch["advantages"].shape[0]
        mbs = jax.tree.map(lambda x: x.reshape((n_mb, s // n_mb) + x.shape[1:]), batch)
        _, out = scan_or_unroll(lambda c, mb: (c, apply_logp(ref_params, mb)), None, mbs,
                                unroll)
        return out.reshape((s,) + out.shape[2:])

    def sampled_kl(ref_params: Params, batch: dict[str, jax.Array], key: jax.Array
                   ) -> jax.Array:
        """k3 KL(rollout policy || reference) on a stratified sample of ``ladder[0]`` valid
        decisions of the compacted ``batch`` (valid ones first): the rollout's own tokens and
        log-probs against one small reference forward (only logged, ``kl_coef == 0``)."""
        s, m = batch["advantages"].shape[0], min(ladder[0], batch["advantages"].shape[0])
        n_valid = jnp.sum(decision_valid(batch["mask"]))
        u = (jnp.arange(m) + jax.random.uniform(key, (m,))) / m
        idx = jnp.clip(jnp.floor(u * n_valid).astype(jnp.int32), 0, s - 1)
        sub = constrain(jax.tree.map(lambda x: jnp.take(x, idx, axis=0), batch))
        logp_ref = apply_logp(ref_params, sub)
        return kl_penalty(sub["logp_old"], logp_ref, sub["mask"])

    def one_round(params: Params, key: jax.Array):
        """R groups -> (groups {name: [R, G, ...]}, keep [R] bool, metrics, episodes)."""
        k_prompt, k_roll = jax.random.split(key)
        prompts = jax.random.choice(k_prompt, pool, (r_p,), replace=replace)         # [R]
        keys, starts = constrain((jax.random.split(k_roll, n_roll),
                                  jnp.repeat(prompts, g)))                           # [R*G]
        traj = flat_rollout(params, keys, starts)                                    # [R*G, .]
        traj = jax.tree.map(lambda x: x.reshape((r_p, g) + x.shape[1:]), traj)       # [R, G, .]

        rewards, ep = episode_metrics(traj, reward_config, chunk)                    # [R, G]
        adv = group_advantages(rewards, grpo_config.adv_eps, grpo_config.adv_norm)
        if grpo_config.dynamic_sampling:
            keep = informative_groups(traj.success, rewards, ds_criterion, ds_tol)   # [R]
        else:
            keep = jnp.ones((r_p,), bool)
        step_mask = traj.step_mask.reshape(traj.step_mask.shape[:2] + traj.tokens.shape[2:4])
        obs = traj.obs
        groups = {"tokens": traj.tokens, "logp_old": traj.logp, "advantages": adv,
                  "mask": step_mask.astype(jnp.float32),                            # [R,G,C,K]
                  "agentview": obs.agentview, "wrist": obs.wrist, "proprio": obs.proprio,
                  "text": obs.tokens, "text_mask": obs.token_mask}
        cm = traj.chunk_mask.astype(jnp.float32)
        ent = (traj.entropy * cm).sum(-1) / jnp.maximum(cm.sum(-1), 1.0)              # [R, G]
        metrics = {k: jnp.mean(v) for k, v in ep.items() if k != "success"}
        n_succ = jnp.sum(ep["success"])
        log_msj = jnp.log(jnp.maximum(ep["msj_ee"], 1e-30))
        metrics.update(  # jerk of successful episodes only (0 when none: weigh by n_success)
            n_success=n_succ,
            log_msj_ee_success=jnp.sum(log_msj * ep["success"]) / jnp.maximum(n_succ, 1.0))
        metrics.update(
            reward_mean=jnp.mean(rewards), reward_std=jnp.mean(jnp.std(rewards, axis=-1)),
            success_rate=jnp.mean(ep["success"]),
            entropy=jnp.mean(ent), valid_chunk_frac=jnp.mean(cm),
            groups_kept_round=keep.sum().astype(jnp.float32))
        episodes = None
        if return_episodes:
            episodes = {
                "prompts": prompts, "rewards": rewards, "advantages": adv, "keep": keep,
                "success": traj.success, "length": traj.length, "actions": traj.actions,
                "ee_pos": traj.ee_pos, "step_mask": traj.step_mask,
                "chunk_mask": traj.chunk_mask}
        return groups, keep, metrics, episodes

    def collect(params, key, buffer, filled):
        groups, keep, metrics, episodes = one_round(params, key)
        buffer, filled = fill_buffer(buffer, filled, groups, keep)
        if episodes is not None:
            metrics["episodes"] = episodes
        return buffer, filled, metrics

    def update_fn(state: GRPOTrainState, buffer: dict[str, jax.Array], filled: jax.Array,
                  key: jax.Array, size: int) -> tuple[GRPOTrainState, Metrics]:
        """PPO epochs on the ``size`` (static, from ``ladder``) decisions of the buffer's used
        groups that have an executed step (:func:`smoothvla_jax.rl.grpo.compact_decisions`)."""
        used = jnp.arange(p) < filled                                                 # [P]
        buf = dict(buffer, mask=apply_group_mask(buffer["mask"], used))
        episodes = jax.tree.map(lambda x: x.reshape((n_eps,) + x.shape[2:]), buf)
        batch = constrain(compact_decisions(episodes, size, grpo_config.loss_agg))   # [S, 1, .]
        k_upd, k_kl = jax.random.split(key)
        kl_ref = jnp.zeros(())
        if state.ref_params is not None:
            if grpo_config.kl_coef > 0:  # exact: the reference on every update decision
                batch["logp_ref"] = jax.lax.stop_gradient(
                    reference_logp(state.ref_params, batch))
            else:  # only logged: a small sample
                kl_ref = jax.lax.stop_gradient(sampled_kl(state.ref_params, batch, k_kl))
        elif grpo_config.kl_coef > 0:  # no reference kept: the rollout policy stands in
            batch["logp_ref"] = batch["logp_old"]
        params, opt_state, upd = update(state.params, state.opt_state, batch, k_upd)
        upd = dict(upd)
        upd["kl_ref"] = upd.pop("kl", kl_ref)
        return state.replace(step=state.step + 1, params=params, opt_state=opt_state), upd

    shapes = jax.eval_shape(one_round, _params_shape_hint(vla_config), jax.random.PRNGKey(0))[0]
    buffer_shapes = jax.tree.map(lambda s: jax.ShapeDtypeStruct((p,) + s.shape[1:], s.dtype),
                                 shapes)
    donate_argnums = (0,) if donate else ()
    if parallel is None:
        upd_jit = jax.jit(update_fn, donate_argnums=donate_argnums, static_argnums=(4,))
    else:
        upd_jit = jax.jit(update_fn, donate_argnums=donate_argnums, static_argnums=(4,),
                          out_shardings=(parallel.state, parallel.replicated))
    return GRPOIteration(collect=jax.jit(collect), update=upd_jit, buffer_shapes=buffer_shapes,
                         prompts=p, rollout_prompts=r_p, group_size=g,
                         max_rounds=int(max_rounds), min_groups=min_groups, ladder=ladder)


def _params_shape_hint(vla_config: VLAConfig) -> Any:
    """Abstract params of ``vla_config`` (for shape inference only)."""
    from smoothvla_jax.model import init_params

    return jax.eval_shape(lambda k: init_params(k, vla_config), jax.random.PRNGKey(0))


def init_train_state(params: Params, optimizer: optax.GradientTransformation, rng: jax.Array,
                     keep_reference: bool) -> GRPOTrainState:
    """Fresh state at step 0; ``ref_params`` is a copy of ``params`` when ``keep_reference``.

    ``params`` may be host (NumPy) arrays, as a checkpoint restore gives them: they are put on
    the device here, because a jitted update first called with NumPy leaves and then with its
    own (device) outputs compiles twice."""
    params = jax.tree.map(jnp.asarray, params)
    ref = jax.tree.map(jnp.array, params) if keep_reference else None  # own buffers (donation)
    return GRPOTrainState(step=jnp.zeros((), jnp.int32), params=params,
                          opt_state=optimizer.init(params), rng=jnp.asarray(rng, jnp.uint32),
                          ref_params=ref)


# ============================================================================ config plumbing
def grpo_config_from(g: GRPOTrainConfig | Any) -> GRPOConfig:
    """:class:`GRPOConfig` from the ``config.grpo`` section (``max_grad_norm <= 0`` = off)."""
    if not isinstance(g, GRPOTrainConfig):
        g = as_config({"grpo": g.to_dict() if hasattr(g, "to_dict") else dict(g)}).grpo
    return GRPOConfig(
        group_size=g.group_size, clip_low=g.clip_low, clip_high=g.clip_high,
        kl_coef=g.kl_coef, temperature=g.temperature, update_epochs=g.update_epochs,
        num_minibatches=g.num_minibatches, adv_eps=g.adv_eps,
        dynamic_sampling=g.dynamic_sampling, adv_norm=g.adv_norm,
        loss_agg=g.loss_agg, max_grad_norm=g.max_grad_norm if g.max_grad_norm > 0 else None)


def episode_shape(g: GRPOTrainConfig, chunk: int,
                  task_key: str | None = None) -> tuple[int, int]:
    """``(horizon, num_chunks)`` from ``config.grpo``: the env's step limit ``g.horizon`` and
    ``C = g.num_chunks`` decisions; either may be 0 (derived from the other:
    ``C = ceil(horizon / K)``, ``horizon = C * K``); both 0 = the LIBERO limit of ``task_key``
    (per task, e.g. in a mixed-suite run)."""
    from smoothvla_jax import builders

    horizon, c = g.horizon, g.num_chunks
    if horizon <= 0 and c <= 0:
        if task_key is None:
            raise ValueError("set config.grpo.horizon (control steps) and/or "
                             "config.grpo.num_chunks (or 0 for each task's LIBERO limit)")
        horizon = builders.episode_limit(task_key, 0)
    c = c if c > 0 else -(-horizon // chunk)
    horizon = horizon if horizon > 0 else c * chunk
    if c * chunk < horizon:
        raise ValueError(f"grpo.num_chunks={c} x chunk {chunk} < grpo.horizon={horizon}")
    return horizon, c


@dataclasses.dataclass
class TaskSetup:
    """One task's env and compiled iteration."""

    key: str
    env: LiberoEnv
    iteration: GRPOIteration
    compile_s: float = 0.0


def build_task_iteration(task_key: str, policy: Any, config: Config | Any,
                         optimizer: optax.GradientTransformation, **kwargs: Any) -> TaskSetup:
    """Env (``config.env.dynamics``) + jitted iteration for one task of a GRPO config
    (``policy``: a :class:`smoothvla_jax.checkpoints.Policy` trained under those dynamics,
    else CheckpointError)."""
    from smoothvla_jax import builders

    config = as_config(config)
    g, vcfg = config.grpo, policy.vla_config
    s = vcfg.image_size
    horizon, num_chunks = episode_shape(g, vcfg.chunk, task_key)
    layouts = g.prompt_layouts
    n_init = g.num_train_init or NUM_INIT_STATES
    policy.check_dynamics(config.env.dynamics)
    env = LiberoEnv(task_key, builders.env_config(
        config, render=RenderConfig(width=s, height=s), max_steps=horizon,
        train_layouts=n_init if layouts == "train" else 0))
    tokens, mask = policy.tokenizer.encode(env.instruction, max_len=vcfg.text_max_len)
    pool = env.start_indices(layouts, n_init)
    it = make_grpo_iteration(
        env, vcfg, policy.action_tokenizer, tokens[0], mask[0], grpo_config_from(g),
        config.reward, optimizer, num_chunks,
        g.prompts_per_iteration, policy.action_normalizer,
        init_states=pool, ds_criterion=g.ds_criterion,
        rollout_prompts=g.rollout_prompts or None, max_rounds=g.max_rounds,
        min_groups=g.min_groups or None, ds_tol=g.ds_tol, **kwargs)
    return TaskSetup(key=task_key, env=env, iteration=it)


def make_parallel(config: Config, state: GRPOTrainState,
                  optimizer: optax.GradientTransformation) -> DataParallel | None:
    """:class:`DataParallel` from ``config.parallel`` (``num_devices``: 0 = all devices,
    1 = no mesh; ``params``: ``"replicate"`` | ``"fsdp"``), or None on one device."""
    from smoothvla_jax.parallel import make_mesh

    par = as_config(config).parallel
    n = par.num_devices
    if n == 1 or (n == 0 and jax.device_count() == 1):
        return None
    return DataParallel.create(make_mesh(n), state, optimizer, par.params, par.min_fsdp_size)


def grpo_workdir(config: Config) -> str:
    """The GRPO run directory: ``grpo.workdir``, else ``<workdir>/grpo``."""
    return os.path.abspath(config.grpo.workdir or os.path.join(config.workdir, "grpo"))


def init_checkpoint(config: Config) -> str:
    """The SFT run GRPO starts from: ``grpo.init_checkpoint``, else ``config.workdir``."""
    return os.path.abspath(config.grpo.init_checkpoint or config.workdir)


# fields whose change does not change the GRPO result (bookkeeping, evaluation; the number of
# iterations: the learning rate is constant, so more iterations extend the same run)
RESUME_IGNORED = ("grpo.num_iterations", "grpo.log_every", "grpo.save_every", "grpo.keep_checkpoints",
                  "grpo.async_checkpoint", "grpo.resume", "grpo.eval_at_end", "grpo.workdir",
                  "grpo.init_checkpoint")


# ============================================================================ the run
def run_grpo(config: Config | Any, workdir: str | None = None) -> dict[str, Any]:
    """Runs (or resumes) GRPO from the SFT checkpoint :func:`init_checkpoint`.

    Writes to ``workdir`` (default :func:`grpo_workdir`): ``checkpoints/`` (params, and
    ``train_state`` = opt state, step, base RNG; same layout/meta as SFT, so
    ``smoothvla_jax.evaluate`` loads GRPO checkpoints too), ``tb/`` + ``metrics.jsonl``
    (``grpo/*`` rows, one per iteration) and, when ``config.grpo.eval_at_end``,
    ``eval/step_<n>/eval.json`` (:func:`smoothvla_jax.evaluation.evaluate_policy`: per-task
    summary + per-episode metrics and EE paths). Resuming with changed ``seed``/``grpo``/
    ``reward`` fields raises :class:`smoothvla_jax.config.ConfigError` naming them (unless
    ``config.allow_config_change``). Returns a summary dict.
    """
    from tqdm import tqdm

    from smoothvla_jax import builders, checkpoints
    from smoothvla_jax.logger import MetricLogger

    config = as_config(config)
    g = config.grpo
    workdir = os.path.abspath(workdir or grpo_workdir(config))
    init_dir = init_checkpoint(config)
    try:
        policy = checkpoints.load_policy(init_dir, None if g.init_step < 0 else g.init_step)
    except checkpoints.CheckpointError as e:
        raise checkpoints.CheckpointNotFoundError(
            f"grpo.init_checkpoint={init_dir!r} (step {g.init_step}) is not a usable SFT "
            f"checkpoint ({e}); run the sft stage first or set --config.grpo.init_checkpoint "
            f"to an SFT run directory") from e
    policy.check_dynamics(config.env.dynamics)
    vcfg = policy.vla_config
    tasks = builders.task_keys(g.tasks or config.data.tasks, config.data.suite)
    unseen = sorted(set(tasks) - set(policy.meta.get("tasks", tasks)))
    if unseen:
        print(f"warning: GRPO tasks {unseen} were not in the SFT data of {init_dir}")
    gcfg = grpo_config_from(g)
    rcfg = config.reward
    optimizer = make_grpo_optimizer(g.lr, g.weight_decay)
    rng = jax.random.PRNGKey(config.seed)
    # the reference is always kept: KL to the SFT policy is logged even when kl_coef == 0
    state = init_train_state(policy.params, optimizer, rng, keep_reference=True)
    parallel = make_parallel(config, state, optimizer)
    if parallel is not None:
        state = parallel.put(state)
        print(f"GRPO data-parallel over {parallel.num_devices} devices "
              f"({jax.devices()[0].platform}), params {parallel.params_mode}")

    meta = checkpoints.make_meta(
        vcfg, policy.action_tokenizer, policy.action_normalizer, policy.tokenizer,
        config.to_dict(), stage="grpo", init_checkpoint=init_dir,
        init_step=policy.step, tasks=tasks, reward=rcfg.to_dict())
    ckpt_dir = os.path.join(workdir, "checkpoints")
    if os.path.abspath(checkpoints.resolve_dir(init_dir)) == ckpt_dir:
        raise ValueError(f"GRPO workdir {workdir} is the SFT run grpo.init_checkpoint; give GRPO "
                         f"its own --config.grpo.workdir")
    ckpt = checkpoints.Checkpointer(ckpt_dir, g.keep_checkpoints, g.async_checkpoint)
    if ckpt.latest_step() is not None and ckpt.restore_meta().get("stage") != "grpo":
        raise ValueError(f"{ckpt_dir} holds non-GRPO checkpoints; use another "
                         f"--config.grpo.workdir")
    if g.resume and ckpt.latest_step() is not None:
        check_resume(ckpt.restore_meta().get("config", {}), config,
                     ("seed", "env", "grpo", "reward"),
                     RESUME_IGNORED, f"GRPO run {workdir}")
        target = {"opt_state": state.opt_state, "rng": state.rng, "step": state.step}
        step, params, ts, _ = ckpt.restore(state.params, target)
        state = state.replace(step=jnp.asarray(ts["step"], jnp.int32),
                              params=jax.tree.map(jnp.asarray, params),
                              opt_state=jax.tree.map(jnp.asarray, ts["opt_state"]),
                              rng=jnp.asarray(ts["rng"], jnp.uint32))
        print(f"resumed GRPO from {ckpt.directory}/{step}")

    def save() -> None:
        ts = {"opt_state": state.opt_state, "rng": state.rng, "step": state.step}
        ckpt.save(int(state.step), state.params, ts, meta)

    setups: dict[str, TaskSetup] = {}
    log = MetricLogger(workdir, config=config)
    total, start = g.num_iterations, int(state.step)
    log_every, save_every = g.log_every, g.save_every
    shapes = {t: episode_shape(g, vcfg.chunk, t) for t in tasks}
    limits = ", ".join(sorted({f"{c}x{vcfg.chunk} steps (limit {h})" for h, c in shapes.values()}))
    print(f"GRPO: tasks {tasks}, P={g.prompts_per_iteration} x G={gcfg.group_size} episodes of "
          f"{limits}, {total} iterations, "
          f"reward {rcfg.kind}"
          f"/{rcfg.form}, workdir {workdir}")
    last: dict[str, float] = {}
    iter_times: list[float] = []
    with tqdm(total=total, initial=start, desc="grpo", unit="it") as pbar:
        for it in range(start, total):
            task = tasks[it % len(tasks)]
            key = jax.random.fold_in(state.rng, it)
            if task not in setups:
                setups[task] = build_task_iteration(task, policy, config, optimizer,
                                                    parallel=parallel)
            su = setups[task]
            t0 = time.perf_counter()
            state, metrics = su.iteration(state, key)
            dt_iter = time.perf_counter() - t0
            if not su.compile_s:  # the first call compiles collect + update
                su.compile_s = dt_iter
                log.write(it, {"compile_s": su.compile_s}, prefix=f"grpo/{task}/")
            else:
                iter_times.append(dt_iter)
            pbar.update(1)
            row = {k: float(v) for k, v in metrics.items() if np.ndim(v) == 0}
            row.update(iter_s=dt_iter, task_index=tasks.index(task),
                       rollout_s=su.iteration.last_times["rollout"],
                       update_s=su.iteration.last_times["update"])
            if (it + 1) % log_every == 0 or it + 1 == total:
                log.write(it + 1, row, prefix="grpo/")
                log.write(it + 1, {"success_rate": row["success_rate"],
                                   "reward_mean": row["reward_mean"]}, prefix=f"grpo/{task}/")
            last = row
            pbar.set_postfix(task=task.split("/")[-1], R=f"{row['reward_mean']:.3f}",
                             succ=f"{row['success_rate']:.2f}",
                             kept=f"{row['groups_used']:.0f}/{row['groups_drawn']:.0f}",
                             s=f"{dt_iter:.1f}")
            if (it + 1) % save_every == 0 or it + 1 == total:
                save()
    if ckpt.latest_step() != int(state.step):
        save()
    ckpt.close()
    log.close()
    summary: dict[str, Any] = {
        "workdir": workdir, "checkpoint_dir": ckpt.directory, "step": int(state.step),
        "compile_s": {k: round(v.compile_s, 1) for k, v in setups.items()},
        "mean_iter_s": float(np.mean(iter_times)) if iter_times else None, **last}
    if g.eval_at_end:
        from smoothvla_jax.evaluation import evaluate_policy

        res = evaluate_policy(workdir, config, seed=config.seed, videos=False)
        summary["eval"] = res["out_path"]
        summary["eval_success_rate"] = res["tasks"]["overall"]["success_rate"]
    return summary


__all__ = [
    "GRPOIteration",
    "GRPOTrainState",
    "TaskSetup",
    "build_task_iteration",
    "episode_metrics",
    "episode_shape",
    "grpo_config_from",
    "grpo_workdir",
    "init_checkpoint",
    "init_train_state",
    "make_grpo_iteration",
    "make_grpo_optimizer",
    "make_parallel",
    "run_grpo",
]


if __name__ == "__main__":  # a library module: say where the command is instead of doing nothing
    import sys

    sys.stderr.write("error: smoothvla_jax.rl.trainer has no command line; run GRPO with "
                     "python -m smoothvla_jax.train --config=<config> --config.stages=grpo\n")
    sys.exit(2)
