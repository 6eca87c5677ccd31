import assert from 'node:assert/strict';
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, test } from 'node:test';
import { silentLogger } from '../../src/log.js';
import { PluginHost } from '../../src/plugins/host.js';
import { REALTIME_FUEL_PER_EXECUTE } from '../../src/plugins/limits.js';
import type { HostCall } from '../../src/plugins/types.js';
import { fixture, metadataJson, wat } from './helpers/wat.js';

const calls: Array<[string, HostCall]> = [];
const host = new PluginHost({ log: silentLogger(), stateDir: mkdtempSync(join(tmpdir(), 'midimon-rt-')), profile: 'pi', onHostCall: (p, c) => calls.push([p, c]) });
after(() => host.stop());

/** execute counts down from `iterations` (about 5 fuel per turn) and returns 0. */
function burner(iterations: number): Uint8Array {
  const meta = metadataJson('burner');
  return wat(`(module
    (memory (export "memory") 2)
    (global $heap (mut i32) (i32.const 65536))
    (data (i32.const 16) "${meta.replaceAll('"', '\\22')}")
    (func (export "init") (result i64) (i64.or (i64.shl (i64.const 16) (i64.const 32)) (i64.const ${Buffer.byteLength(meta)})))
    (func (export "alloc") (param $n i32) (result i32) (local $p i32)
      (local.set $p (global.get $heap)) (global.set $heap (i32.add (global.get $heap) (local.get $n))) (local.get $p))
    (func (export "dealloc") (param i32 i32) (global.set $heap (i32.const 65536)))
    (func (export "execute") (param i32 i32) (result i32) (local $i i32)
      (local.set $i (i32.const ${iterations}))
      (loop $l (local.set $i (i32.sub (local.get $i) (i32.const 1))) (br_if $l (local.get $i)))
      (i32.const 0)))`);
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
