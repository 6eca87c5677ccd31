import assert from 'node:assert/strict';
import { existsSync, mkdirSync, mkdtempSync, readFileSync, symlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, test } from 'node:test';
import { PluginHost } from '../../src/plugins/host.js';
import type { ExecuteResult, HostCall } from '../../src/plugins/types.js';
import { ERRNO } from '../../src/plugins/wasi/wasi-errors.js';
import { captureLog } from './helpers/capture-log.js';
import { fixture } from './helpers/wat.js';

const stateDir = mkdtempSync(join(tmpdir(), 'midimon-wasi-'));
const { log, lines } = captureLog();
const calls: Array<[string, HostCall]> = [];
const host = new PluginHost({ log, stateDir, profile: 'desktop', onHostCall: (p, c) => calls.push([p, c]) });
const probe = (name: string) => fixture('fs-probe', { name, meta: { capabilities: ['Filesystem'] } });
const dataA = join(stateDir, 'plugin-data', 'files-a');

function code(r: ExecuteResult): number {
  assert.equal(r.status, 'returned', JSON.stringify(r));
  return r.status === 'returned' ? r.code : -1;
}

/** Runs the probe's read command and returns what it logged (or the errno code). */
async function read(name: string, path: string): Promise<string | number> {
  calls.length = 0;
  const c = code(await host.execute(name, `r${path}`));
  if (c !== 0) return c - 100;
  const logged = calls.find(([p, call]) => p === name && call.fn === 'log');
  return logged?.[1].fn === 'log' ? logged[1].message : '';
}

before(async () => {
  await host.load('files-a', { bytes: probe('files-a') }, { grants: ['Filesystem'] });
  await host.load('files-b', { bytes: probe('files-b') }, { grants: ['Filesystem'] });
  await host.load('nofs', { bytes: probe('nofs') });
  // Things outside the data directory that must stay unreachable.
  writeFileSync(join(stateDir, 'plugin-data', 'secret.txt'), 'outside');
  mkdirSync(join(dataA, 'sub'), { recursive: true });
  writeFileSync(join(dataA, 'setlist.toml'), 'song = "intro"');
  writeFileSync(join(dataA, 'sub', 'deep.txt'), 'deep');
  symlinkSync('/etc/hostname', join(dataA, 'hostname-link'));
  symlinkSync('/etc', join(dataA, 'etc-link'));
});
after(() => host.stop());

test('a granted plugin reads and writes its own data directory (preopened as ".")', async () => {
  assert.equal(await read('files-a', 'setlist.toml'), 'song = "intro"');
  assert.equal(await read('files-a', './sub/deep.txt'), 'deep');
  assert.equal(code(await host.execute('files-a', 'wout.txt')), 0);
  assert.equal(readFileSync(join(dataA, 'out.txt'), 'utf8'), 'written by wasm');
});

test('a symlink to /etc/hostname inside the data directory cannot be read', async () => {
  assert.equal(await read('files-a', 'hostname-link'), ERRNO.NOTCAPABLE);
  assert.equal(await read('files-a', 'etc-link/hostname'), ERRNO.NOTCAPABLE);
  // Nor written through.
  assert.equal(code(await host.execute('files-a', 'whostname-link')) - 100, ERRNO.NOTCAPABLE);
});

test('"..", absolute paths and missing files are refused with WASI errnos', async () => {
  assert.equal(await read('files-a', '../secret.txt'), ERRNO.NOTCAPABLE);
  assert.equal(await read('files-a', 'sub/../../secret.txt'), ERRNO.NOTCAPABLE);
  assert.equal(await read('files-a', '/etc/hostname'), ERRNO.NOTCAPABLE);
  assert.equal(await read('files-a', 'nope.txt'), ERRNO.NOENT);
  assert.equal(code(await host.execute('files-a', 'w../escape.txt')) - 100, ERRNO.NOTCAPABLE);
  assert.equal(existsSync(join(stateDir, 'plugin-data', 'escape.txt')), false);
});

test('unrelated plugins never share a directory', async () => {
  assert.equal(code(await host.execute('files-b', 'wmine.txt')), 0);
  assert.ok(existsSync(join(stateDir, 'plugin-data', 'files-b', 'mine.txt')));
  assert.equal(await read('files-b', 'setlist.toml'), ERRNO.NOENT);
  assert.equal(await read('files-a', 'mine.txt'), ERRNO.NOENT);
});

test('without the Filesystem grant: ENOTCAPABLE, and the log says which capability was denied (once)', async () => {
  assert.equal(host.get('nofs')?.denied.includes('Filesystem'), true);
  assert.equal(await read('nofs', 'setlist.toml'), ERRNO.NOTCAPABLE);
  assert.equal(await read('nofs', 'setlist.toml'), ERRNO.NOTCAPABLE);
  const denied = lines.filter((l) => l.plugin === 'nofs' && l['capability'] === 'Filesystem' && /not granted/.test(l.msg));
  // One warning at load (requested, not granted) and one at the first refused call.
  assert.equal(denied.length, 2, JSON.stringify(denied));
  assert.equal(existsSync(join(stateDir, 'plugin-data', 'nofs')), false);
});
