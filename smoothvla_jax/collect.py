"""Collects scripted-expert demonstrations with pixels into a dataset (docs/dataset.md).

    python -m smoothvla_jax.collect --config=configs/smoke.py [--config.data.num_demos=10]

Per task: ``jax.jit(jax.vmap(...))`` over ``data.batch_size`` initial states; each jitted call
advances ``data.segment`` control steps under ``lax.scan`` (expert + env + renderer), and the
host loop stops as soon as every env in the batch is done. With ``data.layouts="train"``
attempt ``a`` starts from its own fresh training layout (initial-state index ``50 + a``, see
``envs_mjx.env.EnvConfig.train_layouts``), so the 50 fixed evaluation states are never
demonstrated; with ``"eval"`` it starts from fixed state ``a % 50``. Each attempt has its own
noise key. Episodes that fail are dropped when ``data.keep_only_success``.
"""

from __future__ import annotations

import os
import time
from typing import Any

import jax
import jax.numpy as jnp
import numpy as np
from absl import flags
from ml_collections import config_flags
from tqdm import tqdm

from envs_mjx.dynamics import DEFAULT as DEFAULT_DYNAMICS
from envs_mjx.env import CONTROL_DT, LiberoEnv
from envs_mjx.expert import ScriptedExpert, perturb_action
from envs_mjx.renderer import RenderConfig
from smoothvla_jax import builders, cli, data
from smoothvla_jax.config import ACTION_LABELS, Config, DataConfig, as_config

_STEP_KEYS = ("agentview", "wrist", "proprio", "actions", "ee_pos")


def make_collect_fns(env: LiberoEnv, expert: ScriptedExpert, segment: int,
                     action_labels: str = "executed"):
    """Returns jitted, batched ``(init(keys [B], idx [B]) -> carry, advance(carry) -> (carry,
    out))``; ``out`` holds [B, segment, ...] ``agentview/wrist/proprio`` (before the action),
    ``actions``, ``ee_pos`` (after), ``valid`` (step taken before done). The env always runs
    the expert's action with ``expert.action_noise`` added
    (:func:`envs_mjx.expert.perturb_action`); ``actions`` records that executed action
    (``action_labels="executed"``) or the expert's action before the noise (``"expert"``: the
    noise only spreads the visited states, DART-style, and the labels stay noise-free)."""
    if action_labels not in ACTION_LABELS:
        raise ValueError(f"action_labels must be one of {ACTION_LABELS}, got {action_labels!r}")

    def init(key: jax.Array, idx: jax.Array):
        st = env.reset(key, idx)
        return st, expert.init(st), key

    def advance(carry):
        def body(c, _):
            st, es, key = c
            key, k = jax.random.split(key)
            clean, es = expert.act(es, st)
            clean = jnp.clip(clean, -1.0, 1.0)
            action = perturb_action(clean, k, expert.action_noise)
            nxt = env.step(st, action)
            label = clean if action_labels == "expert" else action
            out = {"agentview": st.obs["agentview"], "wrist": st.obs["wrist"],
                   "proprio": st.obs["proprio"], "actions": label, "ee_pos": nxt.ee_pos,
                   "valid": ~st.done}
            return (nxt, es, key), out

        return jax.lax.scan(body, carry, None, length=segment)

    return jax.jit(jax.vmap(init)), jax.jit(jax.vmap(advance))


def collect_task(task_key: str, dcfg: DataConfig, key: jax.Array,
                 pbar: tqdm | None = None, dynamics: str = DEFAULT_DYNAMICS,
                 ) -> tuple[dict[str, np.ndarray], dict[str, Any]]:
    """Collects up to ``dcfg.num_demos`` demos of one task under the env ``dynamics``
    (``"libero"`` | ``"libero_fast"`` | ``"ik"``, :mod:`envs_mjx.dynamics`).

    Returns ``(episodes, stats)``: padded arrays as in :mod:`smoothvla_jax.data` and counters.
    """
    size = int(dcfg.image_size)
    horizon = builders.episode_limit(task_key, dcfg.horizon)  # 0: the task's LIBERO limit
    max_attempts = int(dcfg.num_demos) * int(dcfg.max_attempts)
    layouts = dcfg.layouts
    env = LiberoEnv(task_key, builders.env_config(
        dynamics, render=RenderConfig(width=size, height=size), max_steps=horizon,
        train_layouts=max_attempts if layouts == "train" else 0))
    expert = ScriptedExpert(env, action_noise=float(dcfg.action_noise))
    seg, bsz = int(dcfg.segment), int(dcfg.batch_size)
    init, advance = make_collect_fns(env, expert, seg, dcfg.action_labels)
    # attempt a starts from layout pool[a % len(pool)]: its own fresh training layout, or
    # (layouts="eval") one of the 50 fixed evaluation states
    pool = env.start_indices(layouts)
    t0 = time.perf_counter()  # compile ahead of time so the timings below are pure run time
    ids = np.arange(bsz)
    keys = jax.vmap(lambda i: jax.random.fold_in(key, i))(ids)
    carry_shape = jax.eval_shape(init, keys, ids)
    init = init.lower(keys, ids).compile()
    advance = advance.lower(carry_shape).compile()
    compile_s = time.perf_counter() - t0
    kept: list[dict[str, Any]] = []
    attempts, successes, steps, run_s = 0, 0, 0, 0.0
    while len(kept) < dcfg.num_demos and attempts < max_attempts:
        n = min(bsz, max_attempts - attempts)
        ids = np.arange(attempts, attempts + bsz)       # padded to bsz: one compilation
        keys = jax.vmap(lambda i: jax.random.fold_in(key, i))(ids)
        t0 = time.perf_counter()
        carry = init(keys, pool[ids % len(pool)])
        outs = []
        for _ in range(0, horizon, seg):
            carry, out = advance(carry)
            outs.append(jax.device_get(out))
            if bool(np.all(np.asarray(carry[0].done))):
                break
        run_s += time.perf_counter() - t0
        out = {k: np.concatenate([o[k] for o in outs], axis=1)[:n] for k in outs[0]}
        success = np.asarray(carry[0].success)[:n]
        lengths = out["valid"].sum(1)
        steps += int(lengths.sum())
        for i in range(n):
            if (success[i] or not dcfg.keep_only_success) and len(kept) < dcfg.num_demos:
                ep = {k: out[k][i, : lengths[i]] for k in _STEP_KEYS}
                ep.update(success=bool(success[i]), init_index=int(pool[ids[i] % len(pool)]),
                          length=int(lengths[i]))
                kept.append(ep)
                if pbar is not None:
                    pbar.update(1)
        attempts += n
        successes += int(success.sum())
        if pbar is not None:
            pbar.set_postfix(task=task_key, ok=f"{successes}/{attempts}",
                             sps=f"{steps / max(run_s, 1e-9):.0f}")
    stats = {"attempts": attempts, "expert_success_rate": successes / max(attempts, 1),
             "kept": len(kept), "env_steps": steps, "compile_s": round(compile_s, 1),
             "run_s": round(run_s, 1), "env_steps_per_s": round(steps / max(run_s, 1e-9), 1)}
    return _pad(kept, size), stats


def _pad(episodes: list[dict[str, Any]], size: int) -> dict[str, np.ndarray]:
    """List of variable-length episodes -> zero-padded arrays [N, T, ...] (T >= 1)."""
    n = len(episodes)
    t_max = max([e["length"] for e in episodes], default=1)
    shapes = {"agentview": (size, size, 3), "wrist": (size, size, 3), "proprio": (8,),
              "actions": (7,), "ee_pos": (3,)}
    out = {k: np.zeros((n, t_max) + s, data.ARRAYS[k][0]) for k, s in shapes.items()}
    for i, e in enumerate(episodes):
        for k in shapes:
            out[k][i, : e["length"]] = e[k]
    out["lengths"] = np.array([e["length"] for e in episodes], np.int32)
    out["success"] = np.array([e["success"] for e in episodes], bool)
    out["init_index"] = np.array([e["init_index"] for e in episodes], np.int32)
    return out


def collect(config: Config | Any) -> str:
    """Collects ``config.data`` into ``config.data.root`` under ``config.env.dynamics`` (recorded
    as ``meta.json`` ``dynamics``); returns the root. Re-running overwrites the dataset
    (``meta.json`` is removed first and written last)."""
    from envs_mjx.registry import get_task

    config = as_config(config)
    dcfg = config.data
    root = os.path.abspath(dcfg.root)
    os.makedirs(root, exist_ok=True)
    if os.path.exists(os.path.join(root, "meta.json")):
        os.remove(os.path.join(root, "meta.json"))
    keys = builders.task_keys(dcfg.tasks, dcfg.suite)
    key = jax.random.PRNGKey(int(config.seed))
    entries, t_start = [], time.time()
    with tqdm(total=len(keys) * int(dcfg.num_demos), desc="collect", unit="demo") as pbar:
        for i, task_key in enumerate(keys):
            episodes, stats = collect_task(task_key, dcfg, jax.random.fold_in(key, i), pbar,
                                           config.env.dynamics)
            if stats["kept"] < dcfg.num_demos:
                tqdm.write(f"warning: {task_key}: kept {stats['kept']}/{dcfg.num_demos} demos "
                           f"(expert success {100 * stats['expert_success_rate']:.0f}% over "
                           f"{stats['attempts']} attempts)")
            entry = data.write_task(root, task_key, episodes)
            entry.update(instruction=get_task(task_key).instruction, stats=stats)
            entries.append(entry)
            tqdm.write(f"{task_key}: {stats}")
    size = int(dcfg.image_size)
    data.write_meta(root, entries, suite=dcfg.suite, dynamics=config.env.dynamics,
                    image_size=[size, size],
                    cameras=["agentview", "wrist"], control_dt=CONTROL_DT,
                    horizon=int(dcfg.horizon), action_noise=float(dcfg.action_noise),
                    action_labels=str(dcfg.action_labels),
                    keep_only_success=bool(dcfg.keep_only_success), seed=int(config.seed),
                    source="envs_mjx.expert.ScriptedExpert",
                    seconds=round(time.time() - t_start, 1))
    total = sum(e["stats"]["env_steps"] for e in entries)
    run_s = sum(e["stats"]["run_s"] for e in entries)
    print(f"wrote {sum(e['num_episodes'] for e in entries)} demos of {len(entries)} task(s) to "
          f"{root} ({total} env-steps, {total / max(run_s, 1e-9):.0f} env-steps/s after compile)")
    return root


def main(argv: list[str]) -> None:
    del argv
    collect(cli.typed_config())


if __name__ == "__main__":
    config_flags.DEFINE_config_file("config", None, "config file, e.g. configs/smoke.py")
    flags.mark_flags_as_required(["config"])
    cli.run(main)
