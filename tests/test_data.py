"""Dataset format round trip, clear errors, and the SFT loader's chunk targets (no MJX)."""

# ruff: noqa: I001  (smoothvla_jax must be imported before jax)
from __future__ import annotations

import json
import os

import smoothvla_jax  # noqa: F401

import numpy as np
import pytest

from smoothvla_jax import data
from smoothvla_jax.model import default_tokenizer


def _episode_arrays(n: int = 2, t: int = 5, size: int = 8) -> dict[str, np.ndarray]:
    rng = np.random.default_rng(0)
    return {
        "agentview": rng.integers(0, 255, (n, t, size, size, 3), dtype=np.uint8),
        "wrist": rng.integers(0, 255, (n, t, size, size, 3), dtype=np.uint8),
        "proprio": rng.normal(size=(n, t, 8)).astype(np.float32),
        "actions": rng.uniform(-1, 1, (n, t, 7)).astype(np.float32),
        "ee_pos": rng.normal(size=(n, t, 3)).astype(np.float32),
        "lengths": np.array([t, t - 2], np.int32)[:n],
        "success": np.array([True, False])[:n],
        "init_index": np.arange(n, dtype=np.int32),
    }


def _write(root, eps=None, key="libero_10/3"):
    eps = _episode_arrays() if eps is None else eps
    entry = data.write_task(root, key, eps)
    entry["instruction"] = "put the black bowl in the bottom drawer of the cabinet and close it"
    h = eps["agentview"].shape[2]
    data.write_meta(root, [entry], image_size=[h, h], control_dt=0.05, suite="libero_10")
    return eps


def test_chunk_targets_on_hand_made_episode():
    # 4 valid steps (then 2 padding rows of garbage), gripper command +1 at the end.
    acts = np.zeros((6, 7), np.float32)
    acts[:4, 0] = [0.1, 0.2, 0.3, 0.4]
    acts[:4, 6] = [-1, -1, 1, 1]
    acts[4:] = 9.0  # padding region of the stored array must never be read
    tgt, valid = data.chunk_targets(acts, 4, np.array([0, 2, 3]), chunk=3, pad_mode="noop")
    assert tgt.shape == (3, 3, 7) and valid.shape == (3, 3)
    np.testing.assert_array_equal(valid, [[1, 1, 1], [1, 1, 0], [1, 0, 0]])
    np.testing.assert_allclose(tgt[0, :, 0], [0.1, 0.2, 0.3])
    np.testing.assert_allclose(tgt[1, :, 0], [0.3, 0.4, 0.0])      # no-op: zero arm motion
    np.testing.assert_allclose(tgt[1, :, 6], [1, 1, 1])            # ... last gripper command
    np.testing.assert_allclose(tgt[2, 1:], np.tile([0, 0, 0, 0, 0, 0, 1], (2, 1)))
    last, _ = data.chunk_targets(acts, 4, np.array([3]), chunk=3, pad_mode="last")
    np.testing.assert_allclose(last[0], np.tile(acts[3], (3, 1)))  # repeat the last action
    with pytest.raises(ValueError, match="pad_mode"):
        data.chunk_targets(acts, 4, np.array([0]), 3, pad_mode="zeros")


def test_dataset_round_trip(tmp_path):
    eps = _write(tmp_path)
    ds = data.load_dataset(tmp_path)
    assert ds.image_size == (8, 8) and ds.meta["format_version"] == data.FORMAT_VERSION
    (task,) = ds.tasks
    assert task.key == "libero_10/3" and task.num_episodes == 2
    assert isinstance(task.agentview, np.memmap)  # images are memory-mapped
    for name in data.ARRAYS:
        np.testing.assert_array_equal(getattr(task, name), eps[name])
    assert os.path.isfile(tmp_path / "libero_10_3" / "actions.npy")


def test_missing_dataset_error_names_the_command(tmp_path):
    with pytest.raises(data.DatasetNotFoundError, match="python -m smoothvla_jax.collect"):
        data.load_dataset(tmp_path / "nope", hint="python -m smoothvla_jax.collect --config=x")


def test_corrupt_dataset_errors(tmp_path):
    _write(tmp_path)
    path = tmp_path / "libero_10_3" / "actions.npy"
    path.write_bytes(path.read_bytes()[:100])  # truncated file
    with pytest.raises(data.DatasetError, match="actions.npy"):
        data.load_dataset(tmp_path)
    np.save(path, np.zeros((2, 4, 7), np.float32))  # wrong shape
    with pytest.raises(data.DatasetError, match="corrupt"):
        data.load_dataset(tmp_path)
    (tmp_path / "meta.json").write_text("{not json")
    with pytest.raises(data.DatasetError, match="corrupt dataset metadata"):
        data.load_dataset(tmp_path)
    (tmp_path / "meta.json").write_text(json.dumps({"format_version": 99}))
    with pytest.raises(data.DatasetError, match="format_version"):
        data.load_dataset(tmp_path)


def test_loader_targets_shuffling_and_resume(tmp_path):
    ds = data.write_synthetic(tmp_path, ("libero_10/0", "libero_10/1"), num_episodes=3,
                              length=6, image_size=16)
    tok = default_tokenizer(ds.instructions)
    loader = data.SFTLoader(ds, tok, chunk=4, batch_size=5, seed=1, text_len=24)
    assert loader.num_samples == 2 * (6 + 5 + 4)
    # One epoch visits every (task, episode, t) exactly once; epochs are reshuffled.
    epoch0 = loader.sample_ids(0, loader.num_samples)
    assert sorted(epoch0.tolist()) == list(range(loader.num_samples))
    epoch1 = loader.sample_ids(loader.num_samples, loader.num_samples)
    assert not np.array_equal(epoch0, epoch1)
    # Batches are a pure function of (seed, position): resuming mid-stream is exact.
    stream = loader.iterate(0)
    batches = [next(stream) for _ in range(4)]
    resumed, pos = next(loader.iterate(batches[1][1]))
    np.testing.assert_array_equal(resumed.obs.agentview, batches[2][0].obs.agentview)
    np.testing.assert_array_equal(resumed.actions, batches[2][0].actions)
    assert pos == batches[2][1] == 15
    # Contents match the arrays the sample points at.
    rows = np.array([0, loader.num_samples - 1])
    b = loader.gather(rows)
    for i, (ti, ei, t) in enumerate(loader.index[rows]):
        task = ds.tasks[ti]
        np.testing.assert_array_equal(b.obs.agentview[i], task.agentview[ei, t])
        np.testing.assert_array_equal(b.obs.proprio[i], task.proprio[ei, t])
        want, valid = data.chunk_targets(task.actions[ei], int(task.lengths[ei]),
                                         np.array([t]), 4)
        np.testing.assert_array_equal(b.actions[i], want[0])
        np.testing.assert_array_equal(b.action_valid[i], valid[0])
        ids, mask = tok.encode(task.instruction, max_len=24)
        np.testing.assert_array_equal(b.obs.tokens[i], ids[0])
        np.testing.assert_array_equal(b.obs.token_mask[i], mask[0])
    assert b.obs.agentview.dtype == np.uint8 and b.obs.tokens.dtype == np.int32
