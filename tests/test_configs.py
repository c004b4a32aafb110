"""The CPU configs' sizing: horizons against the measured expert episode lengths, the IK-era
start of RESULTS.md sections 1-4 and the GRPO configs pinned to it. Config files only: no env
is built, nothing is compiled."""

from __future__ import annotations

import os
import re

import numpy as np

from configs import cpu, cpu_ik
from smoothvla_jax import builders
from smoothvla_jax.config import as_config

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))


def _load(name: str, overrides: list[str] | None = None):
    return as_config(builders.load_config(os.path.join(ROOT, "configs", f"{name}.py"),
                                          list(overrides or ())))


def _tasks(c) -> list[str]:
    return builders.task_keys(c.data.tasks, c.data.suite)


def _changed(old: dict, new: dict) -> set[tuple[str, str]]:
    """``(section, key)`` of every setting whose value differs between two configs' ``to_dict()``
    (top-level sections only; plain top-level values such as ``name`` are not compared)."""
    return {(s, k) for s in old if isinstance(old[s], dict)
            for k in old[s] if old[s][k] != new[s][k]}


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
    # the configs that reuse it keep its single horizon (one of its tasks alone, or both)
    for name in ("cpu_t2", "grpo_cpu", "grpo_cpu_t03", "grpo_cpu_t03_lr6e5", "grpo_cpu_t015",
                 "grpo_cpu_t5", "grpo_cpu_t2", "smoothvla_cpu"):
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
    changed = _changed(base, c.to_dict())
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


def test_smoothvla_cpu_is_the_t03_recipe_from_the_cpu_start_at_the_experiments_size():
    """configs/smoothvla_cpu.py = configs/cpu.py's start + configs/grpo_cpu_t03.py's GRPO
    mechanics; only the batch sizes, the iterations, the checkpoints kept and the run
    directories differ."""
    s, t, c = _load("smoothvla_cpu"), _load("grpo_cpu_t03"), _load("cpu")
    for sec in ("env", "data", "model", "sft"):              # the SFT start of configs/cpu.py
        assert s.to_dict()[sec] == c.to_dict()[sec], sec
    assert (s.data.root, s.data.num_demos, s.sft.num_steps) == ("data/cpu", 150, 9_000)
    diff = lambda a, b: {k for k, v in a.items() if b[k] != v}  # noqa: E731
    assert diff(s.to_dict()["grpo"], t.to_dict()["grpo"]) == {
        "prompts_per_iteration", "rollout_prompts", "num_iterations", "keep_checkpoints",
        "workdir"}
    assert diff(s.to_dict()["eval"], t.to_dict()["eval"]) == {"num_videos"}
    g = s.grpo  # the recipe of RESULTS.md section 4 (hand-copied from its text)
    assert (g.tasks, g.temperature, g.lr, g.adv_norm, g.loss_agg, g.num_minibatches,
            g.update_epochs, g.kl_coef, g.group_size, g.max_rounds, g.ds_criterion) == (
        "libero_10/2", 0.3, 3e-5, "std", "seq_mean", 2, 1, 0.0, 8, 3, "success")
    assert (s.eval.tasks, s.eval.num_init, s.eval.temperature) == ("libero_10/2", 50, 0.3)
    assert g.rollout_prompts > g.prompts_per_iteration      # no second round for one dud group
    assert s.experiment.num_pairs >= 6                      # the protocol's minimum
    assert 2 * s.experiment.control_window <= s.experiment.control_iterations


def test_smoothvla_cpu_fits_its_budget_and_its_docstring_table_is_the_estimate():
    """The experiment's own estimate (the progress bar's weights) of configs/smoothvla_cpu.py,
    demos and SFT included, is <= 2.5 h, and each row of the docstring's budget table states
    that estimate (to the minute)."""
    from configs import smoothvla_cpu
    from smoothvla_jax import experiment

    s = _load("smoothvla_cpu")
    jobs = experiment._jobs(s)
    assert {n.split("/")[0] for n, _ in jobs} == {
        "demos", "sft", "calibrate", "control", "grpo", "eval", "report"}
    total = sum(v for _, v in jobs)
    assert total <= 2.5 * 3600
    table = dict(re.findall(r"^(\w+) {2,}.*? {2,}(~[\dh ]+min|<1 min)$", smoothvla_cpu.__doc__,
                            re.M))
    for stage in ("demos", "sft", "calibrate", "control", "grpo", "eval"):
        est = sum(v for n, v in jobs if n.split("/")[0] == stage) / 60
        assert abs(int(table[stage].strip("~ min")) - est) <= 1, (stage, table[stage], est)
    h, m = re.match(r"~(\d) h (\d+) min", table["total"]).groups()
    assert abs(60 * int(h) + int(m) - total / 60) <= 1, (table["total"], total / 60)
    # an existing SFT run skips demos and SFT
    ext = _load("smoothvla_cpu", ["--config.experiment.sft_checkpoint=runs/cpu"])
    assert {n for n, _ in experiment._jobs(ext)} == {n for n, _ in jobs} - {"demos", "sft"}


def test_smoothvla_cpu_power_statement():
    """The docstring's power numbers (paired t, two-sided 0.05, 13.8% = ln(1 - 0.138))."""
    import math

    from smoothvla_jax.metrics.stats import paired_t_power, pairs_for_power

    eff = math.log(1 - 0.138)
    assert paired_t_power(eff, 0.10, 6) >= 0.8 > paired_t_power(eff, 0.11, 6)
    # RESULTS.md section 2, per-seed MSJ of successes (binary s0-s2, SmoothVLA s0-s2): the
    # between-seed SD of ln MSJ, pooled over the two arms
    b, m = np.log([2.19e4, 2.63e4, 3.34e4]), np.log([3.02e4, 3.69e4, 3.20e4])
    sd = math.sqrt((b.var(ddof=1) + m.var(ddof=1)) / 2)
    assert round(sd, 3) == 0.166
    assert round(paired_t_power(eff, sd, 6), 2) == 0.42 and pairs_for_power(eff, sd) == 12
    sd2 = sd * math.sqrt(2)         # unpaired: the variance of a difference of two seeds
    assert round(paired_t_power(eff, sd2, 6), 2) == 0.24 and pairs_for_power(eff, sd2) == 22


def test_cpu_cost_model_reproduces_the_measured_stages():
    """smoothvla_jax.train.cpu_costs against the measurements it stands for (2 cores, one
    process, 2026-11-30): configs/cpu.py's collection 178 s and SFT 26:03; the refill model
    against the rate it was fitted to and hand-computed cases; the GRPO iteration of
    configs/grpo_cpu_t03.py alone (seed 0, iterations 11-12: one round 82-83 s)."""
    from smoothvla_jax import train

    c = train.cpu_costs(_load("cpu"))
    assert abs(c.collect - 178) < 0.1 * 178
    assert abs(c.sft - 1_563) < 0.05 * 1_563
    # refill: a first round of R = P = 8 is full with probability p^8 = 11/36 (the measured
    # rate), a second of 16 groups almost surely fills it
    assert abs(train.expected_rounds(8, 8, 3) - (1 + 25 / 36)) < 1e-3
    assert train.expected_rounds(1, 1, 2, 0.5) == 1.5        # 1 + P(first group uninformative)
    assert train.expected_rounds(2, 2, 3, 0.5) == 1 + 0.75 + 5 / 16   # P(Bin(4, .5) < 2) = 5/16
    assert train.expected_rounds(8, 8, 1) == 1.0             # no refill: one round
    t = train.cpu_costs(_load("grpo_cpu_t03"))
    one_round = t.iteration - (t.rounds - 1) * t.rollout_round
    assert 80 <= one_round <= 85
    no_ds = train.cpu_costs(_load("grpo_cpu_t03", ["--config.grpo.dynamic_sampling=False"]))
    assert no_ds.rounds == 1.0 and abs(no_ds.iteration - one_round) < 1e-9


def test_grpo_cpu_t03_keeps_the_checkpoints_of_every_reported_look():
    """RESULTS.md evaluates configs/grpo_cpu_t03.py at iterations 8, 12, 16 and 20: one run of
    the config must save and keep all four (orbax keeps the newest ``keep_checkpoints``)."""
    g = _load("grpo_cpu_t03").grpo
    assert g.num_iterations == 20
    saved = [i for i in range(1, g.num_iterations + 1)
             if i % g.save_every == 0 or i == g.num_iterations]
    kept = saved[-g.keep_checkpoints:]
    assert {8, 12, 16, 20} <= set(kept), kept
    # the resumed runs of RESULTS.md: same recipe, P = R = 8 kept groups of G = 8
    assert (g.prompts_per_iteration, g.rollout_prompts, g.group_size) == (8, 8, 8)
    assert (g.temperature, g.lr) == (0.3, 3e-5)


def test_grpo_cpu_t03_lr6e5_changes_only_the_step_size_the_rounds_and_the_length():
    """RESULTS.md's "Twice the step size" run: configs/grpo_cpu_t03.py with lr 6e-5, R = 10 > P = 8
    and 16 iterations (the endpoint's checkpoint kept); every other setting the same."""
    old, new = _load("grpo_cpu_t03").to_dict(), _load("grpo_cpu_t03_lr6e5").to_dict()
    changed = _changed(old, new)
    assert changed == {("grpo", k) for k in ("lr", "rollout_prompts", "num_iterations",
                                             "keep_checkpoints", "workdir")}, changed
    g = new["grpo"]
    assert (g["lr"], g["rollout_prompts"], g["prompts_per_iteration"]) == (6e-5, 10, 8)
    assert g["num_iterations"] == 16 and g["num_iterations"] % g["save_every"] == 0


def test_grpo_cpu_t015_changes_only_the_temperature():
    """RESULTS.md's "Training nearer the greedy policy" run: the lr 6e-5 run at T = 0.15, for
    sampling in training and in evaluation alike; every other setting the same."""
    old, new = _load("grpo_cpu_t03_lr6e5").to_dict(), _load("grpo_cpu_t015").to_dict()
    changed = _changed(old, new)
    assert changed == {("grpo", "temperature"), ("eval", "temperature"),
                       ("grpo", "workdir")}, changed
    assert new["grpo"]["temperature"] == new["eval"]["temperature"] == 0.15


def test_grpo_cpu_t5_changes_only_the_task():
    """RESULTS.md's "A start at 60%" run: the T = 0.15 recipe trained and evaluated on libero_10/5,
    the other task of the same SFT start (configs/cpu.py); every other setting the same."""
    old, new = _load("grpo_cpu_t015").to_dict(), _load("grpo_cpu_t5").to_dict()
    changed = _changed(old, new)
    assert changed == {("grpo", "tasks"), ("eval", "tasks"), ("grpo", "workdir")}, changed
    assert new["grpo"]["tasks"] == new["eval"]["tasks"] == "libero_10/5"
    assert "libero_10/5" in new["data"]["tasks"].split(",")        # a task the start was trained on


def test_cpu_dart_is_cpu_with_noise_free_labels():
    old, new = _load("cpu").to_dict(), _load("cpu_dart").to_dict()
    changed = _changed(old, new)
    assert changed == {("data", "action_labels"), ("data", "root")}, changed
    assert new["data"]["action_labels"] == "expert" and new["workdir"] != old["workdir"]
