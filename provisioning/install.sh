#!/usr/bin/env bash
# Provisions a Raspberry Pi (Raspberry Pi OS Bookworm/Trixie, Lite) as a midimon box.
#
#   sudo provisioning/install.sh                 on the Pi itself
#   sudo provisioning/install.sh --root DIR      lay every file into the tree DIR (an image's
#                                                root, or a temp dir in tests); touches nothing else
#   options: --no-build      copy the code but skip npm ci/build (tests; the copy cannot run)
#            --no-packages   skip apt and the Node install (implied by --root)
#
# Idempotent: running it again upgrades the code (files deleted upstream disappear)
# and keeps config and state. Inside an image build (a chroot, no booted systemd) it
# only writes files and enables the unit; nothing that needs a running system is called.
set -euo pipefail

SRC=$(cd "$(dirname "$0")/.." && pwd)
ROOT=/
BUILD=1
PACKAGES=1
while [ $# -gt 0 ]; do
  case $1 in
    --root) ROOT=${2:?--root needs a directory}; shift 2 ;;
    --root=*) ROOT=${1#--root=}; shift ;;
    --no-build) BUILD=0; shift ;;
    --no-packages) PACKAGES=0; shift ;;
    -h|--help) sed -n '2,13p' "$0" | sed 's/^# \{0,1\}//'; exit 0 ;;
    *) echo "midimon-install: unknown option $1 (see --help)" >&2; exit 2 ;;
  esac
done

log() { printf 'midimon-install: %s\n' "$*"; }
[ "$(id -u)" = 0 ] || { echo "run as root (sudo $0)" >&2; exit 1; }
[ -d "$ROOT" ] || { echo "midimon-install: --root $ROOT is not a directory" >&2; exit 2; }
# R is the prefix of every path written: "" for the running system, /abs/dir for --root.
R=$(cd "$ROOT" && pwd)
[ "$R" = / ] && R=
if [ -n "$R" ]; then PACKAGES=0; fi
# A booted systemd (not a chroot, not --root): only then reload daemons and restart the box.
LIVE=0
if [ -z "$R" ] && [ -d /run/systemd/system ]; then LIVE=1; fi

PREFIX=/opt/midimon
# BCM pins of the footswitches that get internal pull-ups (sysfs GPIO cannot set pulls).
FOOTSWITCH_PINS=${FOOTSWITCH_PINS:-17,27,22}

# ---- BEGIN packages and Node (the Node version decision lives here; see docs/decisions.md) ----
install_packages() {
  log "packages"
  apt-get update -qq
  # polkitd replaced policykit-1 in Trixie; libasound2t64 replaced libasound2.
  # build-essential + python3: node-gyp builds the i2c-bus and epoll (onoff) addons.
  apt-get install -y -qq --no-install-recommends i2c-tools gpiod git ca-certificates curl build-essential python3 >/dev/null
  apt-get install -y -qq --no-install-recommends polkitd >/dev/null 2>&1 || apt-get install -y -qq --no-install-recommends policykit-1 >/dev/null
  apt-get install -y -qq --no-install-recommends libasound2t64 >/dev/null 2>&1 || apt-get install -y -qq --no-install-recommends libasound2 >/dev/null
}

install_node() {
  # The box runs Node 24 LTS from NodeSource's signed apt repository (docs/decisions.md,
  # "Node on the box"): Node 20, what Trixie ships, is past upstream end of life and
  # Debian's security updates for it do not carry V8 fixes, while V8 is the plugin
  # sandbox. apt keeps it updated like every other package. MIDIMON_NODE=debian
  # takes Debian's nodejs instead (offline mirrors, policy); it must be >= 20.
  local major=${MIDIMON_NODE_MAJOR:-24}
  node_major() { node -p 'process.versions.node.split(".")[0]' 2>/dev/null || echo 0; }
  if [ "${MIDIMON_NODE:-nodesource}" = debian ]; then
    log "Node from Debian (MIDIMON_NODE=debian)"
    apt-get install -y -qq --no-install-recommends nodejs npm >/dev/null
  else
    log "Node $major LTS from NodeSource's apt repository"
    apt-get install -y -qq --no-install-recommends ca-certificates curl gpg >/dev/null
    install -d -m 0755 /etc/apt/keyrings
    curl -fsSL https://deb.nodesource.com/gpgkey/nodesource-repo.gpg.key | gpg --dearmor --yes -o /etc/apt/keyrings/nodesource.gpg
    echo "deb [signed-by=/etc/apt/keyrings/nodesource.gpg] https://deb.nodesource.com/node_$major.x nodistro main" >/etc/apt/sources.list.d/nodesource.list
    # Prefer NodeSource's nodejs over Debian's (its npm is bundled; Debian's npm would pull Debian's nodejs back).
    printf 'Package: nodejs\nPin: origin deb.nodesource.com\nPin-Priority: 600\n' >/etc/apt/preferences.d/nodejs
    apt-get update -qq
    apt-get install -y -qq nodejs >/dev/null
    [ "$(node_major)" = "$major" ] || { echo "midimon-install: expected Node $major from NodeSource, found $(node -v 2>/dev/null || echo none)" >&2; exit 1; }
  fi
  [ "$(node_major)" -ge 20 ] || { echo "midimon-install: Node >= 20 is required, found $(node -v 2>/dev/null || echo none)" >&2; exit 1; }
}
# ---- END packages and Node ----

# Groups and the user, in $R/etc/{passwd,group,shadow,gshadow} (--prefix writes there without chroot).
has_group() { if [ -z "$R" ]; then getent group "$1" >/dev/null; else grep -q "^$1:" "$R/etc/group"; fi; }
has_user() { if [ -z "$R" ]; then getent passwd "$1" >/dev/null; else grep -q "^$1:" "$R/etc/passwd"; fi; }
in_group() {
  local members
  if [ -z "$R" ]; then members=$(getent group "$2" | cut -d: -f4); else members=$(awk -F: -v n="$2" '$1 == n { print $4 }' "$R/etc/group"); fi
  [[ ",$members," == *",$1,"* ]]
}
gid_of() { awk -F: -v n="$1" '$1 == n { print $3 }' "$R/etc/group"; }
users_and_groups() {
  log "user and groups"
  local prefix=()
  [ -z "$R" ] || prefix=(--prefix "$R")
  # gpio: /sys/class/gpio and /dev/gpiochip*; i2c: /dev/i2c-*; audio: /dev/snd/* (Raspberry Pi OS udev rules).
  for g in gpio i2c audio midimon; do has_group "$g" || groupadd "${prefix[@]}" --system "$g"; done
  has_user midimon || useradd "${prefix[@]}" --system --gid midimon --home-dir /var/lib/midimon --no-create-home --shell /usr/sbin/nologin midimon
  # Only what is missing: a rerun rewrites nothing (not even the shadow tools' backups).
  for g in gpio i2c audio; do in_group midimon "$g" || usermod "${prefix[@]}" -a -G "$g" midimon; done
}

# Prints the source tree's file list (NUL-separated): tracked and new files of a git checkout,
# or every file of a plain copy (an image build copies the tree without .git).
source_files() {
  cd "$SRC"
  if git rev-parse --is-inside-work-tree >/dev/null 2>&1; then
    git ls-files -z --cached --others --exclude-standard | while IFS= read -r -d '' f; do [ -f "$f" ] && printf '%s\0' "$f"; done
  else
    find . -path ./node_modules -prune -o -path ./dist -prune -o -path ./.sim -prune -o -type f -print0
  fi
}

# The code goes into a fresh directory that replaces the old one, so a file deleted
# upstream disappears and a failed build leaves the running version untouched.
install_code() {
  log "code -> $R$PREFIX"
  local stage="$R$PREFIX.new" old="$R$PREFIX.old"
  rm -rf "$stage"
  mkdir -p "$stage"
  source_files | (cd "$SRC" && xargs -0 -r cp --parents -t "$stage")
  if [ "$BUILD" = 1 ]; then
    (cd "$stage" && npm ci --no-audit --no-fund && npm run build && npm prune --omit=dev)
  fi
  rm -rf "$old"
  if [ -e "$R$PREFIX" ]; then mv "$R$PREFIX" "$old"; fi
  mv "$stage" "$R$PREFIX"
  rm -rf "$old"
  mkdir -p "$R/usr/local/bin"
  ln -sfn "$PREFIX/bin/midimon.js" "$R/usr/local/bin/midimon"
}

# Our lines in config.txt live in one marked block under [all] (a trailing [cm5] or [pi4]
# section would otherwise swallow them); a rerun replaces the block instead of appending.
boot_config() {
  local cfg="$R/boot/firmware/config.txt"
  if [ ! -f "$cfg" ] && [ -f "$R/boot/config.txt" ] && ! grep -q 'moved to /boot/firmware' "$R/boot/config.txt"; then cfg="$R/boot/config.txt"; fi
  log "I2C on at 400 kHz, footswitch pull-ups on BCM $FOOTSWITCH_PINS -> ${cfg#"$R"}"
  mkdir -p "$(dirname "$cfg")"
  touch "$cfg"
  local tmp="$cfg.midimon-tmp"
  awk '/^# >>> midimon-box/ { skip = 1; next } /^# <<< midimon-box/ { skip = 0; next } !skip' "$cfg" >"$tmp"
  cat >>"$tmp" <<EOF
# >>> midimon-box (provisioning/install.sh rewrites this block)
[all]
dtparam=i2c_arm=on
dtparam=i2c_arm_baudrate=400000
gpio=$FOOTSWITCH_PINS=ip,pu
# <<< midimon-box
EOF
  mv "$tmp" "$cfg"
  # Trixie has no /etc/modules; modules-load.d works on Bookworm too.
  mkdir -p "$R/etc/modules-load.d"
  printf 'i2c-dev\n' >"$R/etc/modules-load.d/midimon.conf"
}

system_files() {
  log "systemd, udev, polkit, /etc/midimon"
  install -D -m 0644 "$SRC/provisioning/systemd/midimon.service" "$R/etc/systemd/system/midimon.service"
  install -D -m 0644 "$SRC/provisioning/systemd/midimon-usb@.service" "$R/etc/systemd/system/midimon-usb@.service"
  install -D -m 0644 "$SRC/provisioning/udev/99-midimon-usb.rules" "$R/etc/udev/rules.d/99-midimon-usb.rules"
  install -D -m 0644 "$SRC/provisioning/polkit/50-midimon.rules" "$R/etc/polkit-1/rules.d/50-midimon.rules"
  local gid
  gid=$(gid_of midimon)
  install -d -o 0 -g "$gid" -m 0775 "$R/etc/midimon"
  install -d -o 0 -g "$gid" -m 0775 "$R/etc/midimon/trusted-keys"
  # The service cannot write /etc (ProtectSystem=strict): the first config is written here.
  local cli=
  for d in "$R$PREFIX" "$SRC"; do
    if [ -d "$d/node_modules" ]; then cli="$d/bin/midimon.js"; break; fi
  done
  [ -n "$cli" ] || { echo "midimon-install: no built midimon to write the default config with (run without --no-build, or npm ci in $SRC)" >&2; exit 1; }
  node "$cli" config init "$R/etc/midimon/config.toml" >/dev/null
  chown "0:$gid" "$R/etc/midimon/config.toml" && chmod 0664 "$R/etc/midimon/config.toml"
}

enable_units() {
  if [ "$LIVE" = 1 ]; then
    udevadm control --reload || true
    systemctl daemon-reload
    systemctl enable midimon.service
    # An upgrade replaced the code under a running box.
    systemctl try-restart midimon.service
  else
    # A chroot or a --root tree: systemctl only creates the enablement symlinks.
    systemctl --root="${R:-/}" enable midimon.service >/dev/null 2>&1
  fi
}

if [ "$PACKAGES" = 1 ]; then
  install_packages
  install_node
fi
users_and_groups
install_code
boot_config
system_files
enable_units
log "done: reboot once so I2C and the pull-ups take effect, then: journalctl -u midimon -f"
