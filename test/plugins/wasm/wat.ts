/** Test helpers: compile WAT with the npm `wabt` package and run instrumented modules. */
import { FuelControl } from '../../../src/plugins/wasm/fuel.js';
import { DEFAULT_INITIAL_FUEL, instrument } from '../../../src/plugins/wasm/instrument.js';
import type { InstrumentOptions } from '../../../src/plugins/wasm/types.js';

type Wabt = Awaited<ReturnType<typeof import('wabt')>>;
let wabtPromise: Promise<Wabt> | undefined;

export const ALL_FEATURES = {
  bulk_memory: true, reference_types: true, multi_value: true, sign_extension: true, sat_float_to_int: true,
  tail_call: true,
} as const;

export async function wat(text: string, features: Record<string, boolean> = ALL_FEATURES): Promise<Uint8Array> {
  wabtPromise ??= import('wabt').then((m) => (m as unknown as { default: () => Promise<Wabt> }).default());
  const wabt = await wabtPromise;
  const mod = wabt.parseWat('fixture.wat', text, features);
  try {
    return new Uint8Array(mod.toBinary({}).buffer);
  } finally {
    mod.destroy();
  }
}

export const OPTS: InstrumentOptions = { maxMemoryPages: 16, growCostPerPage: 1000 };

export interface Metered {
  readonly exports: WebAssembly.Exports;
  readonly fuel: FuelControl;
  /** Calls export `name` with `budget` fuel; returns the result and the fuel consumed. */
  call(name: string, args: readonly (number | bigint)[], budget?: number): { result: unknown; consumed: number };
}

export function meter(bytes: Uint8Array, opts: InstrumentOptions = OPTS, imports: WebAssembly.Imports = {}): Metered & { startConsumed: number } {
  const m = instrument(bytes, opts);
  const instance = new WebAssembly.Instance(new WebAssembly.Module(m.bytes), imports);
  const fuel = FuelControl.fromExports(instance.exports, m.fuelGlobal, m.growFailedGlobal);
  return {
    exports: instance.exports,
    fuel,
    startConsumed: Number(fuel.consumed(opts.initialFuel ?? DEFAULT_INITIAL_FUEL)),
    call(name, args, budget = 1e12) {
      fuel.set(budget);
      const fn = instance.exports[name] as (...a: unknown[]) => unknown;
      const result = fn(...args);
      return { result, consumed: Number(fuel.consumed(budget)) };
    },
  };
}
