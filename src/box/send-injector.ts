/**
 * `midimon send`: messages and footswitch gestures delivered as if a device
 * had produced them, with optional hold (release after N ms) and repeats,
 * timed by the box's scheduler (a fake clock in tests). Works the same on a
 * real box: injection happens at the engine's input, not in a fake backend.
 */
import type { SendRequest } from '../control/protocol.js';
import { MAX_SEND_DURATION_MS, type SendResult } from '../control/send-protocol.js';
import { splitMessages } from '../engine/midi-message.js';
import type { FootswitchEvent, FootswitchGesture, MidiInEvent } from '../engine/inputs.js';
import { MidimonError } from '../errors.js';
import type { Scheduler } from '../runtime/ports.js';

export interface SendTarget {
  resolveInput(name: string): { device: string; alias: string | undefined } | null;
  inputNames(): readonly string[];
  injectMidi(event: MidiInEvent): void;
  footswitchNames(): readonly string[];
  injectFootswitch(event: FootswitchEvent): void;
}

type Delivery = (at: number) => void;

const DEFAULT_GAP_MS = 100;

export class SendInjector {
  readonly #scheduler: Scheduler;
  readonly #target: SendTarget;
  readonly #pending = new Map<unknown, (err: MidimonError) => void>();

  constructor(options: { scheduler: Scheduler; target: SendTarget }) {
    this.#scheduler = options.scheduler;
    this.#target = options.target;
  }

  /** Validates everything first (nothing is sent for a bad request), then delivers; resolves after the last delivery. */
  send(req: SendRequest): Promise<SendResult> {
    const plan = this.#plan(req);
    const steps: Array<{ offset: number; deliver: Delivery }> = [];
    const repeat = req.repeat ?? 1;
    const hold = req.hold_ms;
    const interval = req.interval_ms ?? (hold ?? 0) + DEFAULT_GAP_MS;
    if (hold !== undefined && plan.release === null) throw new MidimonError('bad_request', '--hold needs something to release (a note, cc, bend, aftertouch or poly message)');
    if (hold !== undefined && repeat > 1 && interval < hold) throw new MidimonError('bad_request', `--interval ${interval} ms is shorter than --hold ${hold} ms: the next repeat would start before the release`);
    const duration = (repeat - 1) * interval + (hold ?? 0);
    if (duration > MAX_SEND_DURATION_MS) throw new MidimonError('bad_request', `this send would take ${duration} ms; the limit is ${MAX_SEND_DURATION_MS} ms`);
    for (let r = 0; r < repeat; r++) {
      steps.push({ offset: r * interval, deliver: plan.press });
      if (hold !== undefined && plan.release !== null) steps.push({ offset: r * interval + hold, deliver: plan.release });
    }
    // Stable sort: a release due at the same moment as the next press goes first.
    steps.sort((a, b) => a.offset - b.offset);
    const delivered = steps.length * plan.count;
    const start = this.#scheduler.now();
    return new Promise<SendResult>((resolve, reject) => {
      const run = (i: number) => {
        const step = steps[i];
        if (step === undefined) {
          resolve({ input: plan.input, ...(plan.alias === undefined ? {} : { alias: plan.alias }), delivered, duration_ms: this.#scheduler.now() - start });
          return;
        }
        const due = start + step.offset;
        const wait = due - this.#scheduler.now();
        if (wait <= 0) {
          step.deliver(this.#scheduler.now());
          run(i + 1);
          return;
        }
        const handle = this.#scheduler.setTimeout(() => {
          this.#pending.delete(handle);
          step.deliver(this.#scheduler.now());
          run(i + 1);
        }, wait);
        this.#pending.set(handle, reject);
      };
      run(0);
    });
  }

  /** The box is stopping: pending holds and repeats are cancelled (the engine releases held notes itself). */
  stop(): void {
    for (const [handle, reject] of this.#pending) {
      this.#scheduler.clearTimeout(handle);
      reject(new MidimonError('device_unavailable', 'the box stopped before the send finished'));
    }
    this.#pending.clear();
  }

  #plan(req: SendRequest): { input: string; alias: string | undefined; press: Delivery; release: Delivery | null; count: number } {
    if (req.gesture !== undefined) {
      if (req.messages !== undefined || req.release !== undefined) throw new MidimonError('bad_request', 'a send is either MIDI messages or a footswitch gesture, not both');
      const names = this.#target.footswitchNames();
      const name = names.find((n) => n.toLowerCase() === req.input.toLowerCase());
      if (name === undefined) {
        throw new MidimonError('not_found', `no footswitch named '${req.input}' (footswitches: ${names.join(', ') || 'none configured'})`, { details: { input: req.input } });
      }
      const gesture: FootswitchGesture = req.gesture;
      return { input: name, alias: undefined, press: (at) => this.#target.injectFootswitch({ type: 'footswitch', switch: name, gesture, at }), release: null, count: 1 };
    }
    if (req.messages === undefined) throw new MidimonError('bad_request', 'nothing to send: give MIDI messages or a footswitch gesture');
    const messages = req.messages.map((m, i) => checkMessage(m, `messages[${i}]`));
    const release = req.release?.map((m, i) => checkMessage(m, `release[${i}]`)) ?? null;
    const resolved = this.#target.resolveInput(req.input);
    if (resolved === null) {
      const names = this.#target.inputNames();
      throw new MidimonError('not_found', `no MIDI input named '${req.input}' (inputs: ${names.join(', ') || 'none configured'})`, { details: { input: req.input } });
    }
    const { device, alias } = resolved;
    const deliver = (list: readonly number[][]) => (at: number) => {
      for (const bytes of list) this.#target.injectMidi(alias === undefined ? { type: 'midi', device, bytes, at } : { type: 'midi', device, alias, bytes, at });
    };
    return { input: device, alias, press: deliver(messages), release: release === null ? null : deliver(release), count: messages.length };
  }
}

/** Exactly one whole MIDI message: a status byte, the right number of 7-bit data bytes, or F0 ... F7. */
export function checkMessage(bytes: readonly number[], where: string): number[] {
  if (bytes[0] === 0xf0 && bytes.slice(1, -1).some((b) => b > 0x7f)) {
    throw new MidimonError('bad_request', `${where}: a SysEx message may only hold data bytes 00-7F between F0 and F7`, { details: { field: where } });
  }
  const split = splitMessages(bytes);
  const hexed = bytes.slice(0, 12).map((b) => b.toString(16).padStart(2, '0')).join(' ');
  if (split === null || split.length !== 1) {
    throw new MidimonError('bad_request', `${where}: [${hexed}${bytes.length > 12 ? ' ...' : ''}] is not one whole MIDI message (a status byte 80-FF followed by its data bytes 00-7F)`, { details: { field: where } });
  }
  if (bytes[0] === 0xf7) throw new MidimonError('bad_request', `${where}: F7 ends a SysEx message; it cannot stand alone`, { details: { field: where } });
  return [...bytes];
}
