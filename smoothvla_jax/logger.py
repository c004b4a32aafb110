"""Metric logging: TensorBoard event files (tensorboardX) + a JSONL file (+ optional W&B).

``<workdir>/tb/`` holds the event files; ``<workdir>/metrics.jsonl`` has rows
``{"step": int, "time": unix seconds, "<prefix><name>": float, ...}``. After a resume, steps
logged after the last checkpoint appear twice; readers should keep the last row per step.

Weights & Biases (optional, off by default) is driven by the run config's ``logging`` section
(:class:`smoothvla_jax.config.LoggingConfig`)::

    logging.wandb = False           # also log every row to W&B
    logging.wandb_project = "smoothvla-jax"
    logging.wandb_name = ""         # "" = the workdir's basename
    logging.wandb_mode = ""         # "online" | "offline" | "disabled"; "" = W&B's default
                                    # (the WANDB_MODE environment variable)

Pass the config as ``MetricLogger(workdir, config=config)``. ``wandb`` is not a dependency
(``pip install wandb`` or ``pip install -e '.[wandb]'``); enabling it without the package raises
an ImportError at construction. The W&B run id is stored in ``<workdir>/wandb_run_id`` so a
resumed job continues the same W&B run (W&B ignores rows whose step went backwards).
"""

from __future__ import annotations

import importlib
import json
import os
import time
import uuid
from collections.abc import Mapping
from typing import Any

from tensorboardX import SummaryWriter

from smoothvla_jax.config import as_config

WANDB_ID_FILE = "wandb_run_id"


def _plain(config: Any) -> dict[str, Any]:
    """JSON-safe dict of the run config (for the W&B run config)."""
    return json.loads(json.dumps(as_config(config, strict=False).to_dict(), default=str))


def _init_wandb(workdir: str, config: Any) -> Any | None:
    """Starts a W&B run when ``config.logging.wandb`` is set; returns it (or None)."""
    if config is None:
        return None
    lcfg = as_config(config, strict=False).logging
    if not lcfg.wandb:
        return None
    try:
        wandb = importlib.import_module("wandb")
    except ImportError as e:
        raise ImportError("config.logging.wandb=True but the wandb package is not installed: "
                          "`pip install wandb` (or `pip install -e '.[wandb]'`), or set "
                          "--config.logging.wandb=False") from e
    id_path = os.path.join(workdir, WANDB_ID_FILE)
    if os.path.exists(id_path):
        with open(id_path, encoding="utf-8") as f:
            run_id = f.read().strip()
    else:
        run_id = uuid.uuid4().hex[:8]
        with open(id_path, "w", encoding="utf-8") as f:
            f.write(run_id)
    kwargs: dict[str, Any] = {
        "project": lcfg.wandb_project or "smoothvla-jax",
        "name": lcfg.wandb_name or os.path.basename(os.path.abspath(workdir)),
        "dir": workdir, "id": run_id, "resume": "allow", "config": _plain(config)}
    if lcfg.wandb_mode:
        kwargs["mode"] = lcfg.wandb_mode
    return wandb.init(**kwargs)


class MetricLogger:
    """Writes scalar rows to TensorBoard, ``metrics.jsonl`` and (optionally) W&B.

    Args:
      workdir: run directory (created).
      config: the run's config (ConfigDict or mapping); only its ``logging`` section is read
        here, and the whole config is sent to W&B as the run config. None = no W&B.
    """

    def __init__(self, workdir: str | os.PathLike, config: Any = None):
        self.workdir = os.fspath(workdir)
        os.makedirs(self.workdir, exist_ok=True)
        self.jsonl_path = os.path.join(self.workdir, "metrics.jsonl")
        self._wandb = _init_wandb(self.workdir, config)  # first: fails before opening files
        self._tb = SummaryWriter(os.path.join(self.workdir, "tb"))
        self._f = open(self.jsonl_path, "a", encoding="utf-8")  # noqa: SIM115

    def write(self, step: int, metrics: Mapping[str, float], prefix: str = "") -> None:
        row = {f"{prefix}{k}": float(v) for k, v in metrics.items()}
        for k, v in row.items():
            self._tb.add_scalar(k, v, step)
        self._f.write(json.dumps({"step": int(step), "time": time.time(), **row}) + "\n")
        self._f.flush()
        if self._wandb is not None:
            self._wandb.log(row, step=int(step))

    def close(self) -> None:
        self._tb.close()
        self._f.close()
        if self._wandb is not None:
            self._wandb.finish()
            self._wandb = None


def read_metrics(workdir: str, key: str) -> list[dict[str, Any]]:
    """The rows of ``<workdir>/metrics.jsonl`` that log ``key``, one per step (the last one
    written: a resumed run logs its resumed steps again), sorted by step; ``[]`` if there is
    no file."""
    path = os.path.join(workdir, "metrics.jsonl")
    if not os.path.isfile(path):
        return []
    rows: dict[int, dict[str, Any]] = {}
    with open(path, encoding="utf-8") as f:
        for line in f:
            if line.strip():
                r = json.loads(line)
                if key in r:
                    rows[int(r["step"])] = r
    return [rows[k] for k in sorted(rows)]
