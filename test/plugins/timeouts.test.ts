import assert from 'node:assert/strict';
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, test } from 'node:test';
import { isMidimonError } from '../../src/errors.js';
import { silentLogger } from '../../src/log.js';
import { PluginHost } from '../../src/plugins/host.js';
import { fixture } from './helpers/wat.js';

// Fuel is made practically infinite so that only the wall clock can stop these loops.
const ENDLESS_FUEL = 1e15;
const host = new PluginHost({ log: silentLogger(), stateDir: mkdtempSync(join(tmpdir(), 'midimon-timeouts-')), profile: 'desktop' });

before(() => host.load('healthy', { bytes: fixture('healthy') }));
after(() => host.stop());

test('infinite loop in execute -> timeout; the worker is replaced and the next call works', async () => {
  await host.load('looper', { bytes: fixture('loop-execute') }, { limits: { fuelPerExecute: ENDLESS_FUEL, timeoutMs: 200 } });
  const r = await host.execute('looper', 'l');
  assert.equal(r.status, 'error');
  assert.equal(r.status === 'error' && r.error.kind, 'timeout');
  const next = await host.execute('looper', 'ok');
  assert.equal(next.status === 'returned' && next.code, 0);
  assert.equal(host.status().find((s) => s.name === 'looper')?.state, 'ready');
  // Twice in a row, to show the respawned worker is itself stoppable.
  assert.equal((await host.execute('looper', 'l')).status, 'error');
  assert.equal((await host.execute('looper', 'ok')).status, 'returned');
});

test('a stuck plugin never delays another one', async () => {
  // Cannot finish on its own during this test: only unload() ends it.
  await host.load('stuck', { bytes: fixture('loop-execute') }, { limits: { fuelPerExecute: ENDLESS_FUEL, timeoutMs: 600_000 } });
  let stuckSettled = false;
  const stuck = host.execute('stuck', 'l').then((r) => {
    stuckSettled = true;
    return r;
  });
  for (let i = 0; i < 5; i++) {
    const r = await host.execute('healthy', 'ping');
    assert.equal(r.status === 'returned' && r.code, 0);
  }
  assert.equal(stuckSettled, false);
  await host.unload('stuck');
  assert.equal((await stuck).status, 'error');
});

test('infinite loop in init -> load fails with timeout', async () => {
  await assert.rejects(host.load('loop-init', { bytes: fixture('loop-init') }, { limits: { fuelPerInit: ENDLESS_FUEL, timeoutMs: 200 } }), (err) => isMidimonError(err, 'timeout'));
  assert.equal(host.get('loop-init'), undefined);
});

test('infinite loop in the start section -> load fails with timeout', async () => {
  await assert.rejects(host.load('loop-start', { bytes: fixture('loop-start') }, { limits: { fuelPerInit: ENDLESS_FUEL, timeoutMs: 200 } }), (err) => isMidimonError(err, 'timeout'));
  const r = await host.execute('healthy', 'ping');
  assert.equal(r.status === 'returned' && r.code, 0);
});
