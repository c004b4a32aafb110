"""Supervised fine-tuning (behaviour cloning) of the VLA on demonstration action chunks.

Loss: mean cross-entropy of the target action bins ``[B, K, 7]`` under the policy's logits
``[B, K, 7, num_bins]`` (optionally ignoring padded chunk targets). Optimiser: AdamW with linear
warmup + cosine decay and global-norm clipping. ``make_train_step`` returns one jitted
``(state, batch) -> (state, metrics)``; the loop in :func:`train_sft` adds data, logging,
checkpointing and resumption.
"""

from __future__ import annotations

import functools
import os
import time
from typing import Any

import jax
import jax.numpy as jnp
import numpy as np
import optax
from flax import struct
from tqdm import tqdm

from smoothvla_jax import builders, checkpoints, data
from smoothvla_jax.config import Config, SFTConfig, as_config, check_resume
from smoothvla_jax.logger import MetricLogger
from smoothvla_jax.model import (
    ActionNormalizer,
    ActionTokenizer,
    Observation,
    VLAConfig,
    apply_policy,
    init_params,
    param_count,
)
from smoothvla_jax.optim import OptimConfig, make_optimizer

Params = Any


@struct.dataclass
class TrainState:
    """``step []`` int32, ``params``, ``opt_state``, ``rng`` uint32 [2] (raw key)."""

    step: jax.Array
    params: Params
    opt_state: Any
    rng: jax.Array


@struct.dataclass
class Batch:
    """Device batch: ``obs`` [B], ``targets`` int32 [B, K, 7] bins, ``weights`` float32 [B, K]."""

    obs: Observation
    targets: jax.Array
    weights: jax.Array


def sft_optim_config(scfg: SFTConfig) -> OptimConfig:
    """SFT's optimiser: AdamW (b2 0.95), warmup + cosine over ``num_steps``, clipping."""
    return OptimConfig(lr=scfg.lr, num_steps=scfg.num_steps, warmup_steps=scfg.warmup_steps,
                       end_lr_ratio=scfg.end_lr_ratio, weight_decay=scfg.weight_decay,
                       grad_clip=scfg.grad_clip, schedule="warmup_cosine", b2=0.95)


def sft_loss(params: Params, vla_config: VLAConfig, batch: Batch,
             dropout_rng: jax.Array | None = None) -> tuple[jax.Array, dict[str, jax.Array]]:
    """Weighted token cross-entropy. Returns ``(loss [], metrics)`` with ``accuracy`` (argmax ==
    target) and ``bin_error`` (mean |argmax - target| in bins)."""
    logits = apply_policy(params, vla_config, batch.obs, deterministic=dropout_rng is None,
                          dropout_rng=dropout_rng)                        # [B, K, 7, N]
    ce = optax.softmax_cross_entropy_with_integer_labels(logits, batch.targets)  # [B, K, 7]
    w = jnp.broadcast_to(batch.weights[..., None], ce.shape)
    denom = jnp.maximum(w.sum(), 1.0)
    pred = jnp.argmax(logits, -1)
    metrics = {"accuracy": ((pred == batch.targets) * w).sum() / denom,
               "bin_error": (jnp.abs(pred - batch.targets) * w).sum() / denom}
    loss = (ce * w).sum() / denom
    return loss, dict(metrics, loss=loss)


def random_shift(key: jax.Array, images: jax.Array, pad: int) -> jax.Array:
    """DrQ-style augmentation: each image ``[B, H, W, C]`` is edge-padded by ``pad`` pixels and
    cropped back to ``H x W`` at a random offset (a translation of up to +-``pad`` pixels)."""
    if pad <= 0:
        return images
    b, h, w, c = images.shape
    padded = jnp.pad(images, ((0, 0), (pad, pad), (pad, pad), (0, 0)), mode="edge")
    offsets = jax.random.randint(key, (b, 2), 0, 2 * pad + 1)
    crop = lambda im, o: jax.lax.dynamic_slice(im, (o[0], o[1], 0), (h, w, c))
    return jax.vmap(crop)(padded, offsets)


def augment_observation(key: jax.Array, obs: Observation, shift: int) -> Observation:
    """Independent :func:`random_shift` of both cameras (proprio and text untouched)."""
    k1, k2 = jax.random.split(key)
    return obs.replace(agentview=random_shift(k1, obs.agentview, shift),
                       wrist=random_shift(k2, obs.wrist, shift))


def make_train_step(vla_config: VLAConfig, optimizer: optax.GradientTransformation,
                    schedule: Any, augment_shift: int = 0):
    """Jitted ``train_step(state, batch) -> (state, metrics)`` (donates ``state``).

    ``augment_shift > 0`` randomly translates the camera images by up to that many pixels
    (:func:`random_shift`), keyed by ``(state.rng, state.step)`` so a resumed run is identical.
    """

    def train_step(state: TrainState, batch: Batch) -> tuple[TrainState, dict[str, jax.Array]]:
        step_rng = jax.random.fold_in(state.rng, state.step)
        dropout_rng = step_rng if vla_config.dropout else None
        if augment_shift > 0:
            batch = batch.replace(obs=augment_observation(jax.random.fold_in(step_rng, 1),
                                                          batch.obs, augment_shift))
        grad_fn = jax.grad(sft_loss, has_aux=True)
        grads, metrics = grad_fn(state.params, vla_config, batch, dropout_rng)
        updates, opt_state = optimizer.update(grads, state.opt_state, state.params)
        params = optax.apply_updates(state.params, updates)
        metrics.update(grad_norm=optax.tree.norm(grads), lr=schedule(state.step))
        return state.replace(step=state.step + 1, params=params, opt_state=opt_state), metrics

    return jax.jit(train_step, donate_argnums=0)


@functools.lru_cache(maxsize=8)
def cached_train_step(vla_config: VLAConfig, ocfg: OptimConfig, augment_shift: int = 0):
    """``(optimizer, jitted train_step)`` memoised per configuration, so repeated runs in one
    process (tests, sweeps, resume) compile once."""
    optimizer, schedule = make_optimizer(ocfg)
    return optimizer, make_train_step(vla_config, optimizer, schedule, augment_shift)


def to_device_batch(batch: data.SFTBatch, tokenizer: ActionTokenizer,
                    normalizer: ActionNormalizer, mask_padding: bool) -> Batch:
    """Host :class:`data.SFTBatch` -> device :class:`Batch` (actions tokenised on host)."""
    targets = tokenizer.encode(normalizer.normalize(batch.actions))
    weights = batch.action_valid if mask_padding else np.ones_like(batch.action_valid)
    return jax.device_put(Batch(obs=batch.obs, targets=targets,
                                weights=weights.astype(np.float32)))


def fit_normalizer(mode: str, dataset: data.Dataset) -> ActionNormalizer:
    """``identity``, or ``min_max`` on the q01/q99 of the valid dataset actions (gripper kept)."""
    if mode == "identity":
        return ActionNormalizer.identity()
    acts = np.concatenate([t.actions[i, :n] for t in dataset.tasks
                           for i, n in enumerate(t.lengths)])
    return ActionNormalizer.from_data(acts, "min_max", quantile=0.01, mask=[True] * 6 + [False])


# fields whose change does not change the SFT result (bookkeeping, other stages)
RESUME_IGNORED = ("sft.log_every", "sft.save_every", "sft.keep_checkpoints",
                  "sft.async_checkpoint", "sft.resume", "data.root", "data.batch_size",
                  "data.segment")


def train_sft(config: Config | Any, config_path: str | None = None,
              stop_at: int | None = None) -> dict:
    """Runs (or resumes) SFT as configured; returns the final logged metrics + paths.

    ``stop_at``: end this invocation after that global step (saving a checkpoint) as if the job
    were preempted; a later call resumes. The schedule still spans ``config.sft.num_steps``.
    Resuming with a config whose ``seed``/``env``/``data``/``model``/``sft`` fields differ from the
    stored one raises :class:`smoothvla_jax.config.ConfigError` naming them (unless
    ``config.allow_config_change``).
    """
    config = as_config(config)
    scfg, workdir = config.sft, os.path.abspath(config.workdir)
    dataset = _open_dataset(config, config_path)
    vcfg = builders.vla_config(config)
    if dataset.image_size != (vcfg.image_size, vcfg.image_size):
        raise data.DatasetError(
            f"dataset {dataset.root} has {dataset.image_size} images but config.data.image_size "
            f"is {vcfg.image_size}; re-collect or point config.data.root elsewhere")
    tokenizer = builders.make_tokenizer(dataset.instructions, vcfg.vocab_size)
    action_tok = ActionTokenizer(num_bins=vcfg.num_bins)
    normalizer = fit_normalizer(scfg.action_norm, dataset)
    loader = data.SFTLoader(dataset, tokenizer, vcfg.chunk, int(scfg.batch_size),
                            int(config.seed), vcfg.text_max_len, config.data.pad_mode)
    shift = scfg.augment_shift
    if shift < 0 or shift >= vcfg.image_size // 2:
        raise ValueError(f"config.sft.augment_shift must be in [0, {vcfg.image_size // 2}) "
                         f"pixels for {vcfg.image_size} px images, got {shift}")
    optimizer, train_step = cached_train_step(vcfg, sft_optim_config(scfg), shift)
    rng = jax.random.PRNGKey(int(config.seed))
    params = init_params(rng, vcfg)
    state = TrainState(step=jnp.zeros((), jnp.int32), params=params,
                       opt_state=optimizer.init(params), rng=rng)
    meta = checkpoints.make_meta(vcfg, action_tok, normalizer, tokenizer,
                                 config.to_dict(), stage="sft",
                                 dataset=dataset.root, tasks=[t.key for t in dataset.tasks])
    ckpt = checkpoints.Checkpointer(os.path.join(workdir, "checkpoints"),
                                    int(scfg.keep_checkpoints), bool(scfg.async_checkpoint))
    position = 0
    if scfg.resume and ckpt.latest_step() is not None:
        check_resume(ckpt.restore_meta().get("config", {}), config,
                     ("seed", "env", "data", "model", "sft"), RESUME_IGNORED, f"SFT run {workdir}")
        target = {"opt_state": state.opt_state, "rng": state.rng, "step": state.step,
                  "data_position": np.int64(0)}
        step, params, ts, _ = ckpt.restore(state.params, target)
        state = TrainState(step=jnp.asarray(ts["step"], jnp.int32), params=params,
                           opt_state=ts["opt_state"], rng=jnp.asarray(ts["rng"]))
        position = int(ts["data_position"])
        print(f"resumed from {ckpt.directory}/{step} (data position {position})")
    log = MetricLogger(workdir, config=config)
    start, total = int(state.step), int(scfg.num_steps)
    end = total if stop_at is None else min(int(stop_at), total)
    print(f"SFT: {param_count(state.params):,} params, {loader.num_samples} samples, "
          f"{total} steps, workdir {workdir}")

    def save(step: int) -> None:
        ts = {"opt_state": state.opt_state, "rng": state.rng, "step": state.step,
              "data_position": np.int64(position)}
        ckpt.save(step, state.params, ts, meta)

    last: dict[str, float] = {}
    it = loader.iterate(position)
    t_log, n_log = time.perf_counter(), 0
    with tqdm(total=total, initial=start, desc="sft", unit="step") as pbar:
        for step in range(start, end):
            host_batch, position = next(it)
            batch = to_device_batch(host_batch, action_tok, normalizer, scfg.mask_padding)
            state, metrics = train_step(state, batch)
            if step == start:  # keep compilation out of steps_per_s
                jax.block_until_ready(metrics)
                tqdm.write(f"first step (incl. compile): {time.perf_counter() - t_log:.1f} s")
                t_log = time.perf_counter()
                n_log = -1
            n_log += 1
            pbar.update(1)
            if (step + 1) % scfg.log_every == 0 or step + 1 == end:
                last = {k: float(v) for k, v in jax.device_get(metrics).items()}
                last["steps_per_s"] = n_log / (time.perf_counter() - t_log)
                t_log, n_log = time.perf_counter(), 0
                log.write(step + 1, last, prefix="sft/")
                pbar.set_postfix(loss=f"{last['loss']:.3f}", acc=f"{last['accuracy']:.2f}")
            if (step + 1) % scfg.save_every == 0 or step + 1 == end:
                save(step + 1)
    ckpt.close()
    log.close()
    return {"workdir": workdir, "checkpoint_dir": ckpt.directory, "step": int(state.step),
            **last}


def _open_dataset(config: Config, config_path: str | None) -> data.Dataset:
    hint = builders.collect_command(config, config_path)
    keys = builders.task_keys(config.data.tasks, config.data.suite)
    return data.load_dataset(config.data.root, keys, hint=hint, dynamics=config.env.dynamics)
