import assert from 'node:assert/strict';
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { test } from 'node:test';
import { ManualScheduler } from '../../src/gpio/manual-scheduler.js';
import { PluginHost, RELOAD_BACKOFF_MS, type PluginFault } from '../../src/plugins/host.js';
import { captureLog } from './helpers/capture-log.js';
import { abiModule, metadataJson } from './helpers/wat.js';

/**
 * The first init creates "f.txt" and succeeds; every later init finds it and
 * spins forever (only the wall-clock timeout ends it). execute("t") traps, so
 * the next call needs a fresh instance, whose init then times out.
 */
function initStartsHanging(): Uint8Array {
  return abiModule(
    '(import "wasi_snapshot_preview1" "path_open" (func $open (param i32 i32 i32 i32 i32 i64 i64 i32 i32) (result i32)))',
    `(data (i32.const 1000) "f.txt")
    (func (export "init") (result i64)
      (if (i32.eqz (call $open (i32.const 3) (i32.const 0) (i32.const 1000) (i32.const 5) (i32.const 5) (i64.const 2) (i64.const 0) (i32.const 0) (i32.const 2000)))
        (then (return (call $meta))))
      (loop $spin (br $spin))
      (call $meta))
    (func (export "execute") (param $p i32) (param i32) (result i32)
      (if (i32.eq (i32.load8_u offset=11 (local.get $p)) (i32.const 116)) (then (unreachable)))
      (i32.const 0))`,
    metadataJson('hanger', { capabilities: ['Filesystem'] }),
  );
}

async function until(what: string, ok: () => boolean): Promise<void> {
  for (let i = 0; i < 600; i++) {
    if (ok()) return;
    await new Promise((r) => setTimeout(r, 50));
  }
  assert.fail(`timed out waiting for: ${what}`);
}

test('a plugin whose init starts timing out is reloaded with back-off, then marked failed (no endless respawn loop)', async () => {
  const scheduler = new ManualScheduler(0);
  const { log, lines } = captureLog();
  const faults: PluginFault[] = [];
  const host = new PluginHost({
    log, stateDir: mkdtempSync(join(tmpdir(), 'midimon-backoff-')), profile: 'desktop', scheduler,
    onPluginFault: (plugin, f) => {
      if (plugin === 'hanger') faults.push(f);
    },
  });
  const state = (): string | undefined => host.status().find((s) => s.name === 'hanger')?.state;
  try {
    await host.load('hanger', { bytes: initStartsHanging() }, { grants: ['Filesystem'], limits: { fuelPerInit: 1e15, timeoutMs: 300 } });
    assert.equal((await host.execute('hanger', 't')).status, 'error');
    // Fresh instance: its init spins -> timeout -> the thread is replaced and the host reloads the plugin.
    const r = await host.execute('hanger', 'x');
    assert.equal(r.status === 'error' && r.error.kind, 'timeout');
    assert.equal(faults[0]?.reason, 'timeout');
    for (const [i, delay] of RELOAD_BACKOFF_MS.entries()) {
      // Each failed reload waits for the scheduler (a fake clock here) before the next attempt.
      await until(`reload attempt ${i + 1} to fail and wait`, () => scheduler.pending === 1);
      assert.equal(state(), 'respawning');
      // Meanwhile calls fail at once instead of driving reloads.
      const during = await host.execute('hanger', 'x');
      assert.equal(during.status === 'error' && during.error.kind, 'plugin_failed');
      scheduler.advance(delay);
    }
    await until('the plugin to be marked failed', () => state() === 'failed');
    assert.equal(scheduler.pending, 0, 'no further reload is scheduled');
    const last = faults.at(-1);
    assert.deepEqual([last?.reason, last?.state], ['reload_failed', 'failed']);
    const attempts = lines.filter((l) => l.plugin === 'hanger' && /reload failed: retrying/.test(l.msg)).length;
    assert.equal(attempts, RELOAD_BACKOFF_MS.length);
    const after = await host.execute('hanger', 'x');
    assert.equal(after.status === 'error' && after.error.kind, 'plugin_failed');
    assert.match(after.status === 'error' ? after.error.message : '', /load it again/);
    // Nothing runs in the background any more: no more attempts after a while.
    await new Promise((r) => setTimeout(r, 1000));
    assert.equal(lines.filter((l) => l.plugin === 'hanger' && /reload failed: retrying/.test(l.msg)).length, attempts);
    // Loading it again (config reload, enable) starts over.
    await host.load('hanger', { bytes: initStartsHanging() }, { grants: ['Filesystem'], limits: { fuelPerInit: 1e15, timeoutMs: 300 } }).catch(() => undefined);
  } finally {
    await host.stop();
  }
});
