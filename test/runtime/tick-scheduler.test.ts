// The MIDI clock's tick timing under a fake monotonic clock: exact deadlines
// at several tempos, no accumulated error from late timers, tempo changes
// mid-bar keep the phase, busy-loop catch-up, and the loop around the engine
// keeping its tick grid through config reloads and mode changes.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { ManualScheduler } from '../../src/gpio/manual-scheduler.js';
import { silentLogger } from '../../src/log.js';
import { EngineLoop } from '../../src/runtime/engine-loop.js';
import { TickScheduler } from '../../src/runtime/tick-scheduler.js';
import { FakeTickTimer } from '../../src/runtime/tick-timer.js';
import { tickIntervalMs } from '../../src/engine/tempo.js';
import { parseConfig } from '../engine/rig.js';

interface Fired {
  readonly index: number;
  readonly due: number;
  readonly at: number;
}

function rig(options: { lateness?: () => number; leadMs?: number; maxBurst?: number; immediateMs?: number } = {}) {
  const timer = new FakeTickTimer({ ...(options.lateness ? { timerLateness: options.lateness } : {}), ...(options.immediateMs === undefined ? {} : { immediateMs: options.immediateMs }) });
  const fired: Fired[] = [];
  const ticks = new TickScheduler({
    timer,
    onTick: (index, due) => fired.push({ index, due, at: timer.now() }),
    ...(options.leadMs === undefined ? {} : { leadMs: options.leadMs }),
    ...(options.maxBurst === undefined ? {} : { maxBurst: options.maxBurst }),
  });
  return { timer, fired, ticks };
}

/** A seeded PRNG so "random" timer lateness is repeatable. */
function lcg(seed: number): () => number {
  let s = seed >>> 0;
  return () => {
    s = (Math.imul(s, 1664525) + 1013904223) >>> 0;
    return s / 2 ** 32;
  };
}

for (const bpm of [20, 90.5, 120, 133.3, 300]) {
  test(`${bpm} BPM: every tick goes out at its deadline (start + n * interval), within one event-loop turn`, () => {
    const { timer, fired, ticks } = rig();
    timer.advance(5.25); // an arbitrary start time
    const start = timer.now();
    const interval = tickIntervalMs(bpm);
    ticks.start(interval);
    timer.advance(60_000 + 1); // one minute (and the event-loop turn the last tick needs)
    assert.equal(fired.length, Math.floor(60_000 / interval + 1e-9) + 1, 'exactly bpm * 24 ticks a minute, plus tick 0');
    for (const f of fired) {
      const due = start + f.index * interval;
      assert.ok(Math.abs(f.due - due) < 1e-6, `tick ${f.index} due ${f.due} != ${due}`);
      assert.ok(f.at >= f.due && f.at - f.due <= 0.01 + 1e-9, `tick ${f.index} went out ${f.at - f.due} ms after its deadline`);
    }
    assert.deepEqual(fired.map((f) => f.index), fired.map((_, i) => i));
  });
}

test('late timers (0-3 ms, random) delay single ticks but never accumulate: tick n is still due at start + n * interval', () => {
  const random = lcg(42);
  const { timer, fired, ticks } = rig({ lateness: () => random() * 3 });
  const interval = tickIntervalMs(120);
  ticks.start(interval);
  timer.advance(10 * 60_000 + 5); // ten minutes
  const last = fired[fired.length - 1] as Fired;
  assert.equal(last.index, 28_800 - 1 + 1, '120 BPM * 24 * 10 min, plus tick 0');
  assert.ok(Math.abs(last.due - 10 * 60_000) < 1e-6, `drift after 10 min: ${last.due - 10 * 60_000} ms`);
  const worst = Math.max(...fired.map((f) => f.at - f.due));
  // The timer wakes 2 ms early: up to 1 ms of its 3 ms lateness can show.
  assert.ok(worst <= 1.01, `worst tick ${worst} ms late`);
  assert.ok(fired.filter((f) => f.at - f.due > 0.011).length > 0, 'the injected lateness did reach some ticks');
});

test('without the early wake-up (lead 0) the timer alone is late by its lateness, and still does not drift', () => {
  const random = lcg(7);
  const { timer, fired, ticks } = rig({ lateness: () => random() * 3, leadMs: 0 });
  const interval = tickIntervalMs(120);
  ticks.start(interval);
  timer.advance(60_000 + 5);
  const last = fired[fired.length - 1] as Fired;
  assert.equal(last.index, 2880);
  assert.ok(Math.abs(last.due - 60_000) < 1e-6);
  assert.ok(Math.max(...fired.map((f) => f.at - f.due)) > 1, 'whole-ms timers plus lateness show as jitter');
});

test('a tempo change mid-bar: the next tick is one new interval after the last tick, counting carries on', () => {
  const { timer, fired, ticks } = rig();
  const a = tickIntervalMs(120);
  const b = tickIntervalMs(90);
  ticks.start(a);
  timer.advance(30 * a + a / 2); // ticks 0..30 out, halfway to 31
  assert.equal(fired.length, 31);
  ticks.retime(b);
  timer.advance(10 * b);
  const after = fired.slice(31);
  assert.equal(after[0]?.index, 31);
  after.forEach((f, i) => assert.ok(Math.abs(f.due - (30 * a + (i + 1) * b)) < 1e-6, `tick ${f.index}`));
});

test('a busy event loop: missed ticks go out at once and in order, and the grid is kept', () => {
  const { timer, fired, ticks } = rig();
  const interval = tickIntervalMs(120);
  ticks.start(interval);
  timer.advance(100);
  timer.stall(150); // a 150 ms stall: 7 deadlines pass
  timer.advance(100);
  assert.deepEqual(fired.map((f) => f.index), fired.map((_, i) => i));
  assert.ok(ticks.stats.caughtUp >= 6);
  assert.equal(ticks.stats.resyncs, 0);
  for (const f of fired) assert.ok(Math.abs(f.due - f.index * interval) < 1e-6);
});

test('a stall longer than maxBurst ticks re-anchors instead of sending a burst', () => {
  const { timer, fired, ticks } = rig({ maxBurst: 24 });
  ticks.start(tickIntervalMs(120));
  timer.advance(50);
  const before = fired.length;
  timer.stall(5000);
  timer.advance(1);
  assert.equal(ticks.stats.resyncs, 1);
  assert.ok(fired.length - before <= 2, `burst of ${fired.length - before}`);
});

test('stop from inside a tick (a Beat mapping stopping the clock) ends the ticks without a stray wake-up', () => {
  const timer = new FakeTickTimer();
  let n = 0;
  const ticks: TickScheduler = new TickScheduler({
    timer,
    onTick: () => {
      if (++n === 5) ticks.stop();
    },
  });
  ticks.start(tickIntervalMs(120));
  timer.advance(1000);
  assert.equal(n, 5);
  assert.equal(timer.pending, 0);
});

test('the poll phase costs about lead / interval of the loop: with lead 2 ms at 120 BPM, ~1 timer and a bounded number of polls per tick', () => {
  const { timer, ticks } = rig({ immediateMs: 0.05 });
  ticks.start(tickIntervalMs(120));
  timer.advance(10_000);
  const n = ticks.stats.ticks;
  assert.ok(timer.timeouts <= n + 1, `${timer.timeouts} timers for ${n} ticks`);
  // Whole-ms timers: the poll window is 2-3 ms, at 0.05 ms per turn at most ~60 polls.
  assert.ok(timer.polls / n <= 61, `${timer.polls / n} polls per tick`);
});

// ------------------------------------------------- the loop around the engine

function loopRig(config: Record<string, unknown>) {
  const scheduler = new ManualScheduler(1_700_000_000_000);
  const timer = new FakeTickTimer();
  const sent: Array<{ output: string; bytes: readonly number[]; at: number }> = [];
  const loop = new EngineLoop({
    config: parseConfig(config),
    scheduler,
    tickTimer: timer,
    midi: { send: (output, bytes) => (sent.push({ output, bytes, at: timer.now() }), 1) },
    log: silentLogger(),
  });
  loop.start();
  return { scheduler, timer, sent, loop, clocks: () => sent.filter((s) => s.bytes[0] === 0xf8) };
}

const CLOCK_CONFIG = {
  clock: { outputs: ['synth'], bpm: 120 },
  modes: [{ name: 'A' }, { name: 'B', tempo: 120 }, { name: 'C', tempo: 150 }],
};

test('EngineLoop: F8 leaves at each deadline; config reloads and mode changes do not disturb the tick grid', () => {
  const { timer, loop, clocks } = loopRig(CLOCK_CONFIG);
  timer.advance(3.3);
  const start = timer.now();
  loop.tempoCommand({ kind: 'transport', command: 'start' }, 'cli');
  const interval = tickIntervalMs(120);
  timer.advance(1000);
  loop.replaceConfig(parseConfig({ ...CLOCK_CONFIG, timing: { long_press_ms: 900 } }));
  timer.advance(1000);
  loop.setMode('B', 'cli'); // same tempo: no re-time
  timer.advance(1000.5);
  const ticks = clocks();
  assert.equal(ticks.length, Math.floor(3000 / interval) + 1);
  ticks.forEach((t, i) => assert.ok(t.at - (start + i * interval) >= 0 && t.at - (start + i * interval) <= 0.011, `tick ${i} at +${t.at - (start + i * interval)} ms`));
  assert.equal(loop.tempo()?.tick, ticks.length - 1);
});

test('EngineLoop: a mode with another tempo re-times from the last tick; Stop sends FC and no more F8', () => {
  const { timer, loop, clocks, sent } = loopRig(CLOCK_CONFIG);
  loop.tempoCommand({ kind: 'transport', command: 'start' }, 'cli');
  const a = tickIntervalMs(120);
  timer.advance(10 * a + 1); // ticks 0..10
  loop.setMode('C', 'cli'); // 150 BPM
  const b = tickIntervalMs(150);
  timer.advance(10 * b);
  const ticks = clocks();
  assert.equal(ticks.length, 21);
  ticks.slice(11).forEach((t, i) => assert.ok(Math.abs(t.at - (10 * a + (i + 1) * b)) <= 0.011, `tick ${11 + i}`));
  loop.tempoCommand({ kind: 'transport', command: 'stop' }, 'cli');
  const n = clocks().length;
  timer.advance(1000);
  assert.equal(clocks().length, n);
  assert.deepEqual(sent[sent.length - 1]?.bytes, [0xfc]);
  assert.equal(timer.pending, 0, 'no timer left behind');
});

test('EngineLoop.stop() sends Stop and leaves no tick timer', () => {
  const { timer, loop, sent } = loopRig(CLOCK_CONFIG);
  loop.tempoCommand({ kind: 'transport', command: 'start' }, 'cli');
  timer.advance(100);
  loop.stop();
  assert.deepEqual(sent[sent.length - 1]?.bytes, [0xfc]);
  assert.equal(timer.pending, 0);
});

test('EngineLoop.inputNeeds: clock is delivered from the followed input (and any input when none is named)', () => {
  const named = loopRig({ ...CLOCK_CONFIG, clock: { source: 'internal', input: 'drum' } });
  assert.equal(named.loop.inputNeeds('Drum Machine').clock, true, 'a configured input stays deliverable for a menu switch');
  assert.equal(named.loop.inputNeeds('Keystation').clock, false);
  const any = loopRig({ ...CLOCK_CONFIG, clock: { source: 'external' } });
  assert.equal(any.loop.inputNeeds('Keystation').clock, true);
  const none = loopRig(CLOCK_CONFIG);
  assert.equal(none.loop.inputNeeds('Keystation').clock, false);
});
