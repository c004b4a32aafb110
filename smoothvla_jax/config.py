"""Typed run configuration: the single source of every default.

The config files under ``configs/`` are ml_collections files (so ``--config.a.b=value`` works on
every CLI); each starts from :func:`default_config_dict` (= :class:`Config` with its defaults,
the real accelerator-sized LIBERO-10 run) and changes a few fields. Code never reads the
ConfigDict: every entry point turns it into a frozen :class:`Config` once, with
:func:`as_config`, and then reads fields (``config.sft.lr``). Unknown keys are errors that name
the key; missing keys (a checkpoint written by an older version) take the defaults below.

Sections: ``env`` (the simulated dynamics every stage builds), ``data`` (demonstrations,
:mod:`smoothvla_jax.collect`), ``model`` (the VLA),
``sft`` (supervised fine-tuning), ``grpo`` + ``reward`` (RL fine-tuning with the SmoothVLA
reward), ``eval`` (closed-loop evaluation protocol), ``parallel`` (devices), ``logging``.
"""

from __future__ import annotations

import dataclasses
import typing
from collections.abc import Mapping
from typing import Any

from envs_mjx import dynamics as dynamics_lib
from smoothvla_jax.rl.rewards import RewardConfig

STAGES = ("collect", "sft", "grpo", "eval", "report")
EXPERIMENT_STAGES = ("demos", "sft", "calibrate", "control", "grpo", "eval", "report")
LIBERO_10 = ",".join(f"libero_10/{i}" for i in range(10))


class ConfigError(ValueError):
    """A config field is unknown, has the wrong type or an invalid value."""


def _choice(where: str, value: Any, allowed: tuple[str, ...]) -> None:
    if value not in allowed:
        raise ConfigError(f"config.{where}={value!r} is invalid; use one of {list(allowed)}")



def _parse_stages(value: str, stages: tuple[str, ...], field: str) -> tuple[str, ...]:
    """A comma-separated subset of ``stages`` (or ``"all"``) as a tuple in pipeline order."""
    names = [s.strip() for s in value.split(",") if s.strip()]
    if names == ["all"]:
        return stages
    bad = [s for s in names if s not in stages]
    if bad or not names:
        raise ConfigError(f"{field}={value!r}: unknown stage(s) {bad}; use a comma-separated "
                          f"subset of {','.join(stages)} (or 'all')")
    return tuple(s for s in stages if s in names)

@dataclasses.dataclass(frozen=True)
class EnvSection:
    """The simulated environment every stage builds (collection, GRPO, evaluation):
    :func:`smoothvla_jax.builders.env_config` maps it to an ``envs_mjx.env.EnvConfig``.
    Datasets and checkpoints record it; using one made under other dynamics is an error."""

    dynamics: str = dynamics_lib.DEFAULT  # "libero": LIBERO's OSC_POSE controller + full
                                     # contacts (docs/controller.md); "libero_fast": the same
                                     # controller, finger-pad contacts (CPU-sized configs);
                                     # "ik": the first port's IK controller (5x LIBERO's hand
                                     # speed; the runs of RESULTS.md sections 1-4)

    def __post_init__(self) -> None:
        _choice("env.dynamics", self.dynamics, tuple(dynamics_lib.DYNAMICS))


ACTION_LABELS = ("executed", "expert")  # what a demo records as its action (collect.py)


@dataclasses.dataclass(frozen=True)
class DataConfig:
    """Demonstrations (``python -m smoothvla_jax.collect``; format: docs/dataset.md)."""

    root: str = "data/libero10"      # dataset directory
    tasks: str = LIBERO_10           # comma-separated task keys, suite names, or "all" (= suite)
    suite: str = "libero_10"
    num_demos: int = 50              # kept demonstrations per task (LIBERO ships 50)
    image_size: int = 128            # square camera images (also the model's image size)
    horizon: int = 520               # max control steps per demo (0 = the task's LIBERO limit)
    action_noise: float = 0.05       # Gaussian std added to the expert's arm actions
    action_labels: str = "executed"  # recorded action: "executed" (with the noise) | "expert"
                                     # (before the noise: DART-style noise-free labels)
    keep_only_success: bool = True   # drop failed expert episodes
    max_attempts: int = 3            # at most max_attempts * num_demos rollouts per task
    layouts: str = "train"           # "train": fresh training layouts; "eval": the 50 fixed
                                     # evaluation states (never use them for a fair evaluation)
    batch_size: int = 25             # envs per vmapped collection batch
    segment: int = 40                # control steps per jitted call (early exit when all done)
    pad_mode: str = "noop"           # chunk padding past the episode end: "noop" | "last"

    def __post_init__(self) -> None:
        _choice("data.layouts", self.layouts, ("train", "eval"))
        _choice("data.action_labels", self.action_labels, ACTION_LABELS)
        _choice("data.pad_mode", self.pad_mode, ("noop", "last"))


@dataclasses.dataclass(frozen=True)
class ModelConfig:
    """The VLA (:class:`smoothvla_jax.model.VLAConfig` preset; image size from ``data``)."""

    size: str = "base"               # "tiny" | "base"
    chunk: int = 8                   # K actions per decision
    dropout: float = 0.0
    dtype: str = "bfloat16"          # compute dtype (params stay float32)

    def __post_init__(self) -> None:
        _choice("model.size", self.size, ("tiny", "base"))


@dataclasses.dataclass(frozen=True)
class SFTConfig:
    """Supervised fine-tuning on the demonstrations (:mod:`smoothvla_jax.sft`)."""

    batch_size: int = 64
    num_steps: int = 30_000
    lr: float = 1e-4                 # peak AdamW learning rate
    warmup_steps: int = 1_000        # linear warmup, then cosine decay
    end_lr_ratio: float = 0.05       # final lr = end_lr_ratio * lr
    weight_decay: float = 0.01       # on >= 2-D params only
    grad_clip: float = 1.0           # global-norm clip (0 disables)
    action_norm: str = "identity"    # "identity" | "min_max" (q01/q99 per dim, gripper kept)
    mask_padding: bool = False       # True: no loss on padded chunk targets
    augment_shift: int = 8           # random image translation of up to +-8 px (0 = off)
    log_every: int = 100
    save_every: int = 2_000
    keep_checkpoints: int = 3
    async_checkpoint: bool = True
    resume: bool = True              # continue from the latest checkpoint in workdir

    def __post_init__(self) -> None:
        _choice("sft.action_norm", self.action_norm, ("identity", "min_max"))


@dataclasses.dataclass(frozen=True)
class EvalConfig:
    """Closed-loop evaluation protocol (:mod:`smoothvla_jax.evaluation`)."""

    tasks: str = ""                  # "" = data.tasks
    heldout: bool = False            # True: refuse eval.tasks that overlap data.tasks
    num_init: int = 50               # fixed initial states per task (LIBERO protocol; <= 50)
    horizon: int = 520               # control steps (0 = each task's LIBERO limit)
    temperature: float = 0.0         # 0 = greedy
    batch_size: int = 25             # envs per vmapped rollout
    num_videos: int = 3              # episodes written as video per task
    video_format: str = "gif"        # "gif" | "mp4"
    num_paths: int = 4               # end-effector paths stored per task in eval.json

    def __post_init__(self) -> None:
        _choice("eval.video_format", self.video_format, ("gif", "mp4"))


@dataclasses.dataclass(frozen=True)
class GRPOTrainConfig:
    """GRPO fine-tuning (:mod:`smoothvla_jax.rl.trainer`); defaults follow SimpleVLA-RL / RLinf:
    group 8, KL 0, clip 0.2/0.28, temperature 1.6, lr 5e-6, 2 update epochs, dynamic
    sampling on success (docs/training.md)."""

    init_checkpoint: str = ""        # SFT run dir (or its checkpoints/); "" = config.workdir
    init_step: int = -1              # SFT checkpoint step (-1 = latest)
    workdir: str = ""                # GRPO run dir; "" = <config.workdir>/grpo
    tasks: str = ""                  # "" = data.tasks; one task per iteration, round robin
    num_iterations: int = 100        # GRPO iterations (each: rollouts + update epochs)
    prompts_per_iteration: int = 8   # P initial states per iteration
    group_size: int = 8              # G samples per prompt (P * G episodes per iteration)
    horizon: int = 520               # episode limit in control steps (LIBERO-10)
    num_chunks: int = 0              # C decisions per episode (0 = ceil(horizon / chunk))
    prompt_layouts: str = "train"    # prompts from fresh training layouts ("eval": from the
    num_train_init: int = 50         # fixed evaluation states [0, n)); n = num_train_init
    temperature: float = 1.6         # rollout sampling temperature (log-probs use the same)
    clip_low: float = 0.2            # PPO ratio clipped to [1 - clip_low, 1 + clip_high]
    clip_high: float = 0.28          # "clip-higher"
    kl_coef: float = 0.0             # > 0 adds k3 KL to the frozen SFT policy
    lr: float = 5e-6                 # constant Adam(W) learning rate
    weight_decay: float = 0.0
    max_grad_norm: float = 1.0       # global-norm clip (<= 0 disables)
    update_epochs: int = 2           # passes over the iteration's episodes
    num_minibatches: int = 4         # optimiser steps per epoch (P * G % num_minibatches == 0)
    dynamic_sampling: bool = True    # keep only informative groups (refilled, rollout_prompts)
    ds_criterion: str = "success"    # "success": keep 0 < success rate < 1; "reward": spread > ds_tol
    ds_tol: float = 0.0              # "reward" criterion: min reward spread (max - min) kept
    rollout_prompts: int = 0         # R groups rolled out per round (0 = P; > P oversamples)
    max_rounds: int = 1              # at most this many rounds refill the P-group buffer
    min_groups: int = 0              # fewest kept groups that still update (0 = ceil(P / 2))
    adv_norm: str = "std"            # "std": (r - mean) / (std + eps) per group (GRPO, binary);
                                     # "mean": r - mean (Dr. GRPO; keeps a hybrid's jerk term)
    adv_eps: float = 1e-6
    loss_agg: str = "seq_mean"       # "seq_mean": every episode weighs the same | "token_mean"
    log_every: int = 1
    save_every: int = 10
    keep_checkpoints: int = 3
    async_checkpoint: bool = True
    resume: bool = True              # continue from the latest GRPO checkpoint in its workdir
    eval_at_end: bool = True         # evaluate the final policy (eval/step_<n>/eval.json)

    def __post_init__(self) -> None:
        _choice("grpo.prompt_layouts", self.prompt_layouts, ("train", "eval"))
        _choice("grpo.ds_criterion", self.ds_criterion, ("success", "reward"))
        _choice("grpo.adv_norm", self.adv_norm, ("std", "mean"))
        _choice("grpo.loss_agg", self.loss_agg, ("token_mean", "seq_mean"))


@dataclasses.dataclass(frozen=True)
class ExperimentConfig:
    """The powered, paired experiment ``python -m smoothvla_jax.experiment``
    (:mod:`smoothvla_jax.experiment`): SFT vs binary-reward GRPO vs SmoothVLA, run directory
    ``config.workdir``; the GRPO arms use the ``grpo`` section, the SmoothVLA arm the ``reward``
    section (``normalization="log_msj"`` gets the calibrated anchors), the evaluation the
    ``eval`` section (every trained task, ``eval.num_init`` fixed states, greedy and at
    ``grpo.temperature``)."""

    stages: str = ",".join(EXPERIMENT_STAGES)  # subset, run in pipeline order; finished
                                     # stages are skipped on a rerun (stages.json)
    sft_checkpoint: str = ""         # existing SFT run dir: skips demos + sft and starts there
    sft_step: int = -1               # its checkpoint step (-1 = latest)
    num_pairs: int = 6               # paired seeds (binary, SmoothVLA); >= 2 for any interval
    first_seed: int = 0              # seeds first_seed .. first_seed + num_pairs - 1
    workers: int = 1                 # processes running GRPO arms / evaluations side by side
                                     # (one XLA CPU process keeps ~1 core busy: 2 on 2 cores)
    calib_rounds: int = 4            # calibration: GRPO rollout rounds (grpo.rollout_prompts,
                                     # 0 = prompts_per_iteration, x group_size SFT rollouts)
                                     # per task at grpo.temperature, training layouts
    calib_low_pct: float = 10.0      # ln MSJ percentile of successes -> J_norm = 0
    calib_high_pct: float = 90.0     # ln MSJ percentile of successes -> J_norm = 1
    min_calib_successes: int = 5     # fewer successful calibration rollouts: stop (start too weak)
    calib_on: str = "success"        # "success" (the protocol) | "all" (every rollout: only for
                                     # plumbing checks whose policy never succeeds)
    control_iterations: int = 0      # positive-control GRPO iterations (0 = grpo.num_iterations)
    control_min_drop: float = 0.14   # required fall of the training MSJ of successes
    control_window: int = 3          # iterations averaged at the start and at the end
    stop_on_control_failure: bool = True  # False: report the failure and go on (smoke runs)
    target_effect: float = 0.138     # MSJ reduction the power analysis is for (the paper's)
    target_power: float = 0.8
    alpha: float = 0.05              # two-sided level (non-inferiority: one-sided)
    ni_margin: float = 0.05          # success non-inferiority margin (5 points)

    def __post_init__(self) -> None:
        self.stage_list()
        _choice("experiment.calib_on", self.calib_on, ("success", "all"))
        if self.num_pairs < 1:
            raise ConfigError(f"config.experiment.num_pairs must be >= 1, got {self.num_pairs}")
        if self.workers < 1:
            raise ConfigError(f"config.experiment.workers must be >= 1 (1 = one process), got "
                              f"{self.workers}")
        if not 0.0 <= self.calib_low_pct < self.calib_high_pct <= 100.0:
            raise ConfigError(f"config.experiment.calib_low_pct/calib_high_pct must satisfy "
                              f"0 <= low < high <= 100, got {self.calib_low_pct}, "
                              f"{self.calib_high_pct}")
        for name in ("target_effect", "target_power", "alpha", "ni_margin", "control_min_drop"):
            if not 0.0 < getattr(self, name) < 1.0:
                raise ConfigError(f"config.experiment.{name} must be in (0, 1), got "
                                  f"{getattr(self, name)}")
        if self.calib_rounds < 1 or self.control_window < 1:
            raise ConfigError(f"config.experiment.calib_rounds and control_window must be >= 1, "
                              f"got {self.calib_rounds}, {self.control_window}")

    def stage_list(self) -> tuple[str, ...]:
        """``stages`` as a tuple in pipeline order (``"all"`` = every stage)."""
        return _parse_stages(self.stages, EXPERIMENT_STAGES, "config.experiment.stages")

    def seeds(self) -> tuple[int, ...]:
        return tuple(range(self.first_seed, self.first_seed + self.num_pairs))


@dataclasses.dataclass(frozen=True)
class ParallelConfig:
    """Devices (:mod:`smoothvla_jax.parallel`): the P * G GRPO episodes over a 1-D mesh."""

    num_devices: int = 0             # 0 = every device (all hosts); 1 = no mesh
    params: str = "replicate"        # "replicate" | "fsdp" (shard large tensors over the mesh)
    min_fsdp_size: int = 4096        # fsdp: tensors with fewer elements stay replicated
    distributed: bool = False        # multi-host: jax.distributed.initialize() at start-up

    def __post_init__(self) -> None:
        _choice("parallel.params", self.params, ("replicate", "fsdp"))


@dataclasses.dataclass(frozen=True)
class LoggingConfig:
    """Metric logging (:mod:`smoothvla_jax.logger`): TensorBoard + metrics.jsonl always."""

    wandb: bool = False              # also log to Weights & Biases (pip install wandb)
    wandb_project: str = "smoothvla-jax"
    wandb_name: str = ""             # "" = workdir basename
    wandb_mode: str = ""             # "online" | "offline" | "disabled"; "" = $WANDB_MODE


@dataclasses.dataclass(frozen=True)
class Config:
    """One run of the pipeline ``collect -> sft -> grpo -> eval -> report``
    (``python -m smoothvla_jax.train``)."""

    name: str = "libero10"
    seed: int = 0
    workdir: str = "runs/libero10"   # the SFT run; GRPO in grpo.workdir, report in report/
    stages: str = ",".join(STAGES)   # comma-separated subset of STAGES, run in that order;
                                     # "collect" only runs when the dataset is missing
    hardware: str = "accelerator"    # what the config is sized for: "accelerator" | "cpu"
    allow_config_change: bool = False  # resume even if the stored config differs
    env: EnvSection = EnvSection()
    data: DataConfig = DataConfig()
    model: ModelConfig = ModelConfig()
    sft: SFTConfig = SFTConfig()
    eval: EvalConfig = EvalConfig()
    grpo: GRPOTrainConfig = GRPOTrainConfig()
    reward: RewardConfig = RewardConfig()
    parallel: ParallelConfig = ParallelConfig()
    logging: LoggingConfig = LoggingConfig()
    experiment: ExperimentConfig = ExperimentConfig()

    def __post_init__(self) -> None:
        _choice("hardware", self.hardware, ("accelerator", "cpu"))
        self.stage_list()  # validates

    def stage_list(self) -> tuple[str, ...]:
        """``stages`` as a tuple in pipeline order (``"all"`` = every stage)."""
        return _parse_stages(self.stages, STAGES, "config.stages")

    def to_dict(self) -> dict[str, Any]:
        return dataclasses.asdict(self)


# ============================================================================ conversion
def _hints(cls: type) -> dict[str, Any]:
    return typing.get_type_hints(cls)


def _coerce(where: str, value: Any, typ: Any) -> Any:
    if typ is bool:
        if isinstance(value, bool):
            return value
        raise ConfigError(f"config.{where} must be True or False, got {value!r}")
    if typ is int:
        if isinstance(value, bool) or not isinstance(value, int):
            if isinstance(value, float) and value.is_integer():
                return int(value)
            raise ConfigError(f"config.{where} must be an integer, got {value!r}")
        return int(value)
    if typ is float:
        if isinstance(value, bool) or not isinstance(value, (int, float)):
            raise ConfigError(f"config.{where} must be a number, got {value!r}")
        return float(value)
    if typ is str:
        if not isinstance(value, str):
            raise ConfigError(f"config.{where} must be a string, got {value!r}")
        return value
    return value


def _build(cls: type, values: Mapping[str, Any], prefix: str, strict: bool) -> Any:
    hints = _hints(cls)
    unknown = sorted(set(values) - set(hints))
    if unknown and strict:
        where = ", ".join(f"config.{prefix}{k}" for k in unknown)
        raise ConfigError(f"unknown config field(s) {where}; valid fields of "
                          f"config{'.' + prefix[:-1] if prefix else ''}: {sorted(hints)}")
    kwargs = {}
    for name, typ in hints.items():
        if name not in values:
            continue
        v = values[name]
        if dataclasses.is_dataclass(typ):
            if hasattr(v, "to_dict"):
                v = v.to_dict()
            if not isinstance(v, Mapping):
                raise ConfigError(f"config.{prefix}{name} must be a section, got {v!r}")
            kwargs[name] = _build(typ, v, f"{prefix}{name}.", strict)
        else:
            kwargs[name] = _coerce(prefix + name, v, typ)
    try:
        return cls(**kwargs)
    except ConfigError:
        raise
    except ValueError as e:  # e.g. RewardConfig's own validation
        raise ConfigError(f"config.{prefix[:-1]}: {e}") from e


def as_config(config: Any, strict: bool = True) -> Config:
    """:class:`Config` from a ConfigDict / mapping / Config (returned unchanged).

    ``strict=False`` ignores unknown keys (configs stored in old checkpoints)."""
    if isinstance(config, Config):
        return config
    if hasattr(config, "to_dict"):
        config = config.to_dict()
    if not isinstance(config, Mapping):
        raise ConfigError(f"expected a config mapping, got {type(config).__name__}")
    return _build(Config, config, "", strict)


def stored_config(stored: Mapping[str, Any]) -> Config:
    """The :class:`Config` of a run config stored in a checkpoint (unknown keys ignored,
    missing ones default), except ``env.dynamics``: a run stored without it was made under
    ``envs_mjx.dynamics.LEGACY`` (``"ik"``), not under today's default."""
    env = dict(stored.get("env") or {})
    env["dynamics"] = dynamics_lib.recorded(stored)
    return as_config({**stored, "env": env}, strict=False)


def default_config_dict() -> Any:
    """The defaults as an ml_collections ConfigDict: what every config file starts from."""
    import ml_collections

    return ml_collections.ConfigDict(Config().to_dict())


def flatten(d: Mapping[str, Any], prefix: str = "") -> dict[str, Any]:
    """``{"a": {"b": 1}} -> {"a.b": 1}``."""
    out: dict[str, Any] = {}
    for k, v in d.items():
        if isinstance(v, Mapping):
            out.update(flatten(v, f"{prefix}{k}."))
        else:
            out[f"{prefix}{k}"] = v
    return out


def config_diff(stored: Mapping[str, Any], current: Config,
                compared: tuple[str, ...], ignored: tuple[str, ...] = ()) -> list[str]:
    """``["sft.lr: 0.001 -> 0.002", ...]`` for the fields under the ``compared`` prefixes
    (minus ``ignored``) whose values differ. Fields absent from ``stored`` (written by an older
    version) are not compared, except ``env.dynamics``: a run stored without it was made under
    ``envs_mjx.dynamics.LEGACY`` (``"ik"``)."""
    old, new = flatten(stored), flatten(current.to_dict())
    old.setdefault("env.dynamics", dynamics_lib.recorded(stored))
    out = []
    for key in sorted(new):
        if not any(key == p or key.startswith(p + ".") for p in compared):
            continue
        if any(key == p or key.startswith(p + ".") for p in ignored) or key not in old:
            continue
        a, b = old[key], new[key]
        if isinstance(a, (int, float)) and isinstance(b, (int, float)) and float(a) == float(b):
            continue
        if a != b:
            out.append(f"{key}: {a!r} -> {b!r}")
    return out


def check_resume(stored: Mapping[str, Any], current: Config, compared: tuple[str, ...],
                 ignored: tuple[str, ...], where: str) -> None:
    """Refuses to resume the run in ``where`` with a config that differs from the one it was
    started with (unless ``allow_config_change``)."""
    diff = config_diff(stored, current, compared, ignored)
    if diff and not current.allow_config_change:
        raise ConfigError(f"{where} was started with a different config ({'; '.join(diff)}); "
                          f"use a new --config.workdir, restore those values, or pass "
                          f"--config.allow_config_change=True to resume anyway")
    if diff:
        print(f"warning: resuming {where} with a changed config: {'; '.join(diff)}")
