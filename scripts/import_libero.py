"""Imports LIBERO's own task data (BDDL files + the 50 fixed initial states) into envs_mjx/data.

    python scripts/import_libero.py                 # download (once) and regenerate the data
    python scripts/import_libero.py --sdist X.tar.gz

Downloads the ``libero`` 0.1.1 source distribution from PyPI with pip (once; cached under
``~/.cache/smoothvla_jax/``), unpacks its ``bddl_files`` and ``init_files`` of the four suites,
parses them with our own BDDL parser and a numpy-only unpickler (:mod:`envs_mjx.libero_import`)
and writes, per suite, ``envs_mjx/data/<suite>_bddl.json`` (task definitions) and
``envs_mjx/data/<suite>_libero_init.npz`` (the 50 initial states, raw and decoded). The data is
committed, so nothing downloads at run time; ``tests/test_libero_data.py`` checks it is what
this script produces from a cached sdist.
"""

from __future__ import annotations

import argparse
import pathlib
import subprocess
import sys
import tarfile

sys.path.insert(0, str(pathlib.Path(__file__).resolve().parents[1]))

from envs_mjx import libero_import  # noqa: E402

CACHE = pathlib.Path.home() / ".cache" / "smoothvla_jax"
SDIST_NAME = "libero-0.1.1.tar.gz"
OUT = pathlib.Path(__file__).resolve().parents[1] / "envs_mjx" / "data"


def download_sdist(cache: pathlib.Path = CACHE) -> pathlib.Path:
    """The cached sdist, downloaded with pip if absent."""
    path = cache / SDIST_NAME
    if not path.exists():
        cache.mkdir(parents=True, exist_ok=True)
        cmd = [sys.executable, "-m", "pip", "download", "libero==0.1.1", "--no-deps",
               "--no-binary", ":all:", "-d", str(cache)]
        print("running:", " ".join(cmd))
        subprocess.run(cmd, check=True)
    if not path.exists():
        raise FileNotFoundError(f"pip did not produce {path}")
    return path


def unpack(sdist: pathlib.Path, cache: pathlib.Path = CACHE) -> pathlib.Path:
    """Extracts the task files of the four suites; returns the ``libero/libero`` directory."""
    dest = cache / "libero-0.1.1-taskfiles"
    root = dest / "libero-0.1.1" / "libero" / "libero"
    wanted = tuple(f"libero-0.1.1/libero/libero/{kind}/{suite}/"
                   for kind in ("bddl_files", "init_files") for suite in libero_import.SUITES)
    with tarfile.open(sdist) as tf:
        members = [m for m in tf.getmembers()
                   if m.isfile() and m.name.startswith(wanted)
                   and m.name.endswith((".bddl", ".pruned_init"))]
        if not members:
            raise ValueError(f"{sdist} holds no LIBERO bddl/init files: is it libero 0.1.1?")
        tf.extractall(dest, members=members, filter="data")
    return root


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawTextHelpFormatter)
    ap.add_argument("--sdist", type=pathlib.Path, default=None,
                    help="a libero-0.1.1.tar.gz (default: download into ~/.cache/smoothvla_jax)")
    ap.add_argument("--out", type=pathlib.Path, default=OUT)
    args = ap.parse_args()
    sdist = args.sdist or download_sdist()
    root = unpack(sdist)
    for suite in libero_import.SUITES:
        data, arrays = libero_import.build_suite(root, suite)
        j, n = libero_import.write_suite(args.out, suite, data, arrays)
        print(f"{suite}: {len(data['tasks'])} tasks -> {j.name} ({j.stat().st_size // 1024} kB), "
              f"{n.name} ({n.stat().st_size // 1024} kB)")


if __name__ == "__main__":
    main()
