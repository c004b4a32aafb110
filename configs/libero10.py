"""The real SmoothVLA SFT run: base VLA, 128 px cameras, all 10 LIBERO-10 tasks, 50 demos each.

Sized for a GPU/TPU host. Flow (each command reads this file; ``--config.x=y`` overrides)::

    python -m smoothvla_jax.collect  --config=configs/libero10.py
    python -m smoothvla_jax.train    --config=configs/libero10.py            # config.stage='sft'
    python -m smoothvla_jax.evaluate --checkpoint=runs/libero10 --num_init=50

``configs/cpu.py`` and ``configs/smoke.py`` start from this file and shrink it.
"""

from __future__ import annotations

import ml_collections

LIBERO_10 = ",".join(f"libero_10/{i}" for i in range(10))


def get_config() -> ml_collections.ConfigDict:
    c = ml_collections.ConfigDict()
    c.name = "libero10"
    c.seed = 0
    c.stage = "sft"                 # "sft" | "grpo" (grpo is not implemented yet)
    c.workdir = "runs/libero10"     # checkpoints/, tb/, metrics.jsonl, eval/

    # ---- demonstrations (python -m smoothvla_jax.collect); format: docs/dataset.md
    c.data = d = ml_collections.ConfigDict()
    d.root = "data/libero10"        # dataset directory
    d.tasks = LIBERO_10             # comma-separated task keys, or "all" (= the suite)
    d.suite = "libero_10"
    d.num_demos = 50                # kept demonstrations per task (LIBERO ships 50)
    d.image_size = 128              # square camera images (also the model's image size)
    d.horizon = 520                 # max control steps per episode (LIBERO-10 limit)
    d.action_noise = 0.05           # Gaussian std added to the expert's arm actions
    d.keep_only_success = True      # drop failed expert episodes
    d.max_attempts = 3              # at most max_attempts * num_demos rollouts per task
    d.layouts = "train"             # demos start from fresh training layouts ("eval": the 50
                                    # fixed evaluation states, as before)
    d.batch_size = 25               # envs per vmapped collection batch
    d.segment = 40                  # control steps per jitted call (early exit when all done)
    d.auto_collect = False          # train: collect first when the dataset is missing
    d.pad_mode = "noop"             # chunk padding past the episode end: "noop" | "last"

    # ---- policy (smoothvla_jax.model.VLAConfig)
    c.model = m = ml_collections.ConfigDict()
    m.size = "base"                 # "tiny" | "base" preset; image_size comes from data
    m.chunk = 8                     # K actions per decision
    m.dropout = 0.0
    m.dtype = "bfloat16"            # compute dtype (params stay float32)

    # ---- supervised fine-tuning on the demonstrations
    c.sft = s = ml_collections.ConfigDict()
    s.batch_size = 64
    s.num_steps = 30_000
    s.lr = 1e-4                     # peak AdamW learning rate
    s.warmup_steps = 1_000          # linear warmup, then cosine decay
    s.end_lr_ratio = 0.05           # final lr = end_lr_ratio * lr
    s.weight_decay = 0.01           # on >= 2-D params only
    s.grad_clip = 1.0               # global-norm clip (0 disables)
    s.action_norm = "identity"      # "identity" | "min_max" (q01/q99 per dim, gripper kept)
    s.mask_padding = False          # True: no loss on padded chunk targets
    s.augment_shift = 8             # random image translation of up to +-8 px (0 = off)
    s.log_every = 100
    s.save_every = 2_000
    s.keep_checkpoints = 3
    s.async_checkpoint = True
    s.resume = True                 # continue from the latest checkpoint in workdir

    # ---- closed-loop evaluation (python -m smoothvla_jax.evaluate)
    c.eval = e = ml_collections.ConfigDict()
    e.tasks = ""                    # "" = data.tasks
    e.num_init = 50                 # fixed initial states per task (LIBERO protocol)
    e.horizon = 520
    e.temperature = 0.0             # 0 = greedy
    e.batch_size = 25               # envs per vmapped rollout
    e.num_videos = 3                # episodes written as video per task
    e.video_format = "gif"          # "gif" | "mp4"
    e.after_train = False           # train: evaluate the final checkpoint when SFT finishes

    # ---- metric logging (smoothvla_jax.logger): TensorBoard + metrics.jsonl always
    c.logging = lg = ml_collections.ConfigDict()
    lg.wandb = False                # also log to Weights & Biases (pip install wandb)
    lg.wandb_project = "smoothvla-jax"
    lg.wandb_name = ""              # "" = workdir basename
    lg.wandb_mode = ""              # "online" | "offline" | "disabled"; "" = $WANDB_MODE/default
    return c
