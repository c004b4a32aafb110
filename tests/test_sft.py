"""Configs + CLI overrides, and SFT on a tiny synthetic dataset (no MJX)."""

# ruff: noqa: I001  (smoothvla_jax must be imported before jax)
from __future__ import annotations

import glob
import json
import os

import smoothvla_jax  # noqa: F401

import pytest

from smoothvla_jax import builders, data
from smoothvla_jax.config import STAGES, Config, ConfigError, as_config
from smoothvla_jax.train import train

CONFIGS = os.path.join(os.path.dirname(__file__), "..", "configs")


def synthetic_config(tmp_path, **sft):
    """Smoke config pointed at a synthetic dataset (written if missing, recorded under the
    smoke config's dynamics), tiny model, 16 px images."""
    root = tmp_path / "data"
    overrides = {"data.root": str(root), "data.tasks": "libero_10/0", "data.image_size": 16,
                 "stages": "sft", "workdir": str(tmp_path / "run"),
                 "sft.batch_size": 16, "sft.num_steps": 40, "sft.warmup_steps": 5,
                 "sft.log_every": 10, "sft.save_every": 20, "sft.lr": 1e-3,
                 "sft.augment_shift": 0}
    overrides.update({f"sft.{k}": v for k, v in sft.items()})
    cfg = builders.load_config(os.path.join(CONFIGS, "smoke.py"),
                               [f"--config.{k}={v}" for k, v in overrides.items()])
    if not (root / "meta.json").exists():
        data.write_synthetic(root, ("libero_10/0",), num_episodes=3, length=10, image_size=16,
                             dynamics=cfg.env.dynamics)
    return cfg


@pytest.mark.parametrize("name", ["smoke", "cpu", "libero10"])
def test_configs_load_and_cli_overrides_apply(name):
    path = os.path.join(CONFIGS, f"{name}.py")
    base = builders.load_config(path)
    cfg = builders.load_config(path, ["--config.seed=3", "--config.sft.lr=0.5",
                                      "--config.data.tasks=libero_10/2,libero_10/5"])
    assert cfg.seed == 3 and cfg.sft.lr == 0.5 and base.seed == 0
    assert builders.task_keys(cfg.data.tasks) == ["libero_10/2", "libero_10/5"]
    typed = as_config(cfg)
    assert typed.seed == 3 and typed.sft.lr == 0.5 and typed.stage_list() == STAGES
    vcfg = builders.vla_config(as_config(base))
    assert vcfg.image_size == base.data.image_size
    assert (vcfg.width == 128) == (base.model.size == "tiny")
    if name == "libero10":
        assert base.model.size == "base" and base.data.num_demos == 50
        assert len(builders.task_keys(base.data.tasks)) == 10
    with pytest.raises(Exception, match="nope"):
        builders.load_config(path, ["--config.nope=1"])


def test_typed_config_rejects_unknown_and_invalid_fields_by_name():
    assert as_config({}) == Config()                      # every default lives in Config
    with pytest.raises(ConfigError, match=r"config\.sft\.lrr"):
        as_config({"sft": {"lrr": 1.0}})
    with pytest.raises(ConfigError, match=r"config\.sft\.num_steps must be an integer"):
        as_config({"sft": {"num_steps": "many"}})
    with pytest.raises(ConfigError, match=r"config\.grpo\.prompt_layouts='test'"):
        as_config({"grpo": {"prompt_layouts": "test"}})
    with pytest.raises(ConfigError, match=r"unknown stage\(s\) \['ppo'\]"):
        as_config({"stages": "sft,ppo"})
    assert as_config({"stages": "report,sft"}).stage_list() == ("sft", "report")  # pipeline order
    assert as_config({"nope": 1, "sft": {"lr": 0.5}}, strict=False).sft.lr == 0.5  # old checkpoints


def test_missing_dataset_error_tells_the_collect_command(tmp_path):
    cfg = builders.load_config(os.path.join(CONFIGS, "libero10.py"),
                               [f"--config.data.root={tmp_path}/missing", "--config.stages=sft"])
    with pytest.raises(data.DatasetNotFoundError) as e:
        train(cfg, "configs/libero10.py")
    assert (f"python -m smoothvla_jax.collect --config=configs/libero10.py "
            f"--config.data.root={tmp_path}/missing") in str(e.value)


def test_resume_with_a_changed_config_is_refused_naming_the_fields(tmp_path):
    cfg = synthetic_config(tmp_path, num_steps=4, save_every=2, log_every=2)
    assert train(cfg)["stages"]["sft"]["step"] == 4
    cfg.sft.num_steps, cfg.sft.lr, cfg.seed = 6, 0.5, 7
    with pytest.raises(ConfigError) as e:
        train(cfg)
    msg = str(e.value)
    assert "sft.lr: 0.001 -> 0.5" in msg and "seed: 0 -> 7" in msg and "sft.num_steps" in msg
    assert "--config.allow_config_change=True" in msg
    cfg.sft.log_every = 3  # bookkeeping fields may change
    cfg.sft.num_steps, cfg.sft.lr, cfg.seed = 4, 1e-3, 0
    assert train(cfg)["stages"]["sft"]["step"] == 4
    cfg.sft.num_steps, cfg.allow_config_change = 6, True  # explicit override: resumes to 6
    assert train(cfg)["stages"]["sft"]["step"] == 6


def test_sft_loss_decreases_and_logs(tmp_path):
    cfg = synthetic_config(tmp_path)
    out = train(cfg)["stages"]["sft"]
    assert out["step"] == 40
    with open(tmp_path / "run" / "metrics.jsonl") as f:
        rows = [json.loads(line) for line in f]
    assert [r["step"] for r in rows] == [10, 20, 30, 40]
    first, last = rows[0]["sft/loss"], rows[-1]["sft/loss"]
    assert last < 0.7 * first, (first, last)
    assert rows[-1]["sft/accuracy"] > rows[0]["sft/accuracy"]
    assert glob.glob(str(tmp_path / "run" / "tb" / "events.out.tfevents.*"))
    assert sorted(os.listdir(tmp_path / "run" / "checkpoints")) == ["20", "40"]


def test_random_shift_translates_each_image_within_the_pad():
    import jax
    import numpy as np

    from smoothvla_jax.sft import random_shift

    img = np.zeros((64, 16, 16, 3), np.uint8)
    img[:, 8, 8] = 255                                   # one bright pixel per image
    out = np.asarray(random_shift(jax.random.PRNGKey(0), img, 3))
    assert out.shape == img.shape and out.dtype == np.uint8
    ys, xs = np.nonzero(out[..., 0] == 255)[1:]
    assert len(ys) == 64                                 # the pixel survives in every image
    assert np.abs(ys - 8).max() <= 3 and np.abs(xs - 8).max() <= 3
    assert len(set(zip(ys.tolist(), xs.tolist()))) > 10  # offsets differ between images
    np.testing.assert_array_equal(random_shift(jax.random.PRNGKey(0), img, 0), img)


def test_sft_with_augmentation_learns_and_rejects_bad_shift(tmp_path):
    out = train(synthetic_config(tmp_path, augment_shift=2))["stages"]["sft"]
    assert out["step"] == 40 and out["loss"] < 4.0
    with pytest.raises(ValueError, match="augment_shift"):
        train(synthetic_config(tmp_path / "bad", augment_shift=8))  # 16 px images
