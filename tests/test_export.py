"""Export (params-only checkpoints), the inference facade and optional W&B logging (no MJX)."""

# ruff: noqa: I001  (smoothvla_jax must be imported before jax)
from __future__ import annotations

import os
import sys
import types

import smoothvla_jax  # noqa: F401

import jax
import jax.numpy as jnp
import numpy as np
import pytest

from smoothvla_jax import checkpoints, export, inference, load_policy
from smoothvla_jax.logger import MetricLogger
from smoothvla_jax.model import (
    ActionNormalizer,
    ActionTokenizer,
    VLAConfig,
    apply_policy,
    default_tokenizer,
    greedy_tokens,
    init_params,
    observation_from_numpy,
)

VCFG = VLAConfig.tiny(image_size=16)
STEP = 5
INSTR = "put both moka pots on the stove"


@pytest.fixture(scope="module")
def source(tmp_path_factory):
    """A training run dir with params, a (fake, non-zero) optimiser state and meta."""
    run = tmp_path_factory.mktemp("src") / "run"
    params = init_params(jax.random.PRNGKey(1), VCFG)
    norm = ActionNormalizer.from_data(np.random.default_rng(0).normal(size=(50, 7)) * 0.3,
                                      "min_max")
    meta = checkpoints.make_meta(VCFG, ActionTokenizer(), norm, default_tokenizer(),
                                 {"seed": 3}, stage="sft")
    train_state = {"opt_state": {"mu": params, "nu": jax.tree.map(jnp.square, params)},
                   "rng": jax.random.PRNGKey(2), "step": np.int32(STEP)}
    ckpt = checkpoints.Checkpointer(run / "checkpoints")
    ckpt.save(STEP, params, train_state, meta)
    ckpt.close()
    return {"run": run, "params": params, "norm": norm}


@pytest.fixture(scope="module")
def exported(source, tmp_path_factory):
    out = tmp_path_factory.mktemp("export") / "f32"
    summary = export.export(source["run"], out)
    return {"out": out, "summary": summary, "policy": load_policy(out)}


def _obs(batch=None, seed=0):
    rng = np.random.default_rng(seed)
    lead = () if batch is None else (batch,)
    return {"agentview": rng.integers(0, 256, lead + (16, 16, 3), dtype=np.uint8),
            "wrist": rng.integers(0, 256, lead + (16, 16, 3), dtype=np.uint8),
            "proprio": rng.normal(size=lead + (8,)).astype(np.float32)}


def _reference(params, norm, obs, instructions):
    """Greedy actions straight from apply_policy + ActionTokenizer.decode + unnormalize."""
    tokens, mask = default_tokenizer().encode(instructions, max_len=VCFG.text_max_len)
    o = observation_from_numpy(obs["agentview"], obs["wrist"], obs["proprio"], tokens, mask)
    logits = jax.jit(apply_policy, static_argnums=1)(params, VCFG, o)
    bins = np.asarray(greedy_tokens(logits))
    actions = np.clip(norm.unnormalize(ActionTokenizer().decode(bins)), -1.0, 1.0)
    return actions, bins


# ------------------------------------------------------------------------------ export
def test_export_is_params_only_smaller_and_tagged(source, exported):
    out, s = exported["out"], exported["summary"]
    assert sorted(os.listdir(out)) == ["checkpoints"]
    step_dir = out / "checkpoints" / str(STEP)
    assert os.path.isdir(step_dir / "params") and os.path.isdir(step_dir / "meta")
    assert not os.path.exists(step_dir / "train_state")
    assert s["step"] == STEP and s["param_count"] == 480_576 and s["params_dtype"] == "float32"
    assert s["bytes"] == export.dir_size(out) < s["source_bytes"]
    pol = exported["policy"]
    assert pol.meta["exported"] is True and pol.meta["source_step"] == STEP
    assert pol.meta["source_checkpoint"] == str(source["run"] / "checkpoints")
    assert pol.meta["config"] == {"seed": 3} and pol.meta["stage"] == "sft"
    assert pol.action_normalizer == source["norm"] and pol.vla_config == VCFG
    # resuming training from an export is refused clearly
    ckpt = checkpoints.Checkpointer(out / "checkpoints", read_only=True)
    with pytest.raises(checkpoints.CheckpointError, match="exported params-only"):
        ckpt.restore(source["params"], {"step": np.int32(0)})


def test_exported_and_run_dir_policies_match_apply_policy_bitwise(source, exported):
    pol_export, pol_run = exported["policy"], load_policy(source["run"])
    assert pol_run.step == STEP and "exported" not in pol_run.meta
    obs = _obs()
    ref, ref_bins = _reference(source["params"], source["norm"],
                               {k: v[None] for k, v in obs.items()}, INSTR)
    for pol in (pol_export, pol_run):
        actions, bins = pol.predict(obs, INSTR, return_bins=True)
        assert actions.shape == (8, 7) and actions.dtype == np.float32
        np.testing.assert_array_equal(bins, ref_bins[0])
        np.testing.assert_array_equal(actions, ref[0])
    # batched, one instruction per row
    obs_b = _obs(batch=3, seed=1)
    instrs = [INSTR, "turn on the stove and put the moka pot on it", INSTR]
    ref_b, _ = _reference(source["params"], source["norm"], obs_b, instrs)
    out = pol_export(obs_b, instrs)
    assert out.shape == (3, 8, 7)
    np.testing.assert_array_equal(out, ref_b)
    np.testing.assert_array_equal(pol_export(obs_b, INSTR)[0],
                                  pol_export({k: v[0] for k, v in obs_b.items()}, INSTR))


def test_export_bfloat16_loads_and_runs(source, exported, tmp_path):
    s = export.export(source["run"], tmp_path / "bf16", dtype="bfloat16")
    assert s["params_dtype"] == "bfloat16" and s["bytes"] < exported["summary"]["bytes"]
    pol = load_policy(tmp_path / "bf16")
    assert {x.dtype for x in jax.tree.leaves(pol.params)} == {jnp.dtype(jnp.bfloat16)}
    actions = pol(_obs(), INSTR)
    assert actions.shape == (8, 7) and np.all(np.isfinite(actions))
    assert np.all(np.abs(actions) <= 1.0)
    up = load_policy(tmp_path / "bf16", dtype="float32")
    assert {x.dtype for x in jax.tree.leaves(up.params)} == {jnp.dtype(jnp.float32)}
    with pytest.raises(ValueError, match="dtype must be one of"):
        export.export(source["run"], tmp_path / "f16", dtype="float16")


def test_export_refuses_to_overwrite_or_overlap(source, tmp_path):
    out = tmp_path / "out"
    export.export(source["run"], out)
    with pytest.raises(FileExistsError, match="not empty; pass --force"):
        export.export(source["run"], out)
    s = export.export(source["run"], out, dtype="bfloat16", force=True)
    assert s["params_dtype"] == "bfloat16"
    assert checkpoints.Checkpointer(out / "checkpoints", read_only=True).all_steps() == [STEP]
    with pytest.raises(ValueError, match="overlaps the source"):
        export.export(source["run"], source["run"], force=True)
    with pytest.raises(ValueError, match="overlaps the source"):
        export.export(source["run"], source["run"] / "checkpoints" / "x")
    assert os.path.isdir(source["run"] / "checkpoints" / str(STEP) / "train_state")
    (tmp_path / "empty").mkdir()
    export.export(source["run"], tmp_path / "empty")  # empty dir is fine


def test_missing_or_corrupt_export_raises_checkpoint_error(source, tmp_path):
    with pytest.raises(checkpoints.CheckpointNotFoundError, match="no checkpoint directory"):
        load_policy(tmp_path / "nope")
    with pytest.raises(checkpoints.CheckpointNotFoundError):
        export.export(tmp_path / "nope", tmp_path / "out")
    out = tmp_path / "bad"
    export.export(source["run"], out)
    for dirpath, _, files in os.walk(out / "checkpoints" / str(STEP) / "params"):
        for f in files:
            with open(os.path.join(dirpath, f), "wb") as fh:
                fh.write(b"\x00garbage")
    with pytest.raises(checkpoints.CheckpointError, match="corrupt"):
        load_policy(out)
    # params that do not fit the stored model config
    meta = checkpoints.Checkpointer(source["run"] / "checkpoints", read_only=True).restore_meta()
    meta["vla_config"]["width"] = 64
    ckpt = checkpoints.Checkpointer(tmp_path / "wrong")
    ckpt.save(STEP, source["params"], None, meta)
    ckpt.close()
    with pytest.raises(checkpoints.CheckpointError, match="do not match its vla_config"):
        load_policy(tmp_path / "wrong")


# ------------------------------------------------------------------------------ inference API
@pytest.mark.parametrize("mutate, match", [
    (lambda o: o.pop("wrist"), r"missing \['wrist'\]"),
    (lambda o: o.update(agentview=np.zeros((32, 32, 3), np.uint8)), r"agentview.*\(32, 32, 3\)"),
    (lambda o: o.update(agentview=np.zeros((16, 16), np.uint8)), r"agentview.*\[16, 16, 3\]"),
    (lambda o: o.update(wrist=np.zeros((16, 16, 3), np.float32)), r"'wrist'.*dtype float32"),
    (lambda o: o.update(wrist=np.zeros((2, 16, 16, 3), np.uint8)), r"'wrist'.*\[16, 16, 3\]"),
    (lambda o: o.update(proprio=np.zeros(7)), r"proprio.*\(7,\).*\[8\]"),
    (lambda o: o.update(proprio=np.full(8, np.nan)), r"proprio.*NaN"),
])
def test_bad_observations_raise_value_error_naming_the_field(exported, mutate, match):
    obs = _obs()
    mutate(obs)
    with pytest.raises(ValueError, match=match):
        exported["policy"](obs, INSTR)


def test_bad_batch_instruction_and_temperature(exported):
    pol = exported["policy"]
    obs_b = _obs(batch=2)
    with pytest.raises(ValueError, match=r"proprio.*\[2, 8\]"):
        pol(dict(obs_b, proprio=np.zeros((3, 8))), INSTR)
    with pytest.raises(ValueError, match="sequence of 2 strs"):
        pol(obs_b, [INSTR])
    with pytest.raises(ValueError, match="instruction must be a str"):
        pol(_obs(), [INSTR])
    with pytest.raises(ValueError, match="temperature"):
        pol(_obs(), INSTR, temperature=-1.0)
    with pytest.raises(ValueError, match="obs must be a dict"):
        pol([1, 2], INSTR)


def test_sampling_rng_and_compile_cache(source, tmp_path):
    pol = load_policy(source["run"], seed=7)
    obs = _obs()
    a = pol(obs, INSTR, temperature=1.0, rng=3)
    np.testing.assert_array_equal(a, pol(obs, INSTR, temperature=1.0, rng=jax.random.PRNGKey(3)))
    assert not np.array_equal(a, pol(obs, INSTR, temperature=1.0, rng=4))
    s1, s2 = pol(obs, INSTR, temperature=1.0), pol(obs, INSTR, temperature=1.0)
    assert not np.array_equal(s1, s2)  # own key stream advances
    np.testing.assert_array_equal(s1, load_policy(source["run"], seed=7)(obs, INSTR,
                                                                         temperature=1.0))
    greedy = pol(obs, INSTR)
    np.testing.assert_array_equal(greedy, pol(obs, INSTR, temperature=0.0, rng=5))
    assert pol.num_compiled == 1  # temperature/rng/instruction changes reuse the executable
    pol(_obs(batch=2), INSTR)
    assert pol.num_compiled == 2
    with pytest.warns(UserWarning, match=r"\['zorblax'\].*not in the checkpoint's vocabulary"):
        pol(obs, "put the zorblax on the stove")
    tokens, mask = pol.tokenize(INSTR)
    assert tokens.shape == mask.shape == (VCFG.text_max_len,)
    assert pol.tokenize(INSTR)[0] is tokens  # cached


def test_top_level_reexport():
    assert smoothvla_jax.load_policy is inference.load_policy
    assert smoothvla_jax.InferencePolicy is inference.InferencePolicy
    assert checkpoints.load_policy is not inference.load_policy  # the trainer's loader stays


# ------------------------------------------------------------------------------ W&B logging
class _FakeRun:
    def __init__(self, calls):
        self.calls = calls

    def log(self, row, step=None):
        self.calls.append(("log", dict(row), step))

    def finish(self):
        self.calls.append(("finish",))


@pytest.fixture
def fake_wandb(monkeypatch):
    calls: list = []
    mod = types.ModuleType("wandb")
    mod.init = lambda **kw: calls.append(("init", kw)) or _FakeRun(calls)
    monkeypatch.setitem(sys.modules, "wandb", mod)
    return calls


def _config(**logging):
    from smoothvla_jax import builders

    cfg = builders.load_config(os.path.join(os.path.dirname(__file__), "..", "configs",
                                            "smoke.py"))
    cfg.logging.update(logging)
    return cfg


def test_wandb_off_by_default(fake_wandb, tmp_path):
    cfg = _config()
    assert cfg.logging.wandb is False
    log = MetricLogger(tmp_path, config=cfg)
    log.write(1, {"loss": 1.0})
    log.close()
    MetricLogger(tmp_path / "b").close()  # no config at all
    assert fake_wandb == []


def test_wandb_logs_rows_and_resumes_same_run(fake_wandb, tmp_path):
    cfg = _config(wandb=True, wandb_project="proj", wandb_mode="offline")
    log = MetricLogger(tmp_path / "run", config=cfg)
    log.write(10, {"loss": 2.5, "acc": np.float32(0.5)}, prefix="sft/")
    log.close()
    kind, kw = fake_wandb[0]
    assert kind == "init" and kw["project"] == "proj" and kw["mode"] == "offline"
    assert kw["name"] == "run" and kw["resume"] == "allow" and kw["dir"] == str(tmp_path / "run")
    assert kw["config"]["logging"]["wandb"] is True and kw["config"]["name"] == "smoke"
    assert fake_wandb[1:] == [("log", {"sft/loss": 2.5, "sft/acc": 0.5}, 10), ("finish",)]
    MetricLogger(tmp_path / "run", config=cfg).close()  # resumed job: same W&B run id
    assert fake_wandb[3][1]["id"] == kw["id"]
    assert (tmp_path / "run" / "metrics.jsonl").read_text().count("sft/loss") == 1


def test_wandb_enabled_but_not_installed_is_a_clear_error(monkeypatch, tmp_path):
    monkeypatch.setitem(sys.modules, "wandb", None)  # import wandb -> ImportError
    with pytest.raises(ImportError, match="pip install wandb"):
        MetricLogger(tmp_path, config={"logging": {"wandb": True}})
    assert not os.path.exists(tmp_path / "metrics.jsonl")
