"""LIBERO-Spatial, -Object and -Goal: tasks, scenes, initial states, goals, experts, configs."""

import envs_mjx  # noqa: F401
import jax
import jax.numpy as jnp
import mujoco
import numpy as np
import pytest

from envs_mjx.env import EnvConfig, LiberoEnv
from envs_mjx.expert import run_expert_batch
from envs_mjx.init_states import NUM_INIT_STATES, generate, load_init_states
from envs_mjx.predicates import GoalInputs, make_goal_fn, numpy_contacts
from envs_mjx.registry import SUITES, all_tasks, get_task, suite_tasks
from envs_mjx.scene import build_mjcf
from envs_mjx.tasks import Pred
from smoothvla_jax import builders
from smoothvla_jax.model.tokenizer import UNK_ID

NEW_SUITES = ("libero_spatial", "libero_object", "libero_goal")
LIMITS = {"libero_spatial": 220, "libero_object": 280, "libero_goal": 300}
_WHERE = ["between the plate and the ramekin", "next to the ramekin", "from table center",
          "on the cookie box", "in the top drawer of the wooden cabinet", "on the ramekin",
          "next to the cookie box", "on the stove", "next to the plate", "on the wooden cabinet"]
_ITEMS = ["alphabet soup", "cream cheese", "salad dressing", "bbq sauce", "ketchup",
          "tomato sauce", "butter", "milk", "chocolate pudding", "orange juice"]
INSTRUCTIONS = {
    "libero_spatial": [f"pick up the black bowl {w} and place it on the plate" for w in _WHERE],
    "libero_object": [f"pick up the {i} and place it in the basket" for i in _ITEMS],
    "libero_goal": [
        "open the middle drawer of the cabinet", "put the bowl on the stove",
        "put the wine bottle on top of the cabinet", "open the top drawer and put the bowl inside",
        "put the bowl on top of the cabinet", "push the plate to the front of the stove",
        "put the cream cheese in the bowl", "turn on the stove", "put the bowl on the plate",
        "put the wine bottle on the rack",
    ],
}
NEW_TASKS = [t for s in NEW_SUITES for t in suite_tasks(s)]


@pytest.mark.parametrize("suite", NEW_SUITES)
def test_suite_instructions_counts_and_limits(suite):
    tasks = suite_tasks(suite)
    assert [t.instruction for t in tasks] == INSTRUCTIONS[suite]
    assert [t.index for t in tasks] == list(range(10))
    assert all(t.max_steps == LIMITS[suite] and t.suite == suite for t in tasks)
    assert all(t.name == t.instruction.replace(" ", "_") for t in tasks)  # LIBERO's names
    for key in ("libero_spatial/3", f"{suite}/7"):
        t = get_task(key)
        assert get_task(t.name) is t and get_task(t.instruction) is t
        assert builders.episode_limit(key, 0) == t.max_steps
        assert builders.episode_limit(key, 50) == 50


def test_registry_lists_all_suites_and_rejects_unknown():
    assert SUITES == ("libero_10", "libero_spatial", "libero_object", "libero_goal")
    assert len(all_tasks()) == 40 and len({t.key for t in all_tasks()}) == 40
    assert len({t.instruction for t in all_tasks()}) == 40
    with pytest.raises(ValueError, match="unknown task 'libero_spatial/10'.*libero_goal/9"):
        get_task("libero_spatial/10")
    with pytest.raises(ValueError, match="unknown task 'pick up the red bowl'"):
        get_task("pick up the red bowl")
    with pytest.raises(ValueError, match="unknown task suite 'libero_90'"):
        suite_tasks("libero_90")


def test_task_keys_mix_suites_all_and_suite_names():
    keys = builders.task_keys("libero_spatial/3, libero_goal/0,libero_object/9,libero_spatial/3")
    assert keys == ["libero_spatial/3", "libero_goal/0", "libero_object/9"]
    assert builders.task_keys("all", "libero_goal") == [f"libero_goal/{i}" for i in range(10)]
    assert len(builders.task_keys("all", "all")) == 40
    assert len(builders.task_keys("libero_object,libero_10/2")) == 11
    assert builders.task_keys("libero_goal/all")[-1] == "libero_goal/9"
    with pytest.raises(ValueError, match="unknown task"):
        builders.task_keys("libero_goal/0,libero_goal/11")


def test_tokenizer_covers_every_instruction():
    tok = builders.make_tokenizer([], 512)
    for t in all_tasks():
        ids, mask = tok.encode(t.instruction, max_len=32)
        assert not np.any(ids[mask] == UNK_ID), t.instruction


def test_all_scenes_compile_for_mjx():
    from mujoco import mjx

    for t in NEW_TASKS:
        m = mujoco.MjModel.from_xml_string(build_mjcf(t.scene))
        mjx.put_model(m)  # raises for unsupported collision pairs
        assert m.npair < 150, f"{t.key}: {m.npair} contact pairs (keep scenes cheap)"


@pytest.mark.parametrize("suite,index", [("libero_spatial", 4), ("libero_object", 3),
                                         ("libero_goal", 0)])
def test_init_states_saved_deterministic_and_distinct(suite, index):
    for t in suite_tasks(suite):
        m = mujoco.MjModel.from_xml_string(build_mjcf(t.scene))
        saved = load_init_states(t, m)
        assert saved.shape == (NUM_INIT_STATES, m.nq)
        gap = np.abs(saved[:, None] - saved[None]).max(-1) + np.eye(NUM_INIT_STATES)
        assert gap.min() > 1e-4, f"{t.key}: two initial states coincide"
    t = suite_tasks(suite)[index]
    m = mujoco.MjModel.from_xml_string(build_mjcf(t.scene))
    np.testing.assert_allclose(generate(t, num=2), load_init_states(t, m)[:2], atol=1e-6)


def test_spatial_layouts_differ_only_in_where_the_bowls_are():
    """One scene, ten layouts: same objects/fixtures; the bowl to pick starts elsewhere."""
    tasks = suite_tasks("libero_spatial")
    names = {tuple(o.name for o in t.scene.objects) for t in tasks}
    assert len(names) == 1
    starts = []
    for t in tasks:
        m = mujoco.MjModel.from_xml_string(build_mjcf(t.scene))
        q = load_init_states(t, m)
        adr = m.jnt_qposadr[m.joint("akita_black_bowl_1/joint").id]
        starts.append(q[:, adr:adr + 3].mean(0))
    d = np.linalg.norm(np.asarray(starts)[:, None] - np.asarray(starts)[None], axis=-1)
    assert (d + np.eye(10)).min() > 0.05  # ten different places
    # the drawer layout starts with the top drawer open and the bowl inside it
    t = tasks[4]
    m = mujoco.MjModel.from_xml_string(build_mjcf(t.scene))
    d = mujoco.MjData(m)
    d.qpos[:] = load_init_states(t, m)[0]
    mujoco.mj_forward(m, d)
    assert d.qpos[m.jnt_qposadr[m.joint("top_drawer_slide").id]] < -0.14
    fn = make_goal_fn(t.scene, (Pred("in", "akita_black_bowl_1", "top_drawer_region"),), m)
    geom, dist = numpy_contacts(d)
    assert bool(fn(GoalInputs(d.xpos, d.xmat, d.qpos, geom, dist))[0])


def test_goals_do_not_hold_at_any_initial_state():
    """Every predicate set evaluated (vmapped, not jitted) on all 50 settled states per task."""
    for t in NEW_TASKS:
        m = mujoco.MjModel.from_xml_string(build_mjcf(t.scene))
        d = mujoco.MjData(m)
        rows = []
        for q in load_init_states(t, m):
            d.qpos[:] = q
            mujoco.mj_forward(m, d)
            rows.append((d.xpos.copy(), d.xmat.copy(), d.qpos.copy(), *numpy_contacts(d)))
        ncon = max(r[3].shape[0] for r in rows)
        geom = np.stack([np.pad(r[3], ((0, ncon - len(r[3])), (0, 0)), constant_values=-1)
                         for r in rows])
        dist = np.stack([np.pad(r[4], (0, ncon - len(r[4])), constant_values=1.0) for r in rows])
        arrays = [np.stack([r[i] for r in rows]) for i in range(3)] + [geom, dist]
        fn = make_goal_fn(t.scene, t.goal, m)
        goal = np.asarray(jax.vmap(lambda *a, fn=fn: fn(GoalInputs(*a)))(*arrays))  # [50, P]
        assert not goal.all(-1).any(), f"{t.key}: goal already holds at {goal.all(-1).nonzero()}"


def _expert_success(task: str, init_indices) -> np.ndarray:
    """The IK plans in MJX (``"ik"`` dynamics; the OSC plans: tests/test_expert.py)."""
    env = LiberoEnv(task, EnvConfig.for_dynamics("ik"))
    run = jax.jit(lambda idx: run_expert_batch(env, idx, env.max_steps).success)
    return np.asarray(run(jnp.asarray(init_indices)))


@pytest.mark.parametrize("task", ["libero_spatial/0", "libero_object/1", "libero_goal/7"])
def test_expert_succeeds_representative_task(task):
    """One cheap task per suite, 2 initial states: bowl onto the plate, cream cheese into the
    basket on the floor, stove knob turned on."""
    ok = _expert_success(task, [0, 1])
    assert ok.all(), f"{task}: expert success {ok}"


@pytest.mark.slow
@pytest.mark.parametrize("task", [t.key for t in NEW_TASKS])
def test_expert_succeeds_every_task(task):
    ok = _expert_success(task, [0, 1, 2, 3])
    assert ok.mean() >= 0.75, f"{task}: expert success {ok}"


# -- held-out generalisation: configs, task selection, tokenizer (no trained model needed) ----

def test_heldout_config_evaluates_only_unseen_layouts():
    c = builders.load_config("configs/spatial_heldout.py")
    train = builders.task_keys(c.data.tasks, c.data.suite)
    held = builders.eval_task_keys(c)
    assert held and not set(held) & set(train)
    assert all(k.startswith("libero_spatial/") for k in train + held)
    assert c.model.size == "tiny" and c.data.image_size == 64 and c.eval.heldout
    # the policy's tokenizer is built from the SFT instructions only: unseen ones still encode
    tok = builders.make_tokenizer([get_task(k).instruction for k in train], 512)
    for k in held:
        ids, mask = tok.encode(get_task(k).instruction, max_len=32)
        assert not np.any(ids[mask] == UNK_ID)
    # a CLI --tasks override is validated too; overlap with data.tasks is refused
    assert builders.eval_task_keys(c, "libero_spatial/7") == ["libero_spatial/7"]
    with pytest.raises(ValueError, match="libero_spatial/0 are also SFT tasks"):
        builders.eval_task_keys(c, "libero_spatial/0,libero_spatial/1")
    c.eval.heldout = False
    assert builders.eval_task_keys(c, "libero_spatial/0") == ["libero_spatial/0"]


@pytest.mark.parametrize("name,n,horizon", [("libero_spatial", 10, 220), ("libero_object", 10, 280),
                                            ("libero_goal", 10, 300), ("libero_all", 40, 0)])
def test_suite_configs(name, n, horizon):
    c = builders.load_config(f"configs/{name}.py")
    keys = builders.task_keys(c.data.tasks, c.data.suite)
    assert len(keys) == n and c.eval.horizon == horizon
    limits = {builders.episode_limit(k, c.eval.horizon) for k in keys}
    assert limits == ({220, 280, 300, 520} if n == 40 else {horizon})
