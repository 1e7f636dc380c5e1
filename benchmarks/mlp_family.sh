#!/usr/bin/env bash
# Training speed of the constant-weight MLP-1 family (3970 weights, widths 5-640, both layers at
# one connectivity, batch 100): PyTorch's masked training beside widesparse dense-masked and
# sparse, one sitting, one thread (BENCHMARKS.md, issue 8).
#   TORCH_PYTHON=<venv>/bin/python benchmarks/mlp_family.sh
set -euo pipefail
cd "$(dirname "$0")/.."
: "${TORCH_PYTHON:?set TORCH_PYTHON to a python with torch installed}"
WIDTHS=${WIDTHS:-"5 40 160 640"}
TCMALLOC=/usr/lib/x86_64-linux-gnu/libtcmalloc_minimal.so.4
preload=""
[ -f "$TCMALLOC" ] && preload="LD_PRELOAD=$TCMALLOC"
OUT=${OUT:-benchmarks/results/mlp-family-$(date +%Y%m%d-%H%M%S)}
mkdir -p "$OUT"
swift build -c release --product widesparse >/dev/null
for width in $WIDTHS; do
  env $preload "$TORCH_PYTHON" benchmarks/mlp_family_torch.py --widths "$width" | tail -1 > "$OUT/torch_w$width.json"
  for execution in dense sparse; do
    .build/release/widesparse bench mlp --widths "$width" --family-weights 3970 --execution "$execution" --seconds 6 \
      --json "$OUT/widesparse_${execution}_w$width.json" >/dev/null
  done
done
python3 - "$OUT" <<'PY' | tee "$OUT/table.md"
import glob, json, os, sys
out = sys.argv[1]
torch = {r["width"]: r["samples_per_s"] for f in glob.glob(os.path.join(out, "torch_w*.json")) for r in json.load(open(f))["rows"]}
ours = {}
for f in glob.glob(os.path.join(out, "widesparse_*_w*.json")):
    for r in json.load(open(f))["rows"]:
        if r["masked"]: ours[(r["execution"], r["width"])] = r["samples_per_s"]
widths = sorted(torch)
base = ours.get(("sparse", widths[0]))
print("| width | connectivity | PyTorch masked samples/s | widesparse dense-masked | widesparse sparse | sparse / PyTorch | sparse step time / width 5 |")
print("|---:|---:|---:|---:|---:|---:|---:|")
for w in widths:
    s, d = ours.get(("sparse", w)), ours.get(("dense", w))
    print(f"| {w} | {3970 / (794 * w):.4f} | {torch[w]:,.0f} | {d:,.0f} | {s:,.0f} | {s / torch[w]:.1f} | {base / s:.2f} |")
PY
