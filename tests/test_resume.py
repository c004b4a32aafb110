"""A training process killed with SIGKILL mid-run resumes to the same result (no MJX).

Three processes on one synthetic dataset: (a) an uninterrupted SFT run; (b) the same run,
slowed down per step and SIGKILLed after its 20th-step checkpoint is complete (async saves on);
(c) the same command again, which resumes from (b)'s latest checkpoint. (c) must end at the same
step with bit-identical parameters and the same logged metrics as (a) for every step.
"""

# ruff: noqa: I001  (smoothvla_jax must be imported before jax)
from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import textwrap
import time

import smoothvla_jax  # noqa: F401

import jax
import numpy as np

from smoothvla_jax import checkpoints
from test_sft import synthetic_config

TESTS = os.path.dirname(os.path.abspath(__file__))
ROOT = os.path.dirname(TESTS)
NUM_STEPS, SAVE_EVERY, KILL_AFTER = 60, 10, 20

DRIVER = textwrap.dedent('''
    import os, sys, time
    sys.path.insert(0, {tests!r})
    import smoothvla_jax  # noqa: F401
    from smoothvla_jax import sft
    from smoothvla_jax.train import train
    from test_sft import synthetic_config
    import pathlib

    delay = float({delay!r})
    if delay:  # slow each step down so the parent can kill the run mid-way
        orig = sft.cached_train_step
        def slow(*args):
            opt, step = orig(*args)
            def step_fn(state, batch):
                time.sleep(delay)
                return step(state, batch)
            return opt, step_fn
        sft.cached_train_step = slow
    cfg = synthetic_config(pathlib.Path({tmp!r}), num_steps={n}, save_every={save},
                           log_every=5, async_checkpoint=True, keep_checkpoints=2)
    cfg.workdir = {workdir!r}
    print("DONE", train(cfg)["stages"]["sft"]["step"], flush=True)
''')


def _cmd(tmp, workdir, delay):
    code = DRIVER.format(tests=TESTS, tmp=str(tmp), workdir=str(workdir), delay=delay,
                         n=NUM_STEPS, save=SAVE_EVERY)
    return [sys.executable, "-c", code]


def _rows(workdir):
    """Last logged row per step (a resumed run re-logs steps after its checkpoint)."""
    rows = {}
    with open(os.path.join(workdir, "metrics.jsonl")) as f:
        for line in f:
            r = json.loads(line)
            rows[r["step"]] = {k: v for k, v in r.items() if k not in ("time", "sft/steps_per_s")}
    return rows


def test_sigkill_mid_run_then_resume_matches_uninterrupted(tmp_path):
    synthetic_config(tmp_path)  # writes the shared synthetic dataset once
    a, b = tmp_path / "straight", tmp_path / "killed"
    run = lambda cmd, **kw: subprocess.run(cmd, cwd=ROOT, capture_output=True, text=True,
                                           timeout=600, **kw)

    straight = run(_cmd(tmp_path, a, 0.0))
    assert straight.returncode == 0 and f"DONE {NUM_STEPS}" in straight.stdout, straight.stderr

    proc = subprocess.Popen(_cmd(tmp_path, b, 0.15), cwd=ROOT, stdout=subprocess.PIPE,
                            stderr=subprocess.STDOUT, text=True)
    ckpt_dir = b / "checkpoints"
    deadline = time.time() + 300
    # orbax renames a step's temporary directory to "<step>" only once the save is complete
    while not (ckpt_dir / str(KILL_AFTER)).is_dir():
        assert proc.poll() is None, f"run ended before it could be killed:\n{proc.stdout.read()}"
        assert time.time() < deadline, "no checkpoint appeared in time"
        time.sleep(0.05)
    proc.send_signal(signal.SIGKILL)
    out = proc.communicate(timeout=60)[0]
    assert proc.returncode == -signal.SIGKILL and "DONE" not in out
    killed_at = max(r for r in _rows(b))
    assert KILL_AFTER <= killed_at < NUM_STEPS  # it was really mid-run

    resumed = run(_cmd(tmp_path, b, 0.0))
    assert resumed.returncode == 0 and f"DONE {NUM_STEPS}" in resumed.stdout, resumed.stderr
    assert "resumed from" in resumed.stdout + resumed.stderr

    pa, pb = checkpoints.load_policy(a), checkpoints.load_policy(b)
    assert pa.step == pb.step == NUM_STEPS
    jax.tree.map(np.testing.assert_array_equal, pa.params, pb.params)
    ra, rb = _rows(a), _rows(b)
    assert sorted(ra) == sorted(rb) == list(range(5, NUM_STEPS + 1, 5))
    for step in ra:
        assert ra[step] == rb[step], (step, ra[step], rb[step])
    ckpt = checkpoints.Checkpointer(ckpt_dir, read_only=True)
    ts = ckpt.restore_train_state(NUM_STEPS)
    ts_a = checkpoints.Checkpointer(a / "checkpoints", read_only=True).restore_train_state(
        NUM_STEPS)
    jax.tree.map(np.testing.assert_array_equal, ts, ts_a)  # optimiser, RNG, data position
