import { test, beforeEach } from 'node:test';
import assert from 'node:assert/strict';
import { GestureDetector } from '../../src/gpio/gesture-detector.js';
import type { FootswitchEvent } from '../../src/gpio/footswitches.js';
import { ManualScheduler } from '../../src/gpio/manual-scheduler.js';

const timing = { debounceMs: 20, longPressMs: 600, doublePressMs: 300 };
let events: FootswitchEvent[];
let det: GestureDetector;
let clock: ManualScheduler;
const g = () => events.map((e) => `${e.gesture}@${e.at}`);

beforeEach(() => {
  clock = new ManualScheduler();
  events = [];
  det = new GestureDetector('A', (e) => events.push(e), timing, clock);
});

const tick = (ms: number) => clock.advance(ms);

test('a short press is reported once the double window has closed', () => {
  det.input(true);
  tick(100);
  det.input(false);
  assert.deepEqual(g(), ['release@100']);
  tick(299);
  assert.deepEqual(g(), ['release@100'], 'still could become a double');
  tick(1);
  assert.deepEqual(g(), ['release@100', 'press@400']);
  assert.equal(events[1]?.switch, 'A');
  assert.equal(events[1]?.type, 'footswitch');
});

test('a long press fires at the threshold and does not also fire a short press', () => {
  det.input(true);
  tick(599);
  assert.deepEqual(g(), []);
  tick(1);
  assert.deepEqual(g(), ['long@600']);
  tick(400);
  det.input(false);
  tick(1000);
  assert.deepEqual(g(), ['long@600', 'release@1000']);
});

test('two taps inside the window are one double, fired on the second press-down', () => {
  det.input(true);
  tick(80);
  det.input(false);
  tick(150);
  det.input(true);
  assert.deepEqual(g(), ['release@80', 'double@230']);
  tick(80);
  det.input(false);
  tick(1000);
  assert.deepEqual(g(), ['release@80', 'double@230', 'release@310'], 'no press and no long after a double');
});

test('a second press after the window is a new press', () => {
  det.input(true);
  tick(50);
  det.input(false);
  tick(350);
  det.input(true);
  tick(50);
  det.input(false);
  tick(300);
  assert.deepEqual(g(), ['release@50', 'press@350', 'release@450', 'press@750']);
});

test('bounces inside the debounce lockout are ignored', () => {
  det.input(true);
  tick(2);
  det.input(false);
  tick(2);
  det.input(true);
  tick(2);
  det.input(false);
  tick(2);
  det.input(true);
  tick(100);
  det.input(false);
  tick(3);
  det.input(true);
  tick(3);
  det.input(false);
  tick(400);
  assert.deepEqual(g(), ['release@108', 'press@408']);
});

test('a release that happened during the lockout is applied when it ends', () => {
  det.input(true);
  tick(5);
  det.input(false);
  tick(15);
  assert.deepEqual(g(), ['release@20']);
  tick(300);
  assert.deepEqual(g(), ['release@20', 'press@320']);
});

test('doublePressMs 0 reports a short press at release', () => {
  const out: FootswitchEvent[] = [];
  const d = new GestureDetector('B', (e) => out.push(e), { ...timing, doublePressMs: 0 }, clock);
  d.input(true);
  tick(100);
  d.input(false);
  assert.deepEqual(out.map((e) => e.gesture), ['release', 'press']);
});

test('reset cancels pending timers', () => {
  det.input(true);
  tick(100);
  det.input(false);
  det.reset();
  tick(2000);
  assert.equal(clock.pending, 0);
  assert.deepEqual(g(), ['release@100']);
});
