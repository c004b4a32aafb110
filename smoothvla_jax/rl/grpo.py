"""GRPO (group relative policy optimisation) for discrete-token VLA policies.

Shape conventions (all functions are pure and jit-able):
    P  prompts (task + initial state), G samples per prompt (the group),
    N  = P * G flattened episodes, C chunk decisions per episode,
    K  action-chunk length, D = 7 action dims (one token each).

Token log-probs are ``[..., C, K, D]`` (e.g. ``[N, C, K, D]``), per-episode quantities
(advantages) are ``[...]`` (e.g. ``[N]``) and the validity mask is per executed control step,
``[..., C, K]`` (the env's step mask reshaped): the action tokens of steps after ``done`` inside
the last chunk were sampled but never executed, so they carry no loss. A per-chunk mask
``[..., C]`` is also accepted (broadcast over the chunk's K steps).

Loss aggregation (``loss_agg``): ``"token_mean"`` averages over every valid token of the batch,
so an episode weighs by its length; ``"seq_mean"`` (the default) averages each episode's tokens
first, so every episode weighs the same. Failures usually run to the time limit (180 steps in
the CPU config) while successes stop early (~90), so under token_mean a group's failed
episodes get ~2x the weight of its successes and the advantage-weighted gradient is dominated
by pushing failures down; seq_mean keeps the group's advantages (which sum to 0) balanced.

Advantage normalisation (``adv_norm``): ``"std"`` (GRPO) divides the centred group reward by the
group std, so every informative group has the same scale whatever its reward spread - the right
choice for a binary reward. ``"mean"`` (Dr. GRPO) only centres: the advantage keeps the reward's
units, so a hybrid reward's jerk term is not cancelled. Example: a group with one success among
G = 8 gets the success advantage (1 - 1/8) / std = 2.65 under "std" whether its hybrid reward
is 1.0 or 0.6 (the jerk term cancels), but 0.875 vs 0.525 under "mean".

Dynamic sampling (DAPO / SimpleVLA-RL): groups whose outcome is constant carry no signal; the
trainer rolls out prompt groups in rounds and keeps only the informative ones
(``informative_groups``) in a fixed-size buffer (``fill_buffer``) until it holds the update's
P groups; the update then sees only kept episodes.

Compaction: a chunk decision whose steps all come after ``done`` carries no loss, so the
trainer's update runs on the valid decisions only (``compact_decisions``: a fixed size ``S``
from ``bucket_ladder``, valid decisions first, masked padding last). Every token keeps the
loss weight it has in the full episode batch (``token_weights``), so the aggregation is still
the episode-level ``loss_agg``; minibatches become minibatches of decisions.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Callable, Mapping
from typing import Any

import jax
import jax.numpy as jnp
import optax

Array = jax.Array
PyTree = Any
Metrics = dict[str, Array]

_LOSS_AGGS = ("token_mean", "seq_mean")
_ADV_NORMS = ("std", "mean")
# Log-ratio clamp before exp(), only to avoid inf/NaN on wildly off-policy tokens.
_MAX_LOG_RATIO = 20.0


@dataclasses.dataclass(frozen=True)
class GRPOConfig:
    """Hyper-parameters of the GRPO update (defaults follow the SmoothVLA recipe)."""

    group_size: int = 8
    clip_low: float = 0.2  # ratio lower bound 1 - clip_low
    clip_high: float = 0.28  # ratio upper bound 1 + clip_high ("clip-higher")
    kl_coef: float = 0.0
    temperature: float = 1.6  # rollout sampling temperature (log-probs use the same one)
    update_epochs: int = 2
    num_minibatches: int = 1
    adv_eps: float = 1e-6
    dynamic_sampling: bool = True
    adv_norm: str = "std"  # "std" (GRPO) | "mean" (Dr. GRPO: centre only)
    loss_agg: str = "seq_mean"  # "token_mean" | "seq_mean" (every episode weighs the same)
    max_grad_norm: float | None = 1.0  # None disables clipping

    def __post_init__(self) -> None:
        def bad(field: str, why: str) -> ValueError:
            return ValueError(f"GRPOConfig.{field}={getattr(self, field)!r}: {why}")

        for f in ("group_size", "update_epochs", "num_minibatches"):
            v = getattr(self, f)
            if isinstance(v, bool) or not isinstance(v, int) or v < 1:
                raise bad(f, "must be an integer >= 1")
        if self.group_size < 2:
            raise bad("group_size", "must be >= 2 (group-relative advantages need 2+ samples)")
        if not 0.0 <= self.clip_low < 1.0:
            raise bad("clip_low", "must be in [0, 1)")
        if not self.clip_high >= 0.0:
            raise bad("clip_high", "must be >= 0")
        if not self.kl_coef >= 0.0:
            raise bad("kl_coef", "must be >= 0")
        if not self.temperature > 0.0:
            raise bad("temperature", "must be > 0")
        if not self.adv_eps > 0.0:
            raise bad("adv_eps", "must be > 0")
        if self.adv_norm not in _ADV_NORMS:
            raise bad("adv_norm", f"must be one of {_ADV_NORMS}")
        if self.loss_agg not in _LOSS_AGGS:
            raise bad("loss_agg", f"must be one of {_LOSS_AGGS}")
        if self.max_grad_norm is not None and not self.max_grad_norm > 0.0:
            raise bad("max_grad_norm", "must be > 0 or None")

    @classmethod
    def from_config(cls, cfg: Mapping[str, Any], strict: bool = False) -> GRPOConfig:
        """Builds a config from an ``ml_collections.ConfigDict`` (or any mapping).

        Keys that are not fields are ignored unless ``strict`` (then a ValueError names them).
        Missing fields keep their defaults.
        """
        d = dict(cfg.to_dict() if hasattr(cfg, "to_dict") else cfg)
        names = {f.name for f in dataclasses.fields(cls)}
        unknown = sorted(set(d) - names)
        if strict and unknown:
            raise ValueError(f"GRPOConfig.from_config: unknown field(s) {unknown}")
        return cls(**{k: v for k, v in d.items() if k in names})


# ----------------------------------------------------------------------------- advantages


def group_advantages(rewards: Array, eps: float = 1e-6, adv_norm: str = "std") -> Array:
    """Group-relative advantages.

    Args:
        rewards: ``[P, G]`` episode returns.
        eps: added to the group std.
        adv_norm: ``"std"``: divide by the (population) group std (GRPO); ``"mean"``: only
            centre (Dr. GRPO).

    Returns:
        ``[P, G]``: ``(r - mean_g) / (std_g + eps)`` or ``r - mean_g``; a constant group gives 0.
    """
    if adv_norm not in _ADV_NORMS:
        raise ValueError(f"adv_norm={adv_norm!r}: must be one of {_ADV_NORMS}")
    rewards = jnp.asarray(rewards, jnp.float32)
    centred = rewards - rewards.mean(axis=-1, keepdims=True)
    if adv_norm == "mean":
        return centred
    return centred / (rewards.std(axis=-1, keepdims=True) + eps)


def dynamic_sampling_mask(success: Array) -> Array:
    """``[P, G]`` success (0/1 or a rate) -> ``[P]`` float, 1 where 0 < mean success < 1."""
    m = jnp.asarray(success, jnp.float32).mean(axis=-1)
    return ((m > 0.0) & (m < 1.0)).astype(jnp.float32)


def nonconstant_group_mask(rewards: Array, tol: float = 0.0) -> Array:
    """``[P, G]`` rewards -> ``[P]`` float, 1 where the group's reward spread exceeds ``tol``.

    Uses ``max - min`` (exactly 0 for a constant group, unlike a float variance).
    """
    rewards = jnp.asarray(rewards, jnp.float32)
    return (rewards.max(axis=-1) - rewards.min(axis=-1) > tol).astype(jnp.float32)


def apply_group_mask(mask: Array, group_mask: Array) -> Array:
    """Folds a ``[P]`` group mask into an episode mask ``[P, G, ...]`` -> ``[P, G, ...]``."""
    gm = group_mask.astype(mask.dtype)
    return mask * gm.reshape(gm.shape + (1,) * (mask.ndim - 1))


def informative_groups(success: Array, rewards: Array, criterion: str = "success",
                       tol: float = 0.0) -> Array:
    """Dynamic-sampling keep mask ``[P]`` bool from ``success, rewards [P, G]``.

    ``"success"``: 0 < success rate < 1 (DAPO / SimpleVLA-RL). ``"reward"``: reward spread
    ``max - min > tol`` (a hybrid reward also ranks an all-success group by jerk; ``tol`` drops
    groups whose members differ only by float noise).
    """
    if criterion == "success":
        return dynamic_sampling_mask(success) > 0
    if criterion == "reward":
        return nonconstant_group_mask(rewards, tol) > 0
    raise ValueError(f"dynamic-sampling criterion must be 'success' or 'reward', got "
                     f"{criterion!r}")


def fill_buffer(buffer: PyTree, filled: Array, groups: PyTree, keep: Array
                ) -> tuple[PyTree, Array]:
    """Appends the kept groups of one rollout round to a fixed-size group buffer.

    Args:
        buffer: PyTree of ``[P, ...]`` arrays (P = the update's groups).
        filled: ``[]`` int32, slots ``[0, filled)`` already hold kept groups.
        groups: PyTree like ``buffer`` with leading dim ``R`` (the round's groups).
        keep: ``[R]`` bool, groups to keep (in order, until the buffer is full).

    Returns:
        ``(buffer, filled)``: kept group ``j`` (the j-th True of ``keep``) lands in slot
        ``filled + j`` when that is ``< P``, later ones are dropped; ``filled`` becomes
        ``min(P, filled + keep.sum())``. jit-friendly (fixed shapes, scatter with drop).
    """
    p = jax.tree.leaves(buffer)[0].shape[0]
    keep = jnp.asarray(keep, bool)
    filled = jnp.asarray(filled, jnp.int32)
    slot = filled + jnp.cumsum(keep.astype(jnp.int32)) - 1
    dest = jnp.where(keep & (slot < p), slot, p)  # p = out of range -> dropped
    buffer = jax.tree.map(lambda b, x: b.at[dest].set(x.astype(b.dtype), mode="drop"),
                          buffer, groups)
    return buffer, jnp.minimum(filled + keep.sum().astype(jnp.int32), p)


def token_logprobs(logits: Array, tokens: Array, temperature: float = 1.0) -> Array:
    """Log-probs of ``tokens [...]`` (int) under ``softmax(logits [..., V] / temperature)``.

    Returns ``[...]`` float32.
    """
    logp = jax.nn.log_softmax(logits.astype(jnp.float32) / temperature, axis=-1)
    return jnp.take_along_axis(logp, tokens[..., None].astype(jnp.int32), axis=-1)[..., 0]


# ----------------------------------------------------------------------------- losses


def _token_mask(mask: Array, like: Array) -> Array:
    """Per-step ``[..., C, K]`` (or per-chunk ``[..., C]``) mask -> ``[..., C, K, D]`` float
    mask broadcast to ``like``."""
    m = mask.astype(jnp.float32)
    if m.ndim == like.ndim - 1:      # [..., C, K]
        return jnp.broadcast_to(m[..., None], like.shape)
    if m.ndim == like.ndim - 2:      # [..., C]
        return jnp.broadcast_to(m[..., None, None], like.shape)
    raise ValueError(f"mask shape {mask.shape} must be [..., C, K] (per step) or [..., C] "
                     f"(per chunk) for log-probs {like.shape} [..., C, K, D]")


def token_weights(tmask: Array, agg: str) -> Array:
    """Per-token loss weights ``[..., C, K, D]`` of a token mask ``[..., C, K, D]`` (the
    leading dims are episodes) under ``agg``.

    ``token_mean``: the mask itself. ``seq_mean``: the mask divided by the episode's number of
    valid tokens, so each episode's weights sum to 1. For any set of whole episodes,
    ``weighted_mean(x, w)`` over that set is the ``agg`` mean over it; since the weights are
    fixed per token, they also carry the episode-level weighting into a batch of single chunk
    decisions gathered from many episodes (see :func:`compact_decisions`).
    """
    if agg == "token_mean":
        return tmask
    if agg == "seq_mean":
        n_tok = tmask.sum(axis=(-3, -2, -1), keepdims=True)
        return tmask / jnp.maximum(n_tok, 1.0)
    raise ValueError(f"loss_agg={agg!r}: must be one of {_LOSS_AGGS}")


def weighted_mean(x: Array, w: Array) -> Array:
    """``sum(w * x) / sum(w)`` (0 when every weight is 0); ``w`` broadcasts to ``x``."""
    w = jnp.broadcast_to(w, x.shape)
    total = w.sum()
    return (x * w).sum() / jnp.where(total > 0, total, 1.0)


def _aggregate(x: Array, tmask: Array, agg: str) -> Array:
    """Masked mean of token values ``x [..., C, K, D]``.

    ``token_mean``: over all valid tokens. ``seq_mean``: per-episode token mean, then mean over
    episodes that have at least one valid token.
    """
    return weighted_mean(x, token_weights(tmask, agg))


def clipped_surrogate(
    logp_new: Array,
    logp_old: Array,
    advantages: Array,
    mask: Array,
    clip_low: float = 0.2,
    clip_high: float = 0.28,
    agg: str = "token_mean",
    weights: Array | None = None,
) -> tuple[Array, Metrics]:
    """PPO clipped surrogate loss with asymmetric clipping.

    Args:
        logp_new: ``[..., C, K, D]`` token log-probs under the current params (differentiated).
        logp_old: ``[..., C, K, D]`` log-probs under the rollout params (treated as constants).
        advantages: ``[...]`` per-episode advantages, broadcast to every token of the episode.
        mask: ``[..., C, K]`` executed-step validity (or ``[..., C]`` per chunk), broadcast
            over the ``D`` tokens of each step.
        clip_low, clip_high: ratio clipped to ``[1 - clip_low, 1 + clip_high]``.
        agg: ``"token_mean"`` or ``"seq_mean"``.
        weights: optional precomputed loss weights ``[..., C, K, D]``
            (:func:`token_weights` of the whole batch's episodes); when given, ``agg`` is not
            used and the loss is ``weighted_mean`` with them (a minibatch of decisions gathered
            from several episodes keeps the episode-level weighting).

    Returns:
        ``(loss, metrics)``: loss = -mean(min(r * A, clip(r) * A)) over valid tokens, with
        r = exp(logp_new - logp_old); metrics (scalars, token means): ``clip_frac`` (tokens whose
        gradient is cut by clipping), ``approx_kl`` (k3 estimate of KL(old || new)), ``ratio_mean``.
    """
    logp_old = jax.lax.stop_gradient(logp_old)
    adv = jax.lax.stop_gradient(advantages).astype(jnp.float32)[..., None, None, None]
    tmask = _token_mask(mask, logp_new)
    log_ratio = jnp.clip(logp_new - logp_old, -_MAX_LOG_RATIO, _MAX_LOG_RATIO)
    ratio = jnp.exp(log_ratio)
    unclipped = ratio * adv
    clipped = jnp.clip(ratio, 1.0 - clip_low, 1.0 + clip_high) * adv
    objective = jnp.minimum(unclipped, clipped)
    if weights is None:
        loss = -_aggregate(objective, tmask, agg)
    else:
        loss = -weighted_mean(objective, jax.lax.stop_gradient(weights))

    lr = jax.lax.stop_gradient(log_ratio)
    r = jnp.exp(lr)
    metrics = {
        "clip_frac": _aggregate((clipped < unclipped).astype(jnp.float32), tmask, "token_mean"),
        "approx_kl": _aggregate(r - 1.0 - lr, tmask, "token_mean"),
        "ratio_mean": _aggregate(r, tmask, "token_mean"),
    }
    return loss, jax.tree.map(jax.lax.stop_gradient, metrics)


def kl_penalty(logp_new: Array, logp_ref: Array, mask: Array) -> Array:
    """k3 estimator of KL(new || ref): ``exp(ref - new) - (ref - new) - 1``, masked token mean.

    Args:
        logp_new: ``[..., C, K, D]``; logp_ref: ``[..., C, K, D]`` (constant); mask:
        ``[..., C, K]`` or ``[..., C]``.

    Returns:
        Scalar >= 0, zero iff new == ref on all valid tokens.
    """
    d = jax.lax.stop_gradient(logp_ref) - logp_new
    d = jnp.clip(d, -_MAX_LOG_RATIO, _MAX_LOG_RATIO)
    return _aggregate(jnp.exp(d) - d - 1.0, _token_mask(mask, logp_new), "token_mean")


def grpo_loss(
    logp_new: Array,
    logp_old: Array,
    logp_ref: Array | None,
    advantages: Array,
    mask: Array,
    cfg: GRPOConfig,
    weights: Array | None = None,
) -> tuple[Array, Metrics]:
    """Clipped surrogate + ``cfg.kl_coef`` * k3 KL to the reference policy.

    Shapes as in ``clipped_surrogate``; ``logp_ref [..., C, K, D]``. The KL term is reported
    (metric ``kl``) whenever ``logp_ref`` is given, but only enters the loss when
    ``cfg.kl_coef > 0`` (then ``logp_ref`` is required). ``weights``: as in
    ``clipped_surrogate`` (the loss aggregation; metrics are token means either way).

    Returns:
        ``(loss, metrics)`` with ``loss, pg_loss, clip_frac, approx_kl, ratio_mean`` and ``kl``
        (when ``logp_ref`` is given).
    """
    pg_loss, metrics = clipped_surrogate(
        logp_new, logp_old, advantages, mask, cfg.clip_low, cfg.clip_high, cfg.loss_agg,
        weights,
    )
    metrics = dict(metrics, pg_loss=pg_loss)
    loss = pg_loss
    if logp_ref is not None:
        kl = kl_penalty(logp_new, logp_ref, mask)
        metrics["kl"] = kl
        if cfg.kl_coef > 0:
            loss = pg_loss + cfg.kl_coef * kl
    elif cfg.kl_coef > 0:
        raise ValueError(f"grpo_loss: kl_coef={cfg.kl_coef} > 0 needs the reference log-probs "
                         f"logp_ref")
    metrics["loss"] = loss
    return loss, jax.tree.map(jax.lax.stop_gradient, metrics)


# ----------------------------------------------------------------------------- update


def decision_valid(mask: Array) -> Array:
    """``[N, C, K]`` step mask (or ``[N, C]`` chunk mask) -> ``[N, C]`` bool: the chunk
    decisions with at least one executed step (the others carry no loss)."""
    m = mask > 0
    return m.any(axis=-1) if m.ndim == 3 else m


def compact_decisions(batch: dict[str, Array], size: int, loss_agg: str) -> dict[str, Array]:
    """Episode batch -> a fixed-size batch of the chunk decisions that carry loss.

    Args:
        batch: ``advantages [N]`` and the other per-episode entries ``[N]``, ``mask [N, C, K]``
            (or ``[N, C]``), ``logp_old [N, C, K, D]`` and every other entry ``[N, C, ...]``
            (per decision: observations, tokens, ``logp_ref``).
        size: S decisions kept, static; must be >= the number of valid decisions
            (:func:`decision_valid`), else valid ones are dropped (the caller checks on the
            host, see :func:`bucket_size`).
        loss_agg: the loss aggregation whose episode-level weighting the batch keeps.

    Returns:
        ``{name: [S, 1, ...]}``: every valid decision (episode-major order) first, then
        decisions with no executed step (mask 0, weight 0) as padding. A leading ``C = 1``
        keeps the ``[n, C, K, D]`` convention of the loss and of ``apply_logp_fn``.
        Per-episode entries (``advantages``) are repeated onto their decisions (``[S]``), and
        ``weight [S, 1, K, D]`` holds the :func:`token_weights` of the full episode batch, so
        the loss on the whole compacted batch equals the episode batch's (up to float order).
    """
    n, c = batch["mask"].shape[:2]
    if size < 1 or size > n * c:
        raise ValueError(f"compact_decisions: size={size} must be in [1, N * C = {n * c}]")
    tmask = _token_mask(batch["mask"], batch["logp_old"])
    batch = dict(batch, weight=token_weights(tmask, loss_agg))
    valid = decision_valid(batch["mask"]).reshape(n * c)
    order = jnp.argsort(~valid, stable=True)[:size]                      # valid ones first

    def gather(x: Array) -> Array:
        if x.shape[:1] != (n,):
            raise ValueError(f"compact_decisions: leading dim {x.shape[:1]} != N={n}")
        if x.ndim == 1:  # per episode [N] -> per decision [S]
            return jnp.take(jnp.repeat(x, c), order, axis=0)
        if x.shape[1] != c:
            raise ValueError(f"compact_decisions: entry of shape {x.shape} is neither per "
                             f"episode [N] nor per decision [N, C={c}, ...]")
        flat = x.reshape((n * c,) + x.shape[2:])
        return jnp.take(flat, order, axis=0)[:, None]

    return {k: gather(x) for k, x in batch.items()}


def bucket_ladder(n_decisions: int, quantum: int = 1, steps: int = 8) -> tuple[int, ...]:
    """Compacted batch sizes: multiples of ``ceil(n_decisions / steps)`` rounded up to a
    multiple of ``quantum`` (the minibatch count, times the device count), capped at
    ``n_decisions`` (which must itself be a multiple of ``quantum``)."""
    if n_decisions % quantum:
        raise ValueError(f"bucket_ladder: {n_decisions} decisions not a multiple of {quantum}")
    per_step = -(-n_decisions // steps)                   # ceil(n_decisions / steps)
    unit = -(-per_step // quantum) * quantum              # rounded up to a multiple of quantum
    return tuple(sorted({min(i * unit, n_decisions) for i in range(1, steps + 1)}))


def bucket_size(n_valid: int, ladder: tuple[int, ...]) -> int:
    """The smallest size of ``ladder`` that holds ``n_valid`` decisions."""
    for b in ladder:
        if b >= n_valid:
            return b
    raise ValueError(f"bucket_size: {n_valid} valid decisions exceed the largest bucket "
                     f"{ladder[-1]}")


def unroll_loops(unroll: bool | None = None) -> bool:
    """Whether the update's epoch/minibatch loops (and the reference forward's minibatch loop)
    are unrolled into straight-line code: ``unroll`` if given, else on the CPU backend only.

    On XLA:CPU a convolution inside a loop body (``lax.scan`` / ``lax.map``) can be far
    slower than the same convolution outside one (jax-ml/jax#12868); the policy's image stem
    is convolutional, and its backward pass inside the scanned PPO steps is where the update's
    CPU time went (BENCHMARKS.md). Unrolling costs compile time (one copy of the forward and
    backward pass per step), so accelerators keep the loops.
    """
    return jax.default_backend() == "cpu" if unroll is None else bool(unroll)


def scan_or_unroll(f: Callable[[Any, Any], tuple[Any, Any]], init: Any, xs: PyTree,
                   unroll: bool) -> tuple[Any, Any]:
    """``lax.scan(f, init, xs)``, or the same steps as straight-line code when ``unroll``
    (:func:`unroll_loops`): one source for both forms of the update's loops."""
    if not unroll:
        return jax.lax.scan(f, init, xs)
    carry, ys = init, []
    for i in range(jax.tree.leaves(xs)[0].shape[0]):
        carry, y = f(carry, jax.tree.map(lambda x, i=i: x[i], xs))
        ys.append(y)
    return carry, jax.tree.map(lambda *a: jnp.stack(a), *ys)


def make_update_fn(
    apply_logp_fn: Callable[[PyTree, dict[str, Array]], Array],
    optimizer: optax.GradientTransformation,
    cfg: GRPOConfig,
    unroll: bool | None = None,
) -> Callable[[PyTree, PyTree, dict[str, Array], Array], tuple[PyTree, PyTree, Metrics]]:
    """Builds the pure GRPO update step.

    Args:
        apply_logp_fn: ``(params, minibatch) -> logp_new [n, C, K, D]`` for a minibatch of n
            units (computed at ``cfg.temperature`` to match the rollout log-probs).
        optimizer: any optax transformation (gradients are additionally clipped to
            ``cfg.max_grad_norm`` global norm before it, unless None).
        cfg: GRPO hyper-parameters.
        unroll: run the ``update_epochs x num_minibatches`` steps as straight-line code instead
            of ``lax.scan`` (same result; :func:`unroll_loops`: default on CPU only).

    Returns:
        ``update(params, opt_state, batch, key) -> (params, opt_state, metrics)``. ``batch`` holds
        ``logp_old [N, C, K, D]``, ``advantages [N]``, ``mask [N, C, K]``, ``logp_ref
        [N, C, K, D]`` (required when ``kl_coef > 0``; without it no ``kl`` metric), optionally
        ``weight [N, C, K, D]`` (the loss weights, see below) and whatever ``apply_logp_fn``
        reads, all with leading dim N (N % num_minibatches == 0). Runs ``update_epochs`` x
        ``num_minibatches`` optimiser steps with ``lax.scan``, shuffling the N units each
        epoch with ``key``. Metrics are scalar means over all steps, plus ``grad_norm``
        (pre-clip) and ``ratio_first`` (ratio mean of the first step, ~1 on-policy).

    The N units are episodes, or chunk decisions (:func:`compact_decisions`: ``C = 1``,
    ``advantages`` repeated per decision, ``weight`` given). The loss of a minibatch is
    ``weighted_mean(objective, weight)`` over its units, with ``weight`` =
    :func:`token_weights` of the whole episode batch (computed here from ``mask`` when not
    given). On whole episodes that is exactly the ``loss_agg`` mean over the minibatch's
    episodes; a minibatch of decisions gets each token's episode-level weight, normalised
    over the minibatch, so with ``num_minibatches = 1`` the compacted and the episode batch
    give the same loss, gradient and update.
    """
    n_mb, n_ep = cfg.num_minibatches, cfg.update_epochs
    unroll = unroll_loops(unroll)

    def loss_fn(params: PyTree, mb: dict[str, Array]) -> tuple[Array, Metrics]:
        logp_new = apply_logp_fn(params, mb)
        return grpo_loss(logp_new, mb["logp_old"], mb.get("logp_ref"), mb["advantages"],
                         mb["mask"], cfg, mb["weight"])

    grad_fn = jax.grad(loss_fn, has_aux=True)

    def sgd_step(carry, mb):
        params, opt_state = carry
        grads, metrics = grad_fn(params, mb)
        gnorm = optax.tree.norm(grads)
        if cfg.max_grad_norm is not None:
            scale = jnp.minimum(1.0, cfg.max_grad_norm / (gnorm + 1e-12))
            grads = jax.tree.map(lambda g: g * scale.astype(g.dtype), grads)
        updates, opt_state = optimizer.update(grads, opt_state, params)
        params = optax.apply_updates(params, updates)
        return (params, opt_state), dict(metrics, grad_norm=gnorm)

    def update(params: PyTree, opt_state: PyTree, batch: dict[str, Array], key: Array):
        required = ("logp_old", "advantages", "mask") + (("logp_ref",) if cfg.kl_coef > 0
                                                          else ())
        for name in required:
            if name not in batch:
                raise ValueError(f"make_update_fn: batch is missing required key {name!r}")
        n = batch["advantages"].shape[0]
        if batch["advantages"].ndim != 1:
            raise ValueError(f"make_update_fn: advantages must be [N] (one per unit), got "
                             f"shape {batch['advantages'].shape}")
        for name, x in batch.items():
            if x.shape[:1] != (n,):
                raise ValueError(
                    f"make_update_fn: batch[{name!r}] has leading dim {x.shape[:1]}, "
                    f"expected N={n} (the advantages' leading dim)"
                )
        if n % n_mb:
            raise ValueError(
                f"make_update_fn: N={n} units is not divisible by "
                f"GRPOConfig.num_minibatches={n_mb}"
            )
        if "weight" not in batch:
            tmask = _token_mask(batch["mask"], batch["logp_old"])
            batch = dict(batch, weight=token_weights(tmask, cfg.loss_agg))

        def minibatches(k):
            data = batch
            if n_mb > 1:
                perm = jax.random.permutation(k, n)
                data = jax.tree.map(lambda x: jnp.take(x, perm, axis=0), batch)
            return jax.tree.map(lambda x: x.reshape((n_mb, n // n_mb) + x.shape[1:]), data)

        (params, opt_state), metrics = scan_or_unroll(               # metrics [n_ep, n_mb]
            lambda carry, k: scan_or_unroll(sgd_step, carry, minibatches(k), unroll),
            (params, opt_state), jax.random.split(key, n_ep), unroll)
        out = jax.tree.map(jnp.mean, metrics)
        out["ratio_first"] = metrics["ratio_mean"][0, 0]
        return params, opt_state, out

    return update
