"""Task registry: look up tasks by ``suite/index``, LIBERO name or instruction."""

from __future__ import annotations

import importlib

from envs_mjx.tasks import Task

SUITES = ("libero_10", "libero_spatial", "libero_object", "libero_goal")
_MODULES = {"libero_10": "envs_mjx.libero10", "libero_spatial": "envs_mjx.libero_spatial",
            "libero_object": "envs_mjx.libero_object", "libero_goal": "envs_mjx.libero_goal"}


def suite_tasks(suite: str) -> tuple[Task, ...]:
    """All tasks of a suite, in LIBERO order."""
    if suite in _MODULES:
        return importlib.import_module(_MODULES[suite]).TASKS
    raise ValueError(f"unknown task suite {suite!r}; available: {', '.join(SUITES)}")


def all_tasks() -> tuple[Task, ...]:
    return tuple(t for s in SUITES for t in suite_tasks(s))


def get_task(name: str) -> Task:
    """Task by ``"libero_10/3"``, by LIBERO name (e.g. ``KITCHEN_SCENE3_turn_on_...``) or by
    its verbatim instruction.

    Raises:
      ValueError: naming the unknown task and listing the valid keys.
    """
    if not isinstance(name, str):
        raise ValueError(f"task name must be a string, got {type(name).__name__}")
    for t in all_tasks():
        if name in (t.key, t.name, t.instruction):
            return t
    keys = ", ".join(t.key for t in all_tasks())
    raise ValueError(f"unknown task {name!r}; valid tasks: {keys} (or a LIBERO task name)")
