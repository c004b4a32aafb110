"""Static checks of notebooks/smoothvla_colab.ipynb (fast, nothing is executed).

CI executes the notebook separately (``scripts/run_notebook.py`` in ``.ci/run``)."""

from __future__ import annotations

import os

import pytest

nbformat = pytest.importorskip("nbformat")

NOTEBOOK = os.path.join(os.path.dirname(__file__), "..", "notebooks", "smoothvla_colab.ipynb")


@pytest.fixture(scope="module")
def nb():
    return nbformat.read(NOTEBOOK, as_version=4)


def _python_source(source: str) -> str:
    """Cell source without IPython-only lines (``!shell``, ``%magic``)."""
    return "\n".join(ln for ln in source.splitlines() if not ln.lstrip().startswith(("!", "%")))


def test_notebook_is_valid(nb):
    nbformat.validate(nb)
    assert nb.metadata.kernelspec.name == "python3"
    kinds = [c.cell_type for c in nb.cells]
    assert "markdown" in kinds and kinds.count("code") >= 5


def test_notebook_has_no_outputs(nb):
    dirty = [i for i, c in enumerate(nb.cells) if c.cell_type == "code"
             and (c.outputs or c.execution_count is not None)]
    assert not dirty, f"cells {dirty} have outputs: clear them before committing"


def test_code_cells_compile(nb):
    for i, cell in enumerate(nb.cells):
        if cell.cell_type == "code":
            compile(_python_source(cell.source), f"{NOTEBOOK}:cell{i}", "exec")


def test_notebook_runs_the_documented_pipeline(nb):
    code = "\n".join(c.source for c in nb.cells if c.cell_type == "code")
    for needle in ('"google.colab" in sys.modules', "SMOOTHVLA_NOTEBOOK_SMOKE", "jax.devices()",
                   "train(sft_config", "run_grpo(grpo_config)", "--config.reward.kind=smooth",
                   "imageio.mimsave", "finite_difference_jerk"):
        assert needle in code, needle
