"""Builds the package's LIBERO task data from the ``libero`` 0.1.1 source distribution.

Used by ``scripts/import_libero.py`` (which downloads the sdist) and by the test that checks the
committed data is what this module produces. Nothing here runs at environment run time.

Inputs, inside the unpacked sdist (``<root>/libero/libero/``):

* ``bddl_files/<suite>/<TASK>.bddl``: parsed with :mod:`envs_mjx.bddl`;
* ``init_files/<suite>/<TASK>.pruned_init``: a torch zip archive whose ``archive/data.pkl`` is a
  pickled numpy array ``[50, 1 + nq + nv]`` (time, qpos, qvel of LIBERO's MuJoCo model).
  Pickles can run code, so :func:`load_pruned_init` unpickles with :class:`NumpyOnlyUnpickler`,
  which admits numpy's array-reconstruction globals only.

LIBERO's qpos layout: 9 robot dofs (7 arm joints, 2 finger slides), then 7 per object (xyz +
quaternion wxyz of its free joint) in BDDL ``:objects`` order, then the fixtures' joints in
``:fixtures`` order (:data:`FIXTURE_JOINTS`). :func:`decode_states` checks that this layout
accounts for every entry (``nq - nv`` = number of free joints = number of objects).
"""

from __future__ import annotations

import codecs
import io
import json
import pathlib
import pickle
import zipfile
from typing import Any

import numpy as np

from envs_mjx import bddl

SUITES = ("libero_10", "libero_spatial", "libero_object", "libero_goal")
NUM_INIT_STATES = 50
ROBOT_DOFS = 9  # 7 arm joints + 2 finger slides
# joints per fixture category in LIBERO's models (categories not listed have none)
FIXTURE_JOINTS: dict[str, tuple[str, ...]] = {
    "wooden_cabinet": ("top_drawer", "middle_drawer", "bottom_drawer"),
    "white_cabinet": ("top_drawer", "middle_drawer", "bottom_drawer"),
    "flat_stove": ("knob",),
    "microwave": ("door",),
}
# LIBERO's benchmark task order per suite (its task map); task i of a suite is file i here
TASK_ORDER: dict[str, tuple[str, ...]] = {
    "libero_10": (
        "LIVING_ROOM_SCENE2_put_both_the_alphabet_soup_and_the_tomato_sauce_in_the_basket",
        "LIVING_ROOM_SCENE2_put_both_the_cream_cheese_box_and_the_butter_in_the_basket",
        "KITCHEN_SCENE3_turn_on_the_stove_and_put_the_moka_pot_on_it",
        "KITCHEN_SCENE4_put_the_black_bowl_in_the_bottom_drawer_of_the_cabinet_and_close_it",
        "LIVING_ROOM_SCENE5_put_the_white_mug_on_the_left_plate_and_put_the_yellow_and_white_mug_on_the_right_plate",  # noqa: E501
        "STUDY_SCENE1_pick_up_the_book_and_place_it_in_the_back_compartment_of_the_caddy",
        "LIVING_ROOM_SCENE6_put_the_white_mug_on_the_plate_and_put_the_chocolate_pudding_to_the_right_of_the_plate",  # noqa: E501
        "LIVING_ROOM_SCENE1_put_both_the_alphabet_soup_and_the_cream_cheese_box_in_the_basket",
        "KITCHEN_SCENE8_put_both_moka_pots_on_the_stove",
        "KITCHEN_SCENE6_put_the_yellow_and_white_mug_in_the_microwave_and_close_it",
    ),
    "libero_spatial": tuple(
        f"pick_up_the_black_bowl_{w}_and_place_it_on_the_plate" for w in (
            "between_the_plate_and_the_ramekin", "next_to_the_ramekin", "from_table_center",
            "on_the_cookie_box", "in_the_top_drawer_of_the_wooden_cabinet", "on_the_ramekin",
            "next_to_the_cookie_box", "on_the_stove", "next_to_the_plate",
            "on_the_wooden_cabinet")),
    "libero_object": tuple(
        f"pick_up_the_{w}_and_place_it_in_the_basket" for w in (
            "alphabet_soup", "cream_cheese", "salad_dressing", "bbq_sauce", "ketchup",
            "tomato_sauce", "butter", "milk", "chocolate_pudding", "orange_juice")),
    "libero_goal": (
        "open_the_middle_drawer_of_the_cabinet", "put_the_bowl_on_the_stove",
        "put_the_wine_bottle_on_top_of_the_cabinet", "open_the_top_drawer_and_put_the_bowl_inside",
        "put_the_bowl_on_top_of_the_cabinet", "push_the_plate_to_the_front_of_the_stove",
        "put_the_cream_cheese_in_the_bowl", "turn_on_the_stove", "put_the_bowl_on_the_plate",
        "put_the_wine_bottle_on_the_rack"),
}


class NumpyOnlyUnpickler(pickle.Unpickler):
    """Unpickler that resolves only the globals numpy needs to rebuild an array.

    Any other global (``os.system``, ``builtins.eval``, ...) raises ``pickle.UnpicklingError``
    before anything is called.
    """

    _ALLOWED = {
        ("numpy.core.multiarray", "_reconstruct"): np.ndarray.__reduce__(np.zeros(1))[0],
        ("numpy._core.multiarray", "_reconstruct"): np.ndarray.__reduce__(np.zeros(1))[0],
        ("numpy", "ndarray"): np.ndarray,
        ("numpy", "dtype"): np.dtype,
        ("_codecs", "encode"): codecs.encode,  # protocol-2 byte payloads: encode(str, 'latin1')
    }

    def find_class(self, module: str, name: str) -> Any:
        try:
            return self._ALLOWED[(module, name)]
        except KeyError:
            raise pickle.UnpicklingError(
                f"refusing to unpickle global {module}.{name}: only numpy array "
                f"reconstruction is allowed in LIBERO init files") from None


def load_pruned_init(data: bytes) -> np.ndarray:
    """The ``[N, 1 + nq + nv]`` float64 array of a ``.pruned_init`` file's bytes.

    Raises:
      ValueError: not a zip holding ``*/data.pkl``, or not a 2-D float array.
      pickle.UnpicklingError: the pickle names a non-numpy global.
    """
    try:
        zf = zipfile.ZipFile(io.BytesIO(data))
    except zipfile.BadZipFile:
        raise ValueError("a .pruned_init must be a torch zip archive holding data.pkl") from None
    pkl = [n for n in zf.namelist() if n.endswith("/data.pkl") or n == "data.pkl"]
    if len(pkl) != 1:
        raise ValueError(f"a .pruned_init must hold one data.pkl, found {zf.namelist()}")
    arr = NumpyOnlyUnpickler(io.BytesIO(zf.read(pkl[0]))).load()
    if not isinstance(arr, np.ndarray) or arr.ndim != 2 or arr.dtype.kind != "f":
        raise ValueError(f"expected a 2-D float array in {pkl[0]}, got {type(arr).__name__}")
    return np.asarray(arr, np.float64)


def state_layout(problem: bddl.Problem) -> dict[str, Any]:
    """qpos slices ``[start, stop)`` of the robot, each object and each fixture's joints."""
    objects, fixtures = {}, {}
    i = ROBOT_DOFS
    for name, _ in problem.objects:
        objects[name] = (i, i + 7)
        i += 7
    for name, cat in problem.fixtures:
        k = len(FIXTURE_JOINTS.get(cat, ()))
        if k:
            fixtures[name] = (i, i + k)
            i += k
    return {"robot": (0, ROBOT_DOFS), "objects": objects, "fixtures": fixtures, "nq": i,
            "nv": i - len(problem.objects)}


def decode_states(problem: bddl.Problem, states: np.ndarray, where: str) -> dict[str, np.ndarray]:
    """Splits LIBERO's ``[N, 1 + nq + nv]`` states into named ``qpos`` slices.

    Returns ``{"robot_qpos": [N, 9], "object/<name>": [N, 7] (xyz, quat wxyz),
    "fixture/<name>": [N, k]}``.

    Raises:
      ValueError: the width does not match the BDDL's objects and fixtures.
    """
    lay = state_layout(problem)
    width = 1 + lay["nq"] + lay["nv"]
    if states.shape[1] != width:
        raise ValueError(
            f"{where}: state width {states.shape[1]} != 1 + nq + nv = {width} expected from the "
            f"BDDL's {len(problem.objects)} objects and fixtures "
            f"{[c for _, c in problem.fixtures]}; update FIXTURE_JOINTS")
    qpos = states[:, 1:1 + lay["nq"]]
    out = {"robot_qpos": qpos[:, :ROBOT_DOFS]}
    for name, (a, b) in lay["objects"].items():
        out[f"object/{name}"] = qpos[:, a:b]
    for name, (a, b) in lay["fixtures"].items():
        out[f"fixture/{name}"] = qpos[:, a:b]
    return out


def instruction(file_stem: str) -> str:
    """The benchmark instruction: the task file name without its scene prefix, underscores as
    spaces (what OpenVLA, SimpleVLA-RL and RLinf feed the policy)."""
    words = file_stem.split("_")
    i = 0  # scene prefixes are upper-case words ending in SCENE<k>, e.g. LIVING_ROOM_SCENE2
    while i < len(words) and words[i].isupper():
        i += 1
    return " ".join(words[i:])


def _task_json(suite: str, index: int, stem: str, problem: bddl.Problem) -> dict[str, Any]:
    lay = state_layout(problem)
    return {
        "key": f"{suite}/{index}",
        "name": stem,
        "instruction": instruction(stem),
        "language": problem.language,
        "problem_class": problem.problem_class,
        "fixtures": [{"name": n, "category": c,
                      "joints": list(FIXTURE_JOINTS.get(c, ()))} for n, c in problem.fixtures],
        "objects": [{"name": n, "category": c} for n, c in problem.objects],
        "obj_of_interest": list(problem.obj_of_interest),
        "regions": [{"name": r.full_name, "short_name": r.name, "target": r.target,
                     "ranges": [list(x) for x in r.ranges],
                     "yaw_rotation": [list(y) for y in r.yaw_rotation]}
                    for r in problem.regions],
        "init": [list(p) for p in problem.init],
        "goal": [list(p) for p in problem.goal],
        "nq": lay["nq"],
        "nv": lay["nv"],
    }


def build_suite(libero_root: pathlib.Path, suite: str) -> tuple[dict[str, Any], dict[str, np.ndarray]]:
    """``(json_dict, arrays)`` of one suite from an unpacked ``libero/libero`` directory.

    ``arrays`` keys: ``task<i>/state`` (LIBERO's raw ``[50, 1 + nq + nv]``),
    ``task<i>/robot_qpos``, ``task<i>/object/<name>``, ``task<i>/fixture/<name>``.
    """
    if suite not in TASK_ORDER:
        raise ValueError(f"unknown suite {suite!r}; available: {', '.join(SUITES)}")
    tasks, arrays = [], {}
    for i, stem in enumerate(TASK_ORDER[suite]):
        bddl_path = libero_root / "bddl_files" / suite / f"{stem}.bddl"
        init_path = libero_root / "init_files" / suite / f"{stem}.pruned_init"
        for p in (bddl_path, init_path):
            if not p.exists():
                raise FileNotFoundError(f"{p} is missing: is {libero_root} libero 0.1.1's "
                                        f"libero/libero directory?")
        problem = bddl.parse_problem(bddl_path.read_text())
        states = load_pruned_init(init_path.read_bytes())
        if states.shape[0] != NUM_INIT_STATES:
            raise ValueError(f"{init_path}: {states.shape[0]} states, expected {NUM_INIT_STATES}")
        tasks.append(_task_json(suite, i, stem, problem))
        arrays[f"task{i}/state"] = states
        for k, v in decode_states(problem, states, str(init_path)).items():
            arrays[f"task{i}/{k}"] = np.ascontiguousarray(v)
    return {"suite": suite, "source": "libero==0.1.1 (PyPI sdist)", "tasks": tasks}, arrays


def write_suite(out_dir: pathlib.Path, suite: str, data: dict[str, Any],
                arrays: dict[str, np.ndarray]) -> tuple[pathlib.Path, pathlib.Path]:
    """Writes ``<suite>_bddl.json`` and ``<suite>_libero_init.npz``."""
    out_dir.mkdir(parents=True, exist_ok=True)
    jpath = out_dir / f"{suite}_bddl.json"
    npath = out_dir / f"{suite}_libero_init.npz"
    jpath.write_text(json.dumps(data, indent=1) + "\n")
    np.savez_compressed(npath, **arrays)
    return jpath, npath
