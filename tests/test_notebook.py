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


def test_notebook_uses_only_existing_project_apis(nb):
    """Every ``from smoothvla_jax... / envs_mjx... import name`` in the notebook resolves, every
    config file it names exists and every ``--config.<key>`` override it passes is a real field
    (a renamed function or config field breaks this test, not only the CI notebook run)."""
    import ast
    import importlib
    import re

    from smoothvla_jax.config import Config, flatten

    code = "\n".join(_python_source(c.source) for c in nb.cells if c.cell_type == "code")
    imported = 0
    for node in ast.walk(ast.parse(code)):
        if isinstance(node, ast.ImportFrom) and node.module and node.module.split(".")[0] in (
                "smoothvla_jax", "envs_mjx"):
            mod = importlib.import_module(node.module)
            for alias in node.names:
                assert hasattr(mod, alias.name) or importlib.util.find_spec(
                    f"{node.module}.{alias.name}"), f"{node.module}.{alias.name}"
                imported += 1
    assert imported >= 8
    root = os.path.dirname(os.path.dirname(NOTEBOOK))
    names = set(re.findall(r'"(\w+)\.py"', code))
    assert {"smoke", "cpu", "grpo_smoke", "grpo_cpu"} <= names
    for name in names:
        assert os.path.isfile(os.path.join(root, "configs", f"{name}.py")), name
    fields = set(flatten(Config().to_dict()))
    keys = set(re.findall(r"--config\.([\w.]+)=", code))
    assert keys and keys <= fields, keys - fields
