// "Every note the box starts, it ends": random interleavings of key presses and
// releases on two inputs and channels, mode switches, reloads, plugins that end
// their notes / never end them / fail / hold the sustain pedal, plugin resets,
// output and input unplugs, and panics. Afterwards (keys up, cables back, plugin
// calls and timers done) no note or pedal is held on any port, and no note-off
// ever left without a matching note-on: neither from the engine (per output
// pattern) nor on a real port.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import fc from 'fast-check';
import { EngineLoop } from '../../src/runtime/engine-loop.js';
import { MidiDevices } from '../../src/midi/midi-devices.js';
import { FakeMidiBackend } from '../../src/midi/fake-midi-backend.js';
import { ManualScheduler } from '../../src/gpio/manual-scheduler.js';
import type { PluginCaller } from '../../src/runtime/ports.js';
import type { TriggerContext } from '../../src/engine/types.js';
import { silentLogger } from '../../src/log.js';
import { parseConfig } from '../engine/rig.js';

const INPUTS = ['KeysA 20:0', 'KeysB 21:0'];
const OUTPUTS = ['Synth 30:0', 'Drums 31:0'];
const NOTES = [36, 37, 38, 39, 40, 41, 48, 50, 60, 72];

function config(variant: number) {
  const plugin = (name: string) => ({ type: 'Plugin', plugin: name, action: 'play' });
  return parseConfig(
    {
      modes: [
        {
          name: 'Chords',
          mappings: [
            { trigger: { type: 'Note', note: 48, note_max: 72 }, action: plugin('chord') },
            { trigger: { type: 'Note', note: 36 }, action: plugin('leaky') },
            { trigger: { type: 'Note', note: 37 }, action: plugin('flaky') },
            { trigger: { type: 'Note', note: 38 }, action: plugin('pedal') },
            { trigger: { type: 'Note', note: 39 }, action: { type: 'ModeChange', mode: 'next' } },
            { trigger: { type: 'Note', note: 40 }, action: { type: 'SendMidi', output: 'Drums', message: 'note', note: 'pass', channel: 10 } },
            { trigger: { type: 'Note', note: 41 }, action: { type: 'Panic' } },
          ],
        },
        ...(variant === 2
          ? []
          : [
              {
                name: 'Live',
                mappings: [
                  { trigger: { type: 'Note', note: 39 }, action: { type: 'ModeChange', mode: 'Chords' } },
                  { trigger: { type: 'Note', note: 38 }, action: plugin('leaky') },
                  { trigger: { type: 'Note', note: 37 }, action: { type: 'Sequence', actions: [{ type: 'Delay', ms: 100 }, { type: 'SendMidi', output: 'Synth', message: 'note', note: 70, duration_ms: 300 }] } },
                ],
              },
            ]),
      ],
      global_mappings: [{ trigger: { type: 'CC', cc: 64 }, action: { type: 'SendMidi', output: 'Synth', message: 'cc', cc: 64, value: 'pass', channel: 6 } }],
      routes: [
        { name: 'keys-thru', from: 'KeysA', to: 'Synth', modes: variant === 2 ? ['Chords'] : ['Live'], transpose: variant === 1 ? 12 : 0 },
        { name: 'pads', from: 'KeysB', to: '*', channels: [1], to_channel: 10 },
        { name: 'chord-out', from: 'plugin:chord', to: 'Synth', to_channel: variant === 1 ? 3 : 1 },
      ],
    },
    ['chord', 'leaky', 'flaky', 'pedal'],
  );
}

type Cmd =
  | { t: 'press'; input: number; ch: number; note: number }
  | { t: 'release'; input: number; ch: number; note: number }
  | { t: 'pedal'; input: number; down: boolean }
  | { t: 'mode'; target: string }
  | { t: 'reload'; variant: number }
  | { t: 'reset'; plugin: string }
  | { t: 'unplug-out' | 'replug-out' | 'unplug-in' | 'replug-in'; port: number }
  | { t: 'panic' }
  | { t: 'advance'; ms: number }
  | { t: 'run'; calls: number };

const cmd: fc.Arbitrary<Cmd> = fc.oneof(
  { weight: 6, arbitrary: fc.record({ t: fc.constant('press' as const), input: fc.nat(1), ch: fc.integer({ min: 1, max: 2 }), note: fc.constantFrom(...NOTES) }) },
  { weight: 6, arbitrary: fc.record({ t: fc.constant('release' as const), input: fc.nat(1), ch: fc.integer({ min: 1, max: 2 }), note: fc.constantFrom(...NOTES) }) },
  { weight: 1, arbitrary: fc.record({ t: fc.constant('pedal' as const), input: fc.nat(1), down: fc.boolean() }) },
  { weight: 2, arbitrary: fc.record({ t: fc.constant('mode' as const), target: fc.constantFrom('Chords', 'Live', 'next') }) },
  { weight: 1, arbitrary: fc.record({ t: fc.constant('reload' as const), variant: fc.nat(2) }) },
  { weight: 1, arbitrary: fc.record({ t: fc.constant('reset' as const), plugin: fc.constantFrom('chord', 'leaky', 'pedal') }) },
  { weight: 1, arbitrary: fc.record({ t: fc.constantFrom('unplug-out' as const, 'replug-out' as const, 'unplug-in' as const, 'replug-in' as const), port: fc.nat(1) }) },
  { weight: 1, arbitrary: fc.record({ t: fc.constant('panic' as const) }) },
  { weight: 2, arbitrary: fc.record({ t: fc.constant('advance' as const), ms: fc.integer({ min: 0, max: 400 }) }) },
  { weight: 4, arbitrary: fc.record({ t: fc.constant('run' as const), calls: fc.integer({ min: 1, max: 4 }) }) },
);

interface Call {
  readonly plugin: string;
  readonly context: TriggerContext;
  readonly resolve: (r: unknown) => void;
}

/** Plugins as the host runs them: in call order, host calls delivered before the call settles. */
class FakePlugins implements PluginCaller {
  readonly queue: Call[] = [];
  loop: EngineLoop | null = null;

  execute(plugin: string, _action: string, context: TriggerContext): Promise<unknown> {
    return new Promise((resolve) => this.queue.push({ plugin, context, resolve }));
  }

  async run(n: number): Promise<void> {
    for (let i = 0; i < n; i++) {
      const call = this.queue.shift();
      if (call === undefined) return;
      const send = (bytes: number[]) => this.loop?.hostCall(call.plugin, { fn: 'midi_send', bytes });
      const note = call.context.note ?? 60;
      const ch = (call.context.channel ?? 1) - 1;
      const release = call.context.event === 'release';
      let result: unknown = { status: 'returned', code: 0 };
      switch (call.plugin) {
        case 'chord': // ends what it starts
          for (const n of [note, note + 4]) send(release ? [0x80 | ch, n, 0] : [0x90 | ch, n, 100]);
          break;
        case 'leaky': // never sends a note-off
          if (!release) send([0x92, (note + 1) & 0x7f, 90]);
          break;
        case 'flaky': // a note, then a trap or a timeout
          send([0x93, 90, 90]);
          result = { status: 'error', error: { kind: 'timeout', message: 'took too long' } };
          break;
        case 'pedal': // sustain down, never up
          if (!release) send([0xb4, 64, 127]);
          break;
      }
      call.resolve(result);
      await new Promise((r) => setImmediate(r));
    }
  }
}

/** Per stream key ("where|channel|note"): note-ons not yet ended; a note-off with none outstanding is a violation. */
class Ledger {
  readonly held = new Map<string, number>();
  readonly pedals = new Set<string>();
  readonly violations: string[] = [];

  observe(where: string, bytes: readonly number[]): void {
    const [status = 0, d1 = 0, d2 = 0] = bytes;
    const hi = status & 0xf0;
    const ch = status & 0x0f;
    if (hi === 0xb0 && d1 === 64) {
      if (d2 >= 64) this.pedals.add(`${where}|${ch}`);
      else this.pedals.delete(`${where}|${ch}`);
      return;
    }
    if (hi !== 0x90 && hi !== 0x80) return;
    const key = `${where}|${ch}|${d1}`;
    const n = this.held.get(key) ?? 0;
    if (hi === 0x90 && d2 > 0) this.held.set(key, n + 1);
    else if (n === 0) this.violations.push(`note-off ${key} without a note-on`);
    else if (n === 1) this.held.delete(key);
    else this.held.set(key, n - 1);
  }

  stuck(): string[] {
    return [...this.held.keys(), ...[...this.pedals].map((p) => `${p}|sustain`)];
  }
}

async function play(cmds: readonly Cmd[]): Promise<{ engine: Ledger; ports: Ledger }> {
  const scheduler = new ManualScheduler(1_700_000_000_000);
  const backend = new FakeMidiBackend({ inputs: INPUTS, outputs: OUTPUTS });
  const plugins = new FakePlugins();
  const engineOut = new Ledger();
  const held = new Set<string>();
  let loop: EngineLoop | null = null;
  const devices = new MidiDevices({
    backend,
    scheduler,
    log: silentLogger(),
    inputs: [],
    outputs: [],
    pollIntervalMs: 60_000,
    onMessage: (e) => loop?.dispatch(e),
    onDevice: (e) => loop?.dispatch(e),
  });
  loop = new EngineLoop({
    config: config(0),
    scheduler,
    midi: {
      send: (output, bytes) => {
        engineOut.observe(output, bytes);
        return devices.send(output, bytes);
      },
    },
    plugins,
    log: silentLogger(),
  });
  plugins.loop = loop;
  loop.start();
  devices.start();
  const key = (c: { input: number; ch: number; note: number }) => `${c.input}|${c.ch}|${c.note}`;
  for (const c of cmds) {
    switch (c.t) {
      case 'press':
        backend.inject(INPUTS[c.input] as string, [0x90 | (c.ch - 1), c.note, 100]);
        held.add(key(c));
        break;
      case 'release':
        backend.inject(INPUTS[c.input] as string, [0x80 | (c.ch - 1), c.note, 0]);
        held.delete(key(c));
        break;
      case 'pedal':
        backend.inject(INPUTS[c.input] as string, [0xb0, 64, c.down ? 127 : 0]);
        break;
      case 'mode':
        loop.setMode(c.target, 'socket');
        break;
      case 'reload':
        loop.replaceConfig(config(c.variant));
        break;
      case 'reset':
        loop.pluginReset(c.plugin);
        break;
      case 'unplug-out':
        backend.removeOutput(OUTPUTS[c.port] as string);
        devices.poll();
        break;
      case 'replug-out':
        if (!backend.listOutputs().includes(OUTPUTS[c.port] as string)) backend.addOutput(OUTPUTS[c.port] as string);
        devices.poll();
        break;
      case 'unplug-in':
        backend.removeInput(INPUTS[c.port] as string);
        devices.poll();
        break;
      case 'replug-in':
        if (!backend.listInputs().includes(INPUTS[c.port] as string)) backend.addInput(INPUTS[c.port] as string);
        devices.poll();
        break;
      case 'panic':
        loop.panic('test');
        break;
      case 'advance':
        scheduler.advance(c.ms);
        break;
      case 'run':
        await plugins.run(c.calls);
        break;
    }
  }
  // The end of the gig: cables back, every key and the pedal up, plugins and timers done.
  for (const p of INPUTS) if (!backend.listInputs().includes(p)) backend.addInput(p);
  for (const p of OUTPUTS) if (!backend.listOutputs().includes(p)) backend.addOutput(p);
  devices.poll();
  for (const k of held) {
    const [input, ch, note] = k.split('|').map(Number) as [number, number, number];
    backend.inject(INPUTS[input] as string, [0x80 | (ch - 1), note, 0]);
  }
  for (const p of INPUTS) backend.inject(p, [0xb0, 64, 0]);
  for (let i = 0; i < 5; i++) {
    await plugins.run(Number.POSITIVE_INFINITY);
    scheduler.advance(10_000);
  }
  const ports = new Ledger();
  for (const m of backend.sentMessages()) ports.observe(m.port, m.bytes);
  loop.stop();
  devices.stop();
  return { engine: engineOut, ports };
}

const check = async (cmds: readonly Cmd[]) => {
  const { engine, ports } = await play(cmds);
  assert.deepEqual(engine.violations, [], 'engine: note-off without note-on');
  assert.deepEqual(ports.violations, [], 'ports: note-off without note-on');
  assert.deepEqual(engine.stuck(), [], 'engine: still held');
  assert.deepEqual(ports.stuck(), [], 'ports: still held');
};

test('no stuck notes and no orphan note-offs over random interleavings', async () => {
  await fc.assert(fc.asyncProperty(fc.array(cmd, { maxLength: 60 }), check), { numRuns: 150 });
});

// The scenarios, and interleavings that found bugs while this was built.
const regressions: Array<[string, Cmd[]]> = [
  [
    'Chords: a key plays the chord plugin, then Live: the chord ends',
    [{ t: 'press', input: 0, ch: 1, note: 60 }, { t: 'run', calls: 1 }, { t: 'mode', target: 'Live' }],
  ],
  [
    'a ModeChange key released in the new mode sends no orphan note-off through its route',
    [{ t: 'mode', target: 'Chords' }, { t: 'press', input: 0, ch: 1, note: 39 }, { t: 'release', input: 0, ch: 1, note: 39 }],
  ],
  [
    'an output unplugged mid-chord gets its note-offs when it comes back',
    [{ t: 'press', input: 0, ch: 1, note: 50 }, { t: 'run', calls: 1 }, { t: 'unplug-out', port: 0 }, { t: 'release', input: 0, ch: 1, note: 50 }, { t: 'run', calls: 1 }, { t: 'replug-out', port: 0 }],
  ],
  [
    'a plugin that fails mid-call, and one that holds the pedal, across a reload that drops a mode',
    [{ t: 'press', input: 0, ch: 1, note: 37 }, { t: 'press', input: 1, ch: 2, note: 38 }, { t: 'run', calls: 2 }, { t: 'reload', variant: 2 }, { t: 'run', calls: 3 }],
  ],
  [
    'panic while a key-following plugin call is still running',
    [{ t: 'press', input: 0, ch: 2, note: 48 }, { t: 'panic' }, { t: 'run', calls: 1 }, { t: 'release', input: 0, ch: 2, note: 48 }],
  ],
  [
    'a key struck twice through a thru route and released once (fast-check seed -1267919960): both note-ons are ended',
    [{ t: 'press', input: 1, ch: 1, note: 48 }, { t: 'press', input: 1, ch: 1, note: 48 }],
  ],
];
for (const [name, cmds] of regressions) test(`regression: ${name}`, () => check(cmds));
