"""What a demonstration records as its action (``data.action_labels``), on a stub env and expert
(no MJX): the env always runs the noisy action; the label is that action or the expert's."""

# ruff: noqa: I001  (smoothvla_jax must be imported before jax)
from __future__ import annotations

import smoothvla_jax  # noqa: F401

import jax
import jax.numpy as jnp
import numpy as np
import pytest
from flax import struct

from envs_mjx.expert import perturb_action
from smoothvla_jax.collect import make_collect_fns
from smoothvla_jax.config import DataConfig

CLEAN = jnp.array([0.5, -0.25, 0.0, 0.1, 0.0, -0.1, 1.0])


@struct.dataclass
class _State:
    obs: dict
    done: jax.Array
    ee_pos: jax.Array


class _Env:
    """``ee_pos`` integrates the executed arm translation, so the env's inputs can be read back
    from its outputs."""

    def reset(self, key, idx):
        return _State(obs={"agentview": jnp.zeros((2, 2, 3), jnp.uint8),
                           "wrist": jnp.zeros((2, 2, 3), jnp.uint8), "proprio": jnp.zeros(4)},
                      done=jnp.array(False), ee_pos=jnp.zeros(3))

    def step(self, st, action):
        return st.replace(ee_pos=st.ee_pos + action[:3])


class _Expert:
    action_noise = 0.1

    def init(self, st):
        return jnp.int32(0)

    def act(self, es, st, key=None):
        assert key is None  # collection adds the noise itself, once
        return CLEAN, es + 1


@pytest.mark.parametrize("labels", ["executed", "expert"])
def test_labels_are_the_executed_or_the_expert_action(labels):
    init, advance = make_collect_fns(_Env(), _Expert(), segment=5, action_labels=labels)
    carry = init(jax.random.split(jax.random.PRNGKey(0), 2), jnp.arange(2))
    _, out = advance(carry)
    executed = np.diff(np.concatenate([np.zeros((2, 1, 3)), np.asarray(out["ee_pos"])], 1), axis=1)
    assert np.std(executed - np.asarray(CLEAN[:3])) > 0.05        # the env ran noisy actions
    if labels == "expert":
        np.testing.assert_allclose(out["actions"], np.broadcast_to(CLEAN, (2, 5, 7)))
    else:
        np.testing.assert_allclose(out["actions"][..., :3], executed, atol=1e-6)
        np.testing.assert_allclose(out["actions"][..., 6], 1.0)    # gripper never perturbed


def test_perturb_action_hand_values_and_bad_labels():
    a = jnp.array([0.95, 0.0, 0.0, 0.0, 0.0, 0.0, -1.0])
    assert perturb_action(a, jax.random.PRNGKey(0), 0.0) is a
    keys = jax.random.split(jax.random.PRNGKey(1), 4000)
    x = np.asarray(jax.vmap(lambda k: perturb_action(a, k, 0.02))(keys))
    assert abs(x[:, 1].std() - 0.02) < 0.002 and abs(x[:, 1].mean()) < 0.002
    assert x[:, 0].max() <= 1.0 and (x[:, 0] == 1.0).any()        # clipped at the limit
    assert (x[:, 6] == -1.0).all()
    with pytest.raises(ValueError, match="action_labels"):
        make_collect_fns(_Env(), _Expert(), 5, "clean")
    with pytest.raises(ValueError, match="data.action_labels"):
        DataConfig(action_labels="clean")
