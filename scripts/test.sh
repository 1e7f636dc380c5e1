#!/usr/bin/env bash
# The test command (README, CI): installs what is missing, then runs every test in release mode
# (the training tests are real short trainings; debug builds would make them slow).
set -euo pipefail
cd "$(dirname "$0")/.."
scripts/setup.sh
swift test -c release "$@"
