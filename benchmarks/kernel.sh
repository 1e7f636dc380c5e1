#!/usr/bin/env bash
# The Monte-Carlo kernel distance in the paper's setting (10^4 pairs, 10 networks, width 10^4,
# n p = 8, d = 784), widesparse beside NumPy on this machine, one thread each (BENCHMARKS.md).
#   PYTHON=<python with numpy> benchmarks/kernel.sh
# NumPy runs with OPENBLAS_CORETYPE and OPENBLAS_L2_SIZE unset for that command only (they slow
# a current NumPy's OpenBLAS here) and one BLAS thread.
set -euo pipefail
cd "$(dirname "$0")/.."
PYTHON=${PYTHON:-python3}
REPEATS=${REPEATS:-3}
swift build -c release --product widesparse >/dev/null
for i in $(seq "$REPEATS"); do
  start=$(date +%s.%N)
  .build/release/widesparse kernel --input gaussian --pairs 10000 --np 8 --widths 10000 --initialisations 10 --masks 16 \
    --out "$(mktemp -d)" >/dev/null
  echo "widesparse run $i: $(echo "$(date +%s.%N) - $start" | bc) s"
done
env -u OPENBLAS_CORETYPE -u OPENBLAS_L2_SIZE OPENBLAS_NUM_THREADS=1 OMP_NUM_THREADS=1 \
  "$PYTHON" benchmarks/kernel_numpy.py --repeats "$REPEATS"
