"""Writes docs/fidelity.md and docs/fidelity/*.png from the parity harness's cached results.

Called by ``scripts/libero_parity.py`` (``--report-only`` regenerates the report without running
anything). Reads ``<work>/controller.json``, ``<work>/{poses,expert,transfer}/*.json`` and
``<work>/images/*.png``; sections without results say so.
"""

from __future__ import annotations

import datetime
import json
from pathlib import Path

import numpy as np

SUITES = ("libero_10", "libero_spatial", "libero_object", "libero_goal")
ROT_CASES = ("droll", "dpitch", "dyaw")
CMD = "python scripts/libero_parity.py --tasks=all --ref=/path/to/libero_ref --policy=<export dir>"


def _task_of(stem: str) -> str:
    suite, idx = stem.rsplit("_", 1)
    return f"{suite}/{idx}"


def _load(work: Path, sub: str) -> dict[str, dict]:
    d = work / sub
    if not d.is_dir():
        return {}
    out = {_task_of(p.stem): json.loads(p.read_text()) for p in d.glob("*.json")}
    return dict(
        sorted(out.items(), key=lambda kv: (SUITES.index(kv[0].split("/")[0]), int(kv[0].split("/")[1])))
    )


# port_dynamics recorded by scripts/libero_parity.py (its PORT_DYNAMICS) -> how this page names it
DYNAMICS = {
    "libero": "`EnvConfig.libero()` (LIBERO's OSC_POSE controller + full contacts; the default)",
    "libero_fast": "`EnvConfig.for_dynamics(\"libero_fast\")` (LIBERO's OSC_POSE + finger-pad contacts)",
    "ik": "`EnvConfig.for_dynamics(\"ik\")` (the first port's IK controller + finger-pad contacts)",
}


def _dyn(r: dict) -> str:
    """How a cached result's port dynamics reads on the page ("not recorded" for results written
    before the harness recorded it: those ran under the then-default IK controller)."""
    d = r.get("port_dynamics")
    return DYNAMICS.get(d, f"`{d}`") if d else "not recorded (the IK default of the time)"


def _ranges(xs) -> str:
    """Sorted integers as compact ranges: [0, 1, 2, 5] -> "0-2, 5"."""
    xs = sorted(set(int(x) for x in xs))
    out, i = [], 0
    while i < len(xs):
        j = i
        while j + 1 < len(xs) and xs[j + 1] == xs[j] + 1:
            j += 1
        out.append(f"{xs[i]}-{xs[j]}" if j > i else f"{xs[i]}")
        i = j + 1
    return ", ".join(out)


def _tasks_text(tasks) -> str:
    """Task keys grouped per suite: "libero_goal 0-9; libero_object 0, 2"."""
    per: dict[str, list[int]] = {}
    for t in tasks:
        su, i = t.split("/")
        per.setdefault(su, []).append(int(i))
    return "; ".join(f"{su} {_ranges(per[su])}" for su in SUITES if su in per)


def provenance_md(sections: dict[str, dict[str, dict]]) -> list[str]:
    """One row per section and port setting: which port dynamics and commit produced its cached
    results, on which tasks and initial states. ``sections``: {section: {task: result}} (the
    controller as {"(3 scenes)": result})."""
    lines = [
        "| section | port dynamics | port commit | tasks | initial states |",
        "|---|---|---|---|---|",
    ]
    for name, results in sections.items():
        groups: dict[tuple, list[str]] = {}
        for task, r in results.items():
            inits = r.get("inits")
            if inits is None:
                inits = sorted({c["init"] for c in r.get("cases", {}).values()})
            sim = {"mjx": ", in MJX", "c": ", in C MuJoCo"}.get(r.get("port_sim", ""), "")
            if "libero" in r:  # an expert's LIBERO side: did it see LIBERO's poses in the port's frames?
                sim += ", LIBERO poses in the port's frames" if r.get("libero_frames") == "port" else ""
            key = (_dyn(r) + sim, r.get("port_commit", "not recorded"), _ranges(inits))
            groups.setdefault(key, []).append(task)
        for (dyn, commit, inits), tasks in groups.items():
            where = _tasks_text(tasks) if all("/" in t for t in tasks) else ", ".join(tasks)
            lines.append(f"| {name} | {dyn} | {commit} | {where} | {inits} |")
    return lines


OWN_LAYOUTS = "†"
OWN_LAYOUTS_NOTE = (
    f"{OWN_LAYOUTS}: the port's own layouts and initial states for this task, not LIBERO's "
    "(`Task.libero_states` false when measured), so state i is a different scene in the two simulators."
)


def _own(r: dict) -> str:
    """The mark of a result whose port task did not use LIBERO's initial states."""
    return f" {OWN_LAYOUTS}" if r.get("port_libero_states") is False else ""


def _f(x, nd=2) -> str:
    return "n/a" if x is None or (isinstance(x, float) and not np.isfinite(x)) else f"{x:.{nd}f}"


# ------------------------------------------------------------------ controller


def controller_summary(ctrl: dict) -> dict:
    """Headline numbers of one controller result: median / max of each case's largest path error (cm),
    max rotation error (deg), and the median over translation cases (LIBERO total > 1 cm) of the
    distance travelled port / LIBERO."""
    pos_err, rot_err, ratios = [], [], []
    for name, c in ctrl["cases"].items():
        lib, port = np.array(c["libero_disp_cm"]), np.array(c["port_disp_cm"])
        if not any(k in name for k in ROT_CASES) and lib.sum() > 1:
            ratios.append(port.sum() / lib.sum())
        pos_err.append(max(c["pos_err_cm"]))
        rot_err.append(max(c["rot_err_deg"]))
    return {
        "ctrl_pos_err_cm_median": float(np.median(pos_err)),
        "ctrl_pos_err_cm_max": float(np.max(pos_err)),
        "ctrl_rot_err_deg_max": float(np.max(rot_err)),
        "ctrl_dist_ratio_median": float(np.median(ratios)) if ratios else float("nan"),
    }


def controller_md(ctrl: dict, figdir: Path) -> tuple[list[str], dict]:
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    cases = ctrl["cases"]
    lines = [
        "## 1. Controller step response",
        "",
        "Same state in both simulators (initial state, then 10 no-op steps), then the case's actions "
        "(gripper open). LIBERO: robosuite OSC_POSE. Displacement per 20 Hz control step (cm) and the "
        "path error |Δp_LIBERO(t) − Δp_port(t)| (cm), both measured from each simulator's own start pose; "
        "rotation cases compare the world-frame rotation since the start (deg). Port: "
        f"{_dyn(ctrl)}, commit {ctrl.get('port_commit', 'not recorded')}. Reference data: "
        f"`tests/data/libero_osc_reference.json` ({ctrl['source']}).",
        "",
        "| case | LIBERO cm/step, steps 1-5 | port cm/step, steps 1-5 | LIBERO / port total (cm or deg) "
        "| max path err (cm) | max rot err (deg) |",
        "|---|---|---|---|---|---|",
    ]
    for name, c in cases.items():
        lib = np.array(c["libero_disp_cm"])
        port = np.array(c["port_disp_cm"])
        if any(k in name for k in ROT_CASES):
            tot = f"{c['libero_rot_deg'][-1]:.1f}° / {c['port_rot_deg'][-1]:.1f}°"
        else:
            tot = f"{lib.sum():.1f} / {port.sum():.1f}"
        lines.append(
            f"| {name} | {' '.join(f'{v:.2f}' for v in lib[:5])} | {' '.join(f'{v:.2f}' for v in port[:5])} "
            f"| {tot} | {max(c['pos_err_cm']):.2f} | {max(c['rot_err_deg']):.1f} |"
        )
    lines += ["", "![controller](fidelity/controller.png)", ""]

    n = len(cases)
    cols = 6
    rows = int(np.ceil(n / cols))
    fig, axes = plt.subplots(rows, cols, figsize=(3.0 * cols, 2.4 * rows), squeeze=False)
    for ax, (name, c) in zip(axes.flat, cases.items()):
        if any(k in name for k in ROT_CASES):
            ax.plot(c["libero_rot_deg"], "k-o", ms=2, label="LIBERO")
            ax.plot(c["port_rot_deg"], "r-o", ms=2, label="port")
            ax.set_ylabel("deg from start", fontsize=7)
        else:
            t = np.arange(1, len(c["libero_disp_cm"]) + 1)
            ax.plot(t, c["libero_disp_cm"], "k-o", ms=2, label="LIBERO")
            ax.plot(t, c["port_disp_cm"], "r-o", ms=2, label="port")
            ax.set_ylabel("cm / step", fontsize=7)
            ax2 = ax.twinx()  # the accumulated path error has its own scale
            ax2.plot(np.arange(len(c["pos_err_cm"])), c["pos_err_cm"], "b--", lw=1)
            ax2.set_ylabel("path err cm (blue)", fontsize=7, color="b")
            ax2.tick_params(labelsize=6, colors="b")
        ax.set_title(name, fontsize=8)
        ax.tick_params(labelsize=6)
    for ax in list(axes.flat)[n:]:
        ax.axis("off")
    axes.flat[0].legend(fontsize=6)
    fig.tight_layout()
    fig.savefig(figdir / "controller.png", dpi=80)
    plt.close(fig)
    return lines, controller_summary(ctrl)


# ------------------------------------------------------------------ poses


def poses_md(poses: dict) -> tuple[list[str], dict]:
    lines = [
        "## 2. Object and fixture poses after reset",
        "",
        "LIBERO: `env.set_init_state(init_states[i])` (no settling); port: `reset(i)`. "
        "xy: LIBERO's body origin "
        "vs the port's (its bottom centre); z: the lowest point of LIBERO's collision geoms vs the port's "
        "origin. Yaw compares the heading of the body x axes; LIBERO's meshes carry their own frames "
        "(many root bodies are turned 90° about x), so a constant 90°/180° there is a frame convention, not "
        "necessarily a different placement. "
        "Port names are matched to BDDL names by an explicit alias table (`CATEGORY_ALIASES` in "
        "`scripts/libero_parity.py`); where a category has several instances without matching indices "
        "(e.g. left/right plates) they are matched by nearest position (marked *pos*), which flatters the "
        "error. Errors are over the listed initial states.",
        "",
        "| task | matched | xy err mean / max (cm) | z err mean (cm) | yaw err mean (deg) "
        "| unmatched port | unmatched LIBERO | port commit |",
        "|---|---|---|---|---|---|---|---|",
    ]
    all_xy, all_yaw, detail = [], [], []
    suite_xy: dict[str, list[float]] = {}
    own_suites: set[str] = set()
    for task, r in poses.items():
        xy = [v for o in r["objects"].values() for v in o["xy"]]
        dz = [abs(v) for o in r["objects"].values() for v in o["dz"]]
        yaw = [v for o in r["objects"].values() for v in o["yaw"]]
        all_xy += xy
        all_yaw += yaw
        suite_xy.setdefault(task.split("/")[0], []).extend(xy)
        if _own(r):
            own_suites.add(task.split("/")[0])
        lines.append(
            f"| {task}{_own(r)} | {len(r['objects'])} | {_f(100 * np.mean(xy) if xy else None, 1)} / "
            f"{_f(100 * np.max(xy) if xy else None, 1)} | {_f(100 * np.mean(dz) if dz else None, 1)} | "
            f"{_f(np.degrees(np.mean(yaw)) if yaw else None, 0)} | {', '.join(r.get('unmatched_port', []))} "
            f"| {', '.join(r.get('unmatched_libero', []))} | {r.get('port_commit', 'not recorded')} |"
        )
        for p, o in r["objects"].items():
            detail.append(
                f"| {task} | {p} | {o['libero']}{' *pos*' if o['how'] == 'position' else ''} | "
                f"{100 * np.mean(o['xy']):.1f} | {100 * np.mean(o['dz']):+.1f} | "
                f"{np.degrees(np.mean(o['yaw'])):.0f} |"
            )
    if own_suites:
        lines += ["", OWN_LAYOUTS_NOTE]
    lines += [
        "",
        "<details><summary>Per object</summary>",
        "",
        "| task | port | LIBERO | xy err (cm) | z err (cm, port − LIBERO) | heading diff (deg) |",
        "|---|---|---|---|---|---|",
        *detail,
        "",
        "</details>",
        "",
    ]
    head = {
        "pose_xy_cm_median": float(100 * np.median(all_xy)) if all_xy else float("nan"),
        "pose_xy_cm_mean": float(100 * np.mean(all_xy)) if all_xy else float("nan"),
        "pose_xy_frac_within_2cm": float(np.mean(np.array(all_xy) < 0.02)) if all_xy else float("nan"),
        "pose_yaw_deg_median": float(np.degrees(np.median(all_yaw))) if all_yaw else float("nan"),
        "pose_objects": len(all_xy),
        "pose_suites": {
            su: {
                "xy_cm_median": float(100 * np.median(v)),
                "xy_cm_mean": float(100 * np.mean(v)),
                "frac_within_2cm": float(np.mean(np.array(v) < 0.02)),
                "n": len(v),
                "own_layouts": su in own_suites,
            }
            for su, v in suite_xy.items()
            if v
        },
    }
    return lines, head


# ------------------------------------------------------------------ expert


def _counts(table: dict, suite: str, sim: str) -> str:
    """"s/n (p%)" of ``sim``'s episodes in ``suite`` ("all": every suite) of a
    ``fidelity.success_table``; "not run" when it has none."""
    s = n = 0
    for task, cell in table["tasks"].items():
        if (suite == "all" or task.split("/")[0] == suite) and sim in cell:
            s, n = s + cell[sim][0], n + cell[sim][1]
    return f"{s}/{n} ({100 * s / n:.0f}%)" if n else "not run"


def unmet_note(episodes: list[dict]) -> str:
    """The goal predicates LIBERO still found false at the end of its failed episodes (with how many
    episodes, when more than one): "LIBERO, false at the end: turnon(flat_stove_1) (2)"."""
    count: dict[str, int] = {}
    for e in episodes:
        if not e["success"]:
            for n in e.get("unmet", []):
                count[n] = count.get(n, 0) + 1
    if not count:
        return ""
    items = [f"`{n}`" + (f" ({c})" if c > 1 else "") for n, c in count.items()]
    return "LIBERO, false at the end: " + ", ".join(items)


def expert_md(expert: dict) -> tuple[list[str], dict]:
    import sys

    sys.path.insert(0, str(Path(__file__).resolve().parents[1]))
    from smoothvla_jax import fidelity as fid

    rows = []
    for task, r in expert.items():
        for sim in ("libero", "port"):
            for e in r.get(sim, []):
                rows.append({"task": task, "sim": sim, "success": e["success"]})
    table = fid.success_table(rows)
    lines = [
        "## 3. The scripted expert in both simulators",
        "",
        "The port's expert (`envs_mjx/expert.py`) reads `ExpertInputs` (TCP pose, poses of "
        "its plan's reference bodies) and uses the constants of the port dynamics it was run for (the OSC "
        "speed cap and gains under `EnvConfig.libero()`, the IK ones under `env.dynamics=\"ik\"`), in both "
        "simulators alike. In LIBERO its inputs come from the observation: the grip site as TCP (its "
        "frame turned into the port's TCP convention by a constant Rz(90°)), the BDDL objects' bottom "
        "sites for the reference bodies (name map as in section 2); its actions go through LIBERO's OSC. "
        "Where an episode says so (provenance table: \"LIBERO poses in the port's frames\"), the "
        "harness converts LIBERO's body poses into the port's model frames first (`frame_conversion` in "
        "`scripts/libero_parity.py`: the origin shifts the port places LIBERO's fixtures with, e.g. the "
        "flat stove's knob end to its burner, and the turn between the two models of each reference at "
        "the same initial state). "
        "Episode limits are LIBERO's; success is LIBERO's own `_check_success` / the port's goal "
        "predicates. Jerk metrics (`smoothvla_jax.metrics`, dt = 0.05 s) are of the EE path up to success, "
        "or for a failed episode to its end (the limit in the port; in LIBERO 20 steps after the plan's "
        "last stage), medians over episodes. Both sides start from the same LIBERO initial state index "
        "(the port's `reset(i)` is LIBERO's state i wherever a task is not marked otherwise).",
        "",
        "| task | initial states LIBERO / port | LIBERO success | port success | MSJ LIBERO / port (m²/s⁶) "
        "| LDLJ LIBERO / port | path LIBERO / port (m) | note |",
        "|---|---|---|---|---|---|---|---|",
    ]
    for task, r in expert.items():
        lib, port = r.get("libero", []), r.get("port", [])
        cell = table["tasks"].get(task, {})
        s = lambda sim: f"{cell[sim][0]}/{cell[sim][1]}" if sim in cell else "n/a"  # noqa: E731
        med = lambda es, k: float(np.median([e[k] for e in es])) if es else None  # noqa: E731
        note = "LIBERO run failed: " + r["libero_error"].splitlines()[-1][:80] if "libero_error" in r else ""
        note = "; ".join(x for x in (note, unmet_note(lib)) if x)
        states = f"{_ranges(e['init'] for e in lib) or '-'} / {_ranges(e['init'] for e in port) or '-'}"
        lines.append(
            f"| {task}{_own(r)} | {states} | {s('libero')} | {s('port')} | "
            f"{_f(med(lib, 'msj'), 1)} / {_f(med(port, 'msj'), 1)} "
            f"| {_f(med(lib, 'ldlj'))} / {_f(med(port, 'ldlj'))} | {_f(med(lib, 'path_m'))} / "
            f"{_f(med(port, 'path_m'))} | {note} |"
        )
    if any(_own(r) for r in expert.values()):
        lines += ["", OWN_LAYOUTS_NOTE]
    # episodes from the same (task, initial state) in both simulators
    common = {
        t: {e["init"] for e in r.get("libero", [])} & {e["init"] for e in r.get("port", [])}
        for t, r in expert.items()
    }
    same = fid.success_table(
        {"task": t, "sim": sim, "success": e["success"]}
        for t, r in expert.items()
        for sim in ("libero", "port")
        for e in r.get(sim, [])
        if e["init"] in common[t]
    )
    lines += [
        "",
        "| suite | same tasks and states: LIBERO | same tasks and states: port | every episode run: LIBERO "
        "| every episode run: port |",
        "|---|---|---|---|---|",
    ]
    for su in sorted({t.split("/")[0] for t in expert}, key=SUITES.index) + ["all"]:
        cells = [_counts(tab, su, sim) for tab in (same, table) for sim in ("libero", "port")]
        lines.append(f"| {su} | " + " | ".join(cells) + " |")
    ov = table["overall"]
    both = [t for t in expert if common[t]]
    pairs = {
        sim: [e for t in both for e in expert[t][sim] if e["init"] in common[t]] for sim in ("libero", "port")
    }
    paired = {sim: [e["success"] for e in pairs[sim]] for sim in ("libero", "port")}
    lines += [
        "",
        f"Tasks run in both simulators: {len(both)}; from the initial states run in both, the expert "
        f"succeeds in {sum(paired['libero'])}/{len(paired['libero'])} LIBERO episodes and "
        f"{sum(paired['port'])}/{len(paired['port'])} port episodes. The port side runs in MJX "
        "(`env.step`, one XLA compile per scene: several CPU-minutes under `EnvConfig.libero()` on a "
        "2-core machine) or, "
        "with `--port-sim=c`, in C MuJoCo on the same MJCF and controller functions "
        "(`envs_mjx.parity.c_mujoco_expert_rollout`, no compile); the provenance table says which. "
        "The port's own, larger expert tables are made by "
        "`scripts/expert_success.py`: docs/suites.md (the IK dynamics, 50 states per task) and "
        "docs/controller.md (`EnvConfig.libero()`).",
        "",
    ]
    msj = {sim: [e["msj"] for e in pairs[sim]] for sim in ("libero", "port")}
    head = {
        "expert_libero": ov.get("libero", float("nan")),
        "expert_port": ov.get("port", float("nan")),
        "expert_libero_episodes": sum(len(r.get("libero", [])) for r in expert.values()),
        "expert_port_episodes": sum(len(r.get("port", [])) for r in expert.values()),
        "expert_paired_tasks": len(both),
        "expert_paired_libero": [sum(paired["libero"]), len(paired["libero"])],
        "expert_paired_port": [sum(paired["port"]), len(paired["port"])],
        "expert_paired_tasks_text": _tasks_text(both),
        "expert_msj_libero_median": float(np.median(msj["libero"])) if msj["libero"] else float("nan"),
        "expert_msj_port_median": float(np.median(msj["port"])) if msj["port"] else float("nan"),
    }
    return lines, head


# ------------------------------------------------------------------ images


def images_md(work: Path, figdir: Path) -> list[str]:
    from PIL import Image, ImageDraw

    lines = [
        "## 4. Camera images at reset",
        "",
        "Initial state 0 of every task; each row: LIBERO agentview | port agentview | LIBERO wrist | port "
        "wrist (128×128; LIBERO's images flipped upright).",
        "",
    ]
    found = False
    for su in SUITES:
        tiles = sorted((work / "images").glob(f"{su}_*.png"), key=lambda p: int(p.stem.rsplit("_", 1)[1]))
        if not tiles:
            continue
        found = True
        ims = [np.asarray(Image.open(p).convert("RGB")) for p in tiles]
        w = max(i.shape[1] for i in ims)
        label_h = 14
        rows = []
        for p, im in zip(tiles, ims):
            lab = Image.new("RGB", (w, label_h), (255, 255, 255))
            ImageDraw.Draw(lab).text(
                (2, 1), f"{_task_of(p.stem)}   LIBERO | port | LIBERO wrist | port wrist", fill=(0, 0, 0)
            )
            rows += [np.asarray(lab), im]
        Image.fromarray(np.concatenate(rows, axis=0)).save(figdir / f"images_{su}.png")
        lines.append(f"![{su}](fidelity/images_{su}.png)")
        lines.append("")
    return lines if found else []


# ------------------------------------------------------------------ transfer


def transfer_md(transfer: dict) -> tuple[list[str], dict]:
    """Section 5 from the cached transfer results ({task: result}; see
    ``libero_parity.section_transfer``) and its headline numbers."""
    lines = [
        "## 5. Sim-to-sim transfer of a trained policy",
        "",
        "A policy trained in the port (`smoothvla_jax.load_policy`), greedy (T = 0), run closed loop in real "
        "LIBERO (LIBERO's cameras rendered at the size in the table, resized to the policy's input if "
        "different; proprio built in the port's convention from LIBERO's grip site and finger joints; "
        "LIBERO's 10 no-op settle steps first) and in the port under the dynamics the policy was trained "
        "under (`smoothvla_jax.evaluation.rollout_episodes`), from the same initial-state indices and with "
        "the same episode cap. Which data and dynamics the policy saw is in the table: a policy trained on "
        "the port's IK dynamics meets LIBERO's OSC controller here for the first time.",
        "",
        "| task | policy | trained on | LIBERO success | port success | states | states won LIBERO / port "
        "| EE path, median LIBERO / port (m) | episode cap | LIBERO camera |",
        "|---|---|---|---|---|---|---|---|---|---|",
    ]
    tot = {"libero": [0, 0], "port": [0, 0]}
    for task, r in transfer.items():
        cells, won, path = [], [], []
        for sim in ("libero", "port"):
            eps = r.get(sim, [])
            s = sum(e["success"] for e in eps)
            tot[sim][0] += s
            tot[sim][1] += len(eps)
            cells.append(f"{s}/{len(eps)}" if eps else "not run")
            won.append(_ranges(e["init"] for e in eps if e["success"]) or "none")
            paths = [e["path_m"] for e in eps if "path_m" in e]
            path.append(_f(float(np.median(paths))) if paths else "n/a")
        pol = f"`{Path(r['policy']).name}`"
        if "policy_step" in r:
            pol += f" step {r['policy_step']} ({r.get('policy_stage', 'sft')})"
        trained = (
            f"{', '.join(r['policy_tasks']) or 'n/a'} under `{r['policy_dynamics']}`"
            if "policy_dynamics" in r
            else "not recorded"
        )
        states = _ranges(r.get("inits", []))
        lines.append(
            f"| {task}{_own(r)} | {pol} | {trained} | {cells[0]} | {cells[1]} | {states} "
            f"| {won[0]} / {won[1]} | {path[0]} / {path[1]} "
            f"| {r.get('max_steps', 'limit')} | {r.get('libero_camera_size', 128)}² |"
        )
    lines.append("")
    head = {f"transfer_{k}": (v[0] / v[1] if v[1] else float("nan")) for k, v in tot.items()}
    head["transfer_episodes"] = tot["libero"][1]
    head["transfer_counts"] = {k: list(v) for k, v in tot.items()}
    return lines, head


# ------------------------------------------------------------------ main

BEGIN = "<!-- BEGIN generated by scripts/libero_parity.py -->"
END = "<!-- END generated by scripts/libero_parity.py -->"


def _merge_into(path: Path, block: str) -> None:
    """Writes the generated block into ``path`` between its markers, keeping hand-written text around
    it (a new file gets a title; an existing file without markers gets the block appended)."""
    old = path.read_text() if path.exists() else "# Fidelity: the port vs LIBERO\n"
    if BEGIN in old and END in old:
        head, rest = old.split(BEGIN, 1)
        tail = rest.split(END, 1)[1].lstrip("\n")
        new = head + block.rstrip("\n") + "\n" + (("\n" + tail) if tail else "")
    else:
        new = old.rstrip("\n") + "\n\n" + block
    path.write_text(new)


def headline_md(head: dict, ctrl: dict | None, ctrl_other: dict[str, dict]) -> list[str]:
    """The headline table from the sections' summaries (``head``), the main controller result and the
    controller results under other port dynamics (``{dynamics: result}``, one line each)."""
    g = head.get
    summary = ["| measure | value |", "|---|---|"]
    if ctrl is not None:
        summary += [
            f"| controller ({_dyn(ctrl)}): EE path error vs LIBERO's OSC over each case, median / max over "
            f"cases | {g('ctrl_pos_err_cm_median'):.1f} / {g('ctrl_pos_err_cm_max'):.1f} cm |",
            f"| controller: distance travelled, port / LIBERO (median over translation cases) | "
            f"{g('ctrl_dist_ratio_median'):.2f}× |",
            f"| controller: max rotation error | {g('ctrl_rot_err_deg_max'):.0f}° |",
        ]
    for dyn, c in ctrl_other.items():
        h = controller_summary(c)
        summary.append(
            f"| for comparison, controller under {_dyn(c)}: path error median / max, distance ratio, max "
            f"rotation error | {h['ctrl_pos_err_cm_median']:.1f} / {h['ctrl_pos_err_cm_max']:.1f} cm, "
            f"{h['ctrl_dist_ratio_median']:.2f}×, {h['ctrl_rot_err_deg_max']:.0f}° |"
        )
    for su, v in g("pose_suites", {}).items():
        own = f" ({OWN_LAYOUTS} the port's own layouts)" if v.get("own_layouts") else ""
        summary.append(
            f"| reset poses, {su}{own}: xy error median / mean ({v['n']} object-states); share within 2 cm | "
            f"{v['xy_cm_median']:.1f} / {v['xy_cm_mean']:.1f} cm; {100 * v['frac_within_2cm']:.0f}% |"
        )
    if g("expert_paired_tasks"):
        (ls, ln), (ps, pn) = g("expert_paired_libero"), g("expert_paired_port")
        summary += [
            f"| scripted expert, same tasks and initial states in both ({g('expert_paired_tasks_text')}): "
            f"success in LIBERO / in the port | {ls}/{ln} / {ps}/{pn} |",
            f"| expert EE-path MSJ median on those episodes, LIBERO / port | "
            f"{g('expert_msj_libero_median'):.1f} / {g('expert_msj_port_median'):.1f} m²/s⁶ |",
        ]
    if g("expert_libero_episodes", 0) > (g("expert_paired_libero") or [0, 0])[1]:
        summary.append(
            f"| scripted expert success in LIBERO, every episode run ({g('expert_libero_episodes')}) | "
            f"{100 * g('expert_libero'):.0f}% |"
        )
    if "transfer_libero" in head:
        (ls, ln), (ps, pn) = g("transfer_counts")["libero"], g("transfer_counts")["port"]
        summary += [
            f"| policy transfer (section 5), success in LIBERO / in the port, same states | "
            f"{ls}/{ln} / {ps}/{pn} |"
        ]
    return summary


def write(work: Path, docs: Path) -> dict:
    """Regenerates the marked section of ``docs/fidelity.md`` and its figures from the cached results
    under ``work`` (see the module docstring); returns the headline numbers (also written to
    ``work/headline.json``). The controller and expert results of the default port dynamics are
    ``controller.json`` / ``expert_{libero,port}/``; results under another dynamics D
    (``controller_D.json``) get one comparison line in the headline."""
    work, docs = Path(work), Path(docs)
    figdir = docs / "fidelity"
    figdir.mkdir(parents=True, exist_ok=True)
    head: dict = {}
    body: list[str] = []
    prov: dict[str, dict[str, dict]] = {}
    ctrl = None
    if (work / "controller.json").exists():
        ctrl = json.loads((work / "controller.json").read_text())
        lines, h = controller_md(ctrl, figdir)
        body += lines
        head.update(h)
        prov["controller"] = {"(3 scenes)": ctrl}
    ctrl_other = {
        p.stem.split("_", 1)[1]: json.loads(p.read_text()) for p in sorted(work.glob("controller_*.json"))
    }
    for dyn, c in ctrl_other.items():
        prov[f"controller, for comparison ({dyn})"] = {"(3 scenes)": c}
    poses = _load(work, "poses")
    if poses:
        lines, h = poses_md(poses)
        body += lines
        head.update(h)
        prov["poses"] = poses
    expert: dict[str, dict] = {}
    for side in ("libero", "port"):
        results = _load(work, f"expert_{side}")
        if results:
            prov[f"expert, {side} side"] = results
        for task, r in results.items():
            expert.setdefault(task, {}).update(
                {k: v for k, v in r.items() if k not in ("inits", "port_dynamics", "port_commit", "port_sim")}
            )
    expert = dict(
        sorted(expert.items(), key=lambda kv: (SUITES.index(kv[0].split("/")[0]), int(kv[0].split("/")[1])))
    )
    if expert:
        lines, h = expert_md(expert)
        body += lines
        head.update(h)
    body += images_md(work, figdir)
    transfer = _load(work, "transfer")
    if transfer:
        lines, h = transfer_md(transfer)
        body += lines
        head.update(h)
        prov["transfer"] = transfer
    text = [
        BEGIN,
        "## Measured in both simulators: the port vs the original LIBERO",
        "",
        "_This section is generated by `scripts/libero_parity.py` (edits between its markers are "
        f"overwritten; text outside them is kept); {datetime.date.today().isoformat()}._",
        "",
        "Every number below comes from running the same thing in both simulators on this machine: the "
        "original LIBERO (its repository at a fixed commit, robosuite 1.4.0, MuJoCo 2.3.7, OSC_POSE at "
        "20 Hz, 2 ms physics) and this port (MJX) under the dynamics and at the commit each result "
        "records (table below; `--port-dynamics`, default `libero` = `EnvConfig.libero()`). The reference "
        "is developer tooling in `scripts/libero_reference/` (see its README), never a dependency of the "
        "package or CI.",
        "",
        "Regenerate everything (≈1 h on 2 CPU cores), or one section / some tasks:",
        "",
        "```bash",
        "python scripts/libero_reference/setup_reference.py --dest /path/to/libero_ref"
        "   # once",
        CMD,
        "python scripts/libero_parity.py --sections=poses,expert --tasks=libero_goal "
        "--ref=/path/to/libero_ref",
        "python scripts/libero_parity.py --sections=controller --port-dynamics=ik   # IK, to compare",
        "python scripts/libero_parity.py --report-only   # rewrite this page from cached results",
        "```",
        "",
        "Where each result comes from (port side; the LIBERO side is the same reference throughout):",
        "",
        *provenance_md(prov),
        "",
        *([(work / "NOTE.md").read_text().strip(), ""] if (work / "NOTE.md").exists() else []),
        "### Headline",
        "",
        *headline_md(head, ctrl, ctrl_other),
        "",
        *[("#" + ln if ln.startswith("## ") else ln) for ln in body],
        END,
    ]
    _merge_into(docs / "fidelity.md", "\n".join(text) + "\n")
    (work / "headline.json").write_text(json.dumps(head, indent=1))
    print(f"wrote {docs / 'fidelity.md'}")
    return head
