"""Data-parallel GRPO on 8 fake CPU devices gives the single-device result.

Each check runs in a subprocess because the device count
(``--xla_force_host_platform_device_count=8``) must be set before JAX starts. The fast test
uses the point-mass stand-in env of test_pipeline.py; the slow one a real MJX LIBERO task.
"""

# ruff: noqa: I001  (smoothvla_jax must be imported before jax)
from __future__ import annotations

import os
import subprocess
import sys
import textwrap

import pytest

import smoothvla_jax  # noqa: F401

from smoothvla_jax import parallel

TESTS = os.path.dirname(os.path.abspath(__file__))
ROOT = os.path.dirname(TESTS)

SCRIPT = textwrap.dedent('''
    import os, sys
    os.environ["XLA_FLAGS"] = (os.environ.get("XLA_FLAGS", "")
                               + " --xla_force_host_platform_device_count=8")
    sys.path.insert(0, {tests!r})
    import smoothvla_jax  # noqa: F401  (XLA flags before jax)
    import jax
    import jax.numpy as jnp
    import numpy as np
    from smoothvla_jax import parallel
    from smoothvla_jax.model import ActionTokenizer, VLAConfig, default_tokenizer, init_params
    from smoothvla_jax.rl.grpo import GRPOConfig
    from smoothvla_jax.rl.rewards import RewardConfig
    from smoothvla_jax.rl.trainer import (init_train_state, make_grpo_iteration,
                                          make_grpo_optimizer)

    assert jax.device_count() == 8, jax.devices()
    ENV = {env}
    vcfg = VLAConfig.tiny(image_size=16, chunk=4)
    if ENV == "point":
        from test_pipeline import PointEnv
        env, instruction = PointEnv(16, max_steps=10), "put both moka pots on the stove"
    else:
        from envs_mjx.env import EnvConfig, LiberoEnv
        from envs_mjx.renderer import RenderConfig
        env = LiberoEnv(ENV, EnvConfig.for_dynamics(  # the CPU configs' dynamics
            "libero_fast", render=RenderConfig(width=16, height=16), max_steps=8))
        instruction = env.instruction
    ids, mask = default_tokenizer().encode(instruction, max_len=vcfg.text_max_len)
    # additive jerk reward + no dynamic sampling: every episode has a distinct reward, so the
    # update is non-trivial even though no episode succeeds
    gcfg = GRPOConfig(group_size=4, num_minibatches=2, update_epochs=2, dynamic_sampling=False,
                      temperature=1.0, kl_coef=0.01)
    rcfg = RewardConfig(kind="smooth", form="additive", lam=1.0)
    # Adam's eps is raised so that the update stays proportional to the gradient: with the
    # default 1e-8, parameters whose gradient is pure float noise (~1e-9, different reduction
    # order on 8 devices) would each take a full +-lr step of random sign, and no tolerance
    # could tell a sharding bug from that noise.
    opt = make_grpo_optimizer(1e-2, eps=1e-3)

    def run(mode):
        state = init_train_state(init_params(jax.random.PRNGKey(0), vcfg), opt,
                                 jax.random.PRNGKey(1), keep_reference=True)
        par = None
        if mode != "single":
            par = parallel.DataParallel.create(parallel.make_mesh(8), state, opt, mode,
                                               min_fsdp_size=256)
            state = par.put(state)
        # the loops as accelerators run them (lax.scan): sharding is for accelerators, and the
        # CPU's unrolled update would compile one forward+backward per step in 3 modes
        it = make_grpo_iteration(env, vcfg, ActionTokenizer(), ids[0], mask[0], gcfg, rcfg, opt,
                                 num_chunks=2, prompts_per_iteration=2, parallel=par,
                                 unroll=False)
        hlo = it.update.lower(state, it.init_buffer(), jnp.int32(2), jax.random.PRNGKey(5),
                              it.ladder[-1]).compile().as_text()
        metrics = []
        for i in range(2):
            state, m = it(state, jax.random.PRNGKey(10 + i))
            metrics.append({{k: float(v) for k, v in m.items()}})
        return state, metrics, hlo

    s0, m0, _ = run("single")
    assert m0[0]["updated"] == 1.0 and m0[0]["reward_std"] > 0, m0
    p_init = init_params(jax.random.PRNGKey(0), vcfg)
    moved = max(float(jnp.abs(a - b).max()) for a, b in zip(jax.tree.leaves(s0.params),
                                                            jax.tree.leaves(p_init)))
    assert moved > 1e-4, f"the update barely moved the parameters ({{moved}})"
    for mode in ("replicate", "fsdp"):
        s1, m1, hlo = run(mode)
        leaves = jax.tree.leaves(s1.params)
        assert all(len(x.sharding.device_set) == 8 for x in leaves)
        split = [x for x in leaves if x.addressable_shards[0].data.shape != x.shape]
        if mode == "replicate":
            assert not split
        else:
            assert split, "fsdp split no parameter"
        assert "all-reduce" in hlo or "reduce-scatter" in hlo, "no cross-device reduction"
        for a, b in zip(m0, m1):
            for k in a:
                np.testing.assert_allclose(b[k], a[k], rtol=2e-4, atol=2e-6, err_msg=mode + k)
        for a, b in zip(jax.tree.leaves(s0.params), leaves):
            np.testing.assert_allclose(np.asarray(b), np.asarray(a), rtol=1e-3, atol=5e-6,
                                       err_msg=mode)
        print(mode, "ok", len(split), "of", len(leaves), "params split")
    print("PARALLEL_OK")
''')


def _run(env: str, timeout: int) -> str:
    code = SCRIPT.format(tests=TESTS, env=repr(env))
    proc = subprocess.run([sys.executable, "-c", code], cwd=ROOT, capture_output=True,
                          text=True, timeout=timeout)
    out = proc.stdout + proc.stderr
    assert proc.returncode == 0 and "PARALLEL_OK" in proc.stdout, out[-6000:]
    return out


def test_sharded_iteration_matches_single_device_point_env():
    out = _run("point", timeout=600)
    assert "replicate ok 0 of" in out and "fsdp ok" in out


@pytest.mark.slow
def test_sharded_iteration_matches_single_device_mjx():
    _run("libero_10/9", timeout=1800)


def testfsdp_spec_and_mesh_errors():
    import jax
    import numpy as np

    assert parallel.fsdp_spec((64, 48), 8, 16) == parallel.P("data", None)
    assert parallel.fsdp_spec((6, 48), 8, 16) == parallel.P(None, "data")
    assert parallel.fsdp_spec((6, 7), 8, 16) == parallel.P()            # nothing divisible
    assert parallel.fsdp_spec((64,), 8, 1000) == parallel.P()           # too small
    with pytest.raises(ValueError, match="xla_force_host_platform_device_count=99"):
        parallel.make_mesh(99)
    mesh = parallel.make_mesh(1)
    with pytest.raises(ValueError, match="must be one of"):
        parallel.param_shardings({"w": np.zeros(3)}, mesh, "zero3")
    assert jax.tree.leaves(parallel.param_shardings({"w": np.zeros(3)}, mesh))[0].is_fully_replicated
