/** Exhaustion, the memory cap and the refusals of instrument(). */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { isMidimonError } from '../../../src/errors.js';
import { instrument } from '../../../src/plugins/wasm/instrument.js';
import { FuelControl } from '../../../src/plugins/wasm/fuel.js';
import { ALL_FEATURES, meter, OPTS, wat } from './wat.js';

function trapsOutOfFuel(m: ReturnType<typeof meter>, fn: string, args: readonly (number | bigint)[], budget: number): bigint {
  assert.throws(() => m.call(fn, args, budget), WebAssembly.RuntimeError);
  assert.equal(m.fuel.classifyTrap(), 'out_of_fuel');
  return m.fuel.remaining();
}

describe('fuel exhaustion', () => {
  it('stops an infinite loop', async () => {
    const m = meter(await wat('(module (func (export "spin") (loop $l (br $l))))'));
    const left = trapsOutOfFuel(m, 'spin', [], 10_000);
    assert.ok(left < 0n && left > -10n, `overdraw ${left}`);
  });

  it('stops an exponential call tree without loops', async () => {
    const t = `(module (func $fib (export "fib") (param i32) (result i32)
      (if (result i32) (i32.lt_u (local.get 0) (i32.const 2)) (then (local.get 0))
        (else (i32.add (call $fib (i32.sub (local.get 0) (i32.const 1)))
                       (call $fib (i32.sub (local.get 0) (i32.const 2))))))))`;
    const m = meter(await wat(t));
    const left = trapsOutOfFuel(m, 'fib', [60], 50_000);
    assert.ok(left < 0n && left > -20n, `overdraw ${left}`);
    // The same instance type computes small inputs exactly when fuel suffices.
    const fresh = meter(await wat(t));
    assert.equal(fresh.call('fib', [10]).result, 55);
  });

  it('stops a huge memory.fill before it runs', async () => {
    const t = `(module (memory 16) (func (export "fill")
      (memory.fill (i32.const 0) (i32.const 1) (i32.const 1000000))))`;
    const m = meter(await wat(t));
    trapsOutOfFuel(m, 'fill', [], 1000);
    const mem = await wat(`(module (memory (export "memory") 16) (func (export "fill")
      (memory.fill (i32.const 0) (i32.const 1) (i32.const 1000000))))`);
    const m2 = meter(mem);
    assert.throws(() => m2.call('fill', [], 1000), WebAssembly.RuntimeError);
    const bytes = new Uint8Array((m2.exports['memory'] as WebAssembly.Memory).buffer);
    assert.equal(bytes[0], 0, 'the fill must not have run');
  });

  it('stops an infinite loop in a start function', async () => {
    const t = '(module (func $s (loop $l (br $l))) (start $s))';
    const bytes = await wat(t);
    const m = instrument(bytes, { ...OPTS, initialFuel: 1000 });
    assert.throws(() => new WebAssembly.Instance(new WebAssembly.Module(m.bytes), {}), WebAssembly.RuntimeError);
    const d = instrument(bytes, { ...OPTS, deferStart: true });
    const inst = new WebAssembly.Instance(new WebAssembly.Module(d.bytes), {});
    const fuel = FuelControl.fromExports(inst.exports, d.fuelGlobal, d.growFailedGlobal);
    fuel.set(1000);
    assert.throws(() => (inst.exports[d.startExport!] as () => void)(), WebAssembly.RuntimeError);
    assert.equal(fuel.classifyTrap(), 'out_of_fuel');
  });

  it('does not report other traps as out of fuel', async () => {
    const m = meter(await wat('(module (func (export "f") (result i32) (i32.div_u (i32.const 1) (i32.const 0))))'));
    assert.throws(() => m.call('f', [], 100), WebAssembly.RuntimeError);
    assert.equal(m.fuel.classifyTrap(), 'trap');
  });
});

describe('memory cap', () => {
  const grower = `(module (memory (export "memory") 1)
    (func (export "grow") (param i32) (result i32) (memory.grow (local.get 0)))
    (func (export "boom") (param i32) (if (i32.eq (memory.grow (local.get 0)) (i32.const -1)) (then unreachable))))`;

  it('makes memory.grow past the cap return -1 and sets the grow-failed flag', async () => {
    const m = meter(await wat(grower), { maxMemoryPages: 4, growCostPerPage: 0 });
    assert.equal(m.call('grow', [2]).result, 1);
    assert.equal(m.fuel.growFailed(), false);
    assert.equal(m.call('grow', [2]).result, -1);
    assert.equal(m.fuel.growFailed(), true);
    assert.equal(m.call('grow', [1]).result, 3);
    assert.equal(m.fuel.growFailed(), false, 'set() clears the flag');
    assert.equal((m.exports['memory'] as WebAssembly.Memory).buffer.byteLength, 4 * 65536);
    assert.throws(() => (m.exports['memory'] as WebAssembly.Memory).grow(1), RangeError);
  });

  it('classifies a trap after a failed grow as memory_limit', async () => {
    const m = meter(await wat(grower), { maxMemoryPages: 4, growCostPerPage: 0 });
    assert.throws(() => m.call('boom', [100]), WebAssembly.RuntimeError);
    assert.equal(m.fuel.classifyTrap(), 'memory_limit');
  });

  it('keeps a declared maximum below the cap', async () => {
    const m = meter(await wat('(module (memory 1 2) (func (export "grow") (param i32) (result i32) (memory.grow (local.get 0))))'), { maxMemoryPages: 8, growCostPerPage: 0 });
    assert.equal(m.call('grow', [1]).result, 1);
    assert.equal(m.call('grow', [1]).result, -1);
  });

  it('refuses a declared minimum above the cap, naming both numbers', async () => {
    const bytes = await wat('(module (memory 100))');
    assert.throws(() => instrument(bytes, { maxMemoryPages: 16, growCostPerPage: 0 }), (e: unknown) => {
      assert.ok(isMidimonError(e, 'memory_too_large'));
      assert.match(e.message, /100/);
      assert.match(e.message, /16/);
      return true;
    });
  });

  it('refuses an imported memory, naming it', async () => {
    const bytes = await wat('(module (import "env" "memory" (memory 1)))');
    assert.throws(() => instrument(bytes, OPTS), (e: unknown) => isMidimonError(e, 'forbidden_import') && /env\.memory/.test(e.message));
  });
});

describe('refused features', () => {
  const cases: [string, string, Record<string, boolean>, RegExp][] = [
    ['memory64', '(module (memory i64 1))', { memory64: true }, /memory64/],
    ['shared memory', '(module (memory 1 2 shared))', { threads: true }, /shared memory/],
    ['atomics', '(module (memory 1 2) (func (result i32) (i32.atomic.load (i32.const 0))))', { threads: true }, /atomics/],
    ['SIMD op', '(module (func (drop (v128.const i32x4 1 2 3 4))))', { simd: true }, /SIMD/],
    ['SIMD type', '(module (func (param v128)))', { simd: true }, /SIMD/],
    ['multiple memories', '(module (memory 1) (memory 1))', { multi_memory: true }, /multiple memories/],
    ['exceptions', '(module (tag $e) (func (throw $e)))', { exceptions: true }, /exception/],
  ];
  for (const [name, text, features, re] of cases) {
    it(`refuses ${name} as invalid_module`, async () => {
      const bytes = await wat(text, { ...ALL_FEATURES, ...features });
      assert.throws(() => instrument(bytes, OPTS), (e: unknown) => isMidimonError(e, 'invalid_module') && re.test(e.message));
    });
  }

  it('reports malformed input with the section and byte offset', async () => {
    const good = await wat('(module (func (export "f") (result i32) i32.const 1))');
    const cut = good.subarray(0, good.length - 3);
    assert.throws(() => instrument(cut, OPTS), (e: unknown) => isMidimonError(e, 'invalid_module') && /byte offset \d+/.test(e.message));
    assert.throws(() => instrument(new Uint8Array([1, 2, 3]), OPTS), (e: unknown) => isMidimonError(e, 'invalid_module'));
  });
});

describe('rewrite details', () => {
  it('picks fresh export names when the module already uses ours', async () => {
    const bytes = await wat(`(module (global (export "__midimon_fuel") i32 (i32.const 7))
      (func (export "__midimon_grow_failed") (result i32) i32.const 1))`);
    const m = instrument(bytes, OPTS);
    assert.equal(m.fuelGlobal, '__midimon_fuel_1');
    assert.equal(m.growFailedGlobal, '__midimon_grow_failed_1');
    const inst = new WebAssembly.Instance(new WebAssembly.Module(m.bytes), {});
    assert.equal((inst.exports['__midimon_fuel'] as WebAssembly.Global).value, 7);
    const fuel = FuelControl.fromExports(inst.exports, m.fuelGlobal, m.growFailedGlobal);
    fuel.set(10);
    assert.equal((inst.exports['__midimon_grow_failed'] as () => number)(), 1);
    assert.equal(fuel.consumed(10), 1n);
  });

  it('adds the memory maximum when none is declared and keeps custom sections', async () => {
    const base = await wat('(module (memory (export "memory") 1) (func (export "f")))');
    // Append a custom section by hand: id 0, size, name "note", payload.
    const custom = [0, 8, 4, 0x6e, 0x6f, 0x74, 0x65, 1, 2, 3];
    const bytes = Uint8Array.from([...base, ...custom]);
    const m = instrument(bytes, { maxMemoryPages: 3, growCostPerPage: 0 });
    const mod = new WebAssembly.Module(m.bytes);
    assert.equal(WebAssembly.Module.customSections(mod, 'note').length, 1);
    const mem = new WebAssembly.Instance(mod, {}).exports['memory'] as WebAssembly.Memory;
    assert.equal(mem.grow(2), 1);
    assert.throws(() => mem.grow(1), RangeError);
  });

  it('rejects bad options as bad_request', async () => {
    const bytes = await wat('(module)');
    for (const o of [{ maxMemoryPages: -1, growCostPerPage: 0 }, { maxMemoryPages: 70000, growCostPerPage: 0 },
      { maxMemoryPages: 1, growCostPerPage: 0.5 }, { maxMemoryPages: 1, growCostPerPage: 0, initialFuel: -1 }]) {
      assert.throws(() => instrument(bytes, o), (e: unknown) => isMidimonError(e, 'bad_request'));
    }
  });
});
