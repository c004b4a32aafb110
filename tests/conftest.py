"""Test configuration: make sure the XLA CPU flag is applied before JAX starts."""

import envs_mjx  # noqa: F401

import json  # noqa: E402
import pathlib  # noqa: E402

import jax  # noqa: E402
import jax.numpy as jnp  # noqa: E402
import numpy as np  # noqa: E402
import pytest  # noqa: E402

OSC_REFERENCE = pathlib.Path(__file__).parent / "data" / "libero_osc_reference.json"
MJX_CASES = ("dx+1", "dz+1", "dyaw+1", "stop")


@pytest.fixture(scope="session")
def libero_10_2_mjx_runs():
    """One compiled MJX rollout shared by the controller and contact tests (libero_10/2, init
    state 0, 10 no-op steps then 30 steps of each case): LIBERO reference cases ``MJX_CASES``
    (their 20 recorded actions, then no-ops) and ``"down"`` (full dz = -1 onto the table).
    Returns ``(env, {case: (pos [31, 3], rot [31, 3, 3], error [])})``, row 0 = before the
    case's first action."""
    from envs_mjx.env import EnvConfig, LiberoEnv

    ref = json.loads(OSC_REFERENCE.read_text())["cases"]
    pad = np.tile(np.array([0, 0, 0, 0, 0, 0, -1], np.float32), (10, 1))
    acts = [np.concatenate([np.asarray(ref[n]["actions"], np.float32), pad]) for n in MJX_CASES]
    acts.append(np.tile(np.array([0, 0, -1, 0, 0, 0, -1], np.float32), (30, 1)))
    noop = np.tile(np.array([0, 0, 0, 0, 0, 0, -1], np.float32), (len(acts), 10, 1))
    acts = jnp.asarray(np.concatenate([noop, np.stack(acts)], axis=1))
    env = LiberoEnv("libero_10/2", EnvConfig.libero())

    def run(a):
        st = env.reset(jax.random.PRNGKey(0), 0)
        st, out = jax.lax.scan(lambda s, x: (lambda n: (n, (n.ee_pos, n.ee_rot)))(
            env.step(s, x)), st, a)
        return out, st.error

    (pos, rot), err = jax.jit(jax.vmap(run))(acts)
    pos, rot, err = np.asarray(pos)[:, 9:], np.asarray(rot)[:, 9:], np.asarray(err)
    names = (*MJX_CASES, "down")
    return env, {n: (pos[i], rot[i], err[i]) for i, n in enumerate(names)}
