"""Checkpoint save/restore, resume after preemption, clear errors (no MJX)."""

# ruff: noqa: I001  (smoothvla_jax must be imported before jax)
from __future__ import annotations

import os

import smoothvla_jax  # noqa: F401

import jax
import numpy as np
import pytest

from smoothvla_jax import checkpoints
from smoothvla_jax.model import (
    ActionNormalizer,
    ActionTokenizer,
    VLAConfig,
    apply_policy,
    default_tokenizer,
    dummy_observation,
    init_params,
)
from smoothvla_jax.train import train
from test_sft import synthetic_config

VCFG = VLAConfig.tiny(image_size=16)  # the synthetic SFT runs below use the same config


def _save(directory, step=5):
    params = init_params(jax.random.PRNGKey(1), VCFG)
    norm = ActionNormalizer.from_data(np.random.default_rng(0).normal(size=(50, 7)), "min_max")
    meta = checkpoints.make_meta(VCFG, ActionTokenizer(), norm, default_tokenizer(),
                                 {"seed": 3})
    ckpt = checkpoints.Checkpointer(directory)
    train_state = {"rng": jax.random.PRNGKey(2), "step": np.int32(step),
                   "data_position": np.int64(7)}
    ckpt.save(step, params, train_state, meta)
    ckpt.close()
    return params, norm


def test_save_restore_gives_identical_outputs(tmp_path):
    params, norm = _save(tmp_path / "checkpoints")
    pol = checkpoints.load_policy(tmp_path)  # run dir: finds checkpoints/ inside
    assert pol.step == 5 and pol.vla_config == VCFG and pol.action_normalizer == norm
    assert pol.tokenizer == default_tokenizer() and pol.config == {"seed": 3}
    obs = dummy_observation(2, 16, 12)
    apply = jax.jit(apply_policy, static_argnums=1)
    np.testing.assert_array_equal(apply(params, VCFG, obs),
                                  apply(pol.params, pol.vla_config, obs))


def test_missing_checkpoint_raises_clear_error(tmp_path):
    with pytest.raises(checkpoints.CheckpointNotFoundError, match="no checkpoint directory"):
        checkpoints.load_policy(tmp_path / "nope")
    os.makedirs(tmp_path / "empty")
    with pytest.raises(checkpoints.CheckpointNotFoundError, match="no checkpoint found"):
        checkpoints.load_policy(tmp_path / "empty")
    _save(tmp_path / "ok")
    with pytest.raises(checkpoints.CheckpointNotFoundError, match=r"available: \[5\]"):
        checkpoints.load_policy(tmp_path / "ok", step=9)


@pytest.mark.parametrize("item", ["params", "meta"])
def test_corrupt_checkpoint_raises_clear_error(tmp_path, item):
    _save(tmp_path)
    for dirpath, _, files in os.walk(tmp_path / "5" / item):
        for f in files:
            with open(os.path.join(dirpath, f), "wb") as fh:
                fh.write(b"\x00garbage")
    with pytest.raises(checkpoints.CheckpointError, match="corrupt"):
        checkpoints.load_policy(tmp_path)


def test_resume_after_preemption_matches_uninterrupted_run(tmp_path):
    """9 steps straight vs. 'killed' after step 6 then resumed: same step, same params."""
    sft = lambda out: out["stages"]["sft"]
    straight = sft(train(synthetic_config(tmp_path / "a", num_steps=9, save_every=3,
                                          log_every=3)))
    cfg = synthetic_config(tmp_path / "b", num_steps=9, save_every=3, log_every=3)
    first = sft(train(cfg, stop_at=6))
    assert first["step"] == 6
    assert sorted(os.listdir(tmp_path / "b" / "run" / "checkpoints")) == ["3", "6"]
    resumed = sft(train(cfg))
    assert resumed["step"] == straight["step"] == 9
    a = checkpoints.load_policy(straight["workdir"])
    b = checkpoints.load_policy(resumed["workdir"])
    jax.tree.map(np.testing.assert_array_equal, a.params, b.params)
    ckpt = checkpoints.Checkpointer(resumed["checkpoint_dir"], read_only=True)
    ts = ckpt.restore_train_state(9)
    assert int(ts["step"]) == 9 and int(ts["data_position"]) == 9 * 16
