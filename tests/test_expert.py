"""Scripted expert's action shaping per controller (no physics: ``act_inputs`` on hand-built
inputs, checked against the proportional law computed by hand)."""

import envs_mjx  # noqa: F401
import jax
import jax.numpy as jnp
import numpy as np
import pytest

from envs_mjx import controller as ctrl_lib
from envs_mjx.env import EnvConfig, LiberoEnv
from envs_mjx.expert import (IK_MAX_SPEED, OSC_GAIN_SCALE, OSC_MAX_SPEED, OSC_ROT_GAIN,
                             ExpertInputs, ScriptedExpert)

GAIN = 0.7  # stage 0 of libero_object/0 (approach above the item): default gain, speed 1


@pytest.fixture(scope="module")
def experts():
    """``{"ik": expert, "osc": expert}`` of libero_object/0 (the default env and OSC)."""
    osc = EnvConfig.libero().controller
    return {"ik": ScriptedExpert(LiberoEnv("libero_object/0")),
            "osc": ScriptedExpert(LiberoEnv("libero_object/0", EnvConfig(controller=osc)))}


def _action(expert: ScriptedExpert, err: np.ndarray, yaw: float = 0.0) -> np.ndarray:
    """First action when the stage-0 target is ``err`` away from the TCP and the hand is
    turned by ``yaw`` from its target yaw."""
    n = len(expert.ref_names)
    c, s = np.cos(yaw), np.sin(yaw)
    rz = jnp.array([[c, -s, 0.0], [s, c, 0.0], [0.0, 0.0, 1.0]], jnp.float32)
    kw = dict(tcp_rot=rz @ jnp.asarray(ctrl_lib.TCP_DOWN).T,
              body_pos=jnp.tile(jnp.array([0.1, 0.0, 0.9]), (n, 1)),
              body_rot=jnp.tile(jnp.eye(3), (n, 1, 1)))
    es = expert.init_inputs(ExpertInputs(tcp_pos=jnp.zeros(3), **kw))
    tgt, _, _ = expert.target(es)
    inp = ExpertInputs(tcp_pos=tgt - jnp.asarray(err, jnp.float32), **kw)
    return np.asarray(jax.jit(expert.act_inputs)(es, inp)[0])


def test_expert_translation_law_per_controller(experts):
    """Near the target both controllers act proportionally (OSC with its gain scale); far
    from it IK caps the norm at 0.5 (2.5 cm/step) and OSC saturates the largest component at
    the action limit 1, keeping the direction."""
    near = np.array([0.01, -0.005, 0.002])
    np.testing.assert_allclose(_action(experts["ik"], near)[:3], GAIN * near / 0.05, atol=1e-5)
    np.testing.assert_allclose(_action(experts["osc"], near)[:3],
                               OSC_GAIN_SCALE * GAIN * near / 0.05, atol=1e-5)
    far = np.array([0.3, -0.1, 0.05])
    ik = _action(experts["ik"], far)[:3]
    np.testing.assert_allclose(ik, IK_MAX_SPEED * far / np.linalg.norm(far), atol=1e-5)
    osc = _action(experts["osc"], far)[:3]
    np.testing.assert_allclose(osc, far / np.abs(far).max(), atol=1e-5)
    assert np.linalg.norm(osc) <= OSC_MAX_SPEED


def test_expert_rotation_gain_per_controller(experts):
    """A 5 deg yaw error: IK commands error / 0.5 rad, OSC amplifies it by its rotation gain
    (the sign turns the hand back)."""
    yaw = np.deg2rad(5.0)
    ik = _action(experts["ik"], np.zeros(3), yaw)
    osc = _action(experts["osc"], np.zeros(3), yaw)
    np.testing.assert_allclose(ik[:5], 0.0, atol=1e-5)
    assert abs(abs(ik[5]) - yaw / 0.5) < 1e-4
    np.testing.assert_allclose(osc[5], OSC_ROT_GAIN * ik[5], rtol=1e-4)
