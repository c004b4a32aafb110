"""Metric logging: TensorBoard event files (tensorboardX) + a JSONL file, one row per write.

``<workdir>/tb/`` holds the event files; ``<workdir>/metrics.jsonl`` has rows
``{"step": int, "time": unix seconds, "<prefix><name>": float, ...}``. After a resume, steps
logged after the last checkpoint appear twice; readers should keep the last row per step.
"""

from __future__ import annotations

import json
import os
import time
from collections.abc import Mapping

from tensorboardX import SummaryWriter


class MetricLogger:
    def __init__(self, workdir: str | os.PathLike):
        self.workdir = os.fspath(workdir)
        os.makedirs(self.workdir, exist_ok=True)
        self.jsonl_path = os.path.join(self.workdir, "metrics.jsonl")
        self._tb = SummaryWriter(os.path.join(self.workdir, "tb"))
        self._f = open(self.jsonl_path, "a", encoding="utf-8")  # noqa: SIM115

    def write(self, step: int, metrics: Mapping[str, float], prefix: str = "") -> None:
        row = {f"{prefix}{k}": float(v) for k, v in metrics.items()}
        for k, v in row.items():
            self._tb.add_scalar(k, v, step)
        self._f.write(json.dumps({"step": int(step), "time": time.time(), **row}) + "\n")
        self._f.flush()

    def close(self) -> None:
        self._tb.close()
        self._f.close()
