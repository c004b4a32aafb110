"""Named environment dynamics: the one map from a run's ``env.dynamics`` setting to a
controller and a contact set.

* ``"ik"``: the first port's damped-least-squares IK + joint-servo controller with finger-pad
  contacts (``EnvConfig()``; ~5 cm per full-action step, no ramp: 5x LIBERO's speed).
* ``"libero"``: LIBERO's robosuite OSC_POSE controller with full contacts
  (``EnvConfig.libero()``; ~1.25 cm per step after a ~3-step ramp, docs/controller.md).

Demonstration datasets and checkpoints record the name they were made under (``meta.json``
``dynamics`` / the run config's ``env.dynamics``); those written before the record existed
were made under :data:`DEFAULT`. This module imports nothing heavy, so config validation can
use it.
"""

from __future__ import annotations

# name -> (ControllerConfig.kind, EnvConfig.contacts)
DYNAMICS: dict[str, tuple[str, str]] = {"ik": ("ik", "fast"), "libero": ("osc", "full")}
# the default EnvConfig()'s dynamics, and what an unrecorded dataset or checkpoint was made with
DEFAULT = "ik"


def check(name: str, where: str = "env.dynamics") -> str:
    """``name`` if it names a dynamics, else a one-line ValueError naming the valid ones."""
    if name not in DYNAMICS:
        raise ValueError(f"{where}={name!r} is not a dynamics; use one of {sorted(DYNAMICS)}")
    return name


def name_of(controller_kind: str, contacts: str) -> str | None:
    """The dynamics name of a (controller kind, contacts) pair, or None if it has none."""
    for name, pair in DYNAMICS.items():
        if pair == (controller_kind, contacts):
            return name
    return None


def recorded(meta: dict | None) -> str:
    """The dynamics a dataset ``meta.json`` or a checkpoint's run config records
    (``{"dynamics": ...}`` or ``{"env": {"dynamics": ...}}``); :data:`DEFAULT` when absent."""
    meta = meta or {}
    env = meta.get("env")
    name = meta.get("dynamics") or (env.get("dynamics") if isinstance(env, dict) else None)
    return name or DEFAULT


def mismatch(what: str, made: str, wanted: str, fix: str) -> str:
    """One-line error text: ``what`` was made under ``made`` but the run asks for ``wanted``."""
    return (f"{what} was made under {made!r} dynamics but config.env.dynamics={wanted!r}; "
            f"{fix} (or set --config.env.dynamics={made})")
