import { test } from 'node:test';
import assert from 'node:assert/strict';
import fc from 'fast-check';
import { parseMidi, splitMessages } from '../../src/engine/midi-message.js';
import { nameMatches, deviceMatches, stripPortSuffix } from '../../src/engine/name-pattern.js';
import type { EngineEvent } from '../../src/engine/types.js';
import { Rig } from './rig.js';

test('name patterns: substring, glob, /regex/, alias, suffix stripping', () => {
  assert.equal(nameMatches('keystation', 'Keystation 49 MK3 MIDI 1'), true);
  assert.equal(nameMatches('Key*MK3', 'Keystation 49 MK3'), true);
  assert.equal(nameMatches('Key*MK2', 'Keystation 49 MK3'), false);
  assert.equal(nameMatches('/^Launch(pad|key)/', 'Launchkey Mini'), true);
  assert.equal(nameMatches('/^Launch(pad|key)/', 'My Launchpad'), false);
  assert.equal(nameMatches('/[/', 'anything'), false, 'a bad regex never throws');
  assert.equal(deviceMatches('keys', 'Keystation 49', 'keys'), true);
  assert.equal(deviceMatches('pads', 'Keystation 49', 'keys'), false);
  assert.equal(stripPortSuffix('nanoKONTROL2:nanoKONTROL2 MIDI 1 24:0'), 'nanoKONTROL2:nanoKONTROL2 MIDI 1');
  assert.equal(stripPortSuffix('Virtual Raw MIDI 1-0'), 'Virtual Raw MIDI 1-0');
});

test('parseMidi and splitMessages never throw on arbitrary bytes; split output re-joins to the input', () => {
  fc.assert(
    fc.property(fc.array(fc.integer({ min: 0, max: 255 }), { maxLength: 40 }), (bytes) => {
      parseMidi(bytes);
      const parts = splitMessages(bytes);
      if (parts !== null) assert.deepEqual(parts.flat(), bytes);
    }),
    { numRuns: 2000 },
  );
  assert.deepEqual(splitMessages([0x90, 60, 100, 0xc0, 5, 0xf0, 1, 2, 0xf7, 0xf8]), [[0x90, 60, 100], [0xc0, 5], [0xf0, 1, 2, 0xf7], [0xf8]]);
  assert.equal(splitMessages([0x90, 60]), null);
  assert.equal(splitMessages([60, 100]), null);
});

test('the engine never throws and never leaves notes held after releaseAll, whatever arrives', () => {
  const config = {
    modes: [
      {
        name: 'A',
        mappings: [
          { trigger: { type: 'Note', note: 60 }, action: { type: 'SendMidi', output: 'O', message: 'note', note: 'pass' } },
          { trigger: { type: 'LongPress', note: 61, hold_ms: 5 }, action: { type: 'ModeChange', mode: 'next' } },
          { trigger: { type: 'NoteChord', notes: [62, 63], window_ms: 5 }, action: { type: 'Repeat', count: 3, interval_ms: 2, action: { type: 'SendMidi', message: 'note', note: 70, output: 'O', duration_ms: 3 } } },
        ],
      },
      { name: 'B', mappings: [{ trigger: { type: 'CC', cc: 1 }, action: { type: 'Sequence', actions: [{ type: 'Delay', ms: 4 }, { type: 'SendMidi', message: 'note_on', note: 'pass', output: 'O' }] } }] },
    ],
    routes: [{ name: 'thru', from: '*', to: 'S', transpose: 3, modes: ['A'] }],
    global_mappings: [{ trigger: { type: 'Footswitch', switch: 'x' }, action: { type: 'ModeChange', mode: 'prev' } }],
  };
  const event = fc.oneof(
    fc.record({ kind: fc.constant('midi' as const), bytes: fc.array(fc.integer({ min: 0, max: 255 }), { minLength: 1, maxLength: 4 }), dt: fc.integer({ min: 0, max: 10 }) }),
    fc.record({ kind: fc.constant('note' as const), on: fc.boolean(), note: fc.integer({ min: 58, max: 64 }), dt: fc.integer({ min: 0, max: 10 }) }),
    fc.record({ kind: fc.constant('fs' as const), dt: fc.integer({ min: 0, max: 10 }) }),
    fc.record({ kind: fc.constant('plugin' as const), bytes: fc.array(fc.integer({ min: 0, max: 255 }), { maxLength: 6 }), dt: fc.integer({ min: 0, max: 10 }) }),
  );
  fc.assert(
    fc.property(fc.array(event, { maxLength: 60 }), (events) => {
      const r = new Rig(config);
      for (const e of events) {
        r.advance(e.dt);
        let ev: EngineEvent;
        if (e.kind === 'midi') ev = { type: 'midi', device: 'Dev', bytes: e.bytes, at: r.now };
        else if (e.kind === 'note') ev = { type: 'midi', device: 'Dev', bytes: e.on ? [0x90, e.note, 100] : [0x80, e.note, 0], at: r.now };
        else if (e.kind === 'fs') ev = { type: 'footswitch', switch: 'x', gesture: 'press', at: r.now };
        else ev = { type: 'plugin-midi-send', plugin: 'p', bytes: e.bytes, at: r.now };
        r.send(ev);
      }
      r.engine.releaseAll();
      assert.deepEqual(r.engine.snapshot().heldNotes, {});
      assert.equal(r.engine.snapshot().pendingTimers, 0);
    }),
    { numRuns: 300 },
  );
});

test('every note-on the engine sends is matched by a note-off once inputs are released and modes change', () => {
  // Play random notes into a mode that follows keys, switch modes at random, then release every key:
  // the output must have as many note-offs as note-ons for each (output, channel, note).
  const config = {
    modes: [
      { name: 'A', mappings: [{ trigger: { type: 'Note', note: 60 }, action: { type: 'SendMidi', output: 'O', message: 'note', note: 'pass' } }] },
      { name: 'B', mappings: [{ trigger: { type: 'Note', note: 60 }, action: { type: 'SendMidi', output: 'O', message: 'note_on', note: 72 } }] },
    ],
    routes: [{ name: 'r', from: 'K', to: 'S', modes: ['A'], transpose: 1 }],
  };
  fc.assert(
    fc.property(fc.array(fc.tuple(fc.constantFrom('on', 'off', 'mode'), fc.integer({ min: 59, max: 61 })), { maxLength: 40 }), (steps) => {
      const r = new Rig(config);
      for (const [kind, note] of steps) {
        if (kind === 'mode') r.send({ type: 'mode-command', mode: 'next', source: 'cli', at: r.now });
        else r.midi(kind === 'on' ? [0x90, note, 90] : [0x80, note, 0], 'K');
      }
      for (const n of [59, 60, 61]) r.midi([0x80, n, 0], 'K');
      r.send({ type: 'mode-command', mode: 'next', source: 'cli', at: r.now });
      r.send({ type: 'mode-command', mode: 'next', source: 'cli', at: r.now });
      const balance = new Map<string, number>();
      for (const e of r.effects) {
        if (e.type !== 'midi-out') continue;
        const [s, n, v] = e.bytes as number[];
        const isOn = ((s as number) & 0xf0) === 0x90 && (v as number) > 0;
        const isOff = ((s as number) & 0xf0) === 0x80 || (((s as number) & 0xf0) === 0x90 && v === 0);
        if (!isOn && !isOff) continue;
        const key = `${e.output}|${(s as number) & 0x0f}|${n}`;
        // Re-striking a sounding note is legal MIDI; count "sounding" as a boolean.
        balance.set(key, isOn ? 1 : 0);
      }
      for (const [key, sounding] of balance) assert.equal(sounding, 0, `stuck note ${key}`);
    }),
    { numRuns: 500 },
  );
});
