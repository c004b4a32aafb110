"""Exports a trained checkpoint for deployment: params + policy metadata, no optimiser state.

    python -m smoothvla_jax.export --checkpoint=runs/libero10 --out=exports/libero10 \\
        [--step=N] [--dtype=bfloat16|float32] [--force]

``--checkpoint`` is a run directory (with ``checkpoints/``) or a checkpoint directory; the
latest step is exported unless ``--step`` is given. The output is a run-like directory
``<out>/checkpoints/<step>/{params,meta}`` (:mod:`smoothvla_jax.checkpoints` layout without the
``train_state`` item), so everything that takes a run directory for inference accepts it:
:func:`smoothvla_jax.load_policy`, ``python -m smoothvla_jax.evaluate --checkpoint=<out>`` and
``grpo.init_checkpoint``. ``meta`` is copied from the source (model config, action tokenizer,
action normaliser, instruction tokenizer, run config) and gains ``exported: true``,
``source_checkpoint``, ``source_step`` and ``params_dtype``.

``--dtype`` casts the floating-point params (``bfloat16`` halves the size; the model still
computes in its configured dtype); by default they are kept as trained. An existing non-empty
``--out`` is refused unless ``--force`` (which deletes it first).
"""

from __future__ import annotations

import os
import shutil
from typing import Any

import jax
import jax.numpy as jnp
from absl import flags

from smoothvla_jax import checkpoints
from smoothvla_jax.model import param_count

DTYPES = ("bfloat16", "float32")


def dir_size(path: str | os.PathLike) -> int:
    """Total size in bytes of the files under ``path``."""
    total = 0
    for root, _, files in os.walk(path):
        total += sum(os.path.getsize(os.path.join(root, f)) for f in files)
    return total


def _is_within(path: str, parent: str) -> bool:
    return os.path.commonpath([path, parent]) == parent


def _check_out(out: str, source: str, force: bool) -> None:
    if _is_within(out, source) or _is_within(source, out):
        raise ValueError(f"--out {out!r} overlaps the source checkpoint {source!r}; "
                         f"export to a separate directory")
    if os.path.exists(out) and not os.path.isdir(out):
        raise FileExistsError(f"--out {out!r} exists and is not a directory")
    if os.path.isdir(out) and os.listdir(out):
        if not force:
            raise FileExistsError(f"--out {out!r} exists and is not empty; pass --force "
                                  f"(export(..., force=True)) to replace it")
        shutil.rmtree(out)


def export(checkpoint: str | os.PathLike, out: str | os.PathLike, step: int | None = None,
           dtype: str | None = None, force: bool = False) -> dict[str, Any]:
    """Writes a params-only copy of ``checkpoint`` (latest or ``step``) to ``out``.

    Args:
      checkpoint: run directory or checkpoint directory.
      out: output directory (becomes ``<out>/checkpoints/<step>/{params,meta}``).
      step: source step (default: latest).
      dtype: ``"bfloat16"`` / ``"float32"`` casts the floating-point params; None keeps them.
      force: replace a non-empty ``out``.

    Returns:
      ``{"out", "step", "param_count", "params_dtype", "bytes", "source", "source_bytes"}``.

    Raises:
      CheckpointNotFoundError / CheckpointError: unreadable source. FileExistsError: ``out``
      not empty (and not ``force``). ValueError: bad ``dtype`` or ``out`` overlapping the source.
    """
    if dtype is not None and dtype not in DTYPES:
        raise ValueError(f"dtype must be one of {DTYPES} (or None to keep), got {dtype!r}")
    source = checkpoints.resolve_dir(checkpoint)
    out = os.path.abspath(os.fspath(out))
    src = checkpoints.Checkpointer(source, read_only=True)
    step, params, _, meta = src.restore(step=step)
    src.close()
    _check_out(out, source, force)
    if dtype is not None:
        params = checkpoints.cast_floating(params, dtype)
    dtypes = sorted({str(x.dtype) for x in jax.tree.leaves(params)
                     if jnp.issubdtype(x.dtype, jnp.floating)})
    meta = dict(meta, exported=True, source_checkpoint=source, source_step=int(step),
                params_dtype=",".join(dtypes))
    dst = checkpoints.Checkpointer(os.path.join(out, "checkpoints"), max_to_keep=None)
    dst.save(step, params, None, meta)
    dst.close()
    src_bytes = dir_size(os.path.join(source, str(step)))
    return {"out": out, "step": int(step), "param_count": param_count(params),
            "params_dtype": meta["params_dtype"], "bytes": dir_size(out), "source": source,
            "source_bytes": src_bytes}


def _mb(n: int) -> str:
    return f"{n / 2**20:.2f} MiB"


def main(argv: list[str]) -> None:
    if len(argv) > 1:
        raise ValueError(f"unexpected arguments {argv[1:]}; every option is a --flag")
    f = flags.FLAGS
    try:
        s = export(f.checkpoint, f.out, f.step, f.dtype, f.force)
    except FileExistsError as e:
        raise ValueError(f"{e}") from e
    print(f"exported step {s['step']} of {s['source']}\n"
          f"  -> {s['out']}\n"
          f"  {s['param_count']:,} params ({s['params_dtype']}), {_mb(s['bytes'])} on disk "
          f"(source step with optimiser state: {_mb(s['source_bytes'])})\n"
          f"  load with: smoothvla_jax.load_policy({s['out']!r})")


if __name__ == "__main__":
    from smoothvla_jax import cli

    flags.DEFINE_string("checkpoint", None, "run directory or checkpoints/ directory")
    flags.DEFINE_string("out", None, "output directory")
    flags.DEFINE_integer("step", None, "checkpoint step (default: latest)")
    flags.DEFINE_enum("dtype", None, list(DTYPES), "cast floating-point params (default: keep)")
    flags.DEFINE_bool("force", False, "replace a non-empty --out")
    flags.mark_flags_as_required(["checkpoint", "out"])
    cli.run(main, config_flag=None)
