#!/usr/bin/env bash
# Provisions a Raspberry Pi (Raspberry Pi OS Bookworm/Trixie, Lite) as a midimon box.
# Run as root from a checkout: sudo provisioning/install.sh [--no-build]
# Idempotent: running it again upgrades the code and keeps config and state.
set -euo pipefail

SRC=$(cd "$(dirname "$0")/.." && pwd)
PREFIX=/opt/midimon
BOOT_CONFIG=/boot/firmware/config.txt
[ -f "$BOOT_CONFIG" ] || BOOT_CONFIG=/boot/config.txt
# BCM pins of the footswitches that get internal pull-ups (onoff cannot set pulls).
FOOTSWITCH_PINS=${FOOTSWITCH_PINS:-17,27,22}

log() { printf 'midimon-install: %s\n' "$*"; }
[ "$(id -u)" = 0 ] || { echo "run as root (sudo $0)" >&2; exit 1; }

log "packages"
apt-get update -qq
# polkitd replaced policykit-1 in Trixie; libasound2t64 replaced libasound2.
# build-essential + python3: node-gyp builds the i2c-bus and epoll (onoff) addons.
apt-get install -y -qq --no-install-recommends i2c-tools git ca-certificates curl build-essential python3 >/dev/null
apt-get install -y -qq --no-install-recommends polkitd >/dev/null 2>&1 || apt-get install -y -qq --no-install-recommends policykit-1 >/dev/null
apt-get install -y -qq --no-install-recommends libasound2t64 >/dev/null 2>&1 || apt-get install -y -qq --no-install-recommends libasound2 >/dev/null

# midimon-box needs Node >= 20: Raspberry Pi OS Trixie ships 20; Bookworm ships 18,
# so there the current LTS comes from NodeSource's Debian repository.
node_major() { node -p 'process.versions.node.split(".")[0]' 2>/dev/null || echo 0; }
apt-get install -y -qq --no-install-recommends nodejs npm >/dev/null 2>&1 || true
if [ "$(node_major)" -lt 20 ]; then
  log "Debian's Node is $(node -v 2>/dev/null || echo missing); installing Node 22 LTS from NodeSource"
  curl -fsSL https://deb.nodesource.com/setup_22.x | bash - >/dev/null
  apt-get install -y -qq nodejs >/dev/null
fi
[ "$(node_major)" -ge 20 ] || { echo "midimon-install: Node >= 20 is required, found $(node -v 2>/dev/null || echo none)" >&2; exit 1; }

log "user and groups"
for g in gpio i2c audio; do getent group "$g" >/dev/null || groupadd --system "$g"; done
id midimon >/dev/null 2>&1 || useradd --system --home-dir /var/lib/midimon --shell /usr/sbin/nologin midimon
usermod -a -G gpio,i2c,audio midimon

log "code -> $PREFIX"
mkdir -p "$PREFIX"
# Copy the tracked tree only (no node_modules, no build output from the dev machine).
(cd "$SRC" && git ls-files -z 2>/dev/null || find . -path ./node_modules -prune -o -type f -print0) \
  | (cd "$SRC" && xargs -0 cp --parents -t "$PREFIX")
(cd "$PREFIX" && npm ci --no-audit --no-fund && npm run build && npm prune --omit=dev)
ln -sf "$PREFIX/bin/midimon.js" /usr/local/bin/midimon

log "I2C on at 400 kHz, footswitch pull-ups on BCM $FOOTSWITCH_PINS"
if command -v raspi-config >/dev/null; then raspi-config nonint do_i2c 0; fi
grep -q '^dtparam=i2c_arm=on' "$BOOT_CONFIG" || echo 'dtparam=i2c_arm=on' >>"$BOOT_CONFIG"
grep -q '^dtparam=i2c_arm_baudrate=' "$BOOT_CONFIG" || echo 'dtparam=i2c_arm_baudrate=400000' >>"$BOOT_CONFIG"
grep -q "^gpio=$FOOTSWITCH_PINS=ip,pu" "$BOOT_CONFIG" || echo "gpio=$FOOTSWITCH_PINS=ip,pu" >>"$BOOT_CONFIG"
grep -qx 'i2c-dev' /etc/modules || echo 'i2c-dev' >>/etc/modules

log "systemd, udev, polkit"
install -m 0644 "$SRC/provisioning/systemd/midimon.service" /etc/systemd/system/midimon.service
install -m 0644 "$SRC/provisioning/systemd/midimon-usb@.service" /etc/systemd/system/midimon-usb@.service
install -m 0644 "$SRC/provisioning/udev/99-midimon-usb.rules" /etc/udev/rules.d/99-midimon-usb.rules
install -d /etc/polkit-1/rules.d
install -m 0644 "$SRC/provisioning/polkit/50-midimon.rules" /etc/polkit-1/rules.d/50-midimon.rules
install -d -o root -g midimon -m 0775 /etc/midimon /etc/midimon/trusted-keys
# The service cannot write /etc (ProtectSystem=strict): the first config is written here.
node "$PREFIX/bin/midimon.js" config init /etc/midimon/config.toml
chgrp midimon /etc/midimon/config.toml && chmod 0664 /etc/midimon/config.toml
udevadm control --reload || true
systemctl daemon-reload
systemctl enable midimon.service

log "done: reboot once so I2C and the pull-ups take effect, then: journalctl -u midimon -f"
