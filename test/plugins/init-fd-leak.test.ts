import assert from 'node:assert/strict';
import { mkdtempSync, readdirSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { test } from 'node:test';
import { silentLogger } from '../../src/log.js';
import { PluginHost } from '../../src/plugins/host.js';
import { abiModule, metadataJson } from './helpers/wat.js';

/**
 * The first init creates "f.txt" (O_CREAT|O_EXCL) and succeeds; every later
 * init (a fresh instance after a failed call) finds it, opens "g.txt" and
 * traps, so that instance never becomes live. execute("t") traps.
 */
function opensThenTraps(): Uint8Array {
  return abiModule(
    '(import "wasi_snapshot_preview1" "path_open" (func $open (param i32 i32 i32 i32 i32 i64 i64 i32 i32) (result i32)))',
    `(data (i32.const 1000) "f.txt")
    (data (i32.const 1008) "g.txt")
    (func (export "init") (result i64)
      (if (i32.eqz (call $open (i32.const 3) (i32.const 0) (i32.const 1000) (i32.const 5) (i32.const 5) (i64.const 2) (i64.const 0) (i32.const 0) (i32.const 2000)))
        (then (return (call $meta))))
      (drop (call $open (i32.const 3) (i32.const 0) (i32.const 1008) (i32.const 5) (i32.const 1) (i64.const 2) (i64.const 0) (i32.const 0) (i32.const 2000)))
      (unreachable))
    (func (export "execute") (param $p i32) (param i32) (result i32)
      (if (i32.eq (i32.load8_u offset=11 (local.get $p)) (i32.const 116)) (then (unreachable)))
      (i32.const 0))`,
    metadataJson('opener', { capabilities: ['Filesystem'] }),
  );
}

const openFds = (): number => readdirSync('/proc/self/fd').length;

test('files a failing init opened are closed: 30 failed re-instantiations leave no file descriptors behind', { skip: process.platform !== 'linux' && 'needs /proc/self/fd' }, async () => {
  const host = new PluginHost({ log: silentLogger(), stateDir: mkdtempSync(join(tmpdir(), 'midimon-fd-')), profile: 'pi', spareWorker: false });
  try {
    await host.load('opener', { bytes: opensThenTraps() }, { grants: ['Filesystem'] });
    assert.equal((await host.execute('opener', 't')).status, 'error');
    // From here every call re-instantiates, and that init opens g.txt and traps.
    const first = await host.execute('opener', 'x');
    assert.equal(first.status === 'error' && first.error.kind, 'trap');
    const before = openFds();
    for (let i = 0; i < 30; i++) assert.equal((await host.execute('opener', 'x')).status, 'error');
    const grown = openFds() - before;
    assert.ok(grown < 10, `${grown} more file descriptors open after 30 failed re-instantiations`);
  } finally {
    await host.stop();
  }
});
