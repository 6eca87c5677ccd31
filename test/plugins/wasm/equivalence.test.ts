/**
 * Property: generated programs compute the same results before and after
 * instrumentation, and the optimised scheme charges exactly what the
 * per-operator reference charges (every operator its own segment).
 */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import fc from 'fast-check';
import { FuelControl } from '../../../src/plugins/wasm/fuel.js';
import { instrument, instrumentPerOperator } from '../../../src/plugins/wasm/instrument.js';
import type { InstrumentedModule } from '../../../src/plugins/wasm/types.js';
import { randomProgram } from './program-gen.js';
import { OPTS, wat } from './wat.js';

type Run = (a: number, b: number) => number;

function load(m: InstrumentedModule): { run: Run; fuel: FuelControl } {
  const inst = new WebAssembly.Instance(new WebAssembly.Module(m.bytes), {});
  return { run: inst.exports['run'] as Run, fuel: FuelControl.fromExports(inst.exports, m.fuelGlobal, m.growFailedGlobal) };
}

describe('instrumented programs are equivalent', () => {
  it('give the same results, and fuel equal to the per-operator reference (2500 random programs)', async () => {
    const PROGRAMS = 2500;
    // Inputs per program from fast-check (seeded: deterministic), edge values included.
    const inputs = fc.sample(fc.tuple(fc.integer(), fc.integer()), { numRuns: PROGRAMS, seed: 20261127 });
    let nonTrivial = 0;
    for (let seed = 1; seed <= PROGRAMS; seed++) {
      const bytes = await wat(randomProgram(seed));
      const [a, b] = inputs[seed - 1]!;
      const plain = new WebAssembly.Instance(new WebAssembly.Module(bytes), {}).exports['run'] as Run;
      const fast = load(instrument(bytes, OPTS));
      const ref = load(instrumentPerOperator(bytes, OPTS));
      const expected = plain(a, b);
      fast.fuel.set(1e9);
      ref.fuel.set(1e9);
      assert.equal(fast.run(a, b), expected, `seed ${seed}`);
      assert.equal(ref.run(a, b), expected, `seed ${seed}`);
      const used = fast.fuel.consumed(1e9);
      assert.equal(used, ref.fuel.consumed(1e9), `fuel of seed ${seed} (${a}, ${b})`);
      if (used > 20n) nonTrivial++;
    }
    assert.ok(nonTrivial > PROGRAMS / 2, `only ${nonTrivial} runs did real work`);
  });
});
