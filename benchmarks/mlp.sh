#!/usr/bin/env bash
# MLP-1 training speed, widesparse beside PyTorch, in one sitting (BENCHMARKS.md).
#
#   TORCH_PYTHON=<venv>/bin/python benchmarks/mlp.sh
#
# PyTorch lives in a virtual environment made for benchmarking only
# (python3 -m venv VENV && VENV/bin/pip install torch numpy); it is never a dependency of
# widesparse. PyTorch runs with tcmalloc preloaded (its fastest set-up here)
# when Debian's libtcmalloc-minimal4 is installed. For each thread count, each width is measured
# by PyTorch then by widesparse, back to back. Results: benchmarks/results/<time>/.
set -euo pipefail
cd "$(dirname "$0")/.."
: "${TORCH_PYTHON:?set TORCH_PYTHON to a python with torch installed}"
WIDTHS=${WIDTHS:-"5 40 160 640"}
THREADS=${THREADS:-"1 2"}
SECONDS_PER_CONFIG=${SECONDS_PER_CONFIG:-6}
EXECUTION=${EXECUTION:-dense}   # widesparse's masked layers: dense (as PyTorch) or sparse (kept weights only)
OUT=${OUT:-benchmarks/results/$(date +%Y%m%d-%H%M%S)}
TCMALLOC=/usr/lib/x86_64-linux-gnu/libtcmalloc_minimal.so.4
preload=""
[ -f "$TCMALLOC" ] && preload="LD_PRELOAD=$TCMALLOC"
mkdir -p "$OUT"

swift build -c release --product widesparse >/dev/null
for threads in $THREADS; do
  for width in $WIDTHS; do
    echo "[$(date +%H:%M:%S)] threads $threads width $width: PyTorch" >&2
    env $preload "$TORCH_PYTHON" benchmarks/torch_bench.py mlp --threads "$threads" --mlp-widths "$width" \
      --mlp-min-time "$SECONDS_PER_CONFIG" --max-time 60 --out "$OUT/torch" 2>>"$OUT/torch.log"
    echo "[$(date +%H:%M:%S)] threads $threads width $width: widesparse" >&2
    .build/release/widesparse bench mlp --threads "$threads" --widths "$width" --seconds "$SECONDS_PER_CONFIG" --execution "$EXECUTION" \
      --json "$OUT/widesparse_t${threads}_w${width}.json" >>"$OUT/widesparse.log"
  done
done

# The side-by-side table (plain python3 reading JSON; no torch needed here).
python3 - "$OUT" <<'PY' | tee "$OUT/table.md"
import glob, json, os, statistics, sys
out = sys.argv[1]
ours = {}
for path in glob.glob(os.path.join(out, "widesparse_t*_w*.json")):
    for row in json.load(open(path))["rows"]:
        ours[(row["threads"], row["width"], row["masked"])] = row["samples_per_s"]
torch = {}
meta = {}
for path in glob.glob(os.path.join(out, "torch", "mlp_t*.json")):
    data = json.load(open(path))
    meta = data["meta"]
    for row in data["rows"]:
        torch[(data["meta"]["threads"], row["width"], row["masked"])] = row["samples_per_s"]
print(f"PyTorch {meta.get('torch')} ({meta.get('allocator')}, {meta.get('cpu_capability')}), batch 100, "
      "median samples/s of training steps on a fixed batch\n")
print("| threads | width | model | PyTorch samples/s | widesparse samples/s | widesparse / PyTorch |")
print("|---:|---:|---|---:|---:|---:|")
ratios = []
for key in sorted(ours):
    threads, width, masked = key
    t = torch.get(key)
    ratio = ours[key] / t if t else float("nan")
    if t: ratios.append(ratio)
    kind = "masked" if masked else "dense"
    print(f"| {threads} | {width} | {kind} | {t:,.0f} | {ours[key]:,.0f} | {ratio:.2f} |" if t else
          f"| {threads} | {width} | {kind} | - | {ours[key]:,.0f} | - |")
if ratios:
    print(f"\nmedian ratio {statistics.median(ratios):.2f}, smallest {min(ratios):.2f}")
PY
