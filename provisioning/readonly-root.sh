#!/usr/bin/env bash
# Makes a provisioned box (provisioning/install.sh already run) boot with a read-only root:
# overlayroot mounts the root filesystem read-only with a RAM overlay on top, so pulling
# the power can never corrupt it. Config and state live on a small ext4 partition labelled
# midimon-data (images/add-data-partition.sh adds it to an image), bind-mounted over
# /etc/midimon and /var/lib/midimon by midimon-data.service. docs/hardware.md "Read-only root".
#
#   provisioning/readonly-root.sh                in the image chroot (images/pi-gen stage)
#   provisioning/readonly-root.sh --root DIR     lay the files into the tree DIR (tests)
#
# Idempotent. Undo on a box: add "overlayroot=disabled" to /boot/firmware/cmdline.txt
# (the kernel command line overrides the config file) and reboot.
set -euo pipefail

SRC=$(cd "$(dirname "$0")/.." && pwd)
ROOT=/
PACKAGES=1
while [ $# -gt 0 ]; do
  case $1 in
    --root) ROOT=${2:?--root needs a directory}; shift 2 ;;
    --no-packages) PACKAGES=0; shift ;;
    -h|--help) sed -n '2,13p' "$0" | sed 's/^# \{0,1\}//'; exit 0 ;;
    *) echo "midimon-readonly: unknown option $1 (see --help)" >&2; exit 2 ;;
  esac
done
log() { printf 'midimon-readonly: %s\n' "$*"; }
R=$(cd "$ROOT" && pwd)
[ "$R" = / ] && R=
[ -z "$R" ] || PACKAGES=0
[ -f "$R/etc/systemd/system/midimon.service" ] || { echo "midimon-readonly: run provisioning/install.sh first (no midimon.service in ${R:-/})" >&2; exit 1; }
if [ -z "$R" ] && [ -d /run/systemd/system ] && ! blkid -L midimon-data >/dev/null 2>&1; then
  # On a running Pi without the partition, every config change would be lost at reboot.
  echo "midimon-readonly: no partition labelled midimon-data on this box; create one first (docs/hardware.md, Read-only root)" >&2
  exit 1
fi

if [ "$PACKAGES" = 1 ]; then
  log "overlayroot (initramfs hook)"
  apt-get install -y -qq --no-install-recommends overlayroot >/dev/null
fi

# recurse=0: only / gets the overlay. The default (1) would put every other fstab mount in
# RAM as well, the data partition included, and the config saved there would vanish.
log "overlayroot=tmpfs:recurse=0 -> /etc/overlayroot.local.conf"
mkdir -p "$R/etc"
printf '# midimon-box (provisioning/readonly-root.sh): read-only root, changes in RAM; the\n# midimon-data partition stays writable. The kernel command line overrides this.\noverlayroot="tmpfs:recurse=0"\n' >"$R/etc/overlayroot.local.conf"

log "fstab: LABEL=midimon-data on /srv/midimon"
touch "$R/etc/fstab"
awk '/^# >>> midimon-box/ { skip = 1; next } /^# <<< midimon-box/ { skip = 0; next } !skip' "$R/etc/fstab" >"$R/etc/fstab.midimon-tmp"
cat >>"$R/etc/fstab.midimon-tmp" <<'FSTAB'
# >>> midimon-box (provisioning/readonly-root.sh rewrites this block)
LABEL=midimon-data  /srv/midimon  ext4  defaults,noatime,nofail,x-systemd.device-timeout=10s  0  2
# <<< midimon-box
FSTAB
mv "$R/etc/fstab.midimon-tmp" "$R/etc/fstab"
mkdir -p "$R/srv/midimon"

log "midimon-data.service, journald in RAM"
install -D -m 0644 "$SRC/provisioning/systemd/midimon-data.service" "$R/etc/systemd/system/midimon-data.service"
mkdir -p "$R/etc/systemd/system/midimon.service.d"
printf '# Read-only root: config and state are on the midimon-data partition (midimon-data.service).\n[Unit]\nWants=midimon-data.service\nAfter=midimon-data.service\n' >"$R/etc/systemd/system/midimon.service.d/10-data.conf"
mkdir -p "$R/etc/systemd/journald.conf.d"
printf '# The root is read-only: keep the journal in RAM, bounded.\n[Journal]\nStorage=volatile\nRuntimeMaxUse=16M\n' >"$R/etc/systemd/journald.conf.d/60-midimon-volatile.conf"
systemctl --root="${R:-/}" enable midimon-data.service >/dev/null 2>&1

# What an empty data partition starts with: the config install.sh wrote.
log "config seed: /etc/midimon -> /usr/share/midimon/config-seed"
rm -rf "$R/usr/share/midimon/config-seed"
mkdir -p "$R/usr/share/midimon"
cp -a "$R/etc/midimon" "$R/usr/share/midimon/config-seed"

# The firmware must load the initramfs: overlayroot runs there (on by default in current images).
cfg="$R/boot/firmware/config.txt"
if [ -f "$cfg" ]; then
  log "auto_initramfs=1 -> /boot/firmware/config.txt"
  awk '/^# >>> midimon-readonly/ { skip = 1; next } /^# <<< midimon-readonly/ { skip = 0; next } !skip' "$cfg" >"$cfg.midimon-tmp"
  printf '# >>> midimon-readonly (provisioning/readonly-root.sh rewrites this block)\n[all]\nauto_initramfs=1\n# <<< midimon-readonly\n' >>"$cfg.midimon-tmp"
  mv "$cfg.midimon-tmp" "$cfg"
fi

if [ "$PACKAGES" = 1 ] && command -v update-initramfs >/dev/null; then
  log "initramfs for every installed kernel"
  update-initramfs -u -k all >/dev/null
fi
log "done: the next boot has a read-only root; config and state go to the midimon-data partition"
