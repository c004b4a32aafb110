"""All checkpoint I/O, over one orbax ``CheckpointManager``.

Layout (``<dir>/<step>/<item>``), three items per step:

* ``params``: the model parameter pytree (``StandardSave``); enough for inference.
* ``train_state``: ``{"opt_state", "rng" uint32 [2], "step" [], "data_position" []}``
  (``StandardSave``); only training restores it (against an abstract target).
* ``meta``: JSON with ``format_version``, ``vla_config``, ``action_tokenizer``,
  ``action_normalizer``, ``tokenizer`` (the instruction tokenizer's JSON), ``config`` (the run's
  ConfigDict as a dict) and anything else the trainer adds.

Exported checkpoints (``python -m smoothvla_jax.export``, :mod:`smoothvla_jax.export`) have the
same layout without ``train_state``; their ``meta`` adds ``exported: true``, ``source_checkpoint``,
``source_step`` and ``params_dtype``. Everything that only reads params + meta (:func:`load_policy`,
:func:`smoothvla_jax.inference.load_policy`, evaluation, GRPO initialisation) accepts both.

orbax writes each step to a temporary directory and renames it when complete, so a run killed
mid-save leaves the previous step as the latest valid checkpoint. Missing checkpoints raise
:class:`CheckpointNotFoundError`; unreadable ones raise :class:`CheckpointError` naming the path.
"""

from __future__ import annotations

import dataclasses
import json
import os
from typing import Any

import jax
import orbax.checkpoint as ocp

from smoothvla_jax.model import ActionNormalizer, ActionTokenizer, InstructionTokenizer, VLAConfig

FORMAT_VERSION = 1
PyTree = Any
_ITEMS = ("params", "train_state", "meta")


class CheckpointError(RuntimeError):
    """A checkpoint exists but cannot be read (corrupt, incomplete or incompatible)."""


class CheckpointNotFoundError(CheckpointError, FileNotFoundError):
    """No checkpoint at the given directory."""


def resolve_dir(path: str | os.PathLike) -> str:
    """Accepts a run directory (containing ``checkpoints/``) or the checkpoint directory."""
    path = os.path.abspath(os.fspath(path))
    sub = os.path.join(path, "checkpoints")
    return sub if os.path.isdir(sub) else path


def make_meta(vla_config: VLAConfig, action_tokenizer: ActionTokenizer,
              action_normalizer: ActionNormalizer, tokenizer: InstructionTokenizer,
              config: dict[str, Any] | None = None, **extra: Any) -> dict[str, Any]:
    """The JSON ``meta`` item (everything needed to rebuild the policy besides params)."""
    return {"format_version": FORMAT_VERSION, "vla_config": vla_config.to_dict(),
            "action_tokenizer": action_tokenizer.to_dict(),
            "action_normalizer": action_normalizer.to_dict(),
            "tokenizer": json.loads(tokenizer.to_json()), "config": config or {}, **extra}


class Checkpointer:
    """Thin wrapper over ``ocp.CheckpointManager`` with this project's items.

    Args:
      directory: checkpoint directory (created unless ``read_only``).
      max_to_keep: newest checkpoints kept (None = all).
      async_save: save in a background thread (call :meth:`wait` / :meth:`close`).
      read_only: open for restoring only (the directory must exist).
    """

    def __init__(self, directory: str | os.PathLike, max_to_keep: int | None = 3,
                 async_save: bool = False, read_only: bool = False):
        self.directory = os.path.abspath(os.fspath(directory))
        if read_only and not os.path.isdir(self.directory):
            raise CheckpointNotFoundError(f"no checkpoint directory {self.directory!r}")
        opts = ocp.CheckpointManagerOptions(
            max_to_keep=None if read_only else max_to_keep, create=not read_only,
            save_interval_steps=0 if read_only else 1,
            enable_async_checkpointing=async_save, read_only=read_only)
        self._mgr = ocp.CheckpointManager(self.directory, options=opts, item_names=_ITEMS)

    # ----------------------------------------------------------------------------- saving
    def save(self, step: int, params: PyTree, train_state: PyTree | None, meta: dict[str, Any],
             force: bool = True) -> bool:
        """Saves ``params``, ``train_state`` and ``meta`` at ``step``; returns whether saved.

        ``train_state=None`` writes a params-only checkpoint (params + meta; used by export):
        it loads for inference but cannot resume training.
        """
        items = {"params": ocp.args.StandardSave(params), "meta": ocp.args.JsonSave(meta)}
        if train_state is not None:
            items["train_state"] = ocp.args.StandardSave(train_state)
        return bool(self._mgr.save(int(step), args=ocp.args.Composite(**items), force=force))

    def wait(self) -> None:
        self._mgr.wait_until_finished()

    def close(self) -> None:
        self._mgr.wait_until_finished()
        self._mgr.close()

    # ----------------------------------------------------------------------------- restoring
    def all_steps(self) -> list[int]:
        return sorted(int(s) for s in self._mgr.all_steps())

    def latest_step(self) -> int | None:
        steps = self.all_steps()
        return steps[-1] if steps else None

    def _step(self, step: int | None) -> int:
        steps = self.all_steps()
        if not steps:
            raise CheckpointNotFoundError(f"no checkpoint found in {self.directory!r}")
        if step is None:
            return steps[-1]
        if int(step) not in steps:
            raise CheckpointNotFoundError(f"no checkpoint step {step} in {self.directory!r} "
                                          f"(available: {steps})")
        return int(step)

    def _restore(self, step: int, **items: ocp.args.CheckpointArgs) -> Any:
        try:
            return self._mgr.restore(step, args=ocp.args.Composite(**items))
        except Exception as e:  # orbax raises many types for truncated/garbled files
            raise CheckpointError(
                f"checkpoint {self.directory}/{step} is corrupt or incompatible "
                f"({type(e).__name__}: {e}); other steps: {self.all_steps()}") from e

    def restore_train_state(self, step: int | None = None) -> PyTree:
        """The ``train_state`` item as saved (nested dicts/arrays, no target structure): for
        inspecting a checkpoint; resuming uses :meth:`restore` with a target."""
        step = self._step(step)
        return self._restore(step, train_state=ocp.args.StandardRestore()).train_state

    def restore_meta(self, step: int | None = None) -> dict[str, Any]:
        step = self._step(step)
        meta = self._restore(step, meta=ocp.args.JsonRestore()).meta
        version = meta.get("format_version") if isinstance(meta, dict) else None
        if version != FORMAT_VERSION:
            raise CheckpointError(f"checkpoint {self.directory}/{step}: meta format_version "
                                  f"{version!r}, expected {FORMAT_VERSION}")
        return meta

    def restore(self, params_target: PyTree | None = None,
                train_state_target: PyTree | None = None,
                step: int | None = None) -> tuple[int, PyTree, PyTree | None, dict[str, Any]]:
        """Restores ``(step, params, train_state, meta)``.

        Targets are (abstract) pytrees giving structure/dtypes; ``params_target=None`` restores
        the saved structure as-is (nested dicts). ``train_state`` is restored only when
        ``train_state_target`` is given (optax states need the target's namedtuple structure).
        """
        step = self._step(step)
        meta = self.restore_meta(step)
        if train_state_target is not None and meta.get("exported"):
            raise CheckpointError(
                f"checkpoint {self.directory}/{step} is an exported params-only checkpoint (no "
                f"optimiser state); resume from the training run {meta.get('source_checkpoint')!r}"
                f" instead")
        items = {"params": ocp.args.StandardRestore(_abstract(params_target))}
        if train_state_target is not None:
            items["train_state"] = ocp.args.StandardRestore(_abstract(train_state_target))
        out = self._restore(step, **items)
        train_state = out.train_state if train_state_target is not None else None
        return step, out.params, train_state, meta


def cast_floating(tree: PyTree, dtype: Any) -> PyTree:
    """Casts the floating-point leaves of ``tree`` to ``dtype`` (other leaves unchanged)."""
    dtype = jax.numpy.dtype(dtype)

    def cast(x):
        return x.astype(dtype) if jax.numpy.issubdtype(x.dtype, jax.numpy.floating) else x

    return jax.tree.map(cast, tree)


def _abstract(tree: PyTree | None) -> PyTree | None:
    if tree is None:
        return None
    def leaf(x):  # keep a jax.Array's sharding: restored arrays land where the target lives
        sharding = getattr(x, "sharding", None) if isinstance(x, jax.Array) else None
        return jax.ShapeDtypeStruct(x.shape, x.dtype, sharding=sharding)

    return jax.tree.map(leaf, tree)


@dataclasses.dataclass
class Policy:
    """Everything needed to run a trained policy (see :func:`load_policy`)."""

    params: PyTree
    vla_config: VLAConfig
    action_tokenizer: ActionTokenizer
    action_normalizer: ActionNormalizer
    tokenizer: InstructionTokenizer
    config: dict[str, Any]
    step: int
    meta: dict[str, Any]
    directory: str = ""

    @property
    def dynamics(self) -> str:
        """The env dynamics the policy was trained under: its run config's ``env.dynamics``
        (``"ik"`` for checkpoints written before the record; exports keep their source's)."""
        from envs_mjx.dynamics import recorded

        return recorded(self.config)

    def check_dynamics(self, dynamics: str) -> None:
        """CheckpointError unless the policy was trained under ``dynamics``."""
        from envs_mjx.dynamics import mismatch

        if self.dynamics != dynamics:
            raise CheckpointError(mismatch(
                f"checkpoint {self.directory}/{self.step}", self.dynamics, dynamics,
                f"evaluate or fine-tune it under {self.dynamics!r}, or train a policy on a "
                f"dataset collected under {dynamics!r}"))


def load_policy(path: str | os.PathLike, step: int | None = None) -> Policy:
    """Loads params + policy metadata from a run or checkpoint directory (latest step default).

    Raises:
      CheckpointNotFoundError: no checkpoint there. CheckpointError: unreadable checkpoint.
    """
    ckpt = Checkpointer(resolve_dir(path), read_only=True)
    step, params, _, meta = ckpt.restore(step=step)
    try:
        pol = Policy(params=params, vla_config=VLAConfig.from_dict(meta["vla_config"]),
                     action_tokenizer=ActionTokenizer.from_dict(meta["action_tokenizer"]),
                     action_normalizer=ActionNormalizer.from_dict(meta["action_normalizer"]),
                     tokenizer=InstructionTokenizer.from_json(json.dumps(meta["tokenizer"])),
                     config=meta.get("config", {}), step=step, meta=meta,
                     directory=ckpt.directory)
    except Exception as e:  # KeyError, TypeError, ValueError from the from_dict constructors
        raise CheckpointError(f"checkpoint {ckpt.directory}/{step}: bad metadata: {e}") from e
    ckpt.close()
    return pol
