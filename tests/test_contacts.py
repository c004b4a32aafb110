"""Contacts of the LIBERO-like scenes (``contacts="full"``, ``EnvConfig.libero()``): the arm
touches the world and objects touch each other, in MJX; the default ``"fast"`` pair set is the
contrast (checked on C MuJoCo with the same MJCF)."""

import envs_mjx  # noqa: F401
import jax
import jax.numpy as jnp
import mujoco
import numpy as np
import pytest

from envs_mjx import panda
from envs_mjx.env import EnvConfig, LiberoEnv
from envs_mjx.registry import get_task
from envs_mjx.scene import build_mjcf


def test_full_contacts_include_arm_and_every_object_pair():
    t = get_task("libero_10/0")
    full = mujoco.MjModel.from_xml_string(build_mjcf(t.scene, contacts="full"))
    fast = mujoco.MjModel.from_xml_string(build_mjcf(t.scene))        # the default

    def pairs(m):
        return {frozenset((m.geom(int(a)).name, m.geom(int(b)).name))
                for a, b in zip(m.pair_geom1, m.pair_geom2)}

    pf, ps = pairs(full), pairs(fast)
    assert ps < pf
    for g in panda.CONTACT_GEOMS:
        assert frozenset((g, "table_plane")) in pf and frozenset((g, "table_plane")) not in ps
    assert frozenset(("ketchup_1/g0", "milk_1/g0")) in pf          # two distractors
    assert frozenset(("ketchup_1/g0", "milk_1/g0")) not in ps
    with pytest.raises(ValueError, match="contacts must be 'full' or 'fast'"):
        build_mjcf(t.scene, contacts="none")


def _push_setup(env: LiberoEnv, a: str, b: str, speed: float = 2.0, gap: float = 0.075):
    """qpos/qvel of init state 0 with object ``a`` moved to ``gap`` (centre to centre, ~1.5 cm
    between the boxes) in front of ``b`` and sliding toward it at ``speed`` m/s (thrown: table
    friction would stop a slower push before the soft contact moves ``b``)."""
    m = env.mj_model
    qpos = env.init_qpos[0].copy()
    adr = {n: m.jnt_qposadr[m.joint(f"{n}/joint").id] for n in (a, b)}
    dadr = m.jnt_dofadr[m.joint(f"{a}/joint").id]
    d = qpos[adr[b]:adr[b] + 2] - qpos[adr[a]:adr[a] + 2]
    d = d / np.linalg.norm(d)
    qpos[adr[a]:adr[a] + 2] = qpos[adr[b]:adr[b] + 2] - gap * d
    qvel = np.zeros(m.nv)
    qvel[dadr:dadr + 2] = speed * d
    return qpos, qvel, adr[b]


def _c_mujoco_moved(env: LiberoEnv, a: str, b: str, steps: int = 300) -> float:
    m = env.mj_model
    d = mujoco.MjData(m)
    qpos, qvel, badr = _push_setup(env, a, b)
    d.qpos[:], d.qvel[:] = qpos, qvel
    mujoco.mj_forward(m, d)
    d.ctrl[:] = 0.0
    d.ctrl[7:9] = panda.FINGER_OPEN
    for _ in range(steps):
        d.qfrc_applied[:7] = d.qfrc_bias[:7]      # hold the arm (not part of this test)
        mujoco.mj_step(m, d)
    return float(np.linalg.norm(d.qpos[badr:badr + 2] - qpos[badr:badr + 2]))


def test_object_pushed_into_another_moves_it():
    """The ketchup bottle slides into the milk carton (two distractors of libero_10/0): in MJX
    with full contacts the carton moves; with the fast pair set it would pass through."""
    env = LiberoEnv("libero_10/0", EnvConfig.libero())
    qpos, qvel, badr = _push_setup(env, "ketchup_1", "milk_1")

    def run():
        st = env.reset(jax.random.PRNGKey(0), 0)
        st = st.replace(data=st.data.replace(qpos=jnp.asarray(qpos, st.data.qpos.dtype),
                                             qvel=jnp.asarray(qvel, st.data.qvel.dtype)))
        noop = jnp.tile(jnp.array([0, 0, 0, 0, 0, 0, -1.0]), (20, 1))
        st, _ = jax.lax.scan(lambda s, x: (env.step(s, x), None), st, noop)
        return st.data.qpos

    moved = np.linalg.norm(np.asarray(jax.jit(run)())[badr:badr + 2] - qpos[badr:badr + 2])
    assert moved > 0.01, f"milk moved {moved * 100:.2f} cm"
    fast = LiberoEnv("libero_10/0", EnvConfig(controller=EnvConfig.libero().controller,
                                              contacts="fast"))
    assert _c_mujoco_moved(fast, "ketchup_1", "milk_1") < 1e-3


def test_hand_pushed_down_stops_at_the_table(libero_10_2_mjx_runs):
    """30 full downward actions (the hand starts ~26 cm above the table and moves ~1.25 cm per
    step, so it arrives after ~22): the fingers stop on the table top instead of passing
    through it."""
    env, runs = libero_10_2_mjx_runs
    pos, _, err = runs["down"]
    z = pos[:, 2]
    tz = env.task.scene.table_z
    assert err == 0
    assert z[0] > tz + 0.1                       # started well above the table
    # the pads reach 9 mm below the TCP: it settles ~1 cm above the top and stays there
    assert tz < z[-1] < tz + 0.03 and abs(z[-1] - z[-4]) < 0.005
