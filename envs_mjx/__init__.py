"""LIBERO ported to MuJoCo MJX: Panda, controller, scenes, tasks, predicates, renderer."""

from envs_mjx import _xla_flags  # noqa: F401  (must run before JAX initialises)
