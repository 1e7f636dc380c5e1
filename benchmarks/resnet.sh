#!/usr/bin/env bash
# CIFAR ResNet-18 training and inference speed and peak memory, widesparse beside PyTorch, in one
# sitting (BENCHMARKS.md).
#
#   TORCH_PYTHON=<venv>/bin/python benchmarks/resnet.sh
#
# PyTorch runs in its fastest set-up here: channels_last tensors and tcmalloc preloaded (when
# Debian's libtcmalloc-minimal4 is installed). Each configuration is measured by PyTorch, then
# by widesparse, back to back, one configuration per process. Results: benchmarks/results/<time>/.
#
# The constant-weight family (issue 21): FAMILY_CONFIGS, masked to the weights of width 8, are
# trained by widesparse on each of FAMILY_EXECUTIONS (dense: masked dense maths; auto: each
# masked convolution on the faster of dense and kept taps, calibrated first and cached;
# sparse: every convolution on its kept taps) beside PyTorch's masked training. Any part can be
# left out with an empty list, e.g. TRAIN_CONFIGS= INFER_CONFIGS= MEMORY_CONFIGS= for the
# family alone.
set -euo pipefail
cd "$(dirname "$0")/.."
: "${TORCH_PYTHON:?set TORCH_PYTHON to a python with torch installed}"
THREADS=${THREADS-"1 2"}
TRAIN_CONFIGS=${TRAIN_CONFIGS-"8 18 32 64 64m"}
INFER_CONFIGS=${INFER_CONFIGS-"8 18 32 64"}
MEMORY_CONFIGS=${MEMORY_CONFIGS-"8 64 64m"}
FAMILY_CONFIGS=${FAMILY_CONFIGS-"8 16m 32m 64m"}
FAMILY_EXECUTIONS=${FAMILY_EXECUTIONS-"dense auto sparse"}
FAMILY_MODES=${FAMILY_MODES-"train infer"}
SECONDS_PER_CONFIG=${SECONDS_PER_CONFIG:-15}
MIN_STEPS=${MIN_STEPS:-3}
OUT=${OUT:-benchmarks/results/resnet-$(date +%Y%m%d-%H%M%S)}
TCMALLOC=/usr/lib/x86_64-linux-gnu/libtcmalloc_minimal.so.4
preload=""
[ -f "$TCMALLOC" ] && preload="LD_PRELOAD=$TCMALLOC"
mkdir -p "$OUT"
log() { echo "[$(date +%H:%M:%S)] $*" >&2; }
torch_bench() { env $preload "$TORCH_PYTHON" benchmarks/torch_bench.py "$@" --out "$OUT/torch" 2>>"$OUT/torch.log"; }

swift build -c release --product widesparse >/dev/null
for threads in $THREADS; do
  for mode in train infer; do
    configs=$TRAIN_CONFIGS; [ "$mode" = infer ] && configs=$INFER_CONFIGS
    for config in $configs; do
      log "$mode threads $threads config $config: PyTorch"
      torch_bench "resnet-$mode" --threads "$threads" --configs "${config}cl" --min-time "$SECONDS_PER_CONFIG" --max-time 240
      log "$mode threads $threads config $config: widesparse"
      .build/release/widesparse bench resnet --mode "$mode" --threads "$threads" --configs "$config" \
        --seconds "$SECONDS_PER_CONFIG" --json "$OUT/widesparse_${mode}_t${threads}_${config}.json" >>"$OUT/widesparse.log"
    done
  done
  for mode in $FAMILY_MODES; do
    for config in $FAMILY_CONFIGS; do
      log "family $mode threads $threads config $config: PyTorch"
      torch_bench "resnet-$mode" --threads "$threads" --configs "${config}cl" --min-time "$SECONDS_PER_CONFIG" --min-steps "$MIN_STEPS" --max-time 240
      executions=$FAMILY_EXECUTIONS; [ "${config%m}" = "$config" ] && executions=dense
      for execution in $executions; do
        log "family $mode threads $threads config $config: widesparse --execution $execution"
        .build/release/widesparse bench resnet --mode "$mode" --threads "$threads" --configs "$config" --execution "$execution" \
          --seconds "$SECONDS_PER_CONFIG" --min-steps "$MIN_STEPS" --json "$OUT/family_${mode}_t${threads}_${config}_${execution}.json" >>"$OUT/widesparse.log"
      done
    done
  done
  for config in $MEMORY_CONFIGS; do
    log "memory threads $threads config $config"
    torch_bench memory --threads "$threads" --memory-config "${config}cl" --memory-steps 3
    .build/release/widesparse bench resnet --mode train --threads "$threads" --configs "$config" --seconds 0 --min-steps 3 \
      --json "$OUT/widesparse_memory_t${threads}_${config}.json" >>"$OUT/widesparse.log"
  done
done

python3 - "$OUT" <<'PY' | tee "$OUT/table.md"
import glob, json, os, statistics, sys
out = sys.argv[1]
ours, torch, meta = {}, {}, {}
for path in glob.glob(os.path.join(out, "widesparse_t*_*.json")) + glob.glob(os.path.join(out, "widesparse_*_t*_*.json")):
    if "_memory_" in path: continue
    for row in json.load(open(path))["rows"]:
        ours[(row["mode"], row["threads"], row["width"], row["masked"])] = row["images_per_s"]
for mode in ("train", "infer"):
    for path in glob.glob(os.path.join(out, "torch", f"resnet_{mode}_t*.json")):
        data = json.load(open(path))
        meta = data["meta"]
        for row in data["rows"]:
            torch[(mode, data["meta"]["threads"], row["width"], row["masked"])] = row["images_per_s"]
# ResNet-18 (CIFAR) forward FLOPs per image at width w: 2 * MACs of convolutions and classifier.
def forward_flops(w, size=32, classes=10):
    total, channels, side = 2 * 9 * 3 * w * size * size, w, size
    for stage in range(4):
        out = w << stage
        for block in range(2):
            stride = 2 if stage > 0 and block == 0 else 1
            side_out = side // stride
            total += 2 * 9 * channels * out * side_out ** 2 + 2 * 9 * out * out * side_out ** 2
            if stride != 1 or channels != out:
                total += 2 * channels * out * side_out ** 2
            channels, side = out, side_out
    return total + 2 * channels * classes
print(f"PyTorch {meta.get('torch')} ({meta.get('allocator')}, channels_last), CIFAR ResNet-18, 32x32x3, 10 classes; "
      "median images/s; GFLOP/s counts training as 3x the forward FLOPs (dense FLOPs, also for masked)\n")
print("| mode | threads | model | PyTorch img/s | widesparse img/s | widesparse / PyTorch | widesparse GFLOP/s |")
print("|---|---:|---|---:|---:|---:|---:|")
ratios = []
for key in sorted(ours, key=lambda k: (k[0] != "train", k[1], k[2], k[3])):
    mode, threads, width, masked = key
    t = torch.get(key)
    ratio = ours[key] / t if t else float("nan")
    if t: ratios.append(ratio)
    gflops = ours[key] * forward_flops(width) * (3 if mode == "train" else 1) / 1e9
    name = f"{width}{' masked to 8' if masked else ''}"
    print(f"| {mode} | {threads} | {name} | {t:,.0f} | {ours[key]:,.0f} | {ratio:.2f} | {gflops:.0f} |" if t else
          f"| {mode} | {threads} | {name} | - | {ours[key]:,.0f} | - | {gflops:.0f} |")
if ratios:
    print(f"\nmedian ratio {statistics.median(ratios):.2f}, smallest {min(ratios):.2f}")
# The constant-weight family: every width at the weights of width 8, each execution beside PyTorch.
family = {}
for path in glob.glob(os.path.join(out, "family_*.json")):
    for row in json.load(open(path))["rows"]:
        family[(row["mode"], row["threads"], row["width"], row.get("execution", "dense"))] = row["images_per_s"]
if family:
    executions = sorted({k[3] for k in family}, key=["dense", "auto", "sparse"].index)
    print("\nConstant-weight family (widths above 8 masked to width 8's weights), median images/s:\n")
    print("| mode | threads | width | PyTorch | " + " | ".join(f"widesparse {e}" for e in executions)
          + " | best / PyTorch | best / own dense | cost vs width 8 |")
    print("|---|---:|---:|---:|" + "---:|" * len(executions) + "---:|---:|---:|")
    for mode, threads in sorted({(k[0], k[1]) for k in family}, key=lambda k: (k[0] != "train", k[1])):
        widths = sorted({k[2] for k in family if k[:2] == (mode, threads)})
        narrow = max((family.get((mode, threads, widths[0], e), 0) for e in executions), default=0)
        for width in widths:
            values = {e: family.get((mode, threads, width, e)) for e in executions}
            best = max(v for v in values.values() if v)
            t = torch.get((mode, threads, width, width != widths[0]))
            own = values.get("dense")
            cells = " | ".join(f"{values[e]:,.1f}" if values[e] else "-" for e in executions)
            print(f"| {mode} | {threads} | {width} | {f'{t:,.1f}' if t else '-'} | {cells} | "
                  f"{f'{best / t:.2f}' if t else '-'} | {f'{best / own:.2f}' if own else '-'} | {narrow / best:.1f}x |")
print("\n| threads | training model | PyTorch peak RSS MiB | widesparse peak RSS MiB |")
print("|---:|---|---:|---:|")
for path in sorted(glob.glob(os.path.join(out, "widesparse_memory_t*_*.json"))):
    data = json.load(open(path))
    row = data["rows"][0]
    tag = f"{row['width']}{'m' if row['masked'] else ''}cl"
    theirs = glob.glob(os.path.join(out, "torch", f"memory_{tag}_t{row['threads']}.json"))
    t = json.load(open(theirs[0]))["peak_rss_kib"] / 1024 if theirs else float("nan")
    print(f"| {row['threads']} | {row['width']}{' masked to 8' if row['masked'] else ''} | {t:,.0f} | {data['peak_rss_kib'] / 1024:,.0f} |")
PY
