/**
 * The time source of the MIDI clock's tick scheduler: a monotonic clock with
 * sub-millisecond resolution (not the wall clock, which NTP may step), a
 * coarse timer and a "soon" callback (setImmediate: runs after pending I/O,
 * so polling for a deadline never starves MIDI input). The fake next to it
 * makes every tick time exact and repeatable in tests.
 */
import { performance } from 'node:perf_hooks';

export interface TickTimer {
  /** Monotonic milliseconds, fractional. */
  now(): number;
  setTimeout(fn: () => void, ms: number): unknown;
  clearTimeout(handle: unknown): void;
  setImmediate(fn: () => void): unknown;
  clearImmediate(handle: unknown): void;
}

export const realTickTimer: TickTimer = {
  now: () => performance.now(),
  setTimeout: (fn, ms) => globalThis.setTimeout(fn, ms),
  clearTimeout: (handle) => globalThis.clearTimeout(handle as ReturnType<typeof setTimeout>),
  setImmediate: (fn) => globalThis.setImmediate(fn),
  clearImmediate: (handle) => globalThis.clearImmediate(handle as ReturnType<typeof setImmediate>),
};

interface Pending {
  readonly id: number;
  readonly at: number;
  readonly fn: () => void;
}

export interface FakeTickTimerOptions {
  /** How late each timer fires (ms), e.g. random jitter to prove error never accumulates. Default 0. */
  readonly timerLateness?: () => number;
  /** Time one turn of the event loop takes (the gap between two setImmediate polls). Default 0.01 ms. */
  readonly immediateMs?: number;
}

/** Time moves only in `advance()`; callbacks run in time order with `now()` at their time. */
export class FakeTickTimer implements TickTimer {
  #now = 0;
  #nextId = 1;
  #pending: Pending[] = [];
  readonly #lateness: () => number;
  readonly #immediateMs: number;
  /** setTimeout calls and setImmediate polls so far (for CPU-cost assertions). */
  timeouts = 0;
  polls = 0;

  constructor(options: FakeTickTimerOptions = {}) {
    this.#lateness = options.timerLateness ?? (() => 0);
    this.#immediateMs = options.immediateMs ?? 0.01;
  }

  now(): number {
    return this.#now;
  }

  setTimeout(fn: () => void, ms: number): unknown {
    this.timeouts++;
    // Like Node: whole milliseconds, at least 1, then however late the loop is.
    return this.#add(this.#now + Math.max(1, Math.floor(ms)) + this.#lateness(), fn);
  }

  clearTimeout(handle: unknown): void {
    this.#pending = this.#pending.filter((p) => p.id !== handle);
  }

  setImmediate(fn: () => void): unknown {
    this.polls++;
    return this.#add(this.#now + this.#immediateMs, fn);
  }

  clearImmediate(handle: unknown): void {
    this.clearTimeout(handle);
  }

  /** Moves time forward by `ms`, running everything that falls due. */
  advance(ms: number): void {
    const end = this.#now + ms;
    for (;;) {
      let next: Pending | undefined;
      for (const p of this.#pending) if (p.at <= end && (next === undefined || p.at < next.at || (p.at === next.at && p.id < next.id))) next = p;
      if (next === undefined) break;
      this.#pending = this.#pending.filter((p) => p !== next);
      this.#now = Math.max(this.#now, next.at);
      next.fn();
    }
    this.#now = end;
  }

  /** The process was busy for `ms` (nothing ran meanwhile). */
  stall(ms: number): void {
    this.#now += ms;
  }

  get pending(): number {
    return this.#pending.length;
  }

  #add(at: number, fn: () => void): number {
    const id = this.#nextId++;
    this.#pending.push({ id, at, fn });
    return id;
  }
}
