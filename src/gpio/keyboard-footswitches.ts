import type { Readable } from 'node:stream';
import { realScheduler, type Scheduler } from './footswitches.js';
import type { FakeFootswitches } from './fake-footswitches.js';

export interface KeyboardFootswitchesOptions {
  readonly fake: FakeFootswitches;
  /** Lower-case key -> switch name, e.g. { a: 'left', s: 'right' }. */
  readonly keys: Readonly<Record<string, string>>;
  /** Default process.stdin. */
  readonly input?: Readable & { isTTY?: boolean; setRawMode?: (raw: boolean) => unknown };
  readonly scheduler?: Scheduler;
  /** How long a tap holds the switch down. Default 60 ms. */
  readonly tapMs?: number;
  /** How long an upper-case key holds it (a long press). Default 800 ms. */
  readonly holdMs?: number;
  /** Called for Ctrl-C, since raw mode swallows SIGINT. */
  readonly onInterrupt?: () => void;
}

/**
 * Drives the simulated box's footswitches from a terminal. Terminals report
 * key presses but no releases, so a key is a tap (down, up after tapMs) and
 * the same key in upper case (Shift) is a long hold; two quick taps are a double.
 */
export class KeyboardFootswitches {
  readonly #opts: KeyboardFootswitchesOptions;
  readonly #onData = (chunk: Buffer | string) => this.#key(chunk.toString());
  #input: KeyboardFootswitchesOptions['input'];
  #wasRaw = false;

  constructor(opts: KeyboardFootswitchesOptions) {
    this.#opts = opts;
  }

  start(): void {
    const input = this.#opts.input ?? (process.stdin as KeyboardFootswitchesOptions['input']);
    this.#input = input;
    if (input === undefined) return;
    if (input.isTTY === true && input.setRawMode !== undefined) {
      input.setRawMode(true);
      this.#wasRaw = true;
    }
    input.on('data', this.#onData);
    input.resume();
  }

  stop(): void {
    const input = this.#input;
    if (input === undefined) return;
    input.off('data', this.#onData);
    if (this.#wasRaw) input.setRawMode?.(false);
    input.pause();
    this.#input = undefined;
  }

  /** Help text for the simulated box's banner line. */
  describe(): string {
    return Object.entries(this.#opts.keys)
      .map(([k, name]) => `${k}=${name} (${k.toUpperCase()}=hold)`)
      .join(', ');
  }

  #key(text: string): void {
    const scheduler = this.#opts.scheduler ?? realScheduler;
    for (const ch of text) {
      if (ch === '\u0003') {
        this.#opts.onInterrupt?.();
        continue;
      }
      const name = this.#opts.keys[ch.toLowerCase()];
      if (name === undefined) continue;
      const long = ch !== ch.toLowerCase();
      this.#opts.fake.hold(name, long ? (this.#opts.holdMs ?? 800) : (this.#opts.tapMs ?? 60), scheduler);
    }
  }
}
