#!/usr/bin/env python3
"""Parity harness: the same states, actions, expert and policy in the port and in the ORIGINAL LIBERO.

    python scripts/libero_parity.py --tasks=all --ref=~/libero_ref
    python scripts/libero_parity.py --sections=controller,poses --tasks=libero_10/2,libero_goal/0

Runs in the project's environment; real LIBERO runs in the reference venv built by
``scripts/libero_reference/setup_reference.py`` (``--ref``), called through subprocesses
(``scripts/libero_reference/libero_runner.py``). Sections (``--sections``, default all):

* ``controller``: step response to the action cases of the recorded OSC reference
  (``tests/data/libero_osc_reference.json``; ``--record-osc`` re-records it) vs the port's;
* ``poses``: object/fixture poses after reset at initial state i in both (``--pose-inits``);
* ``expert``: the port's scripted expert (``envs_mjx/expert.py``) closed loop in both
  (``--expert-inits``); success and EE-path jerk; the port side in MJX or, with ``--port-sim=c``,
  in C MuJoCo (``envs_mjx.parity.c_mujoco_expert_rollout``: the same MJCF and controller, no XLA
  compile per scene);
* ``images``: agentview and wrist images at reset, side by side (one figure per suite);
* ``transfer``: an exported policy (``--policy``) evaluated in real LIBERO and in the port.

Each section caches its results as JSON under ``--work`` (per task), so partial reruns are cheap;
``docs/fidelity.md`` and ``docs/fidelity/*.png`` are regenerated from every cached result.

The script also serves the two policy subprocesses the runner talks to (``--serve-expert TASK``,
``--serve-policy DIR``); see ``scripts/libero_reference/README.md`` for the line protocol.
"""

from __future__ import annotations

import argparse
import itertools
import json
import os
import shlex
import subprocess
import sys
import time
from pathlib import Path

import envs_mjx  # noqa: F401  (XLA flags before jax)
import numpy as np

REPO = Path(__file__).resolve().parents[1]
RUNNER = REPO / "scripts" / "libero_reference" / "libero_runner.py"
OSC_REF = REPO / "tests" / "data" / "libero_osc_reference.json"
SECTIONS = ("controller", "poses", "expert", "images", "transfer")
SUITES = ("libero_10", "libero_spatial", "libero_object", "libero_goal")
# controller-reference case prefix -> (port task, initial state)
OSC_SCENES = {
    "": ("libero_10/2", 0),
    "spatial0/": ("libero_spatial/0", 0),
    "object0/": ("libero_object/0", 0),
}
SETTLE = 10
EXPERT_IDLE_STEPS = 20  # LIBERO expert episodes end this many steps after the plan's last stage
# LIBERO's grip site frame -> the port's TCP frame: at LIBERO's home pose the grip site's axes are
# (x, y, z) = (world y, world x, -world z); the port's TCP_DOWN is diag(1, -1, -1) for the same
# physical gripper pose, so port_rot = libero_rot @ SITE_TO_TCP with SITE_TO_TCP = Rz(+90 deg).
SITE_TO_TCP = np.array([[0.0, -1.0, 0.0], [1.0, 0.0, 0.0], [0.0, 0.0, 1.0]])

# port object/fixture name (without a trailing _N) -> LIBERO BDDL category (without _N)
CATEGORY_ALIASES = {
    "stove": ("flat_stove",),
    "black_bowl": ("akita_black_bowl",),
    "bowl": ("akita_black_bowl",),
    "white_mug": ("porcelain_mug",),
    "yellow_white_mug": ("white_yellow_mug",),
    "red_mug": ("red_coffee_mug",),
    "book": ("black_book",),
    "cabinet": ("white_cabinet", "wooden_cabinet"),
    "cookie_box": ("cookies",),
    "cookies": ("cookies",),
    "plate_left": ("plate",),
    "plate_right": ("plate",),
    "rack": ("wine_rack",),
    "frypan": ("chefmate_8_frypan",),
    "ramekin": ("glazed_rim_porcelain_ramekin",),
}

# per task: port name -> BDDL name where the alias table is ambiguous; taken from the BDDL files
# (libero_10/4: "(On plate_1 living_room_table_plate_left_region)", goal "(On porcelain_mug_1 plate_1)")
EXPLICIT_NAMES = {"libero_10/4": {"plate_left": "plate_1", "plate_right": "plate_2"}}


# ================================================================== reference subprocess


class Reference:
    """The reference LIBERO install (``setup_reference.py --dest``)."""

    def __init__(self, root: Path, gl: str = "egl"):
        self.root = root.resolve()
        self.python = self.root / "venv" / "bin" / "python"
        if not self.python.exists():
            raise SystemExit(
                f"no reference venv at {self.python}: build it with "
                f"python scripts/libero_reference/setup_reference.py --dest {root}"
            )
        self.env = dict(
            os.environ,
            LIBERO_CONFIG_PATH=str(self.root / "config"),
            PYTHONPATH=str(self.root / "LIBERO"),
            MUJOCO_GL=gl,
            PYOPENGL_PLATFORM=gl,
        )

    def run(self, args: list[str], log: Path | None = None) -> None:
        cmd = [str(self.python), str(RUNNER), *args]
        t0 = time.time()
        proc = subprocess.run(cmd, env=self.env, capture_output=True, text=True)
        if log is not None:
            log.parent.mkdir(parents=True, exist_ok=True)
            log.write_text(proc.stdout + proc.stderr)
        if proc.returncode != 0:
            raise RuntimeError(f"reference runner failed ({shlex.join(cmd)}):\n{proc.stderr[-2000:]}")
        print(f"  [libero] {' '.join(args[:6])} ... {time.time() - t0:.0f}s", flush=True)

    def episodes(
        self,
        task: str,
        inits,
        out_pattern: Path,
        actions: Path | None = None,
        policy: str | None = None,
        settle: int = SETTLE,
        images: bool = False,
        max_steps: int = 0,
        size: int = 128,
        reuse: bool = False,
    ) -> bool:
        """Runs ``inits`` of ``task`` in LIBERO, one file per state (``out_pattern`` with
        ``{init}``); with ``reuse`` nothing runs when every state's file is already there
        (``--reuse-runs``). Returns whether the runner ran."""
        if reuse and all(Path(str(out_pattern).format(init=i)).exists() for i in inits):
            return False
        suite, idx = task.split("/")
        args = [
            "--suite",
            suite,
            "--task",
            idx,
            "--init",
            *map(str, inits),
            "--settle",
            str(settle),
            "--out",
            str(out_pattern),
        ]
        if actions is not None:
            args += ["--actions", str(actions)]
        else:
            args += ["--policy", policy, "--max-steps", str(max_steps)]
        if images:
            args += ["--images", "--size", str(size)]
        self.run(args, log=out_pattern.parent / "runner.log")
        return True


def _serve_command(*args: str) -> str:
    """This script as a policy subprocess of the runner, in the project's Python and import path (the
    runner's own environment points PYTHONPATH at LIBERO)."""
    path = os.pathsep.join([str(REPO), os.environ.get("PYTHONPATH", "")]).rstrip(os.pathsep)
    return shlex.join(["env", f"PYTHONPATH={path}", sys.executable, str(Path(__file__).resolve()), *args])


def result_name(base: str, dynamics: str, suffix: str = "") -> str:
    """Cache name of a port-dependent result: ``base`` under the default dynamics ("libero"),
    ``base_<dynamics>`` otherwise, so results of both controllers can sit side by side."""
    if dynamics not in PORT_DYNAMICS:
        raise ValueError(f"unknown port dynamics {dynamics!r}; one of {', '.join(PORT_DYNAMICS)}")
    return (base if dynamics == "libero" else f"{base}_{dynamics}") + suffix


def _empty_actions(work: Path) -> Path:
    path = work / "empty_actions.npy"
    if not path.exists():
        path.parent.mkdir(parents=True, exist_ok=True)
        np.save(path, np.zeros((0, 7)))
    return path


# ================================================================== names


def _category(name: str) -> str:
    parts = name.rsplit("_", 1)
    return parts[0] if len(parts) == 2 and parts[1].isdigit() else name


def name_map(
    port_names, libero_names, port_pos=None, libero_pos=None, explicit: dict[str, str] | None = None
) -> dict[str, tuple[str, str]]:
    """Port body name -> (LIBERO BDDL name, how): "explicit" (``explicit``, e.g. ``EXPLICIT_NAMES[task]``),
    "same" name, "alias" (one candidate of the mapped category, or the same _N index), "position"
    (several candidates: nearest-position assignment at the given poses), or absent when LIBERO has
    no such object."""
    lib = list(libero_names)
    out: dict[str, tuple[str, str]] = {}
    pending: dict[tuple[str, ...], list[str]] = {}
    for p in port_names:
        if explicit and p in explicit and explicit[p] in lib:
            out[p] = (explicit[p], "explicit")
            continue
        if p in lib:
            out[p] = (p, "same")
            continue
        cat = _category(p)
        cats = CATEGORY_ALIASES.get(p) or CATEGORY_ALIASES.get(cat) or (cat,)
        cands = [n for n in lib if _category(n) in cats or n in cats]
        if not cands:
            continue
        suffix = p[len(cat) + 1 :] if p != cat else ""
        exact = [n for n in cands if suffix and n.endswith("_" + suffix)]
        if len(cands) == 1:
            out[p] = (cands[0], "alias")
        elif len(exact) == 1 and not p.endswith(("left", "right")):
            out[p] = (exact[0], "alias")
        else:
            pending.setdefault(tuple(cands), []).append(p)
    for cands, ports in pending.items():
        cands = [c for c in cands if c not in {v[0] for v in out.values()}]
        if port_pos is None or libero_pos is None or len(cands) < len(ports):
            continue
        best, best_cost = None, np.inf
        for perm in itertools.permutations(cands, len(ports)):
            cost = sum(
                np.linalg.norm(np.asarray(port_pos[p])[:2] - np.asarray(libero_pos[c])[:2])
                for p, c in zip(ports, perm)
            )
            if cost < best_cost:
                best, best_cost = perm, cost
        for p, c in zip(ports, best):
            out[p] = (c, "position")
    return out


# ================================================================== port side


# --port-dynamics -> the port's EnvConfig constructor (envs_mjx/env.py) and how the report names it
def _port_dynamics() -> dict[str, str]:
    """The port's named dynamics (``envs_mjx.dynamics.DYNAMICS``, the one map) with a description."""
    from envs_mjx.dynamics import DYNAMICS

    return {name: f"controller {kind!r} + {contacts!r} contacts"
            for name, (kind, contacts) in DYNAMICS.items()}


PORT_DYNAMICS = _port_dynamics()


def port_config(dynamics: str = "libero", render: int = 0):
    """The port's EnvConfig for ``dynamics`` (an ``envs_mjx.dynamics`` name: ``"libero"`` =
    LIBERO's OSC + full contacts = the default EnvConfig(), ``"ik"`` = the first port's IK
    controller), with cameras of ``render``
    pixels (0: state only)."""
    from envs_mjx.env import EnvConfig
    from envs_mjx.renderer import RenderConfig

    if dynamics not in PORT_DYNAMICS:
        raise SystemExit(f"--port-dynamics: {dynamics!r} is not one of {', '.join(PORT_DYNAMICS)}")
    kw = {"render": RenderConfig(width=render, height=render)} if render else {}
    return EnvConfig.for_dynamics(dynamics, **kw)


def port_env(task: str, render: int = 0, dynamics: str = "libero"):
    from envs_mjx.env import LiberoEnv

    return LiberoEnv(task, port_config(dynamics, render))


def port_commit() -> str:
    """The port's version for the results' provenance: the last commit that changed ``envs_mjx/``
    (short hash; "+dirty" when ``envs_mjx/`` has uncommitted changes). Harness or docs commits
    leave it unchanged, so results of one port version can be merged across them."""
    git = ["git", "-C", str(REPO)]
    try:
        h = subprocess.run(
            [*git, "log", "-1", "--format=%h", "--", "envs_mjx"], capture_output=True, text=True, check=True
        ).stdout.strip()
        dirty = subprocess.run(
            [*git, "status", "--porcelain", "--", "envs_mjx"], capture_output=True, text=True, check=True
        ).stdout.strip()
    except (OSError, subprocess.CalledProcessError):
        return "unknown"
    return (h or "unknown") + ("+dirty" if dirty else "")


PORT_SIMS = {"mjx": "MJX", "c": "C MuJoCo"}  # --port-sim -> how the report names it


def port_sim_of(result: dict) -> str:
    """The simulator of a cached port-side result (``"mjx"`` for results written before the harness
    recorded it: the port side was always MJX then)."""
    return result.get("port_sim", "mjx")


def merge_episodes(old: dict | None, new: dict, side: str) -> dict:
    """``new`` expert result with the ``side`` ("libero"/"port") episodes of ``old`` whose initial
    states ``new`` did not run added back, when both come from the same port dynamics, commit and,
    for the port side, simulator (a run on states 1,2 after one on state 0 keeps state 0);
    otherwise ``new`` alone."""
    same = old is not None and all(old.get(k) == new.get(k) for k in ("port_dynamics", "port_commit"))
    if side == "libero" and old is not None:  # the harness's frame conversion (absent: none)
        same = same and old.get("libero_frames") == new.get("libero_frames")
    if side == "port" and old is not None:
        same = same and port_sim_of(old) == port_sim_of(new)
    if not same or side not in old:
        return new
    ran = {e["init"] for e in new.get(side, [])}
    eps = sorted([e for e in old[side] if e["init"] not in ran] + new.get(side, []), key=lambda e: e["init"])
    return {**new, "inits": [e["init"] for e in eps], side: eps}


def provenance(args) -> dict:
    """What every cached result records about the port side that produced it."""
    return {"port_dynamics": args.port_dynamics, "port_commit": args.port_commit}


def port_body_names(env) -> list[str]:
    """The port's object and fixture body names of the task's scene."""
    scene = env.task.scene
    m = env.mj_model
    names = [o.name for o in scene.objects] + [f.name for f in scene.fixtures]
    return [n for n in names if mujoco_body_id(m, n) >= 0]


def mujoco_body_id(m, name: str) -> int:
    import mujoco

    return mujoco.mj_name2id(m, mujoco.mjtObj.mjOBJ_BODY, name)


def port_reset_poses(env, inits) -> dict[int, dict[str, np.ndarray]]:
    """{init: {body: pose [7]}} after the port's reset(i) (C MuJoCo forward of its initial qpos)."""
    import mujoco

    m = env.mj_model
    d = mujoco.MjData(m)
    out = {}
    names = port_body_names(env)
    for i in inits:
        d.qpos[:] = env.init_qpos[i]
        mujoco.mj_forward(m, d)
        out[i] = {
            n: np.concatenate([d.xpos[mujoco_body_id(m, n)], d.xquat[mujoco_body_id(m, n)]]) for n in names
        }
    return out


def port_response(
    task: str, init: int, actions: dict[str, np.ndarray], dynamics: str = "libero"
) -> dict[str, tuple]:
    """{case: (ee_pos [T+1, 3], ee_rot [T+1, 3, 3])} in the port under ``dynamics``: reset(init),
    SETTLE no-ops, actions."""
    import jax
    import jax.numpy as jnp

    env = port_env(task, dynamics=dynamics)
    noop = jnp.zeros(7).at[6].set(-1.0)

    @jax.jit
    def run(acts):
        st = env.reset(jax.random.PRNGKey(0), init)
        st, _ = jax.lax.scan(lambda s, _: (env.step(s, noop), None), st, None, length=SETTLE)

        def body(s, a):
            s = env.step(s, a)
            return s, (s.ee_pos, s.ee_rot)

        p0, r0 = st.ee_pos, st.ee_rot
        _, (p, r) = jax.lax.scan(body, st, acts)
        return jnp.concatenate([p0[None], p]), jnp.concatenate([r0[None], r])

    return {
        k: tuple(np.asarray(x, np.float64) for x in run(jnp.asarray(a, jnp.float32)))
        for k, a in actions.items()
    }


# ================================================================== section: controller


def section_controller(args, ref: Reference | None) -> None:
    from smoothvla_jax import fidelity as fid

    osc_path = Path(args.osc_reference)
    if args.record_osc:
        if ref is None:
            raise SystemExit("--record-osc needs --ref (the reference LIBERO install)")
        cmd = [
            str(ref.python),
            str(REPO / "scripts/libero_reference/osc_reference.py"),
            "--out",
            str(osc_path),
        ]
        subprocess.run(cmd, env=ref.env, check=True)
    refd = fid.load_osc_reference(osc_path)
    out = {"source": refd["source"], **provenance(args), "cases": {}}
    for prefix, (task, init) in OSC_SCENES.items():
        names = [n for n in refd["cases"] if (n.split("/")[0] + "/" if "/" in n else "") == prefix]
        if not names:
            continue
        print(f"controller: {task} init {init}: {len(names)} cases", flush=True)
        port = port_response(task, init, {n: refd["cases"][n]["actions"] for n in names}, args.port_dynamics)
        for n in names:
            c = refd["cases"][n]
            p_pos, p_rot = port[n]
            err = fid.response_error(c["ee_pos"], c["ee_rot"], p_pos, p_rot)
            out["cases"][n] = {
                "port_task": task,
                "init": init,
                "libero_disp_cm": (100 * err["disp_a"]).tolist(),
                "port_disp_cm": (100 * err["disp_b"]).tolist(),
                "pos_err_cm": (100 * err["pos"]).tolist(),
                "rot_err_deg": np.degrees(err["rot"]).tolist(),
                "libero_rot_deg": np.degrees(fid.rotation_from_start(c["ee_rot"])).tolist(),
                "port_rot_deg": np.degrees(fid.rotation_from_start(p_rot)).tolist(),
                "libero_path": (c["ee_pos"] - c["ee_pos"][0]).tolist(),
                "port_path": (p_pos - p_pos[0]).tolist(),
            }
    _save(args.work / result_name("controller", args.port_dynamics, ".json"), out)


# ================================================================== section: poses


def section_poses(args, ref: Reference, tasks) -> None:
    from smoothvla_jax import fidelity as fid

    for task in tasks:
        print(f"poses: {task}", flush=True)
        d = args.work / "runs" / "poses" / task.replace("/", "_")
        # with the images section, one rendered run serves both (an env build costs more than a render)
        ref.episodes(
            task,
            args.pose_inits,
            d / "init{init}.npz",
            actions=_empty_actions(args.work),
            settle=0,
            images=args.images_with_poses,
            reuse=args.reuse_runs,
        )
        env = port_env(task, dynamics=args.port_dynamics)
        port = port_reset_poses(env, args.pose_inits)
        res = {
            "inits": list(args.pose_inits),
            **provenance(args),
            "port_libero_states": bool(env.task.libero_states),
            "objects": {},
        }
        for i in args.pose_inits:
            run = fid.load_run(d / f"init{i}.npz")
            lib_names = [str(n) for n in run["obj_names"]]
            lib_pose = run["obj_pose"][0].copy()
            if (
                "obj_bottom" in run
            ):  # z of the bottom, the port's body-origin convention; xy = LIBERO's origin
                lib_pose[:, 2] = run["obj_bottom"][0][:, 2]
            lib = {n: lib_pose[k] for k, n in enumerate(lib_names)}
            nm = name_map(
                port[i].keys(),
                lib_names,
                {k: v[:3] for k, v in port[i].items()},
                {k: v[:3] for k, v in lib.items()},
                EXPLICIT_NAMES.get(task),
            )
            for p, (ln, how) in nm.items():
                e = fid.pose_error(lib[ln][None], port[i][p][None])
                row = res["objects"].setdefault(
                    p, {"libero": ln, "how": how, "pos": [], "xy": [], "dz": [], "yaw": [], "angle": []}
                )
                for k in ("pos", "xy", "dz", "yaw", "angle"):
                    row[k].append(float(e[k][0]))
            res["unmatched_port"] = sorted(set(port[i]) - set(nm))
            res["unmatched_libero"] = sorted(set(lib_names) - {v[0] for v in nm.values()})
        _save(args.work / "poses" / f"{task.replace('/', '_')}.json", res)


# ================================================================== section: expert


def _protocol_channel():
    """The runner's answer channel: a private copy of stdout; fd 1 then points at stderr, so anything
    libraries print (even from C) cannot corrupt the line protocol."""
    sys.stdout.flush()
    chan = os.fdopen(os.dup(1), "w", buffering=1)
    os.dup2(2, 1)
    return chan


def serve_expert(task: str, dynamics: str = "libero") -> int:
    """Policy subprocess for the runner: the port's scripted expert on LIBERO observations, with the
    constants it uses under the port's ``dynamics`` (the OSC ones for "libero")."""
    out = _protocol_channel()
    import jax
    import jax.numpy as jnp
    from envs_mjx.expert import ExpertInputs, ScriptedExpert

    env = port_env(task, dynamics=dynamics)
    expert = ScriptedExpert(env)
    act = jax.jit(expert.act_inputs)
    init = jax.jit(expert.init_inputs)
    es = None
    refs: dict[str, tuple[str, str]] = {}
    conv: dict[str, tuple[np.ndarray, np.ndarray]] = {}  # per reference: LIBERO -> port body frame
    for line in sys.stdin:
        cmd, _, rest = line.strip().partition(" ")
        if cmd == "hello":
            meta = json.loads(rest)
            refs = expert_ref_map(
                expert.ref_names, meta["obj_names"], meta["bodies"], meta["sites"], EXPLICIT_NAMES.get(task)
            )
            missing = [n for n in expert.ref_names if n not in refs]
            if missing:
                print(f"expert: no LIBERO body for the plan's reference(s) {missing}", file=sys.stderr)
                return 2
            extra = sorted({v for kind, v in refs.values() if kind == "extra"})
            print("ready " + json.dumps({"bodies": extra}), file=out, flush=True)
        elif cmd == "obs":
            with np.load(rest) as z:
                obs = {k: z[k] for k in z.files}
            names = [str(n) for n in obs["obj_names"]]
            extra = [str(n) for n in obs["extra_names"]] if "extra_names" in obs else []
            if int(obs["step"]) == 0:  # a new episode: the frame conversions at its initial state
                if int(obs.get("init_index", -1)) < 0:
                    print("expert: the runner sent no init_index; update libero_runner.py", file=sys.stderr)
                    return 2
                conv = reference_frame_conversions(env, expert.ref_names, refs, obs)
            pos, rot = [], []
            for n in expert.ref_names:
                kind, ln = refs[n]
                if kind == "world":
                    p, r = np.zeros(3), np.eye(3)
                elif kind == "object":  # BDDL object/fixture: its bottom centre (the port's body origin)
                    k = names.index(ln)
                    p, r = obs["obj_bottom"][k], _quat_to_mat(obs["obj_pose"][k, 3:])
                else:  # a fixture part (drawer) or a region site
                    k = extra.index(ln)
                    p, r = obs["extra_pose"][k, :3], _quat_to_mat(obs["extra_pose"][k, 3:])
                if n in conv:
                    p, r = to_port_frame(p, r, *conv[n])
                pos.append(p)
                rot.append(r)
            inp = ExpertInputs(
                tcp_pos=jnp.asarray(obs["ee_pos"], jnp.float32),
                tcp_rot=jnp.asarray(obs["ee_rot"] @ SITE_TO_TCP, jnp.float32),
                body_pos=jnp.asarray(np.stack(pos), jnp.float32),
                body_rot=jnp.asarray(np.stack(rot), jnp.float32),
            )
            if es is None or int(obs["step"]) == 0:  # one process serves every episode of a run
                es = init(inp)
                idle = 0
            idle = idle + 1 if bool(expert.finished(es)) else 0
            if idle > EXPERT_IDLE_STEPS:  # plan done: holding still to the limit changes nothing
                print("stop", file=out, flush=True)
                continue
            a, es = act(es, inp)
            print("act " + json.dumps([np.asarray(a, np.float64).round(6).tolist()]), file=out, flush=True)
        elif cmd == "done":
            break
    return 0


def frame_conversion(
    category: str, rot_libero: np.ndarray, rot_port: np.ndarray
) -> tuple[np.ndarray, np.ndarray]:
    """``(shift [3], turn [3, 3])`` taking a LIBERO body pose of a ``category`` object to the port's
    model frame of the same object: ``port_pos = pos + rot @ shift``, ``port_rot = rot @ turn``.

    ``shift``: where the port model's origin stands in LIBERO's body frame, as
    ``envs_mjx.families`` places LIBERO's fixtures (``LIBERO_ORIGIN_SHIFT``; the flat stove's burner
    ``LIBERO_STOVE_BURNER_X`` from its knob-end origin), else 0. ``turn``: the rotation between the
    two frames of the same object at the same initial state (``rot_libero.T @ rot_port``); the
    models' axes differ by 90 or 180 degrees of yaw for most categories (section 2's yaw column).
    """
    from envs_mjx import families

    sx, sy = families.LIBERO_ORIGIN_SHIFT.get(category, (0.0, 0.0))
    if category == "flat_stove":
        sx += families.LIBERO_STOVE_BURNER_X
    return np.array([sx, sy, 0.0]), np.asarray(rot_libero).T @ np.asarray(rot_port)


def to_port_frame(pos, rot, shift, turn) -> tuple[np.ndarray, np.ndarray]:
    """A LIBERO body pose (``pos [3]``, ``rot [3, 3]``) in the port model's frame
    (:func:`frame_conversion`)."""
    rot = np.asarray(rot)
    return np.asarray(pos) + rot @ shift, rot @ turn


def reference_frame_conversions(env, ref_names, refs, obs) -> dict[str, tuple[np.ndarray, np.ndarray]]:
    """Per plan reference, :func:`frame_conversion` from the first observation of an episode
    (``obs``: the runner's npz at step 0, with ``init_index``) and the port's reset poses at the same
    initial state: BDDL objects/fixtures get their shift and turn; a fixture part (``F/part``,
    LIBERO's drawer body) gets its fixture's turn (the shift of a part is not known)."""
    init = int(obs["init_index"])
    port0 = port_reset_poses(env, [init])[init]
    names = [str(n) for n in obs["obj_names"]]

    def of(port_name: str, libero_name: str):
        k = names.index(libero_name)
        return frame_conversion(
            _category(libero_name), _quat_to_mat(obs["obj_pose"][k, 3:]), _quat_to_mat(port0[port_name][3:])
        )

    out = {}
    for n in ref_names:
        kind, ln = refs[n]
        if kind == "object" and n in port0:
            out[n] = of(n, ln)
        elif kind == "extra" and "/" in n:
            parent = n.split("/", 1)[0]
            lp = name_map([parent], names).get(parent)
            if lp is not None and parent in port0:
                out[n] = (np.zeros(3), of(parent, lp[0])[1])
    return out


def expert_ref_map(ref_names, obj_names, bodies, sites, explicit=None) -> dict[str, tuple[str, str]]:
    """Port plan reference -> (kind, LIBERO name): "world"; "object" (a BDDL object/fixture, by
    :func:`name_map`); "extra" for a fixture part ``F/<level>_drawer`` (LIBERO body
    ``<F>_cabinet_<level>``) or a region ``R`` (the LIBERO site named ``R`` or ending in ``_R``)."""
    out: dict[str, tuple[str, str]] = {}
    plain = [n for n in ref_names if n != "world" and "/" not in n and not n.endswith("_region")]
    nm = name_map(plain, obj_names, explicit=explicit)
    for n in ref_names:
        if n == "world":
            out[n] = ("world", "")
        elif n in nm:
            out[n] = ("object", nm[n][0])
        elif "/" in n:
            fixture, part = n.split("/", 1)
            fm = name_map([fixture], obj_names)
            if fixture in fm:
                cand = f"{fm[fixture][0]}_cabinet_{part.split('_')[0]}"
                if cand in bodies:
                    out[n] = ("extra", cand)
        elif n.endswith("_region"):
            cands = [s for s in sites if s == n or s.endswith("_" + n)]
            if len(cands) == 1:
                out[n] = ("extra", cands[0])
    return out


def unmet_predicates(run: dict) -> list[str]:
    """Names of the goal predicates (``run["predicate_names"] [P]``) false at the last recorded step
    of a reference run (``run["predicates"] [T + 1, P]``)."""
    names = [str(n) for n in np.asarray(run["predicate_names"]).reshape(-1)]
    last = np.asarray(run["predicates"])[-1].reshape(-1)
    if len(last) != len(names):
        raise ValueError(f"run has {len(last)} predicate values but {len(names)} predicate names")
    return [n for n, v in zip(names, last) if not bool(v)]


def _quat_to_mat(q):
    from smoothvla_jax import fidelity as fid

    return fid.quat_to_mat(np.asarray(q))


def _path_metrics(path: np.ndarray, n: int) -> dict[str, float]:
    """Jerk metrics of an EE path [T+1, 3] truncated to its first n+1 rows (steps 0..n)."""
    from smoothvla_jax import metrics

    x = np.asarray(path[: n + 1], np.float32)
    dt = 0.05
    if len(x) < 4:  # jerk needs 4 positions: an episode the policy ended at once has none
        nan = float("nan")
        return {
            "msj": nan,
            "ldlj": nan,
            "sparc": nan,
            "path_m": float(metrics.path_length(x)),
            "steps": int(n),
        }
    return {
        "msj": float(metrics.mean_squared_jerk(x, dt)),
        "ldlj": float(metrics.log_dimensionless_jerk(x, dt)),
        "sparc": float(metrics.sparc(metrics.speed_from_positions(x, dt), dt)),
        "path_m": float(metrics.path_length(x)),
        "steps": int(n),
    }


def section_expert(args, ref: Reference, tasks) -> None:
    """Expert episodes in LIBERO (``--expert-sims`` has ``libero``) and/or the port (``port``); each side
    caches its own JSON (``expert_libero/``, ``expert_port/``), so the two can run as separate jobs."""
    import jax
    from envs_mjx.expert import rollout_expert
    from smoothvla_jax import fidelity as fid

    sims = set(args.expert_sims.split(","))
    for task in tasks:
        print(f"expert: {task}", flush=True)
        env = port_env(task, dynamics=args.port_dynamics)
        if not env.task.plan:
            continue
        stem = task.replace("/", "_")
        if "libero" in sims:
            # LIBERO's body poses reach the expert in the port's model frames (reference_frame_conversions)
            res = {"inits": list(args.expert_inits), **provenance(args), "libero_frames": "port"}
            d = args.work / "runs" / result_name("expert", args.port_dynamics) / task.replace("/", "_")
            cmd = _serve_command("--serve-expert", task, "--port-dynamics", args.port_dynamics)
            res["libero"] = []
            res.pop("libero_error", None)
            try:
                ref.episodes(
                    task, args.expert_inits, d / "init{init}.npz", policy=cmd, max_steps=env.max_steps,
                    reuse=args.reuse_runs,
                )
                for i in args.expert_inits:
                    lr = fid.load_run(d / f"init{i}.npz")
                    done = int(lr["done_at"])
                    n = done if done > 0 else len(lr["ee_pos"]) - 1
                    res["libero"].append(
                        {
                            "init": i,
                            "success": bool(done > 0),
                            "done_at": done,
                            "unmet": unmet_predicates(lr),
                            **_path_metrics(lr["ee_pos"], n),
                        }
                    )
            except RuntimeError as e:
                res["libero_error"] = str(e)[-400:]
            path = args.work / result_name("expert_libero", args.port_dynamics) / f"{stem}.json"
            _save(path, merge_episodes(_read(path), res, "libero"))
        if "port" in sims:
            res = {
                "inits": list(args.expert_inits),
                **provenance(args),
                "port_sim": args.port_sim,
                "port_libero_states": bool(env.task.libero_states),
            }
            path = args.work / result_name("expert_port", args.port_dynamics) / f"{stem}.json"
            if args.port_sim == "c":
                res["port"] = [port_expert_episode_c(env, i) for i in args.expert_inits]
                _save(path, merge_episodes(_read(path), res, "port"))
                continue
            run = jax.jit(jax.vmap(lambda i: rollout_expert(env, i, env.max_steps)[1]))
            reset = jax.jit(jax.vmap(lambda i: env.reset(jax.random.PRNGKey(0), i).ee_pos))
            idx = np.asarray(args.expert_inits, np.int32)
            ee, _, succ, done = (np.asarray(x) for x in run(idx))
            ee0 = np.asarray(reset(idx))
            res["port"] = []
            for k, i in enumerate(args.expert_inits):
                path_k = np.concatenate([ee0[k][None], ee[k]])
                n = int(np.argmax(done[k])) + 1 if done[k].any() else len(done[k])
                res["port"].append(
                    {
                        "init": i,
                        "success": bool(succ[k].any()),
                        "done_at": n if succ[k].any() else -1,
                        **_path_metrics(path_k, n),
                    }
                )
            _save(path, merge_episodes(_read(path), res, "port"))


def port_expert_episode_c(env, init: int) -> dict:
    """One port-side expert episode from initial state ``init`` in C MuJoCo
    (:func:`envs_mjx.parity.c_mujoco_expert_rollout`), as a cached episode record."""
    from envs_mjx.parity import c_mujoco_expert_rollout

    success, steps, _, path = c_mujoco_expert_rollout(env, init, env.max_steps, return_path=True)
    done_at = steps if success else -1
    return {"init": init, "success": success, "done_at": done_at, **_path_metrics(path, steps)}


# ================================================================== section: images


def section_images(args, ref: Reference, tasks) -> None:
    import mujoco
    from PIL import Image
    from envs_mjx.renderer import RenderConfig, Renderer
    from smoothvla_jax import fidelity as fid

    size = args.image_size
    out = args.work / "images"
    out.mkdir(parents=True, exist_ok=True)
    for task in tasks:
        print(f"images: {task}", flush=True)
        pose_run = args.work / "runs" / "poses" / task.replace("/", "_") / "init0.npz"
        if pose_run.exists() and "agentview" in np.load(pose_run).files:
            lr = fid.load_run(pose_run)
        else:
            d = args.work / "runs" / "images" / task.replace("/", "_")
            ref.episodes(
                task, [0], d / "init{init}.npz", actions=_empty_actions(args.work), settle=0, images=True
            )
            lr = fid.load_run(d / "init0.npz")
        if args.port_images == "docs":  # agentview | wrist tiles of state 0, one row per task
            suite, idx = task.split("/")
            sheet = np.asarray(Image.open(REPO / "docs" / f"{suite}_all.png").convert("RGB"))
            h = sheet.shape[1] // 2
            tile = sheet[int(idx) * h : (int(idx) + 1) * h]
            ims = [
                np.asarray(Image.fromarray(tile[:, :h]).resize((size, size))),
                np.asarray(Image.fromarray(tile[:, h:]).resize((size, size))),
            ]
        else:
            env = port_env(task, dynamics=args.port_dynamics)
            m = env.mj_model
            data = mujoco.MjData(m)
            data.qpos[:] = env.init_qpos[0]
            mujoco.mj_forward(m, data)
            r = Renderer(m, RenderConfig(width=size, height=size), env.task.scene.lit_geoms())
            ims = np.asarray(r.render_data(data))
        row = np.concatenate([lr["agentview"][0], ims[0], lr["wrist"][0], ims[1]], axis=1)
        Image.fromarray(row.astype(np.uint8)).save(out / f"{task.replace('/', '_')}.png")


# ================================================================== section: transfer


def _libero_proprio(obs: dict) -> np.ndarray:
    """The port's proprio [8] from a LIBERO observation: TCP position, TCP rotation features in the
    port's frame convention, finger opening (LIBERO's right finger qpos is negative)."""
    from envs_mjx import controller as ctrl_lib

    rot = ctrl_lib.tcp_rotation_features(np.asarray(obs["ee_rot"] @ SITE_TO_TCP, np.float32))
    g = np.asarray(obs["gripper_qpos"], np.float64)
    return np.concatenate([obs["ee_pos"], np.asarray(rot), [g[0], -g[1]]]).astype(np.float32)


def serve_policy(path: str, instruction: str) -> int:
    """Policy subprocess for the runner: an exported policy on LIBERO observations (needs --images)."""
    out = _protocol_channel()
    from PIL import Image
    from smoothvla_jax import load_policy

    pol = load_policy(path)
    s = pol.image_size
    for line in sys.stdin:
        cmd, _, rest = line.strip().partition(" ")
        if cmd == "hello":
            print("ready", file=out, flush=True)
        elif cmd == "obs":
            with np.load(rest) as z:
                obs = {k: z[k] for k in z.files}
            ims = {
                k: np.asarray(Image.fromarray(obs[k]).resize((s, s), Image.BILINEAR))
                for k in ("agentview", "wrist")
            }
            acts = pol(
                {"agentview": ims["agentview"], "wrist": ims["wrist"], "proprio": _libero_proprio(obs)},
                instruction,
            )
            print("act " + json.dumps(np.asarray(acts, np.float64).round(6).tolist()), file=out, flush=True)
        elif cmd == "done":
            break
    return 0


def policy_record(path: str) -> dict:
    """What the transfer section records about the policy: where it is, its step and stage, the port
    dynamics and tasks it was trained on (from its checkpoint metadata)."""
    from smoothvla_jax import checkpoints

    pol = checkpoints.load_policy(path)
    return {
        "policy": str(path),
        "policy_step": int(pol.step),
        "policy_stage": pol.meta.get("stage", "sft"),
        "policy_dynamics": pol.dynamics,
        "policy_tasks": list(pol.meta.get("tasks", [])),
        "policy_image_size": int(pol.vla_config.image_size),
    }


PORT_POLICY_BATCH = 10  # port-side transfer episodes per jit(vmap) call (rendered: memory grows with it)


def port_policy_episodes(path: str, task: str, inits, max_steps: int) -> list[dict]:
    """The policy greedy in the port from initial states ``inits`` of ``task``, batched
    (:func:`smoothvla_jax.evaluation.rollout_episodes`: the env runs the dynamics the policy was
    trained under), as cached episode records."""
    from smoothvla_jax import checkpoints
    from smoothvla_jax.evaluation import rollout_episodes

    batch = min(len(inits), PORT_POLICY_BATCH)
    pol = checkpoints.load_policy(path)
    ep = rollout_episodes(pol, task, 0, max_steps, 0.0, batch, init_indices=list(inits))
    from smoothvla_jax import metrics

    return [
        {
            "init": int(i),
            "success": bool(s),
            "steps": int(n),
            "path_m": float(metrics.path_length(np.asarray(x[: max(int(n), 1)], np.float32))),
        }
        for i, s, n, x in zip(ep["init_index"], ep["success"], ep["episode_length"], ep["ee_pos"])
    ]


TRANSFER_PROTOCOL = ("policy", "policy_step", "max_steps", "libero_camera_size", "port_commit")


def merge_transfer(old: dict | None, new: dict, side: str, eps: list[dict]) -> dict:
    """``new`` transfer result with ``eps`` as its ``side`` ("libero"/"port") episodes, plus, when
    ``old`` has the same policy and protocol (:data:`TRANSFER_PROTOCOL`), ``old``'s episodes of the
    states ``eps`` did not run and its other side where ``new`` has none; ``inits`` = every state
    either side has."""
    same = old is not None and all(old.get(k) == new.get(k) for k in TRANSFER_PROTOCOL)
    out = dict(new)
    for s in ("libero", "port"):
        prev = old.get(s, []) if same else []
        if s == side:
            ran = {e["init"] for e in eps}
            out[s] = sorted([e for e in prev if e["init"] not in ran] + list(eps), key=lambda e: e["init"])
        elif s not in out:
            out[s] = prev
    out["inits"] = sorted({e["init"] for s in ("libero", "port") for e in out[s]})
    return out


def section_transfer(args, ref: Reference, tasks) -> None:
    """The exported policy (``--policy``) greedy in real LIBERO (through the runner's policy
    subprocess, LIBERO cameras at ``--transfer-size`` pixels) and in the port (under the dynamics it
    was trained under), from the same initial states and with the same episode cap; each side is
    cached per task (``--transfer-sims`` chooses which to run; ``--reuse-runs`` reuses recorded LIBERO
    runs of the same policy and protocol)."""
    from smoothvla_jax import fidelity as fid
    from smoothvla_jax import metrics

    if not args.policy:
        raise SystemExit("section transfer needs --policy <export or run dir> (smoothvla_jax.load_policy)")
    sims = set(args.transfer_sims.split(","))
    prec = policy_record(args.policy)
    size = args.transfer_size or prec["policy_image_size"]
    for task in tasks:
        print(f"transfer: {task}", flush=True)
        env = port_env(task, dynamics=args.port_dynamics)
        max_steps = args.transfer_max_steps or env.max_steps
        path = args.work / "transfer" / f"{task.replace('/', '_')}.json"
        res = {
            **prec,
            "inits": list(args.transfer_inits),
            "max_steps": max_steps,
            "libero_camera_size": size,
            "temperature": 0.0,
            "port_dynamics": prec["policy_dynamics"],
            "port_commit": args.port_commit,
            "port_libero_states": bool(env.task.libero_states),
        }

        def save(sim: str, eps: list[dict]) -> None:
            res.update(merge_transfer(_read(path), res, sim, eps))
            _save(path, res)

        if "libero" in sims:
            d = args.work / "runs" / "transfer" / task.replace("/", "_")
            cmd = _serve_command("--serve-policy", args.policy, "--instruction", env.instruction)
            ref.episodes(
                task,
                args.transfer_inits,
                d / "init{init}.npz",
                policy=cmd,
                images=True,
                max_steps=max_steps,
                size=size,
                reuse=args.reuse_runs,
            )
            eps = []
            for i in args.transfer_inits:
                lr = fid.load_run(d / f"init{i}.npz")
                done = int(lr["done_at"])
                steps = done if done > 0 else len(lr["ee_pos"]) - 1
                path_m = float(metrics.path_length(np.asarray(lr["ee_pos"][: steps + 1], np.float32)))
                eps.append({"init": i, "success": done > 0, "steps": steps, "path_m": path_m})
            save("libero", eps)
        if "port" in sims:
            save("port", port_policy_episodes(args.policy, task, args.transfer_inits, max_steps))


# ================================================================== report


def _save(path: Path, obj) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(json.dumps(obj, indent=1))


def _read(path: Path) -> dict | None:
    return json.loads(path.read_text()) if path.exists() else None


def _load_dir(path: Path) -> dict[str, dict]:
    if not path.is_dir():
        return {}
    return {
        p.stem.replace("_", "/", 1) if p.stem.startswith("libero_") else p.stem: json.loads(p.read_text())
        for p in sorted(path.glob("*.json"))
    }


def _task_key(stem: str) -> str:
    suite, idx = stem.rsplit("_", 1)
    return f"{suite}/{idx}"


def write_report(args) -> None:
    import report_fidelity

    report_fidelity.write(args.work, REPO / "docs")


# ================================================================== main


def parse_tasks(spec: str) -> list[str]:
    from envs_mjx.registry import suite_tasks

    out: list[str] = []
    for part in spec.split(","):
        part = part.strip()
        if part == "all":
            out += [t.key for s in SUITES for t in suite_tasks(s)]
        elif part in SUITES:
            out += [t.key for t in suite_tasks(part)]
        elif "/" in part and part.split("/")[0] in SUITES:
            out.append(part)
        else:
            raise SystemExit(
                f"--tasks: {part!r} is not 'all', a suite ({', '.join(SUITES)}) or 'suite/index'"
            )
    return list(dict.fromkeys(out))


def main(argv=None) -> int:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--tasks", default="all", help="'all', suites and/or 'suite/index', comma separated")
    ap.add_argument("--sections", default=",".join(SECTIONS), help=f"comma separated subset of {SECTIONS}")
    ap.add_argument(
        "--ref",
        type=Path,
        default=Path(os.environ.get("LIBERO_REF", str(Path.home() / "libero_ref"))),
        help="reference LIBERO install (setup_reference.py --dest)",
    )
    ap.add_argument("--work", type=Path, default=Path("runs/libero_parity"), help="cache of raw results")
    ap.add_argument("--osc-reference", default=str(OSC_REF))
    ap.add_argument("--record-osc", action="store_true", help="re-record the OSC reference in real LIBERO")
    ap.add_argument("--pose-inits", type=lambda s: [int(x) for x in s.split(",")], default=[0, 1, 2])
    ap.add_argument("--expert-inits", type=lambda s: [int(x) for x in s.split(",")], default=[0, 1])
    ap.add_argument("--expert-sims", default="libero,port", help="which sides of the expert section to run")
    ap.add_argument(
        "--port-sim",
        choices=tuple(PORT_SIMS),
        default="mjx",
        help="simulator of the expert's port side: 'mjx' (env.step; one XLA compile per scene) or 'c' "
        "(C MuJoCo with the same MJCF and controller, envs_mjx.parity; no compile)",
    )
    ap.add_argument(
        "--port-images",
        choices=("render", "docs"),
        default="render",
        help="port images: render them now, or reuse docs/<suite>_all.png from scripts/render_scenes.py",
    )
    ap.add_argument("--transfer-inits", type=lambda s: [int(x) for x in s.split(",")], default=[0, 1])
    ap.add_argument("--transfer-tasks", default="libero_10/9,libero_10/2,libero_spatial/0")
    ap.add_argument("--transfer-max-steps", type=int, default=0, help="episode cap (0: LIBERO's limit)")
    ap.add_argument(
        "--transfer-size",
        type=int,
        default=0,
        help="LIBERO camera size for the policy (0: the policy's input size)",
    )
    ap.add_argument(
        "--transfer-sims", default="libero,port", help="which sides of the transfer section to run"
    )
    ap.add_argument("--policy", default="", help="exported policy / run dir for the transfer section")
    ap.add_argument("--image-size", type=int, default=128)
    ap.add_argument("--gl", default="egl", help="MUJOCO_GL for the reference (egl or osmesa)")
    ap.add_argument(
        "--reuse-runs",
        action="store_true",
        help="poses, the expert's and the transfer's LIBERO side: reuse the LIBERO runs recorded under "
        "--work (when every requested state has one) instead of re-running LIBERO; they must come from "
        "the same port version (and policy)",
    )
    ap.add_argument(
        "--port-dynamics",
        choices=tuple(PORT_DYNAMICS),
        default="libero",
        help="the port's dynamics: 'libero' = EnvConfig.libero() (LIBERO's OSC + full contacts, its "
        "LIBERO-faithful mode, the default EnvConfig()), 'ik' = the first port's IK controller; "
        "the expert's constants "
        "follow it in both simulators. Non-default results are cached under <name>_<dynamics>",
    )
    ap.add_argument("--report-only", action="store_true", help="only regenerate docs/fidelity.md")
    ap.add_argument("--serve-expert", help=argparse.SUPPRESS)
    ap.add_argument("--serve-policy", help=argparse.SUPPRESS)
    ap.add_argument("--instruction", help=argparse.SUPPRESS)
    args = ap.parse_args(argv)
    if args.serve_expert:
        return serve_expert(args.serve_expert, args.port_dynamics)
    if args.serve_policy:
        return serve_policy(args.serve_policy, args.instruction)
    sections = [s.strip() for s in args.sections.split(",") if s.strip()]
    bad = [s for s in sections if s not in SECTIONS]
    if bad:
        raise SystemExit(f"--sections: unknown {bad}; choose from {','.join(SECTIONS)}")
    args.work = args.work.resolve()
    args.port_commit = port_commit()
    tasks = parse_tasks(args.tasks)
    args.images_with_poses = "images" in sections and "poses" in sections
    if not args.report_only:
        needs_ref = [s for s in sections if s != "controller"] or args.record_osc
        ref = Reference(args.ref, args.gl) if needs_ref else None
        for s in sections:
            t0 = time.time()
            if s == "controller":
                section_controller(args, ref)
            elif s == "transfer":
                section_transfer(args, ref, [t for t in parse_tasks(args.transfer_tasks)])
            else:
                globals()[f"section_{s}"](args, ref, tasks)
            print(f"section {s}: {time.time() - t0:.0f}s", flush=True)
    sys.path.insert(0, str(Path(__file__).parent))
    write_report(args)
    return 0


if __name__ == "__main__":
    sys.exit(main())
