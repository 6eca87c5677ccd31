// provisioning/udev/midimon-usb-check.sh, the ExecCondition of midimon-usb@.service, on fake
// sysfs/mountinfo trees: a Pi booting from a USB SSD must not mount its own partitions as sticks.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';

const SCRIPT = fileURLToPath(new URL('../../provisioning/udev/midimon-usb-check.sh', import.meta.url));

/** /sys/devices/.../block/<disk>/<part> with class/block and dev/block links, like the kernel's. */
function fakeSysfs(disks: Record<string, { major: number; parts: string[] }>): string {
  const sys = mkdtempSync(join(tmpdir(), 'midimon-sysfs-'));
  mkdirSync(join(sys, 'class/block'), { recursive: true });
  mkdirSync(join(sys, 'dev/block'), { recursive: true });
  for (const [disk, { major, parts }] of Object.entries(disks)) {
    const diskDir = join(sys, 'devices/platform/usb/block', disk);
    mkdirSync(diskDir, { recursive: true });
    writeFileSync(join(diskDir, 'dev'), `${major}:0\n`);
    symlinkSync(diskDir, join(sys, 'class/block', disk));
    symlinkSync(diskDir, join(sys, 'dev/block', `${major}:0`));
    parts.forEach((part, i) => {
      const dir = join(diskDir, part);
      mkdirSync(dir);
      writeFileSync(join(dir, 'partition'), `${i + 1}\n`);
      writeFileSync(join(dir, 'dev'), `${major}:${i + 1}\n`);
      symlinkSync(dir, join(sys, 'class/block', part));
      symlinkSync(dir, join(sys, 'dev/block', `${major}:${i + 1}`));
    });
  }
  return sys;
}

function check(sys: string, mountinfo: string, dev: string): { status: number | null; out: string } {
  writeFileSync(join(sys, 'mountinfo'), mountinfo);
  const r = spawnSync('bash', [SCRIPT, dev], { encoding: 'utf8', env: { ...process.env, MIDIMON_SYSFS: sys, MIDIMON_MOUNTINFO: join(sys, 'mountinfo') } });
  return { status: r.status, out: r.stdout + r.stderr };
}

// Booted from a USB SSD (sda): root on sda2, firmware on sda1; a stick is sdb.
const SSD_BOOT = [
  '22 1 8:2 / / rw,noatime shared:1 - ext4 /dev/sda2 rw',
  '23 22 0:5 / /dev rw,nosuid shared:2 - devtmpfs udev rw',
  '30 22 8:1 / /boot/firmware rw,relatime shared:9 - vfat /dev/sda1 rw',
].join('\n');

test('the partitions of the disk the Pi boots from are not sticks', () => {
  const sys = fakeSysfs({ sda: { major: 8, parts: ['sda1', 'sda2'] }, sdb: { major: 9, parts: ['sdb1'] } });
  try {
    for (const dev of ['sda1', 'sda2']) {
      const r = check(sys, SSD_BOOT, dev);
      assert.equal(r.status, 1, `${dev} would be mounted as a stick: ${r.out}`);
    }
    const stick = check(sys, SSD_BOOT, 'sdb1');
    assert.equal(stick.status, 0, stick.out);
  } finally {
    rmSync(sys, { recursive: true, force: true });
  }
});

test('an overlay root still protects its lower disk; SD-card boot leaves every USB disk a stick', () => {
  const sys = fakeSysfs({ sda: { major: 8, parts: ['sda1', 'sda2'] }, mmcblk0: { major: 179, parts: ['mmcblk0p1', 'mmcblk0p2'] } });
  try {
    // overlayroot: / is an overlay (anonymous 0:x), the real root is mounted read-only below it.
    const overlay = ['25 1 0:27 / / rw shared:1 - overlay overlayroot rw', '26 25 8:2 / /media/root-ro ro shared:3 - ext4 /dev/sda2 ro'].join('\n');
    assert.equal(check(sys, overlay, 'sda1').status, 1);
    const sdBoot = ['22 1 179:2 / / rw shared:1 - ext4 /dev/mmcblk0p2 rw', '30 22 179:1 / /boot/firmware rw shared:9 - vfat /dev/mmcblk0p1 rw'].join('\n');
    assert.equal(check(sys, sdBoot, 'sda1').status, 0);
    // A second partition of a stick we mounted ourselves is still a stick.
    assert.equal(check(sys, `${sdBoot}\n40 22 8:1 / /media/midimon-sda1 ro shared:20 - vfat /dev/sda1 ro`, 'sda2').status, 0);
    // ...but the same partition twice is not mounted again, nor one mounted by fstab.
    assert.equal(check(sys, `${sdBoot}\n40 22 8:1 / /media/midimon-sda1 ro shared:20 - vfat /dev/sda1 ro`, 'sda1').status, 0, 'our own mount point is ours to replace');
    assert.equal(check(sys, `${sdBoot}\n41 22 8:1 / /mnt/data rw shared:21 - vfat /dev/sda1 rw`, 'sda1').status, 1);
    assert.equal(check(sys, sdBoot, 'nosuch1').status, 1);
  } finally {
    rmSync(sys, { recursive: true, force: true });
  }
});

test('midimon-usb@.service runs the check before mounting', async () => {
  const { readFileSync } = await import('node:fs');
  const unit = readFileSync(fileURLToPath(new URL('../../provisioning/systemd/midimon-usb@.service', import.meta.url)), 'utf8');
  const service = unit.slice(unit.indexOf('[Service]'));
  const cond = service.indexOf('ExecCondition=/bin/bash /opt/midimon/provisioning/udev/midimon-usb-check.sh %I');
  assert.ok(cond >= 0 && cond < service.indexOf('ExecStart='), 'ExecCondition with the check must precede ExecStart');
});
