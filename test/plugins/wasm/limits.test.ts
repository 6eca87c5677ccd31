/** Exhaustion, the memory cap and the refusals of instrument(). */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { isMidimonError } from '../../../src/errors.js';
import { CHECK_INTERVAL } from '../../../src/plugins/wasm/body-rewriter.js';
import { DEFAULT_LARGE_GROW_COST, DEFAULT_MAX_TABLE_ENTRIES, MODULE_LIMITS, instrument } from '../../../src/plugins/wasm/instrument.js';
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

describe('table cap', () => {
  it('rewrites every table maximum to the cap: table.grow past it returns -1, as the spec says', async () => {
    const t = `(module (table $a 0 externref) (table $b 1 5 funcref)
      (func (export "ga") (param i32) (result i32) (table.grow $a (ref.null extern) (local.get 0)))
      (func (export "gb") (param i32) (result i32) (table.grow $b (ref.null func) (local.get 0))))`;
    const m = meter(await wat(t), { ...OPTS, maxTableEntries: 1000 });
    assert.equal(m.call('ga', [10_000_000]).result, -1, 'the reproduction: 10M externref slots');
    assert.equal(m.call('ga', [1000]).result, 0);
    assert.equal(m.call('ga', [1]).result, -1);
    assert.equal(m.call('gb', [4]).result, 1, 'a declared maximum below the cap is kept');
    assert.equal(m.call('gb', [1]).result, -1);
  });

  it('uses a default cap of DEFAULT_MAX_TABLE_ENTRIES', async () => {
    const m = meter(await wat(`(module (table $a 0 externref)
      (func (export "g") (param i32) (result i32) (table.grow $a (ref.null extern) (local.get 0))))`));
    assert.equal(m.call('g', [DEFAULT_MAX_TABLE_ENTRIES + 1]).result, -1);
    assert.equal(m.call('g', [DEFAULT_MAX_TABLE_ENTRIES]).result, 0);
  });

  it('refuses a declared minimum above the cap (memory_too_large, naming table and numbers)', async () => {
    const bytes = await wat('(module (table 10000000 externref))');
    assert.throws(() => instrument(bytes, OPTS), (e: unknown) => {
      assert.ok(isMidimonError(e, 'memory_too_large'));
      assert.match(e.message, /table 0 declares a minimum of 10000000 entries, the limit is 65536/);
      return true;
    });
  });

  it('refuses more tables than MODULE_LIMITS.tables', async () => {
    const bytes = await wat(`(module ${'(table 1 funcref) '.repeat(MODULE_LIMITS.tables + 1)})`);
    assert.throws(() => instrument(bytes, OPTS), (e: unknown) => isMidimonError(e, 'invalid_module') && /5 tables, the limit is 4/.test(e.message));
    instrument(await wat(`(module ${'(table 1 funcref) '.repeat(MODULE_LIMITS.tables)})`), OPTS);
  });
});

describe('instantiation caps', () => {
  const cases: ReadonlyArray<readonly [keyof typeof MODULE_LIMITS, (n: number) => string]> = [
    ['exports', (n) => Array.from({ length: n }, (_, i) => `(func (export "f${i}"))`).join('')],
    ['functions', (n) => '(func)'.repeat(n)],
    ['globals', (n) => '(global i32 (i32.const 0))'.repeat(n)],
    ['dataSegments', (n) => `(memory 1)${'(data (i32.const 0) "x")'.repeat(n)}`],
    ['elementSegments', (n) => `(func $f)${'(elem func $f)'.repeat(n)}`],
  ];
  for (const [key, make] of cases) {
    it(`refuses more ${key} than the cap, accepts the cap`, async () => {
      const max = MODULE_LIMITS[key];
      const over = await wat(`(module ${make(max + 1)})`);
      assert.throws(() => instrument(over, OPTS), (e: unknown) => isMidimonError(e, 'invalid_module') && e.details?.['limit'] === key && new RegExp(`${max + 1} .*the limit is ${max}`).test(e.message));
      instrument(await wat(`(module ${make(max)})`), OPTS);
    });
  }
});

describe('checks bound unchecked straight-line code', () => {
  const ops = (n: number): string => 'f64.const 2 f64.sqrt drop '.repeat(n);

  it('checks fuel before a long stretch after a loop runs (the 7M f64.sqrt shape)', async () => {
    // Before: the stretch after the loop ran to its end unchecked and the call completed 60k over budget.
    const m = meter(await wat(`(module (func (export "f") (loop) ${ops(30_000)}))`));
    trapsOutOfFuel(m, 'f', [], 10_000);
    assert.ok(m.fuel.remaining() > -100_000n);
    assert.equal(m.call('f', [], 1e9).consumed, 1 + 60_000, 'with fuel enough it runs and costs exactly its operators');
  });

  it('checks fuel across many short if-arms, whichever arms run', async () => {
    const arms = Array.from({ length: 200 }, () => `(if (local.get 0) (then ${ops(300)}) (else ${ops(1)}))`).join(' ');
    const m = meter(await wat(`(module (func (export "f") (param i32) (loop) ${arms}))`));
    assert.throws(() => m.call('f', [1], 5000), WebAssembly.RuntimeError);
    assert.equal(m.fuel.classifyTrap(), 'out_of_fuel');
    // Overdraw is bounded by a few CHECK_INTERVALs, not by the 120k the arms charge.
    assert.ok(m.fuel.remaining() > BigInt(-3 * CHECK_INTERVAL), `overdraw ${m.fuel.remaining()}`);
  });

  it('checks fuel when a call returns, so a callee\'s unchecked tail cannot let its callers run on', async () => {
    const t = `(module (func $g (loop) ${ops(1000)})
      (func (export "f") (call $g) (if (i32.const 1) (then ${ops(1000)}))))`;
    const m = meter(await wat(t));
    // g overdraws by ~1.9k (below the check interval); before, f then ran its own 2k unchecked too and completed.
    assert.throws(() => m.call('f', [], 200), WebAssembly.RuntimeError);
    assert.equal(m.fuel.classifyTrap(), 'out_of_fuel');
  });
});

describe('memory.grow one page at a time', () => {
  it('ends by fuel after a few grows past largeMemoryPages when small steps are allowed there (largeGrowMinPages 0)', async () => {
    // 2048 pages is the desktop profile's 128 MiB; each grow past 1024 pages makes V8 run a full GC (3-50 ms).
    const t = `(module (memory (export "memory") 1) (global $n (export "n") (mut i32) (i32.const 0))
      (func (export "f") (loop $l (if (i32.ne (memory.grow (i32.const 1)) (i32.const -1))
        (then (global.set $n (i32.add (global.get $n) (i32.const 1))) (br $l)))) unreachable))`;
    const m = meter(await wat(t), { maxMemoryPages: 2048, growCostPerPage: 64, largeMemoryPages: 16, largeGrowCost: DEFAULT_LARGE_GROW_COST, largeGrowMinPages: 0 });
    assert.throws(() => m.call('f', [], 100_000_000), WebAssembly.RuntimeError);
    assert.equal(m.fuel.classifyTrap(), 'out_of_fuel');
    const grows = (m.exports['n'] as WebAssembly.Global).value as number;
    assert.ok(grows - 15 <= 100_000_000 / DEFAULT_LARGE_GROW_COST, `${grows} grows`);
    // Below the threshold the same loop reaches the cap and ends as memory_limit.
    const small = meter(await wat(t), { maxMemoryPages: 256, growCostPerPage: 64 });
    assert.throws(() => small.call('f', [], 10_000_000), WebAssembly.RuntimeError);
    assert.equal(small.fuel.classifyTrap(), 'memory_limit');
  });

  it('by default ends at largeMemoryPages as memory_limit: past it, steps below largeGrowMinPages are refused', async () => {
    const t = `(module (memory (export "memory") 1) (global $n (export "n") (mut i32) (i32.const 0))
      (func (export "f") (loop $l (if (i32.ne (memory.grow (i32.const 1)) (i32.const -1))
        (then (global.set $n (i32.add (global.get $n) (i32.const 1))) (br $l)))) unreachable))`;
    // The desktop profile's 2048-page (128 MiB) cap and 100M budget; the threshold scaled down to 16 pages.
    const m = meter(await wat(t), { maxMemoryPages: 2048, growCostPerPage: 64, largeMemoryPages: 16 });
    assert.throws(() => m.call('f', [], 100_000_000), WebAssembly.RuntimeError);
    assert.equal(m.fuel.classifyTrap(), 'memory_limit');
    assert.equal((m.exports['n'] as WebAssembly.Global).value, 15, 'grew to the threshold, not one page past it');
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
    assert.equal(fuel.consumed(10), 2n); // entry + i32.const
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
