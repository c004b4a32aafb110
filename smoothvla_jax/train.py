"""Training entry point; ``config.stage`` picks the stage.

    python -m smoothvla_jax.train --config=configs/libero10.py [--config.seed=3]

Stages: ``"sft"`` (:func:`smoothvla_jax.sft.train_sft`, then
:func:`smoothvla_jax.evaluate.evaluate` when ``config.eval.after_train``); ``"grpo"``
(:func:`smoothvla_jax.rl.trainer.run_grpo`, needs ``config.grpo``/``config.reward``, e.g.
``configs/grpo_smoke.py``).
Outputs in ``config.workdir``: ``checkpoints/`` (orbax, see :mod:`smoothvla_jax.checkpoints`),
``tb/`` (TensorBoard), ``metrics.jsonl``. Re-running resumes from the latest checkpoint
(``config.sft.resume``). A missing dataset raises an error with the exact collect command, or
is collected first when ``config.data.auto_collect`` is True.
"""

from __future__ import annotations

import ml_collections
from absl import app, flags, logging
from ml_collections import config_flags

STAGES = ("sft", "grpo")


def train(config: ml_collections.ConfigDict, config_path: str | None = None,
          stop_at: int | None = None) -> dict:
    """Runs ``config.stage``; returns its summary dict (workdir, step, last metrics).

    ``config_path`` only improves error messages; ``stop_at`` ends the run early at that global
    step with a checkpoint (see :func:`smoothvla_jax.sft.train_sft`)."""
    stage = config.stage
    if stage == "sft":
        from smoothvla_jax.sft import train_sft

        summary = train_sft(config, config_path, stop_at)
        if config.eval.get("after_train", False) and summary["step"] >= config.sft.num_steps:
            from smoothvla_jax.evaluate import evaluate

            res = evaluate(summary["workdir"], config)
            summary.update(eval_dir=res["out_dir"], eval=res["tasks"]["overall"])
        return summary
    if stage == "grpo":
        if "grpo" not in config or "reward" not in config:
            raise ValueError("config.stage='grpo' needs config.grpo and config.reward sections "
                             "(see configs/grpo_smoke.py, configs/grpo_cpu.py)")
        from smoothvla_jax.rl.trainer import run_grpo

        return run_grpo(config)
    raise ValueError(f"unknown config.stage {stage!r}; expected one of {STAGES}")


def main(argv: list[str]) -> None:
    del argv
    logging.set_verbosity(logging.WARNING)  # orbax logs every save at INFO
    path = config_flags.get_config_filename(flags.FLAGS["config"])
    config = flags.FLAGS.config
    if config.get("parallel", None) is not None and config.parallel.get("distributed", False):
        from smoothvla_jax.parallel import initialize_distributed

        initialize_distributed()  # multi-host: before anything else touches the devices
    summary = train(config, path)
    print(summary)


if __name__ == "__main__":
    config_flags.DEFINE_config_file("config", None, "config file, e.g. configs/smoke.py")
    flags.mark_flags_as_required(["config"])
    app.run(main)
