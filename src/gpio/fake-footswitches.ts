import { MidimonError } from '../errors.js';
import { SwitchBank } from './switch-bank.js';
import { realScheduler, type FootswitchListener, type Footswitches, type GestureTiming, type Scheduler } from './footswitches.js';

/**
 * Scriptable footswitches for the simulated box (keyboard keys) and tests.
 * Raw levels go through the same gesture detector as the real pins, so a
 * simulated long press behaves exactly like a real one.
 */
export class FakeFootswitches implements Footswitches {
  readonly names: readonly string[];
  readonly #bank: SwitchBank;
  #started = false;

  constructor(names: readonly string[], timing: Partial<GestureTiming> = {}, scheduler: Scheduler = realScheduler) {
    this.names = [...names];
    this.#bank = new SwitchBank(names, timing, scheduler);
  }

  async start(): Promise<void> {
    this.#started = true;
  }

  async stop(): Promise<void> {
    this.#started = false;
    this.#bank.reset();
  }

  onEvent(listener: FootswitchListener): () => void {
    return this.#bank.onEvent(listener);
  }

  /** Raw level down (like a foot landing). */
  press(name: string): void {
    this.#level(name, true);
  }

  /** Raw level up. */
  release(name: string): void {
    this.#level(name, false);
  }

  /** Down now, up after `ms` (on the injected scheduler's timers). */
  hold(name: string, ms: number, scheduler: Scheduler = realScheduler): void {
    this.press(name);
    scheduler.setTimeout(() => this.release(name), ms);
  }

  #level(name: string, pressed: boolean): void {
    if (!this.#bank.has(name)) throw new MidimonError('not_found', `no footswitch named '${name}'`, { details: { names: this.names } });
    if (this.#started) this.#bank.level(name, pressed);
  }
}
