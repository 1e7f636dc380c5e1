#!/usr/bin/env bash
# CIFAR VGG training speed, widesparse beside PyTorch's torchvision-style VGG of the same shape
# (benchmarks/torch_bench.py vgg-train), in one sitting (BENCHMARKS.md, issue 22).
#
#   TORCH_PYTHON=<venv>/bin/python benchmarks/vgg.sh
#
# PyTorch runs channels_last with tcmalloc preloaded when Debian's libtcmalloc-minimal4 is
# installed. Each configuration is measured by PyTorch, then by widesparse on each of EXECUTIONS
# (masked configurations only; dense ones run dense), back to back, one configuration per
# process. CONFIGS are widths; 'm' masks to the weights of width MASK_BASE_WIDTH.
# Results: benchmarks/results/vgg-<time>/ and a table on standard output.
set -euo pipefail
cd "$(dirname "$0")/.."
: "${TORCH_PYTHON:?set TORCH_PYTHON to a python with torch installed}"
VARIANTS=${VARIANTS-"11"}
THREADS=${THREADS-"1"}
MODES=${MODES-"train"}
CONFIGS=${CONFIGS-"16 32 64 64m"}
EXECUTIONS=${EXECUTIONS-"dense auto"}
MASK_BASE_WIDTH=${MASK_BASE_WIDTH:-8}
SECONDS_PER_CONFIG=${SECONDS_PER_CONFIG:-15}
MIN_STEPS=${MIN_STEPS:-3}
OUT=${OUT:-benchmarks/results/vgg-$(date +%Y%m%d-%H%M%S)}
TCMALLOC=/usr/lib/x86_64-linux-gnu/libtcmalloc_minimal.so.4
preload=""
[ -f "$TCMALLOC" ] && preload="LD_PRELOAD=$TCMALLOC"
mkdir -p "$OUT"
log() { echo "[$(date +%H:%M:%S)] $*" >&2; }

swift build -c release --product widesparse >/dev/null
for variant in $VARIANTS; do
  for threads in $THREADS; do
    for mode in $MODES; do
      for config in $CONFIGS; do
        log "vgg$variant $mode threads $threads config $config: PyTorch"
        env $preload "$TORCH_PYTHON" benchmarks/torch_bench.py "vgg-$mode" --variant "$variant" --threads "$threads" \
          --configs "${config}cl" --mask-base-width "$MASK_BASE_WIDTH" --min-time "$SECONDS_PER_CONFIG" --min-steps "$MIN_STEPS" \
          --max-time 240 --out "$OUT/torch" 2>>"$OUT/torch.log"
        executions=$EXECUTIONS; [ "${config%m}" = "$config" ] && executions=dense
        for execution in $executions; do
          log "vgg$variant $mode threads $threads config $config: widesparse --execution $execution"
          .build/release/widesparse bench vgg --variant "$variant" --mode "$mode" --threads "$threads" --configs "$config" \
            --mask-base-width "$MASK_BASE_WIDTH" --execution "$execution" --seconds "$SECONDS_PER_CONFIG" --min-steps "$MIN_STEPS" \
            --json "$OUT/widesparse_vgg${variant}_${mode}_t${threads}_${config}_${execution}.json" >>"$OUT/widesparse.log"
        done
      done
    done
  done
done

python3 - "$OUT" <<'PY' | tee "$OUT/table.md"
import glob, json, os, sys
out = sys.argv[1]
torch = {}
for path in glob.glob(os.path.join(out, "torch", "vgg*_t*.json")):
    name = os.path.basename(path)[:-5]          # vgg11_train_t1
    model, mode, threads = name.split("_")
    allocator = json.load(open(path))["meta"]["allocator"]
    for row in json.load(open(path))["rows"]:
        torch[(model, mode, threads[1:], row["config"][:-2])] = (row["images_per_s"], allocator)
print("| model | mode | threads | config | weights | PyTorch images/s | widesparse execution | widesparse images/s | ratio |")
print("|---|---|---:|---|---:|---:|---|---:|---:|")
for path in sorted(glob.glob(os.path.join(out, "widesparse_vgg*.json"))):
    model, mode, threads, config, execution = os.path.basename(path)[len("widesparse_"):-5].split("_")
    row = json.load(open(path))["rows"][0]
    ours = row["images_per_s"]
    theirs, allocator = torch.get((model, mode, threads[1:], config), (None, ""))
    ratio = f"{ours / theirs:.2f}x" if theirs else "-"
    theirs_text = f"{theirs:.1f} ({allocator})" if theirs else "-"
    print(f"| {model} | {mode} | {threads[1:]} | {config} | {row['weights']} | {theirs_text} | {execution} | {ours:.1f} | {ratio} |")
PY
