"""LIBERO-Object: "pick up the <item> and place it in the basket", 10 groceries on the floor.

LIBERO's floor arena: no table, the groceries and a basket stand on the floor and the arm is
mounted on the ground (:data:`envs_mjx.families.FLOOR`). Every task has the basket, its target
item at the same place and five distractor groceries at five other places; which groceries are
distractors follows LIBERO's BDDL per task. Goal ``In(item, basket_contain_region)``.

Contacts: only the target item x the basket collide (besides the fingers and the floor).
"""

from __future__ import annotations

import dataclasses
from collections.abc import Callable

from envs_mjx import assets as A
from envs_mjx.families import FLOOR, make_scene
from envs_mjx.scene import ObjectSpec, SceneSpec
from envs_mjx.tasks import Pred, Stage, Task, pick, place

SUITE = "libero_object"
MAX_STEPS = 280

BASKET_XY = (0.0, 0.26)
TARGET_XY = (-0.12, -0.24)
OTHER_XY = ((0.05, -0.10), (-0.15, 0.06), (0.10, -0.20), (0.15, 0.03), (-0.20, -0.08))
_JITTER = 0.025  # LIBERO's 5 x 5 cm object regions

# item -> (factory, TCP grasp height above its origin, TCP release height above the basket's)
_BASKET_FLOOR = 0.008
ITEMS: dict[str, tuple[Callable[[tuple[float, float]], ObjectSpec], float, float]] = {
    "alphabet_soup": (A.alphabet_soup, 0.025, 0.075),
    "cream_cheese": (A.cream_cheese, 0.011, 0.05),
    "salad_dressing": (A.salad_dressing, 0.09, _BASKET_FLOOR + 0.09 + 0.015),
    "bbq_sauce": (A.bbq_sauce, 0.09, _BASKET_FLOOR + 0.09 + 0.015),
    "ketchup": (A.ketchup, 0.09, _BASKET_FLOOR + 0.09 + 0.015),
    "tomato_sauce": (A.tomato_sauce, 0.025, 0.075),
    "butter": (A.butter, 0.011, 0.05),
    "milk": (A.milk, 0.08, _BASKET_FLOOR + 0.08 + 0.015),
    "chocolate_pudding": (A.chocolate_pudding, 0.013, 0.05),
    "orange_juice": (A.orange_juice, 0.08, _BASKET_FLOOR + 0.08 + 0.015),
}
# target -> distractors at OTHER_XY[0..4] (LIBERO's per-task BDDL)
DISTRACTORS: dict[str, tuple[str, ...]] = {
    "alphabet_soup": ("salad_dressing", "cream_cheese", "milk", "tomato_sauce", "butter"),
    "cream_cheese": ("alphabet_soup", "milk", "tomato_sauce", "butter", "orange_juice"),
    "salad_dressing": ("ketchup", "alphabet_soup", "cream_cheese", "milk", "tomato_sauce"),
    "bbq_sauce": ("chocolate_pudding", "ketchup", "salad_dressing", "alphabet_soup",
                  "cream_cheese"),
    "ketchup": ("bbq_sauce", "salad_dressing", "alphabet_soup", "cream_cheese", "milk"),
    "tomato_sauce": ("milk", "butter", "orange_juice", "chocolate_pudding", "bbq_sauce"),
    "butter": ("tomato_sauce", "orange_juice", "chocolate_pudding", "bbq_sauce", "ketchup"),
    "milk": ("cream_cheese", "tomato_sauce", "butter", "orange_juice", "chocolate_pudding"),
    "chocolate_pudding": ("orange_juice", "bbq_sauce", "ketchup", "salad_dressing",
                          "alphabet_soup"),
    "orange_juice": ("butter", "chocolate_pudding", "bbq_sauce", "ketchup", "salad_dressing"),
}


def _item(name: str, xy: tuple[float, float]) -> ObjectSpec:
    return dataclasses.replace(ITEMS[name][0](xy), init_jitter=(_JITTER, _JITTER))


def floor_scene(target: str) -> SceneSpec:
    """The floor scene of the task whose target is ``target``."""
    objects = (A.basket(BASKET_XY), _item(target, TARGET_XY)) + tuple(
        _item(n, xy) for n, xy in zip(DISTRACTORS[target], OTHER_XY, strict=True))
    return make_scene(f"FLOOR_{target.upper()}", FLOOR, (), objects,
                      contacts=((target, "basket"),))


CARRY_SPEED = 0.6  # a flat box held by its 1.7 cm edge tips over when carried at full speed


def _plan(target: str) -> tuple[Stage, ...]:
    _, grasp_z, release_z = ITEMS[target]
    return (pick(target, grasp_z, speed=CARRY_SPEED)
            + place("basket", release_z, speed=CARRY_SPEED, gain=0.5))


def _tasks() -> list[Task]:
    out = []
    for i, target in enumerate(ITEMS):
        instruction = f"pick up the {target.replace('_', ' ')} and place it in the basket"
        out.append(Task(SUITE, i, instruction.replace(" ", "_"), instruction,
                        floor_scene(target), (Pred("in", target, "basket_contain_region"),),
                        _plan(target), MAX_STEPS))
    return out


TASKS: tuple[Task, ...] = tuple(_tasks())
