"""Discretisation of continuous actions into tokens, and action normalisation.

:class:`ActionTokenizer` maps each action dimension to one of ``num_bins`` uniform bins over
``[low, high]`` (default 256 bins over [-1, 1], as in OpenVLA). Bin ``i`` covers
``[low + i*w, low + (i+1)*w)`` with ``w = (high - low) / num_bins`` and decodes to its centre, so
the round-trip error of an in-range value is at most ``w / 2``. Out-of-range values are clipped
first; NaNs map to the bin containing 0 (the middle of the range).

:class:`ActionNormalizer` maps raw dataset actions to the tokenizer's range (and back). LIBERO
actions are already in [-1, 1] so the default is the identity.

Both classes work on NumPy arrays (returning NumPy) and on JAX arrays/tracers (returning JAX,
jit-friendly).
"""

from __future__ import annotations

import dataclasses
from typing import Any

import jax
import jax.numpy as jnp
import numpy as np


def _xp(x: Any):
    """``jnp`` for JAX arrays (and tracers), ``np`` otherwise."""
    return jnp if isinstance(x, jax.Array) else np


@dataclasses.dataclass(frozen=True)
class ActionTokenizer:
    """Uniform per-dimension binning: ``encode(actions [..., D]) -> int32 bins [..., D]``."""

    num_bins: int = 256
    low: float = -1.0
    high: float = 1.0

    def __post_init__(self):
        if self.num_bins < 2:
            raise ValueError("num_bins must be >= 2")
        if not self.high > self.low:
            raise ValueError("need high > low")

    @property
    def bin_width(self) -> float:
        return (self.high - self.low) / self.num_bins

    @property
    def bin_centers(self) -> np.ndarray:
        """float32 [num_bins] centres of the bins."""
        return (self.low + (np.arange(self.num_bins) + 0.5) * self.bin_width).astype(np.float32)

    def encode(self, actions: Any) -> Any:
        """float actions [..., D] -> int32 bins [..., D] in ``[0, num_bins)`` (clipped first)."""
        xp = _xp(actions)
        a = xp.asarray(actions, dtype=xp.float32)
        mid = 0.5 * (self.low + self.high)
        a = xp.where(xp.isnan(a), mid, a)
        a = xp.clip(a, self.low, self.high)
        idx = xp.floor((a - self.low) / self.bin_width)
        return xp.clip(idx, 0, self.num_bins - 1).astype(xp.int32)

    def decode(self, bins: Any) -> Any:
        """int bins [..., D] -> float32 bin centres [..., D] (bins are clipped to range)."""
        xp = _xp(bins)
        b = xp.clip(xp.asarray(bins), 0, self.num_bins - 1).astype(xp.float32)
        return (self.low + (b + 0.5) * self.bin_width).astype(xp.float32)

    def to_dict(self) -> dict[str, Any]:
        return {"num_bins": int(self.num_bins), "low": float(self.low), "high": float(self.high)}

    @classmethod
    def from_dict(cls, d: dict[str, Any]) -> ActionTokenizer:
        return cls(num_bins=int(d["num_bins"]), low=float(d["low"]), high=float(d["high"]))


_MODES = ("identity", "mean_std", "min_max")


@dataclasses.dataclass(frozen=True)
class ActionNormalizer:
    """Per-dimension affine action normalisation (identity by default).

    Modes:
      * ``identity``: ``normalize(a) = a``.
      * ``mean_std``: ``(a - mean) / std``.
      * ``min_max``: maps ``[min, max]`` to ``[-1, 1]`` (``min``/``max`` may be quantiles, see
        :meth:`from_data`). The result is *not* clipped; :class:`ActionTokenizer` clips.

    Dimensions where ``mask`` is False are passed through unchanged (e.g. a binary gripper).
    Statistics are stored as tuples of floats so the object is hashable (jit-static friendly).
    """

    mode: str = "identity"
    mean: tuple[float, ...] | None = None
    std: tuple[float, ...] | None = None
    min: tuple[float, ...] | None = None
    max: tuple[float, ...] | None = None
    mask: tuple[bool, ...] | None = None
    eps: float = 1e-6

    def __post_init__(self):
        if self.mode not in _MODES:
            raise ValueError(f"mode must be one of {_MODES}, got {self.mode!r}")
        if self.mode == "mean_std" and (self.mean is None or self.std is None):
            raise ValueError("mean_std mode needs mean and std")
        if self.mode == "min_max" and (self.min is None or self.max is None):
            raise ValueError("min_max mode needs min and max")

    @classmethod
    def identity(cls) -> ActionNormalizer:
        return cls()

    @classmethod
    def from_data(
        cls,
        actions: Any,
        mode: str = "mean_std",
        quantile: float | None = None,
        mask: Any = None,
    ) -> ActionNormalizer:
        """Fits statistics on ``actions`` [N, D] (any leading dims are flattened).

        Args:
          actions: dataset actions [..., D].
          mode: ``"mean_std"``, ``"min_max"`` or ``"identity"``.
          quantile: for ``min_max``, use the ``quantile`` / ``1 - quantile`` quantiles instead of
            the min/max (e.g. 0.01 as in OpenVLA's q01/q99 bounds).
          mask: bool [D]; False dims are not normalised.
        """
        a = np.asarray(actions, dtype=np.float64)
        a = a.reshape(-1, a.shape[-1])
        m = None if mask is None else tuple(bool(x) for x in np.asarray(mask).reshape(-1))
        if mode == "identity":
            return cls(mask=m)
        if mode == "mean_std":
            return cls(mode=mode, mean=tuple(a.mean(0).tolist()), std=tuple(a.std(0).tolist()),
                       mask=m)
        if mode == "min_max":
            if quantile is None:
                lo, hi = a.min(0), a.max(0)
            else:
                lo, hi = np.quantile(a, quantile, axis=0), np.quantile(a, 1.0 - quantile, axis=0)
            return cls(mode=mode, min=tuple(lo.tolist()), max=tuple(hi.tolist()), mask=m)
        raise ValueError(f"unknown mode {mode!r}")

    def _apply_mask(self, xp, new, old):
        if self.mask is None:
            return new
        return xp.where(xp.asarray(self.mask), new, old)

    def _center_scale(self, xp) -> tuple[Any, Any]:
        """``(center, scale)`` [D] with ``normalised = (raw - center) / scale``.

        mean_std: ``(mean, std + eps)``. min_max maps ``[lo, hi]`` onto ``[-1, 1]``:
        ``half = (hi - lo + eps) / 2`` and ``(lo + half, half)``.
        """
        if self.mode == "mean_std":
            return (xp.asarray(self.mean, dtype=xp.float32),
                    xp.asarray(self.std, dtype=xp.float32) + self.eps)
        lo = xp.asarray(self.min, dtype=xp.float32)
        half = 0.5 * (xp.asarray(self.max, dtype=xp.float32) - lo + self.eps)
        return lo + half, half

    def normalize(self, actions: Any) -> Any:
        """Raw actions [..., D] -> normalised actions [..., D] (float32)."""
        xp = _xp(actions)
        a = xp.asarray(actions, dtype=xp.float32)
        if self.mode == "identity":
            return a
        center, scale = self._center_scale(xp)
        return self._apply_mask(xp, (a - center) / scale, a).astype(xp.float32)

    def unnormalize(self, actions: Any) -> Any:
        """Normalised actions [..., D] -> raw actions [..., D] (float32)."""
        xp = _xp(actions)
        a = xp.asarray(actions, dtype=xp.float32)
        if self.mode == "identity":
            return a
        center, scale = self._center_scale(xp)
        return self._apply_mask(xp, a * scale + center, a).astype(xp.float32)

    def to_dict(self) -> dict[str, Any]:
        d: dict[str, Any] = {"mode": self.mode, "eps": float(self.eps)}
        for k in ("mean", "std", "min", "max", "mask"):
            v = getattr(self, k)
            d[k] = None if v is None else list(v)
        return d

    @classmethod
    def from_dict(cls, d: dict[str, Any]) -> ActionNormalizer:
        def tup(k, f):
            v = d.get(k)
            return None if v is None else tuple(f(x) for x in v)

        return cls(mode=d.get("mode", "identity"), mean=tup("mean", float), std=tup("std", float),
                   min=tup("min", float), max=tup("max", float), mask=tup("mask", bool),
                   eps=float(d.get("eps", 1e-6)))
