/**
 * Times the internal MIDI clock. Tick n is due at anchor + (n - anchorIndex)
 * * interval, computed from a monotonic anchor each time (never by adding up
 * intervals or measuring from the last wake-up), so a late timer delays one
 * tick and the next is on time again: timer error never accumulates. A
 * coarse timer wakes `leadMs` before the deadline, then setImmediate polls
 * until it (each poll lets pending MIDI input run first). Ticks missed while
 * the process was busy go out at once in order, so receivers never lose
 * their place; after a stall longer than `maxBurst` ticks the schedule is
 * re-anchored instead (counted in `stats.resyncs`).
 */
import type { TickTimer } from './tick-timer.js';

export interface TickSchedulerOptions {
  readonly timer: TickTimer;
  /** Tick `index` (0 = the first after start) was due at `due` (monotonic ms). */
  readonly onTick: (index: number, due: number) => void;
  /** Wake this long before a deadline and poll the rest. 0: the timer alone. See docs/decisions.md. */
  readonly leadMs?: number;
  readonly maxBurst?: number;
}

export const DEFAULT_LEAD_MS = 2;
export const DEFAULT_MAX_BURST = 96;

export interface TickStats {
  readonly ticks: number;
  /** Ticks sent right behind another because their deadline had passed meanwhile. */
  readonly caughtUp: number;
  readonly resyncs: number;
}

export class TickScheduler {
  readonly #timer: TickTimer;
  readonly #onTick: (index: number, due: number) => void;
  readonly #leadMs: number;
  readonly #maxBurst: number;
  #running = false;
  #anchorTime = 0;
  #anchorIndex = 0;
  #interval = 0;
  #next = 0;
  #handle: unknown;
  #handleKind: 'timeout' | 'immediate' | null = null;
  /** Inside #wake: onTick may start/retime/stop re-entrantly; #wake arms once at its end. */
  #waking = false;
  #stats = { ticks: 0, caughtUp: 0, resyncs: 0 };

  constructor(options: TickSchedulerOptions) {
    this.#timer = options.timer;
    this.#onTick = options.onTick;
    this.#leadMs = Math.max(0, options.leadMs ?? DEFAULT_LEAD_MS);
    this.#maxBurst = Math.max(1, options.maxBurst ?? DEFAULT_MAX_BURST);
  }

  get running(): boolean {
    return this.#running;
  }

  get intervalMs(): number {
    return this.#interval;
  }

  get stats(): TickStats {
    return { ...this.#stats };
  }

  /** Tick 0 is due now, then one every `intervalMs`. */
  start(intervalMs: number): void {
    this.#cancel();
    this.#running = true;
    this.#interval = intervalMs;
    this.#anchorTime = this.#timer.now();
    this.#anchorIndex = 0;
    this.#next = 0;
    this.#arm();
  }

  /**
   * New tempo, same phase: the next tick comes one new interval after the
   * last tick's deadline (a tempo change mid-bar neither skips nor doubles a
   * tick). Not running: the same as start().
   */
  retime(intervalMs: number): void {
    if (!this.#running) {
      this.start(intervalMs);
      return;
    }
    if (this.#next > 0) {
      this.#anchorTime = this.#due(this.#next - 1);
      this.#anchorIndex = this.#next - 1;
    }
    this.#interval = intervalMs;
    this.#cancel();
    this.#arm();
  }

  stop(): void {
    this.#running = false;
    this.#cancel();
  }

  /** Deadline of tick `index` (monotonic ms). */
  dueOf(index: number): number {
    return this.#due(index);
  }

  #due(index: number): number {
    return this.#anchorTime + (index - this.#anchorIndex) * this.#interval;
  }

  #arm(): void {
    if (!this.#running || this.#waking) return;
    const wait = this.#due(this.#next) - this.#timer.now();
    if (wait - this.#leadMs >= 1) {
      // Node's timers are whole milliseconds and fire up to ~1 ms late: wake early, then poll.
      this.#handleKind = 'timeout';
      this.#handle = this.#timer.setTimeout(() => this.#wake(), Math.max(1, Math.floor(wait - this.#leadMs)));
    } else if (wait > 0 && this.#leadMs > 0) {
      this.#handleKind = 'immediate';
      this.#handle = this.#timer.setImmediate(() => this.#wake());
    } else if (wait > 0) {
      this.#handleKind = 'timeout';
      this.#handle = this.#timer.setTimeout(() => this.#wake(), 1);
    } else {
      this.#handleKind = 'immediate';
      this.#handle = this.#timer.setImmediate(() => this.#wake());
    }
  }

  #wake(): void {
    this.#handle = undefined;
    this.#handleKind = null;
    if (!this.#running) return;
    const now = this.#timer.now();
    if (this.#due(this.#next) > now) {
      this.#arm();
      return;
    }
    const behind = Math.floor((now - this.#due(this.#next)) / this.#interval) + 1;
    if (behind > this.#maxBurst) {
      // The process stalled for seconds (suspend, swap): a burst that long would be noise; restart the grid now.
      this.#stats.resyncs++;
      this.#anchorTime = now;
      this.#anchorIndex = this.#next;
    }
    let sent = 0;
    this.#waking = true;
    try {
      while (this.#running && this.#due(this.#next) <= now) {
        const index = this.#next++;
        this.#stats.ticks++;
        if (sent++ > 0) this.#stats.caughtUp++;
        this.#onTick(index, this.#due(index));
      }
    } finally {
      this.#waking = false;
    }
    this.#arm();
  }

  #cancel(): void {
    if (this.#handleKind === 'timeout') this.#timer.clearTimeout(this.#handle);
    else if (this.#handleKind === 'immediate') this.#timer.clearImmediate(this.#handle);
    this.#handle = undefined;
    this.#handleKind = null;
  }
}
