import { test } from 'node:test';
import assert from 'node:assert/strict';
import { engineConfigSchema, checkEngineReferences } from '../../src/config/mappings-schema.js';

interface Problem {
  path: string;
  message: string;
}

/** Schema issues, then (if the shape is valid) reference issues, with paths printed like the loader does. */
function problems(input: unknown, plugins: readonly string[] = ['setlist']): Problem[] {
  const r = engineConfigSchema.safeParse(input);
  const fmt = (path: readonly PropertyKey[]) => path.map((p, i) => (typeof p === 'number' ? `[${p}]` : i === 0 ? String(p) : `.${String(p)}`)).join('');
  if (!r.success) return r.error.issues.map((i) => ({ path: fmt(i.path), message: i.message }));
  return checkEngineReferences(r.data, plugins).map((i) => ({ path: fmt(i.path), message: i.message }));
}

const withMapping = (mapping: Record<string, unknown>, modeIndex = 2) => ({
  modes: [{ name: 'A' }, { name: 'B' }, { name: 'C', mappings: [{ trigger: { type: 'Note', note: 1 }, action: { type: 'ModeChange', mode: 'A' } }, mapping] }],
});

test('unknown trigger type: names mode, mapping index and field, lists the valid types', () => {
  const [p, ...rest] = problems(withMapping({ trigger: { type: 'NoteOn', note: 60 }, action: { type: 'ModeChange', mode: 'A' } }));
  assert.equal(rest.length, 0);
  assert.equal(p?.path, 'modes[2].mappings[1].trigger.type');
  assert.match(p?.message ?? '', /unknown trigger type; expected one of Note, VelocityRange/);
});

test('note 200 is out of range', () => {
  assert.deepEqual(problems(withMapping({ trigger: { type: 'Note', note: 200 }, action: { type: 'ModeChange', mode: 'A' } })), [
    { path: 'modes[2].mappings[1].trigger.note', message: 'a MIDI note number must be <= 127' },
  ]);
});

test('negative delay is rejected, also nested in a Sequence', () => {
  const action = { type: 'Sequence', actions: [{ type: 'ModeChange', mode: 'A' }, { type: 'Delay', ms: -5 }] };
  assert.deepEqual(problems(withMapping({ trigger: { type: 'Note', note: 2 }, action })), [
    { path: 'modes[2].mappings[1].action.actions[1].ms', message: 'delay must be >= 0 ms' },
  ]);
});

test('ModeChange to an unknown mode names the mode, mapping and field', () => {
  const [p] = problems(withMapping({ trigger: { type: 'Note', note: 2 }, action: { type: 'ModeChange', mode: 'Bridge' } }));
  assert.equal(p?.path, 'modes[2].mappings[1].action.mode');
  assert.equal(p?.message, 'mode "C" mapping 1: ModeChange to unknown mode "Bridge" (modes: "A", "B", "C")');
});

test('Plugin action naming an unknown plugin', () => {
  const [p] = problems(withMapping({ trigger: { type: 'Note', note: 2 }, action: { type: 'Plugin', plugin: 'looper', action: 'rec' } }));
  assert.equal(p?.path, 'modes[2].mappings[1].action.plugin');
  assert.equal(p?.message, 'mode "C" mapping 1: unknown plugin "looper" (plugins: "setlist")');
});

test('other schema rules: channel 0, unknown keys, unknown action type, unknown SendMidi message, bad time', () => {
  const m = (trigger: unknown, action: unknown = { type: 'ModeChange', mode: 'A' }) => problems(withMapping({ trigger, action }));
  assert.deepEqual(m({ type: 'Note', note: 1, channel: 0 }).map((p) => p.path), ['modes[2].mappings[1].trigger.channel']);
  const unknownKey = m({ type: 'Note', note: 1, velocty_min: 3 });
  assert.equal(unknownKey[0]?.path, 'modes[2].mappings[1].trigger');
  assert.match(unknownKey[0]?.message ?? '', /velocty_min/);
  assert.match(m({ type: 'Note', note: 1 }, { type: 'Launch' })[0]?.message ?? '', /unknown action type/);
  assert.match(m({ type: 'Note', note: 1 }, { type: 'SendMidi', message: 'sysx' })[0]?.message ?? '', /unknown SendMidi message/);
  const badTime = m({ type: 'Note', note: 1 }, { type: 'Conditional', condition: { type: 'TimeRange', start: '25:00', end: '01:00' }, then: { type: 'ModeChange', mode: 'A' } });
  assert.equal(badTime[0]?.path, 'modes[2].mappings[1].action.condition.start');
  assert.deepEqual(problems({ modes: [] }).map((p) => p.message), ['at least one mode is required']);
});

test('reference rules: duplicate modes, reserved names, routes in unknown modes, ranges, lone Delay, ModeIs', () => {
  const out = problems({
    modes: [
      { name: 'Live' },
      { name: 'live' },
      { name: 'next' },
      {
        name: 'X',
        mappings: [
          { trigger: { type: 'CC', cc: 1, min_value: 100, max_value: 10 }, action: { type: 'Delay', ms: 10 } },
          {
            trigger: { type: 'VelocityRange', note: 1, band: 'soft', min_velocity: 3 },
            action: { type: 'Conditional', condition: { type: 'ModeIs', mode: 'Studio' }, then: { type: 'ModeChange', mode: 'next' } },
          },
        ],
      },
    ],
    routes: [
      { name: 'r', from: 'a', to: 'b', modes: ['Nope'] },
      { name: 'r', from: 'a', to: 'b' },
    ],
    mode_switching: { initial_mode: 'Missing' },
  });
  assert.deepEqual(
    out.map((p) => p.path),
    [
      'modes[1].name',
      'modes[2].name',
      'modes[3].mappings[0].trigger.min_value',
      'modes[3].mappings[0].action.type',
      'modes[3].mappings[1].trigger.band',
      'modes[3].mappings[1].action.condition.mode',
      'routes[0].modes[0]',
      'routes[1].name',
      'mode_switching.initial_mode',
    ],
  );
});

test('defaults are applied: timing windows, velocity_min, route switches', () => {
  const r = engineConfigSchema.parse({ modes: [{ name: 'A' }], routes: [{ name: 'r', from: 'x', to: 'y' }] });
  assert.deepEqual(r.timing, { long_press_ms: 600, double_tap_ms: 300, chord_window_ms: 50, note_duration_ms: 200, velocity_soft_max: 40, velocity_medium_max: 90 });
  assert.deepEqual(r.mode_switching, {});
  assert.equal(r.routes[0]?.drop_active_sensing, true);
  assert.equal(r.routes[0]?.drop_clock, false);
  assert.equal(r.routes[0]?.transpose, 0);
});
