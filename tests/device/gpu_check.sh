#!/usr/bin/env bash
# The GPU exporter's device check, run on a machine with an NVIDIA GPU (the device tool): builds
# gpu_check.c with gcc alone, takes SAMPLES (30) NVML samples a second apart (the last one in dcgm-exporter's names) and its CPU use, then
# compares with nvidia-smi's own reading of the same moment, and runs the full program's --once if
# its libraries are there. Output goes to stdout and to $OUT (when set).
set -uo pipefail
ROOT=$(cd "$(dirname "$0")/../.." && pwd)
OUTD=${OUT:-/tmp/gpu-check}
mkdir -p "$OUTD"
cd "$ROOT" || exit 1
C=lib
G=remote-agent/gpu-exporter
# the sources and the exposition only: neither libcurl nor jansson may be there
SRC=$(for f in "$G"/*.c; do case $f in */main.c | */sampler.c | */serve.c | */pushgw.c) ;; *) echo "$f" ;; esac; done)
# shellcheck disable=SC2086
gcc -std=c11 -O2 -D_GNU_SOURCE -I"$C" -I"$G" -o /tmp/gpu_check tests/device/gpu_check.c $SRC "$C"/buf.c "$C"/arena.c "$C"/proc.c "$C"/num.c -ldl -lm 2>&1 |
    tee "$OUTD/build.txt" || exit 1
nvidia-smi --query-gpu=index,name,uuid,utilization.gpu,memory.used,memory.total,power.draw,temperature.gpu,clocks.current.sm,clocks.current.memory,clocks_event_reasons.active \
    --format=csv,nounits 2>&1 | tee "$OUTD/nvidia-smi.csv"
/tmp/gpu_check "${SAMPLES:-30}" 2>&1 | tee "$OUTD/gpu_check.txt" | grep -E '^# |FAIL|RESULT|^aifb_gpu_power|^DCGM_FI_DEV_POWER'

rc=${PIPESTATUS[0]}
nvidia-smi --query-gpu=index,power.draw,memory.used,memory.total --format=csv,nounits 2>&1 | tee -a "$OUTD/nvidia-smi.csv"
if [ -x build/bin/aifb-gpu-exporter ] && ldd build/bin/aifb-gpu-exporter | grep -q 'not found'; then
    echo "# the full program lacks libraries here: $(ldd build/bin/aifb-gpu-exporter | grep 'not found' | tr -s ' ' | tr '\n' ';')"
elif [ -x build/bin/aifb-gpu-exporter ]; then
    build/bin/aifb-gpu-exporter --once 2>&1 | tee "$OUTD/once.txt" | grep -E '^aifb_gpu_(power|energy|memory_used)'
    AIFB_BIN=$ROOT/build/bin SOURCE=auto DURATION=${BENCH_S:-20} tests/bench/gpu_exporter.sh 2>&1 | tee "$OUTD/bench.txt"
fi
exit "$rc"
