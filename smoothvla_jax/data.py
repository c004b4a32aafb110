"""Demonstration datasets: on-disk format (write / read) and the SFT batch loader.

On-disk format (version :data:`FORMAT_VERSION`, documented in ``docs/dataset.md``)::

    <root>/meta.json                 written last: its presence marks a complete dataset
    <root>/<task_dir>/agentview.npy  uint8   [N, T, H, W, 3]  observation before action t
    <root>/<task_dir>/wrist.npy      uint8   [N, T, H, W, 3]
    <root>/<task_dir>/proprio.npy    float32 [N, T, 8]
    <root>/<task_dir>/actions.npy    float32 [N, T, 7]        executed action t
    <root>/<task_dir>/ee_pos.npy     float32 [N, T, 3]        end-effector position after action t
    <root>/<task_dir>/lengths.npy    int32   [N]              valid steps of each episode
    <root>/<task_dir>/success.npy    bool    [N]
    <root>/<task_dir>/init_index.npy int32   [N]              initial layout (>= 50: a training layout)

Episodes are right-padded with zeros to the task's longest episode ``T``. ``task_dir`` is the
task key with ``/`` replaced by ``_`` (``libero_10/3`` -> ``libero_10_3``). Plain ``.npy`` files
(not ``.npz``) so the image arrays can be memory-mapped: a full LIBERO-10 dataset at 128 px is
tens of GB.

SFT samples are (observation at step t, target chunk ``actions[t:t+K]``) for every valid step of
every episode. Past the episode end the chunk is padded (``pad_mode``): ``"noop"`` repeats
``[0]*6 + [last gripper command]`` (hold still, keep the grasp), ``"last"`` repeats the last
action. ``SFTBatch.action_valid`` marks the real (unpadded) targets.
"""

from __future__ import annotations

import dataclasses
import json
import os
import shutil
from collections.abc import Iterator, Sequence
from typing import Any

import numpy as np

from smoothvla_jax.model import InstructionTokenizer, Observation

FORMAT_VERSION = 1
ARRAYS: dict[str, tuple[str, int]] = {  # name -> (dtype, rank)
    "agentview": ("uint8", 5), "wrist": ("uint8", 5), "proprio": ("float32", 3),
    "actions": ("float32", 3), "ee_pos": ("float32", 3), "lengths": ("int32", 1),
    "success": ("bool", 1), "init_index": ("int32", 1),
}
PAD_MODES = ("noop", "last")


class DatasetError(RuntimeError):
    """A dataset is missing, incomplete, corrupt or incompatible."""


class DatasetNotFoundError(DatasetError, FileNotFoundError):
    """No dataset (no ``meta.json``) at the given root."""


def task_dir_name(task_key: str) -> str:
    return task_key.replace("/", "_")


# ============================================================================ writing
def write_task(root: str | os.PathLike, task_key: str, episodes: dict[str, np.ndarray]) -> dict:
    """Writes one task's padded episode arrays (see module docstring) to ``root/<task_dir>``.

    Args:
      root: dataset directory (created).
      task_key: e.g. ``"libero_10/0"``.
      episodes: every name of :data:`ARRAYS` with leading dim N (N may be 0).

    Returns:
      The task's ``meta.json`` entry (without ``instruction``).
    """
    missing = sorted(set(ARRAYS) - set(episodes))
    if missing:
        raise ValueError(f"write_task: missing arrays {missing}")
    n = int(np.asarray(episodes["lengths"]).shape[0])
    d = os.path.join(os.fspath(root), task_dir_name(task_key))
    if os.path.exists(d):
        shutil.rmtree(d)
    os.makedirs(d)
    shapes = {}
    for name, (dtype, rank) in ARRAYS.items():
        a = np.asarray(episodes[name]).astype(dtype, copy=False)
        if a.ndim != rank or a.shape[0] != n:
            raise ValueError(f"write_task: {name} has shape {a.shape}, expected rank {rank} "
                             f"with leading dim {n}")
        np.save(os.path.join(d, f"{name}.npy"), a)
        shapes[name] = list(a.shape)
    return {"key": task_key, "dir": task_dir_name(task_key), "num_episodes": n, "shapes": shapes}


def write_meta(root: str | os.PathLike, tasks: Sequence[dict], **info: Any) -> str:
    """Writes ``meta.json`` (call last). ``tasks``: entries from :func:`write_task` with an
    ``instruction`` added. ``info``: image_size, control_dt, ... stored verbatim."""
    meta = {"format_version": FORMAT_VERSION, **info, "tasks": list(tasks)}
    path = os.path.join(os.fspath(root), "meta.json")
    tmp = path + ".tmp"
    with open(tmp, "w", encoding="utf-8") as f:
        json.dump(meta, f, indent=1)
    os.replace(tmp, path)
    return path


# ============================================================================ reading
@dataclasses.dataclass
class TaskEpisodes:
    """One task's episodes; image arrays are read-only memory maps. Shapes as in the module
    docstring."""

    key: str
    instruction: str
    agentview: np.ndarray
    wrist: np.ndarray
    proprio: np.ndarray
    actions: np.ndarray
    ee_pos: np.ndarray
    lengths: np.ndarray
    success: np.ndarray
    init_index: np.ndarray

    @property
    def num_episodes(self) -> int:
        return int(self.lengths.shape[0])


@dataclasses.dataclass
class Dataset:
    root: str
    meta: dict[str, Any]
    tasks: list[TaskEpisodes]

    @property
    def image_size(self) -> tuple[int, int]:
        h, w = self.meta["image_size"]
        return int(h), int(w)

    @property
    def instructions(self) -> list[str]:
        return [t.instruction for t in self.tasks]

    @property
    def dynamics(self) -> str:
        """The env dynamics the demonstrations were collected under (``"ik"`` when unrecorded)."""
        from envs_mjx.dynamics import recorded

        return recorded(self.meta)


def read_meta(root: str | os.PathLike, hint: str = "") -> dict[str, Any]:
    """Reads and validates ``meta.json``. ``hint`` (e.g. the collect command) is appended to the
    not-found error."""
    path = os.path.join(os.fspath(root), "meta.json")
    if not os.path.isfile(path):
        msg = f"no dataset at {os.fspath(root)!r} (missing meta.json)."
        raise DatasetNotFoundError(msg + (f" Create it with:\n  {hint}" if hint else ""))
    try:
        with open(path, encoding="utf-8") as f:
            meta = json.load(f)
    except (OSError, ValueError) as e:
        raise DatasetError(f"corrupt dataset metadata {path}: {e}") from e
    if not isinstance(meta, dict) or meta.get("format_version") != FORMAT_VERSION:
        got = meta.get("format_version") if isinstance(meta, dict) else None
        raise DatasetError(f"{path}: format_version {got!r}, this code reads {FORMAT_VERSION}; "
                           "re-collect the dataset")
    for k in ("tasks", "image_size", "control_dt"):
        if k not in meta:
            raise DatasetError(f"{path}: missing key {k!r}")
    return meta


def check_dynamics(meta: dict[str, Any], root: str, dynamics: str) -> None:
    """DatasetError unless the dataset's recorded dynamics (``meta["dynamics"]``; ``"ik"``
    when absent: datasets collected before the record) is ``dynamics``."""
    from envs_mjx.dynamics import mismatch, recorded

    made = recorded(meta)
    if made != dynamics:
        raise DatasetError(mismatch(f"dataset {root}", made, dynamics,
                                    f"collect one under {dynamics!r} into a new "
                                    f"--config.data.root"))


def load_dataset(root: str | os.PathLike, tasks: Sequence[str] | None = None,
                 hint: str = "", dynamics: str | None = None) -> Dataset:
    """Opens a dataset (images memory-mapped) and checks every array against ``meta.json``.

    Args:
      root: dataset directory.
      tasks: task keys to load (default: all in the dataset).
      hint: appended to the not-found error (e.g. the command that creates the dataset).
      dynamics: if given, the env dynamics the dataset must have been collected under
        (:func:`check_dynamics`).

    Raises:
      DatasetNotFoundError: no ``meta.json``. DatasetError: corrupt/incomplete/mismatched files,
      or other dynamics.
    """
    root = os.fspath(root)
    meta = read_meta(root, hint)
    if dynamics is not None:
        check_dynamics(meta, root, dynamics)
    entries = {t["key"]: t for t in meta["tasks"]}
    keys = list(entries) if tasks is None else list(tasks)
    unknown = [k for k in keys if k not in entries]
    if unknown:
        raise DatasetError(f"{root}: tasks {unknown} not in dataset (has {list(entries)})")
    out = []
    for k in keys:
        e = entries[k]
        arrays = {}
        for name, (dtype, rank) in ARRAYS.items():
            path = os.path.join(root, e["dir"], f"{name}.npy")
            try:
                a = np.load(path, mmap_mode="r" if rank == 5 else None)
            except (OSError, ValueError) as err:
                raise DatasetError(f"corrupt or missing dataset file {path}: {err}") from err
            if list(a.shape) != list(e["shapes"][name]) or a.dtype != np.dtype(dtype):
                raise DatasetError(f"{path}: shape {a.shape} {a.dtype}, meta.json says "
                                   f"{e['shapes'][name]} {dtype}; dataset is corrupt")
            arrays[name] = a
        lengths = arrays["lengths"]
        t_max = arrays["actions"].shape[1]
        if lengths.size and (lengths.min() < 1 or lengths.max() > t_max):
            raise DatasetError(f"{root}/{e['dir']}: episode lengths outside [1, {t_max}]")
        out.append(TaskEpisodes(key=k, instruction=e["instruction"], **arrays))
    return Dataset(root=root, meta=meta, tasks=out)


# ============================================================================ SFT loader
@dataclasses.dataclass
class SFTBatch:
    """Host (NumPy) SFT batch.

    Attributes:
      obs: :class:`Observation` with leading dim B (NumPy arrays, canonical dtypes).
      actions: float32 [B, K, 7] raw target chunk ``actions[t:t+K]`` (padded past the end).
      action_valid: bool [B, K], False on padded targets.
    """

    obs: Observation
    actions: np.ndarray
    action_valid: np.ndarray


def chunk_targets(actions: np.ndarray, length: int, t: np.ndarray, chunk: int,
                  pad_mode: str = "noop") -> tuple[np.ndarray, np.ndarray]:
    """Target chunks of one episode.

    Args:
      actions: float [T, 7] (valid prefix ``length``); t: int [M] start steps (< length).

    Returns:
      ``(targets float32 [M, K, 7], valid bool [M, K])``.
    """
    if pad_mode not in PAD_MODES:
        raise ValueError(f"pad_mode must be one of {PAD_MODES}, got {pad_mode!r}")
    idx = np.asarray(t)[:, None] + np.arange(chunk)[None]  # [M, K]
    valid = idx < length
    last = np.asarray(actions[length - 1], np.float32)
    pad = last if pad_mode == "last" else np.concatenate([np.zeros(6, np.float32), last[6:]])
    out = np.asarray(actions, np.float32)[np.minimum(idx, length - 1)]
    return np.where(valid[..., None], out, pad).astype(np.float32), valid


class SFTLoader:
    """Shuffled, resumable stream of SFT batches over all valid (episode, step) samples.

    Sample order: the stream concatenates epochs; epoch ``e`` is the permutation
    ``np.random.default_rng([seed, e]).permutation(num_samples)``, so batch ``i`` is a pure function
    of ``(seed, i)`` and resuming only needs the position (samples consumed).
    """

    def __init__(self, dataset: Dataset, tokenizer: InstructionTokenizer, chunk: int,
                 batch_size: int, seed: int, text_len: int, pad_mode: str = "noop"):
        if pad_mode not in PAD_MODES:
            raise ValueError(f"pad_mode must be one of {PAD_MODES}, got {pad_mode!r}")
        self.dataset, self.chunk, self.batch_size = dataset, int(chunk), int(batch_size)
        self.seed, self.pad_mode = int(seed), pad_mode
        tok, mask = tokenizer.encode([t.instruction for t in dataset.tasks], max_len=text_len)
        self.text_tokens, self.text_mask = tok, mask  # [num_tasks, L]
        rows = [np.stack([np.full(int(n), ti), np.full(int(n), ei), np.arange(int(n))], 1)
                for ti, task in enumerate(dataset.tasks)
                for ei, n in enumerate(task.lengths)]
        self.index = (np.concatenate(rows).astype(np.int64) if rows
                      else np.zeros((0, 3), np.int64))  # [M, (task, episode, t)]
        if len(self.index) == 0:
            raise DatasetError(f"dataset {dataset.root} has no episodes")

    @property
    def num_samples(self) -> int:
        return int(self.index.shape[0])

    def sample_ids(self, position: int, count: int) -> np.ndarray:
        """Rows of :attr:`index` at stream positions ``[position, position + count)``."""
        n, out = self.num_samples, []
        pos = int(position)
        while len(out) < count:
            epoch, off = divmod(pos, n)
            perm = np.random.default_rng([self.seed, epoch]).permutation(n)
            take = perm[off: off + count - len(out)]
            out.extend(take.tolist())
            pos += len(take)
        return np.asarray(out, np.int64)

    def gather(self, rows: np.ndarray) -> SFTBatch:
        """Batch of the given :attr:`index` rows (any order)."""
        b, k = len(rows), self.chunk
        h, w = self.dataset.image_size
        agent = np.empty((b, h, w, 3), np.uint8)
        wrist = np.empty((b, h, w, 3), np.uint8)
        proprio = np.empty((b, 8), np.float32)
        acts = np.empty((b, k, 7), np.float32)
        valid = np.empty((b, k), bool)
        for i, (ti, ei, t) in enumerate(self.index[rows]):
            task = self.dataset.tasks[ti]
            agent[i], wrist[i], proprio[i] = task.agentview[ei, t], task.wrist[ei, t], \
                task.proprio[ei, t]
            a, v = chunk_targets(task.actions[ei], int(task.lengths[ei]), np.array([t]), k,
                                 self.pad_mode)
            acts[i], valid[i] = a[0], v[0]
        ti = self.index[rows, 0]
        obs = Observation(agentview=agent, wrist=wrist, proprio=proprio,
                          tokens=self.text_tokens[ti].astype(np.int32),
                          token_mask=self.text_mask[ti].astype(bool))
        return SFTBatch(obs=obs, actions=acts, action_valid=valid)

    def batch_at(self, position: int) -> SFTBatch:
        """The batch starting at stream position ``position``."""
        return self.gather(self.sample_ids(position, self.batch_size))

    def iterate(self, position: int = 0) -> Iterator[tuple[SFTBatch, int]]:
        """Yields ``(batch, position after it)`` forever, starting at ``position``."""
        while True:
            batch = self.batch_at(position)
            position += self.batch_size
            yield batch, position


# ============================================================================ synthetic data
def write_synthetic(root: str | os.PathLike, task_keys: Sequence[str] = ("libero_10/0",),
                    num_episodes: int = 3, length: int = 12, image_size: int = 32,
                    seed: int = 0, dynamics: str | None = None) -> Dataset:
    """Writes a small learnable dataset without MJX (tests, debugging): images brighten with t,
    actions are smooth functions of t, episode i has length ``length - i``. ``dynamics`` is
    recorded as the env dynamics it stands for (None: no record, like a dataset collected
    before the record, which reads as ``"ik"``)."""
    from envs_mjx.registry import get_task

    rng = np.random.default_rng(seed)
    entries = []
    for key in task_keys:
        n, t_max = num_episodes, length
        t = np.arange(t_max, dtype=np.float32)
        lengths = np.array([max(t_max - i, 1) for i in range(n)], np.int32)
        img = np.broadcast_to((t * 255 / t_max).astype(np.uint8)[None, :, None, None, None],
                              (n, t_max, image_size, image_size, 3)).copy()
        acts = np.stack([np.sin(t / 3 + d) * 0.5 for d in range(6)]
                        + [np.where(t < t_max / 2, -1.0, 1.0)], -1).astype(np.float32)
        eps = {"agentview": img, "wrist": 255 - img,
               "proprio": np.repeat(np.stack([t / t_max] * 8, -1)[None], n, 0),
               "actions": np.repeat(acts[None], n, 0),
               "ee_pos": rng.normal(size=(n, t_max, 3)).astype(np.float32),
               "lengths": lengths, "success": np.ones(n, bool),
               "init_index": np.arange(n, dtype=np.int32)}
        for name in ("agentview", "wrist", "proprio", "actions", "ee_pos"):
            for i, ln in enumerate(lengths):
                eps[name][i, ln:] = 0
        entry = write_task(root, key, eps)
        entry["instruction"] = get_task(key).instruction
        entries.append(entry)
    info = {} if dynamics is None else {"dynamics": dynamics}
    write_meta(root, entries, suite="libero_10", image_size=[image_size, image_size],
               cameras=["agentview", "wrist"], control_dt=0.05, source="synthetic", **info)
    return load_dataset(root)
