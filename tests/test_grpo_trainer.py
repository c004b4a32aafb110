"""GRPO trainer: the jitted collect (rollout + reward + jerk + refill) and update programs of one
iteration on a tiny MJX setup.

The module fixture compiles ONE iteration (task libero_10/9, 32x32 pixels, tiny VLA, K=2,
C=3 chunks, P=1 prompt, G=2 samples; the env limit of 5 steps ends every episode one step
before the 6 simulated ones, so the last chunk's second token is never executed) and runs it
twice; the tests read its outputs. MJX compilation
dominates (~1.5-3 min on 2 busy cores); the rest of the file is pure and fast.
"""

from __future__ import annotations  # noqa: I001  (smoothvla_jax must import before jax)

import smoothvla_jax  # noqa: F401  (XLA CPU flag before JAX initialises)

import json
import pathlib

import jax
import jax.numpy as jnp
import numpy as np
import pytest

from smoothvla_jax.rl import trainer
from smoothvla_jax.rl.grpo import GRPOConfig, group_advantages
from smoothvla_jax.rl.rewards import RewardConfig, compute_reward
from smoothvla_jax.rollout import Trajectory

TASK, SIZE, K, C, MAX_STEPS = "libero_10/9", 32, 2, 3, 5
DT = 0.05
REWARD = RewardConfig(kind="smooth", form="additive", lam=0.5, signal="action")


def _finite_scalars(metrics):
    return {k: float(v) for k, v in metrics.items() if k != "episodes"}


# ============================================================================ pure (fast)
def _synthetic_traj(t_valid: int, t_total: int = 12, garbage: bool = True) -> Trajectory:
    rng = np.random.default_rng(0)
    ee = np.cumsum(rng.normal(0, 1e-3, (2, t_total, 3)), axis=1).astype(np.float32)
    act = rng.uniform(-0.2, 0.2, (2, t_total, 7)).astype(np.float32)
    mask = np.arange(t_total)[None].repeat(2, 0) < t_valid
    if garbage:  # post-done junk must not leak into anything
        ee[:, t_valid:] = 1e3 * rng.normal(size=(2, t_total - t_valid, 3))
        act[:, t_valid:] = rng.uniform(-1, 1, (2, t_total - t_valid, 7))
    z = np.zeros((2, 1))
    return Trajectory(tokens=z, logp=z, obs=None, chunk_mask=z, actions=jnp.asarray(act),
                      ee_pos=jnp.asarray(ee), step_mask=jnp.asarray(mask),
                      success=jnp.asarray([True, False]),
                      length=jnp.asarray(mask.sum(1), jnp.int32))


@pytest.mark.parametrize("cfg", [
    RewardConfig(kind="smooth", form="multiplicative", signal="ee"),
    RewardConfig(kind="smooth", form="additive", signal="both"),
    RewardConfig(kind="binary"),
])
def test_episode_metrics_ignore_post_done_steps(cfg):
    clean_r, clean = trainer.episode_metrics(_synthetic_traj(9, garbage=False), cfg, 4)
    dirty_r, dirty = trainer.episode_metrics(_synthetic_traj(9, garbage=True), cfg, 4)
    np.testing.assert_allclose(dirty_r, clean_r, rtol=1e-6)
    for k in clean:
        np.testing.assert_allclose(dirty[k], clean[k], rtol=1e-5, err_msg=k)
    np.testing.assert_array_equal(clean["episode_length"], [9, 9])
    # and it matches compute_reward on the truncated (valid-only) arrays
    t = _synthetic_traj(9, garbage=True)
    ref = compute_reward(t.success, t.ee_pos[:, :9], t.actions[:, :9], np.ones((2, 9)), DT, cfg)
    np.testing.assert_allclose(dirty_r, ref, rtol=1e-5)


def test_episode_shape_per_task_limits():
    import ml_collections

    g = ml_collections.ConfigDict({"horizon": 180, "num_chunks": 0})
    assert trainer.episode_shape(g, 8) == (180, 23)
    g = ml_collections.ConfigDict({"horizon": 0, "num_chunks": 0})  # each task's LIBERO limit
    assert trainer.episode_shape(g, 8, "libero_spatial/0") == (220, 28)
    assert trainer.episode_shape(g, 8, "libero_10/3") == (520, 65)
    with pytest.raises(ValueError, match="horizon"):
        trainer.episode_shape(g, 8)


def test_grpo_config_from_configdict():
    import ml_collections

    g = ml_collections.ConfigDict({
        "group_size": 8, "clip_low": 0.2, "clip_high": 0.28, "kl_coef": 0.0, "temperature": 1.6,
        "update_epochs": 2, "num_minibatches": 4, "dynamic_sampling": True,
        "max_grad_norm": 0.0, "adv_norm": "std", "loss_agg": "seq_mean"})
    cfg = trainer.grpo_config_from(g)
    assert cfg == GRPOConfig(num_minibatches=4, max_grad_norm=None)


# ============================================================================ compiled iteration
@pytest.fixture(scope="module")
def setup():
    from envs_mjx.env import EnvConfig, LiberoEnv
    from envs_mjx.renderer import RenderConfig
    from smoothvla_jax.model import ActionTokenizer, VLAConfig, default_tokenizer, init_params

    import dataclasses

    env = LiberoEnv(TASK, EnvConfig.for_dynamics(  # the CPU configs' dynamics (cheap compile)
        "libero_fast", render=RenderConfig(width=SIZE, height=SIZE), max_steps=MAX_STEPS))
    vcfg = VLAConfig.tiny(image_size=SIZE, chunk=K)
    tok = default_tokenizer([env.instruction])
    text, text_mask = tok.encode(env.instruction, max_len=vcfg.text_max_len)
    gcfg = GRPOConfig(group_size=2, update_epochs=2, num_minibatches=2, dynamic_sampling=True)
    opt = trainer.make_grpo_optimizer(1e-3)
    args = (env, vcfg, ActionTokenizer(), text[0], text_mask[0], gcfg, REWARD, opt, C, 1)
    iteration = trainer.make_grpo_iteration(*args, ds_criterion="reward", return_episodes=True)
    # host arrays, as a checkpoint restore gives them (the update must still compile once)
    params = jax.tree.map(np.asarray, init_params(jax.random.PRNGKey(0), vcfg))
    state = trainer.init_train_state(params, opt, jax.random.PRNGKey(1), keep_reference=True)
    params0 = jax.tree.map(np.array, params)
    out = []
    for i in range(2):
        state, metrics = iteration(state, jax.random.PRNGKey(10 + i))
        out.append(jax.device_get(metrics))
    # the skip path, with the same compiled programs: an update needing 2 groups when the
    # buffer holds P = 1 never runs
    skipper = dataclasses.replace(iteration, min_groups=2)
    before = jax.tree.map(np.array, (state.params, state.opt_state))
    skipped_state, skipped = skipper(state, jax.random.PRNGKey(20))
    return {"env": env, "args": args, "iteration": iteration, "params0": params0,
            "state": state, "metrics": out, "before_skip": before,
            "skipped": (jax.device_get(skipped_state), skipped)}


def test_iteration_is_one_jit_and_updates_params(setup):
    it = setup["iteration"]
    # two jitted programs (rollout..refill, update), each compiled once and reused
    assert it.collect._cache_size() == 1 and it.update._cache_size() == 1
    state = setup["state"]
    assert int(state.step) == 2
    for m in setup["metrics"]:
        scalars = _finite_scalars(m)
        assert all(np.isfinite(v) for v in scalars.values()), scalars
        for k in ("reward_mean", "success_rate", "msj_ee", "dimensionless_jerk_ee", "groups_kept",
                  "loss", "pg_loss", "clip_frac", "approx_kl", "grad_norm", "episode_length",
                  "entropy", "kl_ref", "ratio_first", "groups_drawn", "groups_used"):
            assert k in scalars, k
        assert scalars["episode_length"] == MAX_STEPS
        # on-policy first minibatch: rollout log-probs (one observation at a time, inside the
        # env scan) == the update's recomputed ones (a batch of n * C observations)
        assert abs(scalars["ratio_first"] - 1.0) < 1e-4, scalars["ratio_first"]
        # uniform-ish random policy: entropy of 256 bins is at most ln 256 = 5.55
        assert 0.0 < scalars["entropy"] <= np.log(256) + 1e-4
        assert 0.0 <= scalars["kl_ref"] < 0.5
    m0 = setup["metrics"][0]
    # random actions at temperature 1.6 -> the two samples' action jerk differs -> kept, updated
    assert (m0["groups_drawn"], m0["groups_kept"], m0["groups_used"]) == (1.0, 1.0, 1.0)
    assert m0["updated"] == 1.0 and m0["grad_norm"] > 0
    diff = jax.tree.map(lambda a, b: float(np.abs(np.asarray(a) - b).max()),
                        state.params, setup["params0"])
    assert max(jax.tree.leaves(diff)) > 0


def test_iteration_rewards_use_only_valid_steps(setup):
    ep = setup["metrics"][0]["episodes"]
    t = C * K
    assert ep["step_mask"].shape == (1, 2, t) and ep["actions"].shape == (1, 2, t, 7)
    np.testing.assert_array_equal(ep["step_mask"].sum(-1), [[MAX_STEPS, MAX_STEPS]])
    assert not ep["step_mask"][..., MAX_STEPS:].any()
    valid = compute_reward(ep["success"], ep["ee_pos"][..., :MAX_STEPS, :],
                           ep["actions"][..., :MAX_STEPS, :], np.ones((1, 2, MAX_STEPS)), DT,
                           REWARD)
    np.testing.assert_allclose(ep["rewards"], valid, rtol=1e-5, atol=1e-7)
    # sensitivity: counting the post-done step (a sampled, never executed action) changes it
    everything = compute_reward(ep["success"], ep["ee_pos"], ep["actions"], np.ones((1, 2, t)),
                                DT, REWARD)
    assert np.abs(np.asarray(everything) - ep["rewards"]).max() > 1e-4
    np.testing.assert_allclose(ep["advantages"], group_advantages(ep["rewards"]), atol=1e-5)
    np.testing.assert_allclose(setup["metrics"][0]["reward_mean"], ep["rewards"].mean(),
                               rtol=1e-6)


def test_skip_update_leaves_params_and_optimiser_state_untouched(setup):
    state, m = setup["skipped"]
    assert m["updated"] == 0.0 and m["groups_used"] == 1.0 and "loss" not in m
    assert int(state.step) == 3
    same = jax.tree.map(lambda a, b: np.array_equal(np.asarray(a), b),
                        (state.params, state.opt_state), setup["before_skip"])
    assert all(jax.tree.leaves(same))


def test_bad_batch_split_raises(setup):
    env, vcfg, at, text, mask, _, rcfg, opt, c, _ = setup["args"]
    gcfg = GRPOConfig(group_size=3, num_minibatches=2)
    with pytest.raises(ValueError, match="not divisible"):
        trainer.make_grpo_iteration(env, vcfg, at, text, mask, gcfg, rcfg, opt, c, 1)


@pytest.mark.slow
def test_kl_reference_and_no_kept_group_skips_update(setup):
    """With the success criterion and no successes (5-step episodes) every group is dropped in
    every round, so the optimiser is skipped and the parameters stay exactly the same."""
    env, vcfg, at, text, mask, _, rcfg, opt, c, _ = setup["args"]
    gcfg = GRPOConfig(group_size=2, update_epochs=1, num_minibatches=1, kl_coef=0.1)
    it = trainer.make_grpo_iteration(env, vcfg, at, text, mask, gcfg, rcfg, opt, c, 1,
                                     ds_criterion="success", max_rounds=2)
    params = jax.tree.map(jnp.asarray, setup["params0"])
    state = trainer.init_train_state(params, opt, jax.random.PRNGKey(1), keep_reference=True)
    state, m = it(state, jax.random.PRNGKey(3))
    assert float(m["groups_kept"]) == 0.0 and float(m["updated"]) == 0.0
    assert m["rounds"] == 2.0 and m["groups_drawn"] == 2.0
    same = jax.tree.map(lambda a, b: np.array_equal(np.asarray(a), b), state.params,
                        setup["params0"])
    assert all(jax.tree.leaves(same))


@pytest.mark.slow
def test_run_grpo_saves_resumes_and_evaluates(tmp_path):
    """run_grpo from a (randomly initialised) SFT checkpoint: 1 iteration, then resume to 2,
    evaluation with per-episode data at the end. Several MJX compiles: minutes."""
    import ml_collections

    from configs import grpo_smoke
    from smoothvla_jax import checkpoints
    from smoothvla_jax.model import (
        LIBERO_10_INSTRUCTIONS,
        ActionNormalizer,
        ActionTokenizer,
        VLAConfig,
        default_tokenizer,
        init_params,
    )

    vcfg = VLAConfig.tiny(image_size=SIZE, chunk=K)
    tok = default_tokenizer(list(LIBERO_10_INSTRUCTIONS))
    sft_dir = tmp_path / "sft"
    ck = checkpoints.Checkpointer(sft_dir / "checkpoints")
    meta = checkpoints.make_meta(vcfg, ActionTokenizer(), ActionNormalizer(), tok, {},
                                 stage="sft", tasks=[TASK])
    ck.save(7, init_params(jax.random.PRNGKey(0), vcfg), {"step": np.int32(7)}, meta)
    ck.close()

    config = grpo_smoke.get_config()
    config.data.tasks = TASK
    config.grpo.init_checkpoint = str(sft_dir)
    config.grpo.horizon = C * K
    config.grpo.group_size = 2
    config.grpo.num_minibatches = 1
    config.grpo.num_iterations = 1
    config.grpo.eval_at_end = False
    config.eval.num_init = 2
    config.eval.batch_size = 2
    config.eval.horizon = C * K
    work = tmp_path / "grpo"
    s1 = trainer.run_grpo(config, str(work))
    assert s1["step"] == 1 and np.isfinite(s1["loss"])
    config.grpo.num_iterations = 2
    config.grpo.eval_at_end = True
    s2 = trainer.run_grpo(ml_collections.ConfigDict(config.to_dict()), str(work))
    assert s2["step"] == 2
    rows = [json.loads(line) for line in (work / "metrics.jsonl").read_text().splitlines()]
    assert sorted({r["step"] for r in rows if "grpo/loss" in r}) == [1, 2]
    pol = checkpoints.load_policy(work)
    assert pol.step == 2 and pol.meta["stage"] == "grpo" and pol.meta["init_step"] == 7
    ev = json.loads(pathlib.Path(s2["eval"]).read_text())
    assert len(ev["episodes"][TASK]["msj_ee"]) == 2 and len(ev["episodes"][TASK]["ee_paths"]) == 2


@pytest.mark.slow  # compiles a second collect program (~1-4 min on 2 cores)
def test_paired_arms_share_first_iteration_episodes(setup):
    """The experiment's pairing (smoothvla_jax.experiment.arm_config): seed s of the binary and
    of the SmoothVLA arm start from the same parameters with the same key, so their first
    iteration draws the same prompts and samples the same actions; only the rewards differ.
    Here: the fixture's first iteration (SmoothVLA-style reward, key PRNGKey(10), the initial
    parameters) and a binary-reward collect program with the same parameters and round key.
    The two programs are compiled separately, so the simulated EE positions agree to float
    rounding (XLA may fuse the physics differently), the sampled tokens exactly."""
    env, vcfg, at, text, mask, gcfg, _, opt, c, p = setup["args"]
    binary = trainer.make_grpo_iteration(env, vcfg, at, text, mask, gcfg,
                                         RewardConfig(kind="binary"), opt, c, p,
                                         ds_criterion="reward", return_episodes=True)
    s = setup["metrics"][0]["episodes"]
    # GRPOIteration.__call__: k_roll = split(key)[0]; round r uses fold_in(k_roll, r)
    k_roll = jax.random.split(jax.random.PRNGKey(10))[0]
    params = jax.tree.map(jnp.asarray, setup["params0"])

    def first_round(key):
        _, _, m = binary.collect(params, jax.random.fold_in(key, 0), binary.init_buffer(),
                                 jnp.zeros((), jnp.int32))
        return jax.device_get(m["episodes"])

    b = first_round(k_roll)
    for k in ("prompts", "actions", "step_mask", "success", "length"):
        np.testing.assert_array_equal(b[k], s[k], err_msg=k)
    np.testing.assert_allclose(b["ee_pos"], s["ee_pos"], atol=1e-5)
    np.testing.assert_array_equal(b["rewards"], 0.0)  # binary: no success in 5 steps
    assert np.all(s["rewards"] > 0)                   # additive jerk bonus
    # another key samples other actions (the equality above is not vacuous)
    other = first_round(jax.random.split(jax.random.PRNGKey(11))[0])
    assert not np.array_equal(other["actions"], s["actions"])


def test_update_leaves_out_decisions_after_done():
    """The real trainer's update on a stand-in point env (no MJX): episodes end after 10 of
    the 16 simulated steps, so the 4th chunk decision (steps 12-15) of every episode has no
    executed step and only 3 of 4 decisions are computed. With one epoch and one minibatch,
    the compacted update (12 decisions) gives the same loss, metrics and parameters as
    the same update on all 16 decisions (the ladder's largest size, padding last); the gathered
    decisions are on-policy (ratio 1)."""
    from test_pipeline import PointEnv

    from smoothvla_jax.model import ActionTokenizer, VLAConfig, default_tokenizer, init_params

    vcfg = VLAConfig.tiny(image_size=16, chunk=4)
    env = PointEnv(16, max_steps=10)
    ids, mask = default_tokenizer().encode("put both moka pots on the stove",
                                           max_len=vcfg.text_max_len)
    gcfg = GRPOConfig(group_size=4, update_epochs=1, num_minibatches=1, dynamic_sampling=False,
                      temperature=1.0)
    rcfg = RewardConfig(kind="smooth", form="additive", lam=1.0)
    # Adam's eps raised (as in test_parallel.py): with 1e-8 a parameter whose gradient is pure
    # float noise takes a full +-lr first step whose sign the summation order decides
    opt = trainer.make_grpo_optimizer(1e-2, eps=1e-3)
    it = trainer.make_grpo_iteration(env, vcfg, ActionTokenizer(), ids[0], mask[0], gcfg, rcfg,
                                     opt, num_chunks=4, prompts_per_iteration=1, donate=False)
    assert it.ladder == (2, 4, 6, 8, 10, 12, 14, 16)  # N * C = 4 * 4 decisions, steps of 16 / 8
    params = init_params(jax.random.PRNGKey(0), vcfg)
    state = trainer.init_train_state(params, opt, jax.random.PRNGKey(1), keep_reference=True)
    state, m = it(state, jax.random.PRNGKey(2))
    assert (m["used_decisions"], m["valid_decisions"], m["update_decisions"]) == (16, 12, 12)
    assert abs(m["ratio_first"] - 1.0) < 1e-4, m["ratio_first"]
    assert 0.0 <= m["kl_ref"] < 1e-6  # the reference is the rollout policy at step 0
    # the same buffer through the update on all 16 decisions
    state0 = trainer.init_train_state(params, opt, jax.random.PRNGKey(1), keep_reference=True)
    k_roll, k_upd = jax.random.split(jax.random.PRNGKey(2))
    buffer, filled, _ = it.collect(state0.params, jax.random.fold_in(k_roll, 0),
                                   it.init_buffer(), jnp.int32(0))
    s12, m12 = it.update(state0, buffer, filled, k_upd, 12)
    s16, m16 = it.update(state0, buffer, filled, k_upd, 16)
    assert it.update._cache_size() == 2
    for k in ("loss", "pg_loss", "clip_frac", "approx_kl", "ratio_first", "grad_norm"):
        np.testing.assert_allclose(float(m12[k]), float(m[k]), rtol=1e-6, atol=1e-8, err_msg=k)
        np.testing.assert_allclose(float(m16[k]), float(m12[k]), rtol=1e-4, atol=1e-6,
                                   err_msg=k)
    for a, b in zip(jax.tree.leaves(s16.params), jax.tree.leaves(s12.params)):
        np.testing.assert_allclose(np.asarray(a), np.asarray(b), rtol=1e-4, atol=1e-6)
    moved = max(float(jnp.abs(a - b).max()) for a, b in
                zip(jax.tree.leaves(s12.params), jax.tree.leaves(params)))
    assert moved > 1e-4
