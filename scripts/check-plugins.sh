#!/usr/bin/env bash
# CI check: rebuilds every example plugin from source into a temp dir (cold,
# Debian's offline toolchain, as on a clean machine) and fails when a rebuilt
# .wasm differs from the committed plugins/<name>/<name>.wasm, or when the
# committed file does not match the checksum in its plugin.toml.
set -euo pipefail
ROOT="$(cd "$(dirname "$0")/.." && pwd)"
TMP="$(mktemp -d "${TMPDIR:-/tmp}/midimon-check-plugins.XXXXXX")"
trap 'rm -rf "$TMP"' EXIT

start=$(date +%s)
MIDIMON_PLUGIN_TOOLCHAIN=debian bash "$ROOT/scripts/build-plugins.sh" --out "$TMP/out" --target-dir "$TMP/target" "$@"

status=0
for built in "$TMP"/out/*.wasm; do
  name="$(basename "$built" .wasm)"
  dir="$ROOT/plugins/$name"
  committed="$dir/$name.wasm"
  if [ ! -f "$committed" ]; then
    echo "check-plugins: $committed is missing (run npm run plugins and commit it)"; status=1; continue
  fi
  if ! cmp -s "$built" "$committed"; then
    echo "check-plugins: $committed differs from a rebuild from source (sha256 $(sha256sum "$built" | cut -c1-16)... rebuilt," \
      "$(sha256sum "$committed" | cut -c1-16)... committed): run MIDIMON_PLUGIN_TOOLCHAIN=debian npm run plugins and commit"
    status=1
  fi
  want="$(sed -n 's/^checksum = "sha256:\([0-9a-f]*\)".*/\1/p' "$dir/plugin.toml")"
  have="$(sha256sum "$committed" | cut -d' ' -f1)"
  if [ "$want" != "$have" ]; then
    echo "check-plugins: $dir/plugin.toml: [binary].checksum is sha256:${want:-<none>} but $name.wasm is sha256:$have"
    status=1
  fi
done
echo "check-plugins: $([ $status -eq 0 ] && echo ok || echo FAILED) in $(( $(date +%s) - start )) s"
exit $status
