#!/usr/bin/env bash
# Adds the midimon-data partition to a built image (pi-gen makes only boot + root):
#   images/add-data-partition.sh pi-gen/deploy/image_*-midimon-lite.img[.xz] [SIZE_MIB]
# A primary ext4 partition labelled midimon-data (default 256 MiB) after the root, 4 MiB
# aligned. No loop devices or root needed: sfdisk edits the table in the file and mke2fs
# formats at an offset. The root then stays the size it was built with (Raspberry Pi OS
# only grows the last partition on first boot); it is read-only anyway. Running it again
# on an image that has the partition changes nothing. docs/hardware.md "Read-only root".
set -euo pipefail
IMG=${1:?usage: images/add-data-partition.sh IMAGE.img[.xz] [SIZE_MIB]}
SIZE_MIB=${2:-256}
LABEL=midimon-data
[[ "$SIZE_MIB" =~ ^[0-9]+$ ]] && [ "$SIZE_MIB" -ge 8 ] || { echo "add-data-partition: SIZE_MIB must be a number >= 8" >&2; exit 2; }
[ -f "$IMG" ] || { echo "add-data-partition: $IMG is not a file" >&2; exit 1; }
for tool in sfdisk mke2fs blkid; do command -v "$tool" >/dev/null || { echo "add-data-partition: needs $tool (apt-get install fdisk e2fsprogs util-linux)" >&2; exit 1; }; done

img=$IMG
case $IMG in *.xz) img=${IMG%.xz}; xz -dkf "$IMG" ;; esac

dump=$(sfdisk --dump "$img")
grep -q '^label: dos' <<<"$dump" || { echo "add-data-partition: $img has no MBR (dos) partition table" >&2; exit 1; }
mapfile -t parts < <(grep -E ' : start=' <<<"$dump")
field() { sed -E "s/.*$1= *([0-9]+).*/\\1/" <<<"$2"; }
if [ "${#parts[@]}" = 3 ]; then
  start=$(field start "${parts[2]}")
  if [ "$(blkid -p -O $((start * 512)) -s LABEL -o value "$img" 2>/dev/null)" = "$LABEL" ]; then
    echo "add-data-partition: $img already has the $LABEL partition; nothing changed"
    [ "$img" = "$IMG" ] || rm -f "$img"
    exit 0
  fi
fi
[ "${#parts[@]}" = 2 ] || { echo "add-data-partition: expected the 2 partitions pi-gen makes (boot, root), found ${#parts[@]}" >&2; exit 1; }

root_end=$(( $(field start "${parts[1]}") + $(field size "${parts[1]}") ))
align=8192 # sectors: 4 MiB, as pi-gen aligns its own partitions
start=$(( (root_end + align - 1) / align * align ))
sectors=$(( SIZE_MIB * 2048 ))
total=$(( (start + sectors) * 512 ))
[ "$(stat -c %s "$img")" -ge "$total" ] || truncate -s "$total" "$img"
echo "start=$start, size=$sectors, type=83" | sfdisk --append --no-reread --no-tell-kernel -q "$img"
mke2fs -q -F -t ext4 -L "$LABEL" -E offset=$((start * 512)) "$img" "${SIZE_MIB}M"
echo "add-data-partition: $LABEL: ${SIZE_MIB} MiB ext4 at sector $start of $img"
if [ "$img" != "$IMG" ]; then
  xz -T0 -f "$img"
  echo "add-data-partition: recompressed to $IMG"
fi
