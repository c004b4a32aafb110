"""The one optax builder (SFT and GRPO): schedule values and the weight-decay mask, against
hand-computed numbers."""

from __future__ import annotations  # noqa: I001

import smoothvla_jax  # noqa: F401

import jax.numpy as jnp
import numpy as np
import pytest

from smoothvla_jax.optim import OptimConfig, make_optimizer


def test_warmup_cosine_and_constant_schedules():
    _, sched = make_optimizer(OptimConfig(lr=1.0, num_steps=10, warmup_steps=2,
                                          end_lr_ratio=0.1))
    assert float(sched(0)) == 0.0 and float(sched(1)) == pytest.approx(0.5)  # linear warmup
    assert float(sched(2)) == pytest.approx(1.0)
    # cosine from step 2 to 10: halfway (step 6) = end + (peak - end) / 2
    assert float(sched(6)) == pytest.approx(0.1 + 0.9 * 0.5, rel=1e-5)
    assert float(sched(10)) == pytest.approx(0.1)
    _, const = make_optimizer(OptimConfig(lr=3e-4, schedule="constant"))
    assert float(const(0)) == float(const(10_000)) == pytest.approx(3e-4)
    with pytest.raises(ValueError, match="schedule"):
        OptimConfig(lr=1.0, schedule="linear")


def test_weight_decay_only_on_matrices():
    params = {"w": jnp.ones((2, 2)), "b": jnp.ones(2)}
    tx, _ = make_optimizer(OptimConfig(lr=0.1, weight_decay=0.5, schedule="constant"))
    zero = {"w": jnp.zeros((2, 2)), "b": jnp.zeros(2)}
    upd, _ = tx.update(zero, tx.init(params), params)
    np.testing.assert_allclose(upd["w"], -0.1 * 0.5 * np.ones((2, 2)), rtol=1e-6)  # -lr*wd*w
    np.testing.assert_array_equal(upd["b"], np.zeros(2))                          # no decay
