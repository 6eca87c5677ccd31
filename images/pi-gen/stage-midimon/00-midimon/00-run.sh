#!/bin/bash -e
# pi-gen: copy midimon-box into the image and provision it inside the chroot.
: "${MIDIMON_SRC:?set MIDIMON_SRC to the midimon-box checkout}"
install -d "${ROOTFS_DIR}/usr/src/midimon-box"
(cd "${MIDIMON_SRC}" && git ls-files -z | xargs -0 cp --parents -t "${ROOTFS_DIR}/usr/src/midimon-box")
on_chroot <<'CHROOT'
apt-get install -y --no-install-recommends git
cd /usr/src/midimon-box
# No hardware in the chroot: install.sh only writes files and enables the unit.
bash provisioning/install.sh
CHROOT
