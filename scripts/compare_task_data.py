"""Compares the port's 40 task definitions with LIBERO's own files; writes docs/task_data.md.

    python scripts/compare_task_data.py [--out docs/task_data.md]

For every task: objects, fixtures and goal predicates (port names translated with
:mod:`envs_mjx.libero_names`), the arena (table height, robot base, agentview camera), fixture
placement (port position vs the centre of LIBERO's BDDL placement region; the direction the
drawers / microwave door open), and the initial states: for each of the 50 fixed states i, the
xy distance between each object's body position in the port's ``reset(i)`` state and in
LIBERO's state i, the arm joints and the fixture joints. Uses C MuJoCo only (no JAX).
"""

from __future__ import annotations

import argparse
import math
import pathlib
import sys

import mujoco
import numpy as np

sys.path.insert(0, str(pathlib.Path(__file__).resolve().parents[1]))

from envs_mjx import libero_data  # noqa: E402
from envs_mjx.init_states import load_init_states  # noqa: E402
from envs_mjx.libero_names import libero_joint, port_goal, port_objects, to_bddl  # noqa: E402
from envs_mjx.registry import suite_tasks  # noqa: E402
from envs_mjx.scene import build_mjcf  # noqa: E402
from envs_mjx.tasks import Task  # noqa: E402

OUT = pathlib.Path(__file__).resolve().parents[1] / "docs" / "task_data.md"
# LIBERO's agentview camera position per problem class (each problem class's _setup_camera)
LIBERO_AGENTVIEW: dict[str, tuple[float, float, float]] = {
    "LIBERO_Tabletop_Manipulation": (0.6586, 0.0, 1.6104),
    "LIBERO_Kitchen_Tabletop_Manipulation": (0.6586, 0.0, 1.6104),
    "LIBERO_Living_Room_Tabletop_Manipulation": (0.6066, 0.0, 0.96),
    "LIBERO_Study_Tabletop_Manipulation": (0.4586, 0.0, 1.6104),
    "LIBERO_Floor_Manipulation": (0.8966, 0.0, 0.65),
}
# direction (local frame) in which a fixture opens: port drawers/door open toward local -x,
# LIBERO's toward local -y
_OPENS = {"cabinet", "wooden_cabinet", "microwave"}


def _wrap(a: float) -> float:
    return (a + math.pi) % (2 * math.pi) - math.pi


def _fmt_xy(v) -> str:
    return f"({v[0]:+.2f}, {v[1]:+.2f})"


def compare(task: Task) -> dict:
    """Differences between one port task and LIBERO's files (numbers in m / rad)."""
    lt = libero_data.task_data(task.key)
    ls = libero_data.init_states(task.key)
    m = mujoco.MjModel.from_xml_string(build_mjcf(task.scene))
    qpos = load_init_states(task, m)[: libero_data_states(ls)]
    n = qpos.shape[0]
    objs = []
    for o in task.scene.objects:
        bname = to_bddl(o.name, task.suite)
        adr = m.jnt_qposadr[m.joint(f"{o.name}/joint").id]
        port_xy = qpos[:, adr:adr + 2]
        if bname in ls.object_pose:
            lib_xy = ls.object_pose[bname][:n, :2]
            err = np.linalg.norm(port_xy - lib_xy, axis=1)
            objs.append(dict(name=bname, port=port_xy.mean(0), libero=lib_xy.mean(0),
                             mean=float(err.mean()), max=float(err.max())))
        else:
            objs.append(dict(name=bname, port=port_xy.mean(0), libero=None, mean=math.nan,
                             max=math.nan))
    fixtures = []
    for f in task.scene.fixtures:
        if not f.parts:
            continue
        bname = to_bddl(f.name, task.suite)
        reg = lt.placement(bname)
        row = dict(name=bname, port=f.pos[:2], port_yaw=f.yaw, libero=None)
        if reg is not None and reg.ranges:
            row.update(libero=reg.world_center, libero_yaw=reg.yaw,
                       err=math.dist(f.pos[:2], reg.world_center))
            if f.name in _OPENS:  # world direction the drawers / door open toward
                port_dir = f.yaw + math.pi  # local -x
                lib_dir = reg.yaw - math.pi / 2  # local -y
                row["facing_err"] = abs(_wrap(port_dir - lib_dir))
            else:
                row["yaw_err"] = abs(_wrap(f.yaw - reg.yaw))
        fixtures.append(row)
    regions = []
    for f in task.scene.fixtures:
        if f.parts:
            continue
        for reg in f.regions:  # world regions on the table (goal areas)
            lr = lt.region(to_bddl(reg.name, task.suite))
            x0, y0, x1, y1 = lr.world_ranges[0]
            regions.append(dict(name=lr.name, port=reg.center[:2], port_half=reg.half[:2],
                                libero=lr.world_center, libero_half=((x1 - x0) / 2, (y1 - y0) / 2)))
    arm = [m.jnt_qposadr[m.joint(f"joint{i + 1}").id] for i in range(7)]
    arm_err = np.abs(qpos[:, arm] - ls.robot_qpos[:n, :7])
    joints = []
    for bname, q in ls.fixture_qpos.items():
        ports = {}
        for f in task.scene.fixtures:
            for p in f.parts:
                if p.joint is not None:
                    ports[libero_joint(f.name, p.joint.name, task.suite)] = qpos[
                        :, m.jnt_qposadr[m.joint(p.joint.name).id]]
        for k, jn in enumerate(lt.fixture_joints[bname]):
            port = ports.get((bname, k))
            joints.append(dict(name=f"{bname}.{jn}", libero=float(q[:n, k].mean()),
                               port=None if port is None else float(port.mean())))
    pg, lg = set(port_goal(task)), set(lt.goal)
    po = set(port_objects(task))
    lo = {n for n, _ in lt.objects}
    pf = {to_bddl(f.name, task.suite) for f in task.scene.fixtures if f.parts}
    lf = {n for n, c in lt.fixtures if c not in ("table", "kitchen_table", "living_room_table",
                                                  "study_table", "floor")}
    cam_p, cam_l = task.scene.agentview_pos, LIBERO_AGENTVIEW[lt.problem_class]
    return dict(
        task=task, lt=lt, n=n, objects=objs, fixtures=fixtures, joints=joints, regions=regions,
        arm_mean=float(arm_err.mean()), arm_max=float(arm_err.max()),
        goal_missing=sorted(lg - pg), goal_extra=sorted(pg - lg),
        obj_missing=sorted(lo - po), obj_extra=sorted(po - lo),
        fix_missing=sorted(lf - pf), fix_extra=sorted(pf - lf),
        table_z=(task.scene.table_z, lt.workspace_offset[2]),
        camera_err=math.dist(cam_p, cam_l), camera=(cam_p, cam_l),
    )


def libero_data_states(ls: libero_data.LiberoInitStates) -> int:
    return ls.state.shape[0]


def _pred(p: tuple[str, ...]) -> str:
    return "(" + " ".join(p) + ")"


def render(results: list[dict]) -> str:
    lines = [
        "# Task data: port vs LIBERO's files",
        "",
        "Generated by `python scripts/compare_task_data.py` from LIBERO's own task files",
        "(`libero` 0.1.1 on PyPI: BDDL problem files and the 50 fixed initial states per task,",
        "imported by `python scripts/import_libero.py` into `envs_mjx/data/<suite>_bddl.json`",
        "and `<suite>_libero_init.npz`; read them with `envs_mjx.libero_data`). Port names are",
        "translated with `envs_mjx/libero_names.py` (e.g. `black_bowl` = `akita_black_bowl_1`).",
        "",
        "How to read the numbers:",
        "",
        "* **object xy error**: for every initial state i (0..49) and object, the xy distance",
        "  between the object's body position in the port's `reset(i)` and in LIBERO's state i,",
        "  averaged (mean) or maximised (max) over states and objects. Body origins differ (the",
        "  port's are bottom centres, LIBERO's are its model origins, usually near the object's",
        "  xy centre), so errors below ~1-2 cm are within that convention, not placement.",
        "* **fixture xy error**: port fixture position vs the centre of LIBERO's placement region",
        "  of that fixture (regions are 2 x 2 cm; LIBERO samples inside them). The flat stove's",
        "  region places LIBERO's stove origin at its knob end; in libero_spatial and",
        "  libero_goal the port's stove slab is centred on LIBERO's burner, 15 cm along +x.",
        "* **facing error**: angle between the world directions in which the port's and LIBERO's",
        "  drawers (cabinets) or door (microwave) open; LIBERO's slide along the fixture's local",
        "  -y at the region's yaw, the port's along local -x at the fixture's yaw.",
        "* **arm**: mean |joint difference| of the 7 arm joints, port state i vs LIBERO state i.",
        "* **goal / objects / fixtures**: predicates or names in one side and not the other.",
        "* **table z**: the port's table top vs the z of LIBERO's workspace offset for the problem",
        "  class (the floor arena's -0.035 is a sampling reference, its floor is at z = 0).",
        "* **agentview error**: distance between the port's and LIBERO's agentview camera",
        "  positions.",
        "",
        "## Summary (all 40 tasks)",
        "",
        "| task | objects: missing in port / extra | fixtures: missing / extra | goal: missing in port "
        "/ extra | object xy error mean / max [cm] | fixture xy error [cm] | facing / yaw error "
        "[deg] | arm [rad] | table z: port / LIBERO workspace | agentview error [cm] |",
        "|---|---|---|---|---|---|---|---|---|---|",
    ]
    for r in results:
        t = r["task"]
        errs = [o["mean"] for o in r["objects"] if not math.isnan(o["mean"])]
        maxs = [o["max"] for o in r["objects"] if not math.isnan(o["max"])]
        fx = [f"{f['name']} {100 * f['err']:.0f}" for f in r["fixtures"] if f.get("libero")]
        fy = [f"{f['name']} {math.degrees(f.get('facing_err', f.get('yaw_err', 0))):.0f}"
              for f in r["fixtures"] if f.get("libero")]
        om = ", ".join(r["obj_missing"]) or "-"
        oe = ", ".join(r["obj_extra"]) or "-"
        fm = ", ".join(r["fix_missing"]) or "-"
        fe = ", ".join(r["fix_extra"]) or "-"
        gm = " ".join(map(_pred, r["goal_missing"])) or "-"
        ge = " ".join(map(_pred, r["goal_extra"])) or "-"
        lines.append(
            f"| `{t.key}` | {om} / {oe} | {fm} / {fe} | {gm} / {ge} | "
            f"{100 * np.mean(errs):.1f} / {100 * max(maxs):.1f} | {'; '.join(fx) or '-'} | "
            f"{'; '.join(fy) or '-'} | {r['arm_mean']:.3f} | "
            f"{r['table_z'][0]:.3f} / {r['table_z'][1]:.3f} | {100 * r['camera_err']:.0f} |")
    all_err = [o["mean"] for r in results for o in r["objects"] if not math.isnan(o["mean"])]
    lines += [
        "",
        f"Over all {len(all_err)} (task, object) pairs the mean object xy error is "
        f"{100 * np.mean(all_err):.1f} cm (median {100 * np.median(all_err):.1f} cm, largest "
        f"{100 * np.max(all_err):.1f} cm).",
        "",
    ]
    for suite in libero_data.SUITES:
        e = [o["mean"] for r in results if r["task"].suite == suite for o in r["objects"]
             if not math.isnan(o["mean"])]
        lines.append(f"* `{suite}`: mean object xy error {100 * np.mean(e):.1f} cm "
                     f"(largest per-object mean {100 * np.max(e):.1f} cm).")
    lines += [
        "",
        "## Per task: objects and fixtures",
        "",
    ]
    for r in results:
        t, lt = r["task"], r["lt"]
        lines += [f"### `{t.key}` {lt.name}", "",
                  f"Problem class `{lt.problem_class}`; LIBERO goal: "
                  f"{' '.join(map(_pred, lt.goal))}; port goal: "
                  f"{' '.join(map(_pred, port_goal(t)))}.", "",
                  "| object | port mean xy | LIBERO mean xy | xy error mean / max [cm] |",
                  "|---|---|---|---|"]
        for o in r["objects"]:
            lib = _fmt_xy(o["libero"]) if o["libero"] is not None else "not in LIBERO"
            err = "-" if math.isnan(o["mean"]) else f"{100 * o['mean']:.1f} / {100 * o['max']:.1f}"
            lines.append(f"| {o['name']} | {_fmt_xy(o['port'])} | {lib} | {err} |")
        for name in r["obj_missing"]:
            xy = libero_data.init_states(t.key).object_pose[name][:, :2].mean(0)
            lines.append(f"| {name} | missing in port | {_fmt_xy(xy)} | - |")
        if r["fixtures"]:
            lines += ["", "| fixture | port xy, yaw [deg] | LIBERO region centre, yaw [deg] | "
                      "xy error [cm] | facing / yaw error [deg] |", "|---|---|---|---|---|"]
            for f in r["fixtures"]:
                port = f"{_fmt_xy(f['port'])}, {math.degrees(f['port_yaw']):.0f}"
                if f.get("libero"):
                    lib = f"{_fmt_xy(f['libero'])}, {math.degrees(f['libero_yaw']):.0f}"
                    ang = math.degrees(f.get("facing_err", f.get("yaw_err", 0.0)))
                    kind = "facing" if "facing_err" in f else "yaw"
                    lines.append(f"| {f['name']} | {port} | {lib} | {100 * f['err']:.0f} | "
                                 f"{kind} {ang:.0f} |")
                else:
                    lines.append(f"| {f['name']} | {port} | no placement region | - | - |")
        for g in r["regions"]:
            lines += ["", f"Goal region {g['name']}: port centre {_fmt_xy(g['port'])}, half size "
                      f"{_fmt_xy(g['port_half'])}; LIBERO centre {_fmt_xy(g['libero'])}, half size "
                      f"{_fmt_xy(g['libero_half'])} [m]."]
        if r["joints"]:
            js = "; ".join(
                f"{j['name']} LIBERO {j['libero']:+.3f}, port "
                + ("absent" if j["port"] is None else f"{j['port']:+.3f}") for j in r["joints"])
            lines += ["", f"Fixture joints (mean over the 50 states): {js}."]
        (cp, cl) = r["camera"]
        lines += ["", f"Arm joints: mean |Δ| {r['arm_mean']:.3f} rad, max {r['arm_max']:.3f} rad. "
                  f"Agentview camera: port {tuple(round(c, 3) for c in cp)}, LIBERO {cl}.", ""]
    return "\n".join(lines) + "\n"


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__)
    ap.add_argument("--out", type=pathlib.Path, default=OUT)
    args = ap.parse_args()
    results = [compare(t) for s in libero_data.SUITES for t in suite_tasks(s)]
    args.out.write_text(render(results))
    print(f"wrote {args.out}")


if __name__ == "__main__":
    main()
