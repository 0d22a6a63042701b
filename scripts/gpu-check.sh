#!/usr/bin/env bash
# The one GPU check (issue 14), for an NVIDIA machine (H100/H200) that has no Node.js and no network.
# Here, after `npm ci`:  bash ../shared/tools/device-kit.sh      (packs node, node_modules, the Vulkan loader)
# There, in the copy:    bash .device-kit/run.sh bash scripts/gpu-check.sh
# About 5 minutes. Everything lands in $OUT (or gpu-check-out/): machine.txt, doctor.{txt,json},
# webgpu-tests.txt (the CI webgpu tests, now on the hardware adapter), gpu-results.md (npm run
# bench:gpu), train-epoch.txt and metrics.jsonl (one default-sized epoch with --backend webgpu), and
# summary.txt with one line per step. A step that fails is recorded and the next one still runs.
set -uo pipefail
cd "$(dirname "$0")/.."
out=${OUT:-gpu-check-out}
mkdir -p "$out"
summary=$out/summary.txt
: >"$summary"
step() { # step NAME SECONDS COMMAND...: runs COMMAND with a time limit, records its status
  local name=$1 limit=$2
  shift 2
  local started=$SECONDS
  timeout "$limit" "$@"
  local rc=$?
  echo "$name: exit $rc after $((SECONDS - started)) s" | tee -a "$summary"
}

{ nvidia-smi --query-gpu=name,driver_version,memory.total --format=csv,noheader 2>&1; node --version; nproc; } >"$out/machine.txt"
step doctor 120 sh -c "node bin/entropy-sc.js doctor --json >'$out/doctor.json' 2>'$out/doctor.err' && node bin/entropy-sc.js doctor >'$out/doctor.txt' 2>>'$out/doctor.err'"
if grep -q '"kind": "hardware"' "$out/doctor.json" 2>/dev/null; then
  echo "adapter: $(grep -m1 -A3 '"kind": "hardware"' "$out/doctor.json" | grep '"name"' | sed 's/.*"name": //')" | tee -a "$summary"
else
  echo 'adapter: NO hardware WebGPU adapter (see doctor.txt / doctor.err): the figures below are not a GPU' | tee -a "$summary"
fi
step webgpu-tests 300 sh -c "npx vitest run --project webgpu >'$out/webgpu-tests.txt' 2>&1"
step bench-gpu 420 sh -c "npm run -s bench:gpu >'$out/bench.txt' 2>&1"
cp bench/gpu-results.md "$out/" 2>/dev/null
rm -rf "$out/run"
step train-epoch 240 sh -c "node bin/entropy-sc.js train --data images:data/natural-images --latents 100 --backend webgpu --batch 4096 --epochs 1 --out '$out/run' >'$out/train-epoch.txt' 2>&1"
cp "$out/run/metrics.jsonl" "$out/" 2>/dev/null
rm -rf "$out/run"
cat "$summary"
