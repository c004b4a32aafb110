"""Comparison maths and file formats of the LIBERO parity harness (``scripts/libero_parity.py``).

Pure NumPy; no dependency on the reference LIBERO install. Two file formats:

* the OSC step-response reference (JSON, ``tests/data/libero_osc_reference.json``)::

    {"source": str, "control_hz": 20, "physics_dt": 0.002,
     "cases": {name: {"actions": [T][7], "ee_pos": [T+1][3], "ee_rot": [T+1][9]}}}

  row 0 of ``ee_pos``/``ee_rot`` is the pose before the first action; ``ee_rot`` is row-major 3x3;
* a reference run (``.npz`` written by ``scripts/libero_reference/libero_runner.py``, format
  version 1; keys in :data:`RUN_KEYS`, documented in ``scripts/libero_reference/README.md``).

Conventions: quaternions are ``wxyz`` (MuJoCo's); angles in radians; positions in metres.
"""

from __future__ import annotations

import json
import os
from collections.abc import Iterable, Mapping

import numpy as np

RUN_FORMAT_VERSION = 1
# key -> trailing shape (None = any length) of a per-step array [T+1, ...]
RUN_KEYS = {"ee_pos": (3,), "ee_rot": (3, 3), "obj_pose": (None, 7), "success": ()}


# ------------------------------------------------------------------ geometry


def quat_to_mat(q: np.ndarray) -> np.ndarray:
    """Rotation matrices ``[..., 3, 3]`` of unit quaternions ``[..., 4]`` (wxyz)."""
    q = np.asarray(q, np.float64)
    q = q / np.linalg.norm(q, axis=-1, keepdims=True)
    w, x, y, z = np.moveaxis(q, -1, 0)
    return np.stack(
        [
            np.stack([1 - 2 * (y * y + z * z), 2 * (x * y - w * z), 2 * (x * z + w * y)], -1),
            np.stack([2 * (x * y + w * z), 1 - 2 * (x * x + z * z), 2 * (y * z - w * x)], -1),
            np.stack([2 * (x * z - w * y), 2 * (y * z + w * x), 1 - 2 * (x * x + y * y)], -1),
        ],
        -2,
    )


def rotation_angle(ra: np.ndarray, rb: np.ndarray) -> np.ndarray:
    """Angle ``[...]`` of the relative rotation ``ra^T rb`` between rotation matrices ``[..., 3, 3]``."""
    # ||ra - rb||_F = 2 sqrt(2) sin(angle / 2): well conditioned at small angles, where the trace
    # formula's arccos turns 1e-7 rounding of the matrices into 5e-4 rad
    diff = np.linalg.norm(np.asarray(ra, np.float64) - np.asarray(rb, np.float64), axis=(-2, -1))
    return 2.0 * np.arcsin(np.clip(diff / (2.0 * np.sqrt(2.0)), 0.0, 1.0))


def quat_angle(qa: np.ndarray, qb: np.ndarray) -> np.ndarray:
    """Angle ``[...]`` between orientations given as quaternions ``[..., 4]``; q and -q are the same
    orientation, so the result is ``2 acos(|<qa, qb>|)`` (0 for ``qb = -qa``)."""
    qa = np.asarray(qa, np.float64)
    qb = np.asarray(qb, np.float64)
    qa = qa / np.linalg.norm(qa, axis=-1, keepdims=True)
    qb = qb / np.linalg.norm(qb, axis=-1, keepdims=True)
    dot = np.abs(np.sum(qa * qb, axis=-1))
    return 2.0 * np.arccos(np.clip(dot, 0.0, 1.0))


def yaw_of_quat(q: np.ndarray) -> np.ndarray:
    """Heading ``[...]`` (rotation of the body x axis about world z) of quaternions ``[..., 4]`` wxyz."""
    m = quat_to_mat(q)
    return np.arctan2(m[..., 1, 0], m[..., 0, 0])


def wrap_angle(a: np.ndarray) -> np.ndarray:
    """Wraps angles to ``[-pi, pi)``."""
    return (np.asarray(a) + np.pi) % (2 * np.pi) - np.pi


# ------------------------------------------------------------------ controller response


def step_displacement(pos: np.ndarray) -> np.ndarray:
    """Per-step EE displacement norms ``[T]`` of a path ``[T+1, 3]``."""
    return np.linalg.norm(np.diff(np.asarray(pos, np.float64), axis=0), axis=-1)


def rotation_from_start(rot: np.ndarray) -> np.ndarray:
    """Angle turned since row 0 ``[T+1]`` of a rotation path ``[T+1, 3, 3]`` (or ``[T+1, 9]``)."""
    r = np.asarray(rot, np.float64).reshape(-1, 3, 3)
    return rotation_angle(r[:1], r)


def response_error(pos_a, rot_a, pos_b, rot_b) -> dict[str, np.ndarray]:
    """Per-step errors ``[T+1]`` between two step responses started from different poses.

    Paths are compared as displacements from their own start (``p_t - p_0``) and rotations as
    world-frame increments ``R_t R_0^T``, so a constant offset between the simulators' EE frames
    (site placement, axis convention) does not count as error.

    Returns ``pos`` (|Δp_a - Δp_b| [m]), ``rot`` (angle between the increments [rad]),
    ``disp_a``/``disp_b`` (per-step displacement norms, ``[T]``).
    """
    pa, pb = np.asarray(pos_a, np.float64), np.asarray(pos_b, np.float64)
    if pa.shape != pb.shape:
        raise ValueError(f"paths differ in shape {pa.shape} vs {pb.shape}: compare equal-length cases")
    ra = np.asarray(rot_a, np.float64).reshape(-1, 3, 3)
    rb = np.asarray(rot_b, np.float64).reshape(-1, 3, 3)
    da = ra @ np.swapaxes(ra[:1], -1, -2)
    db = rb @ np.swapaxes(rb[:1], -1, -2)
    return {
        "pos": np.linalg.norm((pa - pa[0]) - (pb - pb[0]), axis=-1),
        "rot": rotation_angle(da, db),
        "disp_a": step_displacement(pa),
        "disp_b": step_displacement(pb),
    }


# ------------------------------------------------------------------ poses


def pose_error(pose_a: np.ndarray, pose_b: np.ndarray) -> dict[str, np.ndarray]:
    """Errors ``[n]`` between poses ``[n, 7]`` (xyz + quat wxyz): ``pos`` (3-D distance), ``xy``,
    ``dz`` (signed, b - a), ``angle`` (full orientation, sign-invariant), ``yaw`` (|heading diff|)."""
    a, b = np.asarray(pose_a, np.float64), np.asarray(pose_b, np.float64)
    if a.shape != b.shape or a.shape[-1] != 7:
        raise ValueError(f"poses must both be [n, 7] (xyz + quat wxyz), got {a.shape} and {b.shape}")
    d = b[..., :3] - a[..., :3]
    return {
        "pos": np.linalg.norm(d, axis=-1),
        "xy": np.linalg.norm(d[..., :2], axis=-1),
        "dz": d[..., 2],
        "angle": quat_angle(a[..., 3:], b[..., 3:]),
        "yaw": np.abs(wrap_angle(yaw_of_quat(b[..., 3:]) - yaw_of_quat(a[..., 3:]))),
    }


# ------------------------------------------------------------------ success tables


def success_table(rows: Iterable[Mapping]) -> dict[str, dict]:
    """Aggregates episode rows ``{"task": "suite/i", "sim": str, "success": bool}`` into
    ``{"tasks": {task: {sim: (successes, episodes)}}, "suites": {suite: {sim: rate}},
    "overall": {sim: rate}}``; rates are over episodes (every task weighs its episode count)."""
    tasks: dict[str, dict[str, list[int]]] = {}
    for r in rows:
        if "/" not in r["task"]:
            raise ValueError(f"task {r['task']!r} must be 'suite/index'")
        cell = tasks.setdefault(r["task"], {}).setdefault(r["sim"], [0, 0])
        cell[0] += int(bool(r["success"]))
        cell[1] += 1
    suites: dict[str, dict[str, list[int]]] = {}
    overall: dict[str, list[int]] = {}
    for task, sims in tasks.items():
        suite = task.split("/")[0]
        for sim, (s, n) in sims.items():
            for acc in (
                suites.setdefault(suite, {}).setdefault(sim, [0, 0]),
                overall.setdefault(sim, [0, 0]),
            ):
                acc[0] += s
                acc[1] += n
    rate = lambda c: c[0] / c[1] if c[1] else float("nan")  # noqa: E731
    return {
        "tasks": {t: {s: tuple(c) for s, c in sims.items()} for t, sims in sorted(tasks.items())},
        "suites": {su: {s: rate(c) for s, c in sims.items()} for su, sims in sorted(suites.items())},
        "overall": {s: rate(c) for s, c in overall.items()},
    }


# ------------------------------------------------------------------ files


def load_osc_reference(path: str | os.PathLike) -> dict:
    """Reads and validates an OSC step-response reference (JSON layout in the module docstring).

    Returns ``{"source", "control_hz", "physics_dt", "cases": {name: {"actions" [T, 7],
    "ee_pos" [T+1, 3], "ee_rot" [T+1, 3, 3]}}}`` with NumPy arrays.
    """
    with open(path) as f:
        raw = json.load(f)
    for key in ("source", "control_hz", "physics_dt", "cases"):
        if key not in raw:
            raise ValueError(
                f"{path}: missing key {key!r}; regenerate it with scripts/libero_reference/osc_reference.py"
            )
    cases = {}
    for name, c in raw["cases"].items():
        a = np.asarray(c["actions"], np.float64)
        p = np.asarray(c["ee_pos"], np.float64)
        r = np.asarray(c["ee_rot"], np.float64)
        t = a.shape[0]
        if a.shape != (t, 7) or p.shape != (t + 1, 3) or r.shape != (t + 1, 9):
            raise ValueError(
                f"{path}: case {name!r} has actions {a.shape}, ee_pos {p.shape}, ee_rot {r.shape};"
                f" expected [T, 7], [T+1, 3], [T+1, 9]"
            )
        cases[name] = {"actions": a, "ee_pos": p, "ee_rot": r.reshape(t + 1, 3, 3)}
    return {**raw, "cases": cases}


def save_osc_reference(
    path: str | os.PathLike,
    source: str,
    cases: Mapping[str, Mapping],
    control_hz: float = 20,
    physics_dt: float = 0.002,
) -> None:
    """Writes cases ``{name: {"actions" [T, 7], "ee_pos" [T+1, 3], "ee_rot" [T+1, 3, 3]}}`` as the JSON
    reference layout (inverse of :func:`load_osc_reference`)."""
    out = {"source": source, "control_hz": control_hz, "physics_dt": physics_dt, "cases": {}}
    for name, c in cases.items():
        t = len(c["actions"])
        out["cases"][name] = {
            "actions": np.asarray(c["actions"], np.float64).reshape(t, 7).tolist(),
            "ee_pos": np.round(np.asarray(c["ee_pos"], np.float64).reshape(t + 1, 3), 7).tolist(),
            "ee_rot": np.round(np.asarray(c["ee_rot"], np.float64).reshape(t + 1, 9), 7).tolist(),
        }
    with open(path, "w") as f:
        json.dump(out, f, separators=(",", ":"))


def load_run(path: str | os.PathLike) -> dict[str, np.ndarray]:
    """Reads and validates a reference-run ``.npz`` (format version :data:`RUN_FORMAT_VERSION`)."""
    with np.load(path, allow_pickle=False) as z:
        run = {k: z[k] for k in z.files}
    version = int(run.get("format_version", -1))
    if version != RUN_FORMAT_VERSION:
        raise ValueError(
            f"{path}: format_version {version}, this harness reads {RUN_FORMAT_VERSION}; "
            "re-record it with scripts/libero_reference/libero_runner.py"
        )
    # T actions -> T + 1 rows (row 0 before the first action)
    n = len(run["actions"]) + 1 if "actions" in run else None
    for key, tail in RUN_KEYS.items():
        if key not in run:
            raise ValueError(f"{path}: missing {key!r}; re-record it with libero_runner.py")
        arr = run[key]
        n = arr.shape[0] if n is None else n
        ok = (
            arr.shape[0] == n
            and len(arr.shape) == 1 + len(tail)
            and all(s is None or s == d for s, d in zip(tail, arr.shape[1:]))
        )
        if not ok:
            raise ValueError(
                f"{path}: {key} has shape {arr.shape}, expected [{n}, {tail}] (one row per step)"
            )
    if run["obj_pose"].shape[1] != len(run["obj_names"]):
        raise ValueError(
            f"{path}: obj_pose has {run['obj_pose'].shape[1]} bodies but obj_names {len(run['obj_names'])}"
        )
    return run
