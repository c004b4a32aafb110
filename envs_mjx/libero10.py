"""The 10 LIBERO-10 (LIBERO-Long) tasks ported to MJX scenes built from primitives.

Left/right follow the ``agentview`` image (the camera faces the robot, so image-right is +y).
Instructions are verbatim. Each task carries a scripted expert plan (see :mod:`envs_mjx.expert`).
"""

from __future__ import annotations

import math

from envs_mjx import assets as A
from envs_mjx.families import KITCHEN as _KITCHEN
from envs_mjx.families import LIVING as _LIVING
from envs_mjx.families import STUDY as _STUDY
from envs_mjx.families import make_scene as _scene
from envs_mjx.scene import SceneSpec
from envs_mjx.tasks import CARRY_Z, Pred, Stage, Task, path, pick, place, stove_knob_push

SUITE = "libero_10"
MAX_STEPS = 520

def _living_room_2(active: tuple[str, ...]) -> SceneSpec:
    return _scene("LIVING_ROOM_SCENE2", _LIVING, (), (
        A.basket((0.06, 0.2)),
        A.alphabet_soup((-0.02, -0.1)),
        A.tomato_sauce((0.13, -0.02)),
        A.cream_cheese((-0.06, 0.04)),
        A.butter((0.1, -0.2)),
        A.ketchup((0.24, 0.1)),
        A.orange_juice((0.24, -0.14)),
        A.milk((0.24, -0.3)),
    ), active)


def _microwave_door_close(z: float = 0.09) -> tuple[Stage, ...]:
    """Sweep that swings the microwave door from ~-1.9 rad shut (pushing its outer face)."""
    hx, hy = (-0.138, 0.1725)
    r, c = 0.22, 0.03

    def p(theta: float) -> tuple[float, float, float]:
        return (hx + r * math.sin(theta) - c * math.cos(theta),
                hy - r * math.cos(theta) - c * math.sin(theta), z)

    x0, y0, _ = p(-2.05)
    return (
        Stage("microwave", (x0, y0, 0.2), 1.0, z_abs=True, tol=0.02, max_steps=80),
        *path("microwave", (p(-2.05),), tol=0.01),
        *path("microwave", tuple(p(t) for t in (-1.6, -1.2, -0.8, -0.45, -0.15, 0.05)),
              tol=0.012, max_steps=25),
        Stage("microwave", (-0.3, 0.0, 0.2), -1.0, z_abs=True, tol=0.03, max_steps=30),
    )


def _tasks() -> list[Task]:
    t: list[Task] = []

    # 0
    t.append(Task(SUITE, 0, "LIVING_ROOM_SCENE2_put_both_the_alphabet_soup_and_the_tomato_sauce_in_the_basket",  # noqa: E501
                  "put both the alphabet soup and the tomato sauce in the basket",
                  _living_room_2(("alphabet_soup", "tomato_sauce", "basket")),
                  (Pred("in", "alphabet_soup", "basket_contain_region"),
                   Pred("in", "tomato_sauce", "basket_contain_region")),
                  pick("alphabet_soup", 0.025) + place("basket", 0.075, (0.0, -0.035))
                  + pick("tomato_sauce", 0.025) + place("basket", 0.075, (0.0, 0.035)),
                  MAX_STEPS))
    # 1
    t.append(Task(SUITE, 1, "LIVING_ROOM_SCENE2_put_both_the_cream_cheese_box_and_the_butter_in_the_basket",  # noqa: E501
                  "put both the cream cheese box and the butter in the basket",
                  _living_room_2(("cream_cheese", "butter", "basket")),
                  (Pred("in", "cream_cheese", "basket_contain_region"),
                   Pred("in", "butter", "basket_contain_region")),
                  pick("cream_cheese", 0.011) + place("basket", 0.05, (0.0, -0.03))
                  + pick("butter", 0.011) + place("basket", 0.05, (0.0, 0.03)),
                  MAX_STEPS))
    # 2
    ks3 = _scene("KITCHEN_SCENE3", _KITCHEN, (A.flat_stove((0.12, -0.05)),), (
        A.moka_pot("moka_pot", (-0.1, 0.2)),
        A.frypan((0.15, 0.3)),
    ), ("moka_pot",))
    t.append(Task(SUITE, 2, "KITCHEN_SCENE3_turn_on_the_stove_and_put_the_moka_pot_on_it",
                  "turn on the stove and put the moka pot on it", ks3,
                  (Pred("turnon", "stove_knob"), Pred("on", "moka_pot", "stove_cook_region")),
                  stove_knob_push() + pick("moka_pot", 0.07)
                  + place("stove", 0.07 + 0.07 + 0.015, (0.0, 0.05)),
                  MAX_STEPS))
    # 3
    ks4 = _scene("KITCHEN_SCENE4", _KITCHEN, (
        A.cabinet((0.14, -0.2), bottom_open=-0.15), A.wine_rack((0.25, 0.25)),
    ), (
        A.black_bowl((-0.08, 0.12)),
        A.wine_bottle((0.05, 0.32)),
    ), ("black_bowl",))
    t.append(Task(SUITE, 3, "KITCHEN_SCENE4_put_the_black_bowl_in_the_bottom_drawer_of_the_cabinet_and_close_it",  # noqa: E501
                  "put the black bowl in the bottom drawer of the cabinet and close it", ks4,
                  (Pred("in", "black_bowl", "bottom_drawer_region"),
                   Pred("close", "bottom_drawer_slide")),
                  pick("black_bowl", 0.02, (-0.0495, 0.0), yaw=math.pi / 2, yaw_rel=False)
                  + place("cabinet/bottom_drawer", 0.05, (-0.03 - 0.0495, 0.0), yaw=math.pi / 2)
                  + (Stage("cabinet", (-0.32, 0.0, 0.15), 1.0, z_abs=True, tol=0.02, max_steps=60),)
                  + path("cabinet", ((-0.32, 0.0, 0.04), (-0.2, 0.0, 0.04), (-0.105, 0.0, 0.04)),
                         tol=0.008, max_steps=40)
                  + (Stage("cabinet", (-0.3, 0.0, 0.2), -1.0, z_abs=True, tol=0.03, max_steps=30),),
                  MAX_STEPS, {"bottom_drawer_slide": (-0.15, 0.005)}))
    # 4
    lr5 = _scene("LIVING_ROOM_SCENE5", _LIVING, (), (
        A.plate("plate_left", (0.14, -0.17)),
        A.plate("plate_right", (0.14, 0.17)),
        A.mug("white_mug", (0.95, 0.95, 0.95, 1), (-0.06, -0.08)),
        A.mug("yellow_white_mug", (0.95, 0.95, 0.9, 1), (-0.06, 0.1), band=(0.95, 0.8, 0.1, 1)),
        A.mug("red_coffee_mug", (0.7, 0.1, 0.1, 1), (0.27, 0.0)),
    ), ("white_mug", "yellow_white_mug", "plate_left", "plate_right"))
    t.append(Task(SUITE, 4, "LIVING_ROOM_SCENE5_put_the_white_mug_on_the_left_plate_and_put_the_yellow_and_white_mug_on_the_right_plate",  # noqa: E501
                  "put the white mug on the left plate and put the yellow and white mug on the right plate",  # noqa: E501
                  lr5,
                  (Pred("on", "white_mug", "plate_left"), Pred("on", "yellow_white_mug", "plate_right")),  # noqa: E501
                  pick("white_mug", 0.045) + place("plate_left", 0.019 + 0.045 + 0.012)
                  + pick("yellow_white_mug", 0.045) + place("plate_right", 0.019 + 0.045 + 0.012),
                  MAX_STEPS))
    # 5
    ss1 = _scene("STUDY_SCENE1", _STUDY, (A.desk_caddy((0.12, 0.08)),), (
        A.book((-0.08, -0.12)),
        A.mug("white_yellow_mug", (0.95, 0.95, 0.9, 1), (0.15, -0.25), band=(0.95, 0.8, 0.1, 1)),
    ), ("book",))
    t.append(Task(SUITE, 5, "STUDY_SCENE1_pick_up_the_book_and_place_it_in_the_back_compartment_of_the_caddy",  # noqa: E501
                  "pick up the book and place it in the back compartment of the caddy", ss1,
                  (Pred("in", "book", "desk_caddy_back_contain_region"),),
                  pick("book", 0.065, yaw=math.pi / 2, lift_z=0.3)
                  + place("desk_caddy", 0.008 + 0.065 + 0.02, (0.03775, 0.0), yaw=math.pi / 2,
                          carry_z=0.3),
                  MAX_STEPS))
    # 6
    lr6 = _scene("LIVING_ROOM_SCENE6", _LIVING, (A.table_region("plate_right_region",
                                                                (0.14, 0.14), (0.05, 0.05)),), (
        A.plate("plate", (0.14, -0.04)),
        A.mug("white_mug", (0.95, 0.95, 0.95, 1), (-0.05, -0.16)),
        A.chocolate_pudding((-0.07, 0.16)),
        A.mug("red_coffee_mug", (0.7, 0.1, 0.1, 1), (0.26, -0.25)),
    ), ("white_mug", "chocolate_pudding", "plate"))
    t.append(Task(SUITE, 6, "LIVING_ROOM_SCENE6_put_the_white_mug_on_the_plate_and_put_the_chocolate_pudding_to_the_right_of_the_plate",  # noqa: E501
                  "put the white mug on the plate and put the chocolate pudding to the right of the plate",  # noqa: E501
                  lr6,
                  (Pred("on", "white_mug", "plate"),
                   Pred("on", "chocolate_pudding", "plate_right_region")),
                  pick("white_mug", 0.045) + place("plate", 0.019 + 0.045 + 0.012)
                  + pick("chocolate_pudding", 0.013) + place("plate_right_region", 0.03, carry_z=0.15),  # noqa: E501
                  MAX_STEPS))
    # 7
    lr1 = _scene("LIVING_ROOM_SCENE1", _LIVING, (), (
        A.basket((0.06, 0.2)),
        A.alphabet_soup((-0.03, -0.12)),
        A.cream_cheese((0.12, -0.02)),
        A.tomato_sauce((0.22, -0.2)),
        A.ketchup((0.24, 0.05)),
    ), ("alphabet_soup", "cream_cheese", "basket"))
    t.append(Task(SUITE, 7, "LIVING_ROOM_SCENE1_put_both_the_alphabet_soup_and_the_cream_cheese_box_in_the_basket",  # noqa: E501
                  "put both the alphabet soup and the cream cheese box in the basket", lr1,
                  (Pred("in", "alphabet_soup", "basket_contain_region"),
                   Pred("in", "cream_cheese", "basket_contain_region")),
                  pick("alphabet_soup", 0.025) + place("basket", 0.075, (0.0, -0.035))
                  + pick("cream_cheese", 0.011) + place("basket", 0.05, (0.0, 0.035)),
                  MAX_STEPS))
    # 8
    ks8 = _scene("KITCHEN_SCENE8", _KITCHEN, (A.flat_stove((0.12, 0.0), knob_init=1.0),), (
        A.moka_pot("moka_pot_1", (-0.12, 0.22)),
        A.moka_pot("moka_pot_2", (-0.12, -0.2)),
    ), ("moka_pot_1", "moka_pot_2"))
    t.append(Task(SUITE, 8, "KITCHEN_SCENE8_put_both_moka_pots_on_the_stove",
                  "put both moka pots on the stove", ks8,
                  (Pred("on", "moka_pot_1", "stove_cook_region"),
                   Pred("on", "moka_pot_2", "stove_cook_region"),
                   Pred("turnon", "stove_knob")),  # LIBERO's goal: the stove stays on
                  pick("moka_pot_1", 0.07) + place("stove", 0.155, (0.0, 0.07))
                  + pick("moka_pot_2", 0.07) + place("stove", 0.155, (0.0, -0.05)),
                  MAX_STEPS, {"stove_knob": (1.0, 0.0)}))
    # 9
    ks6 = _scene("KITCHEN_SCENE6", _KITCHEN, (A.microwave((0.16, 0.12), door_init=-1.9),), (
        A.mug("yellow_white_mug", (0.95, 0.95, 0.9, 1), (-0.08, -0.2), band=(0.95, 0.8, 0.1, 1)),
    ), ("yellow_white_mug",))
    t.append(Task(SUITE, 9, "KITCHEN_SCENE6_put_the_yellow_and_white_mug_in_the_microwave_and_close_it",  # noqa: E501
                  "put the yellow and white mug in the microwave and close it", ks6,
                  (Pred("in", "yellow_white_mug", "microwave_heating_region"),
                   Pred("close", "microwave_door")),
                  pick("yellow_white_mug", 0.045)
                  + (Stage("microwave", (-0.32, 0.0, CARRY_Z), 1.0, z_abs=True, tol=0.02,
                           max_steps=80),
                     Stage("microwave", (-0.32, 0.0, 0.075), 1.0, z_abs=True, tol=0.01),
                     Stage("microwave", (-0.02, 0.0, 0.075), 1.0, z_abs=True, tol=0.01),
                     Stage("microwave", (-0.02, 0.0, 0.075), -1.0, z_abs=True, tol=1.0,
                           min_steps=6, max_steps=6),
                     Stage("microwave", (-0.34, 0.0, 0.075), -1.0, z_abs=True, tol=0.015))
                  + _microwave_door_close(),
                  MAX_STEPS, {"microwave_door": (-1.9, 0.05)}))
    return t


TASKS: tuple[Task, ...] = tuple(_tasks())
