import { test } from 'node:test';
import assert from 'node:assert/strict';
import { Rig, on, off, cc, pc, parseConfig } from './rig.js';

const threeModes = {
  modes: [
    { name: 'Intro', mappings: [{ trigger: { type: 'Note', note: 60 }, action: { type: 'SendMidi', output: 'Synth', message: 'note', note: 'pass' } }] },
    { name: 'Verse' },
    { name: 'Chorus' },
  ],
  global_mappings: [
    { trigger: { type: 'Footswitch', switch: 'right' }, action: { type: 'ModeChange', mode: 'next' } },
    { trigger: { type: 'Footswitch', switch: 'left' }, action: { type: 'ModeChange', mode: 'prev' } },
  ],
  mode_switching: { program_change_channel: 16 },
};

test('mode switching by every path: footswitch, Program Change, plugin set_mode, CLI/menu command', () => {
  const r = new Rig(threeModes);
  r.footswitch('right', 'press');
  r.footswitch('left', 'press');
  r.footswitch('left', 'press');
  r.midi(pc(16, 1));
  r.midi(pc(15, 0)); // other channel: not a mode switch
  r.send({ type: 'plugin-set-mode', plugin: 'setlist', mode: 'Chorus', at: r.now });
  r.send({ type: 'plugin-set-mode', plugin: 'setlist', mode: 'next', at: r.now });
  r.send({ type: 'mode-command', mode: 'verse', source: 'menu', at: r.now });
  r.send({ type: 'mode-command', mode: 2, source: 'cli', at: r.now });
  assert.deepEqual(
    r.takeModeChanges().map((m) => `${m.previous}->${m.name}:${m.source}`),
    [
      'Intro->Verse:mapping',
      'Verse->Intro:mapping',
      'Intro->Chorus:mapping',
      'Chorus->Verse:program-change',
      'Verse->Chorus:plugin',
      'Chorus->Intro:plugin',
      'Intro->Verse:menu',
      'Verse->Chorus:cli',
    ],
  );
});

test('unknown modes and out-of-range Program Changes become notices, not exceptions', () => {
  const r = new Rig(threeModes);
  r.send({ type: 'mode-command', mode: 'Bridge', source: 'cli', at: r.now });
  r.midi(pc(16, 9));
  assert.deepEqual(r.takeModeChanges(), []);
  assert.deepEqual(r.takeNotices().map((n) => n.code), ['unknown_mode', 'unknown_mode']);
  assert.equal(r.engine.modeName, 'Intro');
});

test('current mode is restored from the store; an unknown saved mode falls back to initial_mode with a notice', () => {
  const restored = new Rig(threeModes, { restoredMode: 'Chorus' });
  assert.equal(restored.engine.modeName, 'Chorus');
  const stale = new Rig({ ...threeModes, mode_switching: { initial_mode: 'Verse' } }, { restoredMode: 'Gone' });
  assert.equal(stale.engine.modeName, 'Verse');
  const start = stale.engine.startEffects();
  assert.deepEqual(start.map((e) => e.type), ['notice', 'mode-changed']);
});

test('no stuck notes: leaving a mode sends note-offs for every note it still holds', () => {
  const r = new Rig(threeModes);
  r.midi(on(1, 60, 100));
  assert.deepEqual(r.takeOut(), [[0x90, 60, 100]]);
  r.footswitch('right', 'press');
  assert.deepEqual(r.takeOut(), [[0x80, 60, 0]], 'mode change released the held note');
  r.midi(off(1, 60));
  assert.deepEqual(r.takeOut(), [], 'no second note-off later');
  assert.deepEqual(r.engine.snapshot().heldNotes, {});
});

test('leaving a mode cancels its pending delayed actions', () => {
  const r = new Rig({
    modes: [
      {
        name: 'A',
        mappings: [
          {
            trigger: { type: 'Note', note: 1 },
            action: { type: 'Sequence', actions: [{ type: 'Delay', ms: 100 }, { type: 'SendMidi', output: 'O', message: 'note_on', note: 50 }] },
          },
        ],
      },
      { name: 'B' },
    ],
  });
  r.midi(on(1, 1, 100));
  r.send({ type: 'mode-command', mode: 'B', source: 'cli', at: r.now });
  r.advance(200);
  assert.deepEqual(r.takeOut(), []);
  assert.equal(r.pendingTimers, 0);
});

const routed = {
  modes: [{ name: 'Live' }, { name: 'Quiet' }],
  routes: [
    { name: 'keys', from: 'Keystation', to: 'Synth', modes: ['Live'], transpose: 12, to_channel: 3 },
    { name: 'pads', from: 'Pad*', to: 'Drums', channels: [10], types: ['note'] },
  ],
};

test('routes: thru with transpose + channel remap, active only in its modes', () => {
  const r = new Rig(routed);
  r.midi(on(1, 60, 90), 'Keystation 49 MK3');
  assert.deepEqual(r.takeOut('Synth'), [[0x92, 72, 90]]);
  r.send({ type: 'mode-command', mode: 'Quiet', source: 'cli', at: r.now });
  assert.deepEqual(r.takeOut('Synth'), [[0x82, 72, 0]], 'route disabled by the mode change: its held note is released (after transforms)');
  r.midi(on(1, 62, 90), 'Keystation 49 MK3');
  assert.deepEqual(r.takeOut('Synth'), [], 'inactive in Quiet');
});

test('routes: channel and type filters, clock and active sensing switches', () => {
  const r = new Rig(routed);
  r.midi([0x99, 36, 100], 'PadKontrol');
  r.midi([0x90, 36, 100], 'PadKontrol'); // channel 1: filtered
  r.midi(cc(10, 1, 1), 'PadKontrol'); // cc: filtered by types
  r.midi([0xf8], 'PadKontrol');
  assert.deepEqual(r.takeOut('Drums'), [[0x99, 36, 100]]);
  const clock = new Rig({ modes: [{ name: 'M' }], routes: [{ name: 'c', from: 'X', to: 'Y' }, { name: 'd', from: 'X', to: 'Z', drop_clock: true, drop_active_sensing: false }] });
  clock.midi([0xf8], 'X');
  clock.midi([0xfe], 'X');
  assert.deepEqual(clock.takeOut('Y'), [[0xf8]], 'clock passes, active sensing dropped by default');
  assert.deepEqual(clock.takeOut('Z'), [[0xfe]]);
});

test('routes: velocity curve on note-ons, notes transposed out of range are dropped', () => {
  const r = new Rig({ modes: [{ name: 'M' }], routes: [{ name: 'r', from: 'K', to: 'S', transpose: 70, velocity_curve: 'exponential' }] });
  r.midi(on(1, 50, 64), 'K');
  r.midi(on(1, 60, 64), 'K');
  assert.deepEqual(r.takeOut(), [[0x90, 120, 32]]);
});

test('route disabled by hot reload releases its notes; an unchanged route keeps them', () => {
  const r = new Rig(routed);
  r.midi(on(1, 60, 90), 'Keystation');
  r.midi([0x99, 36, 100], 'Pads');
  r.takeOut();
  const next = parseConfig({ ...routed, routes: [{ ...routed.routes[0], enabled: false }, routed.routes[1]] });
  r.send({ type: 'config-replaced', config: next, at: r.now });
  assert.deepEqual(r.takeOut(), [[0x82, 72, 0]]);
  assert.deepEqual(Object.keys(r.engine.snapshot().heldNotes), ['route:pads']);
});

test('hot reload keeps the current mode by name; a vanished mode releases its notes and switches', () => {
  const r = new Rig(threeModes);
  r.midi(on(1, 60, 100));
  r.takeOut();
  const reordered = parseConfig({ ...threeModes, modes: [threeModes.modes[2], threeModes.modes[0]] });
  r.send({ type: 'config-replaced', config: reordered, at: r.now });
  assert.equal(r.engine.modeName, 'Intro');
  assert.equal(r.engine.modeIndex, 1);
  assert.deepEqual(r.takeOut(), [], 'mode still there: its note keeps sounding');
  const gone = parseConfig({ ...threeModes, modes: [threeModes.modes[1]] });
  r.send({ type: 'config-replaced', config: gone, at: r.now });
  assert.deepEqual(r.takeOut(), [[0x80, 60, 0]]);
  assert.deepEqual(r.takeModeChanges().map((m) => [m.name, m.source]), [['Verse', 'config']]);
});

test('an input unplugged mid-note: synthesized note-offs go through routes and mappings', () => {
  const r = new Rig(routed);
  r.midi(on(1, 60, 90), 'Keystation');
  r.takeOut();
  r.send({ type: 'device', change: 'disconnected', direction: 'input', device: 'Keystation', at: r.now });
  assert.deepEqual(r.takeOut(), [[0x82, 72, 0]]);
  assert.deepEqual(r.takeNotices().map((n) => n.code), ['device_disconnected']);
});

test('plugin midi_send: through routes from plugin:NAME (filters, transforms), else to all outputs; malformed is a notice', () => {
  const r = new Rig({
    modes: [{ name: 'M' }],
    routes: [
      { name: 'chord-out', from: 'plugin:chord', to: 'Synth', transpose: -12, channels: [1] },
      { name: 'thru', from: '*', to: 'Everything' },
    ],
  });
  r.send({ type: 'plugin-midi-send', plugin: 'chord', bytes: [0x90, 60, 100, 0x90, 64, 100, 0x91, 67, 100], at: r.now });
  assert.deepEqual(r.takeOut(), [[0x90, 48, 100], [0x90, 52, 100]], 'ch 2 filtered; "*" route does not take plugin output');
  r.send({ type: 'plugin-midi-send', plugin: 'setlist', bytes: [0xc0, 5], at: r.now });
  assert.deepEqual(r.takeOut('*'), [[0xc0, 5]]);
  r.send({ type: 'plugin-midi-send', plugin: 'setlist', bytes: [0x90, 60], at: r.now });
  assert.deepEqual(r.takeOut(), []);
  assert.deepEqual(r.takeNotices().map((n) => n.code), ['plugin_bad_midi']);
});

test('flood: 10,000 messages through a route arrive complete and in order', () => {
  const r = new Rig({ modes: [{ name: 'M' }], routes: [{ name: 'r', from: 'In', to: 'Out', to_channel: 2 }] });
  for (let i = 0; i < 10_000; i++) {
    r.now += 0.1;
    r.midi(i % 2 === 0 ? on(1, i % 128, 1 + (i % 127)) : cc(1, 7, i % 128), 'In');
  }
  const out = r.takeOut('Out');
  assert.equal(out.length, 10_000);
  for (let i = 0; i < 10_000; i++) {
    const expected = i % 2 === 0 ? on(2, i % 128, 1 + (i % 127)) : cc(2, 7, i % 128);
    assert.deepEqual(out[i], expected, `message ${i}`);
  }
});
