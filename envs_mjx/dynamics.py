"""Named environment dynamics: the one map from a run's ``env.dynamics`` setting to a
controller and a contact set.

* ``"libero"`` (:data:`DEFAULT`; ``EnvConfig()``): LIBERO's robosuite OSC_POSE controller with
  full contacts (~1.25 cm per full-action step after a ~3-step ramp, docs/controller.md; the
  arm, hand and every object touch the table, fixtures and each other). Every evaluation
  config uses it.
* ``"libero_fast"`` (:data:`CPU`): the same OSC controller with finger-pad contacts only (the
  arm links pass through things, objects touch only what their task needs). Full contacts
  cost ~2x on CPU (BENCHMARKS.md, "Controller (OSC) and contacts"), so the CPU-sized configs
  (``configs/cpu.py`` & co.) use this one.
* ``"ik"`` (:data:`LEGACY`): the first port's damped-least-squares IK + joint-servo controller
  with finger-pad contacts (~5 cm per full-action step, no ramp: 5x LIBERO's speed). Kept for
  the runs made under it (RESULTS.md sections 1-4) and the datasets and checkpoints they wrote.

Demonstration datasets and checkpoints record the name they were made under (``meta.json``
``dynamics`` / the run config's ``env.dynamics``); those written before the record existed
were made under :data:`LEGACY` (``"ik"``, the default then), not under today's default. This
module imports nothing heavy, so config validation can use it.
"""

from __future__ import annotations

# name -> (ControllerConfig.kind, EnvConfig.contacts)
DYNAMICS: dict[str, tuple[str, str]] = {
    "libero": ("osc", "full"),
    "libero_fast": ("osc", "fast"),
    "ik": ("ik", "fast"),
}
# the default EnvConfig()'s and config.env.dynamics' dynamics
DEFAULT = "libero"
# what the CPU-sized configs use (full contacts cost > 2x on CPU)
CPU = "libero_fast"
# what a dataset, checkpoint or evaluation written before the record existed was made under
LEGACY = "ik"


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
    """The dynamics a dataset ``meta.json``, an ``eval.json`` or a checkpoint's run config
    records (``{"dynamics": ...}`` or ``{"env": {"dynamics": ...}}``); :data:`LEGACY`
    (``"ik"``) when absent: such files were written before the record, under IK."""
    meta = meta or {}
    env = meta.get("env")
    name = meta.get("dynamics") or (env.get("dynamics") if isinstance(env, dict) else None)
    return name or LEGACY


def mismatch(what: str, made: str, wanted: str, fix: str) -> str:
    """One-line error text: ``what`` was made under ``made`` but the run asks for ``wanted``."""
    return (f"{what} was made under {made!r} dynamics but config.env.dynamics={wanted!r}; "
            f"{fix} (or set --config.env.dynamics={made})")
