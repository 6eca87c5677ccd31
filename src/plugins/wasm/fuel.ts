import { MidimonError } from '../../errors.js';

/**
 * Host side of the fuel contract of an instrumented instance.
 *
 * Contract (see docs/fuel.md):
 * - Before each call into the instance, `set(budget)` writes the budget to the
 *   exported mutable i64 fuel global (and clears the grow-failed flag).
 * - Each metered function loads the global at entry, keeps the running count in
 *   a local, and writes it back before every call it makes (imports included),
 *   before `return`/branches out of the function, and at its end. So after a
 *   call into the instance *completes*, `remaining()` is exact and
 *   `budget - remaining()` is the fuel the call consumed under the cost model.
 * - Exhaustion is checked at function entry, loop headers and bulk operations;
 *   on exhaustion the code flushes the (negative) count and executes
 *   `unreachable`. So: a trap with `remaining() < 0` is out of fuel.
 *   Between checks a straight-line stretch may overdraw, so a call can also
 *   *complete* with `remaining() < 0` (wasmtime behaves the same); the host
 *   may treat that as out of fuel too.
 * - After any other trap the global holds the value of the last flush, not the
 *   exact count (the local died with the frame): consumed fuel is then only a
 *   lower bound, and the instance must be discarded (its state is also
 *   arbitrary after a trap in the middle of a function).
 * - `growFailed()` is true when a memory.grow returned -1 since the last
 *   `set()`: a trap after that is reported as 'memory_limit'.
 */
export class FuelControl {
  readonly #fuel: WebAssembly.Global;
  readonly #growFailed: WebAssembly.Global;

  constructor(fuel: WebAssembly.Global, growFailed: WebAssembly.Global) {
    this.#fuel = fuel;
    this.#growFailed = growFailed;
  }

  /** Looks up the two globals among an instance's exports (names from InstrumentedModule). */
  static fromExports(exports: WebAssembly.Exports, fuelGlobal: string, growFailedGlobal: string): FuelControl {
    const f = exports[fuelGlobal];
    const g = exports[growFailedGlobal];
    if (!(f instanceof WebAssembly.Global) || !(g instanceof WebAssembly.Global)) {
      throw new MidimonError('internal', `instance lacks the fuel globals "${fuelGlobal}" / "${growFailedGlobal}": was it instrumented?`);
    }
    return new FuelControl(f, g);
  }

  /** Sets the remaining fuel before a call and clears the grow-failed flag. */
  set(budget: bigint | number): void {
    this.#fuel.value = BigInt(budget);
    this.#growFailed.value = 0;
  }

  /** Remaining fuel as last flushed by the instance (exact after a completed call). */
  remaining(): bigint {
    return this.#fuel.value as bigint;
  }

  /** Fuel consumed since `set(budget)`; exact after a completed call. */
  consumed(budget: bigint | number): bigint {
    return BigInt(budget) - this.remaining();
  }

  /** True when the count went negative: after a trap, the trap was fuel exhaustion. */
  exhausted(): boolean {
    return this.remaining() < 0n;
  }

  growFailed(): boolean {
    return this.#growFailed.value === 1;
  }

  /** What a trap (an exception from a call into the instance) means under this contract. */
  classifyTrap(): 'out_of_fuel' | 'memory_limit' | 'trap' {
    if (this.exhausted()) return 'out_of_fuel';
    if (this.growFailed()) return 'memory_limit';
    return 'trap';
  }
}
