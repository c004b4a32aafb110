"""Tests for smoothvla_jax.rl.grpo (fast; the toy end-to-end run takes a few seconds on CPU)."""

from __future__ import annotations  # noqa: I001  (smoothvla_jax must import before jax)


import smoothvla_jax  # noqa: F401  (sets the XLA CPU flag before JAX initialises)

import functools

import flax.linen as nn
import jax
import jax.numpy as jnp
import ml_collections
import numpy as np
import optax
import pytest

from smoothvla_jax.rl import grpo

C, K, D = 2, 2, 7  # chunks per episode, chunk length, action dims


def _logps(key, n=3, scale=0.5):
    return scale * jax.random.normal(key, (n, C, K, D)) - 2.0


# ----------------------------------------------------------------------------- config


def test_config_defaults_and_from_config():
    cfg = grpo.GRPOConfig()
    assert (cfg.group_size, cfg.clip_low, cfg.clip_high, cfg.kl_coef) == (8, 0.2, 0.28, 0.0)
    assert (cfg.temperature, cfg.update_epochs, cfg.loss_agg) == (1.6, 2, "seq_mean")
    assert cfg.adv_norm == "std"
    cd = ml_collections.ConfigDict({"group_size": 4, "clip_high": 0.3, "other": 1})
    cfg2 = grpo.GRPOConfig.from_config(cd)
    assert cfg2.group_size == 4 and cfg2.clip_high == 0.3 and cfg2.clip_low == 0.2
    with pytest.raises(ValueError, match="other"):
        grpo.GRPOConfig.from_config(cd, strict=True)


@pytest.mark.parametrize(
    "field,value",
    [
        ("group_size", 1),
        ("clip_low", 1.0),
        ("clip_high", -0.1),
        ("kl_coef", -1.0),
        ("temperature", 0.0),
        ("update_epochs", 0),
        ("num_minibatches", 0),
        ("adv_eps", 0.0),
        ("loss_agg", "sum"),
        ("adv_norm", "l2"),
        ("max_grad_norm", 0.0),
    ],
)
def test_config_validation_names_field(field, value):
    with pytest.raises(ValueError, match=field):
        grpo.GRPOConfig(**{field: value})


# ----------------------------------------------------------------------------- advantages


def test_group_advantages_known_values():
    adv = grpo.group_advantages(jnp.array([[1.0, 0.0, 0.0, 1.0], [3.0, 3.0, 3.0, 3.0]]), 1e-8)
    np.testing.assert_allclose(adv, [[1, -1, -1, 1], [0, 0, 0, 0]], atol=1e-5)
    assert np.all(np.isfinite(adv))
    centred = grpo.group_advantages(jnp.array([[2.0, 0.0, 1.0, 1.0]]), adv_norm="mean")
    np.testing.assert_allclose(centred, [[1, -1, 0, 0]], atol=1e-6)


def test_one_success_groups_std_vs_mean_advantages():
    """G = 4, one success: binary reward 1 vs multiplicative hybrid 0.6 (a jerky success).
    "std": mean 0.25 / 0.15, std sqrt(0.25 * 0.75) = 0.4330 / 0.6 * 0.4330 = 0.2598, so both give
    (0.75 / 0.4330, -0.25 / 0.4330) = (1.7321, -0.5774): the jerk term cancels. "mean": centred
    only, (0.75, -0.25) vs (0.45, -0.15): the jerk term survives."""
    binary = jnp.array([[1.0, 0.0, 0.0, 0.0]])
    hybrid = jnp.array([[0.6, 0.0, 0.0, 0.0]])
    a_b = grpo.group_advantages(binary, 1e-8, "std")
    a_h = grpo.group_advantages(hybrid, 1e-8, "std")
    np.testing.assert_allclose(a_b, [[1.7320508, -0.5773503, -0.5773503, -0.5773503]], rtol=1e-5)
    np.testing.assert_allclose(a_h, a_b, rtol=1e-5)
    m_b = grpo.group_advantages(binary, adv_norm="mean")
    m_h = grpo.group_advantages(hybrid, adv_norm="mean")
    np.testing.assert_allclose(m_b, [[0.75, -0.25, -0.25, -0.25]], atol=1e-6)
    np.testing.assert_allclose(m_h, [[0.45, -0.15, -0.15, -0.15]], atol=1e-6)
    with pytest.raises(ValueError, match="adv_norm"):
        grpo.group_advantages(binary, adv_norm="none")


def test_informative_groups_and_fill_buffer_refill():
    """Two rounds of R = 4 groups into a buffer of P = 3: round 1 keeps groups 1 and 3 (slots 0,
    1), round 2 keeps groups 0, 1, 3 of which only the first fits (slot 2); the rest is dropped
    and the buffer holds exactly P informative groups."""
    s1 = jnp.array([[0, 0], [0, 1], [1, 1], [1, 0]])          # informative: 1, 3
    s2 = jnp.array([[1, 0], [0, 1], [0, 0], [1, 0]])          # informative: 0, 1, 3
    k1 = grpo.informative_groups(s1, s1.astype(jnp.float32))
    k2 = grpo.informative_groups(s2, s2.astype(jnp.float32))
    np.testing.assert_array_equal(k1, [False, True, False, True])
    np.testing.assert_array_equal(k2, [True, True, False, True])
    # reward criterion with a tolerance: spreads 0.05, 0.3, 0 -> only the 0.3 group at tol 0.1
    r = jnp.array([[0.9, 0.85], [0.9, 0.6], [0.0, 0.0]])
    np.testing.assert_array_equal(grpo.informative_groups(r > 0, r, "reward", 0.1),
                                  [False, True, False])
    np.testing.assert_array_equal(grpo.informative_groups(r > 0, r, "reward"), [True, True, False])
    with pytest.raises(ValueError, match="criterion"):
        grpo.informative_groups(s1, s1, "bogus")

    ident = lambda rnd: {"id": jnp.arange(4) + 10 * rnd,                        # [R]
                         "x": jnp.ones((4, 2, 3)) * (jnp.arange(4) + 10 * rnd)[:, None, None]}
    buf = {"id": jnp.full((3,), -1), "x": jnp.zeros((3, 2, 3))}
    fill = jax.jit(grpo.fill_buffer)
    buf, filled = fill(buf, jnp.int32(0), ident(1), k1)
    assert int(filled) == 2
    np.testing.assert_array_equal(buf["id"], [11, 13, -1])
    buf, filled = fill(buf, filled, ident(2), k2)
    assert int(filled) == 3                                   # capped at P
    np.testing.assert_array_equal(buf["id"], [11, 13, 20])
    np.testing.assert_array_equal(buf["x"][:, 0, 0], [11, 13, 20])
    # a full buffer stays unchanged
    buf2, filled2 = fill(buf, filled, ident(3), jnp.ones(4, bool))
    assert int(filled2) == 3
    np.testing.assert_array_equal(buf2["id"], [11, 13, 20])


def test_per_step_mask_drops_post_done_tokens():
    """One episode, C = 2 chunks of K = 2 steps, D = 1: done after step 3, so the last chunk's
    second token was sampled but never executed. On-policy (ratio 1), advantage A = 2: loss
    = -A = -2 and d loss / d logp = -A / 3 on the 3 executed tokens, 0 on the post-done one.
    The per-chunk mask would spread -A / 4 over all 4 tokens."""
    logp = jnp.full((1, 2, 2, 1), -0.5)
    adv = jnp.array([2.0])
    step_mask = jnp.array([[[1.0, 1.0], [1.0, 0.0]]])         # [N, C, K]
    chunk_mask = jnp.array([[1.0, 1.0]])                       # [N, C]

    def loss(lp, mask):
        return grpo.clipped_surrogate(lp, logp, adv, mask, agg="token_mean")[0]

    assert float(loss(logp, step_mask)) == pytest.approx(-2.0)
    g = jax.grad(loss)(logp, step_mask)
    np.testing.assert_allclose(g[0, :, :, 0], [[-2 / 3, -2 / 3], [-2 / 3, 0.0]], rtol=1e-6)
    g_chunk = jax.grad(loss)(logp, chunk_mask)
    np.testing.assert_allclose(g_chunk[0, :, :, 0], [[-0.5, -0.5], [-0.5, -0.5]], rtol=1e-6)
    with pytest.raises(ValueError, match="per step"):
        loss(logp, jnp.ones((1,)))


def test_token_mean_vs_seq_mean_weighting():
    """Episode 0 (A = +1) has 1 valid token, episode 1 (A = -1) 4. On-policy:
    token_mean = -(1 - 4) / 5 = 0.6, gradient -1/5 on ep 0's token, +1/5 on each of ep 1's;
    seq_mean = -(1 - 1) / 2 = 0, gradient -1/2 on ep 0's token, +1/8 on each of ep 1's."""
    logp = jnp.zeros((2, 2, 2, 1))
    adv = jnp.array([1.0, -1.0])
    mask = jnp.array([[[1.0, 0.0], [0.0, 0.0]], [[1.0, 1.0], [1.0, 1.0]]])  # [N, C, K]

    def loss(lp, agg):
        return grpo.clipped_surrogate(lp, logp, adv, mask, agg=agg)[0]

    assert float(loss(logp, "token_mean")) == pytest.approx(0.6)
    assert float(loss(logp, "seq_mean")) == pytest.approx(0.0, abs=1e-7)
    gt = jax.grad(loss)(logp, "token_mean")[..., 0]
    gs = jax.grad(loss)(logp, "seq_mean")[..., 0]
    np.testing.assert_allclose(gt[0], [[-0.2, 0.0], [0.0, 0.0]], rtol=1e-6)
    np.testing.assert_allclose(gt[1], np.full((2, 2), 0.2), rtol=1e-6)
    np.testing.assert_allclose(gs[0], [[-0.5, 0.0], [0.0, 0.0]], rtol=1e-6)
    np.testing.assert_allclose(gs[1], np.full((2, 2), 0.125), rtol=1e-6)


def test_dynamic_sampling_masks():
    success = jnp.array([[0, 0, 0, 0], [1, 1, 1, 1], [0, 1, 0, 0], [1, 1, 0, 1]])
    np.testing.assert_array_equal(grpo.dynamic_sampling_mask(success), [0, 0, 1, 1])
    rewards = jnp.array([[0.1] * 4, [0.1, 0.1, 0.2, 0.1], [0.0] * 4])
    np.testing.assert_array_equal(grpo.nonconstant_group_mask(rewards), [0, 1, 0])
    mask = jnp.ones((3, 4, C))
    folded = grpo.apply_group_mask(mask, grpo.nonconstant_group_mask(rewards))
    assert folded.shape == (3, 4, C) and folded.sum() == 4 * C


def test_token_logprobs_matches_softmax():
    logits = jax.random.normal(jax.random.PRNGKey(0), (3, 5))
    tokens = jnp.array([0, 4, 2])
    lp = grpo.token_logprobs(logits, tokens, temperature=2.0)
    ref = jax.nn.log_softmax(logits / 2.0)[jnp.arange(3), tokens]
    np.testing.assert_allclose(lp, ref, rtol=1e-6)


# ----------------------------------------------------------------------------- losses


def _surrogate_grad(delta, adv):
    """d loss / d logp_new for one episode whose tokens all have log-ratio ``delta``."""
    old = jnp.full((1, C, K, D), -1.0)
    mask = jnp.ones((1, C))

    def f(new):
        return grpo.clipped_surrogate(new, old, jnp.array([adv]), mask, 0.2, 0.28)[0]

    return jax.grad(f)(old + delta)


def test_clipped_gradient_sign_inside_trust_region():
    g = _surrogate_grad(0.05, 1.0)
    assert np.all(g < 0)  # raising the token's prob lowers the loss for A > 0
    g = _surrogate_grad(-0.05, -1.0)
    assert np.all(g > 0)


def test_clipped_gradient_zero_outside_trust_region():
    assert np.all(_surrogate_grad(np.log(1.4), 1.0) == 0)  # ratio > 1 + 0.28, A > 0
    assert np.all(_surrogate_grad(np.log(0.7), -1.0) == 0)  # ratio < 1 - 0.2, A < 0
    # Asymmetric: ratio 1.25 is still inside the upper bound (1.28), so the gradient flows.
    assert np.all(_surrogate_grad(np.log(1.25), 1.0) < 0)
    # The pessimistic branch is never clipped: A > 0 with ratio < 1 - clip_low still learns.
    assert np.all(_surrogate_grad(np.log(0.7), 1.0) < 0)


def test_clipped_masked_tokens_contribute_nothing():
    k1, k2, k3 = jax.random.split(jax.random.PRNGKey(1), 3)
    old, new = _logps(k1), _logps(k2)
    adv = jnp.array([1.0, -0.5, 2.0])
    mask = jnp.array([[1.0, 0.0], [1.0, 1.0], [0.0, 0.0]])
    tmask = jnp.broadcast_to(mask[..., None, None], new.shape)
    new2 = jnp.where(tmask > 0, new, _logps(k3, scale=3.0))
    for agg in ("token_mean", "seq_mean"):
        l1, m1 = grpo.clipped_surrogate(new, old, adv, mask, 0.2, 0.28, agg)
        l2, m2 = grpo.clipped_surrogate(new2, old, adv, mask, 0.2, 0.28, agg)
        np.testing.assert_allclose(l1, l2, rtol=1e-6)
        np.testing.assert_allclose(m1["ratio_mean"], m2["ratio_mean"], rtol=1e-6)
        g = jax.grad(lambda x, a=agg: grpo.clipped_surrogate(x, old, adv, mask, 0.2, 0.28, a)[0])(
            new
        )
        assert np.all(np.asarray(g)[np.asarray(tmask) == 0] == 0)
    # A fully masked batch gives a finite zero loss.
    l0, _ = grpo.clipped_surrogate(new, old, adv, jnp.zeros((3, C)), 0.2, 0.28)
    assert float(l0) == 0.0


def test_clipped_on_policy_value_and_metrics():
    old = _logps(jax.random.PRNGKey(2))
    adv = jnp.array([1.0, -1.0, 0.5])
    loss, m = grpo.clipped_surrogate(old, old, adv, jnp.ones((3, C)), 0.2, 0.28)
    np.testing.assert_allclose(loss, -adv.mean(), rtol=1e-6)
    np.testing.assert_allclose(m["ratio_mean"], 1.0, rtol=1e-6)
    assert float(m["clip_frac"]) == 0.0 and abs(float(m["approx_kl"])) < 1e-7
    _, m = grpo.clipped_surrogate(old + 0.5, old, adv, jnp.ones((3, C)), 0.2, 0.28)
    assert 0 < float(m["clip_frac"]) < 1 and float(m["approx_kl"]) > 0


def test_kl_penalty():
    k1, k2 = jax.random.split(jax.random.PRNGKey(3))
    a, b = _logps(k1), _logps(k2)
    mask = jnp.ones((3, C))
    assert float(grpo.kl_penalty(a, a, mask)) == 0.0
    assert float(grpo.kl_penalty(a, b, mask)) > 0.0
    assert float(grpo.kl_penalty(a, b, jnp.zeros((3, C)))) == 0.0
    cfg = grpo.GRPOConfig(kl_coef=0.1)
    adv = jnp.zeros(3)
    loss, m = grpo.grpo_loss(a, a, b, adv, mask, cfg)
    np.testing.assert_allclose(loss, 0.1 * m["kl"], rtol=1e-6)
    loss0, _ = grpo.grpo_loss(a, a, b, adv, mask, grpo.GRPOConfig())
    assert float(loss0) == 0.0


def test_update_fn_requires_divisible_minibatches():
    params = {"w": jnp.zeros(())}
    cfg = grpo.GRPOConfig(num_minibatches=4)
    update = grpo.make_update_fn(lambda p, b: b["logp_old"] + p["w"], optax.sgd(0.1), cfg)
    batch = {
        "logp_old": jnp.zeros((6, C, K, D)),
        "logp_ref": jnp.zeros((6, C, K, D)),
        "advantages": jnp.zeros(6),
        "mask": jnp.ones((6, C)),
    }
    with pytest.raises(ValueError, match="num_minibatches"):
        update(params, optax.sgd(0.1).init(params), batch, jax.random.PRNGKey(0))


# ----------------------------------------------------------------------------- toy GRPO run

P, G, V = 4, 8, 16  # prompts, group size, bins


class ToyPolicy(nn.Module):
    """One-hot (prompt, chunk index) ``[..., P + C]`` -> logits ``[..., K, D, V]``."""

    @nn.compact
    def __call__(self, x):
        h = nn.tanh(nn.Dense(64)(x))
        return nn.Dense(K * D * V)(h).reshape(x.shape[:-1] + (K, D, V))


def _toy_problem():
    targets = jnp.asarray(np.random.RandomState(0).randint(0, V, size=(P, C, K, D)))
    obs = jnp.concatenate(
        [
            jnp.broadcast_to(jax.nn.one_hot(jnp.arange(P), P)[:, None, :], (P, C, P)),
            jnp.broadcast_to(jax.nn.one_hot(jnp.arange(C), C)[None, :, :], (P, C, C)),
        ],
        -1,
    )  # [P, C, P + C]
    # Prompts 0, 1 last two chunks; prompts 2, 3 end after the first (second chunk invalid).
    ep_mask = jnp.array([[1.0, 1.0], [1.0, 1.0], [1.0, 0.0], [1.0, 0.0]])  # [P, C]
    return targets, obs, ep_mask


def _toy_rewards(tokens, targets, ep_mask):
    """tokens ``[P, G, C, K, D]`` -> (reward ``[P, G]`` in [0, 1], close-token rate ``[P, G]``)."""
    dist = jnp.abs(tokens - targets[:, None]).astype(jnp.float32)
    close = (dist <= 1).astype(jnp.float32)
    per_token = 0.5 * close + 0.5 * (1.0 - dist / (V - 1))  # sparse-ish hit + smooth dense term
    w = jnp.broadcast_to(ep_mask[:, None, :, None, None], tokens.shape)
    red = lambda x: (x * w).sum((-3, -2, -1)) / w.sum((-3, -2, -1))
    return red(per_token), red(close)


def make_train_step(cfg: grpo.GRPOConfig, lr: float = 1e-2):
    """PureJaxRL-style: returns (init_fn, train_step) with train_step pure and jit-able."""
    model = ToyPolicy()
    targets, obs, ep_mask = _toy_problem()
    optimizer = optax.adam(lr)

    def apply_logp(params, mb):
        return grpo.token_logprobs(model.apply(params, mb["obs"]), mb["tokens"], cfg.temperature)

    update = grpo.make_update_fn(apply_logp, optimizer, cfg)

    def init(key):
        params = model.init(key, obs[0, 0])
        return {"params": params, "ref_params": params, "opt_state": optimizer.init(params)}

    def train_step(state, key):
        k_sample, k_update = jax.random.split(key)
        obs_g = jnp.broadcast_to(obs[:, None], (P, G) + obs.shape[1:])  # [P, G, C, P + C]
        logits = model.apply(state["params"], obs_g)  # [P, G, C, K, D, V]
        tokens = jax.random.categorical(k_sample, logits / cfg.temperature)  # [P, G, C, K, D]
        logp_old = grpo.token_logprobs(logits, tokens, cfg.temperature)
        logp_ref = grpo.token_logprobs(
            model.apply(state["ref_params"], obs_g), tokens, cfg.temperature
        )
        rewards, close = _toy_rewards(tokens, targets, ep_mask)
        adv = grpo.group_advantages(rewards, cfg.adv_eps, cfg.adv_norm)
        mask = jnp.broadcast_to(ep_mask[:, None], (P, G, C))
        keep = grpo.nonconstant_group_mask(rewards) if cfg.dynamic_sampling else jnp.ones(P)
        mask = grpo.apply_group_mask(mask, keep)
        flat = lambda x: x.reshape((P * G,) + x.shape[2:])
        batch = jax.tree.map(
            flat,
            {
                "obs": obs_g,
                "tokens": tokens,
                "logp_old": logp_old,
                "logp_ref": logp_ref,
                "advantages": adv,
                "mask": mask,
            },
        )
        params, opt_state, m = update(state["params"], state["opt_state"], batch, k_update)
        state = dict(state, params=params, opt_state=opt_state)
        m = dict(m, reward=rewards.mean(), close=close.mean(), groups_kept=keep.mean())
        return state, m

    return init, train_step


# ----------------------------------------------------------------------------- compaction


def test_bucket_ladder_and_size():
    # grpo_cpu: 16 episodes x 23 decisions, 2 minibatches -> multiples of 46
    assert grpo.bucket_ladder(368, 2) == tuple(46 * i for i in range(1, 9))
    # ceil(12 / 8) = 2 -> rounded up to the quantum 4 -> 4, 8, 12 (capped)
    assert grpo.bucket_ladder(12, 4) == (4, 8, 12)
    assert grpo.bucket_size(5, (4, 8, 12)) == 8 and grpo.bucket_size(4, (4, 8, 12)) == 4
    with pytest.raises(ValueError, match="exceed"):
        grpo.bucket_size(13, (4, 8, 12))
    with pytest.raises(ValueError, match="multiple"):
        grpo.bucket_ladder(10, 4)


@functools.lru_cache(maxsize=1)
def _early_end_batch(agg_seed: int = 0):
    """6 episodes of the toy policy (C = 2 chunks of K = 2 steps), 4 of them ending early:
    9 of the 12 decisions have an executed step. ``logp_old`` comes from perturbed params
    (ratio != 1), ``logp_ref`` from others."""
    model = ToyPolicy()
    _, obs, _ = _toy_problem()
    prompt = jnp.array([0, 1, 2, 3, 0, 1])
    obs_e = obs[prompt]                                                   # [6, C, P + C]
    k = jax.random.split(jax.random.PRNGKey(agg_seed), 5)
    params = model.init(k[0], obs[0, 0])
    shift = lambda p, key, s: jax.tree.map(
        lambda x: x + s * jax.random.normal(key, x.shape), p)
    old, ref = shift(params, k[1], 0.05), shift(params, k[2], 0.1)
    tokens = jax.random.categorical(k[3], model.apply(old, obs_e))      # [6, C, K, D]
    logp = lambda p: grpo.token_logprobs(model.apply(p, obs_e), tokens)
    mask = jnp.array([[[1, 1], [1, 1]], [[1, 0], [0, 0]], [[1, 1], [1, 0]],
                      [[1, 1], [0, 0]], [[1, 1], [1, 1]], [[1, 0], [0, 0]]], jnp.float32)
    batch = {"obs": obs_e, "tokens": tokens, "logp_old": logp(old), "logp_ref": logp(ref),
             "advantages": jax.random.normal(k[4], (6,)), "mask": mask}
    apply_logp = lambda p, mb: grpo.token_logprobs(model.apply(p, mb["obs"]), mb["tokens"])
    return params, batch, apply_logp


def test_compact_decisions_layout_and_weights():
    _, batch, _ = _early_end_batch()
    cb = grpo.compact_decisions(batch, 10, "seq_mean")
    assert cb["mask"].shape == (10, 1, K) and cb["obs"].shape == (10, 1, P + C)
    # valid decisions first, episode-major: (ep, chunk) = 00 01 10 20 21 30 40 41 50, then a pad
    np.testing.assert_array_equal(cb["obs"][:9, 0], batch["obs"][[0, 0, 1, 2, 2, 3, 4, 4, 5],
                                                                  [0, 1, 0, 0, 1, 0, 0, 1, 0]])
    np.testing.assert_array_equal(cb["advantages"][:9],
                                  batch["advantages"][jnp.array([0, 0, 1, 2, 2, 3, 4, 4, 5])])
    assert float(cb["mask"][9].sum()) == 0.0 and float(cb["weight"][9].sum()) == 0.0
    # seq_mean: every episode's weights sum to 1 (ep 2: 2 of its 3 executed steps in chunk 0)
    w = cb["weight"].sum(axis=(1, 2, 3))
    np.testing.assert_allclose(w[:9], [0.5, 0.5, 1, 2 / 3, 1 / 3, 1, 0.5, 0.5, 1], rtol=1e-6)
    # token_mean: weight = mask (D tokens per executed step, 4+1+3+2+4+1 = 15 steps)
    tm = grpo.compact_decisions(batch, 9, "token_mean")
    assert float(tm["weight"].sum()) == 15 * D
    with pytest.raises(ValueError, match="size"):
        grpo.compact_decisions(batch, 13, "seq_mean")


@pytest.mark.parametrize("agg", ["token_mean", "seq_mean"])
def test_compacted_update_equals_episode_update(agg):
    """One epoch, one minibatch: the update on the 9 valid decisions (+ 1 pad) gives the same
    loss, metrics and new parameters as the update on the 6 episodes (with KL in the loss)."""
    params, batch, apply_logp = _early_end_batch()
    cfg = grpo.GRPOConfig(update_epochs=1, num_minibatches=1, loss_agg=agg, kl_coef=0.1,
                          temperature=1.0, clip_low=0.02, clip_high=0.02)
    opt = optax.adam(1e-2)
    update = jax.jit(grpo.make_update_fn(apply_logp, opt, cfg))
    key = jax.random.PRNGKey(0)
    p_ep, _, m_ep = update(params, opt.init(params), batch, key)
    p_dec, _, m_dec = update(params, opt.init(params), grpo.compact_decisions(batch, 10, agg),
                             key)
    assert set(m_ep) == set(m_dec)
    assert 0.0 < float(m_ep["clip_frac"]) < 1.0 and float(m_ep["kl"]) > 0
    for k in m_ep:
        np.testing.assert_allclose(m_dec[k], m_ep[k], rtol=1e-5, atol=1e-7, err_msg=k)
    for a, b in zip(jax.tree.leaves(p_ep), jax.tree.leaves(p_dec)):
        np.testing.assert_allclose(b, a, rtol=1e-5, atol=1e-7)
    moved = max(float(jnp.abs(a - b).max()) for a, b in
                zip(jax.tree.leaves(p_ep), jax.tree.leaves(params)))
    assert moved > 1e-3
    if agg == "seq_mean":  # weighting each decision as its own episode would be wrong
        per_decision = grpo.compact_decisions(batch, 10, agg)
        per_decision["weight"] = grpo.token_weights(
            jnp.broadcast_to(per_decision["mask"][..., None], per_decision["logp_old"].shape),
            agg)
        _, _, m_bad = update(params, opt.init(params), per_decision, key)
        assert abs(float(m_bad["pg_loss"]) - float(m_ep["pg_loss"])) > 1e-3




def test_unrolled_update_equals_scanned():
    """2 epochs x 2 shuffled minibatches: the straight-line update (the CPU default) and the
    ``lax.scan`` one (accelerators) take the same steps."""
    params, batch, apply_logp = _early_end_batch()
    cfg = grpo.GRPOConfig(update_epochs=2, num_minibatches=2, temperature=1.0, kl_coef=0.1)
    opt = optax.adam(1e-2)
    out = [jax.jit(grpo.make_update_fn(apply_logp, opt, cfg, unroll=u))(
        params, opt.init(params), batch, jax.random.PRNGKey(3)) for u in (False, True)]
    (p_scan, _, m_scan), (p_unr, _, m_unr) = out
    for k in m_scan:
        np.testing.assert_allclose(m_unr[k], m_scan[k], rtol=1e-5, atol=1e-7, err_msg=k)
    for a, b in zip(jax.tree.leaves(p_scan), jax.tree.leaves(p_unr)):
        np.testing.assert_allclose(b, a, rtol=1e-5, atol=1e-6)
    assert max(float(jnp.abs(a - b).max()) for a, b in
               zip(jax.tree.leaves(p_unr), jax.tree.leaves(params))) > 1e-3


def _run_toy(iters: int, seed: int = 0):
    cfg = grpo.GRPOConfig(group_size=G, num_minibatches=2, update_epochs=2)
    init, train_step = make_train_step(cfg)
    step = jax.jit(train_step)
    key = jax.random.PRNGKey(seed)
    key, k0 = jax.random.split(key)
    state = init(k0)
    hist = []
    for _ in range(iters):
        key, k = jax.random.split(key)
        state, m = step(state, k)
        hist.append(jax.device_get(m))
    return hist


def test_toy_grpo_reward_rises():
    hist = _run_toy(iters=80)
    rewards = np.array([h["reward"] for h in hist])
    for h in hist:
        assert all(np.isfinite(v) for v in h.values())
    start, end = rewards[:5].mean(), rewards[-10:].mean()
    assert start < 0.6  # chance level (~0.44)
    assert end > 0.8 and end - start > 0.3
    assert abs(hist[0]["ratio_first"] - 1.0) < 1e-5  # first minibatch step is on-policy
