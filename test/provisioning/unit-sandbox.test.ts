// Every path the adapters open (their own exported lists) against midimon.service's sandbox,
// modelled from systemd.exec(5): a hardening line that would lock out GPIO, I2C or MIDI on a Pi
// fails here, without a Pi.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { boxHostUses } from '../../src/box/host-access.js';
import { loadConfigFile } from '../../src/config/load.js';
import { SYSTEM_PATHS } from '../../src/config/paths.js';
import { detectGpioChip } from '../../src/gpio/gpio-base.js';
import { parseUnitService, sandboxDenials, systemdRunProperties, type HostPathUse } from '../../src/system/unit-sandbox.js';

const UNIT = readFileSync(fileURLToPath(new URL('../../provisioning/systemd/midimon.service', import.meta.url)), 'utf8');
const fixture = (name: string) => fileURLToPath(new URL(`../fixtures/sysfs/${name}/class/gpio`, import.meta.url));

async function uses(board = 'pi5-kernel-6.6'): Promise<HostPathUse[]> {
  const { config } = await loadConfigFile(fileURLToPath(new URL('../../docs/example-config.toml', import.meta.url)));
  return boxHostUses(config, SYSTEM_PATHS, await detectGpioChip(fixture(board)));
}

/** The unit with one line added to [Service] (or a line removed). */
const withLine = (line: string) => UNIT.replace('[Service]\n', `[Service]\n${line}\n`);
const without = (prefix: string) => UNIT.split('\n').filter((l) => !l.startsWith(prefix)).join('\n');

test('midimon.service lets every adapter open what it opens (GPIO sysfs, I2C, ALSA, state, socket) on a Pi 4 and a Pi 5', async () => {
  for (const board of ['pi4-kernel-6.6', 'pi5-kernel-6.6']) {
    const all = await uses(board);
    // The list really covers the hardware: a config with switches and an OLED needs all three groups.
    for (const p of ['/sys/class/gpio/export', '/dev/i2c-1', '/dev/snd/seq', '/var/lib/midimon/state.json']) assert.ok(all.some((u) => u.path === p), `${p} missing from the adapters' lists`);
    assert.deepEqual(sandboxDenials(parseUnitService(UNIT), all), [], board);
  }
  // Kernel 6.6 numbering: BCM 17 on the Pi 5 is gpio588 (base 571).
  assert.ok((await uses()).some((u) => u.path === '/sys/class/gpio/gpio588/value'));
});

test('ProtectKernelTunables=yes (the line that broke footswitches) is caught', async () => {
  const denials = sandboxDenials(parseUnitService(withLine('ProtectKernelTunables=yes')), await uses());
  assert.ok(denials.some((d) => d.includes('/sys/class/gpio/export') && d.includes('ProtectKernelTunables=yes makes /sys read-only')), denials.join('\n'));
  assert.ok(!denials.some((d) => d.includes('/dev/')), 'devices are not under /sys');
});

test('other settings that would lock the box out of its hardware are caught too', async () => {
  const all = await uses();
  const denied = (unit: string) => sandboxDenials(parseUnitService(unit), all).join('\n');
  assert.match(denied(withLine('PrivateDevices=yes')), /\/dev\/i2c-1, but PrivateDevices=yes hides it/);
  assert.match(denied(withLine('PrivateDevices=yes')), /\/dev\/snd\/seq, but PrivateDevices=yes hides it/);
  // A device allow-list without I2C.
  const allowAlsa = denied(withLine('DeviceAllow=char-alsa rw'));
  assert.match(allowAlsa, /\/dev\/i2c-1, but DeviceAllow= .* does not list char-i2c/);
  assert.doesNotMatch(allowAlsa, /snd\/seq/);
  assert.match(denied(withLine('DeviceAllow=char-alsa r')), /\/dev\/snd\/seq.*with rw/);
  assert.equal(denied(withLine('DeviceAllow=char-alsa rw\nDeviceAllow=char-i2c rw')), '');
  // A group dropped from SupplementaryGroups.
  assert.match(denied(`${without('SupplementaryGroups=')}\n[Service]\nSupplementaryGroups=gpio audio\n`), /\/dev\/i2c-1, which needs group i2c/);
  // State outside the writable places.
  assert.match(denied(without('StateDirectory=')), /state\.json, but ProtectSystem=strict makes \/ read-only/);
  assert.match(denied(withLine('InaccessiblePaths=/sys/class/gpio')), /gpio\/export, but InaccessiblePaths makes \/sys\/class\/gpio inaccessible/);
  assert.match(denied(withLine('ReadOnlyPaths=/run/midimon')), /control\.sock, but ReadOnlyPaths/);
  // MIDI learn writes the config directory (the file and its .bak).
  assert.match(denied(without('ReadWritePaths=/etc/midimon')), /MIDI learn.* writes \/etc\/midimon, but ProtectSystem=strict makes \/ read-only/);
});

test('the unit sandbox becomes systemd-run properties (hw-test --sandbox)', () => {
  const props = systemdRunProperties(parseUnitService(UNIT));
  const pairs = props.filter((_, i) => i % 2 === 1);
  for (const p of ['User=midimon', 'SupplementaryGroups=gpio i2c audio', 'ProtectSystem=strict', 'StateDirectory=midimon', 'NoNewPrivileges=yes']) assert.ok(pairs.includes(p), p);
  assert.ok(!pairs.some((p) => p.startsWith('ExecStart') || p.startsWith('Restart')), 'only sandbox settings');
});
