"""scripts/success_gain.py on hand-made eval files: pairing by initial state, the printed row,
and one-line errors for evaluations over different states."""

from __future__ import annotations

import importlib.util
import json
import pathlib

import numpy as np
import pytest

from smoothvla_jax.metrics import stats

REPO = pathlib.Path(__file__).resolve().parents[1]
spec = importlib.util.spec_from_file_location("success_gain", REPO / "scripts" / "success_gain.py")
sg = importlib.util.module_from_spec(spec)
spec.loader.exec_module(sg)


def _write(path: pathlib.Path, index: list[int], success: list[int]) -> str:
    path.write_text(json.dumps({"episodes": {"libero_10/2": {"init_index": index,
                                                             "success": success}}}))
    return str(path)


def test_pairs_by_initial_state_and_prints_the_row(tmp_path, capsys):
    base = _write(tmp_path / "b.json", [0, 1, 2, 3], [1, 0, 0, 0])
    # the same outcomes listed in another order: states 3, 2, 1, 0 -> 1 1 1 1 is all solved
    p0 = _write(tmp_path / "p0.json", [3, 2, 1, 0], [1, 1, 0, 1])   # states 0, 2, 3 solved
    p1 = _write(tmp_path / "p1.json", [0, 1, 2, 3], [1, 1, 1, 1])
    r = sg.main(["--base", base, "--policy", p0, "--policy", p1, "--n_boot", "1000",
                 "--label", "greedy"])
    assert r["gain"] == pytest.approx([0.5, 0.75])
    assert r["mcnemar"][0]["up"] == 2 and r["mcnemar"][0]["down"] == 0
    row = capsys.readouterr().out
    assert row.startswith("| greedy | 25% | 75% (+50.0) | 100% (+75.0) | **+62.5 points** |")


def test_other_states_is_an_error(tmp_path):
    base = _write(tmp_path / "b.json", [0, 1, 2, 3], [1, 0, 0, 0])
    p = _write(tmp_path / "p.json", [0, 1, 2, 4], [1, 0, 0, 0])
    with pytest.raises(SystemExit, match="other states"):
        sg.main(["--base", base, "--policy", p])


def test_json_holds_the_outcomes_the_numbers_came_from(tmp_path):
    base = _write(tmp_path / "b.json", [0, 1, 2, 3], [1, 0, 0, 0])
    p0 = _write(tmp_path / "p0.json", [3, 2, 1, 0], [1, 1, 0, 1])
    out = tmp_path / "gain.json"
    r = sg.main(["--base", base, "--policy", p0, "--n_boot", "500", "--json", str(out)])
    d = json.loads(out.read_text())
    assert d["init_index"] == [0, 1, 2, 3]
    assert d["base_success"] == [[1, 0, 0, 0]]
    assert d["policy_success"] == [[[1, 0, 1, 1]]]          # ordered by state, not by file
    again = stats.success_gain(np.array(d["base_success"]), np.array(d["policy_success"]),
                               n_boot=500)
    assert again["mean"] == pytest.approx(r["mean"]) == pytest.approx(d["mean"]) == 0.5
