"""The one optax builder for SFT and GRPO: AdamW with a learning-rate schedule, a weight-decay
mask (>= 2-D parameters only: no decay on biases and norm scales) and optional global-norm
clipping."""

from __future__ import annotations

import dataclasses
from typing import Any

import jax
import optax

SCHEDULES = ("warmup_cosine", "constant")


@dataclasses.dataclass(frozen=True)
class OptimConfig:
    """Optimiser hyper-parameters (hashable: a cache key for compiled train steps).

    ``schedule="warmup_cosine"``: linear warmup from 0 over ``warmup_steps`` to ``lr``, then
    cosine decay to ``end_lr_ratio * lr`` at ``num_steps``; ``"constant"``: ``lr`` throughout.
    ``grad_clip <= 0`` disables clipping; ``weight_decay == 0`` gives plain Adam."""

    lr: float
    num_steps: int = 1
    warmup_steps: int = 0
    end_lr_ratio: float = 1.0
    weight_decay: float = 0.0
    grad_clip: float = 0.0
    schedule: str = "warmup_cosine"
    b1: float = 0.9
    b2: float = 0.999
    eps: float = 1e-8

    def __post_init__(self) -> None:
        if self.schedule not in SCHEDULES:
            raise ValueError(f"schedule must be one of {SCHEDULES}, got {self.schedule!r}")
        if not self.lr > 0:
            raise ValueError(f"learning rate must be > 0, got {self.lr}")


def decay_mask(params: Any) -> Any:
    """True for the >= 2-D parameters (kernels, embeddings) that get weight decay."""
    return jax.tree.map(lambda p: p.ndim >= 2, params)


def make_schedule(cfg: OptimConfig) -> optax.Schedule:
    if cfg.schedule == "constant":
        return optax.constant_schedule(cfg.lr)
    steps = max(cfg.num_steps, 1)
    warmup = min(cfg.warmup_steps, steps - 1) if steps > 1 else 0
    return optax.warmup_cosine_decay_schedule(
        init_value=0.0, peak_value=cfg.lr, warmup_steps=warmup, decay_steps=steps,
        end_value=cfg.lr * cfg.end_lr_ratio)


def make_optimizer(cfg: OptimConfig) -> tuple[optax.GradientTransformation, optax.Schedule]:
    """``(optimizer, schedule)``: [clip_by_global_norm] -> AdamW(schedule, decay mask)."""
    schedule = make_schedule(cfg)
    tx = optax.adamw(schedule, b1=cfg.b1, b2=cfg.b2, eps=cfg.eps, weight_decay=cfg.weight_decay,
                     mask=decay_mask)
    if cfg.grad_clip > 0:
        tx = optax.chain(optax.clip_by_global_norm(cfg.grad_clip), tx)
    return tx, schedule
