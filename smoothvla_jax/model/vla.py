"""Vision-Language-Action policy with parallel discrete action decoding (OpenVLA-OFT style).

Inputs (:class:`Observation`, batch B): two uint8 RGB cameras [B, H, W, 3] (agentview, wrist),
proprioception [B, 8], instruction tokens int32 [B, L] with a bool validity mask [B, L].

Output of :class:`VLAPolicy`: logits float32 [B, K, A, num_bins] (K = chunk length, A = 7
action dims). All K*A tokens are predicted in parallel from learned action-query tokens
(no autoregression), so one forward pass gives the whole action chunk and its exact
per-token distribution.

Architecture::

    camera c -> conv stem (stride 2 each) -> patchify conv -> + 2-D pos emb -> ViT blocks
             -> Dense(trunk width) + camera emb                        -> image tokens
    instruction -> embed + pos emb -> transformer (PAD keys masked) -> Dense -> text tokens
    proprio -> MLP                                                      -> 1 proprio token
    K*A (or K) learned action queries
    [image | text | proprio | queries] + modality emb -> trunk transformer (PAD keys masked)
    action queries -> LayerNorm -> Dense(num_bins) (or Dense(A*num_bins) per step) -> logits

The trunk uses no absolute positions, so appending masked PAD tokens leaves the logits
unchanged; LayerNorm only (no batch statistics), so samples are independent.

Temperature convention (important for GRPO): a policy run at temperature ``T`` samples from
``softmax(logits / T)``; the matching log-probabilities are
``log_probs(logits, bins, temperature=T)`` and the entropy ``entropy(logits, temperature=T)``.
Use the *same* ``T`` for rollout sampling, old-policy log-probs and new-policy log-probs.
``T -> 0`` (``T <= MIN_TEMPERATURE``) means greedy (argmax) sampling; log-probs need ``T > 0``
and clamp ``T`` to at least ``MIN_TEMPERATURE``.
"""

from __future__ import annotations

import dataclasses
import functools
import math
from typing import Any

import chex
import flax
import flax.linen as nn
import jax
import jax.numpy as jnp
import numpy as np

from smoothvla_jax.model.action_tokens import ActionTokenizer

Params = Any
MIN_TEMPERATURE = 1e-5
NUM_CAMERAS = 2
PROPRIO_DIM = 8
UNK_ID = 1  # must match tokenizer.UNK_ID; out-of-vocabulary ids are mapped to it


# ============================================================================ observation
@flax.struct.dataclass
class Observation:
    """Batch of policy inputs (a pytree; every field is a leaf).

    Attributes:
      agentview: uint8 [B, H, W, 3] third-person camera.
      wrist: uint8 [B, H, W, 3] wrist camera.
      proprio: float32 [B, 8] = [ee_pos(3), ee_rot(3), gripper finger qpos(2)] (see envs_mjx.env.State).
      tokens: int32 [B, L] instruction token ids (PAD = 0).
      token_mask: bool [B, L], True on real tokens.
    """

    agentview: jax.Array
    wrist: jax.Array
    proprio: jax.Array
    tokens: jax.Array
    token_mask: jax.Array

    @property
    def batch_size(self) -> int:
        return self.agentview.shape[0]

    def validate(self) -> Observation:
        """Static (jit-safe) chex checks of ranks, dtypes and consistent shapes. Returns self."""
        chex.assert_rank([self.agentview, self.wrist, self.proprio, self.tokens,
                          self.token_mask], [4, 4, 2, 2, 2])
        chex.assert_type([self.agentview, self.wrist], jnp.uint8)
        chex.assert_type(self.proprio, jnp.float32)
        chex.assert_type(self.tokens, jnp.int32)
        chex.assert_type(self.token_mask, jnp.bool_)
        chex.assert_equal_shape([self.agentview, self.wrist])
        chex.assert_axis_dimension(self.agentview, 3, 3)
        chex.assert_axis_dimension(self.proprio, 1, PROPRIO_DIM)
        chex.assert_equal_shape([self.tokens, self.token_mask])
        chex.assert_equal_shape_prefix(
            [self.agentview, self.wrist, self.proprio, self.tokens, self.token_mask], 1)
        return self


def dummy_observation(batch_size: int, image_size: int, text_len: int) -> Observation:
    """All-zero :class:`Observation` (token 0 valid so no row is fully masked)."""
    img = jnp.zeros((batch_size, image_size, image_size, 3), jnp.uint8)
    mask = jnp.zeros((batch_size, text_len), bool).at[:, 0].set(True)
    return Observation(agentview=img, wrist=img,
                       proprio=jnp.zeros((batch_size, PROPRIO_DIM), jnp.float32),
                       tokens=jnp.zeros((batch_size, text_len), jnp.int32), token_mask=mask)


# ============================================================================ config
@dataclasses.dataclass(frozen=True)
class VLAConfig:
    """Hyper-parameters of :class:`VLAPolicy` (frozen and hashable: usable as a jit static)."""

    # images
    image_size: int = 64
    patch_size: int = 16            # total downsampling of stem + patchify
    stem_features: tuple[int, ...] = (16, 32)  # 3x3 stride-2 convs before the patchify conv
    img_width: int = 64
    img_depth: int = 1
    img_heads: int = 2
    share_image_encoder: bool = True
    # text
    vocab_size: int = 512
    text_width: int = 64
    text_depth: int = 1
    text_heads: int = 2
    text_max_len: int = 32
    # trunk
    width: int = 128
    depth: int = 2
    heads: int = 4
    mlp_ratio: float = 2.0
    dropout: float = 0.0
    # actions
    chunk: int = 8
    action_dim: int = 7
    num_bins: int = 256
    query_per_dim: bool = True      # K*A query tokens (True) or K query tokens (False)
    head_init_scale: float = 0.01
    dtype: str = "float32"          # compute dtype ("bfloat16" on accelerators); params fp32

    def __post_init__(self):
        stride = 2 ** len(self.stem_features)
        if self.patch_size % stride:
            raise ValueError(f"patch_size {self.patch_size} not divisible by stem stride {stride}")
        if self.image_size % self.patch_size:
            raise ValueError(f"image_size {self.image_size} not divisible by {self.patch_size}")
        for w, h, name in ((self.img_width, self.img_heads, "img"),
                           (self.text_width, self.text_heads, "text"),
                           (self.width, self.heads, "trunk")):
            if w % h:
                raise ValueError(f"{name} width {w} not divisible by heads {h}")

    @classmethod
    def tiny(cls, **overrides: Any) -> VLAConfig:
        """~0.5M params; compiles and runs fast on CPU (tests, debugging)."""
        return dataclasses.replace(cls(), **overrides)

    @classmethod
    def base(cls, **overrides: Any) -> VLAConfig:
        """Tens of millions of params (accelerator training)."""
        cfg = cls(image_size=128, patch_size=16, stem_features=(32, 64), img_width=384,
                  img_depth=4, img_heads=6, vocab_size=1024, text_width=384, text_depth=2,
                  text_heads=6, text_max_len=48, width=512, depth=8, heads=8, mlp_ratio=4.0,
                  dtype="bfloat16")
        return dataclasses.replace(cfg, **overrides)

    def replace(self, **overrides: Any) -> VLAConfig:
        return dataclasses.replace(self, **overrides)

    @property
    def num_queries(self) -> int:
        return self.chunk * self.action_dim if self.query_per_dim else self.chunk

    @property
    def compute_dtype(self) -> jnp.dtype:
        return jnp.dtype(self.dtype)

    def to_dict(self) -> dict[str, Any]:
        d = dataclasses.asdict(self)
        d["stem_features"] = list(self.stem_features)
        return d

    @classmethod
    def from_dict(cls, d: dict[str, Any]) -> VLAConfig:
        names = {f.name for f in dataclasses.fields(cls)}
        unknown = set(d) - names
        if unknown:
            raise ValueError(f"unknown VLAConfig keys: {sorted(unknown)}")
        d = dict(d)
        if "stem_features" in d:
            d["stem_features"] = tuple(int(x) for x in d["stem_features"])
        return cls(**d)


# ============================================================================ modules
_emb_init = nn.initializers.normal(stddev=0.02)


class MlpBlock(nn.Module):
    """Dense(hidden) -> GELU -> Dense(out). x [..., D] -> [..., out]."""

    hidden: int
    out: int
    dropout: float = 0.0
    dtype: Any = jnp.float32

    @nn.compact
    def __call__(self, x: jax.Array, deterministic: bool = True) -> jax.Array:
        x = nn.Dense(self.hidden, dtype=self.dtype)(x)
        x = nn.gelu(x)
        x = nn.Dropout(self.dropout)(x, deterministic=deterministic)
        return nn.Dense(self.out, dtype=self.dtype)(x)


class TransformerBlock(nn.Module):
    """Pre-LN transformer block. x [B, N, D], key_mask bool [B, N] or None -> [B, N, D]."""

    heads: int
    mlp_ratio: float = 4.0
    dropout: float = 0.0
    dtype: Any = jnp.float32

    @nn.compact
    def __call__(self, x: jax.Array, key_mask: jax.Array | None = None,
                 deterministic: bool = True) -> jax.Array:
        d = x.shape[-1]
        mask = None if key_mask is None else key_mask[:, None, None, :]  # [B, 1, 1, N]
        h = nn.LayerNorm(dtype=self.dtype)(x)
        h = nn.MultiHeadDotProductAttention(
            num_heads=self.heads, dtype=self.dtype, dropout_rate=self.dropout,
            deterministic=deterministic)(h, mask=mask)
        x = x + nn.Dropout(self.dropout)(h, deterministic=deterministic)
        h = nn.LayerNorm(dtype=self.dtype)(x)
        h = MlpBlock(int(d * self.mlp_ratio), d, self.dropout, self.dtype)(h, deterministic)
        return x + nn.Dropout(self.dropout)(h, deterministic=deterministic)


class ImageEncoder(nn.Module):
    """uint8 images [B, H, W, 3] -> tokens [B, (H/p)*(W/p), out_width]."""

    config: VLAConfig
    out_width: int

    @nn.compact
    def __call__(self, images: jax.Array, deterministic: bool = True) -> jax.Array:
        cfg, dt = self.config, self.config.compute_dtype
        x = images.astype(jnp.float32) / 127.5 - 1.0
        x = x.astype(dt)
        for f in cfg.stem_features:
            x = nn.Conv(f, (3, 3), strides=(2, 2), padding="SAME", dtype=dt)(x)
            x = nn.gelu(nn.LayerNorm(dtype=dt)(x))
        p = cfg.patch_size // 2 ** len(cfg.stem_features)
        x = nn.Conv(cfg.img_width, (p, p), strides=(p, p), padding="VALID", dtype=dt,
                    name="patchify")(x)
        b, h, w, c = x.shape
        x = x.reshape(b, h * w, c)
        pos = self.param("pos_emb", _emb_init, (h * w, c), jnp.float32)
        x = x + pos.astype(dt)
        for i in range(cfg.img_depth):
            x = TransformerBlock(cfg.img_heads, cfg.mlp_ratio, cfg.dropout, dt,
                                 name=f"block_{i}")(x, None, deterministic)
        x = nn.LayerNorm(dtype=dt)(x)
        return nn.Dense(self.out_width, dtype=dt, name="proj")(x)


class TextEncoder(nn.Module):
    """tokens int32 [B, L], mask bool [B, L] -> text features [B, L, out_width]."""

    config: VLAConfig
    out_width: int

    @nn.compact
    def __call__(self, tokens: jax.Array, mask: jax.Array,
                 deterministic: bool = True) -> jax.Array:
        cfg, dt = self.config, self.config.compute_dtype
        length = tokens.shape[1]
        if length > cfg.text_max_len:
            raise ValueError(f"text length {length} > text_max_len {cfg.text_max_len}")
        tokens = jnp.where((tokens >= 0) & (tokens < cfg.vocab_size), tokens, UNK_ID)
        x = nn.Embed(cfg.vocab_size, cfg.text_width, embedding_init=_emb_init, name="embed")(
            tokens).astype(dt)
        pos = self.param("pos_emb", _emb_init, (cfg.text_max_len, cfg.text_width), jnp.float32)
        x = x + pos[:length].astype(dt)
        for i in range(cfg.text_depth):
            x = TransformerBlock(cfg.text_heads, cfg.mlp_ratio, cfg.dropout, dt,
                                 name=f"block_{i}")(x, mask, deterministic)
        x = nn.LayerNorm(dtype=dt)(x)
        return nn.Dense(self.out_width, dtype=dt, name="proj")(x)


class VLAPolicy(nn.Module):
    """Vision-language-action policy; ``apply(params, obs) -> logits [B, K, A, num_bins]``."""

    config: VLAConfig

    @nn.compact
    def __call__(self, obs: Observation, deterministic: bool = True) -> jax.Array:
        """Args: obs (batch B). Returns float32 logits [B, K, A, num_bins]."""
        obs.validate()
        cfg, dt = self.config, self.config.compute_dtype
        b, d = obs.batch_size, cfg.width

        # --- image tokens: [B, 2*P, D]
        cams = (obs.agentview, obs.wrist)
        if cfg.share_image_encoder:
            enc = ImageEncoder(cfg, d, name="image_encoder")
            feats = enc(jnp.concatenate(cams, axis=0), deterministic)
            feats = jnp.split(feats, NUM_CAMERAS, axis=0)
        else:
            feats = [ImageEncoder(cfg, d, name=f"image_encoder_{i}")(c, deterministic)
                     for i, c in enumerate(cams)]
        cam_emb = self.param("camera_emb", _emb_init, (NUM_CAMERAS, d), jnp.float32).astype(dt)
        img = jnp.concatenate([f + cam_emb[i] for i, f in enumerate(feats)], axis=1)

        # --- text tokens: [B, L, D]
        text = TextEncoder(cfg, d, name="text_encoder")(obs.tokens, obs.token_mask, deterministic)

        # --- proprio token: [B, 1, D]
        prop = MlpBlock(d, d, dtype=dt, name="proprio_mlp")(obs.proprio.astype(dt))[:, None]

        # --- action queries: [B, Q, D]
        queries = self.param("action_queries", _emb_init, (cfg.num_queries, d), jnp.float32)
        queries = jnp.broadcast_to(queries.astype(dt)[None], (b, cfg.num_queries, d))

        type_emb = self.param("modality_emb", _emb_init, (4, d), jnp.float32).astype(dt)
        parts = [img + type_emb[0], text + type_emb[1], prop + type_emb[2], queries + type_emb[3]]
        x = jnp.concatenate(parts, axis=1)
        key_mask = jnp.concatenate([
            jnp.ones(img.shape[:2], bool), obs.token_mask.astype(bool),
            jnp.ones((b, 1), bool), jnp.ones((b, cfg.num_queries), bool)], axis=1)

        for i in range(cfg.depth):
            x = TransformerBlock(cfg.heads, cfg.mlp_ratio, cfg.dropout, dt,
                                 name=f"trunk_{i}")(x, key_mask, deterministic)
        q = nn.LayerNorm(dtype=jnp.float32, name="final_norm")(x[:, -cfg.num_queries:])
        out_feats = cfg.num_bins if cfg.query_per_dim else cfg.action_dim * cfg.num_bins
        logits = nn.Dense(out_feats, dtype=jnp.float32, name="action_head",
                          kernel_init=nn.initializers.normal(cfg.head_init_scale))(q)
        return logits.reshape(b, cfg.chunk, cfg.action_dim, cfg.num_bins).astype(jnp.float32)


# ============================================================================ functions
def _fast_init_key(key: jax.Array) -> jax.Array:
    """Derives an ``rbg`` PRNG key from any key (typed or raw uint32).

    Flax draws one random tensor per parameter; with threefry keys XLA compiles ~100 unrolled
    threefry kernels, which takes many seconds on CPU. ``RngBitGenerator`` compiles much faster.
    """
    if jnp.issubdtype(key.dtype, jax.dtypes.prng_key):
        data = jax.random.key_data(key)
    else:
        data = jnp.asarray(key)
    data = data.reshape(-1).astype(jnp.uint32)
    data = jnp.concatenate([data, data ^ jnp.uint32(0x9E3779B9), data + jnp.uint32(1)])[:4]
    return jax.random.wrap_key_data(data, impl="rbg")


@functools.lru_cache(maxsize=16)
def _jitted_init(config: VLAConfig, image_size: int, text_len: int):
    def init(key):
        obs = dummy_observation(1, image_size, text_len)
        return VLAPolicy(config).init(_fast_init_key(key), obs, deterministic=True)

    return jax.jit(init)


def init_params(key: jax.Array, config: VLAConfig, image_size: int | None = None,
                text_len: int | None = None) -> Params:
    """Initialises parameters (jit-compiled, dummy batch of 1).

    Args:
      key: PRNG key (typed or raw uint32); deterministic in ``key``. Internally an ``rbg`` key is
        derived from it for fast compilation, so values differ from a direct
        ``VLAPolicy(config).init(key, obs)`` (both are valid initialisations).
      config: model config.
      image_size: defaults to ``config.image_size`` (image position embeddings depend on it).
      text_len: dummy text length (no effect on shapes; defaults to ``config.text_max_len``).

    Works under ``jax.eval_shape`` to get shapes without allocating memory.
    """
    image_size = config.image_size if image_size is None else int(image_size)
    text_len = config.text_max_len if text_len is None else int(text_len)
    return _jitted_init(config, image_size, text_len)(key)


def abstract_params(config: VLAConfig, image_size: int | None = None) -> Params:
    """``jax.ShapeDtypeStruct`` pytree of the parameters (no allocation)."""
    return jax.eval_shape(lambda k: init_params(k, config, image_size), jax.random.key(0))


def apply_policy(params: Params, config: VLAConfig, obs: Observation,
                 deterministic: bool = True, dropout_rng: jax.Array | None = None) -> jax.Array:
    """Functional forward pass: logits float32 [B, K, A, num_bins]."""
    rngs = None if dropout_rng is None else {"dropout": dropout_rng}
    return VLAPolicy(config).apply(params, obs, deterministic=deterministic, rngs=rngs)


def param_count(params: Params) -> int:
    """Total number of scalars in a parameter pytree (arrays or ShapeDtypeStructs)."""
    return int(sum(math.prod(x.shape) for x in jax.tree_util.tree_leaves(params)))


def _temperature(temperature: Any, logits: jax.Array) -> jax.Array:
    """Temperature as float32 broadcastable to ``logits.shape[:-1] + (1,)``."""
    t = jnp.asarray(temperature, jnp.float32)
    if t.ndim == 1 and logits.ndim > 2:  # per-sample [B]
        t = t.reshape((-1,) + (1,) * (logits.ndim - 2))
    return t[..., None]


def log_probs(logits: jax.Array, bins: jax.Array, temperature: Any = 1.0) -> jax.Array:
    """Log-probabilities of ``bins`` under ``softmax(logits / temperature)``.

    Args:
      logits: float [B, K, A, N] (any leading dims).
      bins: int [B, K, A].
      temperature: scalar or [B]; clamped to ``>= MIN_TEMPERATURE``.

    Returns:
      float32 [B, K, A].
    """
    t = jnp.maximum(_temperature(temperature, logits), MIN_TEMPERATURE)
    lp = jax.nn.log_softmax(logits.astype(jnp.float32) / t, axis=-1)
    return jnp.take_along_axis(lp, bins.astype(jnp.int32)[..., None], axis=-1)[..., 0]


def all_log_probs(logits: jax.Array, temperature: Any = 1.0) -> jax.Array:
    """Full log-softmax ``log softmax(logits / T)``: float32 [B, K, A, N]."""
    t = jnp.maximum(_temperature(temperature, logits), MIN_TEMPERATURE)
    return jax.nn.log_softmax(logits.astype(jnp.float32) / t, axis=-1)


def entropy(logits: jax.Array, temperature: Any = 1.0) -> jax.Array:
    """Entropy (nats) of ``softmax(logits / temperature)``: float32 [B, K, A] (NaN-safe)."""
    lp = all_log_probs(logits, temperature)
    p = jnp.exp(lp)
    return -jnp.sum(jnp.where(p > 0, p * lp, 0.0), axis=-1)


def greedy_tokens(logits: jax.Array) -> jax.Array:
    """Argmax bins: int32 [B, K, A]."""
    return jnp.argmax(logits, axis=-1).astype(jnp.int32)


def sample_tokens(key: jax.Array, logits: jax.Array, temperature: Any = 1.0) -> jax.Array:
    """Samples bins from ``softmax(logits / temperature)``: int32 [B, K, A].

    ``temperature`` is a scalar or [B] (Python or traced). Where it is ``<= MIN_TEMPERATURE``
    the result is the argmax (no division by ~0, no NaN).
    """
    t = _temperature(temperature, logits)
    greedy_mask = t <= MIN_TEMPERATURE
    safe_t = jnp.where(greedy_mask, 1.0, t)
    sampled = jax.random.categorical(key, logits.astype(jnp.float32) / safe_t, axis=-1)
    return jnp.where(greedy_mask[..., 0], greedy_tokens(logits), sampled).astype(jnp.int32)


def tokens_to_actions(bins: jax.Array, action_tokenizer: ActionTokenizer) -> jax.Array:
    """Bins int [B, K, A] -> continuous actions float32 [B, K, A] (bin centres)."""
    return action_tokenizer.decode(bins)


def actions_to_tokens(actions: jax.Array, action_tokenizer: ActionTokenizer) -> jax.Array:
    """Continuous actions float [B, K, A] -> bins int32 [B, K, A] (clipped)."""
    return action_tokenizer.encode(actions)


def observation_from_numpy(agentview: np.ndarray, wrist: np.ndarray, proprio: np.ndarray,
                           tokens: np.ndarray, token_mask: np.ndarray) -> Observation:
    """Builds a validated :class:`Observation` with the canonical dtypes from host arrays."""
    return Observation(agentview=jnp.asarray(agentview, jnp.uint8),
                       wrist=jnp.asarray(wrist, jnp.uint8),
                       proprio=jnp.asarray(proprio, jnp.float32),
                       tokens=jnp.asarray(tokens, jnp.int32),
                       token_mask=jnp.asarray(token_mask, bool)).validate()
