// MIDI engine latency: a message injected into the fake input until the mapped
// message leaves the fake output (MidiDevices -> EngineLoop -> MidiEngine ->
// MidiDevices), for a thru route and a note->CC mapping; then a paced flood of
// 10,000 msg/s for 10 s through a route (lost / reordered / p99). Plugin
// round trip (note -> PluginHost.execute -> midimon.midi_send -> out) in both
// lanes, one after the other in this run: realtime (on the MIDI thread) and
// isolated (the plugin's own worker thread, two thread hops).
import { engineConfigSchema } from '../src/config/mappings-schema.js';
import { ManualScheduler } from '../src/gpio/manual-scheduler.js';
import { silentLogger } from '../src/log.js';
import { FakeMidiBackend } from '../src/midi/fake-midi-backend.js';
import { MidiDevices } from '../src/midi/midi-devices.js';
import { EngineLoop } from '../src/runtime/engine-loop.js';
import type { PluginCaller } from '../src/runtime/ports.js';
import { nowUs, summarize, type Bench, type BenchFigure } from './util.js';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import wabtInit from 'wabt';
import { pluginHostCaller } from '../src/runtime/ports.js';

const IN = 'Bench Keys:Bench Keys MIDI 1 24:0';
const PADS = 'Bench Pads:Bench Pads MIDI 1 25:0';
const OUT = 'Bench Synth:Bench Synth MIDI 1 20:0';

/** A WAT plugin whose execute() calls midimon.midi_send with a note-on, then returns 0. */
const SENDER_META = JSON.stringify({ name: 'sender', version: '1.0.0', description: 'bench: midi_send one note', author: 'bench', license: 'MIT', type: 'action', capabilities: [] });
const SENDER_WAT = `(module
  (import "midimon" "midi_send" (func $midi_send (param i32 i32) (result i32)))
  (memory (export "memory") 2)
  (global $heap (mut i32) (i32.const 65536))
  (data (i32.const 16) "${SENDER_META.replaceAll('"', '\\"')}")
  (data (i32.const 4000) "\\90\\3c\\64")
  (func (export "init") (result i64) (i64.or (i64.shl (i64.const 16) (i64.const 32)) (i64.const ${SENDER_META.length})))
  (func (export "alloc") (param $n i32) (result i32) (local $p i32)
    (local.set $p (global.get $heap)) (global.set $heap (i32.add (global.get $heap) (local.get $n))) (local.get $p))
  (func (export "dealloc") (param i32 i32) (global.set $heap (i32.const 65536)))
  (func (export "execute") (param i32 i32) (result i32)
    (drop (call $midi_send (i32.const 4000) (i32.const 3)))
    (i32.const 0)))`;

export interface BenchPlugin {
  readonly bytes: Uint8Array;
  readonly action: string;
  readonly params: Record<string, string | number>;
  /** Messages one note makes the plugin send; the round trip ends with the last. */
  readonly outputs: number;
  /** Sent between samples so the next note starts from silence (chord notes stay on otherwise). */
  readonly reset?: { readonly action: string; readonly params: Record<string, string | number> };
}

export async function senderPlugin(): Promise<BenchPlugin> {
  const wabt = await wabtInit();
  const mod = wabt.parseWat('sender.wat', SENDER_WAT);
  const bytes = new Uint8Array(mod.toBinary({}).buffer);
  mod.destroy();
  return { bytes, action: 'go', params: { n: 1 }, outputs: 1 };
}

/** The example chord plugin (Rust, serde_json): a real plugin's parse + four midi_send calls. */
function chordPlugin(): BenchPlugin {
  const bytes = new Uint8Array(readFileSync(new URL('../plugins/chord/chord.wasm', import.meta.url)));
  return { bytes, action: 'play', params: { shape: 'maj7' }, outputs: 4, reset: { action: 'release', params: { root: 60, shape: 'maj7' } } };
}

/** note in -> PluginHost.execute (in `lane`) -> midimon.midi_send -> route -> fake output; null if the host is unavailable. */
async function pluginRoundTrip(lane: 'realtime' | 'isolated', plugin: BenchPlugin): Promise<{ p50: number; p99: number } | null> {
  let hostModule: typeof import('../src/plugins/host.js');
  try {
    hostModule = await import('../src/plugins/host.js');
  } catch (err) {
    console.log(`plugin_action_p99_us skipped: plugin host unavailable (${(err as Error).message})`);
    return null;
  }
  const stateDir = mkdtempSync(join(tmpdir(), 'midimon-bench-'));
  let box: BenchBox | null = null;
  const host = new hostModule.PluginHost({ log: silentLogger(), stateDir, profile: 'pi', onHostCall: (name, call) => box?.loop.hostCall(name, call) });
  try {
    await host.load('p', { bytes: plugin.bytes }, { lane });
    box = benchBox(
      {
        modes: [{ name: 'M', mappings: [{ trigger: { type: 'Note', note: 60 }, action: { type: 'Plugin', plugin: 'p', action: plugin.action, params: plugin.params } }] }],
        routes: [{ name: 'p', from: 'plugin:p', to: 'Synth' }],
      },
      pluginHostCaller(host),
    );
    const b = box;
    const lat: number[] = [];
    for (let i = 0; i < 3000; i++) {
      const before = b.outCount;
      const done = new Promise<void>((resolve) => {
        b.backend.onSend = () => {
          b.lastOut = nowUs();
          b.outCount++;
          if (b.outCount === before + plugin.outputs) resolve();
        };
      });
      const t0 = nowUs();
      b.backend.inject(IN, [0x90, 60, 100]);
      await done;
      if (i >= 300) lat.push(b.lastOut - t0);
      b.backend.onSend = () => undefined;
      if (plugin.reset !== undefined) await host.execute('p', plugin.reset.action, {}, plugin.reset.params);
      b.backend.clearSent();
    }
    return summarize(lat);
  } finally {
    await host.stop();
    rmSync(stateDir, { recursive: true, force: true });
  }
}

export interface BenchBox {
  readonly backend: FakeMidiBackend;
  readonly loop: EngineLoop;
  readonly devices: MidiDevices;
  lastOut: number;
  outCount: number;
}

export function benchBox(config: unknown, plugins: PluginCaller | null = null): BenchBox {
  const scheduler = new ManualScheduler(Date.now());
  const backend = new FakeMidiBackend({ inputs: [IN, PADS], outputs: [OUT] });
  const log = silentLogger();
  const parsed = engineConfigSchema.parse(config);
  let loop: EngineLoop | null = null;
  const devices = new MidiDevices({
    backend,
    scheduler,
    log,
    inputs: [],
    outputs: [],
    pollIntervalMs: 1000,
    onMessage: (e) => loop?.dispatch(e),
    onDevice: (e) => loop?.dispatch(e),
  });
  loop = new EngineLoop({ config: parsed, scheduler, midi: devices, plugins, log });
  const box: BenchBox = { backend, loop, devices, lastOut: 0, outCount: 0 };
  backend.onSend = () => {
    box.lastOut = nowUs();
    box.outCount++;
  };
  loop.start();
  devices.start();
  return box;
}

const config = {
  modes: [
    {
      name: 'Live',
      mappings: [{ trigger: { type: 'Note', note: 36, channel: 10 }, action: { type: 'SendMidi', output: 'Synth', message: 'cc', cc: 20, value: 'pass' } }],
    },
  ],
  routes: [{ name: 'keys', from: 'Bench Keys', to: 'Synth', transpose: 12, drop_clock: true }],
};

function eventLatency(samples: number): number[] {
  const box = benchBox(config);
  const lat: number[] = [];
  for (let i = 0; i < samples; i++) {
    const thru = i % 2 === 0;
    const port = thru ? IN : PADS;
    const bytes = thru ? [0x90, 40 + (i % 40), 1 + (i % 126)] : [0x99, 36, 1 + (i % 126)];
    const before = box.outCount;
    const t0 = nowUs();
    box.backend.inject(port, bytes);
    if (box.outCount !== before + 1) throw new Error(`expected one output for message ${i}`);
    lat.push(box.lastOut - t0);
    if (i % 4096 === 0) box.backend.clearSent();
    // note-offs keep the held-note tracker small, as real playing does
    if (thru) box.backend.inject(IN, [0x80, bytes[1] as number, 0]);
  }
  return lat.slice(Math.min(2000, Math.floor(samples / 10))); // drop JIT warm-up
}

/** 10,000 msg/s for `seconds`, paced by the wall clock in 1 ms batches. */
async function flood(seconds: number, rate: number): Promise<{ lat: number[]; lost: number; reordered: number }> {
  const box = benchBox({ modes: [{ name: 'M' }], routes: [{ name: 'flood', from: 'Bench Keys', to: 'Synth' }] });
  const total = seconds * rate;
  const lat: number[] = [];
  let expected = 0;
  let reordered = 0;
  let received = 0;
  box.backend.onSend = (_port, bytes) => {
    const seq = ((bytes[1] as number) << 7) | (bytes[2] as number);
    if (seq !== expected % 16384) reordered++;
    expected++;
    received++;
  };
  let sent = 0;
  const start = nowUs();
  await new Promise<void>((resolve) => {
    const tick = (): void => {
      const due = Math.min(total, Math.floor(((nowUs() - start) / 1e6) * rate));
      while (sent < due) {
        const seq = sent % 16384;
        const t0 = nowUs();
        box.backend.inject(IN, [0xb0, seq >> 7, seq & 0x7f]);
        lat.push(nowUs() - t0);
        sent++;
      }
      if (sent % 50_000 < 20) box.backend.clearSent();
      if (sent >= total) resolve();
      else setTimeout(tick, 1);
    };
    tick();
  });
  box.backend.clearSent();
  return { lat, lost: sent - received, reordered };
}

export default (async () => {
  const figures: BenchFigure[] = [];
  const e = summarize(eventLatency(40_000));
  figures.push({ name: 'engine_event_p50_us', value: e.p50, unit: 'us', target: '' });
  figures.push({ name: 'engine_event_p99_us', value: e.p99, unit: 'us', target: '<= 100' });
  const seconds = Number(process.env['MIDIMON_FLOOD_SECONDS'] ?? 10);
  const f = await flood(seconds, 10_000);
  const fs = summarize(f.lat);
  figures.push({ name: 'flood_p99_us', value: fs.p99, unit: 'us', target: '<= 100' });
  figures.push({ name: 'flood_lost', value: f.lost, unit: 'msgs', target: '0' });
  figures.push({ name: 'flood_reordered', value: f.reordered, unit: 'msgs', target: '0' });
  const sender = await senderPlugin();
  const realtime = await pluginRoundTrip('realtime', sender);
  if (realtime !== null) figures.push({ name: 'plugin_action_p99_us', value: realtime.p99, unit: 'us', target: '<= 400 (realtime lane)' }, { name: 'plugin_action_p50_us', value: realtime.p50, unit: 'us' });
  const isolated = await pluginRoundTrip('isolated', sender);
  if (isolated !== null) figures.push({ name: 'plugin_action_isolated_p99_us', value: isolated.p99, unit: 'us' }, { name: 'plugin_action_isolated_p50_us', value: isolated.p50, unit: 'us' });
  const chord = await pluginRoundTrip('realtime', chordPlugin());
  if (chord !== null) {
    figures.push(
      { name: 'plugin_action_chord_p99_us', value: chord.p99, unit: 'us', target: '(realtime lane, the Rust chord plugin: JSON request, maj7, 4 notes out)' },
      { name: 'plugin_action_chord_p50_us', value: chord.p50, unit: 'us' },
    );
  }
  return figures;
}) satisfies Bench;
