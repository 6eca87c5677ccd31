import { test } from 'node:test';
import assert from 'node:assert/strict';
import { deviceRows, menuContext, statusView } from '../../src/box/views.js';
import { boxConfigSchema } from '../../src/config/schema.js';
import type { EngineSnapshot } from '../../src/engine/types.js';

test('device rows match configured patterns like the MIDI layer does (glob, /regex/, any case) and list the missing ones once', () => {
  const config = boxConfigSchema.parse({
    devices: { midi: { inputs: [{ name: 'keystation' }, { name: 'nanoKONTROL*' }, { name: '/Launch.*/' }, { name: 'Absent' }], outputs: [{ name: 'Synth', alias: 'synth' }] } },
    modes: [{ name: 'A' }],
  });
  const port = (name: string, alias?: string) => ({ port: `${name} 20:0`, name, alias, since: 0 });
  const rows = deviceRows(config, {
    inputs: [port('Keystation 49:Keystation 49 MIDI 1'), port('nanoKONTROL2:nanoKONTROL2 MIDI 1'), port('Launchpad Mini:Launchpad Mini MIDI 1')],
    outputs: [port('Synth:Synth MIDI 1', 'synth')],
    lastSeen: {},
  });
  assert.deepEqual(
    rows.map((r) => `${r.name}/${r.direction}/${r.connected ? 'up' : 'down'}`).sort(),
    ['Absent/in/down', 'Keystation 49:Keystation 49 MIDI 1/in/up', 'Launchpad Mini:Launchpad Mini MIDI 1/in/up', 'nanoKONTROL2:nanoKONTROL2 MIDI 1/in/up', 'synth/out/up'],
  );
});

test('the OLED permissions page offers no Filesystem toggle for a realtime plugin (that lane never links it)', () => {
  const plugin = (name: string, lane: 'isolated' | 'realtime') => ({
    name, enabled: true, loaded: true, lane, version: '1.0.0', requested: ['Filesystem', 'Midi'] as const, granted: ['Midi'] as const,
  });
  const ctx = menuContext({
    now: 0,
    snapshot: null,
    plugins: [plugin('iso', 'isolated'), plugin('rt', 'realtime')],
    devices: [],
    problems: [],
    system: { hostname: 'box', addresses: [], memFreeMb: 1, memTotalMb: 1, diskFreeMb: null, uptimeS: 0 },
    version: 'test',
    usb: { present: false, packages: [] },
  });
  const caps = Object.fromEntries(ctx.plugins.map((p) => [p.name, p.capabilities.map((c) => `${c.name}:${c.granted ? 'on' : 'off'}`)]));
  assert.deepEqual(caps, { iso: ['Filesystem:off', 'Midi:on'], rt: ['Midi:on'] });
});

test('after Midi is revoked the permissions page still lists it, so it can be granted back', () => {
  const ctx = menuContext({
    now: 0,
    snapshot: null,
    plugins: [{ name: 'quiet', enabled: true, loaded: true, lane: 'isolated', version: '1.0.0', requested: [], granted: [] }],
    devices: [],
    problems: [],
    system: { hostname: 'box', addresses: [], memFreeMb: 1, memTotalMb: 1, diskFreeMb: null, uptimeS: 0 },
    version: 'test',
    usb: { present: false, packages: [] },
  });
  assert.deepEqual(ctx.plugins[0]?.capabilities, [{ name: 'Midi', granted: false }]);
});

test('modes are numbered from 1 on the OLED status header and the Modes menu, as `midimon mode` and the log count them', () => {
  // Only the mode fields matter here; the rest of the snapshot (held notes, tempo) is not read for the numbering.
  const snapshot = {
    modeIndex: 0, modeName: 'Setlist', modeNames: ['Setlist', 'Chords', 'Live'], heldNotes: {}, activeRoutes: [], pendingTimers: 0, usedChannels: 0,
    tempo: { bpm: 120, running: false, source: 'internal', locked: true, tick: -1, beat: 0, bar: 1, beat_in_bar: 1, beats_per_bar: 4 },
  } as unknown as EngineSnapshot;
  const status = statusView({ snapshot, devices: [], lastTrigger: null, plugins: [], banner: undefined });
  assert.deepEqual(status.mode, { index: 1, name: 'Setlist', count: 3 });
  const ctx = menuContext({
    now: 0,
    snapshot,
    plugins: [],
    devices: [],
    problems: [],
    system: { hostname: 'box', addresses: [], memFreeMb: 1, memTotalMb: 1, diskFreeMb: null, uptimeS: 0 },
    version: 'test',
    usb: { present: false, packages: [] },
  });
  assert.deepEqual(ctx.modes.map((m) => m.index), [1, 2, 3]);
});

test('a plugin the host gave up reloading shows as failed (status, OLED list), one being reloaded as restarting', async () => {
  const { pluginState, statusView } = await import('../../src/box/views.js');
  const base = { name: 'chord', enabled: true, loaded: true, lane: 'isolated' as const, requested: [], granted: [] };
  assert.equal(pluginState({ ...base, state: 'ready' }), 'running');
  assert.equal(pluginState({ ...base, state: 'respawning' }), 'restarting');
  assert.equal(pluginState({ ...base, state: 'failed' }), 'failed');
  const view = statusView({ snapshot: null, devices: [], lastTrigger: null, plugins: [{ ...base, state: 'failed' }], banner: undefined });
  assert.deepEqual(view.plugins, [{ name: 'chord', state: 'failed' }]);
});
