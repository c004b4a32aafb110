"""SmoothVLA hybrid intrinsic reward: binary task success combined with a jerk term.

Shapes: episodes have arbitrary leading dims ``...`` (typically ``[G]`` for a GRPO group),
``T`` control steps, ``ee_pos [..., T, 3]`` (m), ``actions [..., T, 7]`` in [-1, 1]
(dx, dy, dz, droll, dpitch, dyaw, gripper), ``mask [..., T]`` (1 up to and including the step
where the episode finished, 0 after), ``success [...]``.

Jerk normalisation (``J_norm``, 0 = perfectly smooth, larger = jerkier):

* ``"dimensionless"`` (default): ``DJ = D^5/L^2 * int ||jerk||^2 dt`` (see
  :func:`smoothvla_jax.metrics.dimensionless_jerk`), invariant to amplitude, duration and
  sampling rate, hence comparable across tasks and episode lengths. It spans orders of
  magnitude, so it is squashed on a log scale relative to the minimum-jerk value 720:
  ``J_norm = 1 - (1 + DJ/720)^(-1/temperature)`` = ``1 - exp(-log1p(DJ/720)/temperature)``.
  With the default ``temperature = 10``: constant velocity -> 0, one minimum-jerk reach ->
  0.067, DJ = 1e4 -> 0.24, 1e6 -> 0.51, 1e8 -> 0.69, 1e10 -> 0.81 (policy jitter of ~0.1 mm at
  20 Hz already gives DJ ~ 1e5-1e6, so the scale must resolve many decades). Always in [0, 1).
  Caveat: being scale-invariant, DJ measures jerk *relative to the motion*; once jitter
  dominates the motion (the action signal's own path length grows with the jitter) it
  saturates and stops ranking jitter amplitudes. Use "ldlj" or "msj_scale" if that matters.
* ``"ldlj"``: same squash applied to the amplitude form ``exp(-LDLJ)`` (amplitude instead of
  path length), computed stably as ``softplus(-LDLJ - ln 720)``. Always in [0, 1).
* ``"msj_scale"``: ``J_norm = MSJ / jerk_scale`` (``action_jerk_scale`` for the action signal),
  clipped to [0, 1] when ``clip``; unbounded above otherwise. Depends on task speed/duration;
  use it when the tasks are similar and a physically meaningful scale is known.
* ``"log_msj"``: ``J_norm = clip((ln MSJ - log_msj_low) / (log_msj_high - log_msj_low), 0, 1)``:
  linear in log-MSJ between two calibrated anchors. The experiment
  (:mod:`smoothvla_jax.experiment`) sets them to the 10th and 90th percentile of ``ln MSJ`` over
  the SFT policy's successful rollouts, so the jerk term spans the whole reward range on the
  policy's own jerk distribution (ee signal only: the anchors are in ln(m^2/s^6)).

Signals: ``"ee"`` uses the executed end-effector path; ``"action"`` the third finite difference
of the action sequence itself (arm dims 0..5 unless ``include_gripper``; a gripper toggle is a
required discrete event, not jerkiness); ``"both"`` averages the two ``J_norm``.
Only valid steps enter any term (jerk samples need 4 consecutive valid steps).
"""

from __future__ import annotations

import dataclasses
import math
from collections.abc import Mapping
from typing import Any

import jax
import jax.numpy as jnp
from jax.typing import ArrayLike

from smoothvla_jax.metrics import smoothness as sm

Array = jax.Array

MIN_JERK_DJ = 720.0  # dimensionless jerk of a minimum-jerk point-to-point movement

_KINDS = ("binary", "smooth")
_FORMS = ("multiplicative", "additive")
_SIGNALS = ("ee", "action", "both")
_NORMALIZATIONS = ("dimensionless", "msj_scale", "ldlj", "log_msj")


@dataclasses.dataclass(frozen=True)
class RewardConfig:
    """Reward configuration (frozen, hashable: usable as a jit static argument).

    Attributes:
      kind: "binary" (reward = success) or "smooth" (hybrid success + jerk).
      form: "multiplicative": ``success * (1 - lam * J_norm)``;
        "additive": ``success + lam * (1 - J_norm)``.
      lam: weight of the smoothness term, >= 0 (<= 1 for multiplicative with clip, so the
        reward of a success stays in [1 - lam, 1]).
      signal: "ee", "action" or "both".
      normalization: "dimensionless", "msj_scale", "ldlj" or "log_msj" (module docstring).
      jerk_scale: MSJ scale of the ee signal for "msj_scale" (m^2/s^6).
      action_jerk_scale: MSJ scale of the action signal for "msj_scale" (1/s^6, action units).
      temperature: log-squash temperature for "dimensionless" / "ldlj".
      clip: clip ``J_norm`` to [0, 1] (only changes "msj_scale"; the others are in [0, 1)).
      include_gripper: include the gripper dim in the action signal.
      log_msj_low, log_msj_high: "log_msj" anchors (ln of the ee MSJ in m^2/s^6) mapped to
        ``J_norm`` 0 and 1 (calibrated: :func:`smoothvla_jax.experiment.calibrate_reward`).
    """

    kind: str = "smooth"
    form: str = "multiplicative"
    lam: float = 0.2
    signal: str = "ee"
    normalization: str = "dimensionless"
    jerk_scale: float = 100.0
    action_jerk_scale: float = 1.0e5
    temperature: float = 10.0
    clip: bool = True
    include_gripper: bool = False
    log_msj_low: float = 0.0
    log_msj_high: float = 0.0

    def __post_init__(self) -> None:
        for name, allowed in (
            ("kind", _KINDS),
            ("form", _FORMS),
            ("signal", _SIGNALS),
            ("normalization", _NORMALIZATIONS),
        ):
            value = getattr(self, name)
            if value not in allowed:
                raise ValueError(
                    f"RewardConfig.{name}={value!r} is invalid; allowed values: {list(allowed)}"
                )
        for name in ("lam", "jerk_scale", "action_jerk_scale", "temperature", "log_msj_low",
                     "log_msj_high"):
            value = getattr(self, name)
            if isinstance(value, bool) or not isinstance(value, (int, float)):
                msg = f"RewardConfig.{name} must be a real number, got {value!r}"
                raise ValueError(msg)  # noqa: TRY004  (config errors are ValueErrors)
            if not math.isfinite(value):
                raise ValueError(f"RewardConfig.{name} must be finite, got {value!r}")
        if self.lam < 0:
            raise ValueError(f"RewardConfig.lam must be >= 0, got {self.lam}")
        if self.form == "multiplicative" and self.clip and self.lam > 1:
            raise ValueError(
                f"RewardConfig.lam must be in [0, 1] for form='multiplicative' with clip=True "
                f"(keeps the reward >= 0), got {self.lam}"
            )
        for name in ("jerk_scale", "action_jerk_scale", "temperature"):
            if getattr(self, name) <= 0:
                raise ValueError(f"RewardConfig.{name} must be > 0, got {getattr(self, name)}")
        if self.normalization == "log_msj":
            if self.log_msj_high <= self.log_msj_low:
                raise ValueError(
                    f"RewardConfig normalization='log_msj' needs log_msj_high > log_msj_low, got "
                    f"[{self.log_msj_low}, {self.log_msj_high}]; calibrate them (the experiment's "
                    f"calibrate stage) or set reward.log_msj_low/high")
            if self.signal != "ee":
                raise ValueError(f"RewardConfig normalization='log_msj' is calibrated on the ee "
                                 f"path; use signal='ee', got {self.signal!r}")
        for name in ("clip", "include_gripper"):
            if not isinstance(getattr(self, name), bool):
                msg = f"RewardConfig.{name} must be a bool, got {getattr(self, name)!r}"
                raise ValueError(msg)  # noqa: TRY004

    @classmethod
    def from_config(cls, cfg: Any) -> RewardConfig:
        """Builds from an ``ml_collections.ConfigDict`` (or any mapping) of field values.

        Unknown keys raise ``ValueError`` (catches typos); missing keys take the defaults.
        """
        if hasattr(cfg, "to_dict"):
            cfg = cfg.to_dict()
        if not isinstance(cfg, Mapping):
            msg = f"RewardConfig.from_config expects a mapping, got {type(cfg)}"
            raise ValueError(msg)  # noqa: TRY004
        names = {f.name for f in dataclasses.fields(cls)}
        unknown = sorted(set(cfg) - names)
        if unknown:
            raise ValueError(
                f"RewardConfig got unknown field(s) {unknown}; allowed fields: {sorted(names)}"
            )
        kwargs = dict(cfg)
        for name in ("lam", "jerk_scale", "action_jerk_scale", "temperature", "log_msj_low",
                     "log_msj_high"):
            if (
                name in kwargs
                and isinstance(kwargs[name], int)
                and not isinstance(kwargs[name], bool)
            ):
                kwargs[name] = float(kwargs[name])
        return cls(**kwargs)

    def to_dict(self) -> dict[str, Any]:
        return dataclasses.asdict(self)


def binary_reward(success: ArrayLike) -> Array:
    """``success [...]`` (bool / 0-1) -> ``[...]`` float32 (1.0 on success, else 0.0)."""
    return (jnp.asarray(success) > 0).astype(jnp.float32)


def _log_squash(log_dj: Array, temperature: float) -> Array:
    """``1 - exp(-log1p(DJ/720)/temperature)`` from ``ln DJ``; in [0, 1)."""
    x = jax.nn.softplus(log_dj - math.log(MIN_JERK_DJ))  # = log1p(DJ / 720), overflow-free
    return -jnp.expm1(-x / temperature)


def _signal_cost(x: Array, mask: Array, dt, cfg: RewardConfig, scale: float) -> Array:
    if cfg.normalization == "log_msj":
        log_msj = jnp.log(jnp.maximum(sm.mean_squared_jerk(x, dt, mask), 1e-30))
        width = cfg.log_msj_high - cfg.log_msj_low
        return jnp.clip((log_msj - cfg.log_msj_low) / width, 0.0, 1.0)
    if cfg.normalization == "msj_scale":
        j = sm.mean_squared_jerk(x, dt, mask) / scale
        return jnp.clip(j, 0.0, 1.0) if cfg.clip else j
    if cfg.normalization == "dimensionless":
        log_dj = sm.ln_dimensionless_jerk(x, dt, mask)
    else:  # "ldlj": -LDLJ is the log of the amplitude-normalised dimensionless jerk
        log_dj = -sm.log_dimensionless_jerk(x, dt, mask)
    return _log_squash(log_dj, cfg.temperature)


def jerk_cost(
    ee_pos: ArrayLike | None,
    actions: ArrayLike | None,
    mask: ArrayLike,
    dt: float | ArrayLike,
    cfg: RewardConfig,
) -> Array:
    """Normalised jerk cost ``J_norm >= 0`` (in [0, 1] when ``cfg.clip``). ``-> [...]`` float32.

    Args:
      ee_pos: ``[..., T, 3]`` (required for signal "ee"/"both").
      actions: ``[..., T, 7]`` (required for signal "action"/"both").
      mask: ``[..., T]`` valid-step mask; steps after done never count.
      dt: control period (s).
      cfg: reward config (normalisation, signal, scales).
    """
    costs = []
    m = jnp.asarray(mask).astype(jnp.float32)
    if cfg.signal in ("ee", "both"):
        if ee_pos is None:
            raise ValueError(f"ee_pos is required for RewardConfig.signal={cfg.signal!r}")
        x = jnp.asarray(ee_pos, jnp.float32)
        costs.append(_signal_cost(x, m, dt, cfg, cfg.jerk_scale))
    if cfg.signal in ("action", "both"):
        if actions is None:
            raise ValueError(f"actions is required for RewardConfig.signal={cfg.signal!r}")
        a = jnp.asarray(actions, jnp.float32)
        if not cfg.include_gripper:
            a = a[..., :6]
        costs.append(_signal_cost(a, m, dt, cfg, cfg.action_jerk_scale))
    cost = costs[0] if len(costs) == 1 else 0.5 * (costs[0] + costs[1])
    return cost.astype(jnp.float32)


def smoothness_score(
    ee_pos: ArrayLike | None,
    actions: ArrayLike | None,
    mask: ArrayLike,
    dt: float | ArrayLike,
    cfg: RewardConfig,
) -> Array:
    """``s = 1 - J_norm`` in [0, 1] when ``cfg.clip`` (1 = perfectly smooth). ``-> [...]``."""
    return 1.0 - jerk_cost(ee_pos, actions, mask, dt, cfg)


def compute_reward(
    success: ArrayLike,
    ee_pos: ArrayLike | None,
    actions: ArrayLike | None,
    mask: ArrayLike,
    dt: float | ArrayLike,
    cfg: RewardConfig,
) -> Array:
    """Episode reward ``[...]`` float32.

    * ``kind="binary"``: ``success`` (ee_pos/actions may be None).
    * ``kind="smooth", form="multiplicative"``: ``success * (1 - lam * J_norm)``: 0 for failures
      whatever the jerk, in ``[1 - lam, 1]`` for successes.
    * ``kind="smooth", form="additive"``: ``success + lam * (1 - J_norm)``: failures also get a
      smoothness bonus in ``[0, lam]``.

    Args:
      success: ``[...]`` bool / 0-1.
      ee_pos: ``[..., T, 3]``; actions: ``[..., T, 7]``; mask: ``[..., T]``; dt: seconds.
      cfg: :class:`RewardConfig` (static under jit: close over it or mark it static).
    """
    r = binary_reward(success)
    if cfg.kind == "binary":
        return r
    j = jerk_cost(ee_pos, actions, mask, dt, cfg)
    if cfg.form == "multiplicative":
        out = r * (1.0 - cfg.lam * j)
    else:
        out = r + cfg.lam * (1.0 - j)
    return out.astype(jnp.float32)
