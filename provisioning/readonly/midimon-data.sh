#!/usr/bin/env bash
# Boot step of a read-only-root box (midimon-data.service, before midimon.service):
# the root is an overlay whose changes live in RAM, so the box's config and state are
# kept on the small ext4 partition labelled midimon-data, mounted at /srv/midimon by
# fstab, and bind-mounted over the paths the box and `midimon` use anyway:
#   /srv/midimon/config -> /etc/midimon       (config.toml, trusted-keys/)
#   /srv/midimon/state  -> /var/lib/midimon   (state.json, grants.json, plugins/, plugin-data/)
# The box writes there only by temp file + fsync + rename; this script only seeds an
# empty partition (same way) and removes temp files a power cut left behind.
#
#   midimon-data.sh               at boot (root)
#   midimon-data.sh --root DIR    the same on the tree DIR, without mounting (tests)
set -euo pipefail

R=
MOUNT=1
case ${1:-} in
  --root) R=$(cd "${2:?--root needs a directory}" && pwd); MOUNT=0 ;;
  "") ;;
  *) echo "midimon-data: unknown option $1" >&2; exit 2 ;;
esac

DATA=/srv/midimon
SEED=/usr/share/midimon/config-seed
# Data partition subdirectory -> the path the box uses (src/config/paths.ts, midimon.service).
BINDS=("config:/etc/midimon" "state:/var/lib/midimon")

log() { printf 'midimon-data: %s\n' "$*"; }

if [ "$MOUNT" = 1 ] && ! mountpoint -q "$DATA"; then
  # The box still starts (on the overlay): say loudly that nothing it saves survives a reboot.
  log "no partition labelled midimon-data is mounted at $DATA: config and state changes are lost at the next reboot (docs/hardware.md, Read-only root)" >&2
  exit 0
fi

group=0
if [ -z "$R" ]; then group=$(getent group midimon | cut -d: -f3 || echo 0); fi
install -d -m 0775 "$R$DATA/config" "$R$DATA/config/trusted-keys"
install -d -m 0750 "$R$DATA/state"
if [ "$MOUNT" = 1 ]; then chgrp "${group:-0}" "$R$DATA/config" "$R$DATA/config/trusted-keys"; fi

# Temp files of writes a power cut interrupted (".<name>.<pid>.<random>.tmp", src/util/atomic-write.ts):
# the real file next to each is whole; nothing runs yet that could be writing them.
find "$R$DATA/config" "$R$DATA/state" -maxdepth 1 -type f -name '.*.tmp' -delete

# An empty partition (first boot, or reformatted) gets the image's config: each file copied
# to a temp name, fsynced, renamed, then the directory fsynced.
if [ ! -e "$R$DATA/config/config.toml" ] && [ -d "$R$SEED" ]; then
  log "seeding $DATA/config from $SEED"
  (cd "$R$SEED" && find . -mindepth 1 -type d -print0) | while IFS= read -r -d '' d; do install -d -m 0775 "$R$DATA/config/$d"; done
  (cd "$R$SEED" && find . -type f -print0) | while IFS= read -r -d '' f; do
    target="$R$DATA/config/${f#./}"
    tmp="$(dirname "$target")/.$(basename "$target").seed.tmp"
    cp -p "$R$SEED/$f" "$tmp"
    sync "$tmp"
    mv -f "$tmp" "$target"
  done
  sync "$R$DATA/config"
fi

for b in "${BINDS[@]}"; do
  src="$DATA/${b%%:*}" dst=${b#*:}
  if [ "$MOUNT" = 1 ]; then
    mkdir -p "$dst"
    mountpoint -q "$dst" || mount --bind "$src" "$dst"
  fi
  log "$src -> $dst"
done
