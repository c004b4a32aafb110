"""LIBERO's own task data, imported from the benchmark's files (read-only, no download).

``scripts/import_libero.py`` parses the ``libero`` 0.1.1 sdist's BDDL files and ``.pruned_init``
initial states into ``envs_mjx/data/<suite>_bddl.json`` and ``<suite>_libero_init.npz``; this
module reads them::

    from envs_mjx import libero_data
    t = libero_data.task_data("libero_10/2")      # or the LIBERO task name
    t.objects        # (("chefmate_8_frypan_1", "chefmate_8_frypan"), ("moka_pot_1", "moka_pot"))
    t.goal           # (("Turnon", "flat_stove_1"), ("On", "moka_pot_1", "flat_stove_1_cook_region"))
    t.region("kitchen_table_moka_pot_init_region").world_ranges   # ((x0, y0, x1, y1),) [m]
    s = libero_data.init_states("libero_10/2")
    s.object_pose["moka_pot_1"]     # [50, 7] LIBERO's xyz + quat wxyz of the body, state i
    s.robot_qpos                    # [50, 9] 7 arm joints + 2 finger slides
    s.fixture_qpos["flat_stove_1"]  # [50, 1] knob angle

Poses are LIBERO's MuJoCo body poses (world frame, LIBERO's own body origins and mesh frames,
which differ per object category from the port's bottom-centre, z-up bodies).

Region ``ranges`` are ``(x_min, y_min, x_max, y_max)`` relative to the workspace of the problem
class; :attr:`Region.world_ranges` adds :data:`WORKSPACE_OFFSET` (non-zero only in x for the
study arena: table centre at x = -0.2). Regions whose target is a fixture or object (e.g.
``flat_stove_1_cook_region``) have no ranges: they are sites of that model.
"""

from __future__ import annotations

import dataclasses
import functools
import json
import pathlib

import numpy as np

DATA_DIR = pathlib.Path(__file__).parent / "data"
SUITES = ("libero_10", "libero_spatial", "libero_object", "libero_goal")
# LIBERO problem class -> workspace offset (x, y, z) [m] added to region ranges (LIBERO's
# problem classes: table top heights and the study table's x offset)
WORKSPACE_OFFSET: dict[str, tuple[float, float, float]] = {
    "LIBERO_Tabletop_Manipulation": (0.0, 0.0, 0.90),
    "LIBERO_Kitchen_Tabletop_Manipulation": (0.0, 0.0, 0.90),
    "LIBERO_Living_Room_Tabletop_Manipulation": (0.0, 0.0, 0.41),
    "LIBERO_Study_Tabletop_Manipulation": (-0.2, 0.0, 0.867),
    "LIBERO_Floor_Manipulation": (0.0, 0.0, -0.035),
}


@dataclasses.dataclass(frozen=True)
class Region:
    """A BDDL region of one task (see the module docstring)."""

    name: str  # full name used by predicates, "<target>_<short_name>"
    short_name: str
    target: str
    ranges: tuple[tuple[float, float, float, float], ...]
    yaw_rotation: tuple[tuple[float, float], ...]
    workspace_offset: tuple[float, float, float]

    @property
    def world_ranges(self) -> tuple[tuple[float, float, float, float], ...]:
        """``ranges`` in world xy [m]."""
        ox, oy, _ = self.workspace_offset
        return tuple((x0 + ox, y0 + oy, x1 + ox, y1 + oy) for x0, y0, x1, y1 in self.ranges)

    @property
    def world_center(self) -> tuple[float, float]:
        """Centre of the first range in world xy [m]."""
        if not self.ranges:
            raise ValueError(f"region {self.name} has no ranges (it is a site of {self.target})")
        x0, y0, x1, y1 = self.world_ranges[0]
        return ((x0 + x1) / 2, (y0 + y1) / 2)

    @property
    def yaw(self) -> float:
        """Middle of the first yaw interval [rad] (0 when the region gives none)."""
        return float(np.mean(self.yaw_rotation[0])) if self.yaw_rotation else 0.0


@dataclasses.dataclass(frozen=True)
class LiberoTask:
    """One task's BDDL definition. ``objects``/``fixtures``: ``(name, category)`` in file order;
    ``init``/``goal``: predicate tuples ``(Kind, arg, ...)`` with LIBERO's spelling."""

    key: str
    name: str
    instruction: str
    language: str
    problem_class: str
    fixtures: tuple[tuple[str, str], ...]
    fixture_joints: dict[str, tuple[str, ...]]
    objects: tuple[tuple[str, str], ...]
    obj_of_interest: tuple[str, ...]
    regions: tuple[Region, ...]
    init: tuple[tuple[str, ...], ...]
    goal: tuple[tuple[str, ...], ...]
    nq: int
    nv: int

    @property
    def suite(self) -> str:
        return self.key.split("/")[0]

    @property
    def index(self) -> int:
        return int(self.key.split("/")[1])

    @property
    def workspace_offset(self) -> tuple[float, float, float]:
        return WORKSPACE_OFFSET[self.problem_class]

    def region(self, name: str) -> Region:
        """Region by full name (``kitchen_table_moka_pot_init_region``)."""
        for r in self.regions:
            if r.name == name:
                return r
        raise ValueError(f"{self.key} has no region {name!r}; regions: "
                         f"{', '.join(r.name for r in self.regions)}")

    def placement(self, name: str) -> Region | None:
        """The region an object or fixture is placed in by ``:init`` (``On``/``In``), if any."""
        for p in self.init:
            if p[0] in ("On", "In") and len(p) == 3 and p[1] == name:
                return next((r for r in self.regions if r.name == p[2]), None)
        return None


@dataclasses.dataclass(frozen=True)
class LiberoInitStates:
    """The 50 fixed evaluation states of one task (LIBERO's ``.pruned_init``).

    Attributes:
      state: ``[50, 1 + nq + nv]`` LIBERO's raw flattened MuJoCo state (time, qpos, qvel).
      robot_qpos: ``[50, 9]`` 7 arm joints + 2 finger slides.
      object_pose: BDDL object name -> ``[50, 7]`` xyz + quat wxyz (LIBERO's body frames).
      fixture_qpos: BDDL fixture name -> ``[50, k]`` its joints (cabinet: top, middle, bottom
        drawer slides; flat stove: knob; microwave: door).
    """

    state: np.ndarray
    robot_qpos: np.ndarray
    object_pose: dict[str, np.ndarray]
    fixture_qpos: dict[str, np.ndarray]


def _check_suite(suite: str) -> None:
    if suite not in SUITES:
        raise ValueError(f"unknown suite {suite!r}; available: {', '.join(SUITES)}")


@functools.lru_cache(maxsize=None)
def suite_data(suite: str) -> tuple[LiberoTask, ...]:
    """All tasks of ``suite`` in LIBERO's benchmark order.

    Raises:
      ValueError: unknown suite. FileNotFoundError: data missing (run
        ``python scripts/import_libero.py``).
    """
    _check_suite(suite)
    path = DATA_DIR / f"{suite}_bddl.json"
    if not path.exists():
        raise FileNotFoundError(f"{path} is missing; regenerate with: python scripts/import_libero.py")
    raw = json.loads(path.read_text())
    out = []
    for t in raw["tasks"]:
        off = WORKSPACE_OFFSET[t["problem_class"]]
        out.append(LiberoTask(
            key=t["key"], name=t["name"], instruction=t["instruction"], language=t["language"],
            problem_class=t["problem_class"],
            fixtures=tuple((f["name"], f["category"]) for f in t["fixtures"]),
            fixture_joints={f["name"]: tuple(f["joints"]) for f in t["fixtures"] if f["joints"]},
            objects=tuple((o["name"], o["category"]) for o in t["objects"]),
            obj_of_interest=tuple(t["obj_of_interest"]),
            regions=tuple(Region(r["name"], r["short_name"], r["target"],
                                 tuple(tuple(x) for x in r["ranges"]),
                                 tuple(tuple(y) for y in r["yaw_rotation"]), off)
                          for r in t["regions"]),
            init=tuple(tuple(p) for p in t["init"]), goal=tuple(tuple(p) for p in t["goal"]),
            nq=t["nq"], nv=t["nv"]))
    return tuple(out)


def _find(key: str) -> LiberoTask:
    if not isinstance(key, str):
        raise ValueError(f"task key must be a string like 'libero_10/2', got {type(key).__name__}")
    suites = [key.split("/")[0]] if "/" in key else SUITES
    for s in suites:
        if s not in SUITES:
            break
        for t in suite_data(s):
            if key in (t.key, t.name, t.instruction):
                return t
    raise ValueError(f"unknown LIBERO task {key!r}; use 'suite/index' (suites: "
                     f"{', '.join(SUITES)}; index 0-9) or a LIBERO task name")


def task_data(key: str) -> LiberoTask:
    """A task's BDDL data by ``"libero_10/2"``, LIBERO task name or benchmark instruction."""
    return _find(key)


@functools.lru_cache(maxsize=None)
def _suite_arrays(suite: str) -> dict[str, np.ndarray]:
    path = DATA_DIR / f"{suite}_libero_init.npz"
    if not path.exists():
        raise FileNotFoundError(f"{path} is missing; regenerate with: python scripts/import_libero.py")
    with np.load(path) as z:
        return {k: z[k] for k in z.files}


def init_states(key: str) -> LiberoInitStates:
    """LIBERO's 50 fixed initial states of a task (see :class:`LiberoInitStates`)."""
    t = _find(key)
    arr = _suite_arrays(t.suite)
    p = f"task{t.index}/"
    return LiberoInitStates(
        state=arr[p + "state"], robot_qpos=arr[p + "robot_qpos"],
        object_pose={n: arr[f"{p}object/{n}"] for n, _ in t.objects},
        fixture_qpos={n: arr[f"{p}fixture/{n}"] for n in t.fixture_joints})
