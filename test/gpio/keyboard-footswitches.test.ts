import { test } from 'node:test';
import assert from 'node:assert/strict';
import { PassThrough } from 'node:stream';
import { FakeFootswitches } from '../../src/gpio/fake-footswitches.js';
import { KeyboardFootswitches } from '../../src/gpio/keyboard-footswitches.js';
import { ManualScheduler } from '../../src/gpio/manual-scheduler.js';
import type { FootswitchEvent } from '../../src/gpio/footswitches.js';

test('keys tap, shifted keys hold (long), two quick taps are a double', async () => {
  const clock = new ManualScheduler();
  const fake = new FakeFootswitches(['left', 'right'], {}, clock);
  await fake.start();
  const events: string[] = [];
  fake.onEvent((e: FootswitchEvent) => events.push(`${e.switch}:${e.gesture}`));
  const input = new PassThrough();
  const kb = new KeyboardFootswitches({ fake, keys: { a: 'left', s: 'right' }, input, scheduler: clock });
  kb.start();
  const type = async (t: string) => {
    input.write(t);
    await new Promise((r) => setImmediate(r));
  };
  await type('a');
  clock.advance(1000);
  await type('S');
  clock.advance(1000);
  await type('a');
  clock.advance(100);
  await type('a');
  clock.advance(1000);
  await type('x');
  kb.stop();
  assert.deepEqual(events, ['left:release', 'left:press', 'right:long', 'right:release', 'left:release', 'left:double', 'left:release']);
  assert.match(kb.describe(), /a=left \(A=hold\)/);
});
