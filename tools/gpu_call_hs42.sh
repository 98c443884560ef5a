#!/bin/bash
# One GPU call of the Held–Suarez emulator experiment (tools/hs_emulator.py), made to continue across calls on
# machines that start bare (BENCHMARKS.md, issue 12): arguments go to hs_emulator.py, e.g.
#   bash tools/gpu_call_hs42.sh --budget 540 --eval-seconds 70 --variants push192 \
#        --start-from runs/hs42/push96/finetune/checkpoints/last.pt --diagnose
# - wheels in .whl/ (packages the GPU image lacks: dinosaur, netCDF4, ...) are installed to /tmp/site first;
# - the previous call's state comes from .dev/prev/: results.tgz (runs/hs42 without checkpoints) and
#   <variant>_last.pt (a run's checkpoint with its optimizer state), so training resumes bit-exactly;
# - the cached spun-up states and statistics come from examples/results/hs42/;
# - afterwards $OUT (default runs/hs42-out) holds log.txt, results.tgz and <variant>_last.pt of every variant
#   (only those named in $KEEP, comma-separated, if set).
set -o pipefail
OUT=${OUT:-runs/hs42-out}; mkdir -p "$OUT"
if ls .whl/*.whl >/dev/null 2>&1; then
  python3 -m pip install -q --no-index --no-deps --no-compile --no-cache-dir --upgrade --target /tmp/site .whl/*.whl || exit 3
  export PYTHONPATH=/tmp/site:$PWD
fi
export PYTHONUNBUFFERED=1 XLA_PYTHON_CLIENT_PREALLOCATE=false
mkdir -p runs/hs42/cache
cp examples/results/hs42/spinup-*.npz runs/hs42/cache/ && cp examples/results/hs42/stats.nc runs/hs42/
if [ -f .dev/prev/results.tgz ]; then tar xzf .dev/prev/results.tgz; fi
for f in .dev/prev/*_last.pt; do [ -f "$f" ] || continue; v=$(basename "$f" _last.pt)
  mkdir -p runs/hs42/$v/finetune/checkpoints; cp "$f" runs/hs42/$v/finetune/checkpoints/last.pt; done
export MLSCAM_CACHE=$PWD/runs/hs42/cache
nvidia-smi --query-gpu=name,memory.used,memory.total --format=csv
python3 tools/hs_emulator.py --config examples/heldsuarez_t42.yaml --out runs/hs42 "$@" 2>&1 | tee "$OUT/log.txt" | tr '\r' '\n' | grep -v 'step/s\|day/s'
rc=$?
for d in runs/hs42/*/finetune/checkpoints; do [ -f $d/last.pt ] || continue; v=$(basename $(dirname $(dirname $d)))
  [ -n "$KEEP" ] && [[ ",$KEEP," != *",$v,"* ]] && continue; cp $d/last.pt "$OUT/${v}_last.pt"; done
tar czf "$OUT/results.tgz" --exclude='*.pt' --exclude='cache' runs/hs42
ls -la "$OUT"
exit $rc
