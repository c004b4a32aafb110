"""The port's body, joint and region names mapped to LIBERO's BDDL names.

The port's scenes name objects by what they are (``black_bowl``, ``stove``, ``plate_left``);
LIBERO's BDDL files by category and instance (``akita_black_bowl_1``, ``flat_stove_1``,
``plate_1``). :func:`to_bddl` translates one name; :func:`port_goal` writes a port task's goal
in BDDL form, so it can be compared with :func:`envs_mjx.libero_data.task_data` directly.
LIBERO's ``Open``/``Close`` take a cabinet drawer *region* (``wooden_cabinet_1_top_region``) or
the microwave itself; ``Turnon`` the stove itself.
"""

from __future__ import annotations

from envs_mjx.libero_import import FIXTURE_JOINTS
from envs_mjx.tasks import Task

_GROCERIES = ("alphabet_soup", "cream_cheese", "salad_dressing", "bbq_sauce", "ketchup",
              "tomato_sauce", "butter", "milk", "chocolate_pudding", "orange_juice")

PORT_TO_BDDL: dict[str, str] = {
    **{g: f"{g}_1" for g in _GROCERIES},
    # objects
    "basket": "basket_1",
    "black_bowl": "akita_black_bowl_1",
    "black_bowl_1": "akita_black_bowl_1",
    "black_bowl_2": "akita_black_bowl_2",
    "plate": "plate_1",
    "plate_left": "plate_1",
    "plate_right": "plate_2",
    "white_mug": "porcelain_mug_1",
    "yellow_white_mug": "white_yellow_mug_1",
    "white_yellow_mug": "white_yellow_mug_1",
    "red_coffee_mug": "red_coffee_mug_1",
    "book": "black_book_1",
    "frypan": "chefmate_8_frypan_1",
    "moka_pot": "moka_pot_1",
    "wine_bottle": "wine_bottle_1",
    "cookie_box": "cookies_1",
    "ramekin": "glazed_rim_porcelain_ramekin_1",
    # fixtures
    "stove": "flat_stove_1",
    "cabinet": "white_cabinet_1",
    "wooden_cabinet": "wooden_cabinet_1",
    "wine_rack": "wine_rack_1",
    "microwave": "microwave_1",
    "desk_caddy": "desk_caddy_1",
    # articulated joints, as LIBERO's predicates name them
    "stove_knob": "flat_stove_1",
    "microwave_door": "microwave_1",
    # regions
    "basket_contain_region": "basket_1_contain_region",
    "stove_cook_region": "flat_stove_1_cook_region",
    "desk_caddy_back_contain_region": "desk_caddy_1_back_contain_region",
    "microwave_heating_region": "microwave_1_heating_region",
    "wooden_cabinet_top_side": "wooden_cabinet_1_top_side",
    "wine_rack_top_region": "wine_rack_1_top_region",
    "plate_right_region": "living_room_table_plate_right_region",
    "stove_front_region": "main_table_stove_front_region",
}
# cabinet drawers: joint and region of the port -> LIBERO's drawer region
_CABINET_OF = {"libero_10": "white_cabinet_1"}
_DRAWERS = ("top", "middle", "bottom")
_KINDS = {"on": "On", "in": "In", "open": "Open", "close": "Close", "turnon": "Turnon",
          "turnoff": "Turnoff"}


def to_bddl(name: str, suite: str = "") -> str:
    """The BDDL name of a port body, joint or region (unchanged if it is already one)."""
    for d in _DRAWERS:
        if name in (f"{d}_drawer_slide", f"{d}_drawer_region"):
            return f"{_CABINET_OF.get(suite, 'wooden_cabinet_1')}_{d}_region"
    return PORT_TO_BDDL.get(name, name)


def libero_joint(fixture: str, joint: str, suite: str = "") -> tuple[str, int]:
    """``(BDDL fixture name, index)`` of a port fixture joint in LIBERO's state vector
    (cabinets: top, middle, bottom drawer; stove: knob; microwave: door).

    Raises:
      ValueError: the joint has no LIBERO counterpart.
    """
    bname = to_bddl(fixture, suite)
    for cat, labels in FIXTURE_JOINTS.items():
        if bname.startswith(cat):
            for k, label in enumerate(labels):
                if joint.startswith(label) or joint.endswith(label):
                    return bname, k
    raise ValueError(f"port joint {joint!r} of {fixture!r} has no LIBERO joint")


def port_goal(task: Task) -> tuple[tuple[str, ...], ...]:
    """The port task's goal predicates in BDDL form, e.g. ``("On", "moka_pot_1",
    "flat_stove_1_cook_region")``."""
    out = []
    for p in task.goal:
        args = (p.a, p.b) if p.b else (p.a,)
        out.append((_KINDS[p.kind],) + tuple(to_bddl(a, task.suite) for a in args))
    return tuple(out)


def port_objects(task: Task) -> tuple[str, ...]:
    """BDDL names of the port scene's movable objects, in scene order."""
    return tuple(to_bddl(o.name, task.suite) for o in task.scene.objects)


def port_fixtures(task: Task) -> tuple[str, ...]:
    """BDDL names of the port scene's fixtures that are furniture (not bare world regions)."""
    return tuple(to_bddl(f.name, task.suite) for f in task.scene.fixtures if f.parts)
