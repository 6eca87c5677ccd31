/**
 * Hostile bytes: mutated and truncated real modules must either instrument to
 * a module that validates, or be refused with a typed plugin error: never a
 * RangeError, never a decoder bug (details.internal), never invalid output.
 */
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { describe, it } from 'node:test';
import fc from 'fast-check';
import { isMidimonError, PLUGIN_ERROR_KINDS } from '../../../src/errors.js';
import { inspectModule, instrument } from '../../../src/plugins/wasm/instrument.js';
import { randomProgram } from './program-gen.js';
import { OPTS, wat } from './wat.js';

async function corpus(): Promise<Uint8Array[]> {
  const out: Uint8Array[] = [new Uint8Array(readFileSync(new URL('../../fixtures/wasm/c-kitchen.wasm', import.meta.url)))];
  for (const seed of [3, 5, 8]) out.push(await wat(randomProgram(seed)));
  out.push(await wat(`(module (import "env" "f" (func (param i32) (result i32))) (memory 1 4) (data "abc")
    (table 2 funcref) (elem (i32.const 0) 0 1) (global $g (mut i32) (i32.const 0))
    (func (export "run") (param i32) (result i32) (local i64)
      (block $b (loop $l (br_if $b (i32.eqz (local.get 0)))
        (local.set 0 (i32.sub (local.get 0) (i32.const 1))) (br $l)))
      (memory.fill (i32.const 0) (i32.const 1) (i32.const 4))
      (drop (memory.grow (i32.const 1)))
      (call 0 (i32.trunc_sat_f32_s (f32.const 1.5))))
    (func $s (global.set $g (i32.const 1))) (start $s))`));
  return out;
}

const KINDS: readonly string[] = PLUGIN_ERROR_KINDS;

function check(bytes: Uint8Array): 'ok' | 'refused' {
  const valid = WebAssembly.validate(bytes);
  try {
    inspectModule(bytes);
  } catch (e) {
    assert.ok(isMidimonError(e, 'invalid_module'), `inspect threw ${String(e)}`);
    assert.equal(e.details?.['internal'], undefined, `decoder bug: ${e.message}`);
  }
  try {
    const m = instrument(bytes, OPTS);
    assert.ok(WebAssembly.validate(m.bytes));
    return 'ok';
  } catch (e) {
    assert.ok(isMidimonError(e) && KINDS.includes(e.kind), `instrument threw ${String(e)}`);
    assert.equal(e.details?.['internal'], undefined, `decoder bug: ${e.message}`);
    // A module the engine accepts must never come out invalid.
    if (valid) assert.doesNotMatch(e.message, /does not validate/, 'valid input produced invalid output');
    return 'refused';
  }
}

describe('instrumenter robustness', () => {
  it('mutated modules (flip, insert, delete, overwrite, truncate) give valid output or a typed refusal', async () => {
    const mods = await corpus();
    const seen = { ok: 0, refused: 0 };
    const mutation = fc.record({
      mod: fc.integer({ min: 0, max: mods.length - 1 }),
      ops: fc.array(fc.record({
        kind: fc.constantFrom('flip', 'insert', 'delete', 'set', 'truncate'),
        at: fc.nat(),
        byte: fc.integer({ min: 0, max: 255 }),
      }), { minLength: 1, maxLength: 2 }),
    });
    fc.assert(fc.property(mutation, ({ mod, ops }) => {
      let b = Array.from(mods[mod]!);
      for (const op of ops) {
        const at = 8 + (op.at % Math.max(1, b.length - 8));
        if (op.kind === 'flip') b[at] = (b[at] ?? 0) ^ (1 << (op.byte & 7));
        else if (op.kind === 'insert') b.splice(at, 0, op.byte);
        else if (op.kind === 'delete') b.splice(at, 1);
        else if (op.kind === 'set') b[at] = op.byte;
        else b = b.slice(0, at);
      }
      seen[check(Uint8Array.from(b))]++;
    }), { numRuns: 400, seed: 7 });
    // Both outcomes must really occur, or the property says little.
    assert.ok(seen.ok >= 10 && seen.refused >= 100, JSON.stringify(seen));
  });

  it('arbitrary bytes behind a valid header never escape as untyped errors', () => {
    fc.assert(fc.property(fc.uint8Array({ maxLength: 200 }), (tail) => {
      const b = new Uint8Array(8 + tail.length);
      b.set([0, 0x61, 0x73, 0x6d, 1, 0, 0, 0]);
      b.set(tail, 8);
      check(b);
    }), { numRuns: 300, seed: 11 });
  });

  it('every prefix of a real module is handled', async () => {
    const [c] = await corpus();
    for (let n = 0; n < c!.length; n += 7) check(c!.subarray(0, n));
  });
});
