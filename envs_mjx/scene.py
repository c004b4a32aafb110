"""Scene description as data, compiled to MJCF with explicit contact pairs.

A scene is a table, the Panda, static *fixtures* (cabinet, stove, microwave, caddy; possibly with
articulated parts) and movable *objects* (free joints). Every geom is a primitive (box, sphere,
capsule, cylinder); collision geoms are boxes so that every pair is one MJX supports.

Contacts are explicit ``<pair>`` elements (all geoms have ``contype=conaffinity=0``):

* every object's ``base`` geoms x the table plane;
* finger pads x every object geom and every fixture ``handle`` geom, and x the table;
* ``contacts="full"`` (LIBERO-like; what ``EnvConfig()`` uses): the hand,
  the finger bodies and the wrist / forearm links (:data:`envs_mjx.panda.CONTACT_GEOMS`) x the
  table plane, every fixture and every object collision geom; every object x every other
  object and every fixture (knocking things over, pushing with the arm and blocked motions
  happen as in LIBERO);
* ``contacts="fast"`` (``build_mjcf``'s default and the ``"libero_fast"`` / ``"ik"`` dynamics;
  ~2x cheaper on CPU): instead of the last item, only each *active*
  object (named by the task) x every fixture and every other object, and each extra
  ``contacts`` pair ``(object, other)`` of the scene (an object, a fixture, or one fixture part
  ``"fixture/part"``); the arm links pass through everything.

Regions (goal areas) are boxes attached to a body, evaluated by :mod:`envs_mjx.predicates`.
"""

from __future__ import annotations

import dataclasses
import math
from typing import Literal

from envs_mjx import panda

GeomRole = Literal["base", "body", "visual", "handle"]


@dataclasses.dataclass(frozen=True)
class Geom:
    """A primitive in its body's frame.

    ``role``: ``base`` collides with the table and everything an object collides with; ``body``
    collides like ``base`` except with the table; ``handle`` (fixtures) is also touched by the
    fingers; ``visual`` never collides (drawn only). ``lit``: ``(joint, threshold, rgba)``: the
    renderer draws the geom in ``rgba`` while that fixture joint's qpos >= ``threshold`` (a
    stove's burner glowing while the stove is on; :meth:`SceneSpec.lit_geoms`).
    """

    type: Literal["box", "cylinder", "sphere", "capsule"]
    size: tuple[float, ...]
    pos: tuple[float, float, float] = (0.0, 0.0, 0.0)
    rgba: tuple[float, float, float, float] = (0.7, 0.7, 0.7, 1.0)
    role: GeomRole = "base"
    euler: tuple[float, float, float] = (0.0, 0.0, 0.0)
    lit: tuple[str, float, tuple[float, float, float, float]] | None = None


@dataclasses.dataclass(frozen=True)
class Joint:
    """A 1-DoF joint of an articulated fixture part."""

    name: str
    type: Literal["slide", "hinge"]
    axis: tuple[float, float, float]
    range: tuple[float, float]
    init: float = 0.0
    damping: float = 2.0
    frictionloss: float = 0.0


@dataclasses.dataclass(frozen=True)
class Part:
    """A body of a fixture; ``joint`` None means rigidly attached to the fixture."""

    name: str
    pos: tuple[float, float, float]
    geoms: tuple[Geom, ...]
    joint: Joint | None = None
    mass: float = 0.5


@dataclasses.dataclass(frozen=True)
class Region:
    """A goal box attached to body ``parent`` (a fixture part, object or ``world``).

    ``center`` is in the parent frame; ``half`` are the box half extents.
    """

    name: str
    parent: str
    center: tuple[float, float, float]
    half: tuple[float, float, float]


@dataclasses.dataclass(frozen=True)
class Fixture:
    """A static piece of furniture at ``pos`` with yaw ``yaw`` [rad]."""

    name: str
    pos: tuple[float, float, float]
    parts: tuple[Part, ...]
    yaw: float = 0.0
    regions: tuple[Region, ...] = ()


@dataclasses.dataclass(frozen=True)
class ObjectSpec:
    """A movable object (free joint). Body origin at its bottom centre.

    ``init_xy`` is the nominal table position, ``init_jitter`` the +/- range sampled for the
    fixed initial states, ``init_yaw`` the nominal yaw and ``yaw_jitter`` its +/- range.
    ``init_z`` is the height of the body origin above the table top (e.g. on a fixture); with
    ``init_on`` (an object listed earlier) ``init_xy`` is an offset from that object's sampled
    position and ``init_z`` is added to its resting height. ``footprint`` (m) overrides the
    radius used to keep objects apart when sampling (0 = the collision boxes' circumradius);
    stacked objects (``init_on`` or ``init_z > 0``) are not checked.
    """

    name: str
    geoms: tuple[Geom, ...]
    mass: float
    init_xy: tuple[float, float]
    init_jitter: tuple[float, float] = (0.02, 0.02)
    init_yaw: float = 0.0
    yaw_jitter: float = 0.1
    regions: tuple[Region, ...] = ()
    init_z: float = 0.0
    init_on: str = ""
    footprint: float = 0.0

    @property
    def height(self) -> float:
        return max(g.pos[2] + _half_height(g) for g in self.geoms)


@dataclasses.dataclass(frozen=True)
class SceneSpec:
    """Everything to build one MJCF world.

    ``contacts``: extra ``(object, object | fixture | "fixture/part")`` collision pairs (see the
    module docstring). ``has_table``: False for floor scenes (no table top or legs are drawn;
    the "table" plane is the floor at ``table_z``). ``table_xy``: the table's centre (LIBERO's
    study table stands at x = -0.2).
    """

    name: str
    table_z: float
    table_half: tuple[float, float]
    robot_base: tuple[float, float, float]
    agentview_pos: tuple[float, float, float]
    agentview_quat: tuple[float, float, float, float]
    fixtures: tuple[Fixture, ...]
    objects: tuple[ObjectSpec, ...]
    active: tuple[str, ...]
    table_rgba: tuple[float, float, float, float] = (0.55, 0.42, 0.30, 1.0)
    floor_rgba: tuple[float, float, float, float] = (0.45, 0.45, 0.47, 1.0)
    timestep: float = 0.005
    contacts: tuple[tuple[str, str], ...] = ()
    has_table: bool = True
    table_xy: tuple[float, float] = (0.0, 0.0)

    def object(self, name: str) -> ObjectSpec:
        for o in self.objects:
            if o.name == name:
                return o
        raise KeyError(f"scene {self.name!r} has no object {name!r}")

    def lit_geoms(self) -> tuple[tuple[str, str, float, tuple[float, float, float]], ...]:
        """``(geom name, joint name, threshold, rgb)`` of every geom with a ``lit`` colour, for
        :class:`envs_mjx.renderer.Renderer`."""
        out = []
        for f in self.fixtures:
            for p in f.parts:
                for i, g in enumerate(p.geoms):
                    if g.lit is not None:
                        joint, threshold, rgba = g.lit
                        name = fixture_geom_name(f.name, p.name, i)
                        out.append((name, joint, threshold, rgba[:3]))
        return tuple(out)

    def regions(self) -> tuple[Region, ...]:
        out: list[Region] = []
        for f in self.fixtures:
            out.extend(f.regions)
        for o in self.objects:
            out.extend(o.regions)
        return tuple(out)


def _half_height(g: Geom) -> float:
    if g.type == "box":
        return g.size[2]
    if g.type in ("cylinder", "capsule"):
        return g.size[1] + (g.size[0] if g.type == "capsule" else 0.0)
    return g.size[0]


# [deg] vertical field of view of ``agentview``: MuJoCo's default, as LIBERO's arena XML and
# ``set_camera`` give none
AGENTVIEW_FOVY = 45.0


def _fmt(v: tuple[float, ...]) -> str:
    return " ".join(f"{x:.6g}" for x in v)


def _geom_xml(name: str, g: Geom, friction: float = 1.0) -> str:
    group = 1 if g.role == "visual" else 0
    extra = f' euler="{_fmt(g.euler)}"' if any(g.euler) else ""
    return (
        f'<geom name="{name}" type="{g.type}" size="{_fmt(g.size)}" pos="{_fmt(g.pos)}"'
        f' rgba="{_fmt(g.rgba)}" group="{group}" contype="0" conaffinity="0"'
        f' friction="{friction} 0.01 0.001" condim="3"{extra}/>'
    )


def _yaw_quat(yaw: float) -> str:
    return f"{math.cos(yaw / 2):.9f} 0 0 {math.sin(yaw / 2):.9f}"


def fixture_geom_name(fixture: str, part: str, index: int) -> str:
    """The MJCF name of geom ``index`` of a fixture's part (one naming rule for the builder,
    :func:`geom_names` and :meth:`SceneSpec.lit_geoms`)."""
    return f"{fixture}/{part}/g{index}"


def geom_names(spec: SceneSpec) -> dict[str, list[tuple[str, GeomRole]]]:
    """Geom names and roles per object / fixture name."""
    out: dict[str, list[tuple[str, GeomRole]]] = {}
    for f in spec.fixtures:
        out[f.name] = [
            (fixture_geom_name(f.name, p.name, i), g.role)
            for p in f.parts for i, g in enumerate(p.geoms)
        ]
    for o in spec.objects:
        out[o.name] = [(f"{o.name}/g{i}", g.role) for i, g in enumerate(o.geoms)]
    return out


def nominal_position(spec: SceneSpec, obj: ObjectSpec) -> tuple[float, float, float]:
    """World position of ``obj``'s body origin in its nominal (un-jittered) initial layout."""
    x, y = obj.init_xy
    z = spec.table_z + obj.init_z
    if obj.init_on:
        sx, sy, sz = nominal_position(spec, spec.object(obj.init_on))
        x, y, z = x + sx, y + sy, z + sz - spec.table_z + spec.object(obj.init_on).height
    return x, y, z


def _collision_geoms(spec: SceneSpec, names: dict[str, list[tuple[str, GeomRole]]],
                     name: str) -> list[str]:
    """Collision geom names of an object, a fixture or a fixture part (``"fixture/part"``)."""
    owner, _, part = name.partition("/")
    if owner not in names:
        raise ValueError(f"scene {spec.name!r}: contact names unknown object/fixture {name!r}")
    out = [g for g, role in names[owner] if role != "visual"
           and (not part or g.startswith(f"{owner}/{part}/"))]
    if not out:
        raise ValueError(f"scene {spec.name!r}: {name!r} has no collision geoms")
    return out


def build_mjcf(spec: SceneSpec, controller: str = "ik", timestep: float | None = None,
               contacts: str = "fast") -> str:
    """Compiles a :class:`SceneSpec` to an MJCF string.

    ``controller`` picks the Panda's arm actuators (``"osc"`` torque motors, ``"ik"`` position
    servos; :func:`envs_mjx.panda.panda_actuators`); ``timestep`` overrides ``spec.timestep``;
    ``contacts`` is ``"full"`` or ``"fast"`` (module docstring).
    """
    if contacts not in ("full", "fast"):
        raise ValueError(f"contacts must be 'full' or 'fast', got {contacts!r}")
    tz = spec.table_z
    tx, ty = spec.table_half
    cx, cy = spec.table_xy
    body: list[str] = [
        f'<geom name="floor" type="plane" size="3 3 0.1" rgba="{_fmt(spec.floor_rgba)}" '
        'contype="0" conaffinity="0" group="0"/>',
        f'<geom name="table_plane" type="plane" pos="{cx} {cy} {tz}" size="{tx} {ty} 0.1" '
        'rgba="0 0 0 0" group="3" contype="0" conaffinity="0" friction="1 0.01 0.001"/>',
    ]
    if spec.has_table:
        body.append(
            f'<geom name="table_top" type="box" pos="{cx} {cy} {tz - 0.025}" size="{tx} {ty} 0.025" '
            f'rgba="{_fmt(spec.table_rgba)}" group="0" contype="0" conaffinity="0"/>'
        )
        for sx in (-1, 1):
            for sy in (-1, 1):
                body.append(
                    f'<geom type="box" pos="{cx + sx * (tx - 0.05)} {cy + sy * (ty - 0.05)} '
                    f'{(tz - 0.05) / 2}" size="0.025 0.025 {(tz - 0.05) / 2}" '
                    'rgba="0.35 0.27 0.2 1" group="1" contype="0" conaffinity="0"/>'
                )
    bx, by, bz = spec.robot_base
    if bz > 0.01:
        body.append(
            f'<geom type="box" pos="{bx} {by} {bz / 2}" size="0.11 0.11 {bz / 2}" '
            'rgba="0.3 0.3 0.32 1" group="1" contype="0" conaffinity="0"/>'
        )
    body.append(
        f'<camera name="agentview" pos="{_fmt(spec.agentview_pos)}" '
        f'quat="{_fmt(spec.agentview_quat)}" fovy="{AGENTVIEW_FOVY}"/>'
    )
    body.append(panda.panda_mjcf(spec.robot_base, controller=controller))
    for f in spec.fixtures:
        body.append(f'<body name="{f.name}" pos="{_fmt(f.pos)}" quat="{_yaw_quat(f.yaw)}">')
        for p in f.parts:
            body.append(f'<body name="{f.name}/{p.name}" pos="{_fmt(p.pos)}">')
            if p.joint is not None:
                j = p.joint
                body.append(
                    f'<inertial pos="0 0 0" mass="{p.mass}" diaginertia="0.002 0.002 0.002"/>'
                    f'<joint name="{j.name}" type="{j.type}" axis="{_fmt(j.axis)}" '
                    f'range="{_fmt(j.range)}" damping="{j.damping}" '
                    f'frictionloss="{j.frictionloss}" armature="0.01"/>'
                )
            for i, g in enumerate(p.geoms):
                body.append(_geom_xml(fixture_geom_name(f.name, p.name, i), g))
            body.append("</body>")
        body.append("</body>")
    for o in spec.objects:
        x, y, z = nominal_position(spec, o)
        body.append(
            f'<body name="{o.name}" pos="{x} {y} {z + 0.001}" quat="{_yaw_quat(o.init_yaw)}">'
            f'<freejoint name="{o.name}/joint"/>'
        )
        n_coll = sum(g.role != "visual" for g in o.geoms)
        for i, g in enumerate(o.geoms):
            xml = _geom_xml(f"{o.name}/g{i}", g)
            if g.role != "visual":
                m = o.mass / max(n_coll, 1)
                xml = xml.replace("/>", f' mass="{m:.6g}"/>')
            else:
                xml = xml.replace("/>", ' mass="0"/>')
            body.append(xml)
        body.append("</body>")

    names = geom_names(spec)
    pairs: list[str] = []
    made: set[frozenset[str]] = set()

    def pair(a: str, b: str, extra: str = "") -> None:
        if frozenset((a, b)) in made:
            return
        made.add(frozenset((a, b)))
        pairs.append(f'<pair geom1="{a}" geom2="{b}"{extra}/>')

    pads = ("left_pad", "right_pad")
    for pad in pads:
        pair(pad, "table_plane")
    for o in spec.objects:
        for gname, role in names[o.name]:
            if role == "base":
                pair(gname, "table_plane")
            if role != "visual":
                for pad in pads:
                    pair(pad, gname, ' friction="1.5 1.5 0.02 0.001 0.001" condim="4"')
    for f in spec.fixtures:
        for gname, role in names[f.name]:
            if role == "handle":
                for pad in pads:
                    pair(pad, gname)
    if contacts == "full":
        robot = panda.CONTACT_GEOMS
        scene_geoms = [g for owner in names.values() for g, role in owner if role != "visual"]
        for rg in robot:
            for g in ("table_plane", *scene_geoms):
                pair(rg, g)
        colliders = [[g for g, role in names[o.name] if role != "visual"] for o in spec.objects]
        fixture_geoms = [g for f in spec.fixtures for g, role in names[f.name]
                         if role != "visual"]
        for i, geoms in enumerate(colliders):
            for g in geoms:
                for fg in fixture_geoms:
                    pair(g, fg)
                for other in colliders[i + 1:]:
                    for og in other:
                        pair(g, og)
    order = {name: i for i, name in enumerate(spec.active)}
    for a in spec.active:
        for gname, role in names[a]:
            if role == "visual":
                continue
            for f in spec.fixtures:
                for fname, frole in names[f.name]:
                    if frole != "visual":
                        pair(gname, fname)
            for o in spec.objects:
                if o.name == a or order.get(o.name, 1 << 30) < order[a]:
                    continue  # self, or an active pair already made from the other side
                for oname, orole in names[o.name]:
                    if orole != "visual":
                        pair(gname, oname)
    for a, b in spec.contacts:
        for gname in _collision_geoms(spec, names, a):
            for oname in _collision_geoms(spec, names, b):
                pair(gname, oname)

    return (
        f'<mujoco model="{spec.name}">'
        '<compiler angle="radian" autolimits="true"/>'
        f'<option timestep="{timestep or spec.timestep}" integrator="implicitfast" iterations="6" '
        'ls_iterations="8" cone="pyramidal"><flag eulerdamp="disable"/></option>'
        '<visual><global offwidth="256" offheight="256"/></visual>'
        '<asset><material name="default" rgba="1 1 1 1"/></asset>'
        f"<worldbody>{''.join(body)}</worldbody>"
        f"<contact>{''.join(pairs)}</contact>"
        f"<actuator>{panda.panda_actuators(controller=controller)}</actuator>"
        "</mujoco>"
    )
