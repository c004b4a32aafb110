"""Paired statistics of the powered experiment (NumPy / SciPy, host side).

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
    x = np.asarray(new, np.float64).reshape(-1)
    y = np.asarray(ref, np.float64).reshape(-1)
    if x.shape != y.shape:
        raise StatsError(f"non-inferiority: {x.size} and {y.size} outcomes; pass one outcome per "
                         f"paired state for both arms")
    if x.size == 0:
        raise StatsError("non-inferiority: no paired outcomes; evaluate both arms first")
    if not (np.isin(x, (0.0, 1.0)).all() and np.isin(y, (0.0, 1.0)).all()):
        raise StatsError("non-inferiority: outcomes must be 0/1 successes")
    n = int(x.size)
    b = float(np.sum((x == 1) & (y == 0)))
    c = float(np.sum((x == 0) & (y == 1)))
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


__all__ = ["StatsError", "log_ratio_effect", "noninferiority_paired", "paired_t",
           "paired_t_power", "pairs_for_power"]
