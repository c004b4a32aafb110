"""Paired statistics of the powered experiment against SciPy, hand-computed values and a
Monte Carlo check (pure NumPy/SciPy, fast)."""

from __future__ import annotations

import math

import numpy as np
import pytest
from scipy import stats as sps

from smoothvla_jax.metrics import stats

A = np.array([-10.2, -9.8, -11.0, -10.5, -9.9, -10.7])
B = np.array([-10.0, -9.9, -10.6, -10.1, -9.6, -10.3])


def test_paired_t_matches_scipy_ttest_rel():
    r = stats.paired_t(A, B)
    ref = sps.ttest_rel(A, B)
    ci = ref.confidence_interval(0.95)
    assert r["n"] == 6 and r["df"] == 5
    np.testing.assert_allclose([r["t"], r["p"], r["ci_low"], r["ci_high"]],
                               [ref.statistic, ref.pvalue, ci.low, ci.high], rtol=1e-10)
    # differences passed directly give the same result; the order of the arms flips the sign
    assert stats.paired_t(A - B)["p"] == pytest.approx(r["p"])
    assert stats.paired_t(B, A)["mean"] == pytest.approx(-r["mean"])


def test_paired_t_hand_values():
    # d = [1, 2, 3]: mean 2, sd 1, se 1/sqrt(3), t = 2 sqrt(3), t_{0.975, 2} = 4.302653
    r = stats.paired_t([1.0, 2.0, 3.0])
    assert r["t"] == pytest.approx(2 * math.sqrt(3))
    assert r["ci_low"] == pytest.approx(2 - 4.302653 / math.sqrt(3), rel=1e-6)
    assert r["ci_high"] == pytest.approx(2 + 4.302653 / math.sqrt(3), rel=1e-6)


def test_log_ratio_effect_is_geometric_mean_ratio():
    r = stats.log_ratio_effect(A, B)
    # exp(mean ln a - mean ln b) - 1 = ratio of geometric means - 1
    gm = np.exp(A).prod() ** (1 / 6) / np.exp(B).prod() ** (1 / 6)
    assert r["effect"] == pytest.approx(gm - 1, rel=1e-9)
    assert r["effect_low"] == pytest.approx(math.exp(r["ci_low"]) - 1)
    assert r["effect_low"] < r["effect"] < r["effect_high"]
    # a 13.8% MSJ reduction on every pair
    d = np.log(1 - 0.138) + np.array([-0.01, 0.0, 0.01])
    assert stats.log_ratio_effect(d)["effect"] == pytest.approx(-0.138, abs=1e-12)


@pytest.mark.parametrize("a,b,match", [
    ([1.0], [0.5], "at least 2 pairs"),
    ([1.0, 2.0], [0.0, 1.0], "zero variance"),
    ([1.0, 2.0, 3.0], [1.0, 2.0], "one value per pair"),
    ([1.0, float("nan"), 3.0], None, "non-finite"),
])
def test_paired_t_bad_input_one_line_errors(a, b, match):
    with pytest.raises(stats.StatsError, match=match) as e:
        stats.paired_t(a, b)
    assert "\n" not in str(e.value)


def test_noninferiority_hand_values():
    # 20 paired states: new-only successes b = 3, ref-only c = 1, 16 concordant.
    new = np.array([1, 1, 1, 0] + [1] * 10 + [0] * 6)
    ref = np.array([0, 0, 0, 1] + [1] * 10 + [0] * 6)
    r = stats.noninferiority_paired(new, ref, margin=0.05)
    # Agresti-Min by hand: b' = 3.5, c' = 1.5, n' = 22
    diff = 2 / 22
    se = math.sqrt(5 - 4 / 22) / 22
    z = (diff + 0.05) / se
    assert (r["b"], r["c"], r["n"]) == (3, 1, 20) and r["diff"] == pytest.approx(0.1)
    assert r["diff_adj"] == pytest.approx(diff) and r["se"] == pytest.approx(se)
    assert r["z"] == pytest.approx(z) and r["p"] == pytest.approx(0.5 * math.erfc(z / 2 ** .5))
    assert r["ci_low"] == pytest.approx(diff - 1.6448536 * se, rel=1e-6)
    assert r["noninferior"] == 0.0  # lower bound -0.073 < -0.05 with only 20 pairs
    # 400 pairs with the same proportions: non-inferior
    big = stats.noninferiority_paired(np.tile(new, 20), np.tile(ref, 20), margin=0.05)
    assert big["noninferior"] == 1.0 and big["p"] < 0.05 and big["ci_low"] > -0.05


def test_noninferiority_all_pairs_agree_is_defined():
    r = stats.noninferiority_paired(np.ones(50), np.ones(50), margin=0.05)
    assert r["diff"] == 0.0 and r["se"] > 0 and math.isfinite(r["p"])
    with pytest.raises(stats.StatsError, match="0/1"):
        stats.noninferiority_paired([0.5, 1.0], [1.0, 1.0])
    with pytest.raises(stats.StatsError, match="margin"):
        stats.noninferiority_paired([1.0], [1.0], margin=5)


def test_power_matches_gpower_and_monte_carlo():
    # G*Power, one-sample/paired t, d = 0.5, alpha 0.05 two-sided: n = 34 for power 0.8
    # (actual power 0.8078); d = 0.8: n = 15 (0.8213)
    assert stats.pairs_for_power(0.5, 1.0) == 34
    assert stats.paired_t_power(0.5, 1.0, 34) == pytest.approx(0.8078, abs=5e-4)
    assert stats.pairs_for_power(-0.8, 1.0) == 15
    assert stats.paired_t_power(0.8, 1.0, 15) == pytest.approx(0.8213, abs=5e-4)
    # Monte Carlo: 6 pairs, effect = sd
    rng = np.random.default_rng(0)
    d = rng.normal(1.0, 1.0, (40_000, 6))
    t = d.mean(1) / (d.std(1, ddof=1) / math.sqrt(6))
    mc = np.mean(np.abs(t) > sps.t.ppf(0.975, 5))
    assert stats.paired_t_power(1.0, 1.0, 6) == pytest.approx(mc, abs=0.01)
    # the paper's effect on ln MSJ, pilot SD 0.1: a handful of pairs
    n = stats.pairs_for_power(math.log(1 - 0.138), 0.1)
    assert stats.paired_t_power(math.log(1 - 0.138), 0.1, n) >= 0.8
    assert stats.paired_t_power(math.log(1 - 0.138), 0.1, n - 1) < 0.8 or n == 2


@pytest.mark.parametrize("args,match", [
    ((0.5, 1.0, 1), "n >= 2"), ((0.5, 0.0, 6), "positive, finite SD"),
])
def test_power_bad_input(args, match):
    with pytest.raises(stats.StatsError, match=match):
        stats.paired_t_power(*args)
    with pytest.raises(stats.StatsError, match="effect = 0"):
        stats.pairs_for_power(0.0, 1.0)


def test_mcnemar_exact_hand_values():
    # 14 states up, 3 down: p = 2 * P(Bin(17, 1/2) <= 3) = 2 * (1 + 17 + 136 + 680) / 2^17
    new = np.r_[np.ones(14), np.zeros(3), np.ones(20), np.zeros(13)]
    ref = np.r_[np.zeros(14), np.ones(3), np.ones(20), np.zeros(13)]
    r = stats.mcnemar_exact(new, ref)
    assert (r["up"], r["down"], r["n"]) == (14, 3, 50)
    assert r["p"] == pytest.approx(2 * 834 / 2**17)                     # 0.0127
    assert stats.mcnemar_exact(ref, new)["p"] == pytest.approx(r["p"])  # symmetric
    assert stats.mcnemar_exact(new, new)["p"] == 1.0                    # no discordant state
    with pytest.raises(stats.StatsError, match="0/1"):
        stats.mcnemar_exact([0, 2], [0, 1])


def test_success_gain_hand_values():
    # 4 states; start: 2 sampling seeds, success 1/4 and 2/4 -> 0.375
    base = np.array([[1, 0, 0, 0], [1, 1, 0, 0]])
    # 2 policies x 2 sampling seeds: 3/4 and 2/4 -> 0.625; 4/4 and 3/4 -> 0.875
    pol = np.array([[[1, 1, 1, 0], [1, 1, 0, 0]], [[1, 1, 1, 1], [1, 1, 1, 0]]])
    r = stats.success_gain(base, pol, n_boot=2000)
    assert r["base"] == pytest.approx(0.375)
    np.testing.assert_allclose(r["policy"], [0.625, 0.875])
    np.testing.assert_allclose(r["gain"], [0.25, 0.5])
    assert r["mean"] == pytest.approx(0.375)
    # t over the 2 gains: mean 0.375, sd 0.25 / sqrt(2), se 0.125, t_{0.975, 1} = 12.7062
    assert r["t_low"] == pytest.approx(0.375 - 12.7062 * 0.125, rel=1e-4)
    # per-state differences [0, 0.25, 0.75, 0.5]: the bootstrap mean stays within their range
    assert 0.0 <= r["boot_low"] < r["mean"] < r["boot_high"] <= 0.75
    assert (r["n_states"], r["n_seeds"]) == (4, 2)
    assert r["mcnemar"][1]["up"] == 3 and r["mcnemar"][1]["down"] == 0  # seed 1, sampling 0
    # one sampling seed each ([N] and [K, N]) is the same computation
    one = stats.success_gain(base[0], pol[:, 0], n_boot=2000)
    np.testing.assert_allclose(one["gain"], [0.5, 0.75])
    with pytest.raises(stats.StatsError, match="do not match"):
        stats.success_gain(base, pol[..., :3])
