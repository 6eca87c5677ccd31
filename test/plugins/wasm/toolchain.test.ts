/**
 * Real toolchain output: clang (committed fixture), AssemblyScript (compiled
 * here) and whatever plugins/ holds (Rust builds). Results must match the
 * uninstrumented module and fuel must equal the per-operator reference.
 */
import assert from 'node:assert/strict';
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { describe, it } from 'node:test';
import { FuelControl } from '../../../src/plugins/wasm/fuel.js';
import { inspectModule, instrument, instrumentPerOperator } from '../../../src/plugins/wasm/instrument.js';
import { AS_PROGRAMS, AS_PROGRAMS_SOURCE, compileAssemblyScript } from '../../fixtures/wasm/as-programs.js';

const OPTS = { maxMemoryPages: 256, growCostPerPage: 10 };
type Fn = (...args: number[]) => unknown;

function compare(bytes: Uint8Array, calls: readonly [string, number[]][]): void {
  const plain = new WebAssembly.Instance(new WebAssembly.Module(bytes), {}).exports;
  const runs = [instrument(bytes, OPTS), instrumentPerOperator(bytes, OPTS)].map((m) => {
    const inst = new WebAssembly.Instance(new WebAssembly.Module(m.bytes), {});
    return { exports: inst.exports, fuel: FuelControl.fromExports(inst.exports, m.fuelGlobal, m.growFailedGlobal) };
  });
  for (const [name, args] of calls) {
    const expected = (plain[name] as Fn)(...args);
    const used = runs.map((r) => {
      r.fuel.set(1e12);
      assert.equal((r.exports[name] as Fn)(...args), expected, `${name}(${args.join(', ')})`);
      return r.fuel.consumed(1e12);
    });
    assert.equal(used[0], used[1], `fuel of ${name}(${args.join(', ')})`);
    assert.ok((used[0] as bigint) > 0n);
  }
}

describe('toolchain modules', () => {
  it('clang output (loops, switch, function pointers, bulk memory, conversions)', () => {
    const bytes = new Uint8Array(readFileSync(new URL('../../fixtures/wasm/c-kitchen.wasm', import.meta.url)));
    compare(bytes, [
      ['fib', [12]], ['fnv', [300]], ['calc', [50]], ['classify', [3]], ['classify', [9]],
      ['bulk', [200]], ['conv', [-3.7]], ['conv', [1e12]], ['matmul', [6]], ['grow', [1]],
    ]);
  });

  it('AssemblyScript output (the bench programs at small sizes)', async () => {
    const bytes = await compileAssemblyScript(AS_PROGRAMS_SOURCE);
    compare(bytes, AS_PROGRAMS.map((p) => [p.name, [p.small]] as [string, number[]]));
  });

  it('every plugin built into plugins/ instruments to a valid module', () => {
    const found: string[] = [];
    if (existsSync('plugins')) {
      for (const dir of readdirSync('plugins', { withFileTypes: true })) {
        if (!dir.isDirectory()) continue;
        for (const f of readdirSync(`plugins/${dir.name}`)) if (f.endsWith('.wasm')) found.push(`plugins/${dir.name}/${f}`);
      }
    }
    for (const file of found) {
      const bytes = new Uint8Array(readFileSync(file));
      const m = instrument(bytes, OPTS);
      assert.ok(WebAssembly.validate(m.bytes), file);
      assert.deepEqual(m.info, inspectModule(bytes));
      const names = WebAssembly.Module.exports(new WebAssembly.Module(m.bytes)).map((e) => e.name);
      for (const e of m.info.exports) assert.ok(names.includes(e.name), `${file} keeps export ${e.name}`);
    }
  });
});
