"""Policy rollouts (fast, on a fake point-mass env) and one smoke-sized collect -> SFT ->
evaluate run through the Python entry functions (MJX; compile dominates, ~2-3 min)."""

# ruff: noqa: I001  (smoothvla_jax must be imported before jax)
from __future__ import annotations

import json
import os
from types import SimpleNamespace

import smoothvla_jax  # noqa: F401

import jax
import jax.numpy as jnp
import numpy as np
from flax import struct

from envs_mjx.renderer import RenderConfig
from smoothvla_jax import builders, data
from smoothvla_jax.model import (
    ActionTokenizer,
    VLAConfig,
    apply_policy,
    default_tokenizer,
    init_params,
    log_probs,
)
from smoothvla_jax.rollout import Trajectory, make_batch_rollout_fn, make_rollout_fn

CONFIGS = os.path.join(os.path.dirname(__file__), "..", "configs")


@struct.dataclass
class _State:
    obs: dict
    ee_pos: jax.Array
    success: jax.Array
    done: jax.Array
    step: jax.Array


class PointEnv:
    """Stand-in for LiberoEnv: ee_pos += 0.05 * action[:3]; images encode the position; the
    episode ends after ``max_steps`` (no success possible). Same reset/step/renderer API."""

    def __init__(self, size: int, max_steps: int):
        self.renderer = SimpleNamespace(config=RenderConfig(width=size, height=size))
        self.max_steps, self.size, self.num_init_states = max_steps, size, 50

    def _obs(self, pos):
        img = jnp.full((self.size, self.size, 3), 128, jnp.uint8) + (pos[0] * 100).astype(
            jnp.uint8)
        return {"agentview": img, "wrist": 255 - img,
                "proprio": jnp.concatenate([pos, jnp.zeros(5)]).astype(jnp.float32)}

    def reset(self, key, idx):
        pos = jnp.array([0.01, 0.0, 0.0]) * idx
        return _State(self._obs(pos), pos, jnp.array(False), jnp.array(False), jnp.array(0))

    def step(self, s, action):
        pos = s.ee_pos + 0.05 * action[:3]
        t = s.step + 1
        new = _State(self._obs(pos), pos, jnp.array(False), t >= self.max_steps, t)
        return jax.tree.map(lambda o, n: jnp.where(s.done, o, n), s, new)


def test_rollout_trajectory_contract():
    vcfg = VLAConfig.tiny(image_size=16, chunk=4)
    tok = default_tokenizer()
    ids, mask = tok.encode("put both moka pots on the stove", max_len=vcfg.text_max_len)
    env, atok = PointEnv(16, max_steps=10), ActionTokenizer()
    params = init_params(jax.random.PRNGKey(0), vcfg)
    batch = make_batch_rollout_fn(env, vcfg, atok, ids[0], mask[0], num_chunks=4,
                                  temperature=1.0, record_frames=True)
    tr: Trajectory = batch(params, jax.random.PRNGKey(1), jnp.array([0, 1, 1]))
    B, C, K, T = 3, 4, 4, 16
    assert tr.tokens.shape == (B, C, K, 7) and tr.tokens.dtype == jnp.int32
    assert tr.logp.shape == (B, C, K, 7) and tr.obs.agentview.shape == (B, C, 16, 16, 3)
    assert tr.obs.tokens.shape == (B, C, vcfg.text_max_len)
    assert tr.actions.shape == (B, T, 7) and tr.ee_pos.shape == (B, T, 3)
    assert tr.frames.shape == (B, T, 16, 16, 3) and tr.frames.dtype == jnp.uint8
    # Horizon: 10 valid steps (incl. the one that ends the episode); chunks starting at 0,4,8.
    np.testing.assert_array_equal(tr.step_mask, np.tile(np.arange(T) < 10, (B, 1)))
    np.testing.assert_array_equal(tr.chunk_mask, np.tile([True, True, True, False], (B, 1)))
    np.testing.assert_array_equal(tr.length, [10, 10, 10])
    assert not np.any(tr.success)
    # Executed actions are the decoded tokens; the state is frozen after done.
    np.testing.assert_allclose(tr.actions.reshape(B, C, K, 7), atok.decode(tr.tokens))
    np.testing.assert_allclose(tr.ee_pos[:, 10:], np.repeat(tr.ee_pos[:, 9:10], 6, 1))
    # Same init state, different keys -> different samples (GRPO groups).
    assert not np.array_equal(tr.tokens[1], tr.tokens[2])
    # logp is what GRPO recomputes from the stored observations.
    flat = jax.tree.map(lambda x: x.reshape((B * C,) + x.shape[2:]), tr.obs)
    want = log_probs(apply_policy(params, vcfg, flat), tr.tokens.reshape(B * C, K, 7), 1.0)
    np.testing.assert_allclose(tr.logp.reshape(B * C, K, 7), want, atol=1e-4)
    # Greedy: independent of the key.
    greedy = make_rollout_fn(env, vcfg, atok, ids, mask, num_chunks=2, temperature=0.0)
    a, b = greedy(params, jax.random.PRNGKey(2), 3), greedy(params, jax.random.PRNGKey(3), 3)
    np.testing.assert_array_equal(a.tokens, b.tokens)
    assert a.frames is None and np.all(a.logp <= 0)


def test_collect_train_evaluate_end_to_end(tmp_path):
    from smoothvla_jax.collect import collect
    from smoothvla_jax.evaluate import evaluate
    from smoothvla_jax.train import train

    overrides = {
        "data.root": tmp_path / "data", "workdir": tmp_path / "run", "data.tasks": "libero_10/9",
        "data.num_demos": 2, "data.batch_size": 2, "data.horizon": 40, "data.segment": 40,
        "sft.num_steps": 6, "sft.batch_size": 8, "sft.log_every": 3, "sft.save_every": 6,
        "eval.num_init": 2, "eval.batch_size": 2, "eval.horizon": 40, "eval.num_videos": 1,
        "eval.after_train": False,
    }
    cfg = builders.load_config(os.path.join(CONFIGS, "smoke.py"),
                               [f"--config.{k}={v}" for k, v in overrides.items()])
    root = collect(cfg)
    ds = data.load_dataset(root)
    (task,) = ds.tasks
    assert task.num_episodes == 2 and task.agentview.shape[2:] == (32, 32, 3)
    np.testing.assert_array_equal(task.lengths, [40, 40])
    assert np.abs(task.actions[:, :, :6]).max() > 0.05  # the expert moved
    assert task.agentview.std() > 10
    assert task.init_index.tolist() == [50, 51]  # fresh training layouts, not evaluation states

    out = train(cfg)
    assert out["step"] == 6 and np.isfinite(out["loss"])
    assert os.path.isdir(tmp_path / "run" / "checkpoints" / "6")

    res = evaluate(str(tmp_path / "run"))
    with open(os.path.join(res["out_dir"], "results.json")) as f:
        saved = json.load(f)
    assert set(saved["tasks"]) == {"libero_10/9", "overall"}
    row = saved["tasks"]["libero_10/9"]
    assert row["n"] == 2 and 0.0 <= row["success_rate"] <= 1.0
    for k in ("msj_ee", "dimensionless_jerk_ee", "ldlj_ee", "sparc_ee", "chunk_discontinuity",
              "path_length", "episode_length"):
        assert {"mean", "ci_low", "ci_high", "n"} <= set(row[k]), k
    assert row["episode_length"]["mean"] == 40
    assert len(saved["videos"]) == 1 and os.path.getsize(saved["videos"][0]) > 0
