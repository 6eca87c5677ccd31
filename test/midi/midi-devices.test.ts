import { test } from 'node:test';
import assert from 'node:assert/strict';
import { pino } from 'pino';
import { Writable } from 'node:stream';
import { FakeMidiBackend } from '../../src/midi/fake-midi-backend.js';
import { MidiDevices, type MidiDevicesSettings } from '../../src/midi/midi-devices.js';
import { createMidiBackend } from '../../src/midi/create-midi-backend.js';
import { ManualScheduler } from '../../src/gpio/manual-scheduler.js';
import type { MidiInEvent } from '../../src/engine/inputs.js';
import type { DeviceEvent } from '../../src/engine/types.js';
import { silentLogger, type Logger } from '../../src/log.js';

function capturingLogger(): { log: Logger; lines: Record<string, unknown>[] } {
  const lines: Record<string, unknown>[] = [];
  const stream = new Writable({
    write(chunk: Buffer, _enc, cb) {
      lines.push(JSON.parse(chunk.toString()) as Record<string, unknown>);
      cb();
    },
  });
  return { log: pino({ level: 'debug' }, stream) as Logger, lines };
}

function setup(settings: Partial<MidiDevicesSettings> = {}, log = silentLogger()) {
  const backend = new FakeMidiBackend();
  const scheduler = new ManualScheduler(1000);
  const messages: MidiInEvent[] = [];
  const devices: DeviceEvent[] = [];
  const midi = new MidiDevices({
    backend,
    scheduler,
    log,
    inputs: [{ name: 'Keystation', alias: 'keys' }],
    outputs: [{ name: 'Synth' }],
    pollIntervalMs: 1000,
    onMessage: (e) => messages.push(e),
    onDevice: (e) => devices.push(e),
    ...settings,
  });
  return { backend, scheduler, midi, messages, devices };
}

test('hot-plug: a device appears, vanishes, and reappears under a different ALSA suffix', () => {
  const { backend, scheduler, midi, messages, devices } = setup();
  midi.start();
  assert.deepEqual(backend.openInputs(), []);
  backend.addInput('Keystation 49 MK3:Keystation 49 MK3 MIDI 1 24:0');
  backend.addInput('Other Thing 28:0');
  scheduler.advance(1000);
  assert.deepEqual(backend.openInputs(), ['Keystation 49 MK3:Keystation 49 MK3 MIDI 1 24:0'], 'only the configured device');
  backend.inject('Keystation 49 MK3:Keystation 49 MK3 MIDI 1 24:0', [0x90, 60, 100]);
  assert.deepEqual(messages, [{ type: 'midi', device: 'Keystation 49 MK3:Keystation 49 MK3 MIDI 1', alias: 'keys', bytes: [0x90, 60, 100], at: 2000 }]);

  backend.removeInput('Keystation 49 MK3:Keystation 49 MK3 MIDI 1 24:0');
  scheduler.advance(1000);
  assert.deepEqual(backend.openInputs(), []);
  backend.addInput('Keystation 49 MK3:Keystation 49 MK3 MIDI 1 32:0');
  scheduler.advance(1000);
  assert.deepEqual(backend.openInputs(), ['Keystation 49 MK3:Keystation 49 MK3 MIDI 1 32:0'], 'reopened within one poll under the new suffix');
  backend.inject('Keystation 49 MK3:Keystation 49 MK3 MIDI 1 32:0', [0x80, 60, 0]);
  assert.equal(messages.length, 2);
  assert.equal(messages[1]?.device, 'Keystation 49 MK3:Keystation 49 MK3 MIDI 1', 'same device name for the engine');
  assert.deepEqual(
    devices.map((d) => `${d.change} ${d.direction} @${d.at}`),
    ['connected input @2000', 'disconnected input @3000', 'connected input @4000'],
  );
  midi.stop();
  assert.deepEqual(backend.openInputs(), []);
  assert.equal(scheduler.pending, 0, 'stop() cancels the poll timer');
});

test('outputs: sent by pattern/alias; a vanished output drops messages with a counted, rate-limited warning, never throws', () => {
  const { log, lines } = capturingLogger();
  const { backend, scheduler, midi } = setup({ outputs: [{ name: 'Synth', alias: 'synth' }] }, log);
  backend.addOutput('Synth Module 20:0');
  midi.start();
  assert.equal(midi.send('synth', [0x90, 1, 2]), 1);
  assert.equal(midi.send('*', [0x90, 1, 3]), 1);
  assert.equal(midi.send('Drum', [0x90, 1, 4]), 0);
  assert.deepEqual(backend.sent('Synth Module 20:0'), [[0x90, 1, 2], [0x90, 1, 3]]);
  backend.removeOutput('Synth Module 20:0');
  // Before the next poll notices, the port is still "open" and its send throws: counted, not thrown.
  assert.doesNotThrow(() => {
    for (let i = 0; i < 50; i++) midi.send('synth', [0x90, 1, 5]);
  });
  scheduler.advance(1000);
  for (let i = 0; i < 50; i++) midi.send('synth', [0x90, 1, 5]);
  assert.equal(midi.droppedMessages, 101);
  const dropLogs = lines.filter((l) => String(l['msg']).startsWith('MIDI message dropped'));
  assert.ok(dropLogs.length >= 1 && dropLogs.length <= 3, `rate limited (${dropLogs.length} lines)`);
  assert.ok(lines.some((l) => l['msg'] === 'MIDI output disconnected'));
});

test('output hot-plug: a configured output absent at start is picked up by the poll, and again after a replug under a new suffix', () => {
  const { log, lines } = capturingLogger();
  const { backend, scheduler, midi, devices } = setup({ outputs: [{ name: 'Synth', alias: 'synth' }] }, log);
  midi.start();
  assert.deepEqual(backend.openOutputs(), []);
  assert.equal(midi.send('synth', [0x90, 1, 1]), 0, 'nothing to send to yet');
  assert.equal(midi.droppedMessages, 1);
  assert.ok(lines.some((l) => l['msg'] === 'MIDI message dropped: no open MIDI output matches "synth"'));

  backend.addOutput('Synth:Synth MIDI 1 30:0');
  scheduler.advance(1000);
  assert.deepEqual(backend.openOutputs(), ['Synth:Synth MIDI 1 30:0']);
  assert.equal(midi.send('synth', [0x90, 1, 2]), 1, 'delivered once the poll opened the output');
  assert.deepEqual(backend.sent('Synth:Synth MIDI 1 30:0'), [[0x90, 1, 2]]);
  assert.equal(midi.droppedMessages, 1);

  backend.removeOutput('Synth:Synth MIDI 1 30:0');
  scheduler.advance(1000);
  assert.deepEqual(backend.openOutputs(), []);
  assert.equal(midi.send('synth', [0x90, 1, 3]), 0, 'unplugged: dropped');
  assert.equal(midi.droppedMessages, 2);

  backend.addOutput('Synth:Synth MIDI 1 31:0');
  scheduler.advance(1000);
  assert.deepEqual(backend.openOutputs(), ['Synth:Synth MIDI 1 31:0'], 'reopened within one poll under the new suffix');
  assert.equal(midi.send('synth', [0x90, 1, 4]), 1);
  // The note-on sent before the unplug was never ended: the replugged synth gets its note-off first (port-notes.ts).
  assert.deepEqual(backend.sent('Synth:Synth MIDI 1 31:0'), [[0x80, 1, 0], [0x90, 1, 4]]);
  assert.deepEqual(backend.sent('Synth:Synth MIDI 1 30:0'), [[0x90, 1, 2]], 'nothing more to the old port');
  assert.equal(midi.droppedMessages, 2);
  assert.deepEqual(
    devices.map((d) => `${d.change} ${d.direction} ${d.device} @${d.at}`),
    ['connected output Synth:Synth MIDI 1 @2000', 'disconnected output Synth:Synth MIDI 1 @3000', 'connected output Synth:Synth MIDI 1 @4000'],
  );
  midi.stop();
  assert.deepEqual(backend.openOutputs(), []);
});

test('ignoreTypes follow what routes need; reconfigure updates open ports in place', () => {
  let needClock = false;
  const { backend, midi, messages } = setup({
    inputNeeds: () => ({ sysex: false, clock: needClock, activeSensing: false }),
  });
  backend.addInput('Keystation 61 20:0');
  midi.start();
  backend.inject('Keystation 61 20:0', [0xf8]);
  assert.equal(messages.length, 0, 'clock ignored when no route needs it');
  needClock = true;
  midi.reconfigure({ inputs: [{ name: 'Keystation', alias: 'keys' }], outputs: [], pollIntervalMs: 1000, inputNeeds: () => ({ sysex: true, clock: true, activeSensing: false }) });
  assert.deepEqual(backend.openInputs(), ['Keystation 61 20:0'], 'not reopened');
  backend.inject('Keystation 61 20:0', [0xf8]);
  backend.inject('Keystation 61 20:0', [0xf0, 1, 0xf7]);
  assert.equal(messages.length, 2);
  midi.reconfigure({ inputs: [{ name: 'Launchpad' }], outputs: [], pollIntervalMs: 1000 });
  assert.deepEqual(backend.openInputs(), [], 'no longer configured: closed');
});

test('empty port lists open every port; a port that fails to open is retried and logged once', () => {
  const { log, lines } = capturingLogger();
  const backend = new FakeMidiBackend({ inputs: ['A 1:0', 'B 2:0'], outputs: ['C 3:0'] });
  const scheduler = new ManualScheduler();
  let failB = true;
  const original = backend.openInput.bind(backend);
  backend.openInput = (port, cb, ignore) => {
    if (port === 'B 2:0' && failB) throw new Error('busy');
    return original(port, cb, ignore);
  };
  const midi = new MidiDevices({ backend, scheduler, log, inputs: [], outputs: [], pollIntervalMs: 500, onMessage: () => {}, onDevice: () => {} });
  midi.start();
  scheduler.advance(1500);
  assert.deepEqual(backend.openInputs(), ['A 1:0']);
  assert.equal(lines.filter((l) => String(l['msg']).startsWith('cannot open MIDI input')).length, 1);
  failB = false;
  scheduler.advance(500);
  assert.deepEqual(backend.openInputs().sort(), ['A 1:0', 'B 2:0']);
  assert.deepEqual(backend.openOutputs(), ['C 3:0']);
  assert.deepEqual(midi.status().inputs.map((p) => p.name).sort(), ['A', 'B']);
  midi.stop();
});

test('createMidiBackend falls back to the fake and says why when RtMidi cannot start (the box reports it as degraded)', async () => {
  const { log, lines } = capturingLogger();
  const { backend, fake, unavailable } = await createMidiBackend(log);
  if (backend.kind === 'rtmidi') {
    backend.close(); // a machine with ALSA: nothing to fall back from
    return;
  }
  assert.equal(fake, backend);
  assert.match(unavailable ?? '', /snd\/seq|RtMidi/);
  assert.equal(lines.filter((l) => l['level'] === 40).length, 0, 'the caller (DeviceHealth) logs it, at error level');
});
