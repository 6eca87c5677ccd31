import { test } from 'node:test';
import assert from 'node:assert/strict';
import { Rig, on, off, cc } from './rig.js';

function rigWith(action: Record<string, unknown>, extra: Record<string, unknown> = {}): Rig {
  return new Rig({
    modes: [{ name: 'Main', mappings: [{ trigger: { type: 'Note', note: 60 }, action }] }, { name: 'Other' }],
    ...extra,
  });
}

test('SendMidi note_on / note_off / cc / program_change / aftertouch / poly / raw produce the right bytes', () => {
  const cases: [Record<string, unknown>, number[]][] = [
    [{ message: 'note_on', note: 72, velocity: 99, channel: 2 }, [0x91, 72, 99]],
    [{ message: 'note_on', note: 'pass' }, [0x90, 60, 80]],
    [{ message: 'cc', cc: 7, value: 100 }, [0xb0, 7, 100]],
    [{ message: 'cc', cc: 7 }, [0xb0, 7, 80]],
    [{ message: 'program_change', program: 12, channel: 10 }, [0xc9, 12]],
    [{ message: 'pitch_bend', value: -8192 }, [0xe0, 0, 0]],
    [{ message: 'pitch_bend', value: 0 }, [0xe0, 0, 64]],
    [{ message: 'aftertouch', value: 33 }, [0xd0, 33]],
    [{ message: 'poly_aftertouch', note: 61, value: 34 }, [0xa0, 61, 34]],
    [{ message: 'raw', bytes: [0xf0, 0x7e, 0x7f, 0x06, 0x01, 0xf7] }, [0xf0, 0x7e, 0x7f, 0x06, 0x01, 0xf7]],
  ];
  for (const [send, expected] of cases) {
    const r = rigWith({ type: 'SendMidi', output: 'Synth', ...send });
    r.midi(on(1, 60, 80));
    assert.deepEqual(r.takeOut('Synth'), [expected], JSON.stringify(send));
  }
});

test('SendMidi note_off ends a note its owner started, and is not sent for a note the box never started', () => {
  const r = new Rig({
    modes: [
      {
        name: 'Main',
        mappings: [
          { trigger: { type: 'Note', note: 60 }, action: { type: 'SendMidi', output: 'Synth', message: 'note_on', note: 72, velocity: 99, channel: 16 } },
          { trigger: { type: 'Note', note: 62 }, action: { type: 'SendMidi', output: 'Synth', message: 'note_off', note: 72, channel: 16 } },
        ],
      },
    ],
  });
  r.midi(on(1, 62, 80));
  assert.deepEqual(r.takeOut('Synth'), [], 'nothing to end yet');
  r.midi(on(1, 60, 80));
  r.midi(on(1, 62, 80));
  assert.deepEqual(r.takeOut('Synth'), [[0x9f, 72, 99], [0x8f, 72, 0]]);
  r.midi(on(1, 62, 80));
  assert.deepEqual(r.takeOut('Synth'), [], 'already ended');
});

test('SendMidi without output goes to every output ("*")', () => {
  const r = rigWith({ type: 'SendMidi', message: 'cc', cc: 1, value: 2 });
  const out = r.midi(on(1, 60, 80)).filter((e) => e.type === 'midi-out');
  assert.deepEqual(out, [{ type: 'midi-out', output: '*', bytes: [0xb0, 1, 2] }]);
});

test('velocity curves: pass-through, fixed, linear, exponential, logarithmic, s-curve', () => {
  const velocityFor = (curve: string | undefined, v: number): number => {
    const r = rigWith({ type: 'SendMidi', output: 'O', message: 'note_on', note: 'pass', ...(curve === undefined ? {} : { curve }) });
    r.midi(on(1, 60, v));
    return (r.takeOut()[0] as number[])[2] as number;
  };
  assert.equal(velocityFor(undefined, 64), 64);
  assert.equal(velocityFor('linear', 64), 64);
  assert.equal(velocityFor('exponential', 64), 32);
  assert.equal(velocityFor('logarithmic', 64), 90);
  assert.equal(velocityFor('s-curve', 32), 20);
  assert.equal(velocityFor('s-curve', 96), 108);
  assert.equal(velocityFor('exponential', 1), 1, 'a curved note-on never becomes velocity 0');
  assert.equal(velocityFor('exponential', 127), 127);
});

test('curves also shape passed CC / aftertouch values, not just velocity', () => {
  const sent = (send: Record<string, unknown>, v: number): number[] => {
    const r = new Rig({
      modes: [{ name: 'Main', mappings: [{ trigger: { type: 'CC', cc: 20 }, action: { type: 'SendMidi', output: 'O', value: 'pass', ...send } }] }],
    });
    r.midi(cc(1, 20, v));
    return r.takeOut()[0] as number[];
  };
  assert.deepEqual(sent({ message: 'cc', cc: 7, curve: 'exponential' }, 64), [0xb0, 7, 32], '(64/127)^2 * 127 = 32.25');
  assert.deepEqual(sent({ message: 'cc', cc: 7, curve: 'linear' }, 64), [0xb0, 7, 64]);
  assert.deepEqual(sent({ message: 'cc', cc: 7 }, 64), [0xb0, 7, 64]);
  assert.deepEqual(sent({ message: 'aftertouch', curve: 'logarithmic' }, 64), [0xd0, 90], 'sqrt(64/127) * 127 = 90.15');
  assert.deepEqual(sent({ message: 'poly_aftertouch', note: 61, curve: 's-curve' }, 32), [0xa0, 61, 20]);
});

test('SendMidi "note" follows the triggering key: note-off when the key is released', () => {
  const r = rigWith({ type: 'SendMidi', output: 'Synth', message: 'note', note: 48 });
  r.midi(on(1, 60, 90));
  assert.deepEqual(r.takeOut(), [[0x90, 48, 90]]);
  r.advance(5000);
  assert.deepEqual(r.takeOut(), []);
  r.midi(off(1, 60));
  assert.deepEqual(r.takeOut(), [[0x80, 48, 0]]);
});

test('SendMidi "note" with duration_ms ends by timer', () => {
  const r = rigWith({ type: 'SendMidi', output: 'Synth', message: 'note', note: 48, velocity: 100, duration_ms: 250 });
  r.midi(on(1, 60, 90));
  r.midi(off(1, 60));
  assert.deepEqual(r.takeOut(), [[0x90, 48, 100]]);
  r.advance(249);
  assert.deepEqual(r.takeOut(), []);
  r.advance(1);
  assert.deepEqual(r.takeOut(), [[0x80, 48, 0]]);
});

test('SendMidi "note" without duration from a trigger with no held key ends after timing.note_duration_ms', () => {
  const r = new Rig({
    modes: [
      {
        name: 'Main',
        mappings: [{ trigger: { type: 'Footswitch', switch: 'left' }, action: { type: 'SendMidi', output: 'Synth', message: 'note', note: 48, velocity: 100 } }],
      },
    ],
    timing: { note_duration_ms: 500 },
  });
  r.footswitch('left', 'press');
  assert.deepEqual(r.takeOut(), [[0x90, 48, 100]]);
  r.advance(499);
  assert.deepEqual(r.takeOut(), [], 'still sounding at 499 ms');
  r.advance(1);
  assert.deepEqual(r.takeOut(), [[0x80, 48, 0]]);
  assert.equal(r.pendingTimers, 0);
});

test('ModeChange by name, next and prev (wrapping)', () => {
  const r = new Rig({
    modes: [
      {
        name: 'A',
        mappings: [
          { trigger: { type: 'Note', note: 1 }, action: { type: 'ModeChange', mode: 'C' } },
          { trigger: { type: 'Note', note: 2 }, action: { type: 'ModeChange', mode: 'prev' } },
        ],
      },
      { name: 'B' },
      { name: 'C', mappings: [{ trigger: { type: 'Note', note: 3 }, action: { type: 'ModeChange', mode: 'next' } }] },
    ],
  });
  r.midi(on(1, 1, 1));
  r.midi(on(1, 3, 1));
  r.midi(on(1, 2, 1));
  assert.deepEqual(
    r.takeModeChanges().map((m) => [m.previous, m.name, m.index, m.source]),
    [
      ['A', 'C', 2, 'mapping'],
      ['C', 'A', 0, 'mapping'],
      ['A', 'C', 2, 'mapping'],
    ],
  );
});

test('Plugin action: name, action, params and the full TriggerContext reach the plugin-call effect', () => {
  const r = new Rig({
    modes: [
      { name: 'Intro' },
      {
        name: 'Song',
        mappings: [
          {
            trigger: { type: 'Note', note: 60, channel: 3 },
            action: { type: 'Plugin', plugin: 'chord', action: 'play', params: { shape: 'maj7', octave: 1 } },
          },
        ],
      },
    ],
  }, { restoredMode: 'Song' });
  r.midi(on(3, 60, 101), 'Keystation');
  const [call, ...rest] = r.takePluginCalls();
  assert.equal(rest.length, 0);
  assert.deepEqual(call, {
    type: 'plugin-call',
    plugin: 'chord',
    action: 'play',
    params: { shape: 'maj7', octave: 1 },
    context: {
      velocity: 101,
      current_mode: 1,
      timestamp: r.now,
      mode_name: 'Song',
      channel: 3,
      note: 60,
      cc: null,
      value: 101,
      trigger: 'Note',
      device: 'Keystation',
      tempo: { bpm: 120, running: false, source: 'internal', locked: true, tick: -1, beat: 0, bar: 1, beat_in_bar: 1, beats_per_bar: 4 },
      event: 'press',
    },
    owner: 'plugin:chord@mode:Song#key1',
  });
  assert.deepEqual(Object.keys(call?.context ?? {}).slice(0, 3), ['velocity', 'current_mode', 'timestamp'], "the guide's fields come first");
});

test('Sequence with Delay: actions after the delay wait for the timer; nothing blocks', () => {
  const r = rigWith({
    type: 'Sequence',
    actions: [
      { type: 'SendMidi', output: 'O', message: 'cc', cc: 1, value: 1 },
      { type: 'Delay', ms: 100 },
      { type: 'SendMidi', output: 'O', message: 'cc', cc: 1, value: 2 },
      { type: 'Sequence', actions: [{ type: 'Delay', ms: 50 }, { type: 'SendMidi', output: 'O', message: 'cc', cc: 1, value: 3 }] },
    ],
  });
  r.midi(on(1, 60, 90));
  assert.deepEqual(r.takeOut(), [cc(1, 1, 1)]);
  r.advance(99);
  assert.deepEqual(r.takeOut(), []);
  r.advance(1);
  assert.deepEqual(r.takeOut(), [cc(1, 1, 2)]);
  r.advance(50);
  assert.deepEqual(r.takeOut(), [cc(1, 1, 3)]);
  assert.equal(r.pendingTimers, 0);
});

test('Repeat runs its action count times, spaced by interval_ms', () => {
  const r = rigWith({ type: 'Repeat', count: 3, interval_ms: 10, action: { type: 'SendMidi', output: 'O', message: 'cc', cc: 5, value: 9 } });
  r.midi(on(1, 60, 90));
  assert.deepEqual(r.takeOut(), [cc(1, 5, 9)]);
  r.advance(10);
  assert.deepEqual(r.takeOut(), [cc(1, 5, 9)]);
  r.advance(10);
  assert.deepEqual(r.takeOut(), [cc(1, 5, 9)]);
  r.advance(100);
  assert.deepEqual(r.takeOut(), []);
  const burst = rigWith({ type: 'Repeat', count: 4, action: { type: 'SendMidi', output: 'O', message: 'cc', cc: 5, value: 9 } });
  burst.midi(on(1, 60, 90));
  assert.equal(burst.takeOut().length, 4);
});

test('Conditional: ModeIs, Not, And/Or and TimeRange (local time, wrapping midnight)', () => {
  const cond = (condition: Record<string, unknown>, at: number, offsetMin = 0): boolean => {
    const r = new Rig(
      {
        modes: [
          {
            name: 'Live',
            mappings: [
              {
                trigger: { type: 'Note', note: 60 },
                action: {
                  type: 'Conditional',
                  condition,
                  then: { type: 'SendMidi', output: 'O', message: 'cc', cc: 1, value: 1 },
                  else: { type: 'SendMidi', output: 'O', message: 'cc', cc: 1, value: 0 },
                },
              },
            ],
          },
          { name: 'Rehearsal' },
        ],
      },
      { utcOffsetMinutes: () => offsetMin },
    );
    r.now = at;
    r.midi(on(1, 60, 1));
    return (r.takeOut()[0] as number[])[2] === 1;
  };
  const day = Date.UTC(2026, 0, 10);
  const at = (h: number, m: number) => day + (h * 60 + m) * 60_000;
  assert.equal(cond({ type: 'ModeIs', mode: 'Live' }, at(12, 0)), true);
  assert.equal(cond({ type: 'ModeIs', mode: 'Rehearsal' }, at(12, 0)), false);
  assert.equal(cond({ type: 'Not', condition: { type: 'ModeIs', mode: 'Rehearsal' } }, at(12, 0)), true);
  assert.equal(cond({ type: 'TimeRange', start: '09:00', end: '17:00' }, at(16, 59)), true);
  assert.equal(cond({ type: 'TimeRange', start: '09:00', end: '17:00' }, at(17, 0)), false);
  assert.equal(cond({ type: 'TimeRange', start: '22:00', end: '02:00' }, at(1, 30)), true, 'wraps midnight');
  assert.equal(cond({ type: 'TimeRange', start: '22:00', end: '02:00' }, at(12, 0)), false);
  assert.equal(cond({ type: 'TimeRange', start: '09:00', end: '17:00' }, at(8, 30), 60), true, 'UTC 08:30 is 09:30 at UTC+1');
  const live = { type: 'ModeIs', mode: 'Live' };
  const never = { type: 'ModeIs', mode: 'Rehearsal' };
  assert.equal(cond({ type: 'And', conditions: [live, never] }, at(1, 0)), false);
  assert.equal(cond({ type: 'And', conditions: [live, live] }, at(1, 0)), true);
  assert.equal(cond({ type: 'Or', conditions: [never, live] }, at(1, 0)), true);
  assert.equal(cond({ type: 'Or', conditions: [never, never] }, at(1, 0)), false);
});

test('global mappings fire in every mode, alongside mode mappings', () => {
  const r = new Rig({
    modes: [{ name: 'A', mappings: [{ trigger: { type: 'Note', note: 60 }, action: { type: 'SendMidi', output: 'O', message: 'cc', cc: 1, value: 1 } }] }, { name: 'B' }],
    global_mappings: [{ trigger: { type: 'Note', note: 60 }, action: { type: 'SendMidi', output: 'O', message: 'cc', cc: 2, value: 2 } }],
  });
  r.midi(on(1, 60, 1));
  assert.deepEqual(r.takeOut(), [cc(1, 1, 1), cc(1, 2, 2)]);
  r.send({ type: 'mode-command', mode: 'B', source: 'cli', at: r.now });
  r.midi(on(1, 60, 1));
  assert.deepEqual(r.takeOut(), [cc(1, 2, 2)]);
});
