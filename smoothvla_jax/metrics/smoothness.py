"""Trajectory smoothness metrics (pure JAX, jit/vmap-able, arbitrary leading dims).

Conventions
-----------
* ``x`` is a trajectory ``[..., T, D]`` sampled every ``dt`` seconds (positions in metres for
  the end-effector, or any other signal such as actions).
* ``mask`` is ``[..., T]`` (bool or float); 1 marks a valid step. Valid steps are usually a
  prefix (the episode before and including ``done``), but every function handles general masks:
  a finite-difference sample that uses steps ``t..t+k`` counts only if all of them are valid.
  Masked-out values never influence a result (they may hold garbage, even NaN-free junk).
* ``mask=None`` means every step is valid.
* Jerk is the third finite difference ``j_t = (x_{t+3} - 3x_{t+2} + 3x_{t+1} - x_t) / dt^3``,
  a second-order accurate estimate of d^3x/dt^3 at time ``t + 1.5``.

Integral estimate used by the dimensionless metrics: the ``n-3`` jerk samples of an ``n``-step
valid segment are centred at ``t+1.5`` and tile ``[t_1, t_{n-2}]`` with unit-width cells; the
first and last samples are extended by one step each so that the quadrature covers the whole
duration ``(n-1) dt`` (total weight ``n-1``). This removes the O(1/n) bias of the plain sum for
movements that start/end with non-zero jerk (e.g. the minimum-jerk profile).
"""

from __future__ import annotations

import math

import jax
import jax.numpy as jnp
from jax.typing import ArrayLike

Array = jax.Array

# Floors used to guard logs/divisions. Path length / amplitude below ``LENGTH_EPS`` (in the
# signal's units, i.e. 1 micrometre for positions in metres) is treated as ``LENGTH_EPS``:
# a (near-)stationary trajectory with any jitter therefore gets a very large dimensionless jerk
# (jerky), while an exactly stationary one has zero jerk and gets 0 (perfectly smooth).
LENGTH_EPS = 1e-6
_TINY = 1e-30


def _as_mask(x: Array, mask: ArrayLike | None, axis_len: int) -> Array:
    """Returns a float mask ``[..., T]`` broadcastable against ``x[..., T, (D)]``."""
    if mask is None:
        return jnp.ones((axis_len,), dtype=x.dtype)
    return jnp.asarray(mask).astype(x.dtype)


def _safe_norm(v: Array, axis: int = -1) -> Array:
    """Euclidean norm with a finite gradient at 0."""
    sq = jnp.sum(v * v, axis=axis)
    pos = sq > 0
    return jnp.where(pos, jnp.sqrt(jnp.where(pos, sq, 1.0)), 0.0)


def _window_mask(m: Array, width: int) -> Array:
    """``[..., T] -> [..., T-width+1]``: 1 where steps ``t..t+width-1`` are all valid."""
    n = m.shape[-1] - width + 1
    out = m[..., :n]
    for k in range(1, width):
        out = out * m[..., k : k + n]
    return out


def finite_difference_jerk(x: ArrayLike, dt: float | ArrayLike) -> Array:
    """Third finite difference of a trajectory.

    Args:
      x: ``[..., T, D]`` trajectory, ``T >= 4``.
      dt: sample period in seconds.

    Returns:
      ``[..., T-3, D]`` with ``j_t = (x_{t+3} - 3 x_{t+2} + 3 x_{t+1} - x_t) / dt^3``.
    """
    x = jnp.asarray(x)
    if x.shape[-2] < 4:
        raise ValueError(f"finite_difference_jerk needs T >= 4 steps, got T={x.shape[-2]}")
    # Successive differences instead of the 4-term stencil: differences of nearby floats are
    # exact (Sterbenz), so only the storage rounding of ``x`` itself remains.
    d3 = jnp.diff(x, n=3, axis=-2)
    return d3 / (jnp.asarray(dt, d3.dtype) ** 3)


def _jerk_sq_and_mask(x: ArrayLike, dt, mask) -> tuple[Array, Array]:
    """Returns (``||j_t||^2`` ``[..., T-3]``, validity ``[..., T-3]``)."""
    x = jnp.asarray(x)
    if not jnp.issubdtype(x.dtype, jnp.floating):
        x = x.astype(jnp.float32)
    m = _as_mask(x, mask, x.shape[-2])
    jsq = jnp.sum(finite_difference_jerk(x, dt) ** 2, axis=-1)
    valid = _window_mask(m, 4)
    jsq = jnp.where(valid > 0, jsq, 0.0)  # garbage after done (even inf) cannot leak
    return jsq, jnp.broadcast_to(valid, jsq.shape)


def episode_length(mask: ArrayLike) -> Array:
    """Number of valid steps. ``mask [..., T] -> [...]`` (float)."""
    m = jnp.asarray(mask)
    if not jnp.issubdtype(m.dtype, jnp.floating):
        m = m.astype(jnp.float32)
    return jnp.sum(m, axis=-1)


def path_length(x: ArrayLike, mask: ArrayLike | None = None) -> Array:
    """Path length ``sum_t ||x_{t+1} - x_t||`` over valid pairs. ``[..., T, D] -> [...]``."""
    x = jnp.asarray(x)
    m = _as_mask(x, mask, x.shape[-2])
    step = _safe_norm(x[..., 1:, :] - x[..., :-1, :])
    valid = _window_mask(m, 2)
    return jnp.sum(jnp.where(valid > 0, step, 0.0), axis=-1)


def mean_squared_jerk(x: ArrayLike, dt: float | ArrayLike, mask: ArrayLike | None = None) -> Array:
    """Mean over valid samples of ``||j_t||^2`` (units^2 / s^6). ``[..., T, D] -> [...]``.

    Returns 0 when there is no valid jerk sample (fewer than 4 valid consecutive steps).
    """
    jsq, valid = _jerk_sq_and_mask(x, dt, mask)
    n = jnp.sum(valid, axis=-1)
    return jnp.sum(jsq, axis=-1) / jnp.maximum(n, 1.0)


def _jerk_integral(jsq: Array, valid: Array, dt) -> Array:
    """``int ||jerk||^2 dt`` with the end-extended quadrature (see module docstring)."""
    first = valid * (jnp.cumsum(valid, axis=-1) == 1)
    last = valid * (jnp.flip(jnp.cumsum(jnp.flip(valid, -1), axis=-1), -1) == 1)
    w = valid + first + last
    return jnp.sum(w * jsq, axis=-1) * dt


def _log_dimensionless_jerk(x, dt, mask, use_amplitude: bool) -> Array:
    """``ln( D^5 / S^2 * int ||jerk||^2 dt )`` with S = path length or amplitude. ``[...]``."""
    x = jnp.asarray(x)
    if not jnp.issubdtype(x.dtype, jnp.floating):
        x = x.astype(jnp.float32)
    m = _as_mask(x, mask, x.shape[-2])
    dt = jnp.asarray(dt, x.dtype)
    jsq, valid = _jerk_sq_and_mask(x, dt, m)
    integral = _jerk_integral(jsq, valid, dt)
    n_valid = jnp.sum(jnp.broadcast_to(m, x.shape[:-1]), axis=-1)
    duration = jnp.maximum(n_valid - 1.0, 0.0) * dt
    if use_amplitude:
        # Distance from the first valid position, maximised over valid steps.
        first = jnp.cumsum(jnp.broadcast_to(m, x.shape[:-1]), axis=-1) == 1
        first = first & (jnp.broadcast_to(m, x.shape[:-1]) > 0)
        x0 = jnp.sum(jnp.where(first[..., None], x, 0.0), axis=-2, keepdims=True)
        dist = _safe_norm(x - x0)
        scale = jnp.max(jnp.where(m > 0, dist, 0.0), axis=-1)
    else:
        scale = path_length(x, m)
    scale = jnp.maximum(scale, LENGTH_EPS)
    return (
        5.0 * jnp.log(jnp.maximum(duration, _TINY))
        + jnp.log(jnp.maximum(integral, _TINY))
        - 2.0 * jnp.log(scale)
    )


def dimensionless_jerk(x: ArrayLike, dt: float | ArrayLike, mask: ArrayLike | None = None) -> Array:
    """Dimensionless jerk ``D^5 / L^2 * int ||d^3x/dt^3||^2 dt``. ``[..., T, D] -> [...]``.

    ``D = (n_valid - 1) dt`` is the duration, ``L`` the path length over valid steps (floored at
    ``LENGTH_EPS``). Invariant to amplitude and to time scaling; 720 for a minimum-jerk
    point-to-point movement, 0 for constant-velocity motion. Lower = smoother. Computed in log
    space (no overflow); an exactly jerk-free trajectory returns ~0.
    """
    return jnp.exp(ln_dimensionless_jerk(x, dt, mask))


def ln_dimensionless_jerk(
    x: ArrayLike, dt: float | ArrayLike, mask: ArrayLike | None = None
) -> Array:
    """``ln`` of :func:`dimensionless_jerk` (path-length form), computed without overflow.
    ``[..., T, D] -> [...]``; ``ln 720 = 6.58`` for a minimum-jerk movement."""
    return _log_dimensionless_jerk(x, dt, mask, use_amplitude=False)


def log_dimensionless_jerk(
    x: ArrayLike, dt: float | ArrayLike, mask: ArrayLike | None = None
) -> Array:
    """LDLJ (Balasubramanian et al. 2015, position form). ``[..., T, D] -> [...]``.

    ``-ln( D^5 / A^2 * int ||d^3x/dt^3||^2 dt )`` with ``A = max_t ||x_t - x_{t0}||`` over valid
    steps (floored at ``LENGTH_EPS``), ``D = (n_valid - 1) dt``. ``-ln(720) = -6.58`` for a
    minimum-jerk movement; more negative = less smooth. The jerk integral is floored at 1e-30,
    so a perfectly jerk-free trajectory gives a large positive (finite) value.
    """
    return -_log_dimensionless_jerk(x, dt, mask, use_amplitude=True)


def speed_from_positions(
    x: ArrayLike, dt: float | ArrayLike, mask: ArrayLike | None = None
) -> Array:
    """Speed profile ``||dx/dt||``. ``[..., T, D] -> [..., T]``.

    Central differences where both neighbours are valid, forward/backward differences at the
    ends of a valid run, 0 at isolated or masked-out steps.
    """
    x = jnp.asarray(x)
    if not jnp.issubdtype(x.dtype, jnp.floating):
        x = x.astype(jnp.float32)
    m = jnp.broadcast_to(_as_mask(x, mask, x.shape[-2]), x.shape[:-1])
    x = jnp.where(m[..., None] > 0, x - x[..., :1, :], 0.0)
    zero_m = jnp.zeros_like(m[..., :1])
    m_prev = jnp.concatenate([zero_m, m[..., :-1]], axis=-1)
    m_next = jnp.concatenate([m[..., 1:], zero_m], axis=-1)
    x_prev = jnp.concatenate([x[..., :1, :], x[..., :-1, :]], axis=-2)
    x_next = jnp.concatenate([x[..., 1:, :], x[..., -1:, :]], axis=-2)
    both = (m_prev > 0) & (m_next > 0)
    only_next = (m_prev <= 0) & (m_next > 0)
    only_prev = (m_prev > 0) & (m_next <= 0)
    dt = jnp.asarray(dt, x.dtype)
    v = jnp.where(
        both[..., None],
        (x_next - x_prev) / (2.0 * dt),
        jnp.where(
            only_next[..., None],
            (x_next - x) / dt,
            jnp.where(only_prev[..., None], (x - x_prev) / dt, 0.0),
        ),
    )
    return jnp.where(m > 0, _safe_norm(v), 0.0)


def sparc(
    speed: ArrayLike,
    dt: float | ArrayLike,
    mask: ArrayLike | None = None,
    fc: float = 10.0,
    amp_th: float = 0.05,
    pad_level: int = 4,
) -> Array:
    """Spectral arc length (SPARC, Balasubramanian et al. 2015). ``speed [..., T] -> [...]``.

    Masked-out steps are zero-filled; the signal is zero-padded to
    ``N = 2^(ceil(log2 T) + pad_level)`` (static: depends on ``T``, not on the valid length).
    ``|FFT|`` is normalised by its DC value; bins with frequency ``<= fc`` are kept and the
    adaptive cutoff ``w_c`` is the last kept bin whose magnitude is ``>= amp_th``. Returns
    ``-sum sqrt((dw / w_c)^2 + dV^2)`` over bins ``0..w_c``. About -1.6 for a single smooth bell
    profile; more negative = less smooth. Returns 0 if no bin above DC passes the threshold
    (e.g. all-zero speed).
    """
    v = jnp.asarray(speed)
    if not jnp.issubdtype(v.dtype, jnp.floating):
        v = v.astype(jnp.float32)
    T = v.shape[-1]
    if mask is not None:
        v = jnp.where(jnp.asarray(mask) > 0, v, 0.0)
    nfft = 2 ** (math.ceil(math.log2(max(T, 1))) + int(pad_level))
    mag = jnp.abs(jnp.fft.rfft(v, n=nfft, axis=-1))  # [..., nfft//2 + 1]
    dc = mag[..., :1]
    mag = mag / jnp.maximum(dc, _TINY)
    k = jnp.arange(mag.shape[-1])
    freqs = k / (nfft * jnp.asarray(dt, v.dtype))
    above = (freqs <= fc) & (mag >= amp_th)
    last = jnp.max(jnp.where(above, k, 0), axis=-1, keepdims=True)  # [..., 1]
    dmag = jnp.diff(mag, axis=-1)  # segment between bins k-1 and k, k = 1..
    seg_k = k[1:]
    inv_wc = 1.0 / jnp.maximum(last, 1).astype(v.dtype)
    seg = jnp.sqrt(inv_wc**2 + dmag**2)
    return -jnp.sum(jnp.where(seg_k <= last, seg, 0.0), axis=-1)


def chunk_discontinuity(
    actions: ArrayLike, chunk_size: int, mask: ArrayLike | None = None
) -> Array:
    """Mean action jump across chunk boundaries. ``[..., T, A] -> [...]``.

    Boundaries are ``k*K`` for ``k = 1 .. floor((T-1)/K)``; the jump is
    ``||a_{kK} - a_{kK-1}||`` (first action of chunk k vs last of chunk k-1), counted only if
    both steps are valid. Returns 0 when no valid boundary exists.
    """
    a = jnp.asarray(actions)
    if not jnp.issubdtype(a.dtype, jnp.floating):
        a = a.astype(jnp.float32)
    K = int(chunk_size)
    if K < 1:
        raise ValueError(f"chunk_size must be >= 1, got {chunk_size}")
    T = a.shape[-2]
    idx = jnp.arange(K, T, K)
    if idx.shape[0] == 0:
        return jnp.zeros(a.shape[:-2], a.dtype)
    m = jnp.broadcast_to(_as_mask(a, mask, T), a.shape[:-1])
    jump = _safe_norm(a[..., idx, :] - a[..., idx - 1, :])
    valid = m[..., idx] * m[..., idx - 1]
    jump = jnp.where(valid > 0, jump, 0.0)
    return jnp.sum(jump, axis=-1) / jnp.maximum(jnp.sum(valid, axis=-1), 1.0)


# ----------------------------------------------------------------------------------------------
# NumPy-side aggregation.
# ----------------------------------------------------------------------------------------------


def _flat_samples(values, confidence: float):
    """``values`` flattened to a float64 NumPy vector ``[N]``, after checking ``confidence``."""
    import numpy as np

    if not 0.0 < confidence < 1.0:
        raise ValueError(f"confidence must be in (0, 1), got {confidence}")
    return np.asarray(values, dtype=np.float64).reshape(-1)


def summarize(values, confidence: float = 0.95) -> dict[str, float]:
    """Mean, sample std and a two-sided confidence interval of the mean (NumPy).

    Args:
      values: ``[N]`` (any shape; flattened) per-episode values.
      confidence: CI level in (0, 1).

    Returns:
      ``dict(mean, std, ci_low, ci_high, n)``; the CI is ``mean +- t_{(1+c)/2, n-1} std/sqrt(n)``
      (Student-t, ``std`` with ddof=1). ``n == 1`` gives ``std = 0`` and a zero-width CI;
      ``n == 0`` gives NaNs.
    """
    v = _flat_samples(values, confidence)
    n = int(v.size)
    if n == 0:
        nan = float("nan")
        return {"mean": nan, "std": nan, "ci_low": nan, "ci_high": nan, "n": 0}
    mean = float(v.mean())
    if n == 1:
        return {"mean": mean, "std": 0.0, "ci_low": mean, "ci_high": mean, "n": 1}
    std = float(v.std(ddof=1))
    from scipy import stats

    half = float(stats.t.ppf(0.5 + confidence / 2.0, n - 1)) * std / math.sqrt(n)
    return {"mean": mean, "std": std, "ci_low": mean - half, "ci_high": mean + half, "n": n}


def success_interval(success, confidence: float = 0.95) -> dict[str, float]:
    """Success rate and its Wilson score interval (``scipy.stats.binomtest``).

    Args:
      success: ``[N]`` per-episode success flags (bool / 0-1).

    Returns:
      ``dict(mean, ci_low, ci_high, n)``; NaNs when ``N == 0``. Unlike a normal-approximation
      interval it stays inside [0, 1] and is not degenerate at 0% or 100%.
    """
    import numpy as np
    from scipy import stats

    v = _flat_samples(success, confidence)
    n = int(v.size)
    if n == 0:
        nan = float("nan")
        return {"mean": nan, "ci_low": nan, "ci_high": nan, "n": 0}
    k = int(np.round(v.sum()))
    ci = stats.binomtest(k, n).proportion_ci(confidence, method="wilson")
    return {"mean": k / n, "ci_low": float(ci.low), "ci_high": float(ci.high), "n": n}


def smoothness_report(
    ee_pos: ArrayLike,
    actions: ArrayLike,
    mask: ArrayLike,
    success: ArrayLike,
    dt: float,
    chunk_size: int,
    action_dims: int = 6,
) -> dict:
    """Every smoothness metric per episode, as NumPy arrays.

    Args:
      ee_pos: ``[N, T, 3]`` end-effector positions (m).
      actions: ``[N, T, A]`` actions; the first ``action_dims`` dims (arm, gripper excluded by
        default) are used for action jerk and chunk discontinuity.
      mask: ``[N, T]`` valid-step mask.
      success: ``[N]`` task success (bool/0-1).
      dt: control period (s).
      chunk_size: action-chunk length K.

    Returns:
      Dict of ``[N]`` float arrays: ``success``, ``episode_length``, ``path_length``,
      ``msj_ee``, ``dimensionless_jerk_ee``, ``ldlj_ee``, ``sparc_ee``, ``msj_action``,
      ``ldlj_action``, ``chunk_discontinuity``; plus the 0-d ``success_rate``.
    """
    import numpy as np

    x = jnp.asarray(ee_pos, jnp.float32)
    a = jnp.asarray(actions, jnp.float32)[..., :action_dims]
    m = jnp.asarray(mask).astype(jnp.float32)
    out = _report_jit(x, a, m, float(dt), int(chunk_size))
    res = {k: np.asarray(v) for k, v in out.items()}
    s = np.asarray(success, dtype=np.float32).reshape(-1)
    res["success"] = s
    res["success_rate"] = np.asarray(s.mean() if s.size else np.nan, dtype=np.float32)
    return res


@jax.jit
def _report_core(x: Array, a: Array, m: Array, dt: Array) -> dict[str, Array]:
    return {
        "episode_length": episode_length(m),
        "path_length": path_length(x, m),
        "msj_ee": mean_squared_jerk(x, dt, m),
        "dimensionless_jerk_ee": dimensionless_jerk(x, dt, m),
        "ldlj_ee": log_dimensionless_jerk(x, dt, m),
        "sparc_ee": sparc(speed_from_positions(x, dt, m), dt, m),
        "msj_action": mean_squared_jerk(a, dt, m),
        "ldlj_action": log_dimensionless_jerk(a, dt, m),
    }


def _report_jit(x: Array, a: Array, m: Array, dt: float, chunk_size: int) -> dict[str, Array]:
    out = dict(_report_core(x, a, m, jnp.float32(dt)))
    out["chunk_discontinuity"] = chunk_discontinuity(a, chunk_size, m)
    return out
