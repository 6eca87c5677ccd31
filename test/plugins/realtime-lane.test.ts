import assert from 'node:assert/strict';
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, test } from 'node:test';
import { silentLogger } from '../../src/log.js';
import { PluginHost } from '../../src/plugins/host.js';
import { REALTIME_FAULTS_TO_ISOLATE } from '../../src/plugins/host.js';
import { REALTIME_FUEL_PER_EXECUTE, REALTIME_FUEL_PER_INIT, REALTIME_OVERRUN_MS } from '../../src/plugins/limits.js';
import type { HostCall } from '../../src/plugins/types.js';
import { captureLog } from './helpers/capture-log.js';
import { abiModule, fixture } from './helpers/wat.js';

const calls: Array<[string, HostCall]> = [];
const host = new PluginHost({ log: silentLogger(), stateDir: mkdtempSync(join(tmpdir(), 'midimon-rt-')), profile: 'pi', onHostCall: (p, c) => calls.push([p, c]) });
after(() => host.stop());

/** A loop of `iterations` turns (about 5 fuel each). */
const spin = (iterations: number): string =>
  `(local.set $i (i32.const ${iterations})) (loop $l (local.set $i (i32.sub (local.get $i) (i32.const 1))) (br_if $l (local.get $i)))`;

/** execute spins `iterations` turns and returns 0. */
function burner(iterations: number): Uint8Array {
  return abiModule('', `(func (export "init") (result i64) (call $meta))
    (func (export "execute") (param i32 i32) (result i32) (local $i i32) ${spin(iterations)} (i32.const 0))`);
}

/** Host calls seen after `run` started and a few microtasks passed: no event-loop turn, so none can come from another thread. */
async function callsWithoutATurn(run: () => Promise<unknown>): Promise<number> {
  calls.length = 0;
  const done = run();
  for (let i = 0; i < 10; i++) await Promise.resolve();
  const seen = calls.length;
  await done;
  return seen;
}

/** Whether `run` settles after microtasks only, i.e. without waiting for an event-loop turn (which any thread hop needs). */
async function settlesWithoutATurn(run: () => Promise<unknown>): Promise<boolean> {
  let settled = false;
  const done = run().then(() => {
    settled = true;
  });
  for (let i = 0; i < 20; i++) await Promise.resolve();
  const result = settled;
  await done;
  return result;
}

test('a realtime plugin runs on the calling thread: its host calls arrive in order within microtasks, without an event-loop turn', async () => {
  await host.load('rt', { bytes: fixture('host-calls', { name: 'rt' }) }, { lane: 'realtime' });
  await host.load('iso', { bytes: fixture('host-calls', { name: 'iso' }) });
  assert.equal(await callsWithoutATurn(() => host.execute('rt', 'go')), 4);
  assert.deepEqual(calls, [
    ['rt', { fn: 'midi_send', bytes: [0x90, 60, 100] }],
    ['rt', { fn: 'set_mode', mode: 'next' }],
    ['rt', { fn: 'log', level: 2, message: 'hello from wasm' }],
    ['rt', { fn: 'midi_send', bytes: [0x80, 60, 0] }],
  ]);
  // The isolated lane answers from its worker thread: nothing arrives before the event loop turns.
  assert.equal(await callsWithoutATurn(() => host.execute('iso', 'go')), 0);
  assert.equal(calls.length, 4);
  assert.deepEqual(host.status().map((s) => [s.name, s.lane]), [['rt', 'realtime'], ['iso', 'isolated']]);
  assert.equal(host.get('rt')?.lane, 'realtime');
});

test('the realtime lane caps fuel: work the isolated lane finishes runs out of fuel there, and an endless loop ends by fuel', async () => {
  await host.load('heavy-rt', { bytes: burner(200_000) }, { lane: 'realtime' });
  await host.load('heavy-iso', { bytes: burner(200_000) });
  assert.equal(host.get('heavy-rt')?.limits.fuelPerExecute, REALTIME_FUEL_PER_EXECUTE);
  const iso = await host.execute('heavy-iso', 'x');
  assert.equal(iso.status, 'returned');
  assert.ok(iso.fuel > REALTIME_FUEL_PER_EXECUTE, `the burner needs ${iso.fuel} fuel`);
  const rt = await host.execute('heavy-rt', 'x');
  assert.equal(rt.status === 'error' && rt.error.kind, 'out_of_fuel');
  assert.match(rt.status === 'error' ? rt.error.message : '', /limit 500000 per execute/);

  await host.load('light-rt', { bytes: burner(1000) }, { lane: 'realtime', limits: { fuelPerExecute: 2000 } });
  assert.equal(host.get('light-rt')?.limits.fuelPerExecute, 2000, 'a lower fuel limit than the cap is kept');

  await host.load('loop-rt', { bytes: fixture('loop-execute', { name: 'loop-rt' }) }, { lane: 'realtime' });
  const loop = await host.execute('loop-rt', 'l');
  assert.equal(loop.status === 'error' && loop.error.kind, 'out_of_fuel');
  assert.equal((await host.execute('loop-rt', 'ok')).status, 'returned', 'a fresh instance serves the next call');
});

test('realtime faults stay typed and contained: a trap or runaway recursion fails that call only', async () => {
  await host.load('rec-rt', { bytes: fixture('recursion', { name: 'rec-rt' }) }, { lane: 'realtime' });
  const r = await host.execute('rec-rt', 'r');
  assert.equal(r.status, 'error');
  assert.ok(r.status === 'error' && ['stack_overflow', 'out_of_fuel'].includes(r.error.kind), r.status === 'error' ? r.error.kind : '');
  assert.equal((await host.execute('rec-rt', 'ok')).status, 'returned');

  await host.load('trap-rt', { bytes: fixture('trap-then-good', { name: 'trap-rt' }) }, { lane: 'realtime' });
  const t = await host.execute('trap-rt', 't');
  assert.equal(t.status === 'error' && t.error.kind, 'trap');
  assert.equal((await host.execute('trap-rt', 'ok')).status, 'returned');
  assert.equal(host.status().find((s) => s.name === 'trap-rt')?.errors, 1);
});

test('a realtime plugin gets no Filesystem: refused from config, by grant, and a stored grant is left unlinked', async () => {
  await assert.rejects(host.load('fs-rt', { bytes: fixture('fs-probe', { name: 'fs-rt' }) }, { lane: 'realtime', grants: ['Filesystem'] }), (e: Error & { kind?: string }) => {
    assert.equal(e.kind, 'bad_request');
    assert.match(e.message, /realtime lane, which has no Filesystem/);
    return true;
  });
  await host.load('fs-rt', { bytes: fixture('fs-probe', { name: 'fs-rt' }) });
  await host.grant('fs-rt', 'Filesystem');
  assert.ok(host.get('fs-rt')?.granted.includes('Filesystem'));
  await host.load('fs-rt', { bytes: fixture('fs-probe', { name: 'fs-rt' }) }, { lane: 'realtime' });
  assert.deepEqual(host.get('fs-rt')?.granted, ['Midi']);
  await assert.rejects(host.grant('fs-rt', 'Filesystem'), /realtime lane/);
});

test('host functions are metered: flooding fd_write, random_get or midi_send runs out of the capped fuel instead of holding the MIDI thread', async () => {
  // 1024 iovecs, each the whole 128 KiB memory: 128 MiB of output for a handful of instructions.
  const fdWrite = abiModule('(import "wasi_snapshot_preview1" "fd_write" (func $w (param i32 i32 i32 i32) (result i32)))', `
    (func (export "init") (result i64) (call $meta))
    (func (export "execute") (param i32 i32) (result i32) (local $i i32)
      (loop $l
        (i32.store (i32.add (i32.const 8192) (i32.mul (local.get $i) (i32.const 8))) (i32.const 0))
        (i32.store (i32.add (i32.const 8196) (i32.mul (local.get $i) (i32.const 8))) (i32.const 131072))
        (local.set $i (i32.add (local.get $i) (i32.const 1)))
        (br_if $l (i32.lt_u (local.get $i) (i32.const 1024))))
      (drop (call $w (i32.const 1) (i32.const 8192) (i32.const 1024) (i32.const 0)))
      (i32.const 0))`);
  const random = abiModule('(import "wasi_snapshot_preview1" "random_get" (func $r (param i32 i32) (result i32)))', `
    (func (export "init") (result i64) (call $meta))
    (func (export "execute") (param i32 i32) (result i32)
      (loop $l (drop (call $r (i32.const 0) (i32.const 131072))) (br $l))
      (i32.const 0))`);
  const sysex = abiModule('(import "midimon" "midi_send" (func $s (param i32 i32) (result i32)))', `
    (func (export "init") (result i64) (call $meta))
    (func (export "execute") (param i32 i32) (result i32)
      (loop $l (drop (call $s (i32.const 0) (i32.const 4096))) (br $l))
      (i32.const 0))`);
  for (const [name, bytes] of [['flood-write', fdWrite], ['flood-random', random], ['flood-sysex', sysex]] as const) {
    await host.load(name, { bytes }, { lane: 'realtime' });
    calls.length = 0;
    const r = await host.execute(name, 'x');
    assert.equal(r.status === 'error' && r.error.kind, 'out_of_fuel', name);
    assert.ok(r.fuelTotal >= REALTIME_FUEL_PER_EXECUTE, `${name} burnt ${r.fuelTotal}`);
  }
  // 500k fuel buys about 12 SysEx sends of 4 KiB (1000 + 10 x 4096 each), not the 1024 the per-call cap allows.
  assert.ok(calls.length >= 10 && calls.length <= 13, `${calls.length} SysEx sends`);
});

test('init is capped too: a plugin whose init needs more than the realtime init fuel loads only in the isolated lane', async () => {
  const heavyInit = abiModule('', `(func (export "init") (result i64) (local $i i32) ${spin(Math.ceil(REALTIME_FUEL_PER_INIT / 4))} (call $meta))
    (func (export "execute") (param i32 i32) (result i32) (i32.const 0))`);
  await host.load('init-iso', { bytes: heavyInit });
  assert.ok((host.get('init-iso')?.initFuel ?? 0) > REALTIME_FUEL_PER_INIT);
  await assert.rejects(host.load('init-rt', { bytes: heavyInit }, { lane: 'realtime' }), (e: Error & { kind?: string }) => e.kind === 'out_of_fuel');
});

test('host calls reach the engine after the plugin returned: no wasm frame is on the stack when they are delivered', async () => {
  const stacks: string[] = [];
  const probe = new PluginHost({ log: silentLogger(), stateDir: mkdtempSync(join(tmpdir(), 'midimon-rt-')), profile: 'pi', onHostCall: () => void stacks.push(new Error().stack ?? '') });
  try {
    await probe.load('rt', { bytes: fixture('host-calls', { name: 'rt' }) }, { lane: 'realtime' });
    await probe.execute('rt', 'go');
    assert.equal(stacks.length, 4);
    for (const st of stacks) assert.doesNotMatch(st, /wasm-function|wasm:\/\//);
  } finally {
    await probe.stop();
  }
});

test(`a realtime plugin that fails ${REALTIME_FAULTS_TO_ISOLATE} times within a minute moves to its own thread and keeps working there`, async () => {
  await host.load('flaky', { bytes: fixture('trap-then-good', { name: 'flaky' }) }, { lane: 'realtime' });
  assert.equal(await settlesWithoutATurn(() => host.execute('flaky', 'ok')), true);
  for (let i = 0; i < REALTIME_FAULTS_TO_ISOLATE - 1; i++) assert.equal((await host.execute('flaky', 't')).status, 'error');
  assert.equal(host.get('flaky')?.lane, 'realtime', 'two failures are tolerated');
  assert.equal((await host.execute('flaky', 't')).status, 'error');
  assert.equal(host.get('flaky')?.lane, 'isolated');
  assert.equal(host.status().find((s) => s.name === 'flaky')?.lane, 'isolated');
  // Served by the worker now: its answer needs an event-loop turn.
  assert.equal(await settlesWithoutATurn(() => host.execute('flaky', 'ok')), false);
  const r = await host.execute('flaky', 'c');
  assert.equal(r.status === 'returned' && r.code, 2, 'a fresh instance in the worker counted this call and the one before');
});

test(`a realtime plugin whose calls overrun ${REALTIME_OVERRUN_MS} ms of wall time leaves the MIDI thread, though every call returned`, async () => {
  const { log, lines } = captureLog();
  let now = 0;
  let step = 0;
  // The lane reads the clock once before and once after each call: a call "takes" `step` ms.
  const clocked = new PluginHost({ log, stateDir: mkdtempSync(join(tmpdir(), 'midimon-rt-')), profile: 'pi', clock: () => (now += step) });
  try {
    await clocked.load('slow', { bytes: burner(10) }, { lane: 'realtime' });
    step = REALTIME_OVERRUN_MS;
    for (let i = 0; i < 2 * REALTIME_FAULTS_TO_ISOLATE; i++) assert.equal((await clocked.execute('slow', 'x')).status, 'returned');
    assert.equal(clocked.get('slow')?.lane, 'realtime', 'calls within the bound stay on the MIDI thread');
    step = REALTIME_OVERRUN_MS + 1;
    for (let i = 0; i < REALTIME_FAULTS_TO_ISOLATE - 1; i++) assert.equal((await clocked.execute('slow', 'x')).status, 'returned');
    assert.equal(clocked.get('slow')?.lane, 'realtime', 'two overruns are tolerated');
    assert.equal((await clocked.execute('slow', 'x')).status, 'returned');
    assert.equal(clocked.get('slow')?.lane, 'isolated');
    assert.equal(lines.filter((l) => /moved to its own thread/.test(l.msg) && l['last'] === 'overran').length, 1);
    assert.equal((await clocked.execute('slow', 'x')).status, 'returned', 'and it keeps working in its worker');
  } finally {
    await clocked.stop();
  }
});

test('file access really fails in the realtime lane (the probe gets NOTCAPABLE from path_open)', async () => {
  await host.load('fs-try', { bytes: fixture('fs-probe', { name: 'fs-try' }) }, { lane: 'realtime' });
  const r = await host.execute('fs-try', 'wnote.txt');
  assert.equal(r.status === 'returned' && r.code, 100 + 76);
});

test('calls still queued when a realtime plugin is unloaded fail as "unloaded" and do not count as its faults', async () => {
  const { log, lines } = captureLog();
  const own = new PluginHost({ log, stateDir: mkdtempSync(join(tmpdir(), 'midimon-rt-')), profile: 'pi' });
  try {
    await own.load('gone', { bytes: fixture('trap-then-good', { name: 'gone' }) }, { lane: 'realtime' });
    const queued = Array.from({ length: REALTIME_FAULTS_TO_ISOLATE + 1 }, () => own.execute('gone', 't'));
    await own.unload('gone');
    const results = await Promise.all(queued);
    for (const r of results) assert.match(r.status === 'error' ? r.error.message : 'returned', /unloaded/);
    assert.equal(lines.filter((l) => /moved to its own thread/.test(l.msg)).length, 0);
  } finally {
    await own.stop();
  }
});
