#!/usr/bin/env bash
# SmoothVLA experiment on CPU: collect -> SFT -> (GRPO binary, GRPO smooth) x seeds -> evaluate
# all -> report.
#
#   bash scripts/run_experiment.sh           # configs/grpo_cpu.py, 3 seeds (many hours, 2 cores)
#   SMOKE=1 bash scripts/run_experiment.sh   # configs/grpo_smoke.py, 1 seed (plumbing, minutes;
#                                            # SEEDS="0 1" also exercises the across-seed stats)
#
# Env overrides: OUT (output root), SEEDS (default "0 1 2"; smoke "0"), CONFIG, EXTRA (more --config.x=y flags for
# every stage), JAX_COMPILATION_CACHE_DIR (default $OUT/jax_cache: stages and seeds that compile
# the same program -- evaluations, GRPO seeds of one reward kind -- reuse the XLA executable).
# Stages whose output exists are skipped, so a killed run can be restarted with the same command
# (SFT and GRPO also resume from their latest checkpoint).
set -euo pipefail
cd "$(dirname "$0")/.."

if [[ "${SMOKE:-0}" == "1" ]]; then
  CONFIG=${CONFIG:-configs/grpo_smoke.py}; OUT=${OUT:-runs/smoke_experiment}; SEEDS=${SEEDS:-"0"}
else
  CONFIG=${CONFIG:-configs/grpo_cpu.py}; OUT=${OUT:-runs/cpu_experiment}; SEEDS=${SEEDS:-"0 1 2"}
fi
EXTRA=${EXTRA:-}
export JAX_COMPILATION_CACHE_DIR=${JAX_COMPILATION_CACHE_DIR:-$OUT/jax_cache}
# XLA:CPU's concurrency-optimised scheduler deadlocks (all threads idle in block_until_ready)
# on the LIVING_ROOM_SCENE2 physics (libero_10/0, /1) at batch >= 8; turning it off fixes it
# at no measured cost. smoothvla_jax keeps user XLA_FLAGS and appends its own.
case " ${XLA_FLAGS:-} " in
  *xla_cpu_enable_concurrency_optimized_scheduler*) ;;
  *) export XLA_FLAGS="${XLA_FLAGS:-} --xla_cpu_enable_concurrency_optimized_scheduler=false" ;;
esac
DATA=$OUT/data
SFT=$OUT/sft
mkdir -p "$OUT"
T0=$SECONDS
stamp() { echo "[$(date +%H:%M:%S) +$((SECONDS - T0))s] $*"; }

# 1-2. expert demonstrations (only when missing) and SFT (resumes; a finished run only reloads)
stamp "collect + SFT -> $DATA, $SFT"
python -m smoothvla_jax.train --config="$CONFIG" --config.stages=collect,sft \
  --config.workdir="$SFT" --config.data.root="$DATA" $EXTRA

# 3. GRPO: binary reward (baseline) and SmoothVLA hybrid reward, several seeds (seed-major, so
#    a run cut short still has both rewards for the seeds it finished)
for seed in $SEEDS; do
  for kind in binary smooth; do
    W=$OUT/grpo_${kind}_s${seed}
    stamp "GRPO reward=$kind seed=$seed -> $W"
    python -m smoothvla_jax.train --config="$CONFIG" --config.stages=grpo \
      --config.reward.kind="$kind" --config.seed="$seed" --config.workdir="$SFT" \
      --config.grpo.workdir="$W" --config.grpo.eval_at_end=False --config.data.root="$DATA" $EXTRA
  done
done

# 4. evaluate every policy (per-episode metrics + EE paths) under one protocol: $CONFIG's eval
#    section (tasks, number of fixed initial states, horizon), also for the SFT run, whose own
#    stored config evaluates other tasks / fewer states
evaluate() {  # $1 = run dir, $2 = eval seed
  if [[ ! -f $1/eval/eval.json ]]; then
    stamp "evaluate $1"
    python -m smoothvla_jax.evaluate --checkpoint="$1" --config="$CONFIG" --out="$1/eval" \
      --seed="$2"
  fi
}
evaluate "$SFT" 0
RUNS_BINARY=() RUNS_SMOOTH=()
for seed in $SEEDS; do
  evaluate "$OUT/grpo_binary_s${seed}" "$seed"
  evaluate "$OUT/grpo_smooth_s${seed}" "$seed"
  RUNS_BINARY+=("$OUT/grpo_binary_s${seed}/eval/eval.json")
  RUNS_SMOOTH+=("$OUT/grpo_smooth_s${seed}/eval/eval.json")
done

# 5. report: table (mean +- 95% CI across seeds), relative smoothness vs binary GRPO, figure
join() { local IFS=,; echo "$*"; }
stamp "report -> $OUT/report"
python -m smoothvla_jax.report --out="$OUT/report" \
  --runs="sft=$SFT/eval/eval.json" --runs="binary=$(join "${RUNS_BINARY[@]}")" \
  --runs="smooth=$(join "${RUNS_SMOOTH[@]}")"
stamp "done: $OUT/report/report.md"
