"""Goal predicates on hand-made states (no physics)."""

import envs_mjx  # noqa: F401
import jax.numpy as jnp
import numpy as np
import pytest

from envs_mjx import predicates as P

EYE = jnp.eye(3).reshape(9)


@pytest.mark.parametrize(
    "kind,joint,q,expected",
    [
        ("open", "bottom_drawer_slide", -0.15, True),
        ("open", "bottom_drawer_slide", -0.10, False),
        ("close", "bottom_drawer_slide", 0.005, True),
        ("close", "bottom_drawer_slide", -0.01, False),
        ("open", "microwave_door", -1.5, True),
        ("open", "microwave_door", -1.0, False),
        ("close", "microwave_door", -0.001, True),
        ("close", "microwave_door", -0.2, False),
        ("turnon", "stove_knob", 0.6, True),
        ("turnon", "stove_knob", 0.4, False),
        ("turnoff", "stove_knob", 0.1, True),
    ],
)
def test_joint_predicates(kind, joint, q, expected):
    assert bool(P.joint_predicate(kind, joint, jnp.asarray(q))) is expected


def test_joint_predicate_rejects_wrong_family():
    with pytest.raises(ValueError, match="does not apply"):
        P.joint_predicate("turnon", "microwave_door", jnp.asarray(0.0))
    with pytest.raises(ValueError, match="not a drawer"):
        P.joint_family("elbow")


def test_in_region_box_and_rotation():
    center, half = jnp.array([0.0, 0.0, 0.05]), jnp.array([0.1, 0.05, 0.05])
    parent = jnp.array([1.0, 2.0, 0.5])
    assert bool(P.in_region(jnp.array([1.05, 2.0, 0.52]), parent, EYE, center, half))
    assert not bool(P.in_region(jnp.array([1.05, 2.07, 0.52]), parent, EYE, center, half))
    # z: 0.01 slack below the box, none above
    assert bool(P.in_region(jnp.array([1.0, 2.0, 0.495]), parent, EYE, center, half))
    assert not bool(P.in_region(jnp.array([1.0, 2.0, 0.485]), parent, EYE, center, half))
    assert not bool(P.in_region(jnp.array([1.0, 2.0, 0.61]), parent, EYE, center, half))
    # a parent rotated 90 degrees about z swaps the x/y extents
    rz = jnp.array([[0.0, -1.0, 0.0], [1.0, 0.0, 0.0], [0.0, 0.0, 1.0]]).reshape(9)
    assert bool(P.in_region(jnp.array([1.0, 2.08, 0.52]), parent, rz, center, half))
    assert not bool(P.in_region(jnp.array([1.08, 2.0, 0.52]), parent, rz, center, half))


def test_on_region_needs_contact_and_height():
    center, half = jnp.array([0.0, 0.0, 0.05]), jnp.array([0.1, 0.1, 0.05])
    parent = jnp.zeros(3)
    pos = jnp.array([0.02, 0.0, 0.03])
    assert bool(P.on_region(pos, parent, EYE, center, half, jnp.array(True)))
    assert not bool(P.on_region(pos, parent, EYE, center, half, jnp.array(False)))
    assert not bool(P.on_region(jnp.array([0.02, 0.0, 0.15]), parent, EYE, center, half,
                                jnp.array(True)))
    assert not bool(P.on_region(jnp.array([0.2, 0.0, 0.03]), parent, EYE, center, half,
                                jnp.array(True)))


def test_on_object_thresholds():
    b = jnp.array([0.0, 0.0, 0.0])
    t = jnp.array(True)
    assert bool(P.on_object(jnp.array([0.02, 0.0, 0.02]), b, t))
    assert not bool(P.on_object(jnp.array([0.04, 0.0, 0.02]), b, t))  # xy > 0.03
    assert not bool(P.on_object(jnp.array([0.0, 0.0, -0.02]), b, t))  # below
    assert not bool(P.on_object(jnp.array([0.0, 0.0, 0.02]), b, jnp.array(False)))


def test_bodies_touching_uses_geom_bodies_and_distance():
    geom_body = jnp.array([0, 1, 1, 2, 3])
    geoms = jnp.array([[1, 3], [2, 4], [-1, -1]])
    assert bool(P.bodies_touching(geoms, jnp.array([-0.001, 0.5, 0.0]), geom_body, 1, 2))
    assert bool(P.bodies_touching(geoms, jnp.array([-0.001, 0.5, 0.0]), geom_body, 2, 1))
    assert not bool(P.bodies_touching(geoms, jnp.array([0.01, 0.5, 0.0]), geom_body, 1, 2))
    assert not bool(P.bodies_touching(geoms, jnp.array([0.5, 0.5, 0.0]), geom_body, 1, 3))
    # unused contact slots (geom -1) never count, even with dist 0
    assert not bool(P.bodies_touching(geoms, jnp.array([0.5, 0.5, 0.0]), geom_body, 3, 3))


def test_goal_fn_on_saved_initial_state_is_false():
    """Every task's goal is false in its initial states (nothing starts solved)."""
    import mujoco

    from envs_mjx.init_states import load_init_states
    from envs_mjx.registry import suite_tasks
    from envs_mjx.scene import build_mjcf

    for task in suite_tasks("libero_10"):
        m = mujoco.MjModel.from_xml_string(build_mjcf(task.scene))
        d = mujoco.MjData(m)
        fn = P.make_goal_fn(task.scene, task.goal, m)
        for q in load_init_states(task, m)[:5]:
            d.qpos[:] = q
            mujoco.mj_forward(m, d)
            g, dist = P.numpy_contacts(d)
            out = fn(P.GoalInputs(jnp.asarray(d.xpos), jnp.asarray(d.xmat), jnp.asarray(d.qpos),
                                  jnp.asarray(g), jnp.asarray(dist)))
            assert not bool(np.all(out)), task.key
