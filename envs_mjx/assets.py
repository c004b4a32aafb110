"""Catalogue of LIBERO objects and fixtures built from primitives.

Sizes follow the approximate collision sizes of LIBERO's object assets. Deviations, all so
that the 8 cm Panda gripper can hold things with box-box contacts:

* cans/bottles are boxes for collision, drawn as cylinders;
* mugs and moka pots are 7 cm wide solid boxes (LIBERO grasps them by handle or rim);
* basket walls are 9 cm tall; bowls and baskets are hollow (floor + 4 walls) so a bowl can be
  pinched by its wall like LIBERO's demonstrations do.

Body origins of objects are at their bottom centre. Fixture regions carry the names the goal
predicates use (e.g. ``basket_contain_region``, ``stove_cook_region``).
"""

from __future__ import annotations

import dataclasses
import math

from envs_mjx.scene import Fixture, Geom, Joint, ObjectSpec, Part, Region

Rgba = tuple[float, float, float, float]


def _box(name: str, half: tuple[float, float, float], rgba: Rgba, mass: float,
         xy: tuple[float, float], yaw: float = 0.0, jitter: float = 0.02) -> ObjectSpec:
    return ObjectSpec(
        name=name,
        geoms=(Geom("box", half, (0.0, 0.0, half[2]), rgba),),
        mass=mass, init_xy=xy, init_yaw=yaw, init_jitter=(jitter, jitter),
    )


def _cylinder(name: str, radius: float, half_h: float, rgba: Rgba, mass: float,
              xy: tuple[float, float], label: Rgba | None = None) -> ObjectSpec:
    geoms = [
        Geom("box", (radius * 0.9, radius * 0.9, half_h), (0.0, 0.0, half_h), (0, 0, 0, 0)),
        Geom("cylinder", (radius, half_h), (0.0, 0.0, half_h), rgba, role="visual"),
    ]
    if label is not None:
        geoms.append(Geom("cylinder", (radius * 1.02, half_h * 0.45), (0, 0, half_h), label,
                          role="visual"))
    return ObjectSpec(name=name, geoms=tuple(geoms), mass=mass, init_xy=xy)


def _hollow(name: str, half: tuple[float, float, float], wall: float, rgba: Rgba, mass: float,
            xy: tuple[float, float], region_name: str | None = None,
            floor: float | None = None) -> ObjectSpec:
    hx, hy, hz = half
    floor = wall if floor is None else floor
    geoms = (
        Geom("box", (hx, hy, floor / 2), (0, 0, floor / 2), rgba, role="base"),
        Geom("box", (wall / 2, hy, hz), (hx - wall / 2, 0, hz), rgba, role="body"),
        Geom("box", (wall / 2, hy, hz), (-hx + wall / 2, 0, hz), rgba, role="body"),
        Geom("box", (hx - wall, wall / 2, hz), (0, hy - wall / 2, hz), rgba, role="body"),
        Geom("box", (hx - wall, wall / 2, hz), (0, -hy + wall / 2, hz), rgba, role="body"),
    )
    regions = ()
    if region_name:
        regions = (Region(region_name, name, (0.0, 0.0, hz), (hx - wall, hy - wall, hz + 0.02)),)
    return ObjectSpec(name=name, geoms=geoms, mass=mass, init_xy=xy, regions=regions)


# --- objects ---------------------------------------------------------------------------------

def alphabet_soup(xy): return _cylinder("alphabet_soup", 0.031, 0.038, (0.75, 0.1, 0.1, 1), 0.25, xy, (0.95, 0.9, 0.6, 1))  # noqa: E501,E704
def tomato_sauce(xy): return _cylinder("tomato_sauce", 0.031, 0.038, (0.85, 0.25, 0.1, 1), 0.25, xy, (0.2, 0.6, 0.2, 1))  # noqa: E501,E704
def cream_cheese(xy): return _box("cream_cheese", (0.0405, 0.0215, 0.009), (0.85, 0.85, 0.95, 1), 0.1, xy)  # noqa: E501,E704
def butter(xy): return _box("butter", (0.038, 0.02, 0.0085), (0.95, 0.9, 0.35, 1), 0.1, xy)  # noqa: E704
def chocolate_pudding(xy): return _box("chocolate_pudding", (0.04, 0.023, 0.0135), (0.4, 0.22, 0.1, 1), 0.1, xy)  # noqa: E501,E704
def ketchup(xy): return _box("ketchup", (0.028, 0.0185, 0.073), (0.8, 0.05, 0.05, 1), 0.3, xy)  # noqa: E704
def milk(xy): return _box("milk", (0.0265, 0.0265, 0.0655), (0.95, 0.95, 0.95, 1), 0.3, xy)  # noqa: E704
def orange_juice(xy): return _box("orange_juice", (0.0265, 0.0265, 0.0655), (1.0, 0.6, 0.1, 1), 0.3, xy)  # noqa: E501,E704
def wine_bottle(xy): return _cylinder("wine_bottle", 0.0215, 0.0785, (0.2, 0.35, 0.15, 1), 0.3, xy)  # noqa: E501,E704
def plate(name, xy): return _box(name, (0.069, 0.0685, 0.0095), (0.95, 0.95, 0.92, 1), 0.3, xy)  # noqa: E501,E704
def bbq_sauce(xy): return _box("bbq_sauce", (0.029, 0.02, 0.07), (0.35, 0.12, 0.06, 1), 0.3, xy)  # noqa: E501,E704
def salad_dressing(xy): return _cylinder("salad_dressing", 0.025, 0.075, (0.85, 0.8, 0.55, 1), 0.3, xy, (0.2, 0.5, 0.2, 1))  # noqa: E501,E704
def ramekin(xy): return _cylinder("ramekin", 0.0445, 0.021, (0.93, 0.92, 0.88, 1), 0.2, xy)  # noqa: E501,E704
def frypan(xy): return _box("frypan", (0.09, 0.09, 0.02), (0.15, 0.15, 0.15, 1), 0.5, xy)  # noqa: E704


def basket(xy): return _hollow("basket", (0.085, 0.0785, 0.045), 0.008, (0.6, 0.45, 0.25, 1), 0.6, xy, "basket_contain_region")  # noqa: E501,E704
def black_bowl(xy, name="black_bowl", wall=0.008, mass=0.2): return _hollow(name, (0.0535, 0.0535, 0.0255), wall, (0.12, 0.12, 0.13, 1), mass, xy, floor=0.008)  # noqa: E501,E704


def cookie_box(xy) -> ObjectSpec:
    """A flat cookie box with a printed lid: 8.4 x 6.1 x 2.0 cm (x, y, z), LIBERO's ``cookies``
    as it stands in libero_spatial (its mesh's extent at LIBERO's placement yaw)."""
    return ObjectSpec(
        name="cookie_box",
        geoms=(Geom("box", (0.042, 0.0305, 0.01), (0, 0, 0.01), (0.85, 0.55, 0.2, 1)),
               Geom("box", (0.0425, 0.022, 0.002), (0, 0, 0.0185), (0.35, 0.15, 0.1, 1),
                    role="visual")),
        mass=0.2, init_xy=xy, yaw_jitter=0.05,
    )


AKITA_BOWL_HALF = 0.0535  # half width of the black bowl [m]
AKITA_BOWL_WALL = 0.02  # wall of the libero_spatial/goal bowl (see akita_black_bowl)


def akita_black_bowl(xy, name: str = "black_bowl") -> ObjectSpec:
    """The black bowl of libero_spatial / libero_goal: libero_10's bowl with 1.6 cm walls
    (0.8 cm floor).

    A thicker wall makes the closed fingers' position servos squeeze harder (they stop further
    from their target), so the bowl survives the long carries of these suites when held by one
    wall. Sampled +/- 1 cm; keeps 5.35 cm (its round footprint) from other objects.
    """
    bowl = black_bowl(xy, name, AKITA_BOWL_WALL, 0.2)
    return dataclasses.replace(bowl, init_jitter=(0.01, 0.01), footprint=AKITA_BOWL_HALF)


def round_plate(name: str, xy) -> ObjectSpec:
    """The plate of libero_spatial / libero_goal: sampled +/- 1 cm (LIBERO's region size) and
    kept 6.9 cm (its round footprint) from other objects."""
    return dataclasses.replace(plate(name, xy), init_jitter=(0.01, 0.01), footprint=0.069)


def mug(name: str, rgba: Rgba, xy, band: Rgba | None = None) -> ObjectSpec:
    """A 7 x 7 x 9 cm mug (solid collision box) with a drawn handle."""
    geoms = [
        Geom("box", (0.035, 0.035, 0.045), (0, 0, 0.045), rgba),
        Geom("box", (0.008, 0.012, 0.025), (-0.043, 0, 0.05), rgba, role="visual"),
    ]
    if band is not None:
        geoms.append(Geom("box", (0.0355, 0.0355, 0.012), (0, 0, 0.06), band, role="visual"))
    return ObjectSpec(name=name, geoms=tuple(geoms), mass=0.2, init_xy=xy)


def moka_pot(name: str, xy) -> ObjectSpec:
    """A 7 x 7 x 15 cm moka pot (octagonal in LIBERO) with a drawn handle and lid."""
    c = (0.6, 0.6, 0.62, 1.0)
    return ObjectSpec(
        name=name,
        geoms=(
            Geom("box", (0.035, 0.035, 0.065), (0, 0, 0.065), c),
            Geom("box", (0.03, 0.008, 0.01), (0, 0, 0.14), (0.1, 0.1, 0.1, 1), role="visual"),
            Geom("box", (0.008, 0.012, 0.035), (-0.045, 0, 0.08), (0.1, 0.1, 0.1, 1),
                 role="visual"),
        ),
        mass=0.3, init_xy=xy,
    )


def book(xy) -> ObjectSpec:
    """A standing black book, thin along x (2.9 cm), 11 cm wide, 13.4 cm tall."""
    return ObjectSpec(
        name="book",
        geoms=(Geom("box", (0.0145, 0.055, 0.067), (0, 0, 0.067), (0.1, 0.1, 0.11, 1)),
               Geom("box", (0.0150, 0.05, 0.06), (0, 0, 0.067), (0.9, 0.9, 0.85, 1),
                    role="visual")),
        mass=0.15, init_xy=xy, yaw_jitter=0.05,
    )


# --- fixtures ------------------------------------------------------------------------------

WOOD: Rgba = (0.55, 0.38, 0.22, 1.0)
METAL: Rgba = (0.25, 0.25, 0.27, 1.0)


# the flat stove is on while its knob's qpos >= this [rad] (LIBERO's turn-on range 0.5 .. 2.1)
KNOB_ON = 0.5
# LIBERO's burner: a red disc (site ``burner``, radius 0.0625) shown only while the stove is on
BURNER_ON_RGBA: Rgba = (0.9, 0.05, 0.05, 1.0)
BURNER_OFF_RGBA: Rgba = (0.12, 0.12, 0.13, 1.0)


def flat_stove(pos: tuple[float, float, float], knob_init: float = 0.0) -> Fixture:
    """A flat stove (0.297 x 0.19 x 0.07) with a lever knob (hinge, on when qpos >=
    :data:`KNOB_ON`; range -0.005 .. 2.1 rad as LIBERO's) and one burner at its centre that
    the renderer draws red while the stove is on and dark while it is off (LIBERO's).

    The knob sits at the front-right corner (toward the robot); pushing its lever toward -y turns
    it on. Region ``stove_cook_region`` covers the burner top.
    """
    hx, hy, hz = 0.095, 0.1485, 0.035
    return Fixture(
        name="stove", pos=pos,
        parts=(
            Part("body", (0, 0, 0), (
                Geom("box", (hx, hy, hz), (0, 0, hz), (0.2, 0.2, 0.22, 1)),
                Geom("cylinder", (0.0625, 0.002), (0.0, 0.0, 2 * hz), BURNER_OFF_RGBA,
                     role="visual", lit=("stove_knob", KNOB_ON, BURNER_ON_RGBA)),
            )),
            Part("knob", (-hx - 0.012, -hy + 0.03, hz), (
                Geom("cylinder", (0.012, 0.012), (0, 0, 0), (0.8, 0.8, 0.8, 1), role="visual"),
                Geom("box", (0.03, 0.008, 0.014), (-0.03, 0, 0.0), (0.85, 0.1, 0.1, 1),
                     role="handle"),
            ), joint=Joint("stove_knob", "hinge", (0, 0, 1), (-0.005, 2.1), knob_init, 0.2, 0.05),
                 mass=0.05),
        ),
        regions=(Region("stove_cook_region", "stove/body", (0, 0, 2 * hz + 0.05),
                        (hx, hy, 0.05)),),
    )


DRAWER_RGBA: Rgba = (0.62, 0.45, 0.28, 1.0)


def _drawer(fixture: str, name: str, z0: float, init: float, dx: float, dy: float, dh: float,
            front_h: float, handle: tuple[Geom, ...],
            rgba: Rgba = DRAWER_RGBA) -> tuple[Part, Region]:
    """A drawer (floor, front panel, back and side walls) sliding along the fixture's x axis.

    ``front_h`` is the front panel's half height; ``handle`` geoms are appended. Its region
    ``<name>_region`` covers the inside and moves with the drawer.
    """
    geoms = (
        Geom("box", (dx, dy, 0.004), (0, 0, 0.004), rgba, role="body"),
        Geom("box", (0.006, dy, front_h), (-dx - 0.006, 0, front_h), rgba, role="handle"),
        Geom("box", (0.004, dy, dh), (dx - 0.004, 0, dh), rgba, role="body"),
        Geom("box", (dx, 0.004, dh), (0, dy - 0.004, dh), rgba, role="body"),
        Geom("box", (dx, 0.004, dh), (0, -dy + 0.004, dh), rgba, role="body"),
    ) + handle
    part = Part(name, (0.0, 0.0, z0), geoms,
                Joint(f"{name}_slide", "slide", (1, 0, 0), (-0.16, 0.01), init, 8.0, 0.5))
    region = Region(f"{name}_region", f"{fixture}/{name}", (0, 0, dh),
                    (dx - 0.008, dy - 0.008, dh + 0.01))
    return part, region


def cabinet(pos: tuple[float, float, float], bottom_open: float = 0.0,
            top_open: float = 0.0) -> Fixture:
    """A 2-drawer white cabinet facing the robot (-x). Drawer slide qpos < 0 is open.

    Regions: ``bottom_drawer_region`` / ``top_drawer_region`` move with the drawers.
    """
    hx, hy, hz = 0.11, 0.13, 0.109
    w = 0.01
    white = (0.9, 0.9, 0.88, 1.0)
    shell = (
        Geom("box", (hx, hy, w / 2), (0, 0, 2 * hz - w / 2), white),
        Geom("box", (hx, hy, w / 2), (0, 0, w / 2), white),
        Geom("box", (hx, w / 2, hz), (0, hy - w / 2, hz), white),
        Geom("box", (hx, w / 2, hz), (0, -hy + w / 2, hz), white),
        Geom("box", (w / 2, hy, hz), (hx - w / 2, 0, hz), white),
        Geom("box", (hx, hy, w / 2), (0, 0, hz), white),
    )
    dx, dy, dh = hx - 0.012, hy - 0.014, 0.035

    def drawer(name: str, z0: float, init: float) -> tuple[Part, Region]:
        tab = Geom("box", (0.01, 0.03, 0.006), (-dx - 0.02, 0, dh + 0.01), METAL, role="handle")
        return _drawer("cabinet", name, z0, init, dx, dy, dh, dh + 0.01, (tab,),
                       (0.85, 0.85, 0.83, 1.0))

    bottom, rb = drawer("bottom_drawer", w + 0.002, bottom_open)
    top, rt = drawer("top_drawer", hz + w / 2 + 0.002, top_open)
    return Fixture("cabinet", pos, (Part("shell", (0, 0, 0), shell), bottom, top),
                   regions=(rb, rt))


# wooden cabinet (libero_spatial / libero_goal): 3 drawers, a top you can put things on
WOODEN_CABINET_HALF = (0.10, 0.12, 0.12)  # shell half extents (x depth, y width, z height)
WOODEN_CABINET_SLAB = 0.01  # wall / top / divider thickness
WOODEN_DRAWERS = ("bottom_drawer", "middle_drawer", "top_drawer")
WOODEN_DRAWER_HANDLE_X = 0.04  # handle bar centre in front of the drawer box [m]
WOODEN_DRAWER_HANDLE_HALF = 0.04  # handle bar half length along the drawer's width [m]


def wooden_cabinet_drawer_z(name: str) -> float:
    """Height of a wooden-cabinet drawer's origin (its floor's underside) above the table."""
    hz, w = WOODEN_CABINET_HALF[2], WOODEN_CABINET_SLAB
    k = WOODEN_DRAWERS.index(name)
    return (w if k == 0 else k * 2 * hz / len(WOODEN_DRAWERS) + w / 2) + 0.002


def wooden_cabinet(pos: tuple[float, ...], yaw: float = 0.0,
                   drawer_open: dict[str, float] | None = None) -> Fixture:
    """LIBERO's wooden cabinet: 0.20 x 0.24 x 0.24 m, three drawers facing -x (before ``yaw``).

    Joints ``<drawer>_slide`` for ``bottom_drawer``, ``middle_drawer``, ``top_drawer`` (qpos < 0
    is open; -0.16 .. 0.01). Each drawer has a handle bar standing 2.3 cm off its front panel
    so the gripper can grasp it and pull. The top slab is its own part (``wooden_cabinet/top``)
    carrying the region ``wooden_cabinet_top_side`` (LIBERO's ``top_side``); drawer regions
    are ``<drawer>_region``.
    """
    hx, hy, hz = WOODEN_CABINET_HALF
    w = WOODEN_CABINET_SLAB
    n = len(WOODEN_DRAWERS)
    shell = [
        Geom("box", (hx, hy, w / 2), (0, 0, w / 2), WOOD),
        Geom("box", (hx, w / 2, hz), (0, hy - w / 2, hz), WOOD),
        Geom("box", (hx, w / 2, hz), (0, -hy + w / 2, hz), WOOD),
        Geom("box", (w / 2, hy, hz), (hx - w / 2, 0, hz), WOOD),
    ]
    shell += [Geom("box", (hx, hy, w / 2), (0, 0, k * 2 * hz / n), WOOD) for k in range(1, n)]
    top = Part("top", (0.0, 0.0, 2 * hz - w / 2), (Geom("box", (hx, hy, w / 2), (0, 0, 0), WOOD),))
    dx, dy, dh = hx - 0.012, hy - 0.014, 0.025
    slot = 2 * hz / n - w
    front_h = slot / 2 - 0.003
    hb = WOODEN_DRAWER_HANDLE_X
    parts, regions = [Part("shell", (0, 0, 0), tuple(shell)), top], []
    for name in WOODEN_DRAWERS:
        handle = (
            Geom("box", (0.005, WOODEN_DRAWER_HANDLE_HALF, 0.006), (-dx - hb, 0, front_h), METAL,
                 role="handle"),
            Geom("box", (0.012, 0.004, 0.004), (-dx - 0.024, 0.036, front_h), METAL,
                 role="visual"),
            Geom("box", (0.012, 0.004, 0.004), (-dx - 0.024, -0.036, front_h), METAL,
                 role="visual"),
        )
        init = (drawer_open or {}).get(name, 0.0)
        part, region = _drawer("wooden_cabinet", name, wooden_cabinet_drawer_z(name), init,
                               dx, dy, dh, front_h, handle)
        parts.append(part)
        regions.append(region)
    regions.append(Region("wooden_cabinet_top_side", "wooden_cabinet/top", (0, 0, w / 2 + 0.05),
                          (hx - 0.01, hy - 0.01, 0.05)))
    return Fixture("wooden_cabinet", pos, tuple(parts), yaw, tuple(regions))


def microwave(pos: tuple[float, float, float], door_init: float = 0.0) -> Fixture:
    """A microwave (0.345 x 0.263 x 0.188) open toward the robot with a hinged door.

    The hinge is at the front +y edge; qpos 0 is closed, negative opens toward the robot
    (range -2.094 .. 0). Region ``microwave_heating_region`` is the cavity.
    """
    hx, hy, hz = 0.13, 0.1725, 0.094
    w = 0.01
    grey = (0.85, 0.85, 0.87, 1.0)
    shell = (
        Geom("box", (hx, hy, w / 2), (0, 0, w / 2), grey),
        Geom("box", (hx, hy, w / 2), (0, 0, 2 * hz - w / 2), grey),
        Geom("box", (hx, w / 2, hz), (0, hy - w / 2, hz), grey),
        Geom("box", (hx, w / 2, hz), (0, -hy + w / 2, hz), grey),
        Geom("box", (w / 2, hy, hz), (hx - w / 2, 0, hz), grey),
    )
    dy = hy - 0.005
    door = Part("door", (-hx - 0.008, hy, 0.0), (
        Geom("box", (0.008, dy, hz), (0, -dy, hz), (0.15, 0.15, 0.17, 1), role="handle"),
        Geom("box", (0.012, 0.01, 0.05), (-0.02, -2 * dy + 0.03, hz), METAL, role="handle"),
    ), joint=Joint("microwave_door", "hinge", (0, 0, 1), (-2.094, 0.0), door_init, 0.3, 0.02),
        mass=0.3)
    return Fixture("microwave", pos, (Part("shell", (0, 0, 0), shell), door), regions=(
        Region("microwave_heating_region", "microwave/shell", (0, 0, hz),
               (hx - w, hy - w, hz - w)),))


DESK_CADDY_HALF = (0.0755, 0.217, 0.06)
DESK_CADDY_BACK_X = DESK_CADDY_HALF[0] / 2  # back compartment's centre along the caddy's x
# LIBERO's back_contain_region spans only the middle 12.4 cm of the caddy's length (its ends
# are the left/right compartments): half length 0.062 m (desk_caddy.xml)
DESK_CADDY_BACK_HALF_Y = 0.062


def desk_caddy(pos: tuple[float, float, float]) -> Fixture:
    """A desk caddy (0.151 x 0.434 x 0.167) with a front and a back compartment (along x, the
    back one at +x). The back compartment's region is LIBERO's: its middle 12.4 cm."""
    hx, hy, hz = DESK_CADDY_HALF
    w = 0.008
    c = (0.35, 0.25, 0.2, 1.0)
    geoms = (
        Geom("box", (hx, hy, w / 2), (0, 0, w / 2), c),
        Geom("box", (w / 2, hy, hz), (hx - w / 2, 0, hz), c),
        Geom("box", (w / 2, hy, hz * 0.7), (-hx + w / 2, 0, hz * 0.7), c),
        Geom("box", (w / 2, hy, hz), (0, 0, hz), c),
        Geom("box", (hx, w / 2, hz), (0, hy - w / 2, hz), c),
        Geom("box", (hx, w / 2, hz), (0, -hy + w / 2, hz), c),
    )
    half_in = (hx / 2 - w, hy - w, hz)
    return Fixture("desk_caddy", pos, (Part("body", (0, 0, 0), geoms),), regions=(
        Region("desk_caddy_back_contain_region", "desk_caddy/body", (DESK_CADDY_BACK_X, 0, hz),
               (half_in[0], DESK_CADDY_BACK_HALF_Y, half_in[2])),
        Region("desk_caddy_front_contain_region", "desk_caddy/body", (-hx / 2, 0, hz), half_in),
    ))


def wine_rack(pos: tuple[float, ...], cradle: bool = False) -> Fixture:
    """A simple static wine rack (drawn and solid).

    With ``cradle`` its middle holds one upright bottle in a 9 x 9 cm slot (LIBERO's rack holds
    bottles lying down) with the region ``wine_rack_top_region`` over the slot floor.
    """
    geoms = [
        Geom("box", (0.06, 0.12, 0.005), (0, 0, 0.005), WOOD),
        Geom("box", (0.06, 0.005, 0.06), (0, 0.115, 0.06), WOOD),
        Geom("box", (0.06, 0.005, 0.06), (0, -0.115, 0.06), WOOD),
    ]
    regions: tuple[Region, ...] = ()
    if cradle:
        c, t, h = 0.045, 0.004, 0.03
        geoms += [
            Geom("box", (t, c + t, h), (c + t, 0, 0.01 + h), WOOD, role="body"),
            Geom("box", (t, c + t, h), (-c - t, 0, 0.01 + h), WOOD, role="body"),
            Geom("box", (c, t, h), (0, c + t, 0.01 + h), WOOD, role="body"),
            Geom("box", (c, t, h), (0, -c - t, 0.01 + h), WOOD, role="body"),
        ]
        regions = (Region("wine_rack_top_region", "wine_rack/body", (0, 0, 0.06),
                          (c, c, 0.05)),)
    else:
        geoms.append(Geom("box", (0.06, 0.12, 0.005), (0, 0, 0.08), WOOD, role="visual"))
    return Fixture("wine_rack", pos, (Part("body", (0, 0, 0), tuple(geoms)),), regions=regions)


def table_region(name: str, xy: tuple[float, float], half_xy: tuple[float, float]) -> Fixture:
    """A flat goal region on the table (no geometry), e.g. right of a plate."""
    return Fixture(name, (xy[0], xy[1], 0.0), (), regions=(
        Region(name, "world", (xy[0], xy[1], 0.0), (half_xy[0], half_xy[1], 0.05)),))


def deg(x: float) -> float:
    return math.radians(x)
