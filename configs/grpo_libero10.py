"""GRPO stage of the real SmoothVLA run (accelerator): ``configs/libero10.py`` + ``grpo``/``reward``.

    python -m smoothvla_jax.rl.trainer --config=configs/grpo_libero10.py \\
        [--config.reward.kind=binary] [--config.seed=1] [--config.workdir=runs/libero10_grpo_b1]

(``python -m smoothvla_jax.train --config=configs/grpo_libero10.py`` once train.py dispatches
``stage='grpo'``.) Starts from the SFT checkpoint ``grpo.init_checkpoint``; its policy config,
tokenizers and action normaliser are reused, so the ``model``/``data.image_size`` sections are only
read by SFT. :func:`add_grpo` is what the other GRPO configs (``grpo_cpu``, ``grpo_smoke``) use.
Defaults follow SimpleVLA-RL / RLinf (DESIGN.md section 1): group 8, kl 0, clip 0.2/0.28,
temperature 1.6, lr 5e-6, 2 update epochs, dynamic sampling on success.
"""

from __future__ import annotations

import ml_collections

from configs import libero10


def add_grpo(c: ml_collections.ConfigDict, init_checkpoint: str) -> ml_collections.ConfigDict:
    """Adds the ``grpo`` and ``reward`` sections (paper defaults) to config ``c`` in place."""
    c.stage = "grpo"

    # ---- GRPO (smoothvla_jax.rl.trainer; GRPOConfig fields + the loop's)
    c.grpo = g = ml_collections.ConfigDict()
    g.init_checkpoint = init_checkpoint  # SFT run dir (or its checkpoints/); also the KL reference
    g.init_step = -1                # SFT checkpoint step (-1 = latest)
    g.tasks = ""                    # "" = data.tasks; one task per iteration, round robin
    g.num_iterations = 100          # GRPO iterations (each: rollouts + update epochs)
    g.prompts_per_iteration = 8     # P initial states per iteration
    g.group_size = 8                # G samples per prompt (P * G episodes per iteration)
    g.horizon = 520                 # episode limit in control steps (LIBERO-10)
    g.num_chunks = 0                # C decisions per episode (0 = ceil(horizon / chunk) = 65)
    g.prompt_layouts = "train"      # prompts from n fresh training layouts ("eval": from the
    g.num_train_init = 50           # fixed evaluation states [0, n)); n = num_train_init
    g.temperature = 1.6             # rollout sampling temperature (log-probs use the same)
    g.clip_low = 0.2                # PPO ratio clipped to [1 - clip_low, 1 + clip_high]
    g.clip_high = 0.28              # "clip-higher"
    g.kl_coef = 0.0                 # > 0 adds k3 KL to the frozen SFT policy
    g.lr = 5e-6                     # constant Adam(W) learning rate
    g.weight_decay = 0.0
    g.max_grad_norm = 1.0           # global-norm clip (<= 0 disables)
    g.update_epochs = 2             # passes over the iteration's episodes
    g.num_minibatches = 4           # optimiser steps per epoch (P * G % num_minibatches == 0)
    g.dynamic_sampling = True       # drop groups that carry no learning signal (masked, not resampled)
    g.ds_criterion = "success"      # "success": keep 0 < success rate < 1; "reward": reward not constant
    g.normalize_std = True          # advantages (r - mean) / (std + eps) within each group
    g.adv_eps = 1e-6
    g.loss_agg = "token_mean"       # "token_mean" | "seq_mean"
    g.log_every = 1
    g.save_every = 10
    g.keep_checkpoints = 3
    g.async_checkpoint = True
    g.resume = True                 # continue from the latest GRPO checkpoint in workdir
    g.eval_at_end = True            # eval/step_<n>/eval.json (per-episode, for smoothvla_jax.report)
    g.eval_num_paths = 4            # EE paths stored per task in that file

    # ---- devices (smoothvla_jax.parallel): the P * G episodes are split over a 1-D mesh
    c.parallel = par = ml_collections.ConfigDict()
    par.num_devices = 0             # 0 = every device (all hosts); 1 = no mesh
    par.params = "replicate"        # "replicate" | "fsdp" (shard large tensors over the mesh)
    par.min_fsdp_size = 4096        # fsdp: tensors with fewer elements stay replicated
    par.distributed = False         # multi-host: jax.distributed.initialize() at start-up

    # ---- reward (smoothvla_jax.rl.rewards.RewardConfig)
    c.reward = r = ml_collections.ConfigDict()
    r.kind = "smooth"               # "binary" (= GRPO baseline) | "smooth" (SmoothVLA)
    r.form = "multiplicative"       # success * (1 - lam * J) | "additive": success + lam * (1 - J)
    r.lam = 0.2
    r.signal = "ee"                 # jerk of "ee" (executed end-effector path) | "action" | "both"
    r.normalization = "dimensionless"  # J from "dimensionless" jerk | "ldlj" | "msj_scale"
    r.temperature = 10.0            # log-squash temperature of dimensionless / ldlj
    r.jerk_scale = 100.0            # msj_scale only: EE MSJ scale (m^2/s^6)
    r.action_jerk_scale = 1.0e5     # msj_scale only: action MSJ scale
    r.clip = True                   # clip J to [0, 1]
    r.include_gripper = False       # action signal: include the gripper dim
    return c


def get_config() -> ml_collections.ConfigDict:
    c = libero10.get_config()
    c.name = "libero10_grpo"
    c.workdir = "runs/libero10_grpo"
    return add_grpo(c, init_checkpoint="runs/libero10")
