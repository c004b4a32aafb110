"""The CPU configs' sizing: horizons against the measured expert episode lengths, the IK-era
start of RESULTS.md sections 1-4 and the GRPO configs pinned to it. Config files only: no env
is built, nothing is compiled."""

from __future__ import annotations

import os
import re

from configs import cpu, cpu_ik
from smoothvla_jax import builders
from smoothvla_jax.config import as_config

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))


def _load(name: str, overrides: list[str] | None = None):
    return as_config(builders.load_config(os.path.join(ROOT, "configs", f"{name}.py"),
                                          list(overrides or ())))


def _tasks(c) -> list[str]:
    return builders.task_keys(c.data.tasks, c.data.suite)


def _expert_table() -> dict[str, tuple[int, int]]:
    """docs/controller.md, "Expert episode lengths under the CPU dynamics": task -> (min, max)
    control steps of the scripted expert under ``"libero_fast"`` (C MuJoCo, all successful)."""
    with open(os.path.join(ROOT, "docs", "controller.md")) as f:
        text = f.read()
    section = text.split("### Expert episode lengths under the CPU dynamics")[1].split("\n#")[0]
    rows = re.findall(r"^\| `([\w/]+)` \| [\d-]+ \| (\d+)/(\d+) \| (\d+)-(\d+) \|", section, re.M)
    assert rows, "the table of docs/controller.md was not found"
    assert all(ok == n for _, ok, n, _, _ in rows)             # every expert episode succeeded
    return {k: (int(lo), int(hi)) for k, _, _, lo, hi in rows}


def test_cpu_horizon_is_sized_from_the_measured_experts():
    table = _expert_table()
    assert {k: table[k][1] for k in cpu.EXPERT_STEPS} == cpu.EXPERT_STEPS   # one set of numbers
    c = _load("cpu")
    assert c.env.dynamics == "libero_fast"
    assert _tasks(c) == ["libero_10/2", "libero_10/5"]
    assert (c.data.num_demos, c.sft.num_steps) == (150, 9_000)   # start B of the docstring
    assert c.data.horizon == c.eval.horizon == c.grpo.horizon == cpu.HORIZON == 240
    for task in _tasks(c):                                       # a task without a measurement
        assert cpu.HORIZON >= 1.5 * cpu.EXPERT_STEPS[task], task   # fails here (KeyError)
    assert cpu.HORIZON < 1.5 * cpu.EXPERT_STEPS["libero_10/9"]  # why task 9 left this config
    # the configs that reuse it keep its single horizon (task 2 alone, or both tasks)
    for name in ("cpu_t2", "grpo_cpu", "grpo_cpu_t03", "grpo_cpu_t2", "smoothvla_cpu"):
        d = _load(name)
        assert d.env.dynamics == "libero_fast", name
        assert d.data.horizon == d.eval.horizon == d.grpo.horizon == cpu.HORIZON, name
        assert set(_tasks(d)) <= set(cpu.EXPERT_STEPS), name


def test_cpu_ik_is_the_ik_era_start_and_the_section_4_grpo_configs_keep_it():
    c = _load("cpu_ik")
    assert c.env.dynamics == "ik"
    assert _tasks(c) == ["libero_10/2", "libero_10/9"]
    assert (c.data.num_demos, c.sft.num_steps, c.sft.batch_size) == (50, 6_000, 32)
    assert c.data.horizon == c.eval.horizon == c.grpo.horizon == cpu_ik.HORIZON == 180
    assert (c.workdir, c.data.root) == ("runs/cpu_ik", "data/cpu_ik")   # never meets runs/cpu
    # everything else is configs/cpu.py's (one source of truth)
    base = _load("cpu").to_dict()
    changed = {(s, k) for s, sec in c.to_dict().items() if isinstance(sec, dict)
               for k, v in sec.items() if base[s][k] != v}
    assert changed == {("env", "dynamics"), ("data", "root"), ("data", "tasks"),
                       ("data", "num_demos"), ("data", "horizon"), ("sft", "num_steps"),
                       ("eval", "horizon"), ("grpo", "horizon")}
    for name, temperature, lr in (("grpo_cpu_2task", 0.7, 1e-4),
                                  ("grpo_cpu_2task_t03", 0.3, 3e-5)):
        g = _load(name)
        assert g.env.dynamics == "ik", name
        assert g.data.horizon == g.eval.horizon == g.grpo.horizon == 180, name
        assert (g.data.tasks, g.data.num_demos, g.sft.num_steps) == (
            c.data.tasks, 50, 6_000), name
        assert (g.grpo.temperature, g.grpo.lr, g.grpo.tasks) == (temperature, lr, "libero_10/2")
        assert g.workdir == "runs/cpu_ik" and g.stages == "grpo"   # GRPO from the IK start


def test_cpu_horizon_check_fails_for_an_unsized_task():
    """The sizing rule is not vacuous: task 9 at 240 steps breaks it."""
    c = _load("cpu", ["--config.data.tasks=libero_10/2,libero_10/9"])
    assert any(c.data.horizon < 1.5 * cpu.EXPERT_STEPS[t] for t in _tasks(c))
