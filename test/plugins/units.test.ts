import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { isMidimonError } from '../../src/errors.js';
import { GuestMemory } from '../../src/plugins/runtime/guest-memory.js';
import { defaultProfile, HOST_CALL_FUEL, HOST_IOVEC_FUEL, HOST_LINE_FUEL, PROFILES, resolveLimits } from '../../src/plugins/limits.js';
import { parseMetadata } from '../../src/plugins/runtime/metadata.js';
import { OutputLimiter } from '../../src/plugins/runtime/output-limiter.js';
import { parseHostMessage, parseWorkerMessage } from '../../src/plugins/lanes/protocol.js';
import { ConfinedFs } from '../../src/plugins/wasi/wasi-fs.js';
import { ERRNO } from '../../src/plugins/wasi/wasi-errors.js';
import { createWasiImports } from '../../src/plugins/wasi/wasi-shim.js';
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

const enc = (s: string) => new TextEncoder().encode(s);
const good = { name: 'p', version: '0.1.0', description: 'd', author: 'a', license: 'MIT', type: 'action', capabilities: ['Filesystem', 'Filesystem'] };

describe('metadata', () => {
  test('valid metadata is normalised (duplicate capabilities dropped, homepage kept)', () => {
    const m = parseMetadata(enc(JSON.stringify({ ...good, homepage: 'https://x' })));
    assert.deepEqual(m.capabilities, ['Filesystem']);
    assert.equal(m.homepage, 'https://x');
  });
  for (const [field, value, pattern] of [
    ['name', 'bad name!', /'name'/],
    ['version', '01.0.0', /'version'/],
    ['description', 42, /'description' must be a string/],
    ['author', undefined, /'author' is missing/],
    ['license', '', /'license'/],
    ['capabilities', 'Network', /'capabilities' must be an array/],
  ] as const) {
    test(`a bad '${field}' is reported by name`, () => {
      const meta: Record<string, unknown> = { ...good, [field]: value };
      if (value === undefined) delete meta[field];
      assert.throws(() => parseMetadata(enc(JSON.stringify(meta))), (e) => isMidimonError(e, 'bad_metadata') && pattern.test(e.message) && e.details?.['field'] === field);
    });
  }
  test('not UTF-8, not an object', () => {
    assert.throws(() => parseMetadata(Uint8Array.from([0xff, 0xfe])), (e) => isMidimonError(e, 'bad_metadata'));
    assert.throws(() => parseMetadata(enc('[1,2]')), (e) => isMidimonError(e, 'bad_metadata') && /object/.test(e.message));
  });
});

describe('limits', () => {
  test('profiles by architecture, overrides checked', () => {
    assert.equal(defaultProfile('arm64'), 'pi');
    assert.equal(defaultProfile('arm'), 'pi');
    assert.equal(defaultProfile('x64'), 'desktop');
    assert.equal(PROFILES.desktop.fuelPerExecute, 100_000_000);
    assert.equal(PROFILES.desktop.memoryBytes, 128 * 1024 * 1024);
    assert.equal(PROFILES.desktop.timeoutMs, 5000);
    assert.equal(PROFILES.pi.fuelPerExecute, 10_000_000);
    assert.equal(resolveLimits('pi', { timeoutMs: 100 }, undefined, { fuelPerInit: 7 }).fuelPerInit, 7);
    assert.throws(() => resolveLimits('pi', { timeoutMs: 0 }), (e) => isMidimonError(e, 'config_invalid'));
    assert.throws(() => resolveLimits('pi', { nope: 1 } as never), (e) => isMidimonError(e, 'config_invalid'));
  });
});

describe('output limiter (fake clock)', () => {
  test('lines and bytes per window, partial lines flushed, drops summarised', () => {
    let now = 0;
    const out: Array<[string, string, Record<string, unknown>]> = [];
    const lim = new OutputLimiter({ logLinesPerWindow: 2, logBytesPerWindow: 2000, logWindowMs: 1000 }, (l, m, f) => out.push([l, m, f]), () => now);
    lim.write('stdout', enc('one\ntwo\nthree\nfour'));
    lim.write('stderr', enc('err'));
    lim.flush();
    assert.deepEqual(out.map(([l, m]) => [l, m]), [['info', 'one'], ['info', 'two'], ['warn', 'plugin output rate-limited']]);
    assert.deepEqual(out[2]?.[2], { droppedLines: 3, droppedBytes: 12 });
    now = 1000;
    out.length = 0;
    lim.write('stdout', enc(`${'x'.repeat(5000)}\n`));
    // The truncated tail is counted as dropped (reported when the new window opens), the head is logged.
    assert.deepEqual(out.map(([, m, f]) => [m, f]), [
      ['plugin output rate-limited', { droppedLines: 0, droppedBytes: 5000 - 1024 }],
      [`${'x'.repeat(1024)}...`, { source: 'stdout' }],
    ]);
  });
});

describe('worker protocol guards', () => {
  test('malformed messages are rejected in both directions', () => {
    assert.equal(parseWorkerMessage({ t: 'executed', id: 1, code: 0, fuel: 1, fuelTotal: 1 }), undefined);
    // Host-call batches: a MIDI range past the data, an unknown op, a plain array instead of bytes, a log level past 3.
    const batch = (ops: number[], data: unknown = new Uint8Array(4), text: unknown = ['x']) => ({ t: 'host_calls', batch: { ops: new Uint32Array(ops), data, text } });
    assert.equal(parseWorkerMessage(batch([0, 2, 3])), undefined);
    assert.equal(parseWorkerMessage(batch([0, 0, 0])), undefined);
    assert.equal(parseWorkerMessage(batch([7, 0, 0])), undefined);
    assert.equal(parseWorkerMessage(batch([0, 0, 1], [0x90, 60, 100, 0])), undefined);
    assert.equal(parseWorkerMessage(batch([2, 0, 4])), undefined);
    assert.equal(parseWorkerMessage(batch([1, 1, 0])), undefined);
    assert.equal(parseWorkerMessage(batch([0, 0, 1, 0, 1])), undefined, 'ops must come in threes');
    assert.ok(parseWorkerMessage(batch([0, 1, 3, 1, 0, 0, 2, 0, 3])));
    assert.equal(parseWorkerMessage({ t: 'failed', id: 1, error: { name: 'MidimonError', kind: 'made_up', message: '' }, fuel: 0, fuelTotal: 0, micros: 0 }), undefined);
    assert.equal(parseWorkerMessage('executed'), undefined);
    assert.ok(parseWorkerMessage({ t: 'executed', id: 1, code: 3, fuel: 1, fuelTotal: 2, micros: 3 }));
    assert.equal(parseHostMessage({ t: 'execute', id: 1, request: 5 }), undefined);
    assert.equal(parseHostMessage({ t: 'grants', id: 1, granted: ['Root'], dataDir: null }), undefined);
    assert.ok(parseHostMessage({ t: 'execute', id: 1, request: '{}' }));
  });
});

describe('WASI shim', () => {
  function shim(fs: ConfinedFs | null) {
    const mem = new WebAssembly.Memory({ initial: 1 });
    const memory = new GuestMemory();
    memory.bind(mem);
    const denied: string[] = [];
    const lines: string[] = [];
    const output = new OutputLimiter(PROFILES.desktop, (_level, line) => lines.push(line));
    const charged: number[] = [];
    const w = createWasiImports({ memory, output, fs, isGranted: () => false, denied: (c, f) => denied.push(`${c}:${f}`), charge: (u) => void charged.push(u) });
    return { w, view: new DataView(mem.buffer), bytes: new Uint8Array(mem.buffer), denied, charged, lines, output };
  }
  const call = (f: unknown, ...args: Array<number | bigint>) => (f as (...a: Array<number | bigint>) => number)(...args);

  test('with a data directory, fd 3 is the preopen "." (what wasi-libc resolves relative paths against)', () => {
    const { w, view, bytes } = shim(new ConfinedFs(mkdtempSync(join(tmpdir(), 'midimon-shim-'))));
    assert.equal(call(w['fd_prestat_get'], 3, 100), ERRNO.SUCCESS);
    assert.equal(view.getUint8(100), 0);
    assert.equal(view.getUint32(104, true), 1);
    assert.equal(call(w['fd_prestat_dir_name'], 3, 200, 1), ERRNO.SUCCESS);
    assert.equal(String.fromCharCode(bytes[200] ?? 0), '.');
    assert.equal(call(w['fd_prestat_get'], 4, 100), ERRNO.BADF);
  });

  test('without one: no preopens, path calls ENOTCAPABLE, unknown calls ENOSYS, args/env empty, clocks work', () => {
    const { w, view, denied } = shim(null);
    assert.equal(call(w['fd_prestat_get'], 3, 100), ERRNO.BADF);
    assert.equal(call(w['path_open'], 3, 0, 0, 1, 0, 0n, 0n, 0, 8), ERRNO.NOTCAPABLE);
    assert.deepEqual(denied, ['Filesystem:path_open']);
    assert.equal(call(w['sock_send'], 0, 0, 0, 0, 0), ERRNO.NOTCAPABLE);
    assert.equal(call(w['poll_oneoff'], 0, 0, 0, 0), ERRNO.NOSYS);
    assert.equal(call(w['environ_sizes_get'], 0, 4), ERRNO.SUCCESS);
    assert.equal(view.getUint32(0, true) + view.getUint32(4, true), 0);
    assert.equal(call(w['clock_time_get'], 0, 1000n, 16), ERRNO.SUCCESS);
    assert.ok(Math.abs(Number(view.getBigUint64(16, true) / 1_000_000n) - Date.now()) < 60_000);
    assert.equal(call(w['random_get'], 100, 64), ERRNO.SUCCESS);
    assert.equal(call(w['fd_write'], 1, 65530, 1, 0), ERRNO.FAULT);
    assert.equal(call(w['fd_write'], 9, 0, 0, 0), ERRNO.BADF);
  });
});

describe('host functions charge fuel for their work', () => {
  function shim(charge: (units: number) => void) {
    const mem = new WebAssembly.Memory({ initial: 1 });
    const memory = new GuestMemory();
    memory.bind(mem);
    const lines: string[] = [];
    const output = new OutputLimiter(PROFILES.desktop, (_level, line) => lines.push(line));
    const w = createWasiImports({ memory, output, fs: null, isGranted: () => false, denied: () => undefined, charge });
    return { w, view: new DataView(mem.buffer), bytes: new Uint8Array(mem.buffer), lines, output };
  }
  const call = (f: unknown, ...args: Array<number | bigint>) => (f as (...a: Array<number | bigint>) => number)(...args);

  test('fd_write: a base per call, one per byte and one line charge per line; random_get: base + bytes', () => {
    const charged: number[] = [];
    const { w, view, bytes, lines, output } = shim((u) => void charged.push(u));
    bytes.set(new TextEncoder().encode('one\ntwo\nthree'), 1000);
    view.setUint32(100, 1000, true);
    view.setUint32(104, 13, true);
    assert.equal(call(w['fd_write'], 1, 100, 1, 200), ERRNO.SUCCESS);
    assert.deepEqual(charged, [HOST_CALL_FUEL, HOST_IOVEC_FUEL, 13, HOST_LINE_FUEL, HOST_LINE_FUEL]);
    output.flush();
    assert.deepEqual(lines, ['one', 'two', 'three']);
    charged.length = 0;
    assert.equal(call(w['random_get'], 2000, 4096), ERRNO.SUCCESS);
    assert.deepEqual(charged, [HOST_CALL_FUEL, 4096]);
  });

  test('when the charge throws (fuel gone), the work is not done', () => {
    // Enough fuel for the base charge of each call, none for its bytes.
    let calls = 0;
    const { w, view, bytes, lines, output } = shim(() => {
      if (calls++ % 2 === 1) throw new Error('out of fuel');
    });
    bytes.set(new TextEncoder().encode('never\n'), 1000);
    view.setUint32(100, 1000, true);
    view.setUint32(104, 6, true);
    assert.throws(() => call(w['fd_write'], 1, 100, 1, 200), /out of fuel/);
    bytes.fill(7, 2000, 2100);
    assert.throws(() => call(w['random_get'], 2000, 100), /out of fuel/);
    output.flush();
    assert.deepEqual(lines, []);
    assert.ok(bytes.subarray(2000, 2100).every((b) => b === 7), 'random_get filled nothing');
  });
});
