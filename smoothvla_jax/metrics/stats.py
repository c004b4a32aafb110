"""Paired statistics of the experiments (NumPy / SciPy, host side).

The experiment (:mod:`smoothvla_jax.experiment`) trains the binary-reward and the SmoothVLA arm
in pairs: seed ``s`` of both arms shares the SFT start, the prompts and the first iteration's
samples, so the unit of analysis is the per-seed difference ``d_s = smooth_s - binary_s``.

* :func:`paired_t`: mean of ``d``, its Student-t interval and the two-sided p-value of
  ``H0: mean d = 0`` (the same numbers as ``scipy.stats.ttest_rel(a, b)``).
* :func:`log_ratio_effect`: ``d_s`` = differences of mean ``ln MSJ``; the effect as a percent
  change of MSJ, ``exp(mean d) - 1`` (a geometric-mean ratio), with the interval
  ``exp(ci) - 1``: -0.138 = "13.8% smoother".
* :func:`noninferiority_paired`: success of the new arm not worse than the reference by more
  than ``margin`` on paired per-state outcomes (the Agresti-Min adjusted Wald interval for a
  difference of paired proportions: +0.5 to every cell of the 2x2 table, which stays defined
  when every pair agrees).
* :func:`paired_t_power` / :func:`pairs_for_power`: power of the two-sided paired t test for a
  true mean difference ``effect`` and a (pilot) SD of the differences, from the noncentral t
  distribution; the fewest pairs reaching a target power.
* :func:`mcnemar_exact`: exact McNemar test of two policies' 0/1 outcomes on the same states.
* :func:`success_gain`: the gain of GRPO policies (seeds) over their start in success on the same
  states, each policy evaluated with one or more sampling seeds: mean paired difference, a
  bootstrap interval over states and a t interval over seeds (RESULTS.md section 4).

Bad input (fewer than 2 pairs, zero variance, NaN, mismatched shapes) raises
:class:`StatsError` (a ``ValueError``) with one line naming the problem and the fix.
"""

from __future__ import annotations

import math
from typing import Any

import numpy as np


class StatsError(ValueError):
    """The data cannot give the requested statistic (too few pairs, no variance, NaN)."""


def _check_level(name: str, value: float) -> float:
    if not 0.0 < float(value) < 1.0:
        raise StatsError(f"{name} must be in (0, 1), got {value}")
    return float(value)


def _outcomes(x: Any, what: str) -> np.ndarray:
    """0/1 successes as float64 with the last axis = states; raises on other values."""
    a = np.asarray(x, np.float64)
    if a.size == 0 or not np.isin(a, (0.0, 1.0)).all():
        raise StatsError(f"{what}: outcomes must be a non-empty array of 0/1 successes")
    return a


def _discordant(new: Any, ref: Any, what: str) -> tuple[int, int, int]:
    """``(n, up, down)`` of paired 0/1 outcomes (flattened to ``[n]``): ``up`` = pairs only
    ``new`` succeeds on, ``down`` = pairs only ``ref`` succeeds on."""
    x = np.asarray(new, np.float64).reshape(-1)
    y = np.asarray(ref, np.float64).reshape(-1)
    if x.shape != y.shape:
        raise StatsError(f"{what}: {x.size} and {y.size} outcomes; pass one outcome per paired "
                         f"state for both, the same states in the same order")
    if x.size == 0:
        raise StatsError(f"{what}: no paired outcomes; evaluate both first")
    x, y = _outcomes(x, what), _outcomes(y, what)
    return int(x.size), int(np.sum((x == 1) & (y == 0))), int(np.sum((x == 0) & (y == 1)))


def _pairs(a: Any, b: Any | None, what: str) -> np.ndarray:
    """Differences ``a - b`` (or ``a`` itself when ``b`` is None) as a float64 vector ``[n]``."""
    x = np.asarray(a, np.float64).reshape(-1)
    if b is not None:
        y = np.asarray(b, np.float64).reshape(-1)
        if x.shape != y.shape:
            raise StatsError(f"{what}: the two arms have {x.size} and {y.size} values; pass one "
                             f"value per pair (seed) in the same order for both")
        x = x - y
    if not np.all(np.isfinite(x)):
        raise StatsError(f"{what}: non-finite paired difference(s) at index "
                         f"{np.flatnonzero(~np.isfinite(x)).tolist()}; drop or fix those pairs")
    return x


def paired_t(a: Any, b: Any | None = None, confidence: float = 0.95) -> dict[str, float]:
    """Paired Student-t analysis of ``d = a - b`` (``b=None``: ``a`` already holds ``d``).

    Args:
      a, b: ``[n]`` per-pair values of the two arms (same order), or ``a`` = differences.
      confidence: level of the two-sided interval of the mean difference.

    Returns:
      ``dict(mean, sd, n, se, t, df, p, ci_low, ci_high)``: ``sd`` with ddof=1,
      ``t = mean / (sd / sqrt(n))``, ``p`` two-sided, interval
      ``mean +- t_{(1+c)/2, n-1} se``.

    Raises:
      StatsError: ``n < 2`` (no variance estimate) or all differences equal (``sd = 0``: the
      t statistic is undefined).
    """
    from scipy import stats

    c = _check_level("confidence", confidence)
    d = _pairs(a, b, "paired t")
    n = int(d.size)
    if n < 2:
        raise StatsError(f"paired t needs at least 2 pairs, got {n}; run more seeds")
    mean, sd = float(d.mean()), float(d.std(ddof=1))
    if sd == 0.0:
        raise StatsError(f"paired t: all {n} differences equal {mean:g} (zero variance), so the "
                         f"t interval and p-value are undefined; check that the arms differ")
    se = sd / math.sqrt(n)
    t = mean / se
    half = float(stats.t.ppf(0.5 + c / 2.0, n - 1)) * se
    p = float(2.0 * stats.t.sf(abs(t), n - 1))
    return {"mean": mean, "sd": sd, "n": n, "se": se, "t": t, "df": n - 1, "p": p,
            "ci_low": mean - half, "ci_high": mean + half}


def log_ratio_effect(a: Any, b: Any | None = None, confidence: float = 0.95) -> dict[str, float]:
    """Effect on a log-scale endpoint as a relative change of the original quantity.

    ``a``, ``b``: per-pair values of ``mean ln MSJ`` (or ``d = a - b`` when ``b`` is None).
    Returns :func:`paired_t`'s dict plus ``effect = exp(mean d) - 1`` and its interval
    ``effect_low = exp(ci_low) - 1``, ``effect_high = exp(ci_high) - 1`` (-0.138 = 13.8% lower
    MSJ in the geometric mean).
    """
    r = paired_t(a, b, confidence)
    return r | {"effect": math.expm1(r["mean"]), "effect_low": math.expm1(r["ci_low"]),
                "effect_high": math.expm1(r["ci_high"])}


def noninferiority_paired(new: Any, ref: Any, margin: float = 0.05,
                          alpha: float = 0.05) -> dict[str, float]:
    """Non-inferiority of the success rate of ``new`` vs ``ref`` on paired outcomes.

    ``H0: p_new - p_ref <= -margin`` vs ``H1: p_new - p_ref > -margin``, one-sided at ``alpha``,
    with the Agresti-Min (2005) adjusted Wald statistic for paired proportions: with ``b`` pairs
    where only ``new`` succeeds, ``c`` where only ``ref`` succeeds, ``n`` pairs,
    ``diff_adj = (b - c) / (n + 2)``, ``se = sqrt((b' + c') - (b' - c')^2 / (n + 2)) / (n + 2)``
    with ``b' = b + 0.5``, ``c' = c + 0.5``.

    Args:
      new, ref: ``[n]`` 0/1 outcomes, pair ``i`` = the same initial state (and seed).
      margin: non-inferiority margin as a proportion (0.05 = 5 points).
      alpha: one-sided level; the reported interval is two-sided at ``1 - 2 alpha``.

    Returns:
      ``dict(diff, diff_adj, se, ci_low, ci_high, z, p, noninferior, n, b, c)``: ``diff`` the
      raw difference of success rates, ``p`` the one-sided p-value, ``noninferior`` (1.0/0.0)
      = ``ci_low > -margin`` (equivalently ``p < alpha``).
    """
    from scipy import stats

    _check_level("alpha", alpha)
    if not 0.0 <= float(margin) < 1.0:
        raise StatsError(f"margin must be in [0, 1) (a proportion: 0.05 = 5 points), got {margin}")
    n, up, down = _discordant(new, ref, "non-inferiority")
    b, c = float(up), float(down)
    m = n + 2.0
    bb, cc = b + 0.5, c + 0.5
    diff_adj = (bb - cc) / m
    se = math.sqrt((bb + cc) - (bb - cc) ** 2 / m) / m
    zc = float(stats.norm.ppf(1.0 - alpha))
    z = (diff_adj + margin) / se
    lo = diff_adj - zc * se
    return {"diff": (b - c) / n, "diff_adj": diff_adj, "se": se, "ci_low": lo,
            "ci_high": diff_adj + zc * se, "z": z, "p": float(stats.norm.sf(z)),
            "noninferior": float(lo > -margin), "n": n, "b": b, "c": c, "margin": float(margin)}


def paired_t_power(effect: float, sd: float, n: int, alpha: float = 0.05) -> float:
    """Power of the two-sided paired t test at level ``alpha`` with ``n`` pairs.

    ``effect``: true mean difference; ``sd``: SD of the differences (e.g. the pilot's). With
    ``df = n - 1``, noncentrality ``nc = effect / sd * sqrt(n)`` and ``t_c = t_{1-alpha/2, df}``:
    ``power = P(T' > t_c) + P(T' < -t_c)``, ``T' ~ nct(df, nc)``.
    """
    from scipy import stats

    _check_level("alpha", alpha)
    if int(n) < 2:
        raise StatsError(f"power needs n >= 2 pairs (a t test with n - 1 = {int(n) - 1} degrees "
                         f"of freedom is undefined), got {n}")
    if not (math.isfinite(sd) and sd > 0):
        raise StatsError(f"power needs a positive, finite SD of the paired differences, got {sd}; "
                         f"estimate it from a pilot with >= 2 pairs")
    if not math.isfinite(effect):
        raise StatsError(f"effect must be finite, got {effect}")
    df = int(n) - 1
    nc = float(effect) / float(sd) * math.sqrt(int(n))
    tc = float(stats.t.ppf(1.0 - alpha / 2.0, df))
    return float(stats.nct.sf(tc, df, nc) + stats.nct.cdf(-tc, df, nc))


def pairs_for_power(effect: float, sd: float, power: float = 0.8, alpha: float = 0.05,
                    min_n: int = 2, max_n: int = 100_000) -> int:
    """Fewest pairs ``n >= min_n`` with :func:`paired_t_power` ``>= power``."""
    _check_level("power", power)
    if effect == 0:
        raise StatsError("effect = 0: no number of pairs gives power above alpha; give the "
                         "smallest effect worth detecting (e.g. ln(1 - 0.138))")
    lo = max(int(min_n), 2)
    if paired_t_power(effect, sd, lo, alpha) >= power:
        return lo
    hi = lo
    while paired_t_power(effect, sd, hi, alpha) < power:
        if hi >= max_n:
            raise StatsError(f"more than {max_n} pairs would be needed for power {power} "
                             f"(effect {effect:g}, SD {sd:g})")
        hi = min(hi * 2, max_n)
    while hi - lo > 1:  # power increases with n: bisect to the first n that reaches it
        mid = (lo + hi) // 2
        if paired_t_power(effect, sd, mid, alpha) >= power:
            hi = mid
        else:
            lo = mid
    return hi


def mcnemar_exact(new: Any, ref: Any) -> dict[str, float]:
    """Exact (binomial) McNemar test of ``new`` vs ``ref`` on paired 0/1 outcomes ``[n]``.

    ``up`` = states only ``new`` solves, ``down`` = states only ``ref`` solves; under H0 each
    discordant state is ``up`` with probability 1/2, so the two-sided
    ``p = min(1, 2 * P(Bin(up + down, 1/2) <= min(up, down)))`` (``p = 1`` with no discordant
    state). Returns ``dict(up, down, n, p)``.
    """
    from scipy import stats

    n, up, down = _discordant(new, ref, "McNemar")
    k = up + down
    p = 1.0 if k == 0 else min(1.0, 2.0 * float(stats.binom.cdf(min(up, down), k, 0.5)))
    return {"up": float(up), "down": float(down), "n": float(n), "p": p}


def success_gain(base: Any, policies: Any, confidence: float = 0.95, n_boot: int = 10_000,
                 seed: int = 0) -> dict[str, Any]:
    """Gain in success of ``K`` trained policies (training seeds) over their start, paired by state.

    Args:
      base: ``[S_b, N]`` 0/1 outcomes of the start on ``N`` states, one row per sampling seed
        (``[N]`` = one sampling seed, e.g. greedy).
      policies: ``[K, S_p, N]`` outcomes of ``K`` policies, ``S_p`` sampling seeds each
        (``[K, N]`` = one sampling seed).
      confidence: level of both two-sided intervals.
      n_boot: bootstrap resamples of the states (percentile interval), drawn with ``seed``.

    Returns:
      ``dict(base, policy [K], gain [K], mean, boot_low, boot_high, t_low, t_high, n_states,
      n_seeds, mcnemar [K])``, rates as fractions: ``gain[k]`` = policy ``k``'s success minus the
      start's (each averaged over its sampling seeds and the states); ``mean`` = mean of
      ``gain``; the bootstrap interval resamples the states of the per-state difference
      ``mean_{k,s} policies[k, s, i] - mean_s base[s, i]``; the t interval is over the ``K``
      gains (``None`` when ``K < 2`` or all gains are equal); ``mcnemar[k]`` compares the first
      sampling seed of policy ``k`` with the first of the start (:func:`mcnemar_exact`).
    """
    c = _check_level("confidence", confidence)
    b = _outcomes(base, "success gain (base)")
    p = _outcomes(policies, "success gain (policies)")
    b = b[None] if b.ndim == 1 else b
    p = p[:, None] if p.ndim == 2 else p
    if b.ndim != 2 or p.ndim != 3 or b.shape[-1] != p.shape[-1]:
        raise StatsError(f"success gain: base {b.shape} and policies {p.shape} do not match; "
                         f"pass base [sampling seeds, states] and policies [seeds, sampling "
                         f"seeds, states] over the same states")
    if int(n_boot) < 100:
        raise StatsError(f"n_boot = {n_boot} is too few resamples for a percentile interval; "
                         f"use >= 1000")
    per_state = p.mean(axis=(0, 1)) - b.mean(axis=0)                     # [N]
    n = per_state.size
    rng = np.random.default_rng(seed)
    boot = per_state[rng.integers(0, n, size=(int(n_boot), n))].mean(axis=1)
    lo, hi = np.quantile(boot, [0.5 - c / 2.0, 0.5 + c / 2.0])
    gain = p.mean(axis=(1, 2)) - b.mean()                                 # [K]
    t_low = t_high = None
    if gain.size >= 2 and np.ptp(gain) > 0:
        r = paired_t(gain, confidence=c)
        t_low, t_high = r["ci_low"], r["ci_high"]
    return {"base": float(b.mean()), "policy": p.mean(axis=(1, 2)).tolist(),
            "gain": gain.tolist(), "mean": float(gain.mean()), "boot_low": float(lo),
            "boot_high": float(hi), "t_low": t_low, "t_high": t_high, "n_states": int(n),
            "n_seeds": int(p.shape[0]), "mcnemar": [mcnemar_exact(q[0], b[0]) for q in p]}


__all__ = ["StatsError", "log_ratio_effect", "mcnemar_exact", "noninferiority_paired",
           "paired_t", "paired_t_power", "pairs_for_power", "success_gain"]
