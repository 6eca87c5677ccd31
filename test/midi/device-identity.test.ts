import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdir, mkdtemp, rm, symlink, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { dirname, join, relative } from 'node:path';
import { FakeMidiBackend } from '../../src/midi/fake-midi-backend.js';
import { MidiDevices, type MidiPortSpec } from '../../src/midi/midi-devices.js';
import { cardOfClient, parsePortAddress, SysfsPortIdentifier, usbPathOf } from '../../src/midi/port-identity.js';
import { ManualScheduler } from '../../src/gpio/manual-scheduler.js';
import type { MidiInEvent } from '../../src/engine/inputs.js';
import { silentLogger } from '../../src/log.js';
import { deviceRows } from '../../src/box/views.js';
import { validateConfigText } from '../../src/config/load.js';
import type { BoxConfig } from '../../src/config/schema.js';

async function parseConfigText(text: string): Promise<BoxConfig> {
  const r = await validateConfigText(`${text}\n[[modes]]\nname = "Live"\n`, 'config.toml', { checkPluginFiles: false });
  if (!r.ok) throw new Error(r.issues.map((i) => `${i.path}: ${i.message}`).join('; '));
  return r.config;
}
import { formatDevices } from '../../src/cli/commands/devices.js';

// Two identical controllers (same ALSA name) told apart by the USB socket
// they are plugged into: issue 16, "Stable device identity".

const SAME = 'Launchkey Mini:Launchkey Mini LK Mini MIDI 1';
const LEFT_PORT = `${SAME} 20:0`;
const RIGHT_PORT = `${SAME} 24:0`;

/**
 * A root laid out like a Pi 4's /proc and /sys with two Launchkeys on the
 * xHCI controller's hub ports 2 and 3 (cards 1 and 2, sequencer clients 20
 * and 24); the one on port 3 reports a serial. cardN links are relative, as
 * sysfs makes them.
 */
async function piRoot(dir: string): Promise<string> {
  const root = join(dir, 'root');
  await mkdir(join(root, 'proc/asound/seq'), { recursive: true });
  await writeFile(
    join(root, 'proc/asound/seq/clients'),
    [
      'Client info',
      '  cur  clients : 5',
      '',
      'Client   0 : "System" [Kernel]',
      '  Port   0 : "Timer" (Rwe-)',
      'Client  14 : "Midi Through" [Kernel]',
      '  Port   0 : "Midi Through Port-0" (RWe-)',
      'Client  20 : "Launchkey Mini" [Kernel]',
      '  Port   0 : "Launchkey Mini LK Mini MIDI 1" (RWeX)',
      'Client  24 : "Launchkey Mini" [Kernel]',
      '  Port   0 : "Launchkey Mini LK Mini MIDI 1" (RWeX)',
      'Client 128 : "midimon-box" [User Legacy]',
      '  Port   0 : "in" (-We-)',
      '',
    ].join('\n'),
  );
  const usb = 'sys/devices/platform/scb/fd500000.pcie/pci0000:00/0000:00:00.0/0000:01:00.0/usb1/1-1';
  for (const [card, hubPort, serial] of [[1, '1-1.2', null], [2, '1-1.3', 'LKM-0042']] as const) {
    const iface = join(root, usb, hubPort, `${hubPort}:1.0`);
    const cardDir = join(iface, 'sound', `card${card}`);
    await mkdir(cardDir, { recursive: true });
    if (serial !== null) await writeFile(join(root, usb, hubPort, 'serial'), `${serial}\n`);
    await symlink(relative(cardDir, iface), join(cardDir, 'device'));
    await mkdir(join(root, 'sys/class/sound'), { recursive: true });
    await symlink(relative(join(root, 'sys/class/sound'), cardDir), join(root, 'sys/class/sound', `card${card}`));
  }
  // The Pi's own headphone card: a platform device, not USB.
  const bcm = join(root, 'sys/devices/platform/soc/soc:audio/bcm2835_audio/sound/card0');
  await mkdir(bcm, { recursive: true });
  await symlink(relative(bcm, dirname(dirname(bcm))), join(bcm, 'device'));
  await symlink(relative(join(root, 'sys/class/sound'), bcm), join(root, 'sys/class/sound/card0'));
  return root;
}

let dir: string;
let root: string;
before(async () => {
  dir = await mkdtemp(join(tmpdir(), 'midimon-identity-'));
  root = await piRoot(dir);
});
after(() => rm(dir, { recursive: true, force: true }));

describe('reading where a port is (procfs + sysfs)', () => {
  test('pure parts: client:port suffix, card of a client, USB path of an interface', () => {
    assert.deepEqual(parsePortAddress(LEFT_PORT), { client: 20, port: 0 });
    assert.equal(parsePortAddress('Virtual Keyboard'), undefined);
    assert.equal(cardOfClient('Client  24 : "X" [Kernel]\n', 24), 2, 'kernel clients of card N start at 16 + 4N');
    assert.equal(cardOfClient('Client  40 : "X" [Kernel] card=9\n', 40), 9, 'an explicit card= wins');
    assert.equal(cardOfClient('Client 128 : "X" [User Legacy]\n', 128), undefined, 'user-space clients have no card');
    assert.equal(usbPathOf('/sys/devices/x/usb1/1-1/1-1.2/1-1.2:1.0'), '1-1.2');
    assert.equal(usbPathOf('/sys/devices/platform/soc/soc:audio/bcm2835_audio'), undefined);
  });

  test('two identical Launchkeys: same name, different sockets; serial where reported', () => {
    const id = new SysfsPortIdentifier(root);
    assert.deepEqual(id.identify(LEFT_PORT), { client: 20, port: 0, card: 1, usbPath: '1-1.2' });
    assert.deepEqual(id.identify(RIGHT_PORT), { client: 24, port: 0, card: 2, usbPath: '1-1.3', serial: 'LKM-0042' });
    assert.deepEqual(id.identify('midimon-box:in 128:0'), { client: 128, port: 0 }, 'a user-space port has no card');
    assert.deepEqual(id.identify('Midi Through:Midi Through Port-0 14:0'), { client: 14, port: 0 });
    assert.equal(new SysfsPortIdentifier(join(dir, 'nowhere')).identify(LEFT_PORT)?.usbPath, undefined, 'no /proc or /sys: name matching only');
  });
});

describe('config entries that pin a socket', () => {
  const inputs: MidiPortSpec[] = [
    { name: 'Launchkey', alias: 'left', usb_port: '1-1.2' },
    { name: 'Launchkey', alias: 'right', serial: 'LKM-0042' },
  ];
  const outputs: MidiPortSpec[] = [
    { name: 'Launchkey', alias: 'left-out', usb_port: '1-1.2' },
    { name: 'Launchkey', alias: 'right-out', usb_port: '1-1.3' },
  ];

  function rig() {
    const backend = new FakeMidiBackend();
    const where = new SysfsPortIdentifier(root);
    for (const p of [LEFT_PORT, RIGHT_PORT]) {
      backend.addInput(p);
      backend.addOutput(p);
      const id = where.identify(p);
      if (id !== undefined) backend.setIdentity(p, id);
    }
    const scheduler = new ManualScheduler(1000);
    const messages: MidiInEvent[] = [];
    const midi = new MidiDevices({ backend, scheduler, log: silentLogger(), inputs, outputs, pollIntervalMs: 1000, onMessage: (e) => messages.push(e), onDevice: () => undefined });
    midi.start();
    return { backend, scheduler, midi, messages };
  }

  test('each controller comes in under its own alias, and routes to one go to that one only', () => {
    const { backend, midi, messages } = rig();
    backend.inject(LEFT_PORT, [0x90, 60, 100]);
    backend.inject(RIGHT_PORT, [0x90, 62, 100]);
    assert.deepEqual(messages.map((m) => [m.alias, m.bytes[1]]), [['left', 60], ['right', 62]]);
    midi.send('right-out', [0xb0, 7, 100]);
    assert.deepEqual(backend.sent(RIGHT_PORT), [[0xb0, 7, 100]]);
    assert.deepEqual(backend.sent(LEFT_PORT), [], 'the twin on the other socket got nothing');
    midi.stop();
  });

  test('swapped sockets: the aliases follow the sockets, not the ALSA numbering', () => {
    const { backend, scheduler, midi, messages } = rig();
    // Both unplugged, then replugged the other way round: client numbers stay, sockets swap.
    backend.setIdentity(LEFT_PORT, { client: 20, port: 0, card: 1, usbPath: '1-1.3', serial: 'LKM-0042' });
    backend.setIdentity(RIGHT_PORT, { client: 24, port: 0, card: 2, usbPath: '1-1.2' });
    for (const p of [LEFT_PORT, RIGHT_PORT]) (backend.removeInput(p), backend.removeOutput(p));
    scheduler.advance(1000);
    for (const p of [LEFT_PORT, RIGHT_PORT]) (backend.addInput(p), backend.addOutput(p));
    scheduler.advance(1000);
    backend.inject(LEFT_PORT, [0x90, 60, 100]);
    assert.equal(messages.at(-1)?.alias, 'right', 'the device now on 1-1.3 (serial LKM-0042) is "right"');
    midi.stop();
  });

  test('midimon devices lists both, located; a missing twin shows as disconnected', async () => {
    const { backend, scheduler, midi } = rig();
    const seen = midi.seen();
    const text = formatDevices({
      backend: 'fake',
      ports: seen.map((p) => ({ direction: p.direction, port: p.port, name: p.name, client: `${p.identity?.client}:${p.identity?.port}`, ...(p.identity?.usbPath === undefined ? {} : { usb_port: p.identity.usbPath }), ...(p.identity?.serial === undefined ? {} : { serial: p.identity.serial }), open: p.open, matched: p.matched })),
    });
    assert.match(text, /in\s+Launchkey Mini:Launchkey Mini LK Mini MIDI 1\s+20:0\s+1-1\.2\s+-\s+open as left/);
    assert.match(text, /in\s+Launchkey Mini:Launchkey Mini LK Mini MIDI 1\s+24:0\s+1-1\.3\s+LKM-0042\s+open as right/);
    assert.match(text, /out .*24:0\s+1-1\.3 .*open as right-out/);

    backend.removeInput(RIGHT_PORT);
    backend.removeOutput(RIGHT_PORT);
    scheduler.advance(1000);
    const config = await parseConfigText(
      `[devices.midi]\ninputs = [{ name = "Launchkey", alias = "left", usb_port = "1-1.2" }, { name = "Launchkey", alias = "right", serial = "LKM-0042" }]\n` +
        `outputs = [{ name = "Launchkey", alias = "left-out", usb_port = "1-1.2" }, { name = "Launchkey", alias = "right-out", usb_port = "1-1.3" }]\n`,
    );
    const rows = deviceRows(config, midi.status());
    assert.deepEqual(rows.find((r) => r.name === 'right')?.connected, false, 'configured but unplugged: shown as missing');
    assert.deepEqual(rows.find((r) => r.name === 'left')?.connected, true);
    assert.deepEqual(rows.find((r) => r.name === 'right-out')?.connected, false);
    midi.stop();
  });

  test('the config refuses a usb_port that is not a port path, saying what it should look like', async () => {
    await assert.rejects(parseConfigText('[devices.midi]\ninputs = [{ name = "Launchkey", usb_port = "usb1/1-1.2" }]\n'), /usb_port must be a USB port path like "1-1\.2"/);
  });
});
