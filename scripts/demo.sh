#!/usr/bin/env bash
# The main job (README): installs what is missing, builds in release mode, and runs
# `widesparse demo` on the embedded default data (mnist5k). Extra arguments go to the demo.
set -euo pipefail
cd "$(dirname "$0")/.."
scripts/setup.sh
swift build -c release --product widesparse
.build/release/widesparse demo "$@"
