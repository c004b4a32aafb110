"""LIBERO-Object: "pick up the <item> and place it in the basket", 10 groceries on the floor.

LIBERO's floor arena: no table, the groceries and a basket stand on the floor and the arm is
mounted on the ground (:data:`envs_mjx.families.FLOOR`). Each task's objects, their BDDL names
(``alphabet_soup_1``, ``basket_1``, ...) and placement regions come from LIBERO's BDDL file
(:mod:`envs_mjx.libero_data`): the basket, the target item in ``target_object_region`` (one of
two places, depending on the task) and five distractors in ``other_object_region_0..4``. The
50 evaluation states put every object at the xy of LIBERO's state i (upright, at the port's
nominal yaw: LIBERO does not randomise these objects' orientation) and the arm at LIBERO's
joints; training layouts sample each object uniformly in its BDDL region. Goal
``In(item_1, basket_1_contain_region)``.

Contacts: only the target item x the basket collide (besides the fingers and the floor).
"""

from __future__ import annotations

from collections.abc import Callable

from envs_mjx import assets as A
from envs_mjx import libero_data
from envs_mjx.families import FLOOR, bddl_layout, bddl_object, make_scene
from envs_mjx.scene import ObjectSpec, SceneSpec
from envs_mjx.tasks import Pred, Stage, Task, pick, place

SUITE = "libero_object"
MAX_STEPS = 280

# category -> (factory, TCP grasp height above its origin, TCP release height above the basket's)
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
_FACTORIES = {**{k: v[0] for k, v in ITEMS.items()}, "basket": A.basket}


def floor_scene(index: int) -> SceneSpec:
    """The floor scene of task ``index``: LIBERO's objects (BDDL names and order), each at the
    centre of its BDDL placement region, sampled over the region (:func:`bddl_layout`)."""
    lt = libero_data.task_data(f"{SUITE}/{index}")
    objects = []
    for name, category in lt.objects:
        objects.append(bddl_object(lt.key, name, category, _FACTORIES, (0.0, 0.0)))
    target = lt.goal[0][1]
    return make_scene(f"FLOOR_{target.upper()}", FLOOR, (), bddl_layout(lt.key, tuple(objects)),
                      contacts=((target, "basket_1"),))


CARRY_SPEED = 0.6  # a flat box held by its 1.7 cm edge tips over when carried at full speed


def _plan(target: str, category: str) -> tuple[Stage, ...]:
    _, grasp_z, release_z = ITEMS[category]
    return (pick(target, grasp_z, speed=CARRY_SPEED)
            + place("basket_1", release_z, speed=CARRY_SPEED, gain=0.5))


def _tasks() -> list[Task]:
    out = []
    for lt in libero_data.suite_data(SUITE):
        kind, target, region = lt.goal[0]
        category = dict(lt.objects)[target]
        out.append(Task(SUITE, lt.index, lt.name, lt.instruction, floor_scene(lt.index),
                        (Pred("in", target, region),), _plan(target, category), MAX_STEPS,
                        libero_states=True))
    return out


TASKS: tuple[Task, ...] = tuple(_tasks())
