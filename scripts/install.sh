#!/usr/bin/env bash
# Puts `widesparse` on the PATH: builds the release binary (installing the Debian packages it
# links against first, as scripts/setup.sh does) and copies it to PREFIX/bin (default ~/.local).
#   scripts/install.sh [--static] [--no-build] [PREFIX]
#     --static    link Swift's own libraries into the binary, for nodes without a Swift toolchain
#                 (they still need libdnnl, libgomp, libturbojpeg, libpng and zlib from Debian)
#     --no-build  copy the binary already built in .build/release
# Builds for this machine's CPU; set WIDESPARSE_TARGET_CPU (e.g. x86-64-v3) to build for others.
set -euo pipefail
cd "$(dirname "$0")/.."
static=0 build=1 prefix="$HOME/.local"
for argument in "$@"; do
  case "$argument" in
    --static) static=1 ;;
    --no-build) build=0 ;;
    -*) echo "install.sh: unknown option '$argument' (expected --static, --no-build or a PREFIX)" >&2; exit 64 ;;
    *) prefix="$argument" ;;
  esac
done
scratch=.build
if [ "$static" = 1 ]; then scratch=.build-static; fi
if [ "$build" = 1 ]; then
  scripts/setup.sh --packages-only
  if [ "$static" = 1 ]; then
    swift build -c release --product widesparse --static-swift-stdlib --scratch-path "$scratch"
  else
    swift build -c release --product widesparse
  fi
fi
binary="$scratch/release/widesparse"
if [ ! -x "$binary" ]; then echo "install.sh: no $binary (build it first or drop --no-build)" >&2; exit 65; fi
mkdir -p "$prefix/bin"
# A copy then a rename, so a running widesparse is never overwritten in place.
cp "$binary" "$prefix/bin/.widesparse.tmp-$$"
mv "$prefix/bin/.widesparse.tmp-$$" "$prefix/bin/widesparse"
echo "installed $("$prefix/bin/widesparse" --version) as $prefix/bin/widesparse"
case ":$PATH:" in
  *":$prefix/bin:"*) ;;
  *) echo "add it to your PATH:  export PATH=\"$prefix/bin:\$PATH\"" ;;
esac
