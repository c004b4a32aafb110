"""A small parser for LIBERO's BDDL problem files (our own; no dependency on ``bddl``).

A LIBERO task file is one S-expression::

    (define (problem LIBERO_Kitchen_Tabletop_Manipulation)
      (:domain robosuite)
      (:language turn on the stove and put the moka pot on it)
      (:regions (cook_region (:target flat_stove_1)) (moka_pot_init_region
                 (:target kitchen_table) (:ranges ((0.025 -0.025 0.075 0.025)))
                 (:yaw_rotation ((0.0 0.0)))) ...)
      (:fixtures kitchen_table - kitchen_table flat_stove_1 - flat_stove)
      (:objects moka_pot_1 - moka_pot ...)
      (:obj_of_interest moka_pot_1 flat_stove_1)
      (:init (On moka_pot_1 kitchen_table_moka_pot_init_region) ...)
      (:goal (And (Turnon flat_stove_1) (On moka_pot_1 flat_stove_1_cook_region))))

:func:`parse_sexpr` turns text into nested lists of string atoms; :func:`parse_problem` turns
those into a :class:`Problem`. Region ``ranges`` are ``(x_min, y_min, x_max, y_max)`` in the
frame of the region's target (for a table: the table's workspace, whose world offset depends on
the problem class, see :data:`envs_mjx.libero_data.WORKSPACE_OFFSET`); a region's full name, as
used by predicates, is ``<target>_<name>``. Predicates keep LIBERO's capitalisation
(``On``, ``In``, ``Open``, ``Close``, ``Turnon``, ``Turnoff``).
"""

from __future__ import annotations

import dataclasses
from typing import Union

SExpr = Union[str, list["SExpr"]]


class BddlError(ValueError):
    """A malformed BDDL file (the message names the problem)."""


def tokenize(text: str) -> list[str]:
    """Splits BDDL text into ``(``, ``)`` and atoms; ``;`` starts a comment to end of line."""
    tokens: list[str] = []
    for line in text.splitlines():
        line = line.split(";", 1)[0]
        tokens.extend(line.replace("(", " ( ").replace(")", " ) ").split())
    return tokens


def parse_sexpr(text: str) -> SExpr:
    """Parses exactly one S-expression.

    Raises:
      BddlError: unbalanced parentheses, empty input or trailing tokens.
    """
    tokens = tokenize(text)
    if not tokens:
        raise BddlError("empty BDDL text: expected one '(define ...)' expression")
    stack: list[list[SExpr]] = [[]]
    for tok in tokens:
        if tok == "(":
            stack.append([])
        elif tok == ")":
            if len(stack) == 1:
                raise BddlError("unbalanced BDDL: ')' without a matching '('")
            done = stack.pop()
            stack[-1].append(done)
        else:
            stack[-1].append(tok)
    if len(stack) != 1:
        raise BddlError(f"unbalanced BDDL: {len(stack) - 1} '(' never closed")
    if len(stack[0]) != 1:
        raise BddlError(f"BDDL text holds {len(stack[0])} top-level expressions, expected 1")
    return stack[0][0]


@dataclasses.dataclass(frozen=True)
class Region:
    """A BDDL region: ``name`` as written, ``target`` (a fixture or object), optional xy
    ``ranges`` ``((x_min, y_min, x_max, y_max), ...)`` and ``yaw_rotation`` ``((lo, hi), ...)``
    [rad]."""

    name: str
    target: str
    ranges: tuple[tuple[float, float, float, float], ...] = ()
    yaw_rotation: tuple[tuple[float, float], ...] = ()

    @property
    def full_name(self) -> str:
        """The name predicates use: ``<target>_<name>``."""
        return f"{self.target}_{self.name}"


@dataclasses.dataclass(frozen=True)
class Problem:
    """A parsed LIBERO problem. ``fixtures``/``objects`` are ``(name, category)`` in file order
    (the order of LIBERO's state vector); predicates are tuples ``(Kind, arg, ...)``."""

    problem_class: str
    language: str
    regions: tuple[Region, ...]
    fixtures: tuple[tuple[str, str], ...]
    objects: tuple[tuple[str, str], ...]
    obj_of_interest: tuple[str, ...]
    init: tuple[tuple[str, ...], ...]
    goal: tuple[tuple[str, ...], ...]


def _atoms(x: SExpr, where: str) -> list[str]:
    if not isinstance(x, list) or not all(isinstance(a, str) for a in x):
        raise BddlError(f"{where}: expected a flat list of names, got {x!r}")
    return list(x)


def _typed_list(items: list[SExpr], where: str) -> tuple[tuple[str, str], ...]:
    """``a b - cat c - cat2`` -> ``((a, cat), (b, cat), (c, cat2))``."""
    out: list[tuple[str, str]] = []
    pending: list[str] = []
    it = iter(_atoms(items, where))
    for tok in it:
        if tok == "-":
            cat = next(it, None)
            if cat is None or not pending:
                raise BddlError(f"{where}: '-' must sit between names and their category")
            out.extend((n, cat) for n in pending)
            pending = []
        else:
            pending.append(tok)
    if pending:
        raise BddlError(f"{where}: names {pending} have no '- category'")
    return tuple(out)


def _numbers(x: SExpr, n: int, where: str) -> tuple[float, ...]:
    vals = _atoms(x, where)
    if len(vals) != n:
        raise BddlError(f"{where}: expected {n} numbers, got {vals}")
    try:
        return tuple(float(v) for v in vals)
    except ValueError as e:
        raise BddlError(f"{where}: not a number ({e})") from None


def _region(expr: SExpr) -> Region:
    if not isinstance(expr, list) or not expr or not isinstance(expr[0], str):
        raise BddlError(f"region must be '(name (:target ...) ...)', got {expr!r}")
    name, target = expr[0], ""
    ranges: tuple[tuple[float, ...], ...] = ()
    yaws: tuple[tuple[float, ...], ...] = ()
    for field in expr[1:]:
        if not isinstance(field, list) or not field or not isinstance(field[0], str):
            raise BddlError(f"region {name}: malformed field {field!r}")
        key, rest = field[0], field[1:]
        if key == ":target":
            target = _atoms(rest, f"region {name} :target")[0]
        elif key == ":ranges":
            ranges = tuple(_numbers(r, 4, f"region {name} :ranges") for r in rest[0])
        elif key == ":yaw_rotation":
            yaws = tuple(_numbers(r, 2, f"region {name} :yaw_rotation") for r in rest[0])
        elif key == ":rgba":
            continue  # a display colour only
        else:
            raise BddlError(f"region {name}: unknown field {key}")
    if not target:
        raise BddlError(f"region {name} has no :target")
    for r in ranges:
        if r[2] < r[0] or r[3] < r[1]:
            raise BddlError(f"region {name}: range {r} is not (x_min, y_min, x_max, y_max)")
    return Region(name, target, ranges, yaws)  # type: ignore[arg-type]


def _predicates(expr: list[SExpr], where: str) -> tuple[tuple[str, ...], ...]:
    """``:init`` is a list of atoms-lists; ``:goal`` is one ``(And ...)``."""
    out = []
    for p in expr:
        if isinstance(p, list) and p and p[0] in ("And", "and"):
            out.extend(_predicates(p[1:], where))
        else:
            out.append(tuple(_atoms(p, where)))
    return tuple(out)


def parse_problem(text: str) -> Problem:
    """Parses a LIBERO BDDL problem file.

    Raises:
      BddlError: naming what is malformed (e.g. a missing ``:goal``).
    """
    root = parse_sexpr(text)
    if not isinstance(root, list) or not root or root[0] != "define":
        raise BddlError("BDDL file must start with '(define (problem NAME) ...)'")
    sections: dict[str, list[SExpr]] = {}
    problem_class = ""
    for sec in root[1:]:
        if not isinstance(sec, list) or not sec or not isinstance(sec[0], str):
            raise BddlError(f"malformed BDDL section {sec!r}")
        if sec[0] == "problem":
            problem_class = _atoms(sec[1:], "(problem NAME)")[0]
            continue
        if sec[0] in sections:
            raise BddlError(f"BDDL section {sec[0]} appears twice")
        sections[sec[0]] = sec[1:]
    for key in (":regions", ":fixtures", ":objects", ":init", ":goal"):
        if key not in sections:
            raise BddlError(f"BDDL file has no {key} section")
    if not problem_class:
        raise BddlError("BDDL file has no '(problem NAME)'")
    language = " ".join(_atoms(sections.get(":language", []), ":language"))
    return Problem(
        problem_class=problem_class,
        language=language,
        regions=tuple(_region(r) for r in sections[":regions"]),
        fixtures=_typed_list(sections[":fixtures"], ":fixtures"),
        objects=_typed_list(sections[":objects"], ":objects"),
        obj_of_interest=tuple(_atoms(sections.get(":obj_of_interest", []), ":obj_of_interest")),
        init=_predicates(sections[":init"], ":init"),
        goal=_predicates(sections[":goal"], ":goal"),
    )
