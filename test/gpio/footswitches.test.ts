import { test } from 'node:test';
import assert from 'node:assert/strict';
import { fileURLToPath } from 'node:url';
import { OnoffFootswitches, type GpioLine } from '../../src/gpio/onoff-footswitches.js';
import { FakeFootswitches } from '../../src/gpio/fake-footswitches.js';
import { startFootswitches } from '../../src/gpio/create-footswitches.js';
import type { FootswitchEvent } from '../../src/gpio/footswitches.js';
import { silentLogger } from '../../src/log.js';
import { isMidimonError } from '../../src/errors.js';
import { ManualScheduler } from '../../src/gpio/manual-scheduler.js';

const tree = (name: string) => fileURLToPath(new URL(`../fixtures/sysfs/${name}/class/gpio`, import.meta.url));

class FakeLine implements GpioLine {
  cb: ((err: Error | null | undefined, v: 0 | 1) => void) | undefined;
  unexported = false;
  constructor(readonly number: number, readonly activeLow: boolean, public value: 0 | 1 = 0) {}
  readSync(): 0 | 1 { return this.value; }
  watch(cb: (err: Error | null | undefined, v: 0 | 1) => void): void { this.cb = cb; }
  unwatchAll(): void { this.cb = undefined; }
  unexport(): void { this.unexported = true; }
}

test('OnoffFootswitches exports BCM + chip base, feeds gestures, unexports on stop', async () => {
  const clock = new ManualScheduler();
  const lines: FakeLine[] = [];
  const fs = new OnoffFootswitches({
    pins: [{ name: 'left', pin: 17 }, { name: 'right', pin: 27, activeLow: false }],
    log: silentLogger(),
    scheduler: clock,
    sysfsGpio: tree('pi5-kernel-6.6'),
    gpioFactory: (n, al) => { const l = new FakeLine(n, al); lines.push(l); return l; },
  });
  const events: FootswitchEvent[] = [];
  fs.onEvent((e) => events.push(e));
  await fs.start();
  assert.deepEqual(lines.map((l) => [l.number, l.activeLow]), [[588, true], [598, false]]);
  lines[0]?.cb?.(null, 1);
  clock.advance(700);
  lines[0]?.cb?.(null, 0);
  assert.deepEqual(events.map((e) => `${e.switch}:${e.gesture}`), ['left:long', 'left:release']);
  await fs.stop();
  assert.ok(lines.every((l) => l.unexported && l.cb === undefined));
});

test('without /sys/class/gpio startFootswitches falls back to the scriptable fake and says why (the box reports it as degraded)', async () => {
  const clock = new ManualScheduler();
  const warnings: string[] = [];
  const log = silentLogger();
  log.warn = ((_obj: unknown, msg: string) => { warnings.push(msg); }) as typeof log.warn;
  const real = new OnoffFootswitches({ pins: [{ name: 'a', pin: 17 }], log, sysfsGpio: tree('absent') });
  await assert.rejects(real.start(), (e) => isMidimonError(e, 'device_unavailable'));
  const { footswitches, fake, unavailable } = await startFootswitches({ pins: [{ name: 'a', pin: 17 }], log, scheduler: clock, sysfsGpio: tree('absent') });
  assert.ok(fake instanceof FakeFootswitches);
  assert.equal(footswitches, fake);
  assert.match(unavailable ?? '', /is absent/);
  assert.equal(warnings.length, 0, 'the caller (DeviceHealth) logs it, at error level');
  const events: FootswitchEvent[] = [];
  footswitches.onEvent((e) => events.push(e));
  fake.press('a');
  clock.advance(50);
  fake.release('a');
  fake.hold('a', 1000, clock);
  clock.advance(1000);
  assert.deepEqual(events.map((e) => e.gesture), ['release', 'double', 'release']);
  assert.throws(() => fake.press('nope'), (e) => isMidimonError(e, 'not_found'));
  await footswitches.stop();
});

test('a pin that does not exist is a config error, not a silent fallback', async () => {
  await assert.rejects(
    startFootswitches({ pins: [{ name: 'a', pin: 60 }], log: silentLogger(), sysfsGpio: tree('pi4-kernel-6.6'), gpioFactory: (n, al) => new FakeLine(n, al) }),
    (e) => isMidimonError(e, 'config_invalid'),
  );
});

test('the adapter event is structurally the engine event (compile-time check)', () => {
  type EngineEvent = import('../../src/engine/inputs.js').FootswitchEvent;
  const fromAdapter: EngineEvent = { type: 'footswitch', switch: 'a', gesture: 'long', at: 1 } satisfies FootswitchEvent;
  const back: FootswitchEvent = fromAdapter;
  assert.equal(back.gesture, 'long');
});
