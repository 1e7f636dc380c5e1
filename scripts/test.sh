#!/usr/bin/env bash
# The test command (README, CI): installs what is missing, builds the release `widesparse` (the
# sweep tests run it as separate processes, as a user and Slurm do), then runs every test in
# release mode (the training tests are real short trainings; debug builds would make them slow).
# The Slurm test runs where sbatch is found (scripts/slurm-cluster.sh start gives a one-node
# cluster; CI starts one and sets WIDESPARSE_REQUIRE_SLURM=1) and is skipped, saying so, elsewhere.
set -euo pipefail
cd "$(dirname "$0")/.."
scripts/setup.sh
swift build -c release --product widesparse
swift test -c release "$@"
