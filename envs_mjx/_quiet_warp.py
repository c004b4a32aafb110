"""Silences MJX's "Failed to import warp" / "Failed to import mujoco_warp" prints.

``mujoco.mjx`` prints those two lines on import when the optional NVIDIA Warp backend is not
installed (we use the JAX backend only). When ``warp`` is absent, a meta-path hook wraps the
import of ``mujoco.mjx.warp`` and drops exactly those lines; anything else it prints is kept.
Nothing is imported eagerly.
"""

from __future__ import annotations

import contextlib
import importlib.abc
import importlib.util
import io
import sys

_MODULE = "mujoco.mjx.warp"
_NOISE = ("Failed to import warp", "Failed to import mujoco_warp")


class _QuietLoader(importlib.abc.Loader):
    def __init__(self, loader: importlib.abc.Loader):
        self._loader = loader

    def create_module(self, spec):
        return self._loader.create_module(spec)

    def exec_module(self, module) -> None:
        buf = io.StringIO()
        try:
            with contextlib.redirect_stdout(buf):
                self._loader.exec_module(module)
        finally:
            kept = [ln for ln in buf.getvalue().splitlines() if not ln.startswith(_NOISE)]
            if kept:
                print("\n".join(kept))


class _QuietFinder(importlib.abc.MetaPathFinder):
    def find_spec(self, name, path, target=None):
        if name != _MODULE:
            return None
        for finder in sys.meta_path:
            if finder is self or not hasattr(finder, "find_spec"):
                continue
            spec = finder.find_spec(name, path, target)
            if spec is not None:
                if spec.loader is not None:
                    spec.loader = _QuietLoader(spec.loader)
                return spec
        return None


def install() -> None:
    """Installs the hook once, only if ``warp`` is not installed."""
    if any(isinstance(f, _QuietFinder) for f in sys.meta_path) or _MODULE in sys.modules:
        return
    if importlib.util.find_spec("warp") is not None:
        return
    sys.meta_path.insert(0, _QuietFinder())
