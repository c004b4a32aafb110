"""The 50 fixed initial states per task: generation (C MuJoCo) and loading.

Each state samples object positions ``init_xy +/- init_jitter`` and yaw ``init_yaw +/-
yaw_jitter`` (no overlaps), fixture joints at their task value +/- jitter, the arm at LIBERO's
``init_qpos`` with the gripper open, then settles 0.5 s of physics so objects rest on their
supports. Seeds are derived from the task key, so regeneration is deterministic.

Tasks with ``Task.libero_states`` take states 0..49 from LIBERO's own initial states instead
(:mod:`envs_mjx.libero_data`): every object at the xy of LIBERO's state i (by BDDL name, at the
port's resting height and nominal yaw; objects with ``yaw_jitter > 0``, which LIBERO turns at
random, at LIBERO's yaw), the arm joints and fixture joints as LIBERO's; indices
from 50 on (training layouts) are sampled as above, over the BDDL placement regions.

Regenerate after changing a scene:  ``python -m envs_mjx.init_states --suite libero_10``
"""

from __future__ import annotations

import argparse
import hashlib
import math
import pathlib

import mujoco
import numpy as np

from envs_mjx import libero_data, panda
from envs_mjx.libero_names import libero_joint, to_bddl
from envs_mjx.scene import build_mjcf
from envs_mjx.tasks import Task

NUM_INIT_STATES = 50
DATA_DIR = pathlib.Path(__file__).parent / "data"
SETTLE_STEPS = 100


def _path(suite: str) -> pathlib.Path:
    return DATA_DIR / f"{suite}_init_states.npz"


def _seed(task: Task, i: int) -> int:
    h = hashlib.sha256(f"{task.key}:{i}".encode()).digest()
    return int.from_bytes(h[:4], "little")


def _radius(obj) -> float:
    if obj.footprint > 0:
        return obj.footprint
    r = 0.0
    for g in obj.geoms:
        if g.role == "visual":
            continue
        ext = g.size[:2] if g.type == "box" else (g.size[0], g.size[0])
        r = max(r, math.hypot(abs(g.pos[0]) + ext[0], abs(g.pos[1]) + ext[1]))
    return r


def _libero_yaw(pose: np.ndarray) -> float:
    """Yaw [rad] of a LIBERO body pose ``[7]`` (xyz + quat wxyz) turned about z only."""
    w, z = pose[3], pose[6]
    return float(2 * math.atan2(z, w))


def generate(task: Task, num: int = NUM_INIT_STATES, start: int = 0,
             settle_steps: int = SETTLE_STEPS) -> np.ndarray:
    """Generates ``[num, nq]`` settled initial qpos for ``task``: layouts ``start .. start +
    num - 1`` (each seeded by its index, so any range is reproducible on its own). Indices
    below :data:`NUM_INIT_STATES` are the saved evaluation states; indices from there on are
    fresh *training* layouts of the same distribution (see ``EnvConfig.train_layouts``).
    ``settle_steps`` physics steps follow the placement (0: the placement itself)."""
    # The arm is held at its initial joints by position servos while the objects settle.
    m = mujoco.MjModel.from_xml_string(build_mjcf(task.scene, controller="ik"))
    d = mujoco.MjData(m)
    arm = [m.jnt_qposadr[m.joint(f"joint{i + 1}").id] for i in range(7)]
    fingers = [m.jnt_qposadr[m.joint(n).id] for n in ("finger_left", "finger_right")]
    tz = task.scene.table_z
    objs = task.scene.objects
    radii = [_radius(o) for o in objs]
    out = np.zeros((num, m.nq))
    lib = libero_data.init_states(task.key) if task.libero_states else None
    for i in range(num):
        rng = np.random.default_rng(_seed(task, start + i))
        mujoco.mj_resetData(m, d)
        from_libero = lib is not None and start + i < NUM_INIT_STATES
        # a fresh layout's arm: INIT_QPOS + robosuite's initialization noise, from its own stream
        # (the object and fixture draws below stay those of the same index without it)
        arm_q = lib.robot_qpos[start + i, :7] if from_libero else panda.INIT_QPOS + \
            np.random.default_rng([_seed(task, start + i), 1]).normal(0.0, panda.ARM_INIT_NOISE, 7)
        d.qpos[arm] = arm_q
        d.qpos[fingers] = panda.FINGER_OPEN
        placed: list[tuple[float, float, float]] = []
        sampled: dict[str, tuple[float, float, float]] = {}
        for o, r in zip(objs, radii):
            z = tz + o.init_z
            if o.init_on:  # stacked on an object: on its top
                z = o.init_z + sampled[o.init_on][2] + task.scene.object(o.init_on).height
            if from_libero:  # LIBERO's state: xy by BDDL name
                x, y = lib.object_pose[to_bddl(o.name, task.suite)][start + i, :2]
            elif o.init_on or o.init_z > 0:  # stacked on an object or a fixture: no overlap test
                bx, by = o.init_xy
                if o.init_on:
                    sx, sy, _ = sampled[o.init_on]
                    bx, by = bx + sx, by + sy
                x = bx + rng.uniform(-1, 1) * o.init_jitter[0]
                y = by + rng.uniform(-1, 1) * o.init_jitter[1]
            else:
                for _ in range(200):
                    x = o.init_xy[0] + rng.uniform(-1, 1) * o.init_jitter[0]
                    y = o.init_xy[1] + rng.uniform(-1, 1) * o.init_jitter[1]
                    if all(math.hypot(x - px, y - py) > r + pr + 0.005 for px, py, pr in placed):
                        break
                else:
                    raise RuntimeError(f"{task.key}: cannot place {o.name} without overlap")
                placed.append((x, y, r))
            sampled[o.name] = (x, y, z)
            yaw = o.init_yaw + rng.uniform(-1, 1) * o.yaw_jitter
            if from_libero:  # LIBERO's own yaw for what it turns at random (the study's book),
                # else the port's nominal yaw (LIBERO keeps the others' orientation fixed)
                yaw = _libero_yaw(lib.object_pose[to_bddl(o.name, task.suite)][start + i]) \
                    if o.yaw_jitter > 0 else o.init_yaw
            adr = m.jnt_qposadr[m.joint(f"{o.name}/joint").id]
            d.qpos[adr:adr + 7] = [x, y, z + 0.002, math.cos(yaw / 2), 0, 0, math.sin(yaw / 2)]
        for f in task.scene.fixtures:
            for p in f.parts:
                if p.joint is not None:
                    val, jit = task.joint_inits.get(p.joint.name, (p.joint.init, 0.0))
                    val += rng.uniform(-1, 1) * jit
                    if from_libero:
                        fix, k = libero_joint(f.name, p.joint.name, task.suite)
                        val = lib.fixture_qpos[fix][start + i, k]
                    d.qpos[m.jnt_qposadr[m.joint(p.joint.name).id]] = val
        d.ctrl[:7] = arm_q
        d.ctrl[7:9] = panda.FINGER_OPEN
        mujoco.mj_forward(m, d)
        for _ in range(settle_steps):
            mujoco.mj_step(m, d)
        if not np.all(np.isfinite(d.qpos)):
            raise RuntimeError(f"{task.key}: init state {i} diverged while settling")
        out[i] = d.qpos
    return out


def load_init_states(task: Task, mj_model: mujoco.MjModel) -> np.ndarray:
    """The saved ``[50, nq]`` initial qpos of ``task``.

    Raises:
      FileNotFoundError / ValueError: missing file/entry or a scene that changed since the
        states were generated (nq mismatch), with the command that regenerates them.
    """
    path = _path(task.suite)
    hint = f"regenerate with: python -m envs_mjx.init_states --suite {task.suite}"
    if not path.exists():
        raise FileNotFoundError(f"initial states file {path} is missing; {hint}")
    with np.load(path) as z:
        key = f"task_{task.index}"
        if key not in z:
            raise ValueError(f"{path} has no initial states for {task.key}; {hint}")
        qpos = np.asarray(z[key])
    if qpos.ndim != 2 or qpos.shape[1] != mj_model.nq:
        raise ValueError(
            f"initial states for {task.key} have shape {qpos.shape} but the scene has "
            f"nq={mj_model.nq} (scene changed?); {hint}"
        )
    if not np.all(np.isfinite(qpos)):
        raise ValueError(f"initial states for {task.key} contain non-finite values; {hint}")
    return qpos


def main() -> None:
    from envs_mjx.registry import suite_tasks

    ap = argparse.ArgumentParser(description=__doc__)
    ap.add_argument("--suite", default="libero_10")
    args = ap.parse_args()
    DATA_DIR.mkdir(exist_ok=True)
    arrays = {}
    for t in suite_tasks(args.suite):
        arrays[f"task_{t.index}"] = generate(t)
        print(f"{t.key}: {arrays[f'task_{t.index}'].shape}")
    np.savez_compressed(_path(args.suite), **arrays)
    print(f"wrote {_path(args.suite)}")


if __name__ == "__main__":
    main()
