"""Shared command-line plumbing: absl flags, ml_collections config files, one-line user errors.

Every CLI (``train``, ``collect``, ``evaluate``, ``report``, ``export``) runs its ``main`` with
:func:`run`. A user error -- a missing or unknown file, config key, checkpoint or task, an
out-of-range number -- prints ONE line ``error: <problem>; <fix>`` on stderr and exits with
status 2. ``--verbosity=1`` (absl's flag) shows the full traceback instead. Without it, absl/orbax
INFO and WARNING logging is silenced (orbax logs every checkpoint save).
"""

from __future__ import annotations

import os
import sys
from collections.abc import Callable, Sequence
from typing import NoReturn

from absl import app, flags, logging

EXIT_USER_ERROR = 2
HINT = "(--verbosity=1 shows the traceback)"


class UserError(ValueError):
    """Bad input from the user: the message names the problem and the fix."""


def user_errors() -> tuple[type[BaseException], ...]:
    """Exception types reported as one line (everything else keeps its traceback)."""
    from smoothvla_jax.checkpoints import CheckpointError
    from smoothvla_jax.data import DatasetError

    return (ValueError, FileNotFoundError, NotADirectoryError, CheckpointError, DatasetError)


def one_line(e: BaseException | str) -> str:
    text = " ".join(str(e).split())
    return text.strip("\"'") if isinstance(e, KeyError) else text


def fail(message: str) -> NoReturn:
    """Prints ``error: message`` on one line and exits with status 2."""
    print(f"error: {one_line(message)}", file=sys.stderr, flush=True)
    sys.exit(EXIT_USER_ERROR)


def _config_args(argv: Sequence[str], name: str) -> tuple[str | None, list[str]]:
    path, overrides = None, []
    for a in argv[1:]:
        if a.startswith(f"--{name}="):
            path = a.split("=", 1)[1]
        elif a.startswith(f"--{name}."):
            overrides.append(a)
    return path, overrides


def _explain_config_error(argv: Sequence[str], name: str, err: BaseException) -> str:
    """A one-line explanation of a config-file flag that failed to load."""
    path, overrides = _config_args(argv, name)
    if path is not None:
        file = path.split(":", 1)[0]
        if not os.path.isfile(file):
            return (f"config file {file!r} not found (--{name}); pass an existing file such as "
                    f"configs/smoke.py or configs/libero10.py")
        from smoothvla_jax.builders import load_config

        try:
            base = load_config(path)
        except Exception as e:  # noqa: BLE001  (a broken config file: say which)
            return f"config file {file!r} failed to load: {one_line(e)}"
        for o in overrides:
            key = o.split("=", 1)[0][len(f"--{name}."):]
            node, parts = base, key.split(".")
            for i, p in enumerate(parts):
                if not hasattr(node, "keys") or p not in node:
                    where = ".".join(parts[:i]) or "config"
                    valid = sorted(node.keys()) if hasattr(node, "keys") else []
                    return (f"unknown config key '{name}.{key}' in {o!r}; valid keys of "
                            f"{where}: {', '.join(valid)}")
                node = node[p]
    return f"{one_line(err)} (see --help)"


def run(main: Callable[[list[str]], None], config_flag: str | None = "config") -> None:
    """``app.run(main)`` with one-line user errors (exit status 2) for bad flags and for
    :func:`user_errors` raised by ``main``."""
    fv = flags.FLAGS

    def parse(argv: list[str]) -> list[str]:
        try:
            rest = fv(argv)
            if config_flag is not None and config_flag in fv and fv[config_flag].present:
                cfg = fv[config_flag].value
                if type(cfg).__name__ == "_ErrorConfig":  # the file failed to load
                    raise flags.Error(f"--{config_flag} could not be loaded")
        except (flags.Error, AttributeError, KeyError, OSError) as e:
            if config_flag is not None and any(a.startswith(f"--{config_flag}") for a in argv):
                fail(_explain_config_error(argv, config_flag, e))
            fail(f"{one_line(e)} (see --help)")
        return rest

    def wrapped(argv: list[str]) -> None:
        if not fv["verbosity"].present:
            logging.set_verbosity(logging.ERROR)
        try:
            main(argv)
        except user_errors() as e:
            if fv["verbosity"].value >= 1:
                raise
            fail(f"{one_line(e)} {HINT}")

    app.run(wrapped, flags_parser=parse)


def typed_config(config_flag: str = "config"):
    """The parsed ``--config`` as a typed :class:`smoothvla_jax.config.Config` (or None)."""
    from smoothvla_jax.config import as_config

    cfg = flags.FLAGS[config_flag].value
    return None if cfg is None else as_config(cfg)


def config_path(config_flag: str = "config") -> str | None:
    from ml_collections import config_flags

    if flags.FLAGS[config_flag].value is None:
        return None
    return config_flags.get_config_filename(flags.FLAGS[config_flag])
