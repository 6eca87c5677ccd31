import { DEFAULT_GESTURE_TIMING, realScheduler, type FootswitchEvent, type GestureTiming, type Scheduler } from './footswitches.js';

type Emit = (event: FootswitchEvent) => void;

/**
 * Turns raw level changes of one switch into gestures. Debounce is
 * leading-edge with a lockout (the first edge counts at once, which is what a
 * player feels; bounces inside the lockout are ignored and the level is
 * re-checked when it ends). 'double' fires on the second press-down so it is
 * as quick as a single press; a short 'press' waits out the double window.
 */
export class GestureDetector {
  readonly #name: string;
  readonly #timing: GestureTiming;
  readonly #scheduler: Scheduler;
  readonly #emit: Emit;
  #raw = false;
  #accepted = false;
  #lockout: unknown = undefined;
  #longTimer: unknown = undefined;
  #doubleTimer: unknown = undefined;
  /** The current press already produced 'long' or 'double': its release adds no short press. */
  #consumed = false;
  /** A short press was released and waits for the double window to close. */
  #pendingShort = false;

  constructor(name: string, emit: Emit, timing: Partial<GestureTiming> = {}, scheduler: Scheduler = realScheduler) {
    this.#name = name;
    this.#emit = emit;
    this.#timing = { ...DEFAULT_GESTURE_TIMING, ...timing };
    this.#scheduler = scheduler;
  }

  /** Feed a raw level: true = pressed (after active-low inversion). */
  input(pressed: boolean): void {
    this.#raw = pressed;
    if (this.#lockout !== undefined || pressed === this.#accepted) return;
    this.#accept(pressed);
  }

  /** Cancels every timer; a pending short press is dropped (the box is shutting down). */
  reset(): void {
    for (const t of [this.#lockout, this.#longTimer, this.#doubleTimer]) if (t !== undefined) this.#scheduler.clearTimeout(t);
    this.#lockout = this.#longTimer = this.#doubleTimer = undefined;
    this.#pendingShort = this.#consumed = false;
    this.#accepted = this.#raw = false;
  }

  #accept(pressed: boolean): void {
    this.#accepted = pressed;
    this.#lockout = this.#scheduler.setTimeout(() => {
      this.#lockout = undefined;
      if (this.#raw !== this.#accepted) this.#accept(this.#raw);
    }, this.#timing.debounceMs);
    if (pressed) this.#down();
    else this.#up();
  }

  #down(): void {
    if (this.#pendingShort) {
      this.#pendingShort = false;
      this.#clear('double');
      this.#consumed = true;
      this.#fire('double');
      return;
    }
    this.#consumed = false;
    this.#longTimer = this.#scheduler.setTimeout(() => {
      this.#longTimer = undefined;
      this.#consumed = true;
      this.#fire('long');
    }, this.#timing.longPressMs);
  }

  #up(): void {
    this.#clear('long');
    this.#fire('release');
    if (this.#consumed) {
      this.#consumed = false;
      return;
    }
    if (this.#timing.doublePressMs <= 0) {
      this.#fire('press');
      return;
    }
    this.#pendingShort = true;
    this.#doubleTimer = this.#scheduler.setTimeout(() => {
      this.#doubleTimer = undefined;
      this.#pendingShort = false;
      this.#fire('press');
    }, this.#timing.doublePressMs);
  }

  #clear(which: 'long' | 'double'): void {
    const t = which === 'long' ? this.#longTimer : this.#doubleTimer;
    if (t !== undefined) this.#scheduler.clearTimeout(t);
    if (which === 'long') this.#longTimer = undefined;
    else this.#doubleTimer = undefined;
  }

  #fire(gesture: FootswitchEvent['gesture']): void {
    this.#emit({ type: 'footswitch', switch: this.#name, gesture, at: this.#scheduler.now() });
  }
}
