#!/usr/bin/env bash
# Puts midimon-box's stage, config and source tree into a pi-gen checkout:
#   git clone --branch arm64 https://github.com/RPi-Distro/pi-gen
#   images/prepare-pi-gen.sh pi-gen
#   cd pi-gen && sudo ./build.sh            # or ./build-docker.sh
# The tree is copied into the stage (stage-midimon/00-midimon/files/midimon-box), so
# build-docker.sh, which copies the pi-gen directory into its container, sees it too.
set -euo pipefail
PI_GEN=${1:?usage: images/prepare-pi-gen.sh PI_GEN_DIR}
SRC=$(cd "$(dirname "$0")/.." && pwd)
[ -f "$PI_GEN/build.sh" ] || { echo "prepare-pi-gen: $PI_GEN is not a pi-gen checkout (no build.sh)" >&2; exit 1; }
# pi-gen's master branch builds 32-bit images whatever the config says; 64-bit is its arm64 branch.
if grep -Eq '^[[:space:]]*(export[[:space:]]+)?ARCH=armhf' "$PI_GEN/build.sh"; then
  echo "prepare-pi-gen: $PI_GEN/build.sh forces ARCH=armhf (pi-gen master): use the arm64 branch (git -C $PI_GEN checkout arm64)" >&2
  exit 1
fi
cp "$SRC/images/pi-gen/config" "$PI_GEN/config"
rm -rf "$PI_GEN/stage-midimon"
cp -r "$SRC/images/pi-gen/stage-midimon" "$PI_GEN/stage-midimon"
files="$PI_GEN/stage-midimon/00-midimon/files/midimon-box"
mkdir -p "$files"
(cd "$SRC" && if git rev-parse --is-inside-work-tree >/dev/null 2>&1; then
   git ls-files -z --cached --others --exclude-standard | while IFS= read -r -d '' f; do [ -f "$f" ] && printf '%s\0' "$f"; done
 else
   find . -path ./node_modules -prune -o -path ./dist -prune -o -path ./.sim -prune -o -type f -print0
 fi) | (cd "$SRC" && xargs -0 -r cp --parents -t "$files")
echo "prepare-pi-gen: ready; build with: cd $PI_GEN && sudo ./build.sh   (or ./build-docker.sh)"
