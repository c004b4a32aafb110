"""Closed-loop evaluation CLI: success rates (95% Wilson interval) + smoothness metrics + videos.

    python -m smoothvla_jax.evaluate --checkpoint=runs/smoke [--config=configs/smoke.py]
        [--tasks=libero_10/0,libero_10/3] [--num_init=50] [--temperature=0] [--out=DIR]
        [--layouts=eval|train] [--seed=0 | --seed=0,1,2,3]

Without ``--config`` the run's config stored in the checkpoint is used (its ``eval`` section).
``--num_init`` must be in 1..50 (the fixed initial states of a task); ``--layouts=train``
evaluates on the first ``num_init`` training layouts instead (the distribution demonstrations
and GRPO prompts come from, e.g. to check an SFT start's sampled success before GRPO). Prints
a per-task table and writes ``<out>/eval.json`` (per-task summaries and per-episode metrics, the input of
``python -m smoothvla_jax.report``) and ``<out>/videos/<task>_init<i>.gif`` (default
``<out> = <run>/eval/step_<step>``). ``--seed`` takes one sampling seed or a comma-separated
list: each seed of a list is written to ``<out>/seed_<s>/eval.json``, all in one process, so the
rollout compiles once (~2 min on 2 CPU cores for a 240-step task) instead of once per seed. The
work is :func:`smoothvla_jax.evaluation.evaluate_policy`.
"""

from __future__ import annotations

from absl import flags
from ml_collections import config_flags

from smoothvla_jax import cli

FLAGS = flags.FLAGS


def main(argv: list[str]) -> None:
    if len(argv) > 1:
        raise cli.UserError(f"unexpected arguments {argv[1:]}; every option is a --flag")
    from smoothvla_jax.evaluation import evaluate_policy, parse_seeds, seed_subdir

    seeds = parse_seeds(FLAGS.seed)
    config = cli.typed_config()
    for seed in seeds:
        res = evaluate_policy(FLAGS.checkpoint, config, FLAGS.tasks or None, FLAGS.num_init,
                              FLAGS.temperature, FLAGS.out or None, FLAGS.step, seed,
                              layouts=FLAGS.layouts, out_subdir=seed_subdir(seeds, seed))
        print(f"results: {res['out_path']}")


if __name__ == "__main__":
    flags.DEFINE_string("checkpoint", None, "run directory or its checkpoints/ directory")
    config_flags.DEFINE_config_file("config", None, "config file (default: the run's config)")
    flags.DEFINE_string("tasks", "", "comma-separated task keys (default: eval.tasks/data.tasks)")
    flags.DEFINE_integer("num_init", None, "initial states per task, 1..50 (default: eval.num_init)")
    flags.DEFINE_float("temperature", None, "sampling temperature (default eval.temperature)")
    flags.DEFINE_string("out", "", "output directory (default <run>/eval/step_<step>)")
    flags.DEFINE_integer("step", None, "checkpoint step (default: latest)")
    flags.DEFINE_string("seed", "0", "sampling seed, or a comma-separated list of seeds (each "
                        "to <out>/seed_<s>/, one compilation for all)")
    flags.DEFINE_enum("layouts", "eval", ["eval", "train"],
                      "eval: LIBERO's 50 fixed initial states (held out); train: the first "
                      "num_init fresh training layouts (what demos and GRPO prompts start from)")
    flags.mark_flags_as_required(["checkpoint"])
    cli.run(main)
