"""Test configuration: make sure the XLA CPU flag is applied before JAX starts."""

import envs_mjx  # noqa: F401
