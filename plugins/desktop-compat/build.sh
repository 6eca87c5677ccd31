#!/usr/bin/env bash
# Builds this plugin to ./<name>.wasm and prints its size and sha256.
# Inside the midimon-box repository this defers to scripts/build-plugins.sh
# (same flags as CI, updates plugin.toml). Elsewhere it uses rustup's
# wasm32-wasip1 target if installed, else Debian's rustc (target wasm32-wasi,
# crates from /usr/share/cargo/registry, offline).
set -euo pipefail
cd "$(dirname "$0")"
NAME="$(sed -n 's/^name = "\(.*\)"/\1/p' Cargo.toml | head -1)"
if [ -f ../../scripts/build-plugins.sh ] && [ -d ../../plugins ]; then
  exec bash ../../scripts/build-plugins.sh "$NAME"
fi
if command -v rustup >/dev/null && rustup target list --installed 2>/dev/null | grep -qx wasm32-wasip1; then
  echo "Building $NAME with rustup (wasm32-wasip1)..."
  TARGET=wasm32-wasip1
  cargo build --release --target "$TARGET"
  DIR=target
else
  echo "Building $NAME with Debian's rustc (wasm32-wasi, offline)..."
  TARGET=wasm32-wasi
  export CARGO_HOME="$PWD/target/cargo-home" RUSTC=/usr/bin/rustc
  mkdir -p "$CARGO_HOME"
  printf '[source.crates-io]\nreplace-with = "debian"\n[source.debian]\ndirectory = "/usr/share/cargo/registry"\n[net]\noffline = true\n' > "$CARGO_HOME/config.toml"
  RUSTFLAGS="-C target-feature=+bulk-memory" /usr/bin/cargo build --release --offline --target "$TARGET"
  DIR=target
fi
cp "$DIR/$TARGET/release/${NAME//-/_}.wasm" "$NAME.wasm"
echo "Plugin built: $NAME.wasm ($(stat -c %s "$NAME.wasm") bytes, sha256:$(sha256sum "$NAME.wasm" | cut -d' ' -f1))"
echo "Next: midimon plugin run $NAME.wasm hello   and   midimon plugin pack . --out /media/usb"
