"""Executes a Jupyter notebook top to bottom with nbclient and fails loudly on the first error.

    python scripts/run_notebook.py notebooks/smoothvla_colab.ipynb [--timeout 1200] \\
        [--output notebooks/_out/smoothvla_colab.executed.ipynb]

The notebook runs in its own directory (as in Jupyter) on the ``python3`` kernel, which is this
interpreter (install ``.[dev]`` for nbclient / ipykernel). The kernel inherits the environment,
so variables such as ``SMOOTHVLA_NOTEBOOK_SMOKE=1`` reach the notebook. ``--timeout`` is the
limit for each cell in seconds. On an error or a timeout the exit status is 1 and the message
names the failing cell (its index, its first line and the error); with ``--output`` the executed
copy (outputs included, up to the failing cell) is written either way. The notebook file itself
is never modified.
"""

from __future__ import annotations

import argparse
import os
import re
import sys
import time

_ANSI = re.compile(r"\x1b\[[0-9;]*m")  # colour codes in IPython tracebacks


def _first_line(cell) -> str:
    lines = [ln for ln in cell.source.splitlines() if ln.strip()]
    return lines[0].strip()[:100] if lines else "<empty>"


def run_notebook(path: str, timeout: int = 1200, output: str | None = None) -> int:
    """Executes ``path``; returns 0 on success, 1 if a cell failed or timed out."""
    import nbformat
    from nbclient import NotebookClient
    from nbclient.exceptions import CellExecutionError, CellTimeoutError, DeadKernelError

    shown, path = path, os.path.abspath(path)
    nb = nbformat.read(path, as_version=4)
    code_cells = [i for i, c in enumerate(nb.cells) if c.cell_type == "code"]
    current: dict[str, float | int | None] = {"index": None, "t0": 0.0}

    def on_cell_start(cell, cell_index):
        if cell.cell_type != "code":
            return
        current.update(index=cell_index, t0=time.perf_counter())
        k = code_cells.index(cell_index) + 1
        print(f"[code cell {k}/{len(code_cells)}, cell #{cell_index}] {_first_line(cell)}",
              flush=True)

    def on_cell_executed(cell, cell_index, execute_reply):
        if cell.cell_type != "code":
            return
        dt = time.perf_counter() - float(current["t0"])
        ok = execute_reply.get("content", {}).get("status", "ok") == "ok"
        print(f"    {'done' if ok else 'FAILED'} in {dt:.1f} s", flush=True)

    client = NotebookClient(nb, timeout=timeout, kernel_name="python3", allow_errors=False,
                            resources={"metadata": {"path": os.path.dirname(path)}},
                            on_cell_start=on_cell_start, on_cell_executed=on_cell_executed)
    t0 = time.perf_counter()
    status, error = 0, None
    try:
        client.execute()
    except (CellExecutionError, CellTimeoutError, DeadKernelError) as e:
        status, error = 1, e
    wall = time.perf_counter() - t0
    if output:
        os.makedirs(os.path.dirname(os.path.abspath(output)) or ".", exist_ok=True)
        nbformat.write(nb, output)
        print(f"executed copy written to {output}")
    if error is not None:
        idx = current["index"]
        where = "before the first cell (kernel start)"
        if idx is not None:
            cell = nb.cells[int(idx)]
            k = code_cells.index(int(idx)) + 1
            where = (f"code cell {k} of {len(code_cells)} (cell #{idx} of the notebook), "
                     f"starting with: {_first_line(cell)!r}")
        if isinstance(error, CellTimeoutError):
            what = f"timed out (limit {timeout} s per cell)"
        elif isinstance(error, DeadKernelError):
            what = "killed the kernel"
        else:
            what = f"raised {getattr(error, 'ename', 'an error')}: {getattr(error, 'evalue', '')}"
        print(f"\nNOTEBOOK FAILED: {shown}: {where} {what} ({wall:.0f} s into the run)\n\n"
              f"{_ANSI.sub('', str(error))}", file=sys.stderr, flush=True)
        return status
    print(f"notebook OK: {shown}, {len(code_cells)} code cells in {wall:.0f} s",
          flush=True)
    return 0


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("notebook", help="path to the .ipynb file")
    ap.add_argument("--timeout", type=int, default=1200, help="per-cell limit in seconds")
    ap.add_argument("--output", default=None, help="write the executed notebook here")
    args = ap.parse_args(argv)
    if not os.path.isfile(args.notebook):
        ap.error(f"no such notebook: {args.notebook}")
    return run_notebook(args.notebook, args.timeout, args.output)


if __name__ == "__main__":
    sys.exit(main())
