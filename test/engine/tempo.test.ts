// Tempo and MIDI clock in the pure engine: transport, tap tempo, Beat
// triggers, following an external clock, and the clock across mode changes
// and reloads. Time is the rig's fake clock; the runtime's tick scheduler is
// replaced by sending ClockTickEvents by hand (its timing is tested in
// test/runtime/tick-scheduler.test.ts).
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { Rig, on, parseConfig } from './rig.js';
import type { ClockScheduleEffect, EngineEffect, TempoChangedEffect } from '../../src/engine/types.js';
import { engineConfigSchema } from '../../src/config/mappings-schema.js';

const F8 = [0xf8];
const FA = [0xfa];
const FB = [0xfb];
const FC = [0xfc];

function config(clock: Record<string, unknown> = {}, extra: Record<string, unknown> = {}) {
  return {
    clock: { outputs: ['synth'], ...clock },
    modes: [
      {
        name: 'A',
        mappings: [
          { trigger: { type: 'Note', note: 40 }, action: { type: 'Tempo', tap: true } },
          { trigger: { type: 'Note', note: 41 }, action: { type: 'Clock', command: 'toggle' } },
          { trigger: { type: 'Note', note: 42 }, action: { type: 'Tempo', nudge: -0.5 } },
          { trigger: { type: 'Note', note: 43 }, action: { type: 'Tempo', bpm: 90.5 } },
          { trigger: { type: 'Beat', division: '1/4' }, action: { type: 'SendMidi', output: 'beats', message: 'cc', cc: 1, value: 'pass' } },
          { trigger: { type: 'Beat', division: 'bar' }, action: { type: 'SendMidi', output: 'bars', message: 'cc', cc: 2, value: 'pass' } },
        ],
      },
      { name: 'B', tempo: 140 },
      { name: 'C' },
    ],
    ...extra,
  };
}

const schedules = (effects: readonly EngineEffect[]) => effects.filter((e): e is ClockScheduleEffect => e.type === 'clock-schedule');
const tempoChanges = (effects: readonly EngineEffect[]) => effects.filter((e): e is TempoChangedEffect => e.type === 'tempo-changed');

function ticks(r: Rig, n: number, intervalMs = 20.833): void {
  for (let i = 0; i < n; i++) {
    r.send({ type: 'clock-tick', at: r.now });
    r.now += intervalMs;
  }
}

function hit(r: Rig, note: number, device = 'Pads'): EngineEffect[] {
  return r.midi(on(1, note, 100), device);
}

test('Start sends FA and asks for a tick schedule from now; each tick sends F8 to every clock output', () => {
  const r = new Rig(config({ outputs: ['synth', 'drums'] }));
  const effects = r.send({ type: 'tempo-command', command: { kind: 'transport', command: 'start' }, source: 'cli', at: r.now });
  assert.deepEqual(schedules(effects), [{ type: 'clock-schedule', running: true, bpm: 120, restart: true }]);
  assert.deepEqual(r.takeOut('synth'), [FA]);
  assert.deepEqual(r.takeOut('drums'), [FA]);
  ticks(r, 3);
  assert.deepEqual(r.takeOut('synth'), [F8, F8, F8]);
  assert.deepEqual(r.takeOut('drums'), [F8, F8, F8]);
  assert.equal(r.engine.snapshot().tempo.tick, 2);
});

test('Beat triggers fire on their division of the song position, with the beat in the bar as value', () => {
  const r = new Rig(config());
  r.send({ type: 'tempo-command', command: { kind: 'transport', command: 'start' }, source: 'cli', at: r.now });
  ticks(r, 24 * 8);
  // Beats 1..4 of two bars, on ticks 0, 24, 48...; bars on ticks 0 and 96.
  assert.deepEqual(r.takeOut('beats').map((b) => b[2]), [1, 2, 3, 4, 1, 2, 3, 4]);
  assert.deepEqual(r.takeOut('bars').map((b) => b[2]), [1, 1]);
  const t = r.engine.snapshot().tempo;
  assert.deepEqual({ tick: t.tick, beat: t.beat, bar: t.bar, beat_in_bar: t.beat_in_bar }, { tick: 191, beat: 7, bar: 2, beat_in_bar: 4 });
});

test('Beat triggers are silent while the clock is stopped and in modes without them', () => {
  const r = new Rig(config());
  ticks(r, 48); // stale ticks with the clock stopped
  assert.deepEqual(r.takeOut(), []);
  r.send({ type: 'tempo-command', command: { kind: 'transport', command: 'start' }, source: 'cli', at: r.now });
  r.send({ type: 'mode-command', mode: 'C', source: 'cli', at: r.now });
  r.takeOut();
  ticks(r, 48);
  assert.deepEqual(r.takeOut('beats'), []);
  assert.equal(r.takeOut('synth').length, 48, 'the clock itself runs in every mode');
});

test('Stop sends FC and stops the schedule; a tick already in flight is ignored; Continue resumes on a 16th with SPP + FB', () => {
  const r = new Rig(config());
  r.send({ type: 'tempo-command', command: { kind: 'transport', command: 'start' }, source: 'cli', at: r.now });
  ticks(r, 32); // song position: ticks 0..31
  r.takeOut();
  const stop = r.send({ type: 'tempo-command', command: { kind: 'transport', command: 'stop' }, source: 'cli', at: r.now });
  assert.deepEqual(schedules(stop), [{ type: 'clock-schedule', running: false, bpm: 120, restart: false }]);
  ticks(r, 2);
  assert.deepEqual(r.takeOut('synth'), [FC]);
  assert.equal(r.engine.snapshot().tempo.running, false);
  // 32 ticks played = 5 whole sixteenths + 2 ticks: continue from sixteenth 5 (tick 30).
  const cont = r.send({ type: 'tempo-command', command: { kind: 'transport', command: 'continue' }, source: 'cli', at: r.now });
  assert.deepEqual(r.takeOut('synth'), [[0xf2, 5, 0], FB]);
  assert.deepEqual(schedules(cont), [{ type: 'clock-schedule', running: true, bpm: 120, restart: true }]);
  ticks(r, 1);
  assert.equal(r.engine.snapshot().tempo.tick, 30);
});

test('Clock toggle from a mapping: start from the top, stop, then continue (not restart)', () => {
  const r = new Rig(config());
  hit(r, 41);
  assert.deepEqual(r.takeOut('synth'), [FA]);
  ticks(r, 24);
  r.takeOut();
  hit(r, 41);
  assert.deepEqual(r.takeOut('synth'), [FC]);
  hit(r, 41);
  assert.deepEqual(r.takeOut('synth'), [[0xf2, 4, 0], FB]);
});

test('tap tempo: the average of the last taps; a pause starts a new series', () => {
  const r = new Rig(config({ tap_average: 3, tap_reset_ms: 2000 }));
  const tapAt = (t: number) => {
    r.now = 1_700_000_000_000 + t;
    hit(r, 40);
  };
  tapAt(0);
  assert.equal(r.engine.snapshot().tempo.bpm, 120, 'one tap alone changes nothing');
  tapAt(500); // 120
  assert.equal(r.engine.snapshot().tempo.bpm, 120);
  tapAt(1100); // intervals 500, 600 -> 550 ms -> 109.1
  assert.equal(r.engine.snapshot().tempo.bpm, 109.1);
  tapAt(1500); // 500, 600, 400 -> 500 -> 120
  assert.equal(r.engine.snapshot().tempo.bpm, 120);
  tapAt(2300); // only the last 3 intervals: 600, 400, 800 -> 600 -> 100
  assert.equal(r.engine.snapshot().tempo.bpm, 100);
  tapAt(5000); // a 2.7 s pause: a new series, tempo unchanged
  assert.equal(r.engine.snapshot().tempo.bpm, 100);
  tapAt(5400); // 400 ms -> 150, not mixed with the old series
  assert.equal(r.engine.snapshot().tempo.bpm, 150);
});

test('tap tempo is clamped to 20-300 BPM', () => {
  const r = new Rig(config({ tap_reset_ms: 10_000 }));
  r.now = 1_700_000_000_000;
  hit(r, 40);
  r.now += 50;
  hit(r, 40);
  assert.equal(r.engine.snapshot().tempo.bpm, 300);
  r.now += 5000;
  hit(r, 40);
  r.now += 9000;
  hit(r, 40);
  assert.ok(r.engine.snapshot().tempo.bpm >= 20);
});

test('a tempo change mid-bar re-times the schedule without a restart; the song position carries on', () => {
  const r = new Rig(config());
  r.send({ type: 'tempo-command', command: { kind: 'transport', command: 'start' }, source: 'cli', at: r.now });
  ticks(r, 30); // into beat 2
  r.clear();
  hit(r, 43); // Tempo bpm = 90.5
  assert.deepEqual(schedules(r.effects), [{ type: 'clock-schedule', running: true, bpm: 90.5, restart: false }]);
  assert.deepEqual(tempoChanges(r.effects).map((e) => [e.cause, e.tempo.bpm]), [['tempo', 90.5]]);
  assert.deepEqual(r.takeOut('synth'), [], 'no FA/FC: receivers keep their place');
  ticks(r, 18, 27.6);
  assert.equal(r.engine.snapshot().tempo.tick, 47);
  ticks(r, 1, 27.6);
  assert.deepEqual(r.takeOut('beats').map((b) => b[2]), [3], 'beat 3 lands on tick 48 as before the change');
  hit(r, 42); // nudge -0.5
  assert.equal(r.engine.snapshot().tempo.bpm, 90);
});

test('a stopped clock changes tempo without scheduling ticks', () => {
  const r = new Rig(config());
  const effects = hit(r, 43);
  assert.deepEqual(schedules(effects), []);
  assert.equal(r.engine.snapshot().tempo.bpm, 90.5);
});

test('entering a mode with a tempo sets it; the running clock keeps running (no FA/FC)', () => {
  const r = new Rig(config());
  r.send({ type: 'tempo-command', command: { kind: 'transport', command: 'start' }, source: 'cli', at: r.now });
  ticks(r, 10);
  r.clear();
  r.send({ type: 'mode-command', mode: 'B', source: 'cli', at: r.now });
  assert.deepEqual(schedules(r.effects), [{ type: 'clock-schedule', running: true, bpm: 140, restart: false }]);
  assert.deepEqual(r.takeOut('synth'), []);
  r.send({ type: 'mode-command', mode: 'C', source: 'cli', at: r.now });
  assert.equal(r.engine.snapshot().tempo.bpm, 140, 'a mode without a tempo keeps the current one');
  ticks(r, 1);
  assert.equal(r.engine.snapshot().tempo.tick, 10);
});

test('the restored mode\'s tempo applies at start; autostart starts the internal clock', () => {
  const r = new Rig(config({ autostart: true }), { restoredMode: 'B' });
  const start = r.engine.startEffects();
  assert.equal(r.engine.snapshot().tempo.bpm, 140);
  assert.deepEqual(schedules(start), [{ type: 'clock-schedule', running: true, bpm: 140, restart: true }]);
  assert.ok(start.some((e) => e.type === 'midi-out' && e.bytes[0] === 0xfa));
});

test('a hot reload keeps the clock running and the tapped tempo; a changed [clock] bpm applies', () => {
  const r = new Rig(config());
  r.send({ type: 'tempo-command', command: { kind: 'transport', command: 'start' }, source: 'cli', at: r.now });
  r.send({ type: 'tempo-command', command: { kind: 'set', bpm: 133.3 }, source: 'cli', at: r.now });
  ticks(r, 20);
  r.clear();
  // An unrelated edit: nothing about the clock changes.
  r.send({ type: 'config-replaced', config: parseConfig(config({}, { timing: { long_press_ms: 700 } })), at: r.now });
  assert.deepEqual(schedules(r.effects), []);
  assert.deepEqual(r.takeOut('synth'), []);
  ticks(r, 1);
  assert.deepEqual(r.engine.snapshot().tempo, { ...r.engine.snapshot().tempo, bpm: 133.3, running: true, tick: 20 });
  // The file's bpm changed: it applies, still without a restart.
  r.clear();
  r.send({ type: 'config-replaced', config: parseConfig(config({ bpm: 100 })), at: r.now });
  assert.deepEqual(schedules(r.effects), [{ type: 'clock-schedule', running: true, bpm: 100, restart: false }]);
  // New outputs get the very next tick.
  r.send({ type: 'config-replaced', config: parseConfig(config({ bpm: 100, outputs: ['other'] })), at: r.now });
  r.takeOut();
  ticks(r, 1);
  assert.deepEqual(r.takeOut('other'), [F8]);
  assert.deepEqual(r.takeOut('synth'), []);
});

test('shutdown (releaseAll) sends Stop to the clock outputs when running', () => {
  const r = new Rig(config());
  r.send({ type: 'tempo-command', command: { kind: 'transport', command: 'start' }, source: 'cli', at: r.now });
  const out = r.engine.releaseAll();
  assert.ok(out.some((e) => e.type === 'midi-out' && e.output === 'synth' && e.bytes[0] === 0xfc));
  assert.ok(out.some((e) => e.type === 'clock-schedule' && !e.running));
});

test('plugins get tempo and song position in their context', () => {
  const r = new Rig({
    clock: {},
    modes: [{ name: 'A', mappings: [{ trigger: { type: 'Beat', division: '1/8' }, action: { type: 'Plugin', plugin: 'chord', action: 'step' } }] }],
  });
  r.send({ type: 'tempo-command', command: { kind: 'transport', command: 'start' }, source: 'cli', at: r.now });
  ticks(r, 37);
  const calls = r.takePluginCalls();
  assert.equal(calls.length, 4, 'ticks 0, 12, 24, 36');
  assert.deepEqual(calls[3]?.context.tempo, { bpm: 120, running: true, source: 'internal', locked: true, tick: 36, beat: 1, bar: 1, beat_in_bar: 2, beats_per_bar: 4 });
  assert.equal(calls[3]?.context.trigger, 'Beat');
});

// ------------------------------------------------------------ external clock

/** Plays `n` clock ticks from `device` at `bpm` with timestamps rounded to whole ms, as Date.now() gives them. */
function playClock(r: Rig, n: number, bpm: number, device = 'Drum Machine', start = r.now): void {
  const interval = 60_000 / (bpm * 24);
  for (let i = 0; i < n; i++) {
    r.now = Math.round(start + i * interval);
    r.midi(F8, device);
  }
  r.now = Math.round(start + n * interval);
}

const external = (extra: Record<string, unknown> = {}) => config({ source: 'external', input: 'drum', ...extra });

test('external clock: locks after a steady half beat and reports the tempo from ms timestamps to 0.1 BPM', () => {
  const r = new Rig(external());
  playClock(r, 12, 127.3);
  assert.equal(r.engine.snapshot().tempo.locked, false);
  playClock(r, 1, 127.3);
  const t = r.engine.snapshot().tempo;
  assert.equal(t.locked, true);
  assert.ok(Math.abs(t.bpm - 127.3) <= 0.2, `first estimate ${t.bpm}`);
  assert.ok(r.takeNotices().some((n) => n.code === 'clock_locked'));
  playClock(r, 96, 127.3);
  assert.equal(r.engine.snapshot().tempo.bpm, 127.3);
  for (const bpm of [60, 174.5, 300, 20]) {
    playClock(r, 96, bpm);
    assert.equal(r.engine.snapshot().tempo.bpm, bpm, `follows ${bpm}`);
  }
});

test('external clock: follows only the configured input; the internal clock cannot be started meanwhile', () => {
  const r = new Rig(external());
  playClock(r, 30, 100, 'Keystation');
  assert.equal(r.engine.snapshot().tempo.locked, false);
  hit(r, 41); // Clock toggle
  assert.deepEqual(r.takeOut('synth'), []);
  assert.ok(r.takeNotices().some((n) => n.code === 'clock_external'));
  hit(r, 43); // Tempo set
  assert.equal(r.engine.snapshot().tempo.bpm, 120);
});

test('external clock: Start/Stop/Continue and Song Position drive the song position and Beat triggers', () => {
  const r = new Rig(external());
  playClock(r, 24, 120);
  r.midi(FA, 'Drum Machine');
  assert.equal(r.engine.snapshot().tempo.running, true);
  playClock(r, 48, 120);
  assert.deepEqual(r.takeOut('beats').map((b) => b[2]), [1, 2]);
  assert.deepEqual(r.takeOut('bars').map((b) => b[2]), [1]);
  r.midi(FC, 'Drum Machine');
  playClock(r, 24, 120);
  assert.equal(r.engine.snapshot().tempo.tick, 47, 'stopped: ticks keep the tempo, not the position');
  r.midi([0xf2, 16, 0], 'Drum Machine'); // sixteenth 16 = bar 2
  r.midi(FB, 'Drum Machine');
  playClock(r, 1, 120);
  const t = r.engine.snapshot().tempo;
  assert.deepEqual([t.tick, t.bar, t.beat_in_bar], [96, 2, 1]);
  assert.deepEqual(r.takeOut('bars').map((b) => b[2]), [1]);
  assert.deepEqual(r.takeOut('synth'), [], 'no thru unless asked for');
});

test('external clock: thru passes the clock and transport on to the clock outputs', () => {
  const r = new Rig(external({ thru: true }));
  r.midi(FA, 'Drum Machine');
  playClock(r, 2, 120);
  r.midi(FC, 'Drum Machine');
  assert.deepEqual(r.takeOut('synth'), [FA, F8, F8, FC]);
});

test('external clock: losing the clock for 500 ms unlocks and stops, with a notice; it locks again when it returns', () => {
  const r = new Rig(external());
  r.midi(FA, 'Drum Machine');
  playClock(r, 30, 120);
  assert.equal(r.engine.snapshot().tempo.locked, true);
  r.takeNotices();
  r.advance(400);
  assert.equal(r.engine.snapshot().tempo.locked, true, 'a short gap is not a loss');
  r.advance(200);
  const t = r.engine.snapshot().tempo;
  assert.deepEqual([t.locked, t.running], [false, false]);
  assert.ok(r.takeNotices().some((n) => n.code === 'clock_lost'));
  playClock(r, 13, 90);
  assert.deepEqual([r.engine.snapshot().tempo.locked, r.engine.snapshot().tempo.bpm], [true, 90]);
});

test('external clock: a tempo jump restarts the fit instead of averaging two tempos', () => {
  const r = new Rig(external());
  playClock(r, 60, 60);
  playClock(r, 8, 180);
  assert.ok(Math.abs(r.engine.snapshot().tempo.bpm - 180) < 2, // 7 ms-rounded intervals; averaged with the old tempo it would read ~65
    `after a 3x jump: ${r.engine.snapshot().tempo.bpm}`);
});

test('external clock: arrival jitter (a late tick, the next right behind it) neither breaks the lock nor the tempo', () => {
  const r = new Rig(external());
  const interval = 60_000 / (100 * 24); // 25 ms
  const start = r.now;
  for (let i = 0; i < 120; i++) {
    // Every 7th tick arrives 20 ms late: interval 45 ms, then 5 ms (both "odd").
    r.now = Math.round(start + i * interval + (i % 7 === 3 ? 20 : 0));
    r.midi(F8, 'Drum Machine');
  }
  const t = r.engine.snapshot().tempo;
  assert.equal(t.locked, true);
  assert.ok(Math.abs(t.bpm - 100) <= 1, `read ${t.bpm}`);
});

test('switching the source stops the internal clock (FC) and starts following; switching back leaves it stopped', () => {
  const r = new Rig(config());
  r.send({ type: 'tempo-command', command: { kind: 'transport', command: 'start' }, source: 'menu', at: r.now });
  r.takeOut();
  const fx = r.send({ type: 'tempo-command', command: { kind: 'source', source: 'external' }, source: 'menu', at: r.now });
  assert.deepEqual(r.takeOut('synth'), [FC]);
  assert.deepEqual(schedules(fx), [{ type: 'clock-schedule', running: false, bpm: 120, restart: false }]);
  ticks(r, 3);
  assert.deepEqual(r.takeOut('synth'), [], 'stale internal ticks send nothing');
  playClock(r, 20, 100, 'Anything');
  assert.equal(r.engine.snapshot().tempo.bpm, 100, 'no input configured: any input');
  r.send({ type: 'tempo-command', command: { kind: 'source', source: 'internal' }, source: 'menu', at: r.now });
  assert.deepEqual([r.engine.snapshot().tempo.source, r.engine.snapshot().tempo.bpm, r.engine.snapshot().tempo.running], ['internal', 120, false]);
});

test('clock messages still pass through routes that want them', () => {
  const r = new Rig({ ...external(), routes: [{ name: 'thru', from: 'drum', to: 'synth2', types: ['clock'] }] });
  r.midi(F8, 'Drum Machine');
  assert.deepEqual(r.takeOut('synth2'), [F8]);
});

// ------------------------------------------------------------------ schema

test('bad tempo config gets clear messages', () => {
  const bad = (input: Record<string, unknown>) => {
    const res = engineConfigSchema.safeParse(input);
    assert.equal(res.success, false);
    return res.error?.issues.map((i) => `${i.path.join('.')}: ${i.message}`) ?? [];
  };
  assert.deepEqual(bad({ modes: [{ name: 'A' }], clock: { bpm: 12 } }), ['clock.bpm: bpm must be >= 20 BPM']);
  assert.deepEqual(bad({ modes: [{ name: 'A' }], clock: { bpm: 120.25 } }), ['clock.bpm: bpm has 0.1 BPM resolution (e.g. 120.5)']);
  assert.deepEqual(bad({ modes: [{ name: 'A', tempo: 301 }] }), ['modes.0.tempo: tempo must be <= 300 BPM']);
  assert.deepEqual(bad({ modes: [{ name: 'A', mappings: [{ trigger: { type: 'Beat' }, action: { type: 'Tempo', bpm: 100, tap: true } }] }] }), [
    'modes.0.mappings.0.action: a Tempo action needs exactly one of bpm (set), nudge (+/- BPM) or tap = true',
  ]);
  assert.deepEqual(bad({ modes: [{ name: 'A', mappings: [{ trigger: { type: 'Beat', division: '1/5' }, action: { type: 'Clock', command: 'go' } }] }] }).length, 2);
  assert.deepEqual(bad({ modes: [{ name: 'A' }], clock: { source: 'midi' } }).length, 1);
});
