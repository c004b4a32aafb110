"""Reinforcement-learning components (GRPO)."""

from smoothvla_jax.rl.grpo import (
    GRPOConfig,
    apply_group_mask,
    clipped_surrogate,
    compact_decisions,
    dynamic_sampling_mask,
    group_advantages,
    grpo_loss,
    kl_penalty,
    make_update_fn,
    nonconstant_group_mask,
    token_logprobs,
)

__all__ = [
    "GRPOConfig",
    "apply_group_mask",
    "clipped_surrogate",
    "compact_decisions",
    "dynamic_sampling_mask",
    "group_advantages",
    "grpo_loss",
    "kl_penalty",
    "make_update_fn",
    "nonconstant_group_mask",
    "token_logprobs",
]
