"""Data parallelism for GRPO with ``jax.sharding``: one ``"data"`` mesh axis over devices.

The GRPO batch of ``N = P * G`` episodes is split along its episode axis across the devices of
a 1-D :class:`jax.sharding.Mesh`; every device simulates, renders and scores its ``N / n``
episodes and computes the gradient of its share, and XLA's SPMD partitioner inserts the
all-reduce. Parameters (and the Adam moments) are either replicated (``"replicate"``, plain
data parallelism) or split along one dimension over the same axis (``"fsdp"``: each device
holds ``1/n`` of every large tensor; XLA all-gathers it where the forward pass needs it).

Single host::

    mesh = make_mesh()                      # all local devices
    par = DataParallel.create(mesh, state, optimizer, params="replicate")
    state = par.put(state)                  # then make_grpo_iteration(..., parallel=par)

Multi-host (TPU pods, GPU clusters): call :func:`initialize_distributed` (a thin wrapper over
``jax.distributed.initialize``) in every process *before* anything else touches JAX; then
``jax.devices()`` lists the devices of all hosts and the same code builds a global mesh. Each
process runs the same program on identical host inputs (same seed and config), which is what
fully-replicated inputs require. See ``docs/training.md`` ("Multiple devices and hosts").

Testing on CPU: ``XLA_FLAGS=--xla_force_host_platform_device_count=8`` gives 8 CPU devices
(tests/test_parallel.py compares the sharded iteration with the single-device one).
"""

from __future__ import annotations

import dataclasses
import os
from typing import Any

import jax
import numpy as np
import optax
from jax.sharding import Mesh, NamedSharding
from jax.sharding import PartitionSpec as P

PyTree = Any
AXIS = "data"
PARAM_MODES = ("replicate", "fsdp")


def initialize_distributed(coordinator_address: str | None = None,
                           num_processes: int | None = None,
                           process_id: int | None = None) -> None:
    """Joins a multi-process JAX run (no-op for a single process).

    With no arguments ``jax.distributed.initialize`` auto-detects TPU pods, SLURM and Open MPI;
    otherwise pass the coordinator ``host:port``, the number of processes and this process's id
    (or set ``JAX_COORDINATOR_ADDRESS`` / ``JAX_NUM_PROCESSES`` / ``JAX_PROCESS_ID``).
    """
    coordinator_address = coordinator_address or os.environ.get("JAX_COORDINATOR_ADDRESS")
    if num_processes is None and "JAX_NUM_PROCESSES" in os.environ:
        num_processes = int(os.environ["JAX_NUM_PROCESSES"])
    if process_id is None and "JAX_PROCESS_ID" in os.environ:
        process_id = int(os.environ["JAX_PROCESS_ID"])
    jax.distributed.initialize(coordinator_address=coordinator_address,
                               num_processes=num_processes, process_id=process_id)


def make_mesh(num_devices: int = 0) -> Mesh:
    """1-D ``("data",)`` mesh over the first ``num_devices`` devices (0 = all, every host).

    Raises:
      ValueError: more devices asked for than exist (with a hint for CPU testing).
    """
    devices = jax.devices()
    n = len(devices) if num_devices <= 0 else int(num_devices)
    if n > len(devices):
        raise ValueError(
            f"asked for {n} devices but JAX sees {len(devices)} ({devices[0].platform}); on CPU "
            f"set XLA_FLAGS=--xla_force_host_platform_device_count={n} before JAX starts")
    return Mesh(np.asarray(devices[:n]), (AXIS,))


def fsdp_spec(shape: tuple[int, ...], n: int, min_size: int) -> P:
    """Shards the largest dimension divisible by ``n`` (tensors smaller than ``min_size`` and
    ones with no such dimension stay replicated)."""
    if n == 1 or int(np.prod(shape, dtype=np.int64)) < min_size:
        return P()
    dims = sorted(range(len(shape)), key=lambda d: -shape[d])
    for d in dims:
        if shape[d] % n == 0:
            spec = [None] * len(shape)
            spec[d] = AXIS
            return P(*spec)
    return P()


def param_shardings(params: PyTree, mesh: Mesh, mode: str = "replicate",
                    min_fsdp_size: int = 2 ** 12) -> PyTree:
    """``NamedSharding`` pytree matching ``params`` for ``mode`` in :data:`PARAM_MODES`."""
    if mode not in PARAM_MODES:
        raise ValueError(f"parameter sharding must be one of {PARAM_MODES}, got {mode!r}")
    n = mesh.shape[AXIS]
    if mode == "replicate":
        return jax.tree.map(lambda _: NamedSharding(mesh, P()), params)
    return jax.tree.map(lambda x: NamedSharding(mesh, fsdp_spec(np.shape(x), n, min_fsdp_size)),
                        params)


@dataclasses.dataclass(frozen=True)
class DataParallel:
    """A mesh plus the shardings of one GRPO train state.

    Attributes:
      mesh: 1-D ``("data",)`` mesh.
      state: ``NamedSharding`` pytree with the structure of the train state.
      params_mode: ``"replicate"`` or ``"fsdp"``.
    """

    mesh: Mesh
    state: PyTree
    params_mode: str = "replicate"

    @property
    def num_devices(self) -> int:
        return int(self.mesh.shape[AXIS])

    @property
    def replicated(self) -> NamedSharding:
        return NamedSharding(self.mesh, P())

    @property
    def batch(self) -> NamedSharding:
        """Leading (episode) axis split over devices."""
        return NamedSharding(self.mesh, P(AXIS))

    @classmethod
    def create(cls, mesh: Mesh, train_state: Any, optimizer: optax.GradientTransformation,
               params: str = "replicate", min_fsdp_size: int = 2 ** 12) -> DataParallel:
        """Shardings for a :class:`smoothvla_jax.rl.trainer.GRPOTrainState`: ``step``/``rng``
        replicated, ``params``/``ref_params`` and the optimiser's parameter-shaped leaves per
        ``params`` mode, the optimiser's other leaves (step counts) replicated."""
        rep = NamedSharding(mesh, P())
        pshard = param_shardings(train_state.params, mesh, params, min_fsdp_size)
        opt = optax.tree_map_params(optimizer, lambda _, s: s, train_state.opt_state, pshard,
                                    transform_non_params=lambda _: rep)
        ref = None if train_state.ref_params is None else pshard
        state = train_state.replace(step=rep, params=pshard, opt_state=opt, rng=rep,
                                    ref_params=ref)
        return cls(mesh=mesh, state=state, params_mode=params)

    def put(self, tree: PyTree) -> PyTree:
        """Places a train state (host or device arrays) with :attr:`state` shardings."""
        return jax.device_put(tree, self.state)

    def constrain_batch(self, tree: PyTree) -> PyTree:
        """``with_sharding_constraint`` of every leaf's leading axis to the data axis (inside
        jit)."""
        return jax.tree.map(lambda x: jax.lax.with_sharding_constraint(x, self.batch), tree)

    def check_batch(self, n: int, what: str = "episodes") -> None:
        if n % self.num_devices:
            raise ValueError(f"{n} {what} cannot be split evenly over {self.num_devices} "
                             f"devices; make P * G a multiple of the device count")


__all__ = ["AXIS", "PARAM_MODES", "DataParallel", "initialize_distributed", "make_mesh",
           "param_shardings"]
