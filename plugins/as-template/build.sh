#!/usr/bin/env bash
# Builds this AssemblyScript plugin to ./<name>.wasm with the npm
# `assemblyscript` compiler (npm install --save-dev assemblyscript).
# Inside the midimon-box repository this defers to scripts/build-plugins.sh.
set -euo pipefail
cd "$(dirname "$0")"
NAME="$(sed -n 's/^name = "\(.*\)"/\1/p' plugin.toml | head -1)"
if [ -f ../../scripts/build-plugins.sh ] && [ -d ../../plugins ]; then
  exec bash ../../scripts/build-plugins.sh "$NAME"
fi
# --runtime stub --use abort= (in asconfig.json): no imports beyond the host's.
npx --no-install asc --version >/dev/null 2>&1 || { echo "asc not found: npm install --save-dev assemblyscript" >&2; exit 1; }
npx --no-install asc assembly/index.ts --config asconfig.json --target release -o "$NAME.wasm"
echo "Plugin built: $NAME.wasm ($(stat -c %s "$NAME.wasm") bytes, sha256:$(sha256sum "$NAME.wasm" | cut -d' ' -f1))"
