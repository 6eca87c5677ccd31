#!/usr/bin/env bash
# ExecCondition of midimon-usb@.service: exit 0 mounts the partition, exit 1 skips it
# quietly (systemd logs a skipped condition, not a failed unit).
#
# The udev rule matches every USB partition with a filesystem, which on a Pi that boots
# from a USB SSD includes its own root and boot partitions. A disk that has any partition
# mounted by someone else (/, /boot/firmware, an overlay's lower root, an fstab entry) is
# not a stick, and a partition that is already mounted is left alone.
# Usage: midimon-usb-check.sh KERNEL_NAME (e.g. sda1). MIDIMON_SYSFS / MIDIMON_MOUNTINFO
# point it at a fake tree in tests.
set -u
dev=${1:?usage: midimon-usb-check.sh KERNEL_NAME}
SYS=${MIDIMON_SYSFS:-/sys}
MOUNTINFO=${MIDIMON_MOUNTINFO:-/proc/self/mountinfo}

# sysfs path of a block device -> kernel name of the disk it belongs to.
disk_of() {
  local p
  p=$(readlink -f "$1") && [ -e "$p" ] || return 1
  if [ -e "$p/partition" ]; then basename "$(dirname "$p")"; else basename "$p"; fi
}

mine=$(disk_of "$SYS/class/block/$dev") || { echo "midimon-usb: no block device $dev"; exit 1; }
own=$(cat "$SYS/class/block/$dev/dev" 2>/dev/null || echo none)
while read -r _ _ majmin _ mnt _ || [ -n "${majmin:-}" ]; do
  case $mnt in /media/midimon-*) continue ;; esac
  if [ "$majmin" = "$own" ]; then echo "midimon-usb: $dev is already mounted at $mnt"; exit 1; fi
  d=$(disk_of "$SYS/dev/block/$majmin" 2>/dev/null) || continue
  if [ "$d" = "$mine" ]; then echo "midimon-usb: $dev is on $d, which holds $mnt (the system's disk): not a stick"; exit 1; fi
done <"$MOUNTINFO"
exit 0
