"""Closed-loop VLA rollouts in MJX: one jitted function per (env, policy config).

``rollout(params, key, init_index) -> Trajectory`` resets the env to a fixed initial state, then
``lax.scan``s over ``C`` chunk decisions. Each decision runs the policy once on the current
observation, samples a ``K``-step chunk of action tokens at ``temperature`` (``<= 1e-5`` =
greedy argmax) and executes the chunk open-loop with an inner ``lax.scan`` of env steps.
The cameras are rendered once per decision (where the policy reads them), not at every env
step (``env.step(..., render=False)`` + ``env.render``), unless ``record_frames``.
Decisions/steps after the episode ended are masked (the env step is a no-op once done).

The GRPO stage reuses it: ``Trajectory.tokens`` / ``logp`` / ``obs`` / ``chunk_mask`` are the
policy-gradient inputs (``logp`` uses the same temperature convention as
:func:`smoothvla_jax.model.log_probs`), ``ee_pos`` / ``actions`` / ``step_mask`` feed the jerk
reward and :func:`smoothvla_jax.metrics.smoothness_report`.

Batching: ``make_batch_rollout_fn(...)`` (or ``batched(rollout)``) gives
``rollout_batch(params, key, init_indices [B]) -> Trajectory`` with leading dim B, one
independent key per episode (so a group of identical init indices gets different samples).
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import jax
import jax.numpy as jnp
import numpy as np
from flax import struct

from envs_mjx.env import LiberoEnv, State
from smoothvla_jax.model import (
    MIN_TEMPERATURE,
    ActionNormalizer,
    ActionTokenizer,
    Observation,
    VLAConfig,
    apply_policy,
    log_probs,
    sample_tokens,
)

Params = Any
RolloutFn = Callable[[Params, jax.Array, jax.Array], "Trajectory"]


@struct.dataclass
class Trajectory:
    """One closed-loop episode (unbatched shapes; vmap adds leading dims). T = C * K.

    Attributes:
      tokens: int32 [C, K, 7] sampled action bins per chunk decision.
      logp: float32 [C, K, 7] log-probs of ``tokens`` under ``softmax(logits / temperature)``.
      obs: :class:`Observation` at each decision, leading dim C (uint8 images, instruction).
      chunk_mask: bool [C], decision valid (episode not done when the chunk started).
      actions: float32 [T, 7] executed (clipped to [-1, 1]) actions.
      ee_pos: float32 [T, 3] end-effector position after each step.
      step_mask: bool [T], step taken before done (includes the step that finished).
      success: bool [] task success at the end.
      length: int32 [] number of valid steps.
      frames: uint8 [T, H, W, 3] agentview after each step, or None.
      entropy: float32 [C] mean entropy (nats) of the sampled token distributions
        ``softmax(logits / temperature)`` over the chunk's K * 7 tokens.
    """

    tokens: jax.Array
    logp: jax.Array
    obs: Observation
    chunk_mask: jax.Array
    actions: jax.Array
    ee_pos: jax.Array
    step_mask: jax.Array
    success: jax.Array
    length: jax.Array
    frames: jax.Array | None = None
    entropy: jax.Array | None = None


def _check_env(env: LiberoEnv, vla_config: VLAConfig) -> None:
    if env.renderer is None:
        raise ValueError("policy rollouts need pixels: build the env with "
                         "EnvConfig(render=RenderConfig(width=S, height=S))")
    rc = env.renderer.config
    if (rc.height, rc.width) != (vla_config.image_size, vla_config.image_size):
        raise ValueError(f"env renders {rc.height}x{rc.width} but the policy expects "
                         f"{vla_config.image_size}x{vla_config.image_size} images")
    for cam in ("agentview", "wrist"):
        if cam not in rc.cameras:
            raise ValueError(f"env must render camera {cam!r} (has {rc.cameras})")


def make_rollout_fn(env: LiberoEnv, vla_config: VLAConfig, action_tokenizer: ActionTokenizer,
                    instruction_tokens: Any, instruction_mask: Any, num_chunks: int,
                    temperature: float, record_frames: bool = False,
                    action_normalizer: ActionNormalizer | None = None) -> RolloutFn:
    """Builds the jitted ``rollout(params, key, init_index) -> Trajectory``.

    Args:
      env: env rendering ``agentview`` and ``wrist`` at ``vla_config.image_size``.
      vla_config: policy config (``chunk`` = K).
      action_tokenizer: bins <-> normalised actions.
      instruction_tokens: int [L] (or [1, L]) encoded task instruction.
      instruction_mask: bool [L] (or [1, L]).
      num_chunks: C decisions per episode (horizon C * K steps; the env may end earlier).
      temperature: sampling temperature (>= 0; ``<= MIN_TEMPERATURE`` means greedy, and ``logp``
        is then computed at ``MIN_TEMPERATURE``).
      record_frames: also return the agentview frame after every step.
      action_normalizer: maps decoded (normalised) actions back to env actions (default identity).
    """
    _check_env(env, vla_config)
    if float(temperature) < 0:
        raise ValueError(f"temperature must be >= 0, got {temperature}")
    if int(num_chunks) < 1:
        raise ValueError(f"num_chunks must be >= 1, got {num_chunks}")
    text = jnp.asarray(np.asarray(instruction_tokens).reshape(-1), jnp.int32)
    text_mask = jnp.asarray(np.asarray(instruction_mask).reshape(-1), bool)
    if text.shape != text_mask.shape or text.shape[0] > vla_config.text_max_len:
        raise ValueError(f"instruction tokens {text.shape} / mask {text_mask.shape} must match "
                         f"and have length <= {vla_config.text_max_len}")
    normalizer = action_normalizer or ActionNormalizer()
    num_chunks, k = int(num_chunks), vla_config.chunk
    temp = float(temperature)

    def observe(state: State) -> Observation:
        return Observation(agentview=state.obs["agentview"], wrist=state.obs["wrist"],
                           proprio=state.obs["proprio"], tokens=text, token_mask=text_mask)

    def decide(params: Params, obs: Observation, key: jax.Array):
        logits = apply_policy(params, vla_config, jax.tree.map(lambda x: x[None], obs))
        tokens = sample_tokens(key, logits, temp)                      # [1, K, 7]
        logp = log_probs(logits, tokens, max(temp, MIN_TEMPERATURE))   # [1, K, 7]
        lp_all = jax.nn.log_softmax(logits.astype(jnp.float32) / max(temp, MIN_TEMPERATURE))
        entropy = -(jnp.exp(lp_all) * lp_all).sum(-1).mean()           # []
        actions = normalizer.unnormalize(action_tokenizer.decode(tokens))
        return tokens[0], logp[0], jnp.clip(actions[0], -1.0, 1.0), entropy

    def execute(state: State, action: jax.Array):
        valid = ~state.done
        state = env.step(state, action, render=record_frames)
        frame = state.obs["agentview"] if record_frames else None
        return state, (action, state.ee_pos, valid, frame)

    def rollout(params: Params, key: jax.Array, init_index: jax.Array) -> Trajectory:
        reset_key, key = jax.random.split(key)
        state = env.reset(reset_key, init_index)

        def decision(state: State, key: jax.Array):
            if not record_frames:  # steps did not render; reset did (one extra render)
                state = env.render(state)
            obs = observe(state)
            chunk_valid = ~state.done
            tokens, logp, actions, entropy = decide(params, obs, key)
            state, steps = jax.lax.scan(execute, state, actions)
            return state, (tokens, logp, obs, chunk_valid, steps, entropy)

        keys = jax.random.split(key, num_chunks)
        final, (tokens, logp, obs, chunk_mask, steps, entropy) = jax.lax.scan(decision, state,
                                                                               keys)
        actions, ee_pos, step_mask, frames = steps
        flat = lambda x: None if x is None else x.reshape((num_chunks * k,) + x.shape[2:])
        step_mask = flat(step_mask)
        return Trajectory(tokens=tokens, logp=logp, obs=obs, chunk_mask=chunk_mask,
                          actions=flat(actions), ee_pos=flat(ee_pos), step_mask=step_mask,
                          success=final.success, length=step_mask.sum().astype(jnp.int32),
                          frames=flat(frames), entropy=entropy)

    return jax.jit(rollout)


def batched(rollout: RolloutFn) -> Callable[[Params, jax.Array, jax.Array], Trajectory]:
    """``rollout_batch(params, key, init_indices [B]) -> Trajectory`` (leading dim B), jitted;
    episode ``b`` uses ``jax.random.split(key, B)[b]``."""

    def rollout_batch(params: Params, key: jax.Array, init_indices: jax.Array) -> Trajectory:
        init_indices = jnp.asarray(init_indices, jnp.int32)
        keys = jax.random.split(key, init_indices.shape[0])
        return jax.vmap(rollout, in_axes=(None, 0, 0))(params, keys, init_indices)

    return jax.jit(rollout_batch)


def make_batch_rollout_fn(*args: Any, **kwargs: Any):
    """``batched(make_rollout_fn(*args, **kwargs))``."""
    return batched(make_rollout_fn(*args, **kwargs))
