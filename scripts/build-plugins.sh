#!/usr/bin/env bash
# Builds the example plugins in plugins/ from source (npm run plugins).
#
#   scripts/build-plugins.sh [--out DIR] [--target-dir DIR] [NAME ...]
#
# Without --out, each plugin's .wasm is written beside its sources
# (plugins/<name>/<name>.wasm) and the checksum in its plugin.toml is updated:
# that is what gets committed. With --out, files go to DIR/<name>.wasm and no
# source file is touched (scripts/check-plugins.sh uses this).
#
# Rust toolchain, chosen in this order (MIDIMON_PLUGIN_TOOLCHAIN=debian|rustup
# forces one):
#   rustup  - `cargo` with the wasm32-wasip1 target installed (what the guide
#             documents for plugin authors); needs crates.io.
#   debian  - /usr/bin/rustc 1.63 + libstd-rust-dev-wasm32 (target wasm32-wasi,
#             the old name of wasm32-wasip1), crates from /usr/share/cargo/registry,
#             fully offline. The committed .wasm files are built with this one.
# AssemblyScript plugins are built with the npm `assemblyscript` devDependency.
#
# Reproducible: fixed flags, one codegen unit, LTO, stripped, source paths
# remapped to /midimon/plugins/<name>, no timestamps. The flags are the same
# for every plugin, so the dependencies are compiled once per target dir. Two builds on Debian 12
# from different directories give identical bytes.
set -euo pipefail

ROOT="$(cd "$(dirname "$0")/.." && pwd)"
PLUGINS="$ROOT/plugins"
OUT=""
TARGET_ROOT="$PLUGINS/target"
NAMES=()
while [ $# -gt 0 ]; do
  case "$1" in
    --out) OUT="$(mkdir -p "$2" && cd "$2" && pwd)"; shift 2 ;;
    --target-dir) TARGET_ROOT="$2"; shift 2 ;;
    -h|--help) sed -n '2,20p' "$0"; exit 0 ;;
    -*) echo "build-plugins: unknown option $1" >&2; exit 2 ;;
    *) NAMES+=("$1"); shift ;;
  esac
done
if [ "${#NAMES[@]}" -eq 0 ]; then
  for d in "$PLUGINS"/*/; do
    [ -f "$d/plugin.toml" ] && NAMES+=("$(basename "$d")")
  done
fi
mkdir -p "$TARGET_ROOT"
TARGET_ROOT="$(cd "$TARGET_ROOT" && pwd)"

# Size targets from the guide (bytes); plugins not listed have none.
size_target() {
  case "$1" in
    wasm-minimal) echo 2048 ;;
    wasm-template) echo 122880 ;;
    as-template) echo 8192 ;;
    *) echo 204800 ;;
  esac
}

pick_rust() {
  local want="${MIDIMON_PLUGIN_TOOLCHAIN:-auto}"
  if [ "$want" != debian ] && command -v rustup >/dev/null 2>&1 \
    && rustup target list --installed 2>/dev/null | grep -qx wasm32-wasip1; then
    RUST_KIND=rustup; RUST_TARGET=wasm32-wasip1; CARGO=cargo; RUSTC_BIN="$(rustup which rustc)"
  elif [ "$want" != rustup ] && [ -x /usr/bin/rustc ] && [ -d /usr/lib/rustlib/wasm32-wasi ]; then
    RUST_KIND=debian; RUST_TARGET=wasm32-wasi; CARGO=/usr/bin/cargo; RUSTC_BIN=/usr/bin/rustc
  else
    RUST_KIND=none
  fi
}

# Debian's cargo must never reach crates.io: a private CARGO_HOME whose
# config replaces crates-io with the directory source Debian's librust-*-dev fill.
debian_cargo_home() {
  local home="$TARGET_ROOT/cargo-home"
  mkdir -p "$home"
  cat > "$home/config.toml" <<'EOF'
[source.crates-io]
replace-with = "debian"
[source.debian]
directory = "/usr/share/cargo/registry"
[net]
offline = true
EOF
  echo "$home"
}

build_rust() {
  local name="$1" dir="$2" dest="$3"
  local crate="${name//-/_}"
  local flags=(-C target-feature=+bulk-memory -C debuginfo=0
    "--remap-path-prefix=$PLUGINS=/midimon/plugins"
    "--remap-path-prefix=$TARGET_ROOT=/midimon/target")
  local extra=(--locked)
  local env=(CARGO_TARGET_DIR="$TARGET_ROOT/$RUST_KIND" CARGO_INCREMENTAL=0 RUSTC="$RUSTC_BIN")
  if [ "$RUST_KIND" = debian ]; then
    flags+=("--remap-path-prefix=/usr/share/cargo/registry=/cargo/registry")
    env+=(CARGO_HOME="$(debian_cargo_home)")
    extra+=(--offline)
  fi
  # Unit-separated so that a checkout path with spaces stays one flag.
  local encoded
  encoded="$(IFS=$'\x1f'; echo "${flags[*]}")"
  (cd "$dir" && env -u RUSTFLAGS "${env[@]}" CARGO_ENCODED_RUSTFLAGS="$encoded" \
    "$CARGO" build --quiet --release "${extra[@]}" --target "$RUST_TARGET")
  cp "$TARGET_ROOT/$RUST_KIND/$RUST_TARGET/release/$crate.wasm" "$dest"
}

build_as() {
  local name="$1" dir="$2" dest="$3"
  (cd "$ROOT" && npx --no-install asc "plugins/$name/assembly/index.ts" \
    --config "plugins/$name/asconfig.json" --target release -o "$dest")
}

set_checksum() {
  local toml="$1" sum="$2"
  grep -q '^checksum = ' "$toml" || { echo "build-plugins: $toml has no checksum line in [binary]" >&2; return 1; }
  sed -i "s|^checksum = .*|checksum = \"sha256:$sum\"|" "$toml"
}

pick_rust
case "$RUST_KIND" in
  rustup) echo "build-plugins: Rust: rustup $(rustc --version | cut -d' ' -f2), target wasm32-wasip1"
    [ -z "$OUT" ] && echo "build-plugins: note: the committed .wasm files come from Debian's toolchain;" \
      "rustup builds differ byte for byte (MIDIMON_PLUGIN_TOOLCHAIN=debian to match CI)" ;;
  debian) echo "build-plugins: Rust: Debian $("$RUSTC_BIN" --version | cut -d' ' -f2), target wasm32-wasi (offline)" ;;
  none) echo "build-plugins: Rust: none found (install rustup + wasm32-wasip1, or apt-get install rustc cargo libstd-rust-dev-wasm32 librust-serde-dev librust-serde-json-dev lld)" ;;
esac
echo "build-plugins: AssemblyScript: asc $(cd "$ROOT" && npx --no-install asc --version 2>/dev/null | awk '{print $2}')"

status=0
printf '%-16s %-14s %10s %10s %7s  %s\n' plugin toolchain bytes target secs result
for name in "${NAMES[@]}"; do
  dir="$PLUGINS/$name"
  [ -f "$dir/plugin.toml" ] || { echo "build-plugins: $dir/plugin.toml missing" >&2; status=1; continue; }
  dest="${OUT:-$dir}/$name.wasm"
  start=$(date +%s.%N)
  if [ -f "$dir/Cargo.toml" ]; then
    if [ "$RUST_KIND" = none ]; then echo "build-plugins: skipping $name (no Rust toolchain)"; status=1; continue; fi
    tool="$RUST_KIND"
    build_rust "$name" "$dir" "$dest" || { echo "build-plugins: $name: cargo build failed" >&2; status=1; continue; }
  elif [ -f "$dir/asconfig.json" ]; then
    tool=asc
    build_as "$name" "$dir" "$dest" || { echo "build-plugins: $name: asc failed" >&2; status=1; continue; }
  else
    echo "build-plugins: $name: neither Cargo.toml nor asconfig.json" >&2; status=1; continue
  fi
  secs=$(awk -v a="$start" -v b="$(date +%s.%N)" 'BEGIN { printf "%.1f", b - a }')
  bytes=$(stat -c %s "$dest")
  limit=$(size_target "$name")
  result=ok
  [ "$bytes" -lt "$limit" ] || { result="OVER TARGET"; status=1; }
  printf '%-16s %-14s %10d %10d %7s  %s\n' "$name" "$tool" "$bytes" "$limit" "$secs" "$result"
  if [ -z "$OUT" ]; then
    set_checksum "$dir/plugin.toml" "$(sha256sum "$dest" | cut -d' ' -f1)" || status=1
  fi
done
exit $status
