// The simulated controller on the computer keyboard: the pure instrument
// (velocity, octave, channel, device, mod wheel, bend, aftertouch, program,
// sustain that keeps keys down) and the keyboard that parses terminal input,
// presses footswitches and plays notes with a fixed length on a manual clock.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { PassThrough } from 'node:stream';
import { INITIAL_INSTRUMENT, instrumentAction, reduceInstrument, splitKeys, type InstrumentAction, type InstrumentState } from '../../src/box/sim-instrument.js';
import { SimulatedKeyboard, type SimInput } from '../../src/box/sim-keyboard.js';
import { FakeFootswitches } from '../../src/gpio/fake-footswitches.js';
import type { FootswitchEvent } from '../../src/gpio/footswitches.js';
import { ManualScheduler } from '../../src/gpio/manual-scheduler.js';

function play(keys: string, devices = 2, from: InstrumentState = INITIAL_INSTRUMENT): { state: InstrumentState; sent: string[] } {
  let state = from;
  const sent: string[] = [];
  for (const key of splitKeys(keys)) {
    const action = instrumentAction(key) as InstrumentAction;
    assert.ok(action, `key ${JSON.stringify(key)} does something`);
    const r = reduceInstrument(state, action, devices);
    state = r.state;
    for (const m of r.send) sent.push(`${m.device}:${m.bytes.map((b) => b.toString(16).padStart(2, '0')).join(' ')}`);
  }
  return { state, sent };
}

test('piano keys play C4..C5 at the current velocity, octave and channel', () => {
  assert.deepEqual(play('z,').sent, ['0:90 3c 64', '0:90 48 64']);
  assert.deepEqual(play(']z').sent, ['0:90 48 64'], 'octave up: C5');
  assert.deepEqual(play('[[z').sent, ['0:90 24 64'], 'two octaves down: C2');
  assert.deepEqual(play('--z').sent, ['0:90 3c 50'], 'velocity 100 - 2 x 10');
  assert.deepEqual(play('====z').sent, ['0:90 3c 7f'], 'velocity stops at 127');
  assert.deepEqual(play(`''z`).sent, ['0:92 3c 64'], 'channel 3');
  assert.deepEqual(play(';z').sent, ['0:9f 3c 64'], 'channel 1 - 1 wraps to 16');
  assert.equal(play('[[[[[[[[[[').state.octave, -5, 'octave bottoms out where C stays a MIDI note');
  assert.equal(play('-'.repeat(20)).state.velocity, 1, 'velocity never reaches 0 (that would be a note-off)');
});

test('Tab cycles the device the keyboard plays as; Shift-Tab goes back', () => {
  assert.deepEqual(play('\tz').sent, ['1:90 3c 64']);
  assert.deepEqual(play('\t\tz').sent, ['0:90 3c 64'], 'wraps around');
  assert.deepEqual(play('\u001b[Zz', 3).sent, ['2:90 3c 64']);
  assert.deepEqual(play('z', 0).sent, [], 'no inputs: nothing to play as');
});

test('mod wheel, pitch bend, aftertouch and program change send their messages', () => {
  assert.deepEqual(play('22221').sent, ['0:b0 01 10', '0:b0 01 20', '0:b0 01 30', '0:b0 01 40', '0:b0 01 30']);
  assert.deepEqual(play('2'.repeat(9)).sent.at(-1), '0:b0 01 7f', 'CC1 stops at 127');
  // -1024 -> 7168 = 0x1c00: LSB 0x00, MSB 0x38; centre is 8192 = 00 40.
  assert.deepEqual(play('345').sent, ['0:e0 00 38', '0:e0 00 40', '0:e0 00 40']);
  assert.equal(play('3'.repeat(20)).state.bend, -8192);
  assert.equal(play('4'.repeat(20)).state.bend, 8191);
  assert.deepEqual(play('776').sent, ['0:d0 10', '0:d0 20', '0:d0 10']);
  assert.deepEqual(play('998').sent, ['0:c0 01', '0:c0 02', '0:c0 01']);
  assert.deepEqual(play('8').sent, ['0:c0 7f'], 'program 0 - 1 wraps to 127');
  assert.deepEqual(play("'2").sent, ['0:b1 01 10'], 'on the current channel');
});

test('sustain sends CC64 and keeps keys down until it goes off; a held key pressed again is let go', () => {
  const down = play(' zc');
  assert.deepEqual(down.sent, ['0:b0 40 7f', '0:90 3c 64', '0:90 40 64']);
  assert.equal(down.state.latched.length, 2);
  // Device and channel change while the notes are held: their note-offs still go where the note-ons went.
  const up = play("\t' ", 2, down.state);
  assert.deepEqual(up.sent, ['0:b0 40 00', '0:80 3c 00', '0:80 40 00']);
  assert.equal(up.state.sustain, null);
  const one = play('z', 2, down.state);
  assert.deepEqual(one.sent, ['0:80 3c 00'], 'pressing a held key again releases just that note');
  assert.equal(one.state.latched.length, 1);
  const r = reduceInstrument(INITIAL_INSTRUMENT, { kind: 'note', key: 0 }, 1);
  assert.deepEqual(r.release, { device: 0, channel: 1, note: 60 }, 'without sustain a note is released later');
  assert.equal(reduceInstrument(down.state, { kind: 'note', key: 4 + 1 }, 1).release, undefined, 'with sustain it is not');
});

test('escape sequences are keys of their own: arrows and F-keys never play or press', () => {
  assert.deepEqual(splitKeys('a\u001b[Az\u001bOQ\u001b[15~,'), ['a', '\u001b[A', 'z', '\u001bOQ', '\u001b[15~', ',']);
  assert.deepEqual(splitKeys('\u001b'), ['\u001b']);
  for (const k of ['\u001b[A', '\u001b[C', '\u001bOQ', '\u001b[15~']) assert.equal(instrumentAction(k), undefined);
});

function rig() {
  const clock = new ManualScheduler();
  const fake = new FakeFootswitches(['left', 'right'], {}, clock);
  const inputs: SimInput[] = [
    { port: 'Keys:Keys MIDI 1 20:0', name: 'keys' },
    { port: 'Pads:Pads MIDI 1 21:0', name: 'pads' },
  ];
  const injected: string[] = [];
  const input = Object.assign(new PassThrough(), { isTTY: true, raw: false, setRawMode(this: { raw: boolean }, raw: boolean) { this.raw = raw; } });
  let interrupts = 0;
  let changes = 0;
  const kb = new SimulatedKeyboard({
    target: {
      inputs: () => inputs,
      inject: (port, bytes) => injected.push(`${port.split(':')[0]} ${bytes.join(' ')}`),
      footswitchNames: () => ['left', 'right'],
      footswitches: () => fake,
    },
    input,
    scheduler: clock,
    onInterrupt: () => interrupts++,
    onChange: () => changes++,
  });
  return { clock, fake, kb, injected, input, interrupts: () => interrupts, changes: () => changes };
}

test('keys: q/w tap, Q/W hold (long), two quick taps are a double; Ctrl-C interrupts', async () => {
  const { clock, fake, kb, input, interrupts } = rig();
  await fake.start();
  const events: string[] = [];
  fake.onEvent((e: FootswitchEvent) => events.push(`${e.switch}:${e.gesture}`));
  kb.start();
  assert.equal((input as unknown as { raw: boolean }).raw, true, 'raw mode: keys arrive one by one');
  const type = async (t: string) => {
    input.write(t);
    await new Promise((r) => setImmediate(r));
  };
  await type('q');
  clock.advance(1000);
  await type('W');
  clock.advance(1000);
  await type('q');
  clock.advance(100);
  await type('q');
  clock.advance(1000);
  await type('\u001bOQ'); // F2: must not be a long press of w's neighbour or of q
  clock.advance(1000);
  await type('\u0003');
  kb.stop();
  assert.equal((input as unknown as { raw: boolean }).raw, false, 'the terminal is given back');
  assert.deepEqual(events, ['left:release', 'left:press', 'right:long', 'right:release', 'left:release', 'left:double', 'left:release']);
  assert.equal(interrupts(), 1);
  assert.match(kb.legend()[0] ?? '', /q=left w=right/);
});

test('keyboard: notes end after the note length, a repeated key first ends the sounding note, Tab plays as the next input', () => {
  const { clock, kb, injected, changes } = rig();
  kb.handle('z');
  assert.deepEqual(injected, ['Keys 144 60 100']);
  clock.advance(100);
  kb.handle('z');
  assert.deepEqual(injected, ['Keys 144 60 100', 'Keys 128 60 0', 'Keys 144 60 100'], 'off before the second on');
  clock.advance(249);
  assert.equal(injected.length, 3);
  clock.advance(1);
  assert.deepEqual(injected.at(-1), 'Keys 128 60 0');
  kb.handle('\tx');
  assert.deepEqual(injected.at(-1), 'Pads 144 62 100');
  assert.equal(kb.playsAs()?.name, 'pads');
  assert.match(kb.statusLine(), /plays as pads ch1 \| C4-C5 vel 100/);
  assert.ok(changes() >= 3);
  // Stop ends what is still sounding, so quitting never leaves a stuck note.
  kb.stop();
  assert.deepEqual(injected.at(-1), 'Pads 128 62 0');
});
