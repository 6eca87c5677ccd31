import assert from 'node:assert/strict';
import { mkdirSync, mkdtempSync, readdirSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, describe, test } from 'node:test';
import { GuestMemory } from '../../src/plugins/runtime/guest-memory.js';
import { PluginHost } from '../../src/plugins/host.js';
import { HOST_DIRENT_FUEL, PROFILES } from '../../src/plugins/limits.js';
import { OutputLimiter } from '../../src/plugins/runtime/output-limiter.js';
import { ConfinedFs, DATA_DIR_MAX_BYTES, DirQuota, MAX_OPEN_FDS } from '../../src/plugins/wasi/wasi-fs.js';
import { ERRNO } from '../../src/plugins/wasi/wasi-errors.js';
import { createWasiImports } from '../../src/plugins/wasi/wasi-shim.js';
import { openFdsInTree } from './helpers/fds.js';
import { fixture } from './helpers/wat.js';

const LINUX = process.platform === 'linux' ? false : 'needs /proc';
const stateDir = mkdtempSync(join(tmpdir(), 'midimon-fdlimits-'));
const host = new PluginHost({ log: (await import('../../src/log.js')).silentLogger(), stateDir, profile: 'desktop', isolation: 'process' });
after(() => host.stop());
const fsMeta = { capabilities: ['Filesystem'] };

function code(r: Awaited<ReturnType<PluginHost['execute']>>): number {
  assert.equal(r.status, 'returned', JSON.stringify(r));
  return r.status === 'returned' ? r.code : -1;
}

describe('open files per plugin', () => {
  test(`one instance holds at most ${MAX_OPEN_FDS} open files; the next path_open gets EMFILE`, async () => {
    await host.load('hog', { bytes: fixture('fd-hog', { name: 'hog', meta: fsMeta }) }, { grants: ['Filesystem'] });
    const c = code(await host.execute('hog', 'x'));
    assert.equal(Math.floor(c / 1000), MAX_OPEN_FDS);
    assert.equal(c % 1000, ERRNO.MFILE);
  });

  test('files held by a plugin that times out are closed when its thread is terminated', { skip: LINUX }, async () => {
    await host.load('hang', { bytes: fixture('fd-hog', { name: 'hang', meta: fsMeta }) }, { grants: ['Filesystem'], limits: { fuelPerExecute: 1e15, timeoutMs: 300 } });
    const before = await settledFds();
    for (let i = 0; i < 3; i++) {
      const r = await host.execute('hang', 'h');
      assert.equal(r.status === 'error' && r.error.kind, 'timeout');
    }
    // Each hung call held 64 files; terminate() alone leaves them open in the process.
    await waitFor(() => openFdsInTree() - before < MAX_OPEN_FDS / 2, () => `${openFdsInTree() - before} more fds open after 3 timeouts`);
  });

  test('files the live instance holds are closed when the plugin is unloaded', { skip: LINUX }, async () => {
    await host.load('keeper', { bytes: fixture('fd-hog', { name: 'keeper', meta: fsMeta }) }, { grants: ['Filesystem'] });
    const before = await settledFds();
    assert.equal(Math.floor(code(await host.execute('keeper', 'k')) / 1000), MAX_OPEN_FDS);
    assert.ok(openFdsInTree() - before >= MAX_OPEN_FDS, 'the live instance keeps its files open between calls');
    await host.unload('keeper');
    await waitFor(() => openFdsInTree() - before < MAX_OPEN_FDS / 2, () => `${openFdsInTree() - before} more fds open after unload`);
  });
});

describe('data directory quota', () => {
  test(`a plugin cannot write more than ${DATA_DIR_MAX_BYTES / 1024 / 1024} MiB into its data directory: ENOSPC`, async () => {
    await host.load('filler', { bytes: fixture('disk-filler', { name: 'filler', meta: fsMeta }) }, { grants: ['Filesystem'] });
    mkdirSync(join(stateDir, 'plugin-data', 'filler'), { recursive: true });
    const c = code(await host.execute('filler', 'w'));
    assert.equal(c % 100, ERRNO.NOSPC, `code ${c}`);
    assert.ok(Math.floor(c / 100) * 1024 <= DATA_DIR_MAX_BYTES);
    assert.ok(statSync(join(stateDir, 'plugin-data', 'filler', 'big.bin')).size <= DATA_DIR_MAX_BYTES);
    // Truncating frees the space again: the same call succeeds up to the cap once more.
    assert.equal(code(await host.execute('filler', 'w')) % 100, ERRNO.NOSPC);
  });

  test('entries are capped too (files and directories), and freed by unlink/rmdir', () => {
    const root = mkdtempSync(join(tmpdir(), 'midimon-quota-'));
    writeFileSync(join(root, 'old.txt'), 'x'.repeat(100));
    const quota = DirQuota.measure(root, 1000, 3);
    assert.deepEqual([quota.bytes, quota.entries], [100, 1]);
    const fs = new ConfinedFs(root, { quota });
    assert.equal(fs.mkdir(3, 'a'), ERRNO.SUCCESS);
    const f = fs.open(3, 'a/new.txt', 1, 1n << 6n, 0);
    assert.equal(f.errno, ERRNO.SUCCESS);
    assert.equal(fs.mkdir(3, 'b'), ERRNO.NOSPC);
    assert.equal(fs.open(3, 'c.txt', 1, 1n << 6n, 0).errno, ERRNO.NOSPC);
    // Bytes: 900 left; a 1000-byte write is cut to what fits, then ENOSPC.
    const fd = 'value' in f ? f.value : -1;
    const w1 = fs.write(fd, new Uint8Array(1000));
    assert.equal('value' in w1 && w1.value, 900);
    assert.equal(fs.write(fd, new Uint8Array(1)).errno, ERRNO.NOSPC);
    assert.equal(fs.unlink(3, 'old.txt'), ERRNO.SUCCESS);
    assert.deepEqual([quota.bytes, quota.entries], [900, 2]);
    assert.equal(fs.mkdir(3, 'b'), ERRNO.SUCCESS);
    assert.equal(fs.rmdir(3, 'b'), ERRNO.SUCCESS);
    assert.equal(quota.entries, 2);
    fs.closeAll();
  });
});

describe('fd_readdir', () => {
  function shim(root: string) {
    const mem = new WebAssembly.Memory({ initial: 1 });
    const memory = new GuestMemory();
    memory.bind(mem);
    const charged: number[] = [];
    const fs = new ConfinedFs(root, { quota: new DirQuota() });
    const w = createWasiImports({ memory, output: new OutputLimiter(PROFILES.desktop, () => undefined), fs, isGranted: () => true, denied: () => undefined, charge: (u) => void charged.push(u) });
    const readdir = w['fd_readdir'] as (...a: Array<number | bigint>) => number;
    return { readdir, charged, view: new DataView(mem.buffer) };
  }

  test('a negative cookie is EINVAL, not a trap', () => {
    const { readdir } = shim(mkdtempSync(join(tmpdir(), 'midimon-rd-')));
    assert.equal(readdir(3, 1024, 256, -1n, 0), ERRNO.INVAL);
    assert.equal(readdir(3, 1024, 256, -(2n ** 63n), 0), ERRNO.INVAL);
    // A cookie past the end lists nothing.
    assert.equal(readdir(3, 1024, 256, 2n ** 40n, 0), ERRNO.SUCCESS);
  });

  test('a listing is charged per directory entry read, whatever the buffer size', () => {
    const root = mkdtempSync(join(tmpdir(), 'midimon-rd-'));
    for (let i = 0; i < 200; i++) writeFileSync(join(root, `f${i}`), '');
    const { readdir, charged, view } = shim(root);
    assert.equal(readdir(3, 1024, 24, 0n, 0), ERRNO.SUCCESS);
    assert.equal(view.getUint32(0, true), 24);
    const total = charged.reduce((a, b) => a + b, 0);
    // ".", ".." and 200 names, read from disk for one 24-byte answer.
    assert.ok(total >= 202 * HOST_DIRENT_FUEL, `charged ${total}`);
    assert.equal(readdirSync(root).length, 200);
  });
});

/** The fd count once threads starting or stopping in the background (spares, terminated workers) settled. */
async function settledFds(): Promise<number> {
  let last = openFdsInTree();
  for (let i = 0; i < 50; i++) {
    await new Promise((r) => setTimeout(r, 200));
    const now = openFdsInTree();
    if (now === last) return now;
    last = now;
  }
  return last;
}

async function waitFor(ok: () => boolean, why: () => string): Promise<void> {
  for (let i = 0; i < 200; i++) {
    if (ok()) return;
    await new Promise((r) => setTimeout(r, 100));
  }
  assert.fail(why());
}
