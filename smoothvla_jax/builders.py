"""Builds the run's objects from a typed :class:`smoothvla_jax.config.Config` (shared by
collect/train/evaluate)."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import ml_collections

from smoothvla_jax.config import Config
from smoothvla_jax.model import InstructionTokenizer, VLAConfig, default_tokenizer

def task_keys(spec: str | Sequence[str], suite: str = "libero_10") -> list[str]:
    """Task spec -> validated, de-duplicated task keys, in order.

    ``spec`` is a comma-separated string (or a list) of task keys (``"libero_spatial/3"``),
    LIBERO task names or instructions, suite names (``"libero_goal"`` = its 10 tasks) and
    ``"all"`` (the tasks of ``suite``; with ``suite="all"`` the 40 tasks of every suite).
    Keys of different suites may be mixed.
    """
    from envs_mjx.registry import SUITES, all_tasks, get_task, suite_tasks

    if isinstance(spec, str):
        spec = spec.split(",")
    keys: list[str] = []
    for s in (s.strip() for s in spec):
        if not s:
            continue
        if s == "all":
            tasks = all_tasks() if suite == "all" else suite_tasks(suite)
        elif s in SUITES or s.removesuffix("/all") in SUITES:
            tasks = suite_tasks(s.removesuffix("/all"))
        else:
            tasks = (get_task(s),)
        keys += [t.key for t in tasks if t.key not in keys]
    if not keys:
        raise ValueError("no tasks given")
    return keys


def env_config(config: Config | str, **kwargs: Any) -> Any:
    """The ``envs_mjx.env.EnvConfig`` of a run: ``config.env.dynamics`` (or a dynamics name:
    ``"libero"`` / ``"libero_fast"`` / ``"ik"``) plus ``kwargs`` (render, max_steps,
    train_layouts). Every stage that builds an env (collection, GRPO, evaluation) builds it
    through here."""
    from envs_mjx.env import EnvConfig

    dynamics = config if isinstance(config, str) else config.env.dynamics
    return EnvConfig.for_dynamics(dynamics, **kwargs)


def episode_limit(task_key: str, horizon: int | None) -> int:
    """Control steps per episode of a task: ``horizon`` if > 0, else the task's LIBERO limit
    (libero_spatial 220, libero_object 280, libero_goal 300, libero_10 520)."""
    from envs_mjx.registry import get_task

    return int(horizon) if horizon and int(horizon) > 0 else get_task(task_key).max_steps


def eval_task_keys(config: Config, tasks: str | Sequence[str] | None = None) -> list[str]:
    """Tasks to evaluate: ``tasks`` (e.g. a CLI flag), else ``eval.tasks``, else ``data.tasks``.

    With ``eval.heldout=True`` (a generalisation run) the evaluated tasks must all be absent
    from ``data.tasks`` (the SFT demonstrations), else ``ValueError``.
    """
    suite = config.data.suite
    keys = task_keys(tasks or config.eval.tasks or config.data.tasks, suite)
    if config.eval.heldout:
        seen = set(task_keys(config.data.tasks, suite))
        overlap = [k for k in keys if k in seen]
        if overlap:
            raise ValueError(f"eval.heldout=True but {', '.join(overlap)} are also SFT tasks "
                             f"(data.tasks); held-out evaluation needs disjoint tasks")
    return keys


def vla_config(config: Config, image_size: int | None = None) -> VLAConfig:
    """Policy config: ``config.model.size`` preset + chunk/dropout/dtype, image size from data."""
    m = config.model
    preset = VLAConfig.tiny if m.size == "tiny" else VLAConfig.base
    size = int(config.data.image_size if image_size is None else image_size)
    return preset(image_size=size, chunk=int(m.chunk), dropout=float(m.dropout),
                  dtype=str(m.dtype))


def make_tokenizer(instructions: Sequence[str], vocab_size: int) -> InstructionTokenizer:
    """The default word-level tokenizer plus the task instructions; checks it fits the model."""
    tok = default_tokenizer(list(instructions))
    if tok.vocab_size > vocab_size:
        raise ValueError(f"tokenizer vocabulary {tok.vocab_size} > model vocab_size {vocab_size}")
    return tok


def collect_command(config: Config, config_path: str | None) -> str:
    """The exact shell command that creates ``config.data.root``."""
    path = config_path or "<the config file you passed>"
    return (f"python -m smoothvla_jax.collect --config={path} "
            f"--config.data.root={config.data.root}")


def load_config(path: str, overrides: Sequence[str] = ()) -> ml_collections.ConfigDict:
    """Loads a config file exactly like the CLIs do, applying ``--config.a.b=v`` overrides
    (the ConfigDict; :func:`smoothvla_jax.config.as_config` types it)."""
    from absl import flags
    from ml_collections import config_flags

    argv = ["prog", f"--config={path}", *overrides]
    fv = flags.FlagValues()
    config_flags.DEFINE_config_file("config", None, "config file", flag_values=fv, sys_argv=argv)
    fv(argv)
    return fv.config
