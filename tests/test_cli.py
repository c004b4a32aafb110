"""Every CLI on bad input: ONE line ``error: ...`` naming the problem and the fix, exit status 2
(subprocesses on the real ``python -m smoothvla_jax.<cli>`` commands; no MJX compilation)."""

# ruff: noqa: I001  (smoothvla_jax must be imported before jax)
from __future__ import annotations

import json
import os
import subprocess
import sys

import smoothvla_jax  # noqa: F401

import jax
import numpy as np
import pytest

from smoothvla_jax import checkpoints, data
from smoothvla_jax.model import (
    LIBERO_10_INSTRUCTIONS,
    ActionNormalizer,
    ActionTokenizer,
    VLAConfig,
    default_tokenizer,
    init_params,
)

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
SMOKE = os.path.join(ROOT, "configs", "smoke.py")


def run_cli(module: str, *args: str, cwd: str = ROOT) -> subprocess.CompletedProcess:
    env = dict(os.environ, PYTHONPATH=ROOT + os.pathsep + os.environ.get("PYTHONPATH", ""))
    return subprocess.run([sys.executable, "-m", f"smoothvla_jax.{module}", *args], cwd=cwd,
                          env=env, capture_output=True, text=True, timeout=600)


def assert_user_error(res: subprocess.CompletedProcess, *needles: str) -> str:
    """Exit status 2, nothing on stdout but progress, exactly one non-empty stderr line that
    starts with ``error:`` and contains every needle."""
    lines = [ln for ln in res.stderr.splitlines() if ln.strip()]
    assert res.returncode == 2, (res.returncode, res.stdout[-2000:], res.stderr[-3000:])
    assert len(lines) == 1 and lines[0].startswith("error: "), res.stderr
    assert "Traceback" not in res.stderr + res.stdout
    for n in needles:
        assert n in lines[0], (n, lines[0])
    return lines[0]


@pytest.fixture(scope="module")
def sft_run(tmp_path_factory):
    """A params-only SFT checkpoint (random tiny policy, 32 px) at step 3."""
    run = tmp_path_factory.mktemp("cli") / "sft"
    vcfg = VLAConfig.tiny(image_size=32, chunk=8)
    ck = checkpoints.Checkpointer(run / "checkpoints")
    meta = checkpoints.make_meta(vcfg, ActionTokenizer(), ActionNormalizer(),
                                 default_tokenizer(list(LIBERO_10_INSTRUCTIONS)), {},
                                 stage="sft", tasks=["libero_10/9"])
    ck.save(3, init_params(jax.random.PRNGKey(0), vcfg), {"step": np.int32(3)}, meta)
    ck.close()
    return run


# ---------------------------------------------------------------------------- config files
@pytest.mark.parametrize("module", ["train", "collect"])
def test_missing_config_file(module, tmp_path):
    assert_user_error(run_cli(module, f"--config={tmp_path}/nope.py"), "nope.py", "not found",
                      "configs/smoke.py")


def test_unknown_config_key_names_the_key_and_the_valid_ones():
    line = assert_user_error(run_cli("train", f"--config={SMOKE}", "--config.sft.lrr=0.1"),
                             "unknown config key 'config.sft.lrr'")
    assert "lr," in line and "num_steps" in line


def test_bad_config_value_and_stage():
    assert_user_error(run_cli("train", f"--config={SMOKE}", "--config.sft.lr=fast"),
                      "--config.sft.lr=fast", "float")
    assert_user_error(run_cli("train", f"--config={SMOKE}", "--config.stages=sft,ppo"),
                      "ppo", "collect,sft,grpo,eval,report")


def test_unknown_task_names_the_valid_ones(tmp_path):
    line = assert_user_error(run_cli("collect", f"--config={SMOKE}",
                                     "--config.data.tasks=libero_10/99",
                                     f"--config.data.root={tmp_path}/d"), "libero_10/99")
    assert "libero_10/9" in line


def test_missing_dataset_names_the_collect_command(tmp_path):
    assert_user_error(run_cli("train", f"--config={SMOKE}", "--config.stages=sft",
                              f"--config.data.root={tmp_path}/missing"),
                      "python -m smoothvla_jax.collect")


def test_verbosity_shows_the_traceback(tmp_path):
    res = run_cli("train", f"--config={SMOKE}", "--config.stages=sft", "--verbosity=1",
                  f"--config.data.root={tmp_path}/missing")
    assert res.returncode != 0 and "Traceback" in res.stderr


# ---------------------------------------------------------------------------- checkpoints
def test_missing_checkpoint(tmp_path):
    assert_user_error(run_cli("evaluate", f"--checkpoint={tmp_path}/none"), str(tmp_path))
    assert_user_error(run_cli("export", f"--checkpoint={tmp_path}/none", f"--out={tmp_path}/x"),
                      str(tmp_path))


def test_bad_grpo_init_checkpoint_names_the_field(tmp_path):
    assert_user_error(run_cli("train", f"--config={SMOKE}", "--config.stages=grpo",
                              f"--config.grpo.init_checkpoint={tmp_path}/none",
                              f"--config.grpo.workdir={tmp_path}/g"),
                      "grpo.init_checkpoint", "sft stage")


def test_missing_required_flag():
    assert_user_error(run_cli("evaluate"), "--checkpoint")


def test_library_module_run_as_a_command_names_the_real_one():
    # `python -m smoothvla_jax.rl.trainer` used to exit 0 having done nothing
    assert_user_error(run_cli("rl.trainer", "--config=configs/grpo_cpu_t2.py"),
                      "python -m smoothvla_jax.train", "--config.stages=grpo")


# ---------------------------------------------------------------------------- numbers
@pytest.mark.parametrize("num_init", ["0", "51", "-3"])
def test_num_init_out_of_range(sft_run, num_init):
    """50 fixed initial states per task: more would repeat episodes (and overstate n); 0 used
    to silently mean "the default"."""
    assert_user_error(run_cli("evaluate", f"--checkpoint={sft_run}", f"--num_init={num_init}",
                              "--tasks=libero_10/9"),
                      f"num_init={num_init}", "1 <= num_init <= 50")


def test_num_init_out_of_range_on_training_layouts(sft_run):
    assert_user_error(run_cli("evaluate", f"--checkpoint={sft_run}", "--num_init=1001",
                              "--layouts=train", "--tasks=libero_10/9"),
                      "num_init=1001", "training layouts", "1 <= num_init <= 1000")


def test_evaluate_unknown_task(sft_run):
    assert_user_error(run_cli("evaluate", f"--checkpoint={sft_run}", "--tasks=libero_10/77"),
                      "libero_10/77")


def test_evaluate_bad_seed_list(sft_run):
    assert_user_error(run_cli("evaluate", f"--checkpoint={sft_run}", "--seed=0,x"),
                      "--seed='0,x'", "comma-separated list")


def test_evaluate_unknown_step(sft_run):
    assert_user_error(run_cli("evaluate", f"--checkpoint={sft_run}", "--step=9"),
                      "no checkpoint step 9", "available: [3]")


# ---------------------------------------------------------------------------- report / export
def test_report_missing_and_bad_inputs(tmp_path):
    assert_user_error(run_cli("report", f"--runs=sft={tmp_path}/none.json", f"--out={tmp_path}"),
                      "none.json", "not found", "smoothvla_jax.evaluate")
    assert_user_error(run_cli("report", "--runs=nofile", f"--out={tmp_path}"), "NAME=FILE")
    (tmp_path / "x.json").write_text("{}")
    assert_user_error(run_cli("report", f"--runs=a={tmp_path}/x.json", f"--out={tmp_path}"),
                      "not an evaluation file")


def test_report_cli_writes_the_report(tmp_path):
    from test_report import _eval_file

    a = _eval_file(tmp_path / "b.json", 10.0, 1.0)
    b = _eval_file(tmp_path / "s.json", 9.0, 1.0)
    res = run_cli("report", f"--runs=binary={a}", f"--runs=smooth={b}", f"--out={tmp_path}/r")
    assert res.returncode == 0, res.stderr
    assert "10.0% lower" in res.stdout and (tmp_path / "r" / "report.md").is_file()
    assert res.stdout.strip().splitlines()[-1] == f"report: {tmp_path}/r/report.md"


def test_export_cli_and_existing_output(sft_run, tmp_path):
    out = tmp_path / "exp"
    args = [f"--checkpoint={sft_run}", f"--out={out}", "--dtype=bfloat16"]
    res = run_cli("export", *args)
    assert res.returncode == 0, res.stderr
    pol = checkpoints.load_policy(out)
    n = sum(int(np.prod(x.shape)) for x in jax.tree.leaves(pol.params))
    assert f"{n:,} params (bfloat16)" in res.stdout and str(out) in res.stdout
    assert pol.meta["params_dtype"] == "bfloat16"
    assert_user_error(run_cli("export", *args), "--force")
    assert run_cli("export", *args, "--force").returncode == 0


def test_dataset_json_is_not_a_user_error_hiding_bugs(tmp_path):
    """A corrupt dataset is reported on one line too (DatasetError), naming the path."""
    root = tmp_path / "data"
    data.write_synthetic(root, ("libero_10/0",), num_episodes=2, length=8, image_size=16)
    meta = json.loads((root / "meta.json").read_text())
    meta["format_version"] = 999
    (root / "meta.json").write_text(json.dumps(meta))
    assert_user_error(run_cli("train", f"--config={SMOKE}", "--config.stages=sft",
                              f"--config.data.root={root}", "--config.data.tasks=libero_10/0"),
                      str(root))


def test_import_prints_nothing():
    """No "Failed to import warp" (MJX's optional Warp backend) or other noise on import."""
    code = "import smoothvla_jax, envs_mjx.env, smoothvla_jax.evaluation, mujoco.mjx"
    env = dict(os.environ, PYTHONPATH=ROOT + os.pathsep + os.environ.get("PYTHONPATH", ""))
    res = subprocess.run([sys.executable, "-c", code], cwd=ROOT, env=env, capture_output=True,
                         text=True, timeout=300)
    assert res.returncode == 0, res.stderr
    assert res.stdout == "" and "warp" not in res.stderr, (res.stdout, res.stderr)
