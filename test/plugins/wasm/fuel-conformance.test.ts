/**
 * Fuel conformance: each module's cost is counted by hand under wasmtime's
 * default model (every operator 1; nop, drop, block, loop, unreachable,
 * return, else, end 0; 1 per function entered) and our extensions (bulk ops
 * and table.grow +1 per byte/element; memory.grow + base + cost/page).
 */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { DEFAULT_GROW_BASE_COST, instrument } from '../../../src/plugins/wasm/instrument.js';
import { FuelControl } from '../../../src/plugins/wasm/fuel.js';
import { meter, OPTS, wat } from './wat.js';

async function cost(text: string, fn: string, args: readonly (number | bigint)[] = []): Promise<number> {
  return meter(await wat(text)).call(fn, args).consumed;
}

describe('fuel cost model', () => {
  it('charges 1 per operator on straight-line code', async () => {
    assert.equal(await cost('(module (func (export "f") (result i32) i32.const 1 i32.const 2 i32.add))', 'f'), 1 + 3);
  });

  it('charges nothing for nop, drop, block, loop, end', async () => {
    const t = '(module (func (export "f") nop nop (block nop) (loop nop) (block (block)) i32.const 1 drop))';
    assert.equal(await cost(t, 'f'), 1 + 1);
    assert.equal(await cost('(module (func (export "f")))', 'f'), 1, 'entering a function costs 1, as in wasmtime');
  });

  it('charges a 5-operator loop body exactly per iteration (1000 vs 10 runs: +4950)', async () => {
    const t = `(module (func (export "f") (param $n i32)
      (loop $l (br_if $l (local.tee $n (i32.sub (local.get $n) (i32.const 1)))))))`;
    const m = meter(await wat(t));
    const ten = m.call('f', [10]).consumed;
    const thousand = m.call('f', [1000]).consumed;
    assert.equal(ten, 1 + 50);
    assert.equal(thousand, 1 + 5000);
    assert.equal(thousand - ten, 4950);
  });

  it('charges only the arm taken by if/else', async () => {
    const t = `(module (func (export "f") (param i32) (result i32)
      (if (result i32) (local.get 0) (then i32.const 1 i32.const 2 i32.add) (else i32.const 7))))`;
    const m = meter(await wat(t));
    assert.equal(m.call('f', [1]).consumed, 1 + 5);
    assert.equal(m.call('f', [0]).consumed, 1 + 3);
    const noElse = `(module (func (export "f") (param i32) (result i32)
      local.get 0 (if (then i32.const 1 drop)) i32.const 5))`;
    const n = meter(await wat(noElse));
    assert.equal(n.call('f', [1]).consumed, 1 + 4);
    assert.equal(n.call('f', [0]).consumed, 1 + 3);
  });

  it('charges br_if taken and not taken', async () => {
    const t = `(module (func (export "f") (param i32) (result i32)
      (block $b (br_if $b (local.get 0)) i32.const 1 drop i32.const 2 drop) i32.const 9))`;
    const m = meter(await wat(t));
    assert.equal(m.call('f', [1]).consumed, 1 + 3);
    assert.equal(m.call('f', [0]).consumed, 1 + 5);
  });

  it('charges each br_table target path', async () => {
    const t = `(module (func (export "f") (param i32) (result i32)
      (block $a (block $b (block $c (br_table $c $b $a (local.get 0)))
        i32.const 1 drop) i32.const 2 drop) i32.const 9))`;
    const m = meter(await wat(t));
    assert.equal(m.call('f', [0]).consumed, 1 + 5);
    assert.equal(m.call('f', [1]).consumed, 1 + 4);
    assert.equal(m.call('f', [7]).consumed, 1 + 3);
  });

  it('charges br out of a loop and return from nested blocks', async () => {
    const t = `(module (func (export "f") (param i32) (result i32)
      (block $out (loop $l
        (br_if $out (i32.eqz (local.get 0)))
        (local.set 0 (i32.sub (local.get 0) (i32.const 1)))
        (br $l)))
      (block (block (return (i32.const 4))))
      i32.const 5))`;
    // per iteration: get, eqz, br_if, get, const, sub, set, br = 8; exit: get, eqz, br_if = 3; return path: const = 1
    const m = meter(await wat(t));
    assert.equal(m.call('f', [0]).consumed, 1 + 4);
    assert.equal(m.call('f', [3]).consumed, 1 + 3 * 8 + 4);
  });

  it('charges calls, call_indirect and the callee bodies', async () => {
    const t = `(module (type $t (func (param i32) (result i32)))
      (table 1 funcref) (elem (i32.const 0) $g)
      (func $g (type $t) local.get 0 i32.const 1 i32.add)
      (func (export "f") (result i32) i32.const 5 call $g call $g)
      (func (export "h") (result i32) i32.const 5 i32.const 0 call_indirect (type $t)))`;
    const m = meter(await wat(t));
    // f: entry + 3, two entries of g + 3 each; h: entry + 3, g's entry + 3
    assert.deepEqual(m.call('f', []), { result: 7, consumed: 1 + 3 + 2 * (1 + 3) });
    assert.deepEqual(m.call('h', []), { result: 6, consumed: 1 + 3 + 1 + 3 });
  });

  it('charges 1 per function entry: 100 calls of an empty function cost 200 (wasmtime)', async () => {
    const t = `(module (func $e) (func (export "f") (param $n i32)
      (loop $l (call $e) (br_if $l (local.tee $n (i32.sub (local.get $n) (i32.const 1)))))))`;
    const m = meter(await wat(t));
    const one = m.call('f', [1]).consumed;
    const hundred = m.call('f', [100]).consumed;
    // per iteration: call + the empty callee's entry = 2, plus the loop's own 5 operators
    assert.equal(hundred - one, 99 * (2 + 5));
    const calls = `(module (func $e) (func (export "f") ${'(call $e) '.repeat(100)}))`;
    assert.equal(meter(await wat(calls)).call('f', []).consumed, 1 + 200);
  });

  it('charges recursion exactly (fact(n) = 10n + 5: 9 operators and 1 entry per level)', async () => {
    const t = `(module (func $fact (export "fact") (param i64) (result i64)
      (if (result i64) (i64.eqz (local.get 0)) (then (i64.const 1))
        (else (i64.mul (local.get 0) (call $fact (i64.sub (local.get 0) (i64.const 1))))))))`;
    const m = meter(await wat(t));
    assert.deepEqual(m.call('fact', [0n]), { result: 1n, consumed: 5 });
    assert.deepEqual(m.call('fact', [5n]), { result: 120n, consumed: 55 });
    assert.equal(m.call('fact', [20n]).consumed, 205);
  });

  it('flushes the count before calling an import, and reloads it after', async () => {
    let seen = -1n;
    let fuel: FuelControl | undefined;
    const t = `(module (import "env" "host" (func $host (param i32)))
      (func (export "f") i32.const 1 call $host i32.const 2 drop))`;
    const m = instrument(await wat(t), OPTS);
    const inst = new WebAssembly.Instance(new WebAssembly.Module(m.bytes), {
      env: { host: () => { seen = fuel!.remaining(); fuel!.set(500); } },
    });
    fuel = FuelControl.fromExports(inst.exports, m.fuelGlobal, m.growFailedGlobal);
    fuel.set(1000);
    (inst.exports['f'] as () => void)();
    assert.equal(seen, 996n); // entry + the whole segment (const, call, const) is charged at its start
    assert.equal(fuel.remaining(), 500n); // a host charge made during the call is kept
  });

  it('charges memory.fill, memory.copy and memory.init per byte', async () => {
    const t = `(module (memory 1) (data $d "hello world")
      (func (export "fill") (param i32) (memory.fill (i32.const 0) (i32.const 7) (local.get 0)))
      (func (export "copy") (param i32) (memory.copy (i32.const 100) (i32.const 0) (local.get 0)))
      (func (export "init") (param i32) (memory.init $d (i32.const 0) (i32.const 0) (local.get 0))))`;
    const m = meter(await wat(t));
    assert.equal(m.call('fill', [0]).consumed, 1 + 4);
    assert.equal(m.call('fill', [1000]).consumed, 1 + 1004);
    assert.equal(m.call('copy', [300]).consumed, 1 + 304);
    assert.equal(m.call('init', [11]).consumed, 1 + 15);
  });

  it('charges table.fill, table.copy and table.init per element', async () => {
    const t = `(module (table $t 10 funcref) (elem $e func $a $a $a) (func $a)
      (func (export "fill") (param i32) (table.fill $t (i32.const 0) (ref.null func) (local.get 0)))
      (func (export "copy") (param i32) (table.copy $t $t (i32.const 5) (i32.const 0) (local.get 0)))
      (func (export "init") (param i32) (table.init $t $e (i32.const 0) (i32.const 0) (local.get 0))))`;
    const m = meter(await wat(t));
    assert.equal(m.call('fill', [10]).consumed, 1 + 14);
    assert.equal(m.call('copy', [5]).consumed, 1 + 9);
    assert.equal(m.call('init', [3]).consumed, 1 + 7);
  });

  it('charges table.grow per requested slot, granted or not, and a grow past the cap returns -1', async () => {
    const t = `(module (table $t 0 externref)
      (func (export "g") (param i32) (result i32) (table.grow $t (ref.null extern) (local.get 0))))`;
    const m = meter(await wat(t), { ...OPTS, maxTableEntries: 100 });
    // entry, ref.null, local.get, table.grow = 4, + n slots
    assert.deepEqual(m.call('g', [10]), { result: 0, consumed: 4 + 10 });
    assert.deepEqual(m.call('g', [90]), { result: 10, consumed: 4 + 90 });
    assert.deepEqual(m.call('g', [1]), { result: -1, consumed: 4 + 1 });
    assert.deepEqual(m.call('g', [10_000_000]), { result: -1, consumed: 4 + 10_000_000 });
    assert.throws(() => m.call('g', [10_000_000], 1000), WebAssembly.RuntimeError, 'a grow beyond the budget is refused before it runs');
    assert.equal(m.fuel.classifyTrap(), 'out_of_fuel');
  });

  it('charges memory.grow a base cost (even for 0 pages) plus a cost per requested page', async () => {
    const t = '(module (memory 1) (func (export "g") (param i32) (result i32) (memory.grow (local.get 0))))';
    const m = meter(await wat(t), { maxMemoryPages: 16, growCostPerPage: 1000, growBaseCost: 500 });
    // entry, local.get, memory.grow = 3
    assert.deepEqual(m.call('g', [0]), { result: 1, consumed: 3 + 500 });
    assert.deepEqual(m.call('g', [2]), { result: 1, consumed: 3 + 500 + 2000 });
    assert.deepEqual(m.call('g', [100]), { result: -1, consumed: 3 + 500 + 100_000 }, 'a refused grow is charged too');
    const free = meter(await wat(t), { maxMemoryPages: 16, growCostPerPage: 0, growBaseCost: 0 });
    assert.deepEqual(free.call('g', [3]), { result: 1, consumed: 3 });
    const dflt = meter(await wat(t), { maxMemoryPages: 16, growCostPerPage: 0 });
    assert.equal(dflt.call('g', [0]).consumed, 3 + DEFAULT_GROW_BASE_COST, 'the base cost applies by default');
  });

  it('adds the large-memory surcharge to a grow whose result passes largeMemoryPages', async () => {
    const t = '(module (memory 1) (func (export "g") (param i32) (result i32) (memory.grow (local.get 0))))';
    const m = meter(await wat(t), { maxMemoryPages: 16, growCostPerPage: 0, growBaseCost: 0, largeMemoryPages: 4, largeGrowCost: 7000, largeGrowMinPages: 0 });
    assert.deepEqual(m.call('g', [3]), { result: 1, consumed: 3 }, '1 + 3 = 4 pages: not past 4');
    assert.deepEqual(m.call('g', [1]), { result: 4, consumed: 3 + 7000 });
    assert.deepEqual(m.call('g', [0]), { result: 5, consumed: 3 + 7000 }, 'the size is past it already');
  });

  it('past largeMemoryPages refuses a grow smaller than largeGrowMinPages (still charged), grants larger ones and grow(0)', async () => {
    const t = '(module (memory 1) (func (export "g") (param i32) (result i32) (memory.grow (local.get 0))))';
    const m = meter(await wat(t), { maxMemoryPages: 16, growCostPerPage: 0, growBaseCost: 0, largeMemoryPages: 4, largeGrowCost: 7000, largeGrowMinPages: 3 });
    assert.deepEqual(m.call('g', [2]), { result: 1, consumed: 3 }, '1 + 2 = 3 pages: below the threshold, any step');
    assert.equal(m.fuel.growFailed(), false);
    assert.deepEqual(m.call('g', [2]), { result: -1, consumed: 3 + 7000 }, '3 + 2 passes 4 in a step below 3 pages: refused');
    assert.equal(m.fuel.growFailed(), true, 'a refused grow sets the flag (memory_limit after a trap)');
    assert.deepEqual(m.call('g', [3]), { result: 3, consumed: 3 + 7000 }, 'a step of 3 is granted');
    assert.deepEqual(m.call('g', [0]), { result: 6, consumed: 3 + 7000 }, 'grow(0) answers the size');
    assert.deepEqual(m.call('g', [1]), { result: -1, consumed: 3 + 7000 });
  });

  it('meters the start function against initialFuel', async () => {
    const t = `(module (global $g (export "g") (mut i32) (i32.const 0))
      (func $s (global.set $g (i32.const 42))) (start $s))`;
    const m = meter(await wat(t), { ...OPTS, initialFuel: 100 });
    assert.equal(m.startConsumed, 1 + 2);
    assert.equal((m.exports['g'] as WebAssembly.Global).value, 42);
  });

  it('defers the start function to an export when asked', async () => {
    const t = `(module (global $g (export "g") (mut i32) (i32.const 0))
      (func $s (global.set $g (i32.const 42))) (start $s))`;
    const m = instrument(await wat(t), { ...OPTS, deferStart: true });
    assert.equal(m.startExport, '__midimon_start');
    const inst = new WebAssembly.Instance(new WebAssembly.Module(m.bytes), {});
    assert.equal((inst.exports['g'] as WebAssembly.Global).value, 0);
    const fuel = FuelControl.fromExports(inst.exports, m.fuelGlobal, m.growFailedGlobal);
    fuel.set(10);
    (inst.exports['__midimon_start'] as () => void)();
    assert.equal(fuel.consumed(10), 3n);
    assert.equal((inst.exports['g'] as WebAssembly.Global).value, 42);
  });

  it('handles multi-value blocks, sign extension, saturating truncation and tail calls', async () => {
    const t = `(module (type $pair (func (param i32) (result i32 i32)))
      (func $inc (param i32) (result i32) (i32.add (local.get 0) (i32.const 1)))
      (func (export "f") (param i32) (result i32)
        (local.get 0)
        (block (type $pair) (i32.const 2))
        i32.add
        i32.extend8_s
        f32.const 1e10 i32.trunc_sat_f32_s
        i32.const 0 i32.mul i32.add)
      (func (export "t") (param i32) (result i32) (return_call $inc (local.get 0))))`;
    const m = meter(await wat(t));
    // entry + get, const, add, extend8_s, f32.const, trunc_sat, const, mul, add = 9 (block/end free)
    assert.deepEqual(m.call('f', [5]), { result: 7, consumed: 1 + 9 });
    // entry + get, return_call = 2; inc: entry + get, const, add = 3
    assert.deepEqual(m.call('t', [5]), { result: 6, consumed: 1 + 2 + 1 + 3 });
  });
});
