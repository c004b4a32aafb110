"""Trajectory smoothness metrics (jerk, dimensionless jerk, LDLJ, SPARC, chunk discontinuity)."""

from smoothvla_jax.metrics.smoothness import (
    LENGTH_EPS,
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

__all__ = [
    "LENGTH_EPS",
    "chunk_discontinuity",
    "dimensionless_jerk",
    "episode_length",
    "finite_difference_jerk",
    "ln_dimensionless_jerk",
    "log_dimensionless_jerk",
    "mean_squared_jerk",
    "path_length",
    "smoothness_report",
    "sparc",
    "speed_from_positions",
    "success_interval",
    "summarize",
]
