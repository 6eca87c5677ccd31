import assert from 'node:assert/strict';
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, test } from 'node:test';
import { isMidimonError } from '../../src/errors.js';
import { PluginHost } from '../../src/plugins/host.js';
import type { ExecuteResult } from '../../src/plugins/types.js';
import { captureLog } from './helpers/capture-log.js';
import { abiModule, fixture } from './helpers/wat.js';

// The hostile corpus: every case ends in its documented kind, the host stays
// up, and a healthy plugin loaded alongside keeps answering.
const { log, lines } = captureLog();
const host = new PluginHost({ log, stateDir: mkdtempSync(join(tmpdir(), 'midimon-hostile-')), profile: 'desktop' });

async function loadError(name: string, bytes: Uint8Array, limits = {}): Promise<string> {
  try {
    await host.load(name, { bytes }, { limits });
  } catch (err) {
    assert.ok(isMidimonError(err), `expected a MidimonError, got ${String(err)}`);
    return `${err.kind}: ${err.message}`;
  }
  assert.fail(`${name} loaded but should have been refused`);
}

function errorKind(r: ExecuteResult): string {
  assert.equal(r.status, 'error', `expected an error, got ${JSON.stringify(r)}`);
  return r.status === 'error' ? r.error.kind : '';
}

async function healthyStillAnswers(): Promise<void> {
  const r = await host.execute('healthy', 'ping');
  assert.equal(r.status, 'returned');
  assert.equal(r.status === 'returned' && r.code, 0);
}

before(async () => {
  await host.load('healthy', { bytes: fixture('healthy') });
});
after(() => host.stop());

describe('refused at load, naming what is wrong', () => {
  test('oversized declared memory -> memory_too_large', async () => {
    const e = await loadError('oversized', fixture('memory-oversized'), { memoryBytes: 16 * 1024 * 1024 });
    assert.match(e, /^memory_too_large: .*4000 pages/);
    await healthyStillAnswers();
  });

  test('missing export -> missing_export naming it', async () => {
    assert.match(await loadError('missing', fixture('missing-export')), /^missing_export: .*'alloc'/);
  });

  test('mis-typed export -> bad_signature naming it', async () => {
    assert.match(await loadError('badsig', fixture('bad-signature')), /^bad_signature: .*'execute'/);
  });

  test('forbidden import -> forbidden_import naming module.name', async () => {
    assert.match(await loadError('forbidden', fixture('forbidden-import')), /^forbidden_import: .*env\.system/);
  });

  test('imported memory -> forbidden_import', async () => {
    assert.match(await loadError('memimport', fixture('memory-import')), /^forbidden_import: .*env\.memory/);
  });

  test('not a wasm module -> invalid_module', async () => {
    assert.match(await loadError('garbage', new TextEncoder().encode('not wasm at all')), /^invalid_module: /);
  });

  test('metadata pointer outside memory -> bad_pointer', async () => {
    const e = await loadError('meta-oob', fixture('metadata-pointer', { vars: { PTR: 0x7fff0000, LEN: 100 } }));
    assert.match(e, /^bad_pointer: init\(\) returned metadata/);
  });

  test('metadata of huge length -> bad_metadata', async () => {
    const e = await loadError('meta-huge', fixture('metadata-pointer', { vars: { PTR: 16, LEN: 0x7fffffff } }));
    assert.match(e, /^bad_metadata: metadata length 2147483647 exceeds/);
  });

  test('metadata not JSON -> bad_metadata', async () => {
    assert.match(await loadError('meta-text', fixture('healthy', { metaText: 'hello, I am a plugin' })), /^bad_metadata: metadata is not JSON/);
  });

  test('metadata missing or invalid fields -> bad_metadata naming the field', async () => {
    assert.match(await loadError('meta-nover', fixture('healthy', { meta: { version: null } })), /^bad_metadata: metadata field 'version' is missing/);
    assert.match(await loadError('meta-semver', fixture('healthy', { meta: { version: '1.0' } })), /^bad_metadata: metadata field 'version' must be a semantic version/);
    assert.match(await loadError('meta-type', fixture('healthy', { meta: { type: 'effect' } })), /^bad_metadata: metadata field 'type'/);
    assert.match(await loadError('meta-caps', fixture('healthy', { meta: { capabilities: ['Root'] } })), /^bad_metadata: metadata field 'capabilities' contains unknown capability "Root"/);
    await healthyStillAnswers();
  });

  test('infinite loop in init with small fuel -> out_of_fuel', async () => {
    assert.match(await loadError('loop-init-fuel', fixture('loop-init'), { fuelPerInit: 1_000_000 }), /^out_of_fuel: /);
  });

  test('infinite loop in the start section with small fuel -> out_of_fuel', async () => {
    assert.match(await loadError('loop-start-fuel', fixture('loop-start'), { fuelPerInit: 1_000_000 }), /^out_of_fuel: /);
    await healthyStillAnswers();
  });

  test('a declared 10M-entry table -> memory_too_large (before: V8 heap exhausted, process aborted)', async () => {
    const e = await loadError('table-huge', fixture('table-declared-huge'));
    assert.match(e, /^memory_too_large: table 0 declares a minimum of 10000000 entries, the limit is 65536/);
    await healthyStillAnswers();
  });

  test('more exports than instantiation may build -> invalid_module naming the count', async () => {
    const many = Array.from({ length: 2000 }, (_, i) => `(func (export "x${i}"))`).join('');
    const bytes = abiModule('', `(func (export "init") (result i64) (call $meta)) (func (export "execute") (param i32 i32) (result i32) (i32.const 0)) ${many}`);
    assert.match(await loadError('many-exports', bytes), /^invalid_module: module has 2005 exports, the limit is 128/);
  });

  test('a start function that does real work runs once per instance', async () => {
    await host.load('start-counter', { bytes: fixture('start-counter') });
    const r = await host.execute('start-counter', 'x');
    assert.deepEqual(r.status === 'returned' && r.code, 1);
  });
});

describe('faults during execute: kind, fresh instance, neighbours unaffected', () => {
  test('memory bomb -> memory_limit, then the next call works', async () => {
    await host.load('bomb', { bytes: fixture('memory-bomb') }, { limits: { memoryBytes: 16 * 1024 * 1024 } });
    assert.equal(errorKind(await host.execute('bomb', 'm')), 'memory_limit');
    const r = await host.execute('bomb', 'ok');
    assert.equal(r.status === 'returned' && r.code, 0);
    await healthyStillAnswers();
  });

  test('table.grow by 10M externref slots returns -1 at the table cap, and the host stays up', async () => {
    await host.load('table-bomb', { bytes: fixture('table-grow-bomb', { vars: { SLOTS: 10_000_000 } }) });
    const r = await host.execute('table-bomb', 'x');
    assert.equal(r.status === 'returned' && r.code, -1);
    assert.ok(r.fuel >= 10_000_000, `charged per requested slot: ${r.fuel}`);
    await host.load('table-bomb-pi', { bytes: fixture('table-grow-bomb', { vars: { SLOTS: 10_000_000 } }) }, { limits: { fuelPerExecute: 1_000_000 } });
    assert.equal(errorKind(await host.execute('table-bomb-pi', 'x')), 'out_of_fuel', 'a grow the budget cannot pay for is refused before it runs');
    await healthyStillAnswers();
  });

  test('growing memory one page at a time under the 128 MiB cap ends at 64 MiB as memory_limit, not by fuel or a GC per page for seconds', async () => {
    // timeoutMs far above the old run time (4-100 s here, a full GC per grow past 64 MiB): the kind and the size are asserted.
    await host.load('grow-page', { bytes: fixture('grow-one-page') }, { limits: { timeoutMs: 600_000 } });
    const r = await host.execute('grow-page', 'g');
    assert.equal(errorKind(r), 'memory_limit');
    // Refused where grows start costing a full GC each (1,024 pages), not after 25 of them (out_of_fuel) or at the cap.
    const size = await host.execute('grow-page', 's');
    assert.equal(size.status === 'returned' && size.code, 1024);
    // Under the pi profile's 16 MiB the cap comes first: memory_limit.
    await host.load('grow-page-16', { bytes: fixture('grow-one-page') }, { limits: { memoryBytes: 16 * 1024 * 1024, fuelPerExecute: 10_000_000 } });
    assert.equal(errorKind(await host.execute('grow-page-16', 'g')), 'memory_limit');
    assert.equal((await host.execute('grow-page-16', 'ok')).status, 'returned');
    await healthyStillAnswers();
  });

  test('straight-line code after a loop is checked: a stretch over budget ends in out_of_fuel instead of returning', async () => {
    const bytes = fixture('sqrt-after-loop', { vars: { OPS: '(drop (f64.sqrt (f64.const 2)))'.repeat(30_000) } });
    await host.load('sqrt', { bytes }, { limits: { fuelPerExecute: 20_000 } });
    assert.equal(errorKind(await host.execute('sqrt', 'x')), 'out_of_fuel');
    // (with fuel enough the same shape runs and returns: test/plugins/wasm/limits.test.ts)
  });

  test('runaway recursion -> stack_overflow', async () => {
    await host.load('recursion', { bytes: fixture('recursion') });
    assert.equal(errorKind(await host.execute('recursion', 'r')), 'stack_overflow');
    assert.equal((await host.execute('recursion', 'ok')).status, 'returned');
    await healthyStillAnswers();
  });

  test('infinite loop in execute with small fuel -> out_of_fuel, fuel reported', async () => {
    await host.load('loop-fuel', { bytes: fixture('loop-execute') }, { limits: { fuelPerExecute: 2_000_000 } });
    const r = await host.execute('loop-fuel', 'l');
    assert.equal(errorKind(r), 'out_of_fuel');
    assert.ok(r.fuelTotal >= 2_000_000, `fuel ${r.fuelTotal}`);
    assert.equal((await host.execute('loop-fuel', 'ok')).status, 'returned');
  });

  test('proc_exit -> plugin_exit with the code', async () => {
    await host.load('exit', { bytes: fixture('proc-exit') });
    const r = await host.execute('exit', 'x');
    assert.equal(errorKind(r), 'plugin_exit');
    assert.equal(r.status === 'error' && r.error.details?.['code'], 7);
    assert.equal((await host.execute('exit', 'ok')).status, 'returned');
  });

  test('alloc returning an out-of-range pointer -> bad_pointer', async () => {
    await host.load('alloc-oob', { bytes: fixture('alloc-out-of-range') });
    assert.equal(errorKind(await host.execute('alloc-oob', 'x')), 'bad_pointer');
    await healthyStillAnswers();
  });

  test('a trap, then a good call on a fresh instance', async () => {
    await host.load('trapper', { bytes: fixture('trap-then-good') });
    assert.equal((await host.execute('trapper', 'c')).status === 'returned', true);
    const c2 = await host.execute('trapper', 'c');
    assert.equal(c2.status === 'returned' && c2.code, 2);
    const t = await host.execute('trapper', 't');
    assert.equal(errorKind(t), 'trap');
    assert.match(t.status === 'error' ? t.error.message : '', /unreachable/);
    // Fresh instance: the call counter starts over.
    const c = await host.execute('trapper', 'c');
    assert.equal(c.status === 'returned' && c.code, 1);
    const st = host.status().find((s) => s.name === 'trapper');
    assert.equal(st?.errors, 1);
    assert.equal(st?.lastError?.kind, 'trap');
  });

  test('1 MiB of stdout per call costs the journal a bounded number of lines', async () => {
    await host.load('flood', { bytes: fixture('stdout-flood') });
    const before = lines.length;
    const t0 = performance.now();
    for (let i = 0; i < 3; i++) assert.equal((await host.execute('flood', 'x')).status, 'returned');
    // Windows are wall clock: on a loaded machine the three calls may span more than two of them.
    const windows = Math.ceil((performance.now() - t0) / (host.get('flood')?.limits.logWindowMs ?? 1000)) + 1;
    const mine = lines.slice(before).filter((l) => l.plugin === 'flood');
    const out = mine.filter((l) => l['source'] === 'stdout');
    const limits = host.get('flood')?.limits;
    assert.ok(limits !== undefined);
    // 3 calls x 16384 lines were written; at most one window's worth per window the calls spanned got through.
    assert.ok(out.length <= Math.max(2, windows) * limits.logLinesPerWindow, `${out.length} lines logged in ${windows} windows`);
    assert.ok(out.length > 0);
    assert.equal(out[0]?.msg, 'A'.repeat(63));
    const dropped = mine.filter((l) => l.msg === 'plugin output rate-limited').reduce((a, l) => a + Number(l['droppedLines']), 0);
    assert.equal(dropped + out.length, 3 * 16384);
    await healthyStillAnswers();
  });
});
