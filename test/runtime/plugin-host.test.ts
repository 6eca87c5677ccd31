// The engine loop with the real plugin sandbox (src/plugins/host.ts): a note
// runs a WAT plugin whose execute() calls midimon.midi_send and
// midimon.set_mode; the bytes leave the fake output through the route from
// plugin:NAME, the mode changes, and the plugin saw the request we built.
import { test, after } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import wabtInit from 'wabt';
import { ManualScheduler } from '../../src/gpio/manual-scheduler.js';
import { silentLogger } from '../../src/log.js';
import { FakeMidiBackend } from '../../src/midi/fake-midi-backend.js';
import { MidiDevices } from '../../src/midi/midi-devices.js';
import { PluginHost } from '../../src/plugins/host.js';
import { EngineLoop } from '../../src/runtime/engine-loop.js';
import { pluginHostCaller } from '../../src/runtime/ports.js';
import { parseConfig } from '../engine/rig.js';

const META = JSON.stringify({ name: 'chord', version: '1.0.0', description: 'test', author: 'tests', license: 'MIT', type: 'action', capabilities: [] });
const esc = (s: string) => s.replaceAll('\\', '\\\\').replaceAll('"', '\\"');

// execute: midi_send the 3 bytes at 4000 (note-on 60), set_mode "Encore", log the request it got, return 0.
const WAT = `(module
  (import "midimon" "midi_send" (func $midi_send (param i32 i32) (result i32)))
  (import "midimon" "set_mode" (func $set_mode (param i32 i32) (result i32)))
  (import "midimon" "log" (func $log (param i32 i32 i32)))
  (memory (export "memory") 2)
  (global $heap (mut i32) (i32.const 65536))
  (data (i32.const 16) "${esc(META)}")
  (data (i32.const 4000) "\\90\\3c\\64")
  (data (i32.const 4008) "Encore")
  (func (export "init") (result i64) (i64.or (i64.shl (i64.const 16) (i64.const 32)) (i64.const ${META.length})))
  (func (export "alloc") (param $n i32) (result i32) (local $p i32)
    (local.set $p (global.get $heap)) (global.set $heap (i32.add (global.get $heap) (local.get $n))) (local.get $p))
  (func (export "dealloc") (param i32 i32) (global.set $heap (i32.const 65536)))
  (func (export "execute") (param $p i32) (param $n i32) (result i32)
    (call $log (i32.const 2) (local.get $p) (local.get $n))
    (drop (call $midi_send (i32.const 4000) (i32.const 3)))
    (drop (call $set_mode (i32.const 4008) (i32.const 6)))
    (i32.const 0)))`;

const stateDir = mkdtempSync(join(tmpdir(), 'midimon-engine-plugins-'));
after(() => rmSync(stateDir, { recursive: true, force: true }));

test('note -> PluginHost.execute -> midi_send out through the route, set_mode switches, params in the request', async () => {
  const wabt = await wabtInit();
  const mod = wabt.parseWat('chord.wat', WAT);
  const bytes = new Uint8Array(mod.toBinary({}).buffer);
  mod.destroy();

  const scheduler = new ManualScheduler(1_705_612_800_000);
  const backend = new FakeMidiBackend({ inputs: ['Keys 20:0'], outputs: ['Synth 21:0'] });
  const requests: string[] = [];
  let loop: EngineLoop | null = null;
  const host = new PluginHost({
    log: silentLogger(),
    stateDir,
    profile: 'desktop',
    onHostCall: (plugin, call) => {
      if (call.fn === 'log') requests.push(call.message);
      loop?.hostCall(plugin, call);
    },
  });
  try {
    await host.load('chord', { bytes });
    const devices = new MidiDevices({
      backend,
      scheduler,
      log: silentLogger(),
      inputs: [],
      outputs: [],
      pollIntervalMs: 1000,
      onMessage: (e) => loop?.dispatch(e),
      onDevice: () => {},
    });
    loop = new EngineLoop({
      config: parseConfig({
        modes: [
          { name: 'Songs', mappings: [{ trigger: { type: 'Note', note: 48 }, action: { type: 'Plugin', plugin: 'chord', action: 'play', params: { shape: 'maj7' } } }] },
          { name: 'Encore' },
        ],
        routes: [{ name: 'chord-out', from: 'plugin:chord', to: 'Synth', to_channel: 5, channels: [1] }],
      }),
      scheduler,
      midi: devices,
      plugins: pluginHostCaller(host),
      log: silentLogger(),
    });
    loop.start();
    devices.start();
    backend.inject('Keys 20:0', [0x90, 48, 99]);
    for (let i = 0; i < 200 && loop.snapshot()?.modeName !== 'Encore'; i++) await new Promise((r) => setTimeout(r, 10));
    assert.equal(loop.snapshot()?.modeName, 'Encore');
    // The plugin's note-on went through the route (channel 1 -> 5); it belongs to the key press in "Songs", so leaving Songs ends it.
    assert.deepEqual(backend.sent('Synth 21:0'), [[0x94, 60, 100], [0x84, 60, 0]]);
    const request = JSON.parse(requests[0] ?? '{}') as { action: string; context: Record<string, unknown>; params: unknown };
    assert.equal(request.action, 'play');
    assert.deepEqual(request.params, { shape: 'maj7' });
    assert.deepEqual(Object.keys(request.context).slice(0, 3), ['velocity', 'current_mode', 'timestamp']);
    assert.equal(request.context['velocity'], 99);
    assert.equal(request.context['current_mode'], 0);
    assert.equal(request.context['timestamp'], 1_705_612_800_000);
    assert.equal(request.context['mode_name'], 'Songs');
    assert.equal(request.context['note'], 48);
    // The documented extras, in order, after the guide's three (cc is null for a note trigger).
    assert.deepEqual(request.context, {
      velocity: 99, current_mode: 0, timestamp: 1_705_612_800_000,
      mode_name: 'Songs', channel: 1, note: 48, cc: null, value: 99, trigger: 'Note', device: 'Keys',
      tempo: { bpm: 120, running: false, source: 'internal', locked: true, tick: -1, beat: 0, bar: 1, beat_in_bar: 1, beats_per_bar: 4 },
      event: 'press',
      metadata: { shape: 'maj7' },
    });
    assert.deepEqual(Object.keys(request.context), ['velocity', 'current_mode', 'timestamp', 'mode_name', 'channel', 'note', 'cc', 'value', 'trigger', 'device', 'tempo', 'event', 'metadata']);
    // Desktop MIDIMon's positional form of the same params.
    assert.deepEqual((request as unknown as { parameters: unknown }).parameters, ['maj7']);
    loop.stop();
    devices.stop();
  } finally {
    await host.stop();
  }
});
