import { test } from 'node:test';
import assert from 'node:assert/strict';
import { execFileSync, spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, writeFileSync, readdirSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';

const root = fileURLToPath(new URL('../../', import.meta.url));

function shellScripts(dir: string): string[] {
  return readdirSync(dir).flatMap((name) => {
    const p = join(dir, name);
    if (statSync(p).isDirectory()) return shellScripts(p);
    return name.endsWith('.sh') ? [p] : [];
  });
}

test('every provisioning and image script parses with bash -n', () => {
  const scripts = [...shellScripts(join(root, 'provisioning')), ...shellScripts(join(root, 'images'))];
  assert.ok(scripts.length >= 3, `expected the install and pi-gen scripts, found ${scripts.join(', ')}`);
  for (const s of scripts) {
    const r = spawnSync('bash', ['-n', s], { encoding: 'utf8' });
    assert.equal(r.status, 0, `${s}: ${r.stderr}`);
  }
});

test('systemd units pass systemd-analyze verify', () => {
  const dir = mkdtempSync(join(tmpdir(), 'midimon-units-'));
  // verify checks that ExecStart binaries exist: point them at this checkout.
  const service = readFileSync(join(root, 'provisioning/systemd/midimon.service'), 'utf8')
    .replace('/usr/bin/node', process.execPath)
    .replace('/opt/midimon/', root);
  writeFileSync(join(dir, 'midimon.service'), service);
  writeFileSync(join(dir, 'midimon-usb@.service'), readFileSync(join(root, 'provisioning/systemd/midimon-usb@.service'), 'utf8'));
  const out = spawnSync('systemd-analyze', ['verify', join(dir, 'midimon.service'), join(dir, 'midimon-usb@.service')], { encoding: 'utf8' });
  assert.equal(out.error, undefined, 'systemd-analyze is required (apt-get install systemd)');
  const problems = out.stderr.split('\n').filter((l) => l.includes('midimon') && !l.includes('Failed to put bus name'));
  assert.equal(out.status, 0, out.stderr);
  assert.deepEqual(problems, []);
});

test('the service unit keeps the hardening that matters and avoids what breaks the box', () => {
  const unit = readFileSync(join(root, 'provisioning/systemd/midimon.service'), 'utf8');
  const active = unit.split('\n').filter((l) => !l.startsWith('#'));
  const has = (line: string) => active.includes(line);
  for (const l of ['Type=notify', 'Restart=always', 'ProtectSystem=strict', 'NoNewPrivileges=yes', 'SupplementaryGroups=gpio i2c audio', 'StateDirectory=midimon']) {
    assert.ok(has(l), `missing ${l}`);
  }
  // V8's JIT needs W^X mappings; PrivateDevices hides /dev/snd, I2C and GPIO.
  assert.ok(!active.some((l) => l.startsWith('MemoryDenyWriteExecute=yes')));
  assert.ok(!active.some((l) => l.startsWith('PrivateDevices=yes')));
});

test('the udev rule mounts USB sticks (vfat, exfat, ntfs, ext4 only) through the templated unit, read-only, nosymfollow', () => {
  const rule = readFileSync(join(root, 'provisioning/udev/99-midimon-usb.rules'), 'utf8');
  assert.match(rule, /SYSTEMD_WANTS}\+="midimon-usb@%k\.service"/);
  const unit = readFileSync(join(root, 'provisioning/systemd/midimon-usb@.service'), 'utf8');
  // Read-only, and no link on a stick is ever followed, by the kernel either.
  const options = /--options=(\S+)/.exec(unit)?.[1]?.split(',') ?? [];
  for (const o of ['ro', 'nosuid', 'nodev', 'noexec', 'nosymfollow']) assert.ok(options.includes(o), `mount option ${o} missing from ${options.join(',')}`);
  // Only the filesystems sticks use; every other type stays unmounted.
  assert.match(rule, /ENV\{ID_FS_TYPE\}=="vfat\|exfat\|ntfs\|ext4"/);
  const udevadm = spawnSync('udevadm', ['verify', join(root, 'provisioning/udev/99-midimon-usb.rules')], { encoding: 'utf8' });
  // `udevadm verify` exists from systemd 254 on; older udevadm answers with usage, which is not a rule error.
  if (udevadm.status === 0) assert.equal(udevadm.stderr.trim(), '');
});

test('the pi-gen config names only stages that exist (upstream ones or ours)', () => {
  const config = readFileSync(join(root, 'images/pi-gen/config'), 'utf8');
  const stages = /STAGE_LIST="([^"]+)"/.exec(config)?.[1]?.split(/\s+/) ?? [];
  assert.deepEqual(stages.slice(0, 3), ['stage0', 'stage1', 'stage2']);
  for (const s of stages.slice(3)) assert.ok(statSync(join(root, 'images/pi-gen', s)).isDirectory(), s);
  execFileSync('bash', ['-n', join(root, 'images/pi-gen/stage-midimon/00-midimon/00-run.sh')]);
});
