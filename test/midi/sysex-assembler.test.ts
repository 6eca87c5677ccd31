// Every layer a SysEx dump crosses on its way in and out: reassembly of what
// RtMidi hands over (chunks, a realtime byte appended mid-dump), the size limit
// while reassembling, the device manager's wiring, and the RtMidi output's
// spans for ALSA (checked against a model of alsa-lib's encoder).
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { SysexAssembler, describeProblem, type AssemblerProblem } from '../../src/midi/sysex-assembler.js';
import { FakeMidiBackend } from '../../src/midi/fake-midi-backend.js';
import { MidiDevices } from '../../src/midi/midi-devices.js';
import { ManualScheduler } from '../../src/gpio/manual-scheduler.js';
import { ALSA_SYSEX_SPAN, sendWhole } from '../../src/midi/rtmidi-backend.js';
import type { MidiInEvent } from '../../src/engine/inputs.js';
import { silentLogger } from '../../src/log.js';

function dump(n: number): number[] {
  const out = new Array<number>(n);
  out[0] = 0xf0;
  for (let i = 1; i < n - 1; i++) out[i] = (i * 13) & 0x7f;
  out[n - 1] = 0xf7;
  return out;
}

function run(chunks: number[][], max = 1 << 20): { messages: number[][]; problems: AssemblerProblem[] } {
  const a = new SysexAssembler(max);
  const messages: number[][] = [];
  const problems: AssemblerProblem[] = [];
  for (const c of chunks) a.feed(c, (m) => messages.push(m), (p) => problems.push(p));
  return { messages, problems };
}

const chunk = (bytes: number[], size: number) => {
  const out: number[][] = [];
  for (let i = 0; i < bytes.length; i += size) out.push(bytes.slice(i, i + size));
  return out;
};

test('whole messages pass untouched; a 64 KiB dump delivered in 256-byte chunks comes out whole and byte-exact', () => {
  const big = dump(65_536);
  const { messages, problems } = run([[0x90, 60, 100], ...chunk(big, 256), [0x80, 60, 0]]);
  assert.deepEqual(problems, []);
  assert.equal(messages.length, 3);
  assert.deepEqual(messages[1], big);
  assert.deepEqual(messages[2], [0x80, 60, 0]);
});

test('a clock byte RtMidi appended to a partial dump is delivered on its own, the dump stays whole', () => {
  const big = dump(1000);
  // RtMidi/ALSA: "F0 ..(first 256).. F8" in one callback, then the rest starting with data bytes.
  const { messages, problems } = run([[...big.slice(0, 256), 0xf8], big.slice(256, 700), [0xfe], big.slice(700)]);
  assert.deepEqual(problems, []);
  assert.deepEqual(messages, [[0xf8], [0xfe], big]);
});

test('a note interrupting a dump: the partial dump is dropped with a problem, the note is delivered, nothing is spliced', () => {
  const big = dump(600);
  const { messages, problems } = run([big.slice(0, 300), [0x90, 64, 90], big.slice(300)]);
  assert.deepEqual(messages, [[0x90, 64, 90]], 'no half dump and no dump tail glued to anything');
  assert.deepEqual(problems.map((p) => p.kind), ['interrupted', 'stray_data']);
  assert.match(describeProblem(problems[0] as AssemblerProblem, 'Editor'), /SysEx from "Editor" dropped: status byte 90 arrived after 300 bytes, before its F7/);
  // A new F0 before the F7 likewise.
  const again = run([big.slice(0, 10), dump(20)]);
  assert.deepEqual(again.messages, [dump(20)]);
  assert.deepEqual(again.problems.map((p) => p.kind), ['interrupted']);
});

test('over the limit while reassembling: buffering stops, the dump is dropped whole with one problem, the next one passes', () => {
  const big = dump(5000);
  const { messages, problems } = run([...chunk(big, 256), dump(100)], 4096);
  assert.deepEqual(messages, [dump(100)]);
  assert.equal(problems.length, 1);
  assert.equal(problems[0]?.kind, 'too_large');
  // A whole message over the limit is refused the same way.
  const whole = run([big], 4096);
  assert.deepEqual(whole.messages, []);
  assert.match(describeProblem(whole.problems[0] as AssemblerProblem, 'Editor'), /5000 bytes is over sysex.max_bytes = 4096 \(dropped whole, not truncated\)/);
  // Exactly at the limit passes.
  assert.deepEqual(run(chunk(dump(4096), 256), 4096).messages, [dump(4096)]);
});

test('MidiDevices reassembles per input, reports drops in its counter, and loses an unfinished dump on unplug with a problem', () => {
  const backend = new FakeMidiBackend();
  const scheduler = new ManualScheduler(1000);
  const messages: MidiInEvent[] = [];
  const midi = new MidiDevices({
    backend,
    scheduler,
    log: silentLogger(),
    inputs: [{ name: 'Editor' }, { name: 'Keys' }],
    outputs: [],
    pollIntervalMs: 1000,
    sysexMaxBytes: 2048,
    inputNeeds: () => ({ sysex: true, clock: false, activeSensing: false }),
    onMessage: (e) => messages.push(e),
    onDevice: () => undefined,
  });
  backend.addInput('Editor 20:0');
  backend.addInput('Keys 24:0');
  midi.start();
  const d = dump(1500);
  const parts = chunk(d, 256);
  backend.inject('Editor 20:0', parts[0] as number[]);
  backend.inject('Keys 24:0', [0x90, 60, 100]); // another port: no effect on Editor's open dump
  for (const p of parts.slice(1)) backend.inject('Editor 20:0', p);
  assert.deepEqual(messages.map((m) => [m.device, m.bytes.length]), [['Keys', 3], ['Editor', 1500]]);
  assert.deepEqual(messages[1]?.bytes, d);
  backend.inject('Editor 20:0', dump(3000));
  assert.equal(messages.length, 2, 'over sysexMaxBytes: dropped');
  assert.equal(midi.sysexProblems, 1);
  backend.inject('Editor 20:0', d.slice(0, 100));
  backend.removeInput('Editor 20:0');
  scheduler.advance(1000);
  assert.equal(midi.sysexProblems, 2, 'the unfinished dump is reported when its port goes');
  midi.stop();
});

/**
 * A model of what RtMidi 6 + alsa-lib do with one sendMessage call: the
 * encoder buffer grows to the largest call so far; a SysEx event is emitted
 * when the buffer fills or at F7; an event larger than the output pool
 * (~16 KB) is refused; a call that leaves the encoder mid-event is refused
 * ("incomplete message").
 */
class AlsaModel {
  bufsize = 32;
  read = 0;
  inSysex = false;
  readonly events: number[][] = [];
  readonly refused: string[] = [];
  sendMessage(msg: number[]): void {
    if (msg.length > this.bufsize) {
      this.bufsize = msg.length;
      this.read = 0;
      this.inSysex = false;
    }
    let ev: number[] = [];
    for (const b of msg) {
      if (b === 0xf0) this.inSysex = true;
      ev.push(b);
      this.read++;
      if (this.inSysex && (b === 0xf7 || this.read >= this.bufsize)) {
        if (ev.length > 16_000) this.refused.push(`event of ${ev.length} bytes`);
        else this.events.push(ev);
        ev = [];
        this.read = 0;
        if (b === 0xf7) this.inSysex = false;
      } else if (!this.inSysex && b < 0xf0 && b >= 0x80) {
        // channel messages: whole in one call here
      }
    }
    if (this.inSysex && ev.length > 0) this.refused.push('incomplete message');
    if (!this.inSysex && ev.length > 0) {
      this.events.push(ev);
      this.read = 0;
    }
  }
}

test('RtMidi output: a 64 KiB dump goes to ALSA as equal spans, one sequencer event each, and arrives byte-exact', () => {
  const naive = new AlsaModel();
  naive.sendMessage(dump(65_536));
  assert.deepEqual(naive.refused, ['event of 65536 bytes'], 'the model reproduces the one-call failure');

  const alsa = new AlsaModel();
  sendWhole(alsa, [0xb0, 7, 100]);
  sendWhole(alsa, dump(300)); // grows the encoder buffer past the default, as a real earlier dump would
  const big = dump(65_536);
  sendWhole(alsa, big);
  sendWhole(alsa, [0x90, 60, 1]);
  assert.deepEqual(alsa.refused, []);
  const events = alsa.events;
  assert.ok(events.every((e) => e.length <= ALSA_SYSEX_SPAN), 'no event larger than a span');
  const flat = events.flat();
  assert.deepEqual(flat, [0xb0, 7, 100, ...dump(300), ...big, 0x90, 60, 1], 'in order, byte-exact');
});
