// Hardware faults on a real box (not --simulate) are reported, never hidden behind a fake:
// each failure is made by the real adapter code through its seams (no Pi here).
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { MidimonBox } from '../../src/box/box.js';
import type { BoxHardware } from '../../src/box/device-parts.js';
import { buildControlHandlers } from '../../src/box/control-handlers.js';
import { configControlHandlers } from '../../src/control/config-handlers.js';
import { formatStatus } from '../../src/cli/commands/status.js';
import { FakeI2cBus } from '../../src/display/fake-i2c-bus.js';
import { openI2cTransport } from '../../src/display/i2c-transport.js';
import { ManualScheduler } from '../../src/gpio/manual-scheduler.js';
import { RtMidiBackend } from '../../src/midi/rtmidi-backend.js';
import { pino } from 'pino';
import { Writable } from 'node:stream';

const CONFIG = `version = 1
[[devices.footswitches]]
name = "left"
pin = 17
[[devices.footswitches]]
name = "right"
pin = 27
[devices.display]
controller = "ssd1306"
[usb]
enabled = false
[[modes]]
name = "Live"
`;

const sysfs = (name: string) => fileURLToPath(new URL(`../fixtures/sysfs/${name}/class/gpio`, import.meta.url));
const errno = (code: string, path: string) => Object.assign(new Error(`${code}: open '${path}'`), { code });

/** Runs a real (not simulated) box on the given hardware seams; returns its status and error-level log lines. */
async function boxWith(hardware: BoxHardware, config = CONFIG) {
  const dir = await mkdtemp(join(tmpdir(), 'midimon-degraded-'));
  const configPath = join(dir, 'config.toml');
  await writeFile(configPath, config);
  const lines: Array<{ level: number; msg: string }> = [];
  const sink = new Writable({ write: (chunk: Buffer, _enc, done) => (lines.push(JSON.parse(chunk.toString()) as { level: number; msg: string }), done()) });
  const box = new MidimonBox({
    paths: { configPath, stateDir: join(dir, 'state'), runtimeDir: join(dir, 'run'), socketPath: join(dir, 'run', 'c.sock'), simulated: false },
    log: pino({ level: 'info' }, sink),
    simulate: false,
    version: 'test',
    scheduler: new ManualScheduler(0),
    watchConfig: false,
    controlSocket: false,
    readMountInfo: async () => '',
    hardware,
  });
  await box.start();
  const status = await buildControlHandlers(box, configControlHandlers(box.config)).status();
  return { box, status, errors: lines.filter((l) => l.level >= 50).map((l) => l.msg), close: async () => (await box.stop(), await rm(dir, { recursive: true, force: true })) };
}

const wrongArchAddon = () => RtMidiBackend.create({ load: async () => Promise.reject(new Error('/opt/midimon/node_modules/@julusian/midi/build/Release/midi.node: wrong ELF class: ELFCLASS64')) });
const seqForbidden = () => RtMidiBackend.create({ load: async () => ({ verifyLibraryLoaded: () => undefined }) as never, access: async (p) => Promise.reject(errno('EACCES', p)) });

test('each hardware fault on a box is an error in the log, a degraded entry in status and the OLED banner', async () => {
  const panel = new FakeI2cBus({ controller: 'ssd1306', height: 64, address: 0x3c });
  const run = await boxWith({
    sysfsGpio: '/nonexistent/sys/class/gpio', // sysfs GPIO absent (a kernel without it)
    openI2c: async () => panel, // the OLED answers
    createMidi: wrongArchAddon,
  });
  try {
    const degraded = run.status.degraded ?? [];
    assert.deepEqual(degraded.map((d) => d.device).sort(), ['footswitches', 'midi']);
    const fs = degraded.find((d) => d.device === 'footswitches');
    assert.equal(fs?.name, 'left=BCM17, right=BCM27');
    assert.match(fs?.reason ?? '', /gpio is absent/);
    assert.match(degraded.find((d) => d.device === 'midi')?.reason ?? '', /wrong ELF class/);
    // Logged at error level, not as a one-line warning.
    assert.ok(run.errors.some((m) => m.startsWith('footswitches degraded:')), run.errors.join('\n'));
    assert.ok(run.errors.some((m) => m.startsWith('midi degraded:')));
    // The switches are not shown as simulated, and no fake is offered to drive.
    assert.deepEqual(run.status.devices.filter((d) => d.kind === 'footswitch').map((d) => [d.connected, d.detail]), [
      [false, `degraded: ${fs?.reason ?? ''}`],
      [false, `degraded: ${fs?.reason ?? ''}`],
    ]);
    assert.equal(run.box.simulation.footswitches, null);
    assert.equal(run.box.simulation.midi, null);
    // The panel answers, so it shows the fault as an error banner.
    assert.equal(run.status.devices.find((d) => d.kind === 'display')?.connected, true);
    assert.equal(run.box.problems.banner()?.severity, 'error');
    assert.match(run.box.problems.banner()?.key ?? '', /^degraded:/);
    assert.match(formatStatus(run.status), /^DEGRADED footswitches \(left=BCM17, right=BCM27\): .*gpio is absent/m);
  } finally {
    await run.close();
  }
});

test('I2C off, permission denied on /dev/i2c-1, a missing i2c-bus addon and a silent panel each degrade the display with their reason', async () => {
  const cases: Array<[string, BoxHardware['openI2c'], RegExp]> = [
    ['I2C off', (bus) => openI2cTransport(bus, { access: async (p) => Promise.reject(errno('ENOENT', p)) }), /\/dev\/i2c-1: absent \(I2C is off/],
    ['EACCES', (bus) => openI2cTransport(bus, { access: async (p) => Promise.reject(errno('EACCES', p)) }), /\/dev\/i2c-1: permission denied \(the service user needs the i2c group\)/],
    ['no addon', (bus) => openI2cTransport(bus, { load: async () => Promise.reject(new Error("Cannot find module 'i2c-bus'")) }), /cannot load i2c-bus: Cannot find module/],
    ['no answer', async () => ({ write: async () => Promise.reject(errno('EREMOTEIO', '/dev/i2c-1')), close: async () => undefined }), /no answer to the probe write/],
  ];
  for (const [what, openI2c, reason] of cases) {
    const run = await boxWith({ sysfsGpio: sysfs('no-pi'), createMidi: seqForbidden, ...(openI2c === undefined ? {} : { openI2c }) }, CONFIG.replace(/\[\[devices\.footswitches\]\][^[]*/g, ''));
    try {
      const display = run.status.degraded?.find((d) => d.device === 'display');
      assert.equal(display?.name, 'ssd1306 at 0x3c on /dev/i2c-1', what);
      assert.match(display?.reason ?? '', reason, what);
      // Without switches configured there is nothing to report about GPIO.
      assert.equal(run.status.degraded?.some((d) => d.device === 'footswitches'), false, what);
      assert.match(run.status.degraded?.find((d) => d.device === 'midi')?.reason ?? '', /\/dev\/snd\/seq: permission denied \(the service user needs the audio group\)/, what);
      assert.ok(run.errors.some((m) => m.startsWith('display degraded:')), what);
    } finally {
      await run.close();
    }
  }
});

test('EACCES on /sys/class/gpio/export degrades the switches instead of stopping the box', async () => {
  const run = await boxWith({
    sysfsGpio: sysfs('pi4-kernel-6.6'),
    gpioFactory: () => {
      throw errno('EACCES', '/sys/class/gpio/export');
    },
    openI2c: async () => new FakeI2cBus({ controller: 'ssd1306', height: 64, address: 0x3c }),
    createMidi: seqForbidden,
  });
  try {
    assert.notEqual(run.box.modeInfo(), null, 'the box runs');
    assert.match(run.status.degraded?.find((d) => d.device === 'footswitches')?.reason ?? '', /EACCES: open '\/sys\/class\/gpio\/export'/);
  } finally {
    await run.close();
  }
});

test('a box whose hardware all works reports nothing degraded', async () => {
  const lines: string[] = [];
  const run = await boxWith({
    sysfsGpio: sysfs('pi5-kernel-6.6'),
    gpioFactory: () => ({ readSync: () => 0, watch: () => undefined, unwatchAll: () => undefined, unexport: () => lines.push('unexport') }),
    openI2c: async () => new FakeI2cBus({ controller: 'ssd1306', height: 64, address: 0x3c }),
    createMidi: async () => {
      const { FakeMidiBackend } = await import('../../src/midi/fake-midi-backend.js');
      return new FakeMidiBackend();
    },
  });
  try {
    assert.deepEqual(run.status.degraded, []);
    assert.deepEqual(run.errors, []);
    assert.equal(run.box.problems.banner(), undefined);
  } finally {
    await run.close();
  }
  assert.equal(lines.length, 2, 'both pins released on stop');
});
