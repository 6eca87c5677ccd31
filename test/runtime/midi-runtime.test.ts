import { test } from 'node:test';
import assert from 'node:assert/strict';
import { ManualScheduler } from '../../src/gpio/manual-scheduler.js';
import { silentLogger } from '../../src/log.js';
import { FakeMidiBackend } from '../../src/midi/fake-midi-backend.js';
import { MidiRuntime } from '../../src/runtime/midi-runtime.js';
import { MemoryModeStore } from '../../src/runtime/ports.js';
import { parseConfig } from '../engine/rig.js';

const KEYS = 'Keystation 61:Keystation 61 MIDI 1 24:0';
const SYNTH = 'Synth:Synth MIDI 1 20:0';
const ports = { inputs: [{ name: 'Keystation', alias: 'keys' }], outputs: [{ name: 'Synth', alias: 'synth' }], poll_interval_ms: 1000 };

test('MidiRuntime wires devices and engine; reload applies routes in place and updates ignoreTypes; stop releases notes', () => {
  const backend = new FakeMidiBackend({ inputs: [KEYS], outputs: [SYNTH] });
  const scheduler = new ManualScheduler(0);
  const rt = new MidiRuntime({
    engine: parseConfig({ modes: [{ name: 'M' }], routes: [{ name: 'thru', from: 'keys', to: 'synth', drop_clock: true }] }),
    ports,
    backend,
    scheduler,
    log: silentLogger(),
    modeStore: new MemoryModeStore(),
  });
  rt.start();
  backend.inject(KEYS, [0x90, 60, 100]);
  backend.inject(KEYS, [0xf8]);
  assert.deepEqual(backend.sent(SYNTH), [[0x90, 60, 100]]);
  assert.equal(backend.ignoreTypesOf(KEYS)?.timing, true);

  rt.reload(parseConfig({ modes: [{ name: 'M' }], routes: [{ name: 'thru', from: 'keys', to: 'synth', transpose: 12 }] }), ports);
  assert.deepEqual(backend.sent(SYNTH).slice(1), [[0x80, 60, 0]], 'the changed route released its note');
  assert.equal(backend.ignoreTypesOf(KEYS)?.timing, false, 'the new route wants clock');
  backend.inject(KEYS, [0xf8]);
  backend.inject(KEYS, [0x90, 60, 100]);
  assert.deepEqual(backend.sent(SYNTH).slice(2), [[0xf8], [0x90, 72, 100]]);

  rt.stop();
  assert.deepEqual(backend.sent(SYNTH).at(-1), [0x80, 72, 0]);
  assert.deepEqual(backend.openInputs(), []);
  assert.equal(scheduler.pending, 0);
});
