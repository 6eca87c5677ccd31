/**
 * The computer keyboard as the simulated box's controls: footswitches on
 * q/w/e/r (Shift = long hold, twice = double) and a small MIDI controller
 * (src/box/sim-instrument.ts) that plays as one of the configured inputs.
 * One data listener parses the terminal's input into keys, so escape
 * sequences (arrows, F-keys) never reach a footswitch or the piano.
 */
import type { Readable } from 'node:stream';
import type { FakeFootswitches } from '../gpio/fake-footswitches.js';
import { realScheduler, type Scheduler } from '../runtime/ports.js';
import {
  describeInstrument,
  INITIAL_INSTRUMENT,
  INSTRUMENT_LEGEND,
  instrumentAction,
  noteOff,
  reduceInstrument,
  splitKeys,
  type HeldNote,
  type InstrumentMessage,
  type InstrumentState,
} from './sim-instrument.js';

/** A simulated input port and the name people know it by (its alias). */
export interface SimInput {
  readonly port: string;
  readonly name: string;
}

/** What the keyboard drives: looked up on every key, so a reload or a restart of the box is followed. */
export interface SimKeyboardTarget {
  inputs(): readonly SimInput[];
  inject(port: string, bytes: readonly number[]): void;
  footswitchNames(): readonly string[];
  footswitches(): FakeFootswitches | null;
}

export type TtyInput = Readable & { isTTY?: boolean; setRawMode?: (raw: boolean) => unknown };

export interface SimKeyboardOptions {
  readonly target: SimKeyboardTarget;
  readonly input: TtyInput;
  readonly onInterrupt: () => void;
  /** The legend or the status line changed (redraw). */
  readonly onChange?: () => void;
  /** `?`: show the legend again. */
  readonly onHelp?: () => void;
  readonly scheduler?: Scheduler;
  /** How long a piano key sounds without sustain. Default 250 ms. */
  readonly noteMs?: number;
  readonly tapMs?: number;
  readonly holdMs?: number;
}

const SWITCH_KEYS = ['q', 'w', 'e', 'r'] as const;

export class SimulatedKeyboard {
  readonly #opts: SimKeyboardOptions;
  readonly #scheduler: Scheduler;
  readonly #onData = (chunk: Buffer | string) => this.handle(chunk.toString());
  readonly #pending = new Map<string, { note: HeldNote; timer: unknown }>();
  #state: InstrumentState = INITIAL_INSTRUMENT;
  #raw = false;

  constructor(options: SimKeyboardOptions) {
    this.#opts = options;
    this.#scheduler = options.scheduler ?? realScheduler;
  }

  start(): void {
    const input = this.#opts.input;
    if (input.isTTY === true && input.setRawMode !== undefined) {
      input.setRawMode(true);
      this.#raw = true;
    }
    input.on('data', this.#onData);
    input.resume();
  }

  /** Ends sounding notes (a note-off for each) and gives the terminal back. */
  stop(): void {
    const input = this.#opts.input;
    input.off('data', this.#onData);
    if (this.#raw) input.setRawMode?.(false);
    this.#raw = false;
    input.pause();
    for (const { note, timer } of this.#pending.values()) {
      this.#scheduler.clearTimeout(timer);
      this.#send([noteOff(note)]);
    }
    this.#pending.clear();
  }

  get state(): InstrumentState {
    return this.#state;
  }

  /** The input the keyboard (and the ALSA virtual input) plays as, or null without inputs. */
  playsAs(): SimInput | null {
    const inputs = this.#opts.target.inputs();
    return inputs.length === 0 ? null : (inputs[this.#state.device % inputs.length] ?? null);
  }

  /** Footswitch keys for the names configured right now. */
  switchKeys(): Array<[key: string, name: string]> {
    const names = this.#opts.target.footswitchNames();
    return SWITCH_KEYS.flatMap((k, i) => (names[i] === undefined ? [] : [[k, names[i]] as [string, string]]));
  }

  legend(): string[] {
    const switches = this.switchKeys().map(([k, n]) => `${k}=${n}`);
    return [
      `footswitches ${switches.length === 0 ? '(none configured)' : switches.join(' ')} (Shift = hold, twice = double)   ? = keys   Ctrl-C quits`,
      ...INSTRUMENT_LEGEND,
    ];
  }

  statusLine(): string {
    return describeInstrument(this.#state, this.playsAs()?.name);
  }

  /** Terminal input (public for tests and for anything else that types). */
  handle(text: string): void {
    let changed = false;
    for (const key of splitKeys(text)) {
      if (key === '\u0003') {
        this.#opts.onInterrupt();
        continue;
      }
      if (key === '?') {
        this.#opts.onHelp?.();
        continue;
      }
      if (this.#footswitch(key)) continue;
      const action = instrumentAction(key);
      if (action === undefined) continue;
      const result = reduceInstrument(this.#state, action, this.#opts.target.inputs().length);
      this.#state = result.state;
      if (result.release !== undefined) this.#endPending(result.release);
      this.#send(result.send);
      if (result.release !== undefined) this.#releaseLater(result.release);
      changed = true;
    }
    if (changed) this.#opts.onChange?.();
  }

  #footswitch(key: string): boolean {
    if (key.length !== 1) return false;
    const name = this.switchKeys().find(([k]) => k === key.toLowerCase())?.[1];
    if (name === undefined) return false;
    const long = key !== key.toLowerCase();
    this.#opts.target.footswitches()?.hold(name, long ? (this.#opts.holdMs ?? 800) : (this.#opts.tapMs ?? 60), this.#scheduler);
    return true;
  }

  #send(messages: readonly InstrumentMessage[]): void {
    const inputs = this.#opts.target.inputs();
    for (const m of messages) {
      const input = inputs[m.device];
      if (input !== undefined) this.#opts.target.inject(input.port, m.bytes);
    }
  }

  /** The same key again before its release: end the first note now, so on/off pairs never cross. */
  #endPending(note: HeldNote): void {
    const id = `${note.device}|${note.channel}|${note.note}`;
    const pending = this.#pending.get(id);
    if (pending === undefined) return;
    this.#scheduler.clearTimeout(pending.timer);
    this.#pending.delete(id);
    this.#send([noteOff(pending.note)]);
  }

  #releaseLater(note: HeldNote): void {
    const id = `${note.device}|${note.channel}|${note.note}`;
    const timer = this.#scheduler.setTimeout(() => {
      this.#pending.delete(id);
      this.#send([noteOff(note)]);
    }, this.#opts.noteMs ?? 250);
    this.#pending.set(id, { note, timer });
  }
}
