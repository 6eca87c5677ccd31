import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { readFile } from 'node:fs/promises';
import type { JsonValue } from '../../src/plugins/types.js';
import { ExampleHost, wasmPath } from './helpers/example-host.js';

// Every example plugin, loaded from its committed .wasm into the real sandbox,
// answers its documented actions with its documented codes and MIDI bytes.
let h: ExampleHost;
before(async () => {
  h = await ExampleHost.create();
  for (const name of ['wasm-minimal', 'wasm-template', 'chord', 'as-template'] as const) await h.load(name);
});
after(async () => h.stop());

describe('wasm-minimal', () => {
  test('has no imports at all, reports its metadata and returns 0 for any action, calling nothing', async () => {
    assert.deepEqual(WebAssembly.Module.imports(new WebAssembly.Module(await readFile(wasmPath('wasm-minimal')))), []);
    assert.deepEqual(h.host.get('wasm-minimal')?.metadata.capabilities, []);
    assert.equal(h.host.get('wasm-minimal')?.metadata.name, 'wasm-minimal');
    for (const action of ['anything', 'next', '']) {
      const r = await h.run('wasm-minimal', action, { velocity: 10 }, { x: 1 });
      assert.deepEqual(r, { code: 0, calls: [] });
    }
  });
});

describe('wasm-template', () => {
  test('hello logs the request it read (velocity, mode, timestamp, params)', async () => {
    const r = await h.run('wasm-template', 'hello', { velocity: 90, currentMode: 2 }, { a: 1, b: 'x' });
    assert.equal(r.code, 0);
    assert.deepEqual(r.calls, [{ fn: 'log', level: 1, message: 'hello: velocity=Some(90) mode=Some(2) timestamp=1700000000000 params=2' }]);
    const bare = await h.run('wasm-template', 'hello');
    assert.deepEqual(bare.calls, [{ fn: 'log', level: 1, message: 'hello: velocity=None mode=None timestamp=1700000000000 params=0' }]);
  });

  test('note sends a note-on from params and the trigger velocity', async () => {
    assert.deepEqual(h.midi((await h.run('wasm-template', 'note', { velocity: 77 })).calls), [[0x90, 60, 77]]);
    assert.deepEqual(h.midi((await h.run('wasm-template', 'note', { velocity: null }, { note: 64, channel: 10 })).calls), [[0x99, 64, 100]]);
  });

  test('return codes: 3 unknown action, 4 invalid params (nothing sent)', async () => {
    assert.deepEqual(await h.run('wasm-template', 'nope'), { code: 3, calls: [] });
    assert.deepEqual(await h.run('wasm-template', 'note', {}, { note: 128 }), { code: 4, calls: [] });
    assert.deepEqual(await h.run('wasm-template', 'note', {}, { channel: 0 }), { code: 4, calls: [] });
    assert.deepEqual(await h.run('wasm-template', 'note', {}, { note: 'C4' }), { code: 4, calls: [] });
  });
});

describe('chord', () => {
  test('chord: default major triad on the context note, channel from the context', async () => {
    const r = await h.run('chord', 'chord', { velocity: 100, extra: { note: 62, channel: 3 } });
    assert.equal(r.code, 0);
    assert.deepEqual(h.midi(r.calls), [[0x92, 62, 100], [0x92, 66, 100], [0x92, 69, 100]]);
  });

  test('intervals, root, channel and velocity from params; notes outside 0-127 skipped', async () => {
    const r = await h.run('chord', 'chord', { velocity: 64 }, { root: 120, intervals: [0, 3, 7, 10], channel: 16, velocity: 5 });
    assert.deepEqual(h.midi(r.calls), [[0x9f, 120, 5], [0x9f, 123, 5], [0x9f, 127, 5]]);
  });

  test('play with a named shape and inversion (the example config), velocity 0 and release send note-offs', async () => {
    const on = await h.run('chord', 'play', { velocity: 90 }, { root: 60, shape: 'maj7', inversion: 1 });
    assert.deepEqual(h.midi(on.calls), [[0x90, 64, 90], [0x90, 67, 90], [0x90, 71, 90], [0x90, 72, 90]]);
    const off = await h.run('chord', 'play', { velocity: 0 }, { root: 60, shape: 'min' });
    assert.deepEqual(h.midi(off.calls), [[0x80, 60, 0], [0x80, 63, 0], [0x80, 67, 0]]);
    const rel = await h.run('chord', 'release', {}, { root: 48, intervals: [0, 12] });
    assert.deepEqual(h.midi(rel.calls), [[0x80, 48, 0], [0x80, 60, 0]]);
  });

  test('arp steps through the chord, ending the previous note each step', async () => {
    const p = { root: 60, intervals: [0, 4, 7], order: 'updown' };
    const steps: number[][][] = [];
    for (let i = 0; i < 5; i++) steps.push(h.midi((await h.run('chord', 'arp', { velocity: 80 }, p)).calls));
    assert.deepEqual(steps, [
      [[0x90, 60, 80]],
      [[0x80, 60, 0], [0x90, 64, 80]],
      [[0x80, 64, 0], [0x90, 67, 80]],
      [[0x80, 67, 0], [0x90, 64, 80]],
      [[0x80, 64, 0], [0x90, 60, 80]],
    ]);
  });

  test('invalid params give 4 and unknown actions 3, sending nothing', async () => {
    for (const params of <Record<string, JsonValue>[]>[{ intervals: [] }, { intervals: 'x' }, { shape: 'nope' }, { channel: 17 }, { root: -1 }, { inversion: 3 }, { order: 'sideways' }]) {
      assert.deepEqual(await h.run('chord', 'chord', { velocity: 1 }, params), { code: 4, calls: [] }, JSON.stringify(params));
    }
    assert.deepEqual(await h.run('chord', 'nudge'), { code: 3, calls: [] });
  });
});

describe('as-template (AssemblyScript)', () => {
  test('imports nothing beyond the host module, hello logs, note sends, unknown is 3', async () => {
    const imports = WebAssembly.Module.imports(new WebAssembly.Module(await readFile(wasmPath('as-template'))));
    assert.deepEqual(imports.map((i) => i.module).sort(), ['midimon', 'midimon']);
    assert.deepEqual(await h.run('as-template', 'hello'), { code: 0, calls: [{ fn: 'log', level: 1, message: 'hello from as-template' }] });
    assert.deepEqual(h.midi((await h.run('as-template', 'note', { velocity: 33 })).calls), [[0x90, 60, 33]]);
    assert.deepEqual(h.midi((await h.run('as-template', 'note', { velocity: null })).calls), [[0x90, 60, 100]]);
    assert.deepEqual(await h.run('as-template', 'other'), { code: 3, calls: [] });
  });

  test('memory stays flat over many calls (the stub runtime reuses the request block)', async () => {
    // Straight on WebAssembly: the property belongs to the plugin, not the host.
    const mod = new WebAssembly.Module(await readFile(wasmPath('as-template')));
    const instance = new WebAssembly.Instance(mod, { midimon: { midi_send: () => 0, log: () => undefined } });
    const ex = instance.exports as { memory: WebAssembly.Memory; alloc: (n: number) => number; dealloc: (p: number, n: number) => void; execute: (p: number, n: number) => number; init: () => bigint };
    const mem = ex.memory;
    ex.init();
    const req = new TextEncoder().encode(JSON.stringify({ action: 'hello', context: { velocity: 1, current_mode: null, timestamp: 1 } }));
    const ptrs = new Set<number>();
    let pages = 0;
    for (let i = 0; i < 2000; i++) {
      const p = ex.alloc(req.length);
      new Uint8Array(mem.buffer, p, req.length).set(req);
      assert.equal(ex.execute(p, req.length), 0);
      ex.dealloc(p, req.length);
      if (i > 0) ptrs.add(p);
      if (i === 1) pages = mem.buffer.byteLength;
    }
    assert.equal(ptrs.size, 1);
    assert.equal(mem.buffer.byteLength, pages);
  });
});
