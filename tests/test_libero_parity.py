"""The LIBERO parity harness's own logic (smoothvla_jax.fidelity, scripts/libero_parity.py) on small
data recorded in the original LIBERO (tests/data/libero_osc_reference.json, libero_run_dx5.npz).

Tests that run real LIBERO are skipped unless the reference install exists (LIBERO_REF, default
~/libero_ref; build it with scripts/libero_reference/setup_reference.py).
"""

from __future__ import annotations

import importlib.util
import json
import os
import pathlib
import subprocess

import mujoco
import numpy as np
import pytest

from smoothvla_jax import fidelity as fid

DATA = pathlib.Path(__file__).parent / "data"
REPO = pathlib.Path(__file__).parents[1]
REF = pathlib.Path(os.environ.get("LIBERO_REF", str(pathlib.Path.home() / "libero_ref")))


def _parity_module():
    spec = importlib.util.spec_from_file_location("libero_parity", REPO / "scripts" / "libero_parity.py")
    mod = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(mod)
    return mod


def _rz(theta: float) -> np.ndarray:
    c, s = np.cos(theta), np.sin(theta)
    return np.array([[c, -s, 0.0], [s, c, 0.0], [0.0, 0.0, 1.0]])


def _random_quats(n: int, seed: int = 0) -> np.ndarray:
    q = np.random.default_rng(seed).normal(size=(n, 4))
    return q / np.linalg.norm(q, axis=1, keepdims=True)


# ------------------------------------------------------------------ geometry


def test_quat_to_mat_matches_mujoco():
    for q in _random_quats(5):
        want = np.zeros(9)
        mujoco.mju_quat2Mat(want, q)
        np.testing.assert_allclose(fid.quat_to_mat(q), want.reshape(3, 3), atol=1e-12)


def test_quat_angle_is_sign_invariant_and_matches_matrix_angle():
    qa, qb = _random_quats(6, 1), _random_quats(6, 2)
    ang = fid.quat_angle(qa, qb)
    np.testing.assert_allclose(fid.quat_angle(qa, -qb), ang, atol=1e-12)  # q and -q: same orientation
    np.testing.assert_allclose(fid.quat_angle(qa, -qa), 0.0, atol=1e-6)
    np.testing.assert_allclose(ang, fid.rotation_angle(fid.quat_to_mat(qa), fid.quat_to_mat(qb)), atol=1e-6)
    assert np.all((ang >= 0) & (ang <= np.pi))


def test_rotation_angle_and_yaw_hand_computed():
    np.testing.assert_allclose(fid.rotation_angle(np.eye(3), _rz(0.3)), 0.3, atol=1e-12)
    q = np.array([np.cos(0.6 / 2), 0, 0, np.sin(0.6 / 2)])  # yaw 0.6 about z
    np.testing.assert_allclose(fid.yaw_of_quat(q), 0.6, atol=1e-12)
    np.testing.assert_allclose(
        fid.wrap_angle(np.array([3 * np.pi / 2, -3 * np.pi / 2])), [-np.pi / 2, np.pi / 2]
    )


def test_pose_error_hand_computed():
    a = np.array([[0.0, 0.0, 0.9, 1.0, 0.0, 0.0, 0.0]])
    half = 0.25  # yaw 0.5 rad
    b = np.array([[0.03, 0.04, 0.88, -np.cos(half), 0.0, 0.0, -np.sin(half)]])  # negated quaternion
    e = fid.pose_error(a, b)
    np.testing.assert_allclose(e["xy"], 0.05)
    np.testing.assert_allclose(e["dz"], -0.02)
    np.testing.assert_allclose(e["pos"], np.sqrt(0.05**2 + 0.02**2))
    np.testing.assert_allclose(e["angle"], 0.5, atol=1e-12)
    np.testing.assert_allclose(e["yaw"], 0.5, atol=1e-12)
    with pytest.raises(ValueError, match=r"\[n, 7\]"):
        fid.pose_error(a[:, :3], b[:, :3])


# ------------------------------------------------------------------ controller comparison


def test_step_displacement_and_rotation_from_start():
    pos = np.array([[0, 0, 0], [0.003, 0.004, 0], [0.003, 0.004, 0.01]], float)
    np.testing.assert_allclose(fid.step_displacement(pos), [0.005, 0.01])
    rot = np.stack([_rz(0), _rz(0.1), _rz(0.25)])
    np.testing.assert_allclose(fid.rotation_from_start(rot.reshape(3, 9)), [0, 0.1, 0.25], atol=1e-12)


def test_response_error_ignores_constant_frame_offsets():
    """Same motion seen through EE frames that differ by a constant offset and axis convention."""
    ref = fid.load_osc_reference(DATA / "libero_osc_reference.json")["cases"]["droll+1"]
    c = _rz(np.pi / 2)
    e = fid.response_error(ref["ee_pos"], ref["ee_rot"], ref["ee_pos"] + [0.1, -0.2, 0.05], ref["ee_rot"] @ c)
    np.testing.assert_allclose(e["pos"], 0, atol=1e-12)
    np.testing.assert_allclose(e["rot"], 0, atol=1e-6)
    # a real difference is seen: half the displacement -> error = half the path
    p = ref["ee_pos"]
    e = fid.response_error(p, ref["ee_rot"], p[0] + 0.5 * (p - p[0]), ref["ee_rot"])
    np.testing.assert_allclose(e["pos"], 0.5 * np.linalg.norm(p - p[0], axis=1), atol=1e-12)
    with pytest.raises(ValueError, match="equal-length"):
        fid.response_error(p, ref["ee_rot"], p[:5], ref["ee_rot"][:5])


# ------------------------------------------------------------------ files


def test_osc_reference_file_and_round_trip(tmp_path):
    ref = fid.load_osc_reference(DATA / "libero_osc_reference.json")
    assert ref["control_hz"] == 20 and ref["physics_dt"] == 0.002
    names = set(ref["cases"])
    for n in (
        "dx+1",
        "dx-1",
        "dy+1",
        "dy-1",
        "dz+1",
        "dz-1",
        "dx+0.5",
        "dx+0.2",
        "dx+0.1",
        "droll+1",
        "dpitch+1",
        "dyaw+1",
        "droll+0.3",
        "stop",
        "diag",
        "spatial0/dx+1",
        "object0/stop",
    ):
        assert n in names
    # robosuite's OSC: ~3-step ramp to ~1.25 cm per step for a full action (never the 5 cm goal)
    d = fid.step_displacement(ref["cases"]["dx+1"]["ee_pos"])
    assert 0.003 < d[0] < 0.007 and 0.010 < d[9] < 0.014 and np.all(d < 0.015)
    # smaller actions move proportionally less (0.1 -> ~0.12 cm per step)
    d01 = fid.step_displacement(ref["cases"]["dx+0.1"]["ee_pos"])
    assert 0.0008 < d01[9] < 0.0016
    out = tmp_path / "ref.json"
    fid.save_osc_reference(out, ref["source"], ref["cases"])
    back = fid.load_osc_reference(out)
    for n, c in ref["cases"].items():
        for k in ("actions", "ee_pos", "ee_rot"):
            np.testing.assert_allclose(back["cases"][n][k], c[k], atol=1e-7)
    bad = json.loads(out.read_text())
    bad["cases"]["dx+1"]["ee_pos"] = bad["cases"]["dx+1"]["ee_pos"][:-1]
    out.write_text(json.dumps(bad))
    with pytest.raises(ValueError, match="dx\\+1"):
        fid.load_osc_reference(out)


def test_recorded_run_is_consistent_with_the_osc_reference():
    """Two independent recordings in real LIBERO (the runner's npz, 5 steps of dx=+1, and the OSC
    reference JSON) agree on the path: the runner resets and settles like the reference."""
    run = fid.load_run(DATA / "libero_run_dx5.npz")
    ref = fid.load_osc_reference(DATA / "libero_osc_reference.json")["cases"]["dx+1"]
    assert run["ee_pos"].shape == (6, 3) and run["actions"].shape == (5, 7)
    np.testing.assert_allclose(run["ee_pos"], ref["ee_pos"][:6], atol=1e-6)
    np.testing.assert_allclose(run["ee_rot"], ref["ee_rot"][:6], atol=1e-6)
    assert [str(n) for n in run["obj_names"]] == ["chefmate_8_frypan_1", "moka_pot_1", "flat_stove_1"]
    assert run["predicates"].shape == (6, 2) and not run["success"].any()


def test_load_run_rejects_bad_files(tmp_path):
    run = dict(np.load(DATA / "libero_run_dx5.npz"))
    p = tmp_path / "bad.npz"
    np.savez(p, **{**run, "format_version": np.int64(99)})
    with pytest.raises(ValueError, match="format_version 99"):
        fid.load_run(p)
    np.savez(p, **{**run, "ee_pos": run["ee_pos"][:3]})
    with pytest.raises(ValueError, match="ee_pos has shape"):
        fid.load_run(p)
    np.savez(p, **{k: v for k, v in run.items() if k != "success"})
    with pytest.raises(ValueError, match="missing 'success'"):
        fid.load_run(p)


def test_site_to_tcp_maps_libero_home_orientation_to_the_ports():
    """LIBERO's grip-site orientation at the start, turned by the harness's constant, is the port's
    pointing-down TCP orientation (within the few degrees LIBERO's recorded states deviate)."""
    from envs_mjx.controller import TCP_DOWN

    par = _parity_module()
    ref = fid.load_osc_reference(DATA / "libero_osc_reference.json")["cases"]
    for name in ("dx+1", "spatial0/dx+1", "object0/dx+1"):
        rot = ref[name]["ee_rot"][0] @ par.SITE_TO_TCP
        assert np.degrees(fid.rotation_angle(rot, TCP_DOWN)) < 6.0


# ------------------------------------------------------------------ tables and names


def test_success_table_aggregation():
    rows = [{"task": "libero_10/0", "sim": "port", "success": s} for s in (1, 1, 0)]
    rows += [{"task": "libero_10/0", "sim": "libero", "success": s} for s in (0, 0, 1)]
    rows += [{"task": "libero_goal/3", "sim": "port", "success": True}]
    t = fid.success_table(rows)
    assert t["tasks"]["libero_10/0"] == {"port": (2, 3), "libero": (1, 3)}
    assert t["suites"]["libero_10"]["port"] == pytest.approx(2 / 3)
    assert t["suites"]["libero_goal"] == {"port": 1.0}
    assert t["overall"]["port"] == pytest.approx(3 / 4) and t["overall"]["libero"] == pytest.approx(1 / 3)
    with pytest.raises(ValueError, match="suite/index"):
        fid.success_table([{"task": "x", "sim": "port", "success": 1}])


def test_name_map():
    par = _parity_module()
    lib = ["akita_black_bowl_1", "akita_black_bowl_2", "plate_1", "plate_2", "flat_stove_1", "moka_pot_1"]
    port = ["black_bowl_1", "black_bowl_2", "plate_left", "plate_right", "stove", "moka_pot_1", "ketchup"]
    pp = {"plate_left": [0, 0.2, 0], "plate_right": [0, -0.2, 0]}
    lp = {"plate_1": [0.01, -0.19, 0], "plate_2": [0, 0.21, 0]}
    nm = par.name_map(
        port,
        lib,
        {**pp, **{p: [0, 0, 0] for p in port if p not in pp}},
        {**lp, **{n: [0, 0, 0] for n in lib if n not in lp}},
    )
    assert nm["black_bowl_1"] == ("akita_black_bowl_1", "alias")
    assert nm["black_bowl_2"] == ("akita_black_bowl_2", "alias")
    assert nm["stove"] == ("flat_stove_1", "alias") and nm["moka_pot_1"] == ("moka_pot_1", "same")
    assert nm["plate_left"] == ("plate_2", "position") and nm["plate_right"] == ("plate_1", "position")
    assert "ketchup" not in nm
    # where the BDDL file fixes the roles (libero_10/4: plate_1 is the left plate), the explicit map wins
    nm = par.name_map(["plate_left", "plate_right"], lib, pp, lp, par.EXPLICIT_NAMES["libero_10/4"])
    assert nm == {"plate_left": ("plate_1", "explicit"), "plate_right": ("plate_2", "explicit")}


def test_port_dynamics_choose_the_env_config_and_cache_names():
    from envs_mjx.env import EnvConfig

    par = _parity_module()
    assert par.port_config("libero") == EnvConfig.libero()
    assert par.port_config("libero") == EnvConfig()            # the default
    assert par.port_config("ik") == EnvConfig.for_dynamics("ik")
    assert par.port_config("libero", render=32).render.width == 32
    assert (
        par.port_config("libero").controller.kind == "osc" and par.port_config("ik").controller.kind == "ik"
    )
    with pytest.raises(SystemExit, match="--port-dynamics"):
        par.port_config("osc")
    assert par.result_name("expert_port", "libero") == "expert_port"
    assert par.result_name("controller", "ik", ".json") == "controller_ik.json"
    with pytest.raises(ValueError, match="port dynamics"):
        par.result_name("controller", "mpc")


def test_path_metrics_of_a_too_short_episode_are_nan_not_an_error():
    par = _parity_module()
    path = np.array([[0.0, 0, 0], [0.01, 0, 0], [0.02, 0, 0], [0.03, 0, 0], [0.05, 0, 0]])
    short = par._path_metrics(path, 1)
    assert np.isnan(short["msj"]) and short["path_m"] == pytest.approx(0.01) and short["steps"] == 1
    full = par._path_metrics(path, 4)
    assert np.isfinite(full["msj"]) and full["path_m"] == pytest.approx(0.05)


def test_merge_episodes_keeps_other_states_of_the_same_port_version_only():
    par = _parity_module()
    prov = {"port_dynamics": "libero", "port_commit": "abc"}
    old = {**prov, "inits": [0, 1], "port": [{"init": 0, "success": True}, {"init": 1, "success": True}]}
    new = {**prov, "inits": [1, 2], "port": [{"init": 2, "success": False}, {"init": 1, "success": False}]}
    m = par.merge_episodes(old, new, "port")
    assert m["inits"] == [0, 1, 2]
    assert [(e["init"], e["success"]) for e in m["port"]] == [(0, True), (1, False), (2, False)]
    for other in ({**old, "port_commit": "def"}, {**old, "port_dynamics": "ik"}, None):
        assert par.merge_episodes(other, new, "port") == new
    assert par.merge_episodes(old, new, "libero") == new  # old has no LIBERO side
    # port episodes of another simulator are not merged (results from before port_sim was recorded
    # are MJX's); LIBERO-side episodes do not depend on it
    assert par.merge_episodes(old, {**new, "port_sim": "mjx"}, "port")["inits"] == [0, 1, 2]
    assert par.merge_episodes(old, {**new, "port_sim": "c"}, "port") == {**new, "port_sim": "c"}
    lib_old = {**prov, "port_sim": "mjx", "libero": [{"init": 0, "success": True}]}
    lib_new = {**prov, "port_sim": "c", "libero": [{"init": 1, "success": True}]}
    assert par.merge_episodes(lib_old, lib_new, "libero")["inits"] == [0, 1]
    # LIBERO episodes run with and without the frame conversion are not merged
    conv = {**lib_new, "libero_frames": "port"}
    assert par.merge_episodes(lib_old, conv, "libero") == conv
    assert par.merge_episodes({**lib_old, "libero_frames": "port"}, conv, "libero")["inits"] == [0, 1]


def _report_module():
    spec = importlib.util.spec_from_file_location("report_fidelity", REPO / "scripts" / "report_fidelity.py")
    mod = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(mod)
    return mod


def test_report_headline_and_provenance_from_cached_results(tmp_path):
    """docs/fidelity.md's generated part from hand-made cached results: the headline numbers
    (computed by hand below), one comparison line for the IK controller, and which port dynamics,
    commit, tasks and states each section's results come from."""
    rep = _report_module()
    work, docs = tmp_path / "work", tmp_path / "docs"
    libero = {"port_dynamics": "libero", "port_commit": "abc1234"}

    def case(lib, port, err, init=0):
        return {
            "port_task": "libero_10/2",
            "init": init,
            "libero_disp_cm": lib,
            "port_disp_cm": port,
            "pos_err_cm": err,
            "rot_err_deg": [0.0, 2.0],
            "libero_rot_deg": [0.0, 1.0],
            "port_rot_deg": [0.0, 1.0],
            "libero_path": [[0, 0, 0]] * 2,
            "port_path": [[0, 0, 0]] * 2,
        }

    # translation cases: distance port / LIBERO = 3/2 and 1/1 -> median 1.25; the rotation case and
    # one under 1 cm of LIBERO travel are left out of the ratio; path errors max 0.5, 1.5, 0.1, 0.2
    ctrl = {
        "source": "test",
        **libero,
        "cases": {
            "dx+1": case([1.0, 1.0], [1.0, 2.0], [0.0, 0.5]),
            "dz+1": case([1.0, 1.0], [1.0, 1.0], [0.0, 1.5]),
            "dx+0.1": case([0.1, 0.1], [0.5, 0.5], [0.0, 0.1]),
            "droll+1": case([0.2, 0.2], [9.0, 9.0], [0.0, 0.2]),
        },
    }
    ik = {**ctrl, "port_dynamics": "ik", "cases": {"dx+1": case([1.0, 1.0], [4.0, 4.0], [0.0, 6.0])}}

    def obj(xy):
        return {"libero": "b", "how": "same", "pos": xy, "xy": xy, "dz": [0.0] * 2, "yaw": [0.0] * 2}

    poses = {"inits": [0, 1], **libero, "objects": {"a": obj([0.01, 0.03]), "b": obj([0.0, 0.0])}}

    def ep(i, s, msj):
        stats = {"msj": msj, "ldlj": -1.0, "sparc": -1.0, "path_m": 1.0, "steps": 9}
        return {"init": i, "success": s, "done_at": 9 if s else -1, **stats}

    files = {
        "controller.json": ctrl,
        "controller_ik.json": ik,
        "poses/libero_spatial_0.json": poses,
        "poses/libero_10_1.json": {**poses, "port_commit": "old9999", "port_libero_states": False},
        "expert_libero/libero_spatial_0.json": {
            "inits": [0, 1],
            **libero,
            "libero": [ep(0, True, 10.0), ep(1, False, 30.0)],
        },
        "expert_port/libero_spatial_0.json": {
            "inits": [0, 1],
            **libero,
            "port_sim": "c",
            "port": [ep(0, True, 20.0), ep(1, True, 40.0), ep(2, False, 500.0)],  # state 2: port only
        },
        "expert_libero/libero_goal_3.json": {
            "inits": [0],
            **libero,
            "libero_frames": "port",
            "libero": [ep(0, True, 99.0)],
        },
    }
    for name, obj_ in files.items():
        (work / name).parent.mkdir(parents=True, exist_ok=True)
        (work / name).write_text(json.dumps(obj_))
    head = rep.write(work, docs)
    assert head["ctrl_dist_ratio_median"] == pytest.approx(1.25)
    assert head["ctrl_pos_err_cm_median"] == pytest.approx(0.35) and head["ctrl_pos_err_cm_max"] == 1.5
    sp = head["pose_suites"]["libero_spatial"]
    assert sp["n"] == 4 and sp["xy_cm_median"] == pytest.approx(0.5) and sp["frac_within_2cm"] == 0.75
    assert head["expert_paired_libero"] == [1, 2] and head["expert_paired_port"] == [2, 2]
    assert head["expert_msj_libero_median"] == 20.0 and head["expert_msj_port_median"] == 30.0
    assert head["expert_libero_episodes"] == 3 and head["expert_port_episodes"] == 3
    text = (docs / "fidelity.md").read_text()
    assert "| libero_spatial/0 | 0-1 / 0-2 | 1/2 | 2/3 |" in text
    # per suite: on the states both simulators ran, and over every episode
    assert "| libero_spatial | 1/2 (50%) | 2/2 (100%) | 1/2 (50%) | 2/3 (67%) |" in text
    assert "| libero_goal | not run | not run | 1/1 (100%) | not run |" in text
    assert "| 0.3 / 1.5 cm |" in text and "| 1.25× |" in text
    assert (
        "controller under `EnvConfig.for_dynamics(\"ik\")` (the first port's IK controller" in text
        and "6.0 / 6.0 cm, 4.00×" in text
    )
    assert "(libero_spatial 0): success in LIBERO / in the port | 1/2 / 2/2 |" in text
    osc = rep.DYNAMICS["libero"]
    assert osc.startswith("`EnvConfig.libero()`")
    assert f"| poses | {osc} | abc1234 | libero_spatial 0 | 0-1 |" in text
    assert f"| poses | {osc} | old9999 | libero_10 1 | 0-1 |" in text
    # a task on the port's own layouts is marked in the table and the headline
    assert f"| libero_10/1 {rep.OWN_LAYOUTS} | 2 |" in text and "| libero_spatial/0 | 2 |" in text
    assert f"reset poses, libero_10 ({rep.OWN_LAYOUTS} the port's own layouts)" in text
    assert "reset poses, libero_spatial:" in text
    # the same port version but different initial states: one row each
    assert f"| expert, libero side | {osc} | abc1234 | libero_spatial 0 | 0-1 |" in text
    conv = "LIBERO poses in the port's frames"
    assert f"| expert, libero side | {osc}, {conv} | abc1234 | libero_goal 3 | 0 |" in text
    assert f"| expert, port side | {osc}, in C MuJoCo | abc1234 | libero_spatial 0 | 0-1 |" in text
    # hand-written text outside the markers survives a regeneration
    (docs / "fidelity.md").write_text("# Title\n\nmine\n\n" + text.split("\n", 1)[1] + "\nafter\n")
    rep.write(work, docs)
    again = (docs / "fidelity.md").read_text()
    assert again.startswith("# Title\n\nmine\n") and again.rstrip().endswith("after")
    assert again.count(rep.BEGIN) == 1 and again.count(rep.END) == 1


def test_frame_conversion_moves_the_stove_to_its_burner_and_turns_the_cabinet():
    """LIBERO's flat stove origin is its knob end, the port's its burner 0.15 m along LIBERO's +x;
    a cabinet whose port frame is LIBERO's turned by +90 deg gets that turn, at any LIBERO yaw."""
    par = _parity_module()
    r = _rz(0.3)
    shift, turn = par.frame_conversion("flat_stove", r, r)
    pos, rot = par.to_port_frame(np.array([1.0, 2.0, 0.9]), r, shift, turn)
    np.testing.assert_allclose(pos, [1.0 + 0.15 * np.cos(0.3), 2.0 + 0.15 * np.sin(0.3), 0.9], atol=1e-12)
    np.testing.assert_allclose(rot, r, atol=1e-12)
    shift, turn = par.frame_conversion("wooden_cabinet", r, r @ _rz(np.pi / 2))
    np.testing.assert_allclose(shift, 0.0)
    np.testing.assert_allclose(turn, _rz(np.pi / 2), atol=1e-12)
    # later in the episode the object has turned by another 0.2 rad in LIBERO: the port frame follows
    _, rot = par.to_port_frame(np.zeros(3), _rz(0.5), shift, turn)
    np.testing.assert_allclose(rot, _rz(0.5 + np.pi / 2), atol=1e-12)
    # the white cabinet's shell is centred 1.6 cm behind LIBERO's origin (envs_mjx.families)
    shift, _ = par.frame_conversion("white_cabinet", np.eye(3), np.eye(3))
    np.testing.assert_allclose(shift, [0.0, 0.016, 0.0])


def test_unmet_predicates_at_the_last_step_and_the_report_note():
    par, rep = _parity_module(), _report_module()
    run = {
        "predicate_names": np.array(["turnon(flat_stove_1)", "on(moka_pot_1,flat_stove_1_cook_region)"]),
        "predicates": np.array([[False, False], [True, True], [True, False]]),  # [T + 1, P]
    }
    assert par.unmet_predicates(run) == ["on(moka_pot_1,flat_stove_1_cook_region)"]
    with pytest.raises(ValueError, match="predicate"):
        par.unmet_predicates({**run, "predicates": np.zeros((3, 3), bool)})
    eps = [
        {"success": False, "unmet": ["a", "b"]},
        {"success": False, "unmet": ["a"]},
        {"success": True, "unmet": ["c"]},  # a success's leftovers are not reported
        {"success": False},  # recorded before the harness kept them
    ]
    assert rep.unmet_note(eps) == "LIBERO, false at the end: `a` (2), `b`"
    assert rep.unmet_note([{"success": True}]) == ""


def test_merge_transfer_keeps_other_states_and_sides_of_the_same_protocol_only():
    par = _parity_module()
    proto = {"policy": "p", "policy_step": 6, "max_steps": 180, "libero_camera_size": 64, "port_commit": "c"}
    ep = lambda i, s: {"init": i, "success": s, "steps": 9}  # noqa: E731
    old = {**proto, "libero": [ep(0, True), ep(1, True)], "port": [ep(0, False)]}
    m = par.merge_transfer(old, dict(proto), "libero", [ep(1, False), ep(2, True)])
    assert [(e["init"], e["success"]) for e in m["libero"]] == [(0, True), (1, False), (2, True)]
    assert m["port"] == [ep(0, False)] and m["inits"] == [0, 1, 2]
    m2 = par.merge_transfer(old, m, "port", [ep(1, True)])  # the libero side just run is kept
    assert m2["libero"] == m["libero"] and [e["init"] for e in m2["port"]] == [0, 1]
    for k, v in (("policy_step", 7), ("max_steps", 520), ("port_commit", "d")):
        fresh = par.merge_transfer(old, {**proto, k: v}, "libero", [ep(3, False)])
        assert fresh["libero"] == [ep(3, False)] and fresh["port"] == [] and fresh["inits"] == [3]


def test_transfer_section_from_cached_results(tmp_path):
    """Section 5 and its headline line from a hand-made transfer result: per-side success counts,
    the states each side won, what the policy was trained on; a side not run reads "not run"."""
    rep = _report_module()
    eps = lambda ok: [{"init": i, "success": s, "steps": 9, "path_m": 0.1 * i} for i, s in enumerate(ok)]  # noqa: E731
    res = {
        "policy": "/runs/cpu",
        "policy_step": 6000,
        "policy_stage": "sft",
        "policy_dynamics": "ik",
        "policy_tasks": ["libero_10/2", "libero_10/9"],
        "inits": [0, 1, 2],
        "max_steps": 180,
        "libero_camera_size": 64,
        "port_dynamics": "ik",
        "port_commit": "abc1234",
        "libero": eps([False, True, False]),
        "port": eps([True, True, False]),
    }
    lines, head = rep.transfer_md({"libero_10/2": res, "libero_10/9": {**res, "port": []}})
    text = "\n".join(lines)
    assert (
        "| libero_10/2 | `cpu` step 6000 (sft) | libero_10/2, libero_10/9 under `ik` | 1/3 | 2/3 | 0-2 "
        "| 1 / 0-1 | 0.10 / 0.10 | 180 | 64² |" in text
    )
    assert "| libero_10/9 |" in text and "| 1/3 | not run | 0-2 | 1 / none | 0.10 / n/a |" in text
    assert head["transfer_counts"] == {"libero": [2, 6], "port": [2, 3]}
    assert head["transfer_libero"] == pytest.approx(1 / 3) and head["transfer_port"] == pytest.approx(2 / 3)
    summary = "\n".join(rep.headline_md(head, None, {}))
    assert "success in LIBERO / in the port, same states | 2/6 / 2/3 |" in summary


def test_ranges_text():
    rep = _report_module()
    assert rep._ranges([5, 0, 1, 2, 7, 8]) == "0-2, 5, 7-8"
    assert (
        rep._tasks_text(["libero_goal/1", "libero_10/0", "libero_goal/0", "libero_goal/3"])
        == "libero_10 0; libero_goal 0-1, 3"
    )


# ------------------------------------------------------------------ needs the reference install


@pytest.mark.skipif(not (REF / "venv" / "bin" / "python").exists(), reason="no reference LIBERO install")
def test_runner_reproduces_recorded_data(tmp_path):
    actions = tmp_path / "a.json"
    actions.write_text(json.dumps([[1, 0, 0, 0, 0, 0, -1]] * 2))
    env = dict(
        os.environ, LIBERO_CONFIG_PATH=str(REF / "config"), PYTHONPATH=str(REF / "LIBERO"), MUJOCO_GL="egl"
    )
    subprocess.run(
        [
            str(REF / "venv/bin/python"),
            str(REPO / "scripts/libero_reference/libero_runner.py"),
            "--suite",
            "libero_10",
            "--task",
            "2",
            "--init",
            "0",
            "--actions",
            str(actions),
            "--out",
            str(tmp_path / "r.npz"),
        ],
        env=env,
        check=True,
        capture_output=True,
        timeout=600,
    )
    run = fid.load_run(tmp_path / "r.npz")
    rec = fid.load_run(DATA / "libero_run_dx5.npz")
    np.testing.assert_allclose(run["ee_pos"], rec["ee_pos"][:3], atol=1e-9)
    np.testing.assert_allclose(run["obj_pose"], rec["obj_pose"][:3], atol=1e-9)


def test_expert_ref_map_resolves_drawers_and_regions():
    """The plan references of libero_10/3 and libero_10/6 resolved against LIBERO's names (taken
    from LIBERO's KITCHEN_SCENE4 / LIVING_ROOM_SCENE6 models)."""
    par = _parity_module()
    objs = ["akita_black_bowl_1", "wine_bottle_1", "white_cabinet_1", "wine_rack_1"]
    bodies = [
        "world",
        "white_cabinet_1_main",
        "white_cabinet_1_cabinet_top",
        "white_cabinet_1_cabinet_bottom",
    ]
    sites = [
        "living_room_table_plate_right_region",
        "living_room_table_plate_left_region",
        "plate_1_default_site",
    ]
    m = par.expert_ref_map(("world", "black_bowl", "cabinet/bottom_drawer", "cabinet"), objs, bodies, sites)
    assert m == {
        "world": ("world", ""),
        "black_bowl": ("object", "akita_black_bowl_1"),
        "cabinet/bottom_drawer": ("extra", "white_cabinet_1_cabinet_bottom"),
        "cabinet": ("object", "white_cabinet_1"),
    }
    m = par.expert_ref_map(("plate_right_region", "cabinet/middle_drawer"), objs, bodies, sites)
    assert m == {
        "plate_right_region": ("extra", "living_room_table_plate_right_region")
    }  # no middle drawer body
    # the port's plan names the region by its full BDDL name (libero_10 on LIBERO's task data)
    m = par.expert_ref_map(("living_room_table_plate_right_region",), objs, bodies, sites)
    assert m == {"living_room_table_plate_right_region": ("extra", "living_room_table_plate_right_region")}


def test_reference_episodes_reuse_skips_only_when_every_state_is_recorded(tmp_path):
    """``--reuse-runs`` (``Reference.episodes(reuse=True)``): the LIBERO runner is skipped only if
    every requested state's file exists; a missing state or ``reuse=False`` runs it."""
    par = _parity_module()
    ref = object.__new__(par.Reference)  # no reference venv needed: the runner call is recorded
    calls = []
    ref.run = lambda args, log=None: calls.append(args)
    pattern = tmp_path / "init{init}.npz"
    for i in (0, 1):
        (tmp_path / f"init{i}.npz").write_bytes(b"")
    empty = tmp_path / "a.npy"
    assert ref.episodes("libero_10/2", [0, 1], pattern, actions=empty, reuse=True) is False
    assert calls == []
    assert ref.episodes("libero_10/2", [0, 1, 2], pattern, actions=empty, reuse=True) is True
    assert ref.episodes("libero_10/2", [0, 1], pattern, actions=empty) is True
    assert len(calls) == 2 and calls[0][calls[0].index("--init") + 1:][:3] == ["0", "1", "2"]
