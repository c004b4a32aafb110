#!/usr/bin/env python3
"""Step the ORIGINAL LIBERO (robosuite 1.4.0 + MuJoCo 2.3.7) and record what the parity harness compares.

Runs in the reference venv built by ``setup_reference.py`` (not in the project's environment):

  LIBERO_CONFIG_PATH=<ref>/config PYTHONPATH=<ref>/LIBERO MUJOCO_GL=egl \\
    <ref>/venv/bin/python scripts/libero_reference/libero_runner.py \\
      --suite libero_10 --task 2 --init 0 --actions actions.npy --out run.npz [--images] [--settle 10]

Actions come from ``--actions`` (an ``.npy`` [T, 7] or ``.json`` [[7 floats], ...]) or from ``--policy
'<command>'``: a subprocess speaking the line protocol in README.md (so a JAX policy can run in the project's
Python while LIBERO runs here).  The output ``.npz`` layout is documented in README.md (format version 1).
This file imports only numpy and LIBERO/robosuite; the project's tools read its output with numpy.
"""

from __future__ import annotations

import argparse
import importlib.util
import io
import json
import os
import pickle
import shlex
import subprocess
import sys
import tempfile
import time
import zipfile
from pathlib import Path

import numpy as np

FORMAT_VERSION = 1
NOOP = [0.0] * 6 + [-1.0]
CAMERAS = ("agentview", "robot0_eye_in_hand")


# ------------------------------------------------------------------ task files


def libero_root() -> Path:
    """<LIBERO>/libero/libero of the reference tree (found through the imported package)."""
    import libero.libero as pkg

    return Path(pkg.__file__).parent


def task_names(suite: str) -> list[str]:
    """The suite's task (BDDL file) names in benchmark order, read from LIBERO's task map without torch."""
    path = libero_root() / "benchmark" / "libero_suite_task_map.py"
    spec = importlib.util.spec_from_file_location("libero_suite_task_map", path)
    mod = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(mod)
    if suite not in mod.libero_task_map:
        raise SystemExit(f"unknown suite {suite!r}: use one of {sorted(mod.libero_task_map)}")
    return list(mod.libero_task_map[suite])


class _ArrayOnlyUnpickler(pickle.Unpickler):
    """Unpickles numpy arrays only: a downloaded pickle must not be able to run code."""

    ALLOWED = {
        ("numpy.core.multiarray", "_reconstruct"),
        ("numpy", "ndarray"),
        ("numpy", "dtype"),
        ("numpy._core.multiarray", "_reconstruct"),
        ("numpy.core.multiarray", "scalar"),
        ("_codecs", "encode"),
    }  # protocol-2 pickles store array bytes as latin-1 text

    def find_class(self, module, name):
        if (module, name) in self.ALLOWED:
            return super().find_class(module, name)
        raise pickle.UnpicklingError(f"refusing global {module}.{name} in an init-state file")


def init_states(suite: str, name: str) -> np.ndarray:
    """LIBERO's fixed evaluation states [50, 1 + nq + nv] from the task's ``.pruned_init`` (a torch zip)."""
    path = libero_root() / "init_files" / suite / f"{name}.pruned_init"
    with zipfile.ZipFile(path) as zf:
        member = next(n for n in zf.namelist() if n.endswith("data.pkl"))
        return np.asarray(_ArrayOnlyUnpickler(io.BytesIO(zf.read(member))).load())


# ------------------------------------------------------------------ env


def make_env(suite: str, task: int, images: bool = False, size: int = 128):
    """LIBERO's own env for one task (ControlEnv state-only, or OffScreenRenderEnv with both cameras)."""
    from libero.libero.envs import OffScreenRenderEnv
    from libero.libero.envs.env_wrapper import ControlEnv

    name = task_names(suite)[task]
    bddl = libero_root() / "bddl_files" / suite / f"{name}.bddl"
    # hard_reset=False: reset() keeps the compiled model instead of rebuilding it from XML (seconds per
    # episode); every episode then loads its state with set_init_state, which overwrites what reset sampled
    kw = dict(bddl_file_name=str(bddl), camera_heights=size, camera_widths=size, hard_reset=False)
    if images:
        env = OffScreenRenderEnv(**kw)
    else:
        env = ControlEnv(**kw, has_offscreen_renderer=False, use_camera_obs=False)
    env.seed(0)
    return env, name


def reset_to(env, state: np.ndarray, settle: int = 10) -> dict:
    """reset, set LIBERO's init state, then `settle` no-op steps (LIBERO's evaluation protocol)."""
    env.reset()
    obs = env.set_init_state(state)
    for _ in range(settle):
        obs, _, _, _ = env.step(NOOP)
    return obs


# ------------------------------------------------------------------ recording


def ee_pose(env) -> tuple[np.ndarray, np.ndarray]:
    """(pos [3], rot [3, 3]) of the site the OSC controller drives (robosuite's grip site,
    obs robot0_eef_pos)."""
    robot = env.env.robots[0]
    sim = env.env.sim
    return (
        np.array(sim.data.site_xpos[robot.eef_site_id]),
        np.array(sim.data.site_xmat[robot.eef_site_id]).reshape(3, 3),
    )


def body_names(env) -> list[str]:
    """BDDL object names then fixture names (LIBERO's `obj_body_id` order)."""
    return list(env.env.obj_body_id.keys())


def body_poses(env) -> np.ndarray:
    """[n, 7] world pose (xyz, quat wxyz) of every BDDL object and fixture, in `body_names` order."""
    sim = env.env.sim
    ids = list(env.env.obj_body_id.values())
    return np.concatenate([sim.data.body_xpos[ids], sim.data.body_xquat[ids]], axis=1).copy()


def _subtree_geoms(env) -> list[np.ndarray]:
    """Per BDDL body (``obj_body_id`` order): ids of the collision geoms in its body subtree."""
    m = env.env.sim.model
    parent = np.asarray(m.body_parentid)
    out = []
    for root in env.env.obj_body_id.values():
        inside = np.zeros(m.nbody, dtype=bool)
        for b in range(m.nbody):  # b is in the subtree if root is on its parent chain
            c = b
            while c != 0 and c != root:
                c = parent[c]
            inside[b] = c == root
        geoms = [
            g
            for g in range(m.ngeom)
            if inside[m.geom_bodyid[g]] and (m.geom_contype[g] or m.geom_conaffinity[g])
        ]
        out.append(np.asarray(geoms, dtype=int))
    return out


def body_bottoms(env) -> np.ndarray:
    """[n, 3] per BDDL body: body-origin x, y and the lowest point of its collision geoms (box:
    centre z - sum_j |R[2, j]| half_j; other shapes: centre z - bounding radius).  LIBERO's meshes carry
    their own frames (many objects' root bodies are turned 90 deg about x), so neither the origin's z
    nor the ``bottom_site`` is the bottom."""
    sim = env.env.sim
    m = sim.model
    if not hasattr(env, "_parity_geoms"):
        groups = _subtree_geoms(env)
        env._parity_geoms = (
            np.concatenate(groups).astype(int) if groups else np.zeros(0, int),
            np.repeat(np.arange(len(groups)), [len(g) for g in groups]),
        )
    gids, owner = env._parity_geoms
    ids = list(env.env.obj_body_id.values())
    out = np.array(sim.data.body_xpos[ids], dtype=np.float64)
    if len(gids):
        zc = sim.data.geom_xpos[gids, 2]
        rz = np.abs(np.asarray(sim.data.geom_xmat[gids]).reshape(-1, 3, 3)[:, 2, :])
        zlow = np.where(
            m.geom_type[gids] == 6, zc - np.sum(rz * m.geom_size[gids], axis=1), zc - m.geom_rbound[gids]
        )
        low = np.full(len(ids), np.inf)
        np.minimum.at(low, owner, zlow)
        out[:, 2] = np.where(np.isfinite(low), low, out[:, 2])
    return out


def all_body_names(env) -> list[str]:
    m = env.env.sim.model
    return [m.body_id2name(i) for i in range(m.nbody)]


def all_site_names(env) -> list[str]:
    m = env.env.sim.model
    return [m.site_id2name(i) for i in range(m.nsite)]


def named_body_poses(env, names: list[str]) -> np.ndarray:
    """[k, 7] world pose (xyz, quat wxyz) of MuJoCo bodies by name (e.g. a cabinet's drawer)."""
    import mujoco

    sim = env.env.sim
    out = []
    for n in names:
        try:
            i = sim.model.body_name2id(n)
            out.append(np.concatenate([sim.data.body_xpos[i], sim.data.body_xquat[i]]))
            continue
        except ValueError:
            pass
        try:  # a site (e.g. a BDDL region)
            i = sim.model.site_name2id(n)
        except ValueError:
            raise SystemExit(
                f"policy asked for body or site {n!r}, which this LIBERO scene does not have"
            ) from None
        q = np.zeros(4)
        mujoco.mju_mat2Quat(q, np.asarray(sim.data.site_xmat[i], dtype=np.float64))
        out.append(np.concatenate([sim.data.site_xpos[i], q]))
    return np.stack(out)


def fixture_joints(env) -> tuple[list[str], np.ndarray]:
    """(names '<fixture>/<joint>', values) of every fixture joint (drawers, knobs, doors)."""
    sim = env.env.sim
    names, values = [], []
    for fname, fixture in env.env.fixtures_dict.items():
        for joint in getattr(fixture, "joints", []) or []:
            names.append(f"{fname}/{joint}")
            values.append(float(sim.data.get_joint_qpos(joint)))
    return names, np.array(values, dtype=np.float64)


def goal_predicates(env) -> tuple[list[str], np.ndarray]:
    """(names like 'On(moka_pot_1,flat_stove_1_cook_region)', bool values) of the BDDL goal conjunction."""
    inner = env.env
    names, values = [], []
    for state in inner.parsed_problem["goal_state"]:
        names.append(f"{state[0]}({','.join(state[1:])})")
        values.append(bool(inner._eval_predicate(state)))
    return names, np.array(values, dtype=bool)


def images_of(obs: dict) -> dict[str, np.ndarray]:
    """Both camera images, upright (robosuite 1.4 renders them upside down)."""
    return {cam: np.ascontiguousarray(obs[f"{cam}_image"][::-1]) for cam in CAMERAS if f"{cam}_image" in obs}


class Recorder:
    """Collects per-step records; `arrays()` gives the npz layout of README.md."""

    def __init__(self, env, images: bool):
        self.env = env
        self.images = images
        self.names = body_names(env)
        self.joint_names, _ = fixture_joints(env)
        self.pred_names, _ = goal_predicates(env)
        self.rows: dict[str, list] = {
            k: []
            for k in (
                "ee_pos",
                "ee_rot",
                "obj_pose",
                "obj_bottom",
                "fixture_qpos",
                "predicates",
                "success",
                "gripper_qpos",
                "joint_qpos",
                "agentview",
                "wrist",
            )
        }

    def record(self, obs: dict) -> None:
        pos, rot = ee_pose(self.env)
        r = self.rows
        r["ee_pos"].append(pos)
        r["ee_rot"].append(rot)
        r["obj_pose"].append(body_poses(self.env))
        r["obj_bottom"].append(body_bottoms(self.env))
        r["fixture_qpos"].append(fixture_joints(self.env)[1])
        r["predicates"].append(goal_predicates(self.env)[1])
        r["success"].append(bool(self.env.check_success()))
        r["gripper_qpos"].append(np.asarray(obs["robot0_gripper_qpos"], dtype=np.float64))
        r["joint_qpos"].append(np.asarray(obs["robot0_joint_pos"], dtype=np.float64))
        if self.images:
            ims = images_of(obs)
            r["agentview"].append(ims["agentview"])
            r["wrist"].append(ims["robot0_eye_in_hand"])

    def arrays(self) -> dict[str, np.ndarray]:
        out = {k: np.asarray(v) for k, v in self.rows.items() if v}
        out["obj_names"] = np.asarray(self.names)
        out["fixture_joint_names"] = np.asarray(self.joint_names)
        out["predicate_names"] = np.asarray(self.pred_names)
        return out


# ------------------------------------------------------------------ policy protocol


class PolicyProcess:
    """A policy subprocess: runner writes ``obs <npz path>``, policy answers
    ``act <json [[7 floats], ...]>``.

    The npz holds ``ee_pos [3]``, ``ee_rot [3,3]``, ``gripper_qpos [2]``, ``joint_qpos [7]``,
    ``obj_pose [n,7]``, ``obj_bottom [n,3]``, ``obj_names [n]``, ``fixture_qpos [m]``,
    ``fixture_joint_names [m]``, ``step``,
    ``init_index`` (the initial state's index), and with ``--images``
    ``agentview``/``wrist`` [H, W, 3] uint8 (upright).  An answer may hold several actions (a chunk); they are
    executed in order before the next observation; ``stop`` ends the episode.  At the end the runner writes
    ``done``.
    A policy may answer ``ready {"bodies": [names]}`` to get ``extra_names [k]`` and ``extra_pose [k,7]``
    (MuJoCo body poses, e.g. a drawer) in every observation.
    """

    def __init__(self, command: str, meta: dict, env=None):
        self.env = env
        self.proc = subprocess.Popen(
            command if isinstance(command, list) else shlex.split(command),
            stdin=subprocess.PIPE,
            stdout=subprocess.PIPE,
            text=True,
            bufsize=1,
        )
        self.tmp = tempfile.mkdtemp(prefix="libero_obs_")
        self._send("hello " + json.dumps(meta))
        line = self._recv().strip()
        if not line.startswith("ready"):
            raise SystemExit(f"policy answered {line!r} to hello; it must answer 'ready'")
        # optional: 'ready {"bodies": [MuJoCo body names]}' asks for those bodies' poses in every obs
        self.bodies = list(json.loads(line[5:]).get("bodies", [])) if line[5:].strip() else []

    def _send(self, line: str) -> None:
        self.proc.stdin.write(line + "\n")
        self.proc.stdin.flush()

    def _recv(self) -> str:
        line = self.proc.stdout.readline()
        if not line:
            raise SystemExit(f"policy process exited (code {self.proc.poll()}) without answering")
        return line

    def act(self, arrays: dict) -> np.ndarray:
        if self.bodies:
            arrays = dict(
                arrays,
                extra_names=np.asarray(self.bodies),
                extra_pose=named_body_poses(self.env, self.bodies),
            )
        path = os.path.join(self.tmp, "obs.npz")
        np.savez(path, **arrays)
        self._send(f"obs {path}")
        line = self._recv()
        if line.strip() == "stop":  # the policy ends the episode (e.g. a scripted plan that has finished)
            return np.zeros((0, 7))
        if not line.startswith("act "):
            raise SystemExit(f"policy answered {line[:80]!r}; expected 'act [[7 floats], ...]'")
        acts = np.asarray(json.loads(line[4:]), dtype=np.float64).reshape(-1, 7)
        return acts

    def close(self) -> None:
        try:
            self._send("done")
            self.proc.stdin.close()
        except BrokenPipeError:
            pass
        self.proc.wait(timeout=30)


def policy_obs(env, obs: dict, step: int, images: bool, init: int = -1) -> dict:
    pos, rot = ee_pose(env)
    jn, jv = fixture_joints(env)
    out = dict(
        ee_pos=pos,
        ee_rot=rot,
        gripper_qpos=np.asarray(obs["robot0_gripper_qpos"]),
        joint_qpos=np.asarray(obs["robot0_joint_pos"]),
        obj_pose=body_poses(env),
        obj_bottom=body_bottoms(env),
        obj_names=np.asarray(body_names(env)),
        fixture_qpos=jv,
        fixture_joint_names=np.asarray(jn),
        step=np.int64(step),
        init_index=np.int64(init),
    )
    if images:
        ims = images_of(obs)
        out["agentview"], out["wrist"] = ims["agentview"], ims["robot0_eye_in_hand"]
    return out


# ------------------------------------------------------------------ episodes


def run_actions(
    env, state, actions: np.ndarray, settle: int = 10, images: bool = False,
    stop_on_success: bool = False,
) -> dict[str, np.ndarray]:
    """Reset to `state`, settle, execute actions [T, 7]; records steps 0..T (row 0 before the
    first action)."""
    obs = reset_to(env, state, settle)
    rec = Recorder(env, images)
    rec.record(obs)
    done_at = -1
    for t, a in enumerate(np.asarray(actions, dtype=np.float64)):
        obs, _, _, _ = env.step(a)
        rec.record(obs)
        if rec.rows["success"][-1] and done_at < 0:
            done_at = t + 1
            if stop_on_success:
                break
    out = rec.arrays()
    out["actions"] = np.asarray(actions, dtype=np.float64)[: len(out["ee_pos"]) - 1]
    out["done_at"] = np.int64(done_at)
    return out


def run_policy(
    env,
    state,
    policy: PolicyProcess,
    max_steps: int,
    settle: int = 10,
    images: bool = False,
    stop_on_success: bool = True,
    init: int = -1,
) -> dict[str, np.ndarray]:
    """Closed loop: the policy sees each observation (with ``init_index`` = ``init``, the initial-state
    index) and answers one action or a chunk."""
    obs = reset_to(env, state, settle)
    rec = Recorder(env, images)
    rec.record(obs)
    actions, done_at, t = [], -1, 0
    while t < max_steps:
        chunk = policy.act(policy_obs(env, obs, t, images, init))
        if len(chunk) == 0:
            break
        for a in chunk:
            obs, _, _, _ = env.step(np.clip(a, -1.0, 1.0))
            actions.append(a)
            rec.record(obs)
            t += 1
            if rec.rows["success"][-1] and done_at < 0:
                done_at = t
            if t >= max_steps or (stop_on_success and done_at >= 0):
                break
        if stop_on_success and done_at >= 0:
            break
    out = rec.arrays()
    out["actions"] = np.asarray(actions, dtype=np.float64).reshape(-1, 7)
    out["done_at"] = np.int64(done_at)
    return out


def meta_arrays(suite: str, task: int, name: str, init: int, settle: int) -> dict[str, np.ndarray]:
    import mujoco
    import robosuite

    return dict(
        format_version=np.int64(FORMAT_VERSION),
        suite=np.asarray(suite),
        task=np.int64(task),
        task_name=np.asarray(name),
        init_index=np.int64(init),
        settle_steps=np.int64(settle),
        control_hz=np.float64(20.0),
        physics_dt=np.float64(0.002),
        versions=np.asarray(f"robosuite {robosuite.__version__}, mujoco {mujoco.__version__}"),
    )


def load_actions(path: Path) -> np.ndarray:
    if path.suffix == ".npy":
        a = np.load(path)
    elif path.suffix == ".json":
        a = np.asarray(json.loads(path.read_text()), dtype=np.float64)
    else:
        raise SystemExit(f"--actions {path}: use an .npy or .json file holding [T, 7] actions")
    if a.ndim != 2 or a.shape[1] != 7:
        raise SystemExit(f"--actions {path} has shape {a.shape}; it must be [T, 7]")
    return a


def bench(suite: str, task: int, steps: int, images: bool, size: int = 128) -> dict:
    """Control steps/s of one LIBERO env (small random actions after reset + 10 settle steps)."""
    t0 = time.perf_counter()
    env, name = make_env(suite, task, images=images, size=size)
    reset_to(env, init_states(suite, name)[0], 10)
    build_s = time.perf_counter() - t0
    acts = np.random.default_rng(0).uniform(-0.3, 0.3, (steps, 7))
    t0 = time.perf_counter()
    for a in acts:
        env.step(a)
    rate = steps / (time.perf_counter() - t0)
    env.close()
    return {"images": images, "size": size, "steps": steps, "steps_per_s": rate, "build_reset_s": build_s}


def main(argv=None) -> int:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument(
        "--bench",
        type=int,
        default=0,
        help="only time N control steps (state-only, then with --images if given) and print JSON",
    )
    ap.add_argument("--suite", required=True)
    ap.add_argument("--task", type=int, required=True)
    ap.add_argument(
        "--init", type=int, nargs="+", default=[0], help="initial-state indices (one episode each)"
    )
    src = ap.add_mutually_exclusive_group(required="--bench" not in (argv or sys.argv))
    src.add_argument("--actions", type=Path, help=".npy/.json [T, 7] open-loop action sequence")
    src.add_argument("--policy", help="command of a policy subprocess (see README.md protocol)")
    ap.add_argument(
        "--max-steps", type=int, default=0, help="policy episode limit (0: LIBERO's for the suite)"
    )
    ap.add_argument("--settle", type=int, default=10)
    ap.add_argument("--images", action="store_true", help="render agentview + wrist (128x128) every step")
    ap.add_argument("--size", type=int, default=128)
    ap.add_argument(
        "--out",
        type=Path,
        required="--bench" not in (argv or sys.argv),
        help="output .npz; with several --init, '{init}' in the name is replaced",
    )
    args = ap.parse_args(argv)

    if args.bench:
        for images in (False, True) if args.images else (False,):
            print(json.dumps(bench(args.suite, args.task, args.bench, images, args.size)), flush=True)
        return 0
    env, name = make_env(args.suite, args.task, images=args.images, size=args.size)
    states = init_states(args.suite, name)
    limits = {
        "libero_spatial": 220,
        "libero_object": 280,
        "libero_goal": 300,
        "libero_10": 520,
        "libero_90": 400,
    }
    max_steps = args.max_steps or limits.get(args.suite, 300)
    policy = None
    if args.policy:
        policy = PolicyProcess(
            args.policy,
            dict(
                suite=args.suite,
                task=args.task,
                task_name=name,
                instruction=name.split("SCENE")[-1].split("_", 1)[-1].replace("_", " ")
                if "SCENE" in name
                else name.replace("_", " "),
                images=args.images,
                obj_names=body_names(env),
                bodies=all_body_names(env),
                sites=all_site_names(env),
            ),
            env=env,
        )
    for i in args.init:
        if not 0 <= i < len(states):
            raise SystemExit(f"--init {i} out of range: {name} has {len(states)} initial states")
        t0 = time.time()
        if policy is None:
            out = run_actions(env, states[i], load_actions(args.actions), args.settle, args.images)
        else:
            out = run_policy(env, states[i], policy, max_steps, args.settle, args.images, init=i)
        out.update(meta_arrays(args.suite, args.task, name, i, args.settle))
        path = Path(str(args.out).replace("{init}", str(i)))
        path.parent.mkdir(parents=True, exist_ok=True)
        np.savez_compressed(path, **out)
        print(
            f"{name} init {i}: {len(out['actions'])} steps, success={bool(out['success'].any())}, "
            f"{time.time() - t0:.1f}s -> {path}",
            flush=True,
        )
    if policy is not None:
        policy.close()
    env.close()
    return 0


if __name__ == "__main__":
    sys.exit(main())
