// `midimon send` in the box: validated before anything is delivered, holds and
// repeats timed by the box's clock (a manual one here), stopped cleanly.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { SendInjector, checkMessage, type SendTarget } from '../../src/box/send-injector.js';
import type { FootswitchEvent, MidiInEvent } from '../../src/engine/inputs.js';
import { ManualScheduler } from '../../src/gpio/manual-scheduler.js';
import { isMidimonError } from '../../src/errors.js';

function setup() {
  const clock = new ManualScheduler(1_000_000);
  const midi: Array<MidiInEvent> = [];
  const switches: Array<FootswitchEvent> = [];
  const target: SendTarget = {
    resolveInput: (name) => (name === 'keys' || name === 'Keystation' ? { device: 'Keystation', alias: 'keys' } : null),
    inputNames: () => ['keys', 'pads'],
    injectMidi: (e) => midi.push(e),
    footswitchNames: () => ['left', 'right'],
    injectFootswitch: (e) => switches.push(e),
  };
  return { clock, midi, switches, injector: new SendInjector({ scheduler: clock, target }) };
}

test('a message is delivered at once as the resolved device, with its alias', async () => {
  const { injector, midi } = setup();
  const r = await injector.send({ input: 'keys', messages: [[0xb0, 1, 64]] });
  assert.deepEqual(midi, [{ type: 'midi', device: 'Keystation', alias: 'keys', bytes: [0xb0, 1, 64], at: 1_000_000 }]);
  assert.deepEqual(r, { input: 'Keystation', alias: 'keys', delivered: 1, duration_ms: 0 });
});

test('--hold releases after the hold time by the box clock, and the answer waits for it', async () => {
  const { injector, midi, clock } = setup();
  let done = false;
  const pending = injector.send({ input: 'keys', messages: [[0x90, 60, 100]], release: [[0x80, 60, 0]], hold_ms: 500 }).then((r) => ((done = true), r));
  assert.equal(midi.length, 1);
  clock.advance(499);
  await Promise.resolve();
  assert.equal(midi.length, 1, 'not released early');
  assert.equal(done, false);
  clock.advance(1);
  const r = await pending;
  assert.deepEqual(midi.map((m) => [m.bytes, m.at - 1_000_000]), [[[0x90, 60, 100], 0], [[0x80, 60, 0], 500]]);
  assert.equal(r.delivered, 2);
  assert.equal(r.duration_ms, 500);
});

test('--repeat spaces repeats by --interval (default hold + 100 ms); a release due with the next press goes first', async () => {
  const { injector, midi, clock } = setup();
  const pending = injector.send({ input: 'keys', messages: [[0x90, 60, 100]], release: [[0x80, 60, 0]], hold_ms: 200, repeat: 3, interval_ms: 200 });
  clock.advance(1000);
  await pending;
  assert.deepEqual(
    midi.map((m) => `${m.at - 1_000_000}:${m.bytes[0]?.toString(16)}`),
    ['0:90', '200:80', '200:90', '400:80', '400:90', '600:80'],
  );
  const { injector: i2, midi: m2, clock: c2 } = setup();
  const p2 = i2.send({ input: 'keys', messages: [[0xc0, 5]], repeat: 2 });
  c2.advance(100);
  await p2;
  assert.deepEqual(m2.map((m) => m.at - 1_000_000), [0, 100]);
});

test('footswitch gestures go to the named switch (case-insensitive)', async () => {
  const { injector, switches } = setup();
  const r = await injector.send({ input: 'LEFT', gesture: 'long' });
  assert.deepEqual(switches, [{ type: 'footswitch', switch: 'left', gesture: 'long', at: 1_000_000 }]);
  assert.equal(r.input, 'left');
});

test('bad requests are refused whole, naming what is wrong, and nothing is delivered', async () => {
  const cases: Array<[Parameters<SendInjector['send']>[0], RegExp, string]> = [
    [{ input: 'nosuch', messages: [[0x90, 60, 100]] }, /no MIDI input named 'nosuch' \(inputs: keys, pads\)/, 'not_found'],
    [{ input: 'nosuch', gesture: 'press' }, /no footswitch named 'nosuch' \(footswitches: left, right\)/, 'not_found'],
    [{ input: 'keys', messages: [[0x90, 60]] }, /messages\[0\]: \[90 3c\] is not one whole MIDI message/, 'bad_request'],
    [{ input: 'keys', messages: [[0x41, 0x90]] }, /messages\[0\].*not one whole/, 'bad_request'],
    [{ input: 'keys', messages: [[0x90, 60, 100, 0x80, 60, 0]] }, /not one whole/, 'bad_request'],
    [{ input: 'keys', messages: [[0x90, 60, 200]] }, /not one whole/, 'bad_request'],
    [{ input: 'keys', messages: [[0xf0, 0x7e, 0x90, 0xf7]] }, /SysEx message may only hold data bytes/, 'bad_request'],
    [{ input: 'keys', messages: [[0xf0, 0x7e]] }, /not one whole/, 'bad_request'],
    [{ input: 'keys', messages: [[0x90, 60, 100]], release: [[0x80]] }, /release\[0\]/, 'bad_request'],
    [{ input: 'keys', messages: [[0xc0, 5]], hold_ms: 100 }, /--hold needs something to release/, 'bad_request'],
    [{ input: 'keys', messages: [[0x90, 60, 100]], release: [[0x80, 60, 0]], hold_ms: 300, repeat: 2, interval_ms: 100 }, /shorter than --hold/, 'bad_request'],
    [{ input: 'keys', messages: [[0xc0, 5]], repeat: 1000, interval_ms: 1000 }, /limit is 60000 ms/, 'bad_request'],
    [{ input: 'left', gesture: 'press', messages: [[0xc0, 1]] }, /not both/, 'bad_request'],
    [{ input: 'keys' }, /nothing to send/, 'bad_request'],
  ];
  for (const [req, message, kind] of cases) {
    const { injector, midi, switches } = setup();
    assert.throws(() => injector.send(req), (e: unknown) => isMidimonError(e) && e.kind === kind && message.test(e.message), JSON.stringify(req));
    assert.equal(midi.length + switches.length, 0, JSON.stringify(req));
  }
});

test('checkMessage accepts every whole message kind', () => {
  for (const m of [[0x90, 60, 1], [0x80, 60, 0], [0xa0, 60, 5], [0xb0, 1, 2], [0xc0, 5], [0xd0, 40], [0xe0, 0, 64], [0xf0, 0x7e, 0x7f, 0xf7], [0xf8], [0xfa], [0xf2, 1, 2]]) {
    assert.deepEqual(checkMessage(m, 'm'), m);
  }
  assert.throws(() => checkMessage([0xf7], 'm'), /not one whole|F7 ends/);
});

test('stop() cancels pending holds and rejects their sends', async () => {
  const { injector, midi, clock } = setup();
  const pending = injector.send({ input: 'keys', messages: [[0x90, 60, 100]], release: [[0x80, 60, 0]], hold_ms: 5000 });
  injector.stop();
  await assert.rejects(pending, /stopped before the send finished/);
  clock.advance(10_000);
  assert.equal(midi.length, 1, 'no release after stop');
});
