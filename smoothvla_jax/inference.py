"""Inference facade: load a checkpoint, call it on camera images + proprio + an instruction.

    from smoothvla_jax import load_policy

    policy = load_policy("exports/libero10")          # exported dir or training run dir
    actions = policy({"agentview": img, "wrist": wrist_img, "proprio": proprio},
                     "put both moka pots on the stove")  # float32 [K, 7], env units

Shapes (S = ``policy.image_size``, P = ``policy.proprio_dim`` = 8, K = ``policy.chunk``):

* unbatched: ``agentview`` / ``wrist`` uint8 [S, S, 3], ``proprio`` float [P] -> [K, 7];
* batched: uint8 [B, S, S, 3], float [B, P] -> [B, K, 7]; the instruction is one string for
  the whole batch or a sequence of B strings.

``proprio`` is ``[ee_pos(3), ee_rot(3), gripper finger qpos(2)]``, exactly
``LiberoEnv``'s ``state.obs["proprio"]``. Actions are decoded like closed-loop rollouts
(:mod:`smoothvla_jax.rollout`): bins -> bin centres (``ActionTokenizer.decode``) -> the
checkpoint's ``ActionNormalizer.unnormalize`` -> clipped to the env range [-1, 1]; a chunk is
meant to be executed open-loop, one action per 20 Hz control step.

Sampling: ``temperature=0`` (default) is greedy argmax; ``temperature > 0`` samples from
``softmax(logits / temperature)`` with ``rng`` (a JAX key or an int seed) or, when ``rng`` is
None, from the policy's own key stream (seeded by ``load_policy(..., seed=)``, advanced per call).
Only the network and bin selection run on the device; decoding runs on the host in NumPy, so
the result is bitwise ``ActionTokenizer.decode`` + ``unnormalize`` of the chosen bins.
The forward pass is jitted once per batch size and cached (temperature is a traced argument,
so changing it does not recompile); instruction strings are tokenized once and cached.
"""

from __future__ import annotations

import os
import warnings
from collections.abc import Mapping, Sequence
from typing import Any

import jax
import jax.numpy as jnp
import numpy as np

from smoothvla_jax import checkpoints
from smoothvla_jax.model import (
    UNK_ID,
    ActionNormalizer,
    ActionTokenizer,
    InstructionTokenizer,
    Observation,
    VLAConfig,
    abstract_params,
    apply_policy,
    sample_tokens,
)
from smoothvla_jax.model.vla import PROPRIO_DIM

Params = Any
ENV_ACTION_LOW, ENV_ACTION_HIGH = -1.0, 1.0
CAMERAS = ("agentview", "wrist")
_TOKEN_CACHE_SIZE = 1024


def _make_bins_fn(vla_config: VLAConfig):
    """``bins(params, obs [B], key, temperature []) -> int32 [B, K, 7]`` (pure; jitted by the
    caller)."""

    def bins(params: Params, obs: Observation, key: jax.Array, temperature: jax.Array):
        logits = apply_policy(params, vla_config, obs)               # [B, K, A, N]
        return sample_tokens(key, logits, temperature)               # [B, K, A]

    return bins


def _check_params(params: Params, vla_config: VLAConfig, where: str) -> None:
    """Raises CheckpointError when ``params`` do not have the shapes ``vla_config`` implies."""
    want = {jax.tree_util.keystr(k): tuple(v.shape)
            for k, v in jax.tree_util.tree_leaves_with_path(abstract_params(vla_config))}
    got = {jax.tree_util.keystr(k): tuple(np.shape(v))
           for k, v in jax.tree_util.tree_leaves_with_path(params)}
    if want != got:
        missing = sorted(set(want) - set(got))[:3]
        extra = sorted(set(got) - set(want))[:3]
        shape = [f"{k}: {got[k]} != {want[k]}" for k in sorted(set(want) & set(got))
                 if got[k] != want[k]][:3]
        raise checkpoints.CheckpointError(
            f"checkpoint {where}: params do not match its vla_config (missing {missing}, "
            f"unexpected {extra}, shape mismatches {shape})")


class InferencePolicy:
    """A loaded policy: ``policy(obs, instruction) -> actions`` (see the module docstring).

    Build with :func:`load_policy` (from disk) or ``InferencePolicy(checkpoints.Policy)``.

    Attributes:
      vla_config, action_tokenizer, action_normalizer, tokenizer: from the checkpoint's meta.
      params: the parameter pytree (on the default device).
      step: checkpoint step. meta: the checkpoint's full meta dict.
      dynamics: the env dynamics it was trained under (``"libero"`` | ``"libero_fast"`` |
        ``"ik"``; ``"ik"`` when the checkpoint predates the record): run it in
        ``LiberoEnv(task, EnvConfig.for_dynamics(policy.dynamics, ...))``.
    """

    def __init__(self, policy: checkpoints.Policy, seed: int = 0):
        self.vla_config: VLAConfig = policy.vla_config
        self.action_tokenizer: ActionTokenizer = policy.action_tokenizer
        self.action_normalizer: ActionNormalizer = policy.action_normalizer
        self.tokenizer: InstructionTokenizer = policy.tokenizer
        self.step: int = policy.step
        self.meta: dict[str, Any] = policy.meta
        self.dynamics: str = policy.dynamics
        self.params: Params = jax.device_put(policy.params)
        self._bins = jax.jit(_make_bins_fn(self.vla_config))
        self._compiled: dict[tuple[int, ...], Any] = {}
        self._tokens: dict[str, tuple[np.ndarray, np.ndarray]] = {}
        self._key = jax.random.PRNGKey(int(seed))
        self._greedy_key = jax.random.PRNGKey(0)  # unused by greedy decoding; fixes the shape

    # ------------------------------------------------------------------------ properties
    @property
    def image_size(self) -> int:
        """S: cameras are uint8 [S, S, 3]."""
        return self.vla_config.image_size

    @property
    def proprio_dim(self) -> int:
        return PROPRIO_DIM

    @property
    def chunk(self) -> int:
        """K: actions per call."""
        return self.vla_config.chunk

    @property
    def action_dim(self) -> int:
        return self.vla_config.action_dim

    @property
    def num_compiled(self) -> int:
        """Number of compiled forward passes (one per batch size seen)."""
        return len(self._compiled)

    def __repr__(self) -> str:
        return (f"InferencePolicy(step={self.step}, image_size={self.image_size}, "
                f"chunk={self.chunk}, exported={bool(self.meta.get('exported', False))})")

    # ------------------------------------------------------------------------ inputs
    def tokenize(self, instruction: str) -> tuple[np.ndarray, np.ndarray]:
        """``(tokens int32 [L], mask bool [L])``, L = ``vla_config.text_max_len`` (cached).

        Warns once per string about words outside the checkpoint's vocabulary (they become
        ``[UNK]``) and about truncation.
        """
        if not isinstance(instruction, str):
            raise TypeError(f"instruction must be a str, got {type(instruction).__name__}")
        hit = self._tokens.get(instruction)
        if hit is not None:
            return hit
        max_len = self.vla_config.text_max_len
        ids, mask = self.tokenizer.encode(instruction, max_len=max_len)
        vocab = self.tokenizer.get_vocab()
        words = self.tokenizer.words(instruction)
        unknown = sorted({w for w in words if w not in vocab})
        if unknown:
            warnings.warn(f"instruction {instruction!r}: words {unknown} are not in the "
                          f"checkpoint's vocabulary (encoded as [UNK] = {UNK_ID})", stacklevel=3)
        if len(words) + 2 > max_len:
            warnings.warn(f"instruction {instruction!r} has {len(words)} words; truncated to "
                          f"{max_len - 2} (text_max_len {max_len})", stacklevel=3)
        if len(self._tokens) >= _TOKEN_CACHE_SIZE:
            self._tokens.pop(next(iter(self._tokens)))
        self._tokens[instruction] = (ids[0], mask[0])
        return ids[0], mask[0]

    def observation(self, obs: Mapping[str, Any],
                    instruction: str | Sequence[str]) -> tuple[Observation, bool]:
        """Validates host inputs and builds a batched :class:`Observation`.

        Returns ``(observation with leading dim B, batched)``; ``batched`` is False for
        unbatched inputs (then B = 1). Raises ValueError naming the offending field.
        """
        if not isinstance(obs, Mapping):
            raise ValueError(f"obs must be a dict with keys {CAMERAS + ('proprio',)}, "
                             f"got {type(obs).__name__}")
        missing = [k for k in CAMERAS + ("proprio",) if k not in obs]
        s, p = self.image_size, self.proprio_dim
        if missing:
            raise ValueError(f"obs is missing {missing}; expected 'agentview' and 'wrist' uint8 "
                             f"[{s}, {s}, 3] (or [B, {s}, {s}, 3]) and 'proprio' float [{p}] "
                             f"(or [B, {p}]); got keys {sorted(obs)}")
        arrays = {k: np.asarray(obs[k]) for k in CAMERAS + ("proprio",)}
        av = arrays["agentview"]
        if av.ndim not in (3, 4):
            raise ValueError(f"obs['agentview'] has shape {av.shape}; expected uint8 [{s}, {s}, 3]"
                             f" or [B, {s}, {s}, 3]")
        batched = av.ndim == 4
        bsz = av.shape[0] if batched else 1
        lead = (bsz,) if batched else ()
        for cam in CAMERAS:
            a = arrays[cam]
            want = lead + (s, s, 3)
            if a.shape != want:
                raise ValueError(f"obs[{cam!r}] has shape {a.shape}; expected uint8 "
                                 f"{list(want)} (image_size {s} from the checkpoint"
                                 f"{', batch from agentview' if batched else ''})")
            if a.dtype != np.uint8:
                raise ValueError(f"obs[{cam!r}] has dtype {a.dtype}; expected uint8 RGB in "
                                 f"[0, 255]")
        pr = arrays["proprio"]
        want = lead + (p,)
        if pr.shape != want:
            raise ValueError(f"obs['proprio'] has shape {pr.shape}; expected float {list(want)} "
                             f"= [ee_pos(3), ee_rot(3), gripper qpos(2)]")
        if not (np.issubdtype(pr.dtype, np.floating) or np.issubdtype(pr.dtype, np.integer)):
            raise ValueError(f"obs['proprio'] has dtype {pr.dtype}; expected float {list(want)}")
        if not np.all(np.isfinite(pr)):
            raise ValueError("obs['proprio'] contains NaN or inf")
        if bsz < 1:
            raise ValueError("obs has batch size 0")
        if isinstance(instruction, str):
            texts = [instruction] * bsz
        elif batched and isinstance(instruction, Sequence) and len(instruction) == bsz:
            texts = list(instruction)
        else:
            n = len(instruction) if isinstance(instruction, Sequence) else None
            raise ValueError(f"instruction must be a str{f' or a sequence of {bsz} strs' if batched else ''}"
                             f", got {type(instruction).__name__}"
                             f"{'' if n is None else f' of length {n}'}")
        toks = [self.tokenize(t) for t in texts]
        out = Observation(
            agentview=arrays["agentview"].reshape((bsz, s, s, 3)),
            wrist=arrays["wrist"].reshape((bsz, s, s, 3)),
            proprio=pr.astype(np.float32).reshape(bsz, p),
            tokens=np.stack([t for t, _ in toks]), token_mask=np.stack([m for _, m in toks]))
        return out, batched

    # ------------------------------------------------------------------------ forward
    def _compiled_for(self, obs: Observation, key: jax.Array, temperature: jax.Array):
        shape = (obs.batch_size,) + obs.agentview.shape[1:] + obs.tokens.shape[1:]
        fn = self._compiled.get(shape)
        if fn is None:
            fn = self._bins.lower(self.params, obs, key, temperature).compile()
            self._compiled[shape] = fn
        return fn

    def _rng(self, rng: jax.Array | int | None) -> jax.Array:
        if rng is None:
            self._key, key = jax.random.split(self._key)
            return key
        if isinstance(rng, (int, np.integer)):
            return jax.random.PRNGKey(int(rng))
        key = jnp.asarray(rng)
        if jnp.issubdtype(key.dtype, jax.dtypes.prng_key):
            key = jax.random.key_data(key)
        if key.shape != (2,) or key.dtype != jnp.uint32:
            raise ValueError(f"rng must be an int seed or a jax.random.PRNGKey (uint32 [2]), got "
                             f"{key.dtype} {key.shape}")
        return key

    def decode(self, bins: np.ndarray) -> np.ndarray:
        """Bins int [..., 7] -> env actions float32 [..., 7] on the host (NumPy): bin centres,
        the checkpoint's ``ActionNormalizer.unnormalize``, then clipped to [-1, 1]."""
        actions = self.action_normalizer.unnormalize(self.action_tokenizer.decode(np.asarray(bins)))
        return np.clip(actions, ENV_ACTION_LOW, ENV_ACTION_HIGH).astype(np.float32)

    def predict(self, obs: Mapping[str, Any], instruction: str | Sequence[str],
                temperature: float = 0.0, rng: jax.Array | int | None = None,
                return_bins: bool = False) -> np.ndarray | tuple[np.ndarray, np.ndarray]:
        """Action chunk(s) for ``obs`` (see :meth:`__call__`); ``return_bins`` also returns the
        chosen bins int32 [(B,) K, 7]."""
        t = float(temperature)
        if not np.isfinite(t) or t < 0:
            raise ValueError(f"temperature must be a finite number >= 0, got {temperature}")
        batch, batched = self.observation(obs, instruction)
        key = self._rng(rng) if t > 0 else self._greedy_key
        temp = np.float32(t)
        bins = np.asarray(self._compiled_for(batch, key, temp)(self.params, batch, key, temp))
        actions = self.decode(bins)
        if not batched:
            actions, bins = actions[0], bins[0]
        return (actions, bins) if return_bins else actions

    def __call__(self, obs: Mapping[str, Any], instruction: str | Sequence[str],
                 temperature: float = 0.0, rng: jax.Array | int | None = None) -> np.ndarray:
        """Runs the policy once.

        Args:
          obs: ``{"agentview": uint8 [(B,) S, S, 3], "wrist": uint8 [(B,) S, S, 3],
            "proprio": float [(B,) 8]}`` (extra keys are ignored).
          instruction: task instruction (one str, or B strs for a batch).
          temperature: 0 = greedy; > 0 samples at that temperature.
          rng: JAX key or int seed for sampling (None: the policy's own key stream).

        Returns:
          float32 actions [K, 7] (or [B, K, 7]) in env units: ``[dx, dy, dz, droll, dpitch,
          dyaw, gripper]`` in [-1, 1] (gripper -1 open, +1 closed).
        """
        return self.predict(obs, instruction, temperature, rng)


def load_policy(path: str | os.PathLike, step: int | None = None, dtype: str | None = None,
                seed: int = 0) -> InferencePolicy:
    """Loads an :class:`InferencePolicy` from an exported directory or a training run.

    Args:
      path: export directory (``python -m smoothvla_jax.export``), training run directory
        (with ``checkpoints/``) or a checkpoint directory. Optimiser state is never read.
      step: checkpoint step (default: latest).
      dtype: cast floating-point params after loading (e.g. ``"float32"`` for a bf16 export);
        None keeps the stored dtype.
      seed: seed of the policy's own sampling key stream (used when ``rng`` is not passed).

    Raises:
      CheckpointNotFoundError: nothing at ``path``. CheckpointError: unreadable checkpoint,
      bad metadata, or params not matching the stored model config.
    """
    pol = checkpoints.load_policy(path, step)
    _check_params(pol.params, pol.vla_config, f"{checkpoints.resolve_dir(path)}/{pol.step}")
    if dtype is not None:
        pol.params = checkpoints.cast_floating(pol.params, dtype)
    return InferencePolicy(pol, seed=seed)
