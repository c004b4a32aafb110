"""LIBERO ported to MuJoCo MJX: Panda, controller, scenes, tasks, predicates, renderer."""

from envs_mjx import _quiet_warp, _xla_flags  # noqa: F401  (_xla_flags: before JAX initialises)

_quiet_warp.install()
