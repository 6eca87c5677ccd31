// The stuck-note rules one at a time (docs/engine.md, "No stuck notes"); the
// property test in test/runtime/stuck-notes.property.test.ts mixes them all.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { Rig, on, off } from './rig.js';

const chords = {
  modes: [
    {
      name: 'Chords',
      mappings: [
        { trigger: { type: 'Note', note: 48, note_max: 72 }, action: { type: 'Plugin', plugin: 'chord', action: 'play' } },
        { trigger: { type: 'Note', note: 36 }, action: { type: 'Panic' } },
      ],
    },
    { name: 'Live' },
  ],
  routes: [
    { name: 'chord-out', from: 'plugin:chord', to: 'Synth' },
    { name: 'thru', from: 'Keys', to: 'Synth', modes: ['Live'] },
  ],
};

function press(r: Rig, note: number) {
  r.midi(on(1, note, 100), 'Keys');
  const [call] = r.takePluginCalls();
  assert.ok(call !== undefined && call.owner !== undefined);
  return call;
}

test('a note range fires on every key of it, and the plugin hears press and release of that key', () => {
  const r = new Rig(chords);
  for (const note of [48, 60, 72]) {
    const call = press(r, note);
    assert.equal(call.context.event, 'press');
    r.midi(off(1, note), 'Keys');
    const [release] = r.takePluginCalls();
    assert.equal(release?.context.event, 'release');
    assert.equal(release?.owner, call.owner);
    assert.equal(release?.context.note, note);
  }
  r.midi(on(1, 73, 100), 'Keys');
  assert.deepEqual(r.takePluginCalls(), [], '73 is outside the range');
});

test("what a key-following plugin leaves held is released once its release call is done", () => {
  const r = new Rig(chords);
  const call = press(r, 60);
  r.send({ type: 'plugin-midi-send', plugin: 'chord', bytes: [0x90, 60, 100, 0x90, 64, 100], at: r.now, owner: call.owner });
  r.send({ type: 'plugin-call-done', plugin: 'chord', owner: call.owner ?? '', ok: true, at: r.now });
  assert.deepEqual(r.takeOut('Synth'), [[0x90, 60, 100], [0x90, 64, 100]]);
  r.midi(off(1, 60), 'Keys');
  r.takePluginCalls();
  // The plugin ends 60 itself and forgets 64; it also "ends" 67, which it never started.
  r.send({ type: 'plugin-midi-send', plugin: 'chord', bytes: [0x80, 60, 0, 0x80, 67, 0], at: r.now, owner: call.owner });
  assert.deepEqual(r.takeOut('Synth'), [[0x80, 60, 0]]);
  r.send({ type: 'plugin-call-done', plugin: 'chord', owner: call.owner ?? '', ok: true, at: r.now });
  assert.deepEqual(r.takeOut('Synth'), [[0x80, 64, 0]]);
  assert.deepEqual(r.engine.snapshot().heldNotes, {});
});

test("another owner's hold never swallows a note-off, and a failed call ends everything of that plugin", () => {
  const r = new Rig({ ...chords, modes: [...chords.modes].reverse() });
  r.send({ type: 'mode-command', mode: 'Chords', source: 'cli', at: r.now });
  const call = press(r, 60);
  r.send({ type: 'plugin-midi-send', plugin: 'chord', bytes: [0x90, 60, 100], at: r.now, owner: call.owner });
  r.send({ type: 'plugin-call-done', plugin: 'chord', owner: call.owner ?? '', ok: true, at: r.now });
  r.send({ type: 'mode-command', mode: 'Live', source: 'cli', at: r.now });
  r.takeOut();
  // Live: the thru route plays 60 and ends it (the chord's 60 was released with Chords).
  r.midi(on(1, 60, 90), 'Keys');
  r.midi(off(1, 60), 'Keys');
  assert.deepEqual(r.takeOut('Synth'), [[0x90, 60, 90], [0x80, 60, 0]]);
  // A plugin note held while a thru note on the same key ends: the thru note-off is sent anyway.
  r.send({ type: 'plugin-midi-send', plugin: 'chord', bytes: [0x90, 62, 100], at: r.now });
  r.midi(on(1, 62, 90), 'Keys');
  r.midi(off(1, 62), 'Keys');
  assert.deepEqual(r.takeOut('Synth'), [[0x90, 62, 100], [0x90, 62, 90], [0x80, 62, 0]]);
  // The plugin's call fails (a timeout): its remaining note ends now.
  r.send({ type: 'plugin-call-done', plugin: 'chord', owner: 'plugin:chord@mode:Live', ok: false, at: r.now });
  assert.deepEqual(r.takeOut('Synth'), [[0x80, 62, 0]]);
});

test('sustain held by the box is released with its owner; panic ends notes and sends CC123 + CC64 0 per used channel', () => {
  const r = new Rig(chords);
  const call = press(r, 50);
  r.send({ type: 'plugin-midi-send', plugin: 'chord', bytes: [0xb1, 64, 127, 0x91, 50, 100], at: r.now, owner: call.owner });
  r.send({ type: 'mode-command', mode: 'Live', source: 'cli', at: r.now });
  assert.deepEqual(r.takeOut('Synth'), [[0xb1, 64, 127], [0x91, 50, 100], [0x81, 50, 0], [0xb1, 64, 0]]);
  r.send({ type: 'mode-command', mode: 'Chords', source: 'cli', at: r.now });
  const again = press(r, 52);
  r.send({ type: 'plugin-midi-send', plugin: 'chord', bytes: [0x91, 52, 100], at: r.now, owner: again.owner });
  r.takeOut();
  r.midi(on(1, 36, 100), 'Keys');
  assert.deepEqual(r.takeOut('Synth'), [[0x81, 52, 0], [0xb1, 123, 0], [0xb1, 64, 0]]);
  assert.ok(r.takeNotices().some((n) => n.code === 'panic'));
});

test("a key that fired a ModeChange sends no orphan note-off through the new mode's route", () => {
  const r = new Rig({
    modes: [{ name: 'A', mappings: [{ trigger: { type: 'Note', note: 84 }, action: { type: 'ModeChange', mode: 'B' } }] }, { name: 'B' }],
    routes: [{ name: 'thru', from: 'Keys', to: 'Synth', modes: ['B'] }],
  });
  r.midi(on(3, 84, 100), 'Keys');
  r.midi(off(3, 84), 'Keys');
  assert.deepEqual(r.takeOut('Synth'), []);
});
