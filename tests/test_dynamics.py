"""The env dynamics as a pipeline setting (``config.env.dynamics``): config -> EnvConfig, the
record in datasets and checkpoints, and the one-line mismatch errors (no MJX compilation except
the slow real collection at the end)."""

# ruff: noqa: I001  (smoothvla_jax must be imported before jax)
from __future__ import annotations

import json
import os

import smoothvla_jax  # noqa: F401

import jax
import numpy as np
import pytest

from envs_mjx import dynamics as dyn
from envs_mjx.env import EnvConfig
from envs_mjx.renderer import RenderConfig
from smoothvla_jax import builders, checkpoints, collect, data, export, inference
from smoothvla_jax.config import ConfigError, as_config
from smoothvla_jax.evaluation import evaluate_policy
from smoothvla_jax.model import (
    LIBERO_10_INSTRUCTIONS,
    ActionNormalizer,
    ActionTokenizer,
    VLAConfig,
    default_tokenizer,
    init_params,
)
from smoothvla_jax.rl.trainer import run_grpo
from smoothvla_jax.train import train
from test_cli import SMOKE, assert_user_error, run_cli
from test_sft import CONFIGS, synthetic_config


def _config(dynamics: str | None = None, **sections):
    d = {"env": {"dynamics": dynamics}} if dynamics else {}
    return as_config(d | sections)


# ---------------------------------------------------------------------------- config -> EnvConfig
def test_config_dynamics_maps_to_the_env_config():
    render = RenderConfig(width=16, height=16)
    lib = builders.env_config(_config(), render=render, max_steps=7)
    assert _config().env.dynamics == "libero" == dyn.DEFAULT   # LIBERO's dynamics by default
    assert lib == EnvConfig(render=render, max_steps=7) == EnvConfig.libero(render=render,
                                                                           max_steps=7)
    assert (lib.controller.kind, lib.contacts, lib.dynamics) == ("osc", "full", "libero")
    fast = builders.env_config(_config("libero_fast"), train_layouts=3)
    assert (fast.controller.kind, fast.contacts, fast.dynamics) == ("osc", "fast", "libero_fast")
    assert fast.train_layouts == 3 and fast.controller == lib.controller
    ik = builders.env_config("ik", render=render)                # a name works too
    assert (ik.controller.kind, ik.contacts, ik.dynamics) == ("ik", "fast", "ik")
    assert EnvConfig(contacts="fast", controller=ik.controller).dynamics == "ik"
    assert EnvConfig(contacts="full", controller=ik.controller).dynamics is None  # a custom mix
    with pytest.raises(ConfigError, match=r"config.env.dynamics='osc' is invalid; use one of "
                                          r"\['libero', 'libero_fast', 'ik'\]"):
        _config("osc")
    with pytest.raises(ValueError, match="dynamics='OSC' is not a dynamics"):
        EnvConfig.for_dynamics("OSC")
    # evaluation-sized configs inherit LIBERO's dynamics; CPU-sized ones use finger-pad
    # contacts (full contacts cost > 2x on CPU); the IK-era RL configs stay pinned to IK
    want = {"libero10": "libero", "libero_all": "libero", "libero_goal": "libero",
            "libero_object": "libero", "libero_spatial": "libero", "grpo_libero10": "libero",
            "smoothvla_libero10": "libero",
            "smoke": "libero_fast", "cpu": "libero_fast", "cpu_t2": "libero_fast",
            "grpo_cpu": "libero_fast", "grpo_cpu_t2": "libero_fast", "grpo_cpu_t03": "libero_fast",
            "grpo_cpu_t03_lr6e5": "libero_fast", "cpu_dart": "libero_fast",
            "grpo_cpu_t015": "libero_fast", "grpo_cpu_t5": "libero_fast",
            "grpo_smoke": "libero_fast", "smoothvla_cpu": "libero_fast",
            "smoothvla_smoke": "libero_fast", "spatial_heldout": "libero_fast",
            "cpu_ik": "ik", "grpo_cpu_2task": "ik", "grpo_cpu_2task_t03": "ik"}
    configs = {f[:-3] for f in os.listdir(CONFIGS) if f.endswith(".py")}
    assert configs - {"__init__", "suites"} == set(want)              # every config is listed
    for name, dynamics in want.items():
        assert as_config(builders.load_config(os.path.join(CONFIGS, f"{name}.py"))
                         ).env.dynamics == dynamics, name
    c = builders.load_config(SMOKE, ["--config.env.dynamics=libero"])
    assert builders.env_config(as_config(c)).contacts == "full"


def test_unrecorded_dynamics_read_as_ik_not_as_the_default():
    """Datasets, evaluations and checkpoints written before the record were made under the
    IK dynamics (the default then): they read as "ik", never as today's default."""
    assert dyn.LEGACY == "ik" != dyn.DEFAULT
    assert dyn.recorded({}) == dyn.recorded(None) == dyn.recorded({"config": {}}) == "ik"
    assert dyn.recorded({"env": {}}) == dyn.recorded({"env": None}) == "ik"
    assert dyn.recorded({"dynamics": "libero_fast"}) == "libero_fast"
    assert dyn.recorded({"env": {"dynamics": "libero"}}) == "libero"
    # resuming a run stored without env.dynamics under today's default is a changed config
    from smoothvla_jax.config import config_diff
    assert config_diff({"seed": 0}, _config(), ("seed", "env")) == [
        "env.dynamics: 'ik' -> 'libero'"]
    assert config_diff({"seed": 0}, _config("ik"), ("seed", "env")) == []
    # a stored run config (what `evaluate --checkpoint=<run>` uses without --config)
    from smoothvla_jax.config import stored_config
    assert stored_config({"seed": 3}).env.dynamics == "ik"
    assert stored_config({"seed": 3}).seed == 3
    assert stored_config({"env": {"dynamics": "libero_fast"}, "x": 1}).env.dynamics == "libero_fast"


# ---------------------------------------------------------------------------- datasets
def test_dataset_of_other_dynamics_is_refused_in_one_line(tmp_path):
    ds = data.write_synthetic(tmp_path / "old", ("libero_10/0",), num_episodes=2, length=6,
                              image_size=16)                   # no record: made under "ik"
    assert ds.dynamics == "ik"
    data.load_dataset(ds.root, dynamics="ik")
    with pytest.raises(data.DatasetError) as e:
        data.load_dataset(ds.root, dynamics="libero")
    msg = str(e.value)
    assert "\n" not in msg and f"dataset {ds.root} was made under 'ik' dynamics" in msg
    assert "config.env.dynamics='libero'" in msg and "--config.env.dynamics=ik" in msg
    # SFT on it under today's default stops before training (the run config's dynamics is
    # checked)
    cfg = synthetic_config(tmp_path, num_steps=2)
    cfg.data.root, cfg.env.dynamics = str(ds.root), dyn.DEFAULT
    with pytest.raises(data.DatasetError, match="was made under 'ik' dynamics but "
                                                "config.env.dynamics='libero'"):
        train(cfg)
    assert not (tmp_path / "run" / "checkpoints").exists()


def test_collect_builds_the_configured_dynamics_and_records_it(tmp_path, monkeypatch):
    """collect_task builds ``EnvConfig.for_dynamics(config.env.dynamics, ...)``; collect()
    writes it into meta.json (the envs are faked: no compilation)."""
    built = []

    class Built(Exception):
        pass

    def fake_env(task, config):
        built.append(config)
        raise Built

    monkeypatch.setattr(collect, "LiberoEnv", fake_env)
    dcfg = _config().data
    with pytest.raises(Built):
        collect.collect_task("libero_10/2", dcfg, jax.random.PRNGKey(0), dynamics="libero")
    want = EnvConfig.libero(render=RenderConfig(width=128, height=128), max_steps=520,
                            train_layouts=dcfg.num_demos * dcfg.max_attempts)
    assert built == [want]

    seen = []

    def fake_task(task_key, dcfg, key, pbar=None, dynamics="unused"):
        seen.append(dynamics)
        ep = {"agentview": np.zeros((3, 16, 16, 3), np.uint8),
              "wrist": np.zeros((3, 16, 16, 3), np.uint8), "proprio": np.zeros((3, 8)),
              "actions": np.zeros((3, 7)), "ee_pos": np.zeros((3, 3)), "success": True,
              "init_index": 50, "length": 3}
        return collect._pad([ep], 16), {"kept": 1, "attempts": 1, "expert_success_rate": 1.0,
                                        "env_steps": 3, "run_s": 1.0}

    monkeypatch.setattr(collect, "collect_task", fake_task)
    cfg = _config("libero", data={"root": str(tmp_path / "d"), "tasks": "libero_10/2",
                                  "num_demos": 1, "image_size": 16})
    collect.collect(cfg)
    assert seen == ["libero"]
    assert json.loads((tmp_path / "d" / "meta.json").read_text())["dynamics"] == "libero"
    assert data.load_dataset(tmp_path / "d", dynamics="libero").dynamics == "libero"
    with pytest.raises(data.DatasetError, match="was made under 'libero' dynamics"):
        data.load_dataset(tmp_path / "d", dynamics="ik")


# ---------------------------------------------------------------------------- checkpoints
def _save_run(run, dynamics: str | None):
    vcfg = VLAConfig.tiny(image_size=16)
    config = {"seed": 0} | ({"env": {"dynamics": dynamics}} if dynamics else {})
    ck = checkpoints.Checkpointer(run / "checkpoints")
    meta = checkpoints.make_meta(vcfg, ActionTokenizer(), ActionNormalizer(),
                                 default_tokenizer(list(LIBERO_10_INSTRUCTIONS)), config,
                                 stage="sft", tasks=["libero_10/2"])
    ck.save(2, init_params(jax.random.PRNGKey(0), vcfg), {"step": np.int32(2)}, meta)
    ck.close()
    return run


def test_checkpoints_record_dynamics_and_refuse_other_dynamics(tmp_path):
    lib = _save_run(tmp_path / "lib", "libero")
    old = _save_run(tmp_path / "old", None)                    # written before the record
    out = tmp_path / "export"
    export.export(lib, out)
    assert checkpoints.load_policy(lib).dynamics == "libero"
    assert checkpoints.load_policy(out).dynamics == "libero"   # export keeps the record
    assert inference.load_policy(out).dynamics == "libero"
    assert checkpoints.load_policy(old).dynamics == "ik"
    # evaluation, GRPO and the experiment's start refuse other dynamics before building an env
    ik = _config("ik", data={"tasks": "libero_10/2", "image_size": 16})
    with pytest.raises(checkpoints.CheckpointError) as e:
        evaluate_policy(str(out), ik)
    msg = str(e.value)
    assert "\n" not in msg and "was made under 'libero' dynamics" in msg
    assert "config.env.dynamics='ik'" in msg and "--config.env.dynamics=libero" in msg
    # a checkpoint from before the record (made under IK) under today's default config
    with pytest.raises(checkpoints.CheckpointError, match="made under 'ik' dynamics but "
                                                         "config.env.dynamics='libero'"):
        run_grpo(_config(grpo={"init_checkpoint": str(old)}), str(tmp_path / "grpo"))
    assert not (tmp_path / "grpo").exists()


def test_evaluate_cli_dynamics_mismatch_is_one_line(tmp_path):
    run = _save_run(tmp_path / "run", "libero")
    res = run_cli("evaluate", f"--checkpoint={run}", f"--config={SMOKE}")
    assert_user_error(res, "made under 'libero' dynamics", "config.env.dynamics='libero_fast'",
                      "--config.env.dynamics=libero")


# ---------------------------------------------------------------------------- a real collection
@pytest.mark.slow  # compiles an OSC + full-contacts collection program (minutes on 2 cores)
@pytest.mark.timeout(2400)
def test_tiny_collect_under_libero_dynamics_records_it(tmp_path):
    cfg = _config("libero", data={"root": str(tmp_path / "d"), "tasks": "libero_10/2",
                                  "num_demos": 1, "image_size": 16, "horizon": 4,
                                  "keep_only_success": False, "max_attempts": 1,
                                  "batch_size": 1, "segment": 4})
    collect.collect(cfg)
    ds = data.load_dataset(tmp_path / "d", dynamics="libero")
    assert ds.meta["dynamics"] == "libero" and ds.tasks[0].num_episodes == 1
    # the hand moved as LIBERO's OSC moves it: <= ~1.3 cm per step (the IK port: ~5 cm)
    ee = ds.tasks[0].ee_pos[0]
    assert np.all(np.linalg.norm(np.diff(ee, axis=0), axis=-1) < 0.02)
