"""Tests for smoothvla_jax.rl.rewards (binary / hybrid jerk rewards)."""
# ruff: noqa: I001  (smoothvla_jax must be imported before jax: it sets XLA flags)

from __future__ import annotations

import functools

import smoothvla_jax  # noqa: F401  (sets XLA flags before jax import)

import jax
import jax.numpy as jnp
import ml_collections
import numpy as np
import pytest

from smoothvla_jax.rl.rewards import (
    RewardConfig,
    binary_reward,
    compute_reward,
    jerk_cost,
    smoothness_score,
)

DT = 0.05
T = 48
SIGMAS = np.array([0.0, 1e-4, 3e-4, 1e-3, 3e-3, 1e-2])  # increasing jitter (m)
G = len(SIGMAS)
NORMS = ("dimensionless", "ldlj", "msj_scale")
SIGNALS = ("ee", "action", "both")


def make_group(seed: int = 0):
    """A group of G episodes: one min-jerk reach with increasing noise (same noise pattern).

    Returns ee_pos [G, T, 3], actions [G, T, 7], mask [G, T] (all valid).
    """
    tau = np.linspace(0, 1, T)
    s = 10 * tau**3 - 15 * tau**4 + 6 * tau**5
    base = np.array([0.3, -0.1, 0.25]) + 0.25 * s[:, None] * np.array([0.6, 0.8, 0.0])
    noise = np.random.default_rng(seed).standard_normal((T, 3))
    ee = base[None] + SIGMAS[:, None, None] * noise[None]
    vel = np.gradient(ee, DT, axis=1)
    act = np.zeros((G, T, 7))
    act[..., :3] = np.clip(vel / np.abs(vel[0]).max(), -1, 1)
    act[..., 6] = np.where(np.arange(T) < T // 2, -1.0, 1.0)  # gripper closes mid-episode
    return ee.astype(np.float32), act.astype(np.float32), np.ones((G, T), np.float32)


def cfg_for(norm: str, signal: str, **kw) -> RewardConfig:
    # msj scales chosen so the noise levels are not all clipped to 1.
    return RewardConfig(
        normalization=norm, signal=signal, jerk_scale=1e6, action_jerk_scale=1e9, **kw
    )


def test_binary_reward():
    success = np.array([True, False, True])
    r = compute_reward(success, None, None, np.ones((3, T)), DT, RewardConfig(kind="binary"))
    assert r.dtype == jnp.float32
    np.testing.assert_array_equal(np.asarray(r), [1.0, 0.0, 1.0])
    np.testing.assert_array_equal(np.asarray(binary_reward(np.array([0, 1]))), [0.0, 1.0])


@pytest.mark.parametrize("norm", NORMS)
@pytest.mark.parametrize("signal", SIGNALS)
def test_multiplicative_monotone_and_bounded(norm, signal):
    ee, act, mask = make_group()
    lam = 0.2
    cfg = cfg_for(norm, signal, lam=lam)
    j = np.asarray(jerk_cost(ee, act, mask, DT, cfg))
    assert j.shape == (G,) and np.all(j >= 0) and np.all(j <= 1)
    r_succ = np.asarray(compute_reward(np.ones(G), ee, act, mask, DT, cfg))
    r_fail = np.asarray(compute_reward(np.zeros(G), ee, act, mask, DT, cfg))
    np.testing.assert_array_equal(r_fail, 0.0)  # failures get 0 whatever the jerk
    assert np.all(np.diff(r_succ) < 0), r_succ  # more jerk -> strictly lower reward
    assert np.all(r_succ >= 1 - lam) and np.all(r_succ <= 1)
    assert r_succ.dtype == np.float32


def test_multiplicative_bounds_hold_for_extreme_jerk():
    ee, act, mask = make_group()
    wild = np.random.default_rng(3).uniform(-1, 1, ee.shape).astype(np.float32)
    for norm in NORMS:
        cfg = RewardConfig(normalization=norm, signal="both", lam=0.3, jerk_scale=1.0)
        j = np.asarray(jerk_cost(wild, act, mask, DT, cfg))
        assert np.all((j >= 0) & (j <= 1)) and np.all(np.isfinite(j))
        r = np.asarray(compute_reward(np.ones(G), wild, act, mask, DT, cfg))
        assert np.all(r >= 0.7 - 1e-6) and np.all(r <= 1.0)
    # without clipping the msj cost is unbounded
    cfg = RewardConfig(normalization="msj_scale", jerk_scale=1.0, clip=False, lam=0.3)
    assert np.all(np.asarray(jerk_cost(wild, None, mask, DT, cfg)) > 1.0)


def test_min_jerk_cost_value_and_score():
    ee, act, mask = make_group()
    cfg = RewardConfig()  # dimensionless, ee, temperature 10
    # min-jerk DJ = 720 -> J = 1 - 2^(-1/10)
    j0 = float(jerk_cost(ee[0], None, mask[0], DT, cfg))
    assert j0 == pytest.approx(1 - 2 ** (-0.1), abs=0.01)
    s = np.asarray(smoothness_score(ee, act, mask, DT, cfg))
    np.testing.assert_allclose(s, 1 - np.asarray(jerk_cost(ee, act, mask, DT, cfg)), atol=1e-7)


@pytest.mark.parametrize("norm", NORMS)
def test_additive(norm):
    ee, act, mask = make_group()
    lam = 0.5
    cfg = cfg_for(norm, "ee", form="additive", lam=lam)
    s = np.asarray(smoothness_score(ee, act, mask, DT, cfg))
    success = np.array([1, 0, 1, 0, 1, 0], np.float32)
    r = np.asarray(compute_reward(success, ee, act, mask, DT, cfg))
    np.testing.assert_allclose(r, success + lam * s, rtol=1e-6)
    assert np.all(r[success == 0] <= lam) and np.all(r[success == 0] >= 0)
    assert np.all(r[success == 1] >= 1) and np.all(r[success == 1] <= 1 + lam)
    r_all = np.asarray(compute_reward(np.ones(G), ee, act, mask, DT, cfg))
    assert np.all(np.diff(r_all) < 0)


@pytest.mark.parametrize("norm", NORMS)
def test_mask_excludes_post_done_steps(norm):
    ee, act, mask = make_group()
    n = 36
    rng = np.random.default_rng(7)
    ee_g, act_g = ee.copy(), act.copy()
    ee_g[:, n:] = rng.uniform(-5, 5, ee_g[:, n:].shape)  # garbage after done
    act_g[:, n:] = rng.uniform(-1, 1, act_g[:, n:].shape)
    m = np.broadcast_to((np.arange(T) < n).astype(np.float32), (G, T))
    cfg = cfg_for(norm, "both")
    r_masked = np.asarray(compute_reward(np.ones(G), ee_g, act_g, m, DT, cfg))
    r_trunc = np.asarray(compute_reward(np.ones(G), ee[:, :n], act[:, :n], m[:, :n], DT, cfg))
    np.testing.assert_allclose(r_masked, r_trunc, rtol=1e-5)
    r_unmasked = np.asarray(compute_reward(np.ones(G), ee_g, act_g, mask, DT, cfg))
    assert not np.allclose(r_unmasked, r_trunc)


def test_gripper_excluded_by_default():
    ee, act, mask = make_group()
    cfg = cfg_for("msj_scale", "action")
    j = np.asarray(jerk_cost(ee, act, mask, DT, cfg))
    j_g = np.asarray(
        jerk_cost(ee, act, mask, DT, cfg_for("msj_scale", "action", include_gripper=True))
    )
    assert j_g[0] > j[0]  # the gripper toggle adds jerk only when included


@pytest.mark.parametrize(
    "kwargs, field",
    [
        ({"kind": "dense"}, "kind"),
        ({"form": "exp"}, "form"),
        ({"signal": "joint"}, "signal"),
        ({"normalization": "max"}, "normalization"),
        ({"lam": -0.1}, "lam"),
        ({"lam": 1.5}, "lam"),
        ({"jerk_scale": 0.0}, "jerk_scale"),
        ({"temperature": -1.0}, "temperature"),
        ({"clip": "yes"}, "clip"),
    ],
)
def test_invalid_config_raises_naming_field(kwargs, field):
    with pytest.raises(ValueError, match=field):
        RewardConfig(**kwargs)


def test_from_config():
    cd = ml_collections.ConfigDict(
        {"kind": "smooth", "form": "additive", "lam": 1, "signal": "both", "normalization": "ldlj"}
    )
    cfg = RewardConfig.from_config(cd)
    assert cfg.form == "additive" and cfg.lam == 1.0 and cfg.signal == "both"
    assert cfg.clip is True  # default kept
    assert RewardConfig.from_config(cfg.to_dict()) == cfg
    with pytest.raises(ValueError, match="lamda"):
        RewardConfig.from_config({"lamda": 0.1})
    with pytest.raises(ValueError, match="normalization"):
        RewardConfig.from_config(ml_collections.ConfigDict({"normalization": "nope"}))
    # additive allows lam > 1
    assert RewardConfig(form="additive", lam=2.0).lam == 2.0


def test_missing_signal_input_raises():
    with pytest.raises(ValueError, match="actions"):
        jerk_cost(np.zeros((T, 3)), None, np.ones(T), DT, RewardConfig(signal="action"))


@pytest.mark.parametrize("norm", NORMS)
def test_jit_and_vmap(norm):
    ee, act, mask = make_group()
    success = np.array([1, 1, 0, 1, 0, 1], np.float32)
    cfg = cfg_for(norm, "both")
    eager = np.asarray(compute_reward(success, ee, act, mask, DT, cfg))
    jitted = jax.jit(functools.partial(compute_reward, dt=DT, cfg=cfg))
    np.testing.assert_allclose(np.asarray(jitted(success, ee, act, mask)), eager, rtol=1e-5)
    static = jax.jit(compute_reward, static_argnames="cfg")  # frozen config is hashable
    np.testing.assert_allclose(
        np.asarray(static(success, ee, act, mask, jnp.float32(DT), cfg=cfg)), eager, rtol=1e-5
    )
    per_ep = jax.vmap(lambda s, e, a, m: compute_reward(s, e, a, m, DT, cfg))
    np.testing.assert_allclose(np.asarray(per_ep(success, ee, act, mask)), eager, rtol=1e-5)
    # extra leading dims: [2, G]
    two = np.asarray(
        jitted(
            np.stack([success] * 2), np.stack([ee] * 2), np.stack([act] * 2), np.stack([mask] * 2)
        )
    )
    assert two.shape == (2, G)
    np.testing.assert_allclose(two[1], eager, rtol=1e-5)


def test_log_msj_normalisation_is_linear_in_log_msj_between_anchors():
    """"log_msj": J_norm = clip((ln MSJ - lo) / (hi - lo), 0, 1), MSJ computed by hand."""
    ee, act, mask = make_group()
    jerk = np.diff(ee.astype(np.float64), n=3, axis=1) / DT**3
    log_msj = np.log((jerk**2).sum(-1).mean(-1))                       # [G], by hand
    lo, hi = float(log_msj[2]), float(log_msj[4])
    cfg = RewardConfig(normalization="log_msj", log_msj_low=lo, log_msj_high=hi, lam=1.0)
    want = np.clip((log_msj - lo) / (hi - lo), 0, 1)
    got = np.asarray(jerk_cost(ee, act, mask, DT, cfg))
    np.testing.assert_allclose(got, want, atol=2e-4)
    assert got[2] == pytest.approx(0, abs=2e-4) and got[4] == pytest.approx(1, abs=2e-4)
    assert 0 < got[3] < 1 and got[5] == 1.0 and got[0] == 0.0           # clipped outside
    r = np.asarray(compute_reward(np.ones(G), ee, act, mask, DT, cfg))
    np.testing.assert_allclose(r, 1 - got, atol=1e-6)  # lam = 1: the jerk term spans [0, 1]
    with pytest.raises(ValueError, match="log_msj_high > log_msj_low"):
        RewardConfig(normalization="log_msj")
    with pytest.raises(ValueError, match="signal='ee'"):
        RewardConfig(normalization="log_msj", log_msj_low=0, log_msj_high=1, signal="action")
