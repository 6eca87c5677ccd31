import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { parse } from 'smol-toml';
import { z } from 'zod';
import { engineConfigShape } from '../../src/config/mappings-schema.js';
import { ManualScheduler } from '../../src/gpio/manual-scheduler.js';
import { silentLogger } from '../../src/log.js';
import { FakeMidiBackend } from '../../src/midi/fake-midi-backend.js';
import { MidiDevices } from '../../src/midi/midi-devices.js';
import { EngineLoop, type HostCallLike } from '../../src/runtime/engine-loop.js';
import { MemoryModeStore, type ModeStore, type PluginCaller } from '../../src/runtime/ports.js';
import type { TriggerContext, NoticeEffect, ModeChangedEffect } from '../../src/engine/types.js';
import { parseConfig } from '../engine/rig.js';

const KEYS = 'Keystation 49 MK3:Keystation 49 MK3 MIDI 1 24:0';
const PADS = 'padKONTROL:padKONTROL MIDI 1 28:0';
const SYNTH = 'Synth Module:Synth Module MIDI 1 20:0';

interface Call {
  plugin: string;
  action: string;
  context: TriggerContext;
  params: Readonly<Record<string, unknown>> | undefined;
}

/** The whole runtime on fakes: backend, device manager, loop, scheduler, mode store, a scripted plugin caller. */
function box(configInput: Record<string, unknown>, options: { mode?: string | null; plugin?: (call: Call, host: (c: HostCallLike) => void) => unknown } = {}) {
  const scheduler = new ManualScheduler(1_700_000_000_000);
  const backend = new FakeMidiBackend({ inputs: [KEYS, PADS], outputs: [SYNTH] });
  const store = new MemoryModeStore(options.mode ?? null);
  const calls: Call[] = [];
  const notices: NoticeEffect[] = [];
  const modes: ModeChangedEffect[] = [];
  let loop: EngineLoop | undefined;
  const plugins: PluginCaller = {
    execute: async (plugin, action, context, params) => {
      const call = { plugin, action, context, params };
      calls.push(call);
      await Promise.resolve();
      return options.plugin?.(call, (c) => loop?.hostCall(plugin, c)) ?? { status: 'returned', code: 0, meaning: 'ok' };
    },
  };
  const config = parseConfig(configInput);
  const devices = new MidiDevices({
    backend,
    scheduler,
    log: silentLogger(),
    inputs: [{ name: 'Keystation', alias: 'keys' }, { name: 'padKONTROL', alias: 'pads' }],
    outputs: [{ name: 'Synth', alias: 'synth' }],
    pollIntervalMs: 1000,
    inputNeeds: (d, a) => (loop as EngineLoop).inputNeeds(d, a),
    onMessage: (e) => loop?.dispatch(e),
    onDevice: (e) => loop?.dispatch(e),
  });
  loop = new EngineLoop({
    config,
    scheduler,
    midi: devices,
    plugins,
    modeStore: store,
    log: silentLogger(),
    observer: { onNotice: (n) => notices.push(n), onModeChanged: (m) => modes.push(m) },
    utcOffsetMinutes: () => 0,
  });
  loop.start();
  devices.start();
  return { scheduler, backend, store, calls, notices, modes, loop, devices };
}

const flush = () => new Promise((resolve) => setImmediate(resolve));

test('note -> CC mapping and a thru route, end to end through the fake backend', () => {
  const b = box({
    modes: [{ name: 'Live', mappings: [{ trigger: { type: 'Note', note: 36, channel: 10 }, action: { type: 'SendMidi', output: 'synth', message: 'cc', cc: 20, value: 'pass' } }] }],
    routes: [{ name: 'keys', from: 'keys', to: 'synth', transpose: 12 }],
  });
  b.backend.inject(PADS, [0x99, 36, 77]);
  b.backend.inject(KEYS, [0x90, 60, 100]);
  assert.deepEqual(b.backend.sent(SYNTH), [[0xb0, 20, 77], [0x90, 72, 100]]);
});

test('delays run on the scheduler, never blocking; stop() releases held notes and timers', () => {
  const b = box({
    modes: [
      {
        name: 'Live',
        mappings: [
          {
            trigger: { type: 'Note', note: 36 },
            action: { type: 'Sequence', actions: [{ type: 'Delay', ms: 250 }, { type: 'SendMidi', output: 'synth', message: 'note_on', note: 50, velocity: 90 }, { type: 'Delay', ms: 1000 }, { type: 'SendMidi', output: 'synth', message: 'cc', cc: 1, value: 1 }] },
          },
        ],
      },
    ],
  });
  b.backend.inject(PADS, [0x90, 36, 77]);
  assert.deepEqual(b.backend.sent(SYNTH), []);
  b.scheduler.advance(250);
  assert.deepEqual(b.backend.sent(SYNTH), [[0x90, 50, 90]]);
  b.loop.stop();
  assert.deepEqual(b.backend.sent(SYNTH), [[0x90, 50, 90], [0x80, 50, 0]]);
  b.devices.stop();
  b.scheduler.advance(5000);
  assert.equal(b.backend.sent(SYNTH).length, 2, 'the cancelled continuation never ran');
  assert.equal(b.scheduler.pending, 0);
});

test('mode persists through the store and is restored at start', () => {
  const config = { modes: [{ name: 'A' }, { name: 'B' }], mode_switching: { program_change_channel: 16 } };
  const first = box(config);
  first.backend.inject(KEYS, [0xcf, 1]);
  assert.deepEqual(first.store.saved, ['B']);
  const second = box(config, { mode: first.store.mode });
  assert.equal(second.loop.snapshot()?.modeName, 'B');
  assert.deepEqual(second.modes.map((m) => [m.name, m.source]), [['B', 'startup']]);
  assert.deepEqual(second.store.saved, [], 'startup announcement is not re-saved');
});

test('plugin parameters and context reach the PluginCaller; midi_send goes out through routes; set_mode switches', async () => {
  const b = box(
    {
      modes: [
        { name: 'Songs', mappings: [{ trigger: { type: 'Note', note: 60 }, action: { type: 'Plugin', plugin: 'chord', action: 'play', params: { shape: 'maj7' } } }] },
        { name: 'Encore' },
      ],
      routes: [{ name: 'chord-out', from: 'plugin:chord', to: 'synth', to_channel: 2, modes: ['Songs'] }],
    },
    {
      plugin: (call, host) => {
        const root = call.context.note ?? 0;
        host({ fn: 'midi_send', bytes: [0x90, root, 100, 0x90, root + 4, 100] });
        host({ fn: 'set_mode', mode: 'Encore' });
        host({ fn: 'log', level: 2, message: 'played' });
        return { status: 'returned', code: 0, meaning: 'ok' };
      },
    },
  );
  b.backend.inject(KEYS, [0x90, 60, 99]);
  await flush();
  assert.equal(b.calls.length, 1);
  assert.deepEqual(b.calls[0]?.params, { shape: 'maj7' });
  assert.equal(b.calls[0]?.context.velocity, 99);
  assert.equal(b.calls[0]?.context.mode_name, 'Songs');
  assert.equal(b.calls[0]?.context.device, 'Keystation 49 MK3:Keystation 49 MK3 MIDI 1');
  // The two chord notes went out (channel remapped by the route); set_mode left "Songs", disabling the route: no stuck notes.
  assert.deepEqual(b.backend.sent(SYNTH), [[0x91, 60, 100], [0x91, 64, 100], [0x81, 60, 0], [0x81, 64, 0]]);
  assert.deepEqual(b.modes.map((m) => `${m.name}:${m.source}`), ['Songs:startup', 'Encore:plugin']);
});

test('plugin failures and missing plugins become notices, never exceptions', async () => {
  const b = box(
    {
      modes: [
        {
          name: 'M',
          mappings: [
            { trigger: { type: 'Note', note: 1 }, action: { type: 'Plugin', plugin: 'chord', action: 'boom' } },
            { trigger: { type: 'Note', note: 2 }, action: { type: 'Plugin', plugin: 'setlist', action: 'next' } },
          ],
        },
      ],
    },
    {
      plugin: (call) => {
        if (call.plugin === 'chord') return { status: 'error', error: { kind: 'out_of_fuel', message: 'fuel exhausted' } };
        return { status: 'returned', code: 3, meaning: 'action_failed' };
      },
    },
  );
  b.backend.inject(KEYS, [0x90, 1, 1]);
  b.backend.inject(KEYS, [0x90, 2, 1]);
  await flush();
  assert.deepEqual(
    b.notices.filter((n) => n.code === 'plugin_failed').map((n) => [n.level, n.message]),
    [
      ['error', 'plugin "chord" boom: out_of_fuel: fuel exhausted'],
      ['warn', 'plugin "setlist" next: returned 3 (action_failed)'],
    ],
  );
  assert.equal(b.loop.stats.pluginFailures, 2);
});

test('device hot-plug reaches the engine: unplugging mid-note releases routed notes; notices for the display', () => {
  const b = box({ modes: [{ name: 'M' }], routes: [{ name: 'keys', from: 'keys', to: 'synth' }] });
  b.backend.inject(KEYS, [0x90, 60, 100]);
  b.backend.removeInput(KEYS);
  b.scheduler.advance(1000);
  assert.deepEqual(b.backend.sent(SYNTH), [[0x90, 60, 100], [0x80, 60, 0]]);
  assert.ok(b.notices.some((n) => n.code === 'device_disconnected' && n.message.includes('Keystation')));
  b.backend.addInput(KEYS.replace('24:0', '36:0'));
  b.scheduler.advance(1000);
  b.backend.inject(KEYS.replace('24:0', '36:0'), [0x90, 61, 100]);
  assert.deepEqual(b.backend.sent(SYNTH).at(-1), [0x90, 61, 100]);
});

test('clock reaches a route only when the route wants it (ignoreTypes follow the routes)', () => {
  const wants = box({ modes: [{ name: 'M' }], routes: [{ name: 'clk', from: 'keys', to: 'synth' }] });
  wants.backend.inject(KEYS, [0xf8]);
  assert.deepEqual(wants.backend.sent(SYNTH), [[0xf8]]);
  const drops = box({ modes: [{ name: 'M' }], routes: [{ name: 'clk', from: 'keys', to: 'synth', drop_clock: true }] });
  assert.equal(drops.backend.ignoreTypesOf(KEYS)?.timing, true);
});

test('sysex reaches a route only when the route wants it (ignoreTypes follow the routes)', () => {
  const SYSEX = [0xf0, 0x7e, 0x7f, 0x06, 0x01, 0xf7];
  const wants = box({ modes: [{ name: 'M' }], routes: [{ name: 'sx', from: 'keys', to: 'synth', types: ['note', 'sysex'] }] });
  assert.equal(wants.backend.ignoreTypesOf(KEYS)?.sysex, false, 'the route needs sysex from keys');
  assert.equal(wants.backend.ignoreTypesOf(PADS)?.sysex, true, 'no route from pads: still ignored there');
  wants.backend.inject(KEYS, SYSEX);
  assert.deepEqual(wants.backend.sent(SYNTH), [SYSEX]);
  const notesOnly = box({ modes: [{ name: 'M' }], routes: [{ name: 'notes', from: 'keys', to: 'synth', types: ['note'] }] });
  assert.equal(notesOnly.backend.ignoreTypesOf(KEYS)?.sysex, true, 'no route needs sysex: ignored at the port');
  notesOnly.backend.inject(KEYS, SYSEX);
  notesOnly.backend.inject(KEYS, [0x90, 60, 100]);
  assert.deepEqual(notesOnly.backend.sent(SYNTH), [[0x90, 60, 100]]);
});

test('the documented example config runs end to end: notes, CCs, footswitches and a plugin', async () => {
  const doc = parse(readFileSync(new URL('../../docs/example-config.toml', import.meta.url), 'utf8')) as Record<string, unknown>;
  const input = Object.fromEntries(Object.keys(engineConfigShape).filter((k) => k in doc).map((k) => [k, doc[k]]));
  const b = box(z.strictObject(engineConfigShape).parse(input) as unknown as Record<string, unknown>);
  assert.equal(b.loop.snapshot()?.modeName, 'Setlist');
  b.backend.inject(PADS, [0x99, 48, 100]); // pad 48 asks the setlist plugin (right/left press step the built-in setlist)
  await flush();
  assert.deepEqual(b.calls.map((c) => `${c.plugin}.${c.action}`), ['setlist.goto']);
  b.backend.clearSent();
  b.backend.inject(KEYS, [0xb0, 1, 64]); // mod wheel -> CC 74 s-curve, and thru on keys-thru
  assert.deepEqual(b.backend.sent(SYNTH), [[0xb0, 1, 64], [0xb0, 74, 64]]);
  b.loop.dispatch({ type: 'footswitch', switch: 'right', gesture: 'long', at: b.scheduler.now() });
  b.loop.dispatch({ type: 'footswitch', switch: 'right', gesture: 'long', at: b.scheduler.now() });
  assert.equal(b.loop.snapshot()?.modeName, 'Live');
  b.backend.clearSent();
  b.backend.inject(PADS, [0x99, 38, 90]);
  b.backend.inject(PADS, [0x89, 38, 0]);
  b.scheduler.advance(100);
  b.backend.inject(PADS, [0x99, 38, 90]); // double tap: 4 clicks 500 ms apart
  b.scheduler.advance(2000);
  const clicks = b.backend.sent(SYNTH).filter((m) => m[0] === 0x99 && m[1] === 76);
  assert.equal(clicks.length, 4);
});

test('StateStore (src/state) serves as the ModeStore: the mode survives a restart on disk', async () => {
  const { mkdtempSync, rmSync } = await import('node:fs');
  const { tmpdir } = await import('node:os');
  const { join } = await import('node:path');
  const { StateStore } = await import('../../src/state/state-store.js');
  const dir = mkdtempSync(join(tmpdir(), 'midimon-mode-'));
  try {
    const config = parseConfig({ modes: [{ name: 'A' }, { name: 'B' }, { name: 'C' }] });
    const run = async (action: (loop: EngineLoop) => void): Promise<string | undefined> => {
      const store = new StateStore({ dir, log: silentLogger() });
      await store.start();
      const modeStore: ModeStore = store;
      const loop = new EngineLoop({ config, scheduler: new ManualScheduler(0), midi: { send: () => 0 }, modeStore, log: silentLogger() });
      loop.start();
      action(loop);
      await store.stop();
      return loop.snapshot()?.modeName;
    };
    assert.equal(await run((loop) => loop.setMode('prev', 'menu')), 'C');
    assert.equal(await run(() => {}), 'C', 'restored after restart');
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});

test('footswitches through the GPIO fake: short press and long press reach their mappings', async () => {
  const { FakeFootswitches } = await import('../../src/gpio/fake-footswitches.js');
  const b = box({
    modes: [{ name: 'A' }, { name: 'B' }],
    global_mappings: [
      { trigger: { type: 'Footswitch', switch: 'left', gesture: 'long' }, action: { type: 'ModeChange', mode: 'next' } },
      { trigger: { type: 'Footswitch', switch: 'left', gesture: 'press' }, action: { type: 'SendMidi', output: 'synth', message: 'program_change', program: 7 } },
    ],
  });
  const switches = new FakeFootswitches(['left'], { debounceMs: 0, longPressMs: 600, doublePressMs: 0 }, b.scheduler);
  switches.onEvent((e) => b.loop.dispatch(e));
  await switches.start();
  switches.hold('left', 100, b.scheduler);
  b.scheduler.advance(1000);
  assert.deepEqual(b.backend.sent(SYNTH), [[0xc0, 7]]);
  switches.hold('left', 900, b.scheduler);
  b.scheduler.advance(1000);
  assert.equal(b.loop.snapshot()?.modeName, 'B');
  assert.equal(b.backend.sent(SYNTH).length, 1, 'a long press is not also a short press');
  await switches.stop();
});
