#!/bin/bash -e
# pi-gen sub-stage: boot the image with a read-only root (overlayroot); config and state go to
# the midimon-data partition that images/add-data-partition.sh adds to the built image.
# Delete this sub-stage for an image with a writable root. docs/hardware.md "Read-only root".
on_chroot <<'CHROOT'
bash /usr/src/midimon-box/provisioning/readonly-root.sh
CHROOT
