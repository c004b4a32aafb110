"""Tests for smoothvla_jax.metrics (jerk, dimensionless jerk, LDLJ, SPARC, chunk jumps)."""
# ruff: noqa: I001  (smoothvla_jax must be imported before jax: it sets XLA flags)

from __future__ import annotations

import math

import smoothvla_jax  # noqa: F401  (sets XLA flags before jax import)

import jax
import jax.numpy as jnp
import numpy as np
import pytest

from smoothvla_jax.metrics import (
    chunk_discontinuity,
    dimensionless_jerk,
    episode_length,
    finite_difference_jerk,
    ln_dimensionless_jerk,
    log_dimensionless_jerk,
    mean_squared_jerk,
    path_length,
    smoothness_report,
    sparc,
    speed_from_positions,
    success_interval,
    summarize,
)

DT = 0.05


def min_jerk(n: int, amp: float = 0.3, start=(0.4, -0.1, 0.2), direction=(1.0, 2.0, -0.5)):
    """Minimum-jerk point-to-point path ``[n, 3]`` (float32) and its speed scale."""
    tau = np.linspace(0.0, 1.0, n)
    s = 10 * tau**3 - 15 * tau**4 + 6 * tau**5
    d = np.asarray(direction, np.float64)
    d = d / np.linalg.norm(d)
    return (np.asarray(start)[None] + amp * s[:, None] * d[None]).astype(np.float32)


def add_noise(x: np.ndarray, sigma: float, seed: int = 0) -> np.ndarray:
    rng = np.random.default_rng(seed)
    return (x + sigma * rng.standard_normal(x.shape)).astype(np.float32)


def sparc_reference(movement, fs, padlevel=4, fc=10.0, amp_th=0.05):
    """Plain NumPy transcription of the SPARC algorithm (Balasubramanian et al. 2015)."""
    nfft = int(2 ** (np.ceil(np.log2(len(movement))) + padlevel))
    f = np.arange(0, fs, fs / nfft)
    mf = np.abs(np.fft.fft(movement, nfft))
    mf = mf / mf.max()
    sel = f <= fc
    f_sel, mf_sel = f[sel], mf[sel]
    inx = np.nonzero(mf_sel >= amp_th)[0]
    f_sel, mf_sel = f_sel[inx[0] : inx[-1] + 1], mf_sel[inx[0] : inx[-1] + 1]
    return -np.sum(np.sqrt((np.diff(f_sel) / (f_sel[-1] - f_sel[0])) ** 2 + np.diff(mf_sel) ** 2))


# ------------------------------------------------------------------ finite-difference jerk


def test_jerk_of_cubic_is_exact_and_quadratic_is_zero():
    T = 12
    t = (np.arange(T) * DT)[:, None]
    a = np.array([[2.5, -1.0, 0.3]])
    cubic = (a * t**3 + 0.1).astype(np.float32)
    j = np.asarray(finite_difference_jerk(cubic, DT))
    assert j.shape == (T - 3, 3)
    np.testing.assert_allclose(j, np.broadcast_to(6 * a, j.shape), rtol=1e-4)

    quad = (np.array([[3.0, -2.0, 1.0]]) * t**2 + 0.5 * t).astype(np.float32)
    jq = np.asarray(finite_difference_jerk(quad, DT))
    np.testing.assert_allclose(jq, 0.0, atol=2e-2)  # float32 rounding / dt^3 only


def test_jerk_leading_dims_jit_vmap():
    T = 10
    t = np.arange(T) * DT
    a = np.arange(1, 7, dtype=np.float64).reshape(2, 3, 1, 1)
    x = (a * t[None, None, :, None] ** 3 * np.ones((1, 1, 1, 2))).astype(np.float32)
    j = jax.jit(finite_difference_jerk, static_argnums=1)(x, DT)
    assert j.shape == (2, 3, T - 3, 2)
    np.testing.assert_allclose(np.asarray(j), np.broadcast_to(6 * a, j.shape), rtol=1e-4)
    msj = jax.vmap(lambda xi: mean_squared_jerk(xi, DT))(x)
    assert msj.shape == (2, 3)
    np.testing.assert_allclose(np.asarray(msj), 2 * 36 * a[..., 0, 0] ** 2, rtol=1e-4)


def test_msj_of_cubic():
    t = (np.arange(20) * DT)[:, None]
    a = 1.7
    x = (a * t**3).astype(np.float32)
    assert float(mean_squared_jerk(x, DT)) == pytest.approx(36 * a**2, rel=1e-4)
    a3 = np.array([1.0, -2.0, 0.5])
    x3 = (a3[None] * t**3).astype(np.float32)
    assert float(mean_squared_jerk(x3, DT)) == pytest.approx(36 * np.sum(a3**2), rel=1e-4)


def test_padded_garbage_after_mask_gives_same_metrics():
    n, T = 100, 120  # same FFT length for SPARC (both pad to 2^7 * 16)
    x = add_noise(min_jerk(n), 5e-4)
    rng = np.random.default_rng(1)
    garbage = rng.uniform(-50, 50, size=(T - n, 3)).astype(np.float32)
    xp = np.concatenate([x, garbage], 0)
    mask = (np.arange(T) < n).astype(np.float32)
    acts = np.clip(np.gradient(x, axis=0) / DT, -1, 1).astype(np.float32)
    actsp = np.concatenate([acts, rng.uniform(-1, 1, size=(T - n, 3)).astype(np.float32)], 0)

    def close(a, b):
        np.testing.assert_allclose(np.asarray(a), np.asarray(b), rtol=1e-5, atol=1e-6)

    close(mean_squared_jerk(xp, DT, mask), mean_squared_jerk(x, DT))
    close(dimensionless_jerk(xp, DT, mask), dimensionless_jerk(x, DT))
    close(log_dimensionless_jerk(xp, DT, mask), log_dimensionless_jerk(x, DT))
    close(path_length(xp, mask), path_length(x))
    close(episode_length(mask), n)
    close(speed_from_positions(xp, DT, mask)[:n], speed_from_positions(x, DT))
    assert np.all(np.asarray(speed_from_positions(xp, DT, mask))[n:] == 0)
    close(
        sparc(speed_from_positions(xp, DT, mask), DT, mask),
        sparc(speed_from_positions(x, DT), DT),
    )
    close(chunk_discontinuity(actsp, 8, mask), chunk_discontinuity(acts, 8))
    # bool masks work too
    close(mean_squared_jerk(xp, DT, mask > 0), mean_squared_jerk(x, DT))


def test_general_mask_excludes_samples_touching_invalid_steps():
    t = (np.arange(16) * DT)[:, None]
    x = (2.0 * t**3).astype(np.float32)
    x[7] = 1e3  # an invalid spike in the middle
    mask = np.ones(16, np.float32)
    mask[7] = 0
    # valid jerk windows: t=0..3 (steps 0..6) and t=8..12 (steps 8..15) -> all equal 6a
    assert float(mean_squared_jerk(x, DT, mask)) == pytest.approx(36 * 4.0, rel=1e-4)


# --------------------------------------------------------------- smooth vs noisy (all metrics)


def test_min_jerk_smoother_than_noisy_under_every_metric():
    n = 100
    x = min_jerk(n)
    xn = add_noise(x, 1e-3)
    vel = np.gradient(x.astype(np.float64), DT, axis=0)
    veln = np.gradient(xn.astype(np.float64), DT, axis=0)
    scale = np.abs(vel).max()
    act, actn = (vel / scale).astype(np.float32), (veln / scale).astype(np.float32)

    assert float(mean_squared_jerk(x, DT)) < float(mean_squared_jerk(xn, DT))
    assert float(dimensionless_jerk(x, DT)) < float(dimensionless_jerk(xn, DT))
    assert float(log_dimensionless_jerk(x, DT)) > float(log_dimensionless_jerk(xn, DT))
    s, sn = (float(sparc(speed_from_positions(p, DT), DT)) for p in (x, xn))
    assert s > sn
    assert float(chunk_discontinuity(act, 5)) < float(chunk_discontinuity(actn, 5))


# ------------------------------------------------------------- dimensionless jerk and LDLJ


def test_dimensionless_jerk_invariances_and_min_jerk_value():
    dj = float(dimensionless_jerk(min_jerk(120, amp=0.3), DT))
    dj_small = float(dimensionless_jerk(min_jerk(120, amp=0.03), DT))
    dj_slow = float(dimensionless_jerk(min_jerk(240, amp=0.3), DT))  # 2x duration
    dj_dt = float(dimensionless_jerk(min_jerk(120, amp=0.3), 0.01))
    assert dj_small == pytest.approx(dj, rel=1e-2)  # exact up to float32 storage rounding
    assert dj_dt == pytest.approx(dj, rel=1e-4)
    assert dj_slow == pytest.approx(dj, rel=0.03)
    assert dj == pytest.approx(720.0, rel=0.03)  # analytic continuous value
    # the log form (used by the reward) is the log of the same number, without overflow
    ln_dj = float(ln_dimensionless_jerk(min_jerk(120, amp=0.3), DT))
    assert ln_dj == pytest.approx(math.log(dj), abs=1e-4)
    assert ln_dj == pytest.approx(math.log(720.0), abs=0.03)


def test_ldlj_min_jerk_matches_analytic():
    # int_0^1 (d^3/dtau^3 (10 tau^3 - 15 tau^4 + 6 tau^5))^2 dtau = 720 -> LDLJ = -ln 720
    tau = np.linspace(0, 1, 200001)
    jerk = 60 - 360 * tau + 360 * tau**2
    integral = float(np.sum((jerk[1:] ** 2 + jerk[:-1] ** 2) / 2) * (tau[1] - tau[0]))
    assert integral == pytest.approx(720.0, rel=1e-6)
    analytic = -math.log(integral)
    ldlj = float(log_dimensionless_jerk(min_jerk(200), DT))
    assert ldlj == pytest.approx(analytic, rel=0.05)
    assert ldlj == pytest.approx(analytic, abs=0.02)  # the quadrature is actually much closer


def test_constant_velocity_and_stationary_are_finite():
    t = (np.arange(30) * DT)[:, None]
    line = (0.1 * t * np.ones((1, 3))).astype(np.float32)
    assert float(dimensionless_jerk(line, DT)) < 1.0
    still = np.full((30, 3), 0.3, np.float32)
    for v in (dimensionless_jerk(still, DT), log_dimensionless_jerk(still, DT)):
        assert np.isfinite(float(v))


# ---------------------------------------------------------------------------------- SPARC


def test_sparc_bell_profile_and_reference():
    tau = np.linspace(0, 1, 200)
    bell = (30 * tau**2 * (1 - tau) ** 2).astype(np.float32)
    v = float(sparc(bell, 0.01))
    # The algorithm as specified (adaptive cutoff, amp_th=0.05) gives about -1.40 for the
    # minimum-jerk speed profile; check against an independent NumPy transcription.
    assert v == pytest.approx(sparc_reference(bell.astype(np.float64), 100.0), abs=1e-4)
    assert -1.5 < v < -1.35
    gauss = np.exp(-0.5 * np.linspace(-3, 3, 200) ** 2).astype(np.float32)
    assert -1.6 < float(sparc(gauss, 0.01)) < -1.35
    # Noise, tremor and a second sub-movement make it more negative. (SPARC ignores spectral
    # content below amp_th * DC, so the perturbation must be visible in the spectrum.)
    noisy = np.abs(add_noise(bell, 0.5))
    assert float(sparc(noisy, DT)) < float(sparc(bell, DT)) - 1.0
    t = np.arange(200) * 0.01
    tremor = (bell * (1 + 0.3 * np.sin(2 * np.pi * 4 * t))).astype(np.float32)
    assert float(sparc(tremor, 0.01)) < v - 0.3
    two = np.concatenate([bell, bell]).astype(np.float32)
    assert float(sparc(two, 0.01)) < v - 0.2


def test_sparc_jit_traced_dt_and_batch():
    tau = np.linspace(0, 1, 64)
    bell = (30 * tau**2 * (1 - tau) ** 2).astype(np.float32)
    batch = np.stack([bell, np.abs(add_noise(bell, 0.2))])
    out = jax.jit(sparc)(batch, jnp.float32(0.02))
    assert out.shape == (2,)
    np.testing.assert_allclose(np.asarray(out[0]), sparc_reference(bell, 50.0), atol=1e-4)
    assert float(sparc(np.zeros(16, np.float32), DT)) == 0.0


# ------------------------------------------------------------------------ chunk discontinuity


def test_chunk_discontinuity_known_numbers():
    a = np.zeros((7, 2), np.float32)
    a[0:3] = [[0, 0], [1, 1], [0, 0]]  # chunk 0 ends at (0, 0)
    a[3:6] = [[3, 4], [2, 2], [1, 1]]  # chunk 1 starts at (3, 4): jump 5; ends at (1, 1)
    a[6] = [1, 2]  # chunk 2 starts at (1, 2): jump 1
    assert float(chunk_discontinuity(a, 3)) == pytest.approx(3.0)
    mask = np.array([1, 1, 1, 1, 1, 1, 0], np.float32)
    assert float(chunk_discontinuity(a, 3, mask)) == pytest.approx(5.0)
    assert float(chunk_discontinuity(a, 7)) == 0.0  # no boundary
    batch = np.stack([a, 2 * a])
    np.testing.assert_allclose(np.asarray(chunk_discontinuity(batch, 3)), [3.0, 6.0], rtol=1e-6)


# ------------------------------------------------------------------------- aggregation


def test_summarize():
    s = summarize([1.0, 2.0, 3.0, 4.0, 5.0])
    assert s["n"] == 5 and s["mean"] == pytest.approx(3.0)
    assert s["std"] == pytest.approx(math.sqrt(2.5))
    half = 2.776445 * math.sqrt(2.5) / math.sqrt(5)
    assert s["ci_low"] == pytest.approx(3.0 - half, rel=2e-3)
    assert s["ci_high"] == pytest.approx(3.0 + half, rel=2e-3)
    big = summarize(np.arange(10000, dtype=np.float64))
    assert (big["ci_high"] - big["mean"]) == pytest.approx(1.959964 * big["std"] / 100.0, rel=1e-3)
    one = summarize([2.0])
    assert one["ci_low"] == one["ci_high"] == 2.0 and one["std"] == 0.0
    assert summarize([])["n"] == 0 and math.isnan(summarize([])["mean"])
    with pytest.raises(ValueError):
        summarize([1.0, 2.0], confidence=1.5)


def test_smoothness_report():
    N, T = 3, 40
    x = np.stack([min_jerk(T), add_noise(min_jerk(T), 1e-3), min_jerk(T, amp=0.1)])
    acts = np.zeros((N, T, 7), np.float32)
    acts[..., :3] = np.clip(np.gradient(x, axis=1) / DT, -1, 1)
    acts[..., 6] = np.where(np.arange(T) < T // 2, -1.0, 1.0)
    mask = (np.arange(T)[None] < np.array([[T], [T], [30]])).astype(np.float32)
    rep = smoothness_report(x, acts, mask, np.array([1, 0, 1]), DT, chunk_size=5)
    for k in (
        "success",
        "episode_length",
        "path_length",
        "msj_ee",
        "dimensionless_jerk_ee",
        "ldlj_ee",
        "sparc_ee",
        "msj_action",
        "ldlj_action",
        "chunk_discontinuity",
    ):
        assert rep[k].shape == (N,), k
        assert np.all(np.isfinite(rep[k])), k
    assert float(rep["success_rate"]) == pytest.approx(2 / 3)
    np.testing.assert_allclose(rep["episode_length"], [T, T, 30])
    assert rep["msj_ee"][1] > rep["msj_ee"][0]
    assert rep["ldlj_ee"][1] < rep["ldlj_ee"][0]


def test_summarize_uses_student_t_quantiles():
    # t_{0.975, 4} = 2.776 and t_{0.975, 1} = 12.706 (statistical tables)
    s = summarize([1.0, 2.0, 3.0, 4.0, 5.0])
    assert s["ci_high"] - s["mean"] == pytest.approx(2.776 * math.sqrt(2.5) / math.sqrt(5), rel=1e-3)
    s = summarize([0.0, 2.0])
    assert s["ci_high"] - s["mean"] == pytest.approx(12.706 * math.sqrt(2) / math.sqrt(2), rel=1e-3)


def test_success_interval_is_the_wilson_interval():
    z = 1.959964
    # 0 of 2: [0, z^2 / (n + z^2)] (a normal-approximation interval would be [0, 0])
    s = success_interval([False, False])
    assert s["mean"] == 0 and s["ci_low"] == pytest.approx(0, abs=1e-12)
    assert s["ci_high"] == pytest.approx(z * z / (2 + z * z), rel=1e-5)
    # 5 of 10: centre 0.5, half-width z * sqrt(n p q + z^2 / 4) / (n + z^2)
    s = success_interval([1] * 5 + [0] * 5)
    half = z * math.sqrt(10 * 0.25 + z * z / 4) / (10 + z * z)
    assert (s["ci_low"], s["ci_high"]) == (pytest.approx(0.5 - half, rel=1e-5),
                                          pytest.approx(0.5 + half, rel=1e-5))
    assert s["n"] == 10 and success_interval([])["n"] == 0
