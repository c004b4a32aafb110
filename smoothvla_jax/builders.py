"""Builds the run's objects from an ml_collections config (shared by collect/train/evaluate)."""

from __future__ import annotations

import json
from collections.abc import Sequence
from typing import Any

import ml_collections

from smoothvla_jax.model import InstructionTokenizer, VLAConfig, default_tokenizer

_SIZES = ("tiny", "base")


def task_keys(spec: str | Sequence[str], suite: str = "libero_10") -> list[str]:
    """``"libero_10/0,libero_10/3"`` (or a list, or ``"all"``) -> validated task keys."""
    from envs_mjx.registry import get_task, suite_tasks

    if isinstance(spec, str):
        if spec.strip() == "all":
            return [t.key for t in suite_tasks(suite)]
        spec = [s for s in spec.split(",") if s.strip()]
    keys = [get_task(s.strip()).key for s in spec]
    if not keys:
        raise ValueError("no tasks given")
    return keys


def vla_config(config: ml_collections.ConfigDict, image_size: int | None = None) -> VLAConfig:
    """Policy config: ``config.model.size`` preset + chunk/dropout/dtype, image size from data."""
    m = config.model
    if m.size not in _SIZES:
        raise ValueError(f"config.model.size must be one of {_SIZES}, got {m.size!r}")
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


def to_dict(config: ml_collections.ConfigDict) -> dict[str, Any]:
    """JSON-safe plain dict of a config."""
    return json.loads(config.to_json_best_effort())


def from_dict(d: dict[str, Any]) -> ml_collections.ConfigDict:
    return ml_collections.ConfigDict(d)


def collect_command(config: ml_collections.ConfigDict, config_path: str | None) -> str:
    """The exact shell command that creates ``config.data.root``."""
    path = config_path or "<the config file you passed>"
    return (f"python -m smoothvla_jax.collect --config={path} "
            f"--config.data.root={config.data.root}")


def load_config(path: str, overrides: Sequence[str] = ()) -> ml_collections.ConfigDict:
    """Loads a config file exactly like the CLIs do, applying ``--config.a.b=v`` overrides."""
    from absl import flags
    from ml_collections import config_flags

    argv = ["prog", f"--config={path}", *overrides]
    fv = flags.FlagValues()
    config_flags.DEFINE_config_file("config", None, "config file", flag_values=fv, sys_argv=argv)
    fv(argv)
    return fv.config
