import { test } from 'node:test';
import assert from 'node:assert/strict';
import { Rig, on, off, cc, pc } from './rig.js';

/** One mode whose single mapping sends CC 1 with the passed value (so we can see what fired and with what). */
function rigFor(trigger: Record<string, unknown>, timing: Record<string, unknown> = {}): Rig {
  return new Rig({
    modes: [{ name: 'Main', mappings: [{ trigger, action: { type: 'SendMidi', message: 'cc', cc: 1, value: 'pass', output: 'Out' } }] }],
    timing,
  });
}

test('Note fires on note-on at or above velocity_min, on the right channel only', () => {
  const r = rigFor({ type: 'Note', note: 60, velocity_min: 50, channel: 2 });
  r.midi(on(2, 60, 49));
  r.midi(on(1, 60, 100));
  r.midi(on(2, 61, 100));
  assert.deepEqual(r.takeOut(), []);
  r.midi(on(2, 60, 80));
  assert.deepEqual(r.takeOut(), [cc(1, 1, 80)]);
  r.midi(off(2, 60));
  assert.deepEqual(r.takeOut(), [], 'note-off does not fire a Note trigger');
});

test('channel filter accepts a list of channels; device filter matches by pattern', () => {
  const r = rigFor({ type: 'Note', note: 60, channel: [3, 4], device: 'Pad*' });
  r.midi(on(4, 60, 10), 'PadKontrol');
  r.midi(on(4, 60, 10), 'Keys');
  r.midi(on(5, 60, 10), 'PadKontrol');
  assert.deepEqual(r.takeOut(), [cc(1, 1, 10)]);
});

test('VelocityRange bands use the global soft/medium bounds; explicit min/max also work', () => {
  const soft = rigFor({ type: 'VelocityRange', note: 60, band: 'soft' }, { velocity_soft_max: 30, velocity_medium_max: 90 });
  const medium = rigFor({ type: 'VelocityRange', note: 60, band: 'medium' }, { velocity_soft_max: 30, velocity_medium_max: 90 });
  const hard = rigFor({ type: 'VelocityRange', note: 60, band: 'hard' }, { velocity_soft_max: 30, velocity_medium_max: 90 });
  const explicit = rigFor({ type: 'VelocityRange', note: 60, min_velocity: 100, max_velocity: 110 });
  for (const v of [30, 31, 90, 91, 105]) for (const r of [soft, medium, hard, explicit]) r.midi(on(1, 60, v));
  assert.deepEqual(soft.takeOut(), [cc(1, 1, 30)]);
  assert.deepEqual(medium.takeOut(), [cc(1, 1, 31), cc(1, 1, 90)]);
  assert.deepEqual(hard.takeOut(), [cc(1, 1, 91), cc(1, 1, 105)]);
  assert.deepEqual(explicit.takeOut(), [cc(1, 1, 105)]);
});

test('LongPress fires only when held for hold_ms (per trigger) and not when released earlier', () => {
  const r = rigFor({ type: 'LongPress', note: 36, hold_ms: 500 }, { long_press_ms: 2000 });
  r.midi(on(1, 36, 90));
  r.advance(499);
  r.midi(off(1, 36));
  r.advance(1000);
  assert.deepEqual(r.takeOut(), [], 'released at 499 ms');
  assert.equal(r.pendingTimers, 0, 'the long-press timer was cancelled');
  r.midi(on(1, 36, 90));
  r.advance(500);
  assert.deepEqual(r.takeOut(), [cc(1, 1, 90)]);
});

test('LongPress without hold_ms uses timing.long_press_ms', () => {
  const r = rigFor({ type: 'LongPress', note: 36 }, { long_press_ms: 800 });
  r.midi(on(1, 36, 90));
  r.advance(799);
  assert.deepEqual(r.takeOut(), []);
  r.advance(1);
  assert.deepEqual(r.takeOut(), [cc(1, 1, 90)]);
});

test('DoubleTap fires on the second tap inside the window only', () => {
  const r = rigFor({ type: 'DoubleTap', note: 40 }, { double_tap_ms: 250 });
  r.midi(on(1, 40, 70));
  r.midi(off(1, 40));
  r.advance(251);
  r.midi(on(1, 40, 71));
  assert.deepEqual(r.takeOut(), [], 'second tap 251 ms later is too slow');
  r.midi(off(1, 40));
  r.advance(250);
  r.midi(on(1, 40, 72));
  assert.deepEqual(r.takeOut(), [cc(1, 1, 72)]);
  r.advance(100);
  r.midi(on(1, 40, 73));
  assert.deepEqual(r.takeOut(), [], 'a third tap starts a new pair');
});

test('DoubleTap per-trigger window overrides the global one', () => {
  const r = rigFor({ type: 'DoubleTap', note: 40, window_ms: 50 }, { double_tap_ms: 1000 });
  r.midi(on(1, 40, 70));
  r.advance(60);
  r.midi(on(1, 40, 70));
  assert.deepEqual(r.takeOut(), []);
});

test('NoteChord fires when all notes arrive within the window, not when spread out or released', () => {
  const r = rigFor({ type: 'NoteChord', notes: [60, 64, 67], window_ms: 40 });
  r.midi(on(1, 60, 90));
  r.advance(20);
  r.midi(on(1, 64, 90));
  r.advance(20);
  r.midi(on(1, 67, 91));
  assert.deepEqual(r.takeOut(), [cc(1, 1, 91)]);
  for (const n of [60, 64, 67]) r.midi(off(1, n));
  r.midi(on(1, 60, 90));
  r.advance(41);
  r.midi(on(1, 64, 90));
  r.midi(on(1, 67, 90));
  assert.deepEqual(r.takeOut(), [], '60 fell out of the 40 ms window');
  r.midi(off(1, 64));
  r.midi(on(1, 60, 90));
  assert.deepEqual(r.takeOut(), [], '64 was released before the chord completed');
});

test('NoteChord uses timing.chord_window_ms by default', () => {
  const r = rigFor({ type: 'NoteChord', notes: [48, 52] }, { chord_window_ms: 10 });
  r.midi(on(1, 48, 90));
  r.advance(11);
  r.midi(on(1, 52, 90));
  assert.deepEqual(r.takeOut(), []);
  r.advance(5);
  r.midi(on(1, 48, 90));
  assert.deepEqual(r.takeOut(), [cc(1, 1, 90)]);
});

test('CC fires within its value range', () => {
  const r = rigFor({ type: 'CC', cc: 64, min_value: 64, max_value: 127 });
  r.midi(cc(1, 64, 63));
  r.midi(cc(1, 65, 100));
  r.midi(cc(1, 64, 127));
  assert.deepEqual(r.takeOut(), [cc(1, 1, 127)]);
});

test('CC max_value is inclusive: 50 fires, 51 does not', () => {
  const r = rigFor({ type: 'CC', cc: 20, min_value: 0, max_value: 50 });
  r.midi(cc(1, 20, 51));
  r.midi(cc(1, 20, 127));
  assert.deepEqual(r.takeOut(), [], 'above max_value');
  r.midi(cc(1, 20, 50));
  r.midi(cc(1, 20, 0));
  assert.deepEqual(r.takeOut(), [cc(1, 1, 50), cc(1, 1, 0)]);
});

test('EncoderTurn decodes twos-complement, signed-bit and offset-64 and filters direction', () => {
  const deltas = (encoding: string, direction: string, values: number[]) => {
    const r = new Rig({
      modes: [
        {
          name: 'M',
          mappings: [{ trigger: { type: 'EncoderTurn', cc: 10, encoding, direction }, action: { type: 'Plugin', plugin: 'chord', action: 'turn' } }],
        },
      ],
    });
    for (const v of values) r.midi(cc(1, 10, v));
    return r.takePluginCalls().map((c) => c.context.value);
  };
  assert.deepEqual(deltas('twos-complement', 'any', [1, 3, 127, 125, 64, 0]), [1, 3, -1, -3, -64]);
  assert.deepEqual(deltas('signed-bit', 'any', [1, 3, 65, 67, 0]), [1, 3, -1, -3]);
  assert.deepEqual(deltas('offset-64', 'any', [65, 67, 63, 61, 64]), [1, 3, -1, -3]);
  assert.deepEqual(deltas('twos-complement', 'cw', [1, 127, 2]), [1, 2]);
  assert.deepEqual(deltas('offset-64', 'ccw', [65, 63, 60]), [-1, -4]);
});

test('ProgramChange fires for its program (or any when none is given)', () => {
  const one = rigFor({ type: 'ProgramChange', program: 5 });
  const any = rigFor({ type: 'ProgramChange' });
  for (const r of [one, any]) {
    r.midi(pc(1, 4));
    r.midi(pc(1, 5));
  }
  assert.deepEqual(one.takeOut(), [cc(1, 1, 5)]);
  assert.deepEqual(any.takeOut(), [cc(1, 1, 4), cc(1, 1, 5)]);
});

test('PitchBend fires within its signed range and passes the bend through', () => {
  const r = new Rig({
    modes: [
      {
        name: 'M',
        mappings: [
          { trigger: { type: 'PitchBend', min_value: 1000, max_value: 8191 }, action: { type: 'SendMidi', message: 'pitch_bend', output: 'Out', channel: 3 } },
        ],
      },
    ],
  });
  r.midi([0xe0, 0, 64]); // centre = 0
  r.midi([0xe0, 0x7f, 0x7f]); // +8191
  assert.deepEqual(r.takeOut(), [[0xe2, 0x7f, 0x7f]]);
});

test('PitchBend max_value bounds the range from above (-100..100)', () => {
  const r = new Rig({
    modes: [
      {
        name: 'M',
        mappings: [
          { trigger: { type: 'PitchBend', min_value: -100, max_value: 100 }, action: { type: 'SendMidi', message: 'pitch_bend', output: 'Out' } },
        ],
      },
    ],
  });
  const bend = (v: number): number[] => [0xe0, (v + 8192) & 0x7f, (v + 8192) >> 7];
  r.midi(bend(8191));
  r.midi(bend(101));
  assert.deepEqual(r.takeOut(), [], 'above max_value');
  r.midi(bend(50));
  r.midi(bend(100));
  assert.deepEqual(r.takeOut(), [bend(50), bend(100)]);
});

test('Aftertouch: channel, poly with a note, and value range', () => {
  const chan = rigFor({ type: 'Aftertouch', kind: 'channel', min_value: 10 });
  const poly = rigFor({ type: 'Aftertouch', kind: 'poly', note: 60 });
  for (const r of [chan, poly]) {
    r.midi([0xd0, 5]);
    r.midi([0xd0, 50]);
    r.midi([0xa0, 61, 70]);
    r.midi([0xa0, 60, 80]);
  }
  assert.deepEqual(chan.takeOut(), [cc(1, 1, 50)]);
  assert.deepEqual(poly.takeOut(), [cc(1, 1, 80)]);
});

test('Aftertouch kind "any" takes channel and poly pressure, bounded by max_value', () => {
  const r = rigFor({ type: 'Aftertouch', kind: 'any', max_value: 50 });
  r.midi([0xd0, 60]);
  r.midi([0xa0, 64, 60]);
  r.midi([0xd0, 51]);
  assert.deepEqual(r.takeOut(), [], 'above max_value');
  r.midi([0xd0, 40]);
  r.midi([0xa0, 64, 30]);
  r.midi([0xa0, 65, 50]);
  assert.deepEqual(r.takeOut(), [cc(1, 1, 40), cc(1, 1, 30), cc(1, 1, 50)]);
});

test('Footswitch fires for its switch name and gesture', () => {
  const r = new Rig({
    modes: [
      {
        name: 'M',
        mappings: [
          { trigger: { type: 'Footswitch', switch: 'left', gesture: 'long' }, action: { type: 'SendMidi', message: 'cc', cc: 2, value: 1, output: 'O' } },
          { trigger: { type: 'Footswitch', switch: 'left' }, action: { type: 'SendMidi', message: 'cc', cc: 3, value: 1, output: 'O' } },
        ],
      },
    ],
  });
  r.footswitch('right', 'long');
  r.footswitch('left', 'double');
  assert.deepEqual(r.takeOut(), []);
  r.footswitch('left', 'long');
  r.footswitch('left', 'press');
  assert.deepEqual(r.takeOut(), [cc(1, 2, 1), cc(1, 3, 1)]);
});

test('disabled mappings never fire; the status screen gets trigger-fired', () => {
  const r = new Rig({
    modes: [
      {
        name: 'M',
        mappings: [
          { enabled: false, trigger: { type: 'Note', note: 1 }, action: { type: 'SendMidi', message: 'cc', cc: 2, value: 1 } },
          { description: 'Kick', trigger: { type: 'Note', note: 2 }, action: { type: 'SendMidi', message: 'cc', cc: 2, value: 1 } },
        ],
      },
    ],
  });
  r.midi(on(1, 1, 100));
  assert.deepEqual(r.takeOut(), []);
  const effects = r.midi(on(1, 2, 100));
  const fired = effects.find((e) => e.type === 'trigger-fired');
  assert.deepEqual(fired, { type: 'trigger-fired', mode: 'M', mapping: 1, trigger: 'Note', description: 'Kick', at: r.now });
});
