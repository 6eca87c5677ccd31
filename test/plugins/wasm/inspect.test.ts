import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { isMidimonError } from '../../../src/errors.js';
import { inspectModule } from '../../../src/plugins/wasm/instrument.js';
import { wat } from './wat.js';

describe('inspectModule', () => {
  it('decodes imports, exports with signatures, memories and start', async () => {
    const bytes = await wat(`(module
      (import "wasi_snapshot_preview1" "fd_write" (func (param i32 i32 i32 i32) (result i32)))
      (import "env" "g" (global i32))
      (memory (export "memory") 2 10)
      (func $init (export "init") (result i64) i64.const 0)
      (func (export "execute") (param i32 i32) (result i32) i32.const 0)
      (func $s) (start $s))`);
    const info = inspectModule(bytes);
    assert.deepEqual(info.imports, [
      { module: 'wasi_snapshot_preview1', name: 'fd_write', kind: 'func', type: { params: ['i32', 'i32', 'i32', 'i32'], results: ['i32'] } },
      { module: 'env', name: 'g', kind: 'global' },
    ]);
    assert.deepEqual(info.exports, [
      { name: 'memory', kind: 'memory' },
      { name: 'init', kind: 'func', type: { params: [], results: ['i64'] } },
      { name: 'execute', kind: 'func', type: { params: ['i32', 'i32'], results: ['i32'] } },
    ]);
    assert.deepEqual(info.memories, [{ min: 2, max: 10, shared: false, memory64: false, imported: false }]);
    assert.equal(info.hasStart, true);
    assert.equal(info.definedFunctions, 3);
  });

  it('reports imported, shared and 64-bit memories without refusing them', async () => {
    const imp = inspectModule(await wat('(module (import "env" "memory" (memory 1 4 shared)))', { threads: true }));
    assert.deepEqual(imp.memories, [{ min: 1, max: 4, shared: true, memory64: false, imported: true }]);
    const m64 = inspectModule(await wat('(module (memory i64 3))', { memory64: true }));
    assert.deepEqual(m64.memories, [{ min: 3, shared: false, memory64: true, imported: false }]);
  });

  it('accepts padded LEBs as rustc emits them', () => {
    // (module (func (export "f") (result i32) i32.const 7)) with 5-byte LEBs for sizes, counts and indices
    const b: number[] = [0, 0x61, 0x73, 0x6d, 1, 0, 0, 0];
    const pad = (v: number): number[] => [0x80 | (v & 0x7f), 0x80 | ((v >> 7) & 0x7f), 0x80, 0x80, 0];
    const sec = (id: number, payload: number[]): void => { b.push(id, ...pad(payload.length), ...payload); };
    sec(1, [...pad(1), 0x60, 0, 1, 0x7f]);
    sec(3, [...pad(1), ...pad(0)]);
    sec(7, [...pad(1), 1, 0x66, 0, ...pad(0)]);
    const body = [...pad(0), 0x41, 7, 0x0b];
    sec(10, [...pad(1), ...pad(body.length), ...body]);
    const info = inspectModule(Uint8Array.from(b));
    assert.deepEqual(info.exports, [{ name: 'f', kind: 'func', type: { params: [], results: ['i32'] } }]);
  });

  it('names the section and offset of malformed input', () => {
    const cases = [
      Uint8Array.from([0, 0x61, 0x73, 0x6d, 1, 0, 0, 0, 1, 0x10, 1]),
      Uint8Array.from([0, 0x61, 0x73, 0x6d, 1, 0, 0, 0, 1, 0x03, 1, 0x61, 0]),
      Uint8Array.from([0, 0x61, 0x73, 0x6d, 1, 0, 0, 0, 2, 0x04, 1, 0xff, 0xff, 0xff]),
      Uint8Array.from([0, 0x61, 0x73, 0x6d, 1, 0, 0, 0, 7, 2, 1, 0]),
      Uint8Array.from([0, 0x61, 0x73, 0x6e, 1, 0, 0, 0]),
    ];
    for (const bytes of cases) {
      assert.throws(() => inspectModule(bytes), (e: unknown) => isMidimonError(e, 'invalid_module') && /byte offset \d+/.test(e.message) && e.details?.['internal'] === undefined);
    }
  });
});
