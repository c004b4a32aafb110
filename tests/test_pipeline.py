"""Policy rollouts (fast, on a fake point-mass env) and the mission's command
(``python -m smoothvla_jax.train --config=configs/libero10.py``) with tiny overrides through
every stage on CPU (MJX; compilation dominates, a few minutes)."""

# ruff: noqa: I001  (smoothvla_jax must be imported before jax)
from __future__ import annotations

import json
import os
import subprocess
import sys
from types import SimpleNamespace

import smoothvla_jax  # noqa: F401

import jax
import jax.numpy as jnp
import numpy as np
import pytest
from flax import struct

from envs_mjx.renderer import RenderConfig
from smoothvla_jax import checkpoints, data
from envs_mjx.registry import get_task
from smoothvla_jax.model import (
    ActionNormalizer,
    ActionTokenizer,
    VLAConfig,
    apply_policy,
    default_tokenizer,
    init_params,
    log_probs,
)
from smoothvla_jax.rollout import Trajectory, make_batch_rollout_fn, make_rollout_fn

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))


@struct.dataclass
class _State:
    obs: dict
    ee_pos: jax.Array
    success: jax.Array
    done: jax.Array
    step: jax.Array


class PointEnv:
    """Stand-in for LiberoEnv: ee_pos += 0.05 * action[:3]; images encode the position; the
    episode ends after ``max_steps`` (no success possible). Same reset/step/render/renderer API
    (``step(..., render=False)`` keeps the previous images)."""

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

    def step(self, s, action, render=True):
        pos = s.ee_pos + 0.05 * action[:3]
        t = s.step + 1
        obs = self._obs(pos) if render else dict(s.obs, proprio=self._obs(pos)["proprio"])
        new = _State(obs, pos, jnp.array(False), t >= self.max_steps, t)
        return jax.tree.map(lambda o, n: jnp.where(s.done, o, n), s, new)

    def render(self, s):
        return s.replace(obs=self._obs(s.ee_pos))


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


def _stub_rollouts(monkeypatch) -> dict:
    """Replaces the MJX rollout program with a stub: even initial states succeed; records the
    indices and initial qpos it ran (``seen["idx"]``, ``seen["qpos"]``) and how many programs
    were built (``seen["builds"]``)."""
    from smoothvla_jax import rollout

    seen: dict = {"builds": 0}

    def fake_batch_rollout_fn(env, vcfg, atok, ids, mask, num_chunks, temperature, **kw):
        T = num_chunks * vcfg.chunk
        seen["builds"] += 1

        def run(params, key, idx):
            idx = np.asarray(idx)
            seen.setdefault("idx", []).extend(idx.tolist())
            seen.setdefault("qpos", []).extend(np.asarray(env.init_qpos)[idx])
            n = idx.size
            ee = np.cumsum(np.full((n, T, 3), 1e-3, np.float32), axis=1)
            return SimpleNamespace(actions=np.zeros((n, T, 7), np.float32), ee_pos=ee,
                                   step_mask=np.ones((n, T), bool), success=idx % 2 == 0,
                                   frames=None)
        return SimpleNamespace(lower=lambda *a: SimpleNamespace(compile=lambda: run))

    monkeypatch.setattr(rollout, "make_batch_rollout_fn", fake_batch_rollout_fn)
    return seen


def _stub_evaluation(tmp_path, monkeypatch):
    """``(seen, run, cfg)`` for evaluations without MJX: :func:`_stub_rollouts`, a random tiny
    policy (16 px, chunk 4) saved as an SFT checkpoint at ``tmp_path/run``, and the smoke config
    evaluating libero_10/2 for 8 steps in batches of 2."""
    from configs import smoke

    seen = _stub_rollouts(monkeypatch)
    vcfg = VLAConfig.tiny(image_size=16, chunk=4)
    run = tmp_path / "run"
    ck = checkpoints.Checkpointer(run / "checkpoints")
    meta = checkpoints.make_meta(vcfg, ActionTokenizer(), ActionNormalizer(),
                                 default_tokenizer(), {"env": {"dynamics": "libero_fast"}},
                                 stage="sft", tasks=["libero_10/2"])
    ck.save(1, init_params(jax.random.PRNGKey(0), vcfg), {"step": np.int32(1)}, meta)
    ck.close()
    cfg = smoke.get_config()
    cfg.eval.tasks, cfg.eval.horizon, cfg.eval.batch_size = "libero_10/2", 8, 2
    return seen, run, cfg


def test_evaluation_on_training_layouts_starts_from_them(tmp_path, monkeypatch):
    """``evaluate_policy(layouts="train")`` starts episodes from the first ``num_init`` training
    layouts (indices 50.., C-MuJoCo-generated as for demos and GRPO prompts), records it, and
    is never reused as a fixed-state evaluation; a rollout stub replaces the MJX program."""
    from envs_mjx.init_states import generate
    from smoothvla_jax import evaluation

    seen, run, cfg = _stub_evaluation(tmp_path, monkeypatch)
    res = evaluation.evaluate_policy(str(run), cfg, num_init=3, out_dir=str(tmp_path / "e"),
                                     videos=False, verbose=False, layouts="train")
    assert seen["idx"] == [50, 51, 52, 52]             # one padded batch of 2
    task = get_task("libero_10/2")
    np.testing.assert_allclose(np.stack(seen["qpos"][:3]), generate(task, 3, start=50),
                               atol=1e-6)
    saved = json.loads((tmp_path / "e" / "eval.json").read_text())
    assert saved["layouts"] == "train" and saved["episodes"]["libero_10/2"]["init_index"] == [
        50, 51, 52]
    assert res["tasks"]["libero_10/2"]["n"] == 3
    with pytest.raises(ValueError, match="num_init=0 is out of range.*1 <= num_init <= 1000"):
        evaluation.evaluate_policy(str(run), cfg, num_init=0, layouts="train", videos=False,
                                   verbose=False, out_dir=str(tmp_path / "x"))
    with pytest.raises(ValueError, match="layouts must be 'eval'"):
        evaluation.rollout_episodes(checkpoints.load_policy(str(run)), "libero_10/2", 2, 8,
                                    0.0, 2, layouts="training")


def test_several_sampling_seeds_share_one_program_and_get_one_directory_each(tmp_path,
                                                                           monkeypatch):
    """``evaluate --seed=0,1,2``: each seed to ``<out>/seed_<s>/eval.json``, one compiled rollout
    for all (a rollout stub counts the programs built); bad seed lists are one-line errors."""
    from smoothvla_jax import evaluation

    seen, run, cfg = _stub_evaluation(tmp_path, monkeypatch)
    seeds = evaluation.parse_seeds("7, 8,9")
    assert seeds == [7, 8, 9] and evaluation.parse_seeds(3) == [3]
    for s in seeds:  # a temperature no other test uses: a protocol not yet compiled
        evaluation.evaluate_policy(str(run), cfg, num_init=2, temperature=0.37, seed=s,
                                   out_dir=str(tmp_path / "e"), videos=False, verbose=False,
                                   out_subdir=evaluation.seed_subdir(seeds, s))
    assert seen["builds"] == 1
    for s in seeds:
        assert json.loads((tmp_path / "e" / f"seed_{s}" / "eval.json").read_text())["seed"] == s
    assert evaluation.seed_subdir([4], 4) == ""           # one seed: <out>/eval.json as before
    for bad, msg in (("0,x", "comma-separated"), ("1,1", "distinct"), ("-1", ">= 0")):
        with pytest.raises(ValueError, match=msg):
            evaluation.parse_seeds(bad)


def _mission_command(root, *extra):
    """The README's main command with tiny overrides (one task, 16-step episodes at 32 px,
    a tiny model, the CPU dynamics; a few steps of every stage)."""
    w = root / "run"
    over = {
        "workdir": w, "data.root": root / "data", "data.tasks": "libero_10/9",
        "data.num_demos": 2, "data.batch_size": 2, "data.horizon": 16, "data.segment": 16,
        "data.image_size": 32, "data.keep_only_success": False, "data.max_attempts": 1,
        "model.size": "tiny", "model.dtype": "float32",
        "sft.num_steps": 4, "sft.batch_size": 4, "sft.warmup_steps": 1, "sft.log_every": 2,
        "sft.save_every": 4, "sft.augment_shift": 0, "sft.async_checkpoint": False,
        "grpo.num_iterations": 1, "grpo.prompts_per_iteration": 1, "grpo.group_size": 2,
        "grpo.horizon": 16, "grpo.num_minibatches": 1, "grpo.update_epochs": 1,
        "grpo.save_every": 1, "grpo.async_checkpoint": False, "grpo.num_train_init": 2,
        "eval.num_init": 2, "eval.batch_size": 2, "eval.horizon": 16, "eval.num_videos": 1,
        # the CPU configs' dynamics (LIBERO's OSC, finger-pad contacts): full contacts would
        # make the four compilations of this test much slower; the OSC + full-contacts env
        # is compiled by the controller and contact tests (tests/conftest.py)
        "env.dynamics": "libero_fast",
    }
    args = ["--config=configs/libero10.py"] + [f"--config.{k}={v}" for k, v in over.items()]
    env = dict(os.environ, PYTHONPATH=ROOT + os.pathsep + os.environ.get("PYTHONPATH", ""))
    return subprocess.run([sys.executable, "-m", "smoothvla_jax.train", *args, *extra],
                          cwd=ROOT, env=env, capture_output=True, text=True, timeout=1500)


@pytest.mark.timeout(2400)  # 4 MJX programs compile (collect, SFT, GRPO, eval): minutes on 2 cores
def test_mission_command_runs_every_stage_on_cpu_then_resumes_grpo(tmp_path):
    """``python -m smoothvla_jax.train --config=configs/libero10.py`` on this CPU: one notice
    that the config is accelerator-sized, then collect -> SFT -> GRPO -> eval -> report; the
    last lines are the summary table and the outputs. A second call with more GRPO iterations
    resumes GRPO from its checkpoint, skips collection and SFT, reuses the SFT evaluation and
    evaluates the new GRPO policy."""
    res = _mission_command(tmp_path)
    assert res.returncode == 0, res.stderr[-4000:]
    out = res.stdout
    assert out.count("is sized for a GPU/TPU") == 1 and "configs/cpu.py" in out
    assert "Failed to import warp" not in out + res.stderr
    for i, stage in enumerate(("collect", "sft", "grpo", "eval", "report"), 1):
        assert f"[{i}/5] {stage}" in out
    tail = out[out.rindex("stage "):]  # the summary table is the last thing printed
    assert "step 4" in tail and "iteration 1" in tail and "outputs:" in tail
    run = tmp_path / "run"
    sft_eval = run / "eval" / "step_4" / "eval.json"
    grpo_eval = run / "grpo" / "eval" / "step_1" / "eval.json"
    report = run / "report" / "report.md"
    for p in (sft_eval, grpo_eval, report):
        assert str(p) in tail and p.is_file(), p
    ds = data.load_dataset(tmp_path / "data")
    assert [t.num_episodes for t in ds.tasks] == [2]
    assert ds.tasks[0].init_index.tolist() == [50, 51]  # training layouts, not eval states
    ev = json.loads(sft_eval.read_text())
    row = ev["tasks"]["libero_10/9"]
    assert row["n"] == 2 and ev["num_init"] == 2
    np.testing.assert_array_equal(ev["episodes"]["libero_10/9"]["init_index"], [0, 1])
    assert ev["episodes"]["libero_10/9"]["episode_length"] == [16, 16]  # no success in 16 steps
    assert row["success"]["mean"] == 0 and row["success"]["ci_high"] > 0.5  # Wilson, n = 2
    assert len(ev["videos"]) == 1 and os.path.getsize(ev["videos"][0]) > 0
    assert "| SFT |" in report.read_text()

    res2 = _mission_command(tmp_path, "--config.grpo.num_iterations=2")
    assert res2.returncode == 0, res2.stderr[-4000:]
    out2 = res2.stdout
    assert "collect: dataset" in out2 and "skipped" in out2
    assert "resumed GRPO from" in out2 and f"eval: reusing {sft_eval}" in out2
    pol = checkpoints.load_policy(run / "grpo")
    assert pol.step == 2 and pol.meta["stage"] == "grpo" and pol.meta["init_step"] == 4
    assert (run / "grpo" / "eval" / "step_2" / "eval.json").is_file()
    rows = [json.loads(line) for line in (run / "grpo" / "metrics.jsonl").read_text().splitlines()]
    grpo_rows = [r for r in rows if "grpo/success_rate" in r]
    assert sorted({r["step"] for r in grpo_rows}) == [1, 2]
    # an iteration whose update was skipped (no informative group) logs no update metrics
    assert all(("grpo/loss" in r) == (r["grpo/updated"] == 1.0) for r in grpo_rows)
