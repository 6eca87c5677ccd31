#!/bin/bash -e
# pi-gen sub-stage: copy midimon-box into the image and provision it inside the chroot.
# pi-gen runs this with the sub-stage directory as the working directory; the source
# tree is files/midimon-box, put there by images/prepare-pi-gen.sh (inside pi-gen's
# directory, so build-docker.sh, which copies that directory into its container, has it too).
SRC_TREE="${MIDIMON_SRC:-files/midimon-box}"
[ -f "${SRC_TREE}/provisioning/install.sh" ] || { echo "midimon: no midimon-box tree at ${SRC_TREE} (run images/prepare-pi-gen.sh first)" >&2; exit 1; }
rm -rf "${ROOTFS_DIR}/usr/src/midimon-box"
install -d "${ROOTFS_DIR}/usr/src/midimon-box"
cp -a "${SRC_TREE}/." "${ROOTFS_DIR}/usr/src/midimon-box/"
on_chroot <<'CHROOT'
cd /usr/src/midimon-box
# No booted systemd in the chroot: install.sh writes files and enables the unit, nothing more.
bash provisioning/install.sh
CHROOT
