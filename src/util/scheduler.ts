/** Clock and timers, injected so every timing rule (gestures, trigger windows, polls) is tested with a fake clock (ManualScheduler). */
export interface Scheduler {
  /** Unix milliseconds (a fake clock in tests). */
  now(): number;
  setTimeout(fn: () => void, ms: number): unknown;
  clearTimeout(handle: unknown): void;
}

/** Looks the globals up on every call so test doubles that replace them (node:test mock.timers) still work. */
export const realScheduler: Scheduler = {
  now: () => Date.now(),
  setTimeout: (fn, ms) => globalThis.setTimeout(fn, ms),
  clearTimeout: (handle) => globalThis.clearTimeout(handle as ReturnType<typeof setTimeout>),
};
