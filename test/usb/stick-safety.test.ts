// A hostile or careless stick, against the real filesystem: links pointing off
// the stick, FIFOs and sockets where files should be, huge manifests, 10,000
// folders. Nothing may leak host file contents or hashes, block a thread, or
// cost more than the scan limits allow.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import { mkdir, mkdtemp, readFile, rm, symlink, truncate, writeFile } from 'node:fs/promises';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { isMidimonError, MidimonError } from '../../src/errors.js';
import { renderManifest, type PluginManifest } from '../../src/plugins/manifest.js';
import { installPackage, MAX_MANIFEST_BYTES, readPackage, scanStick, type InstallOptions, type StickPackage } from '../../src/usb/installer.js';
import { readStickFile, refusalOf, shown } from '../../src/usb/stick-files.js';

let dir: string;
/** A file of the host's that must never show up in a message. */
let secretFile: string;

/** tmpfs where there is one: 10,000 folders take under a second there, 10-15 s on a busy disk. */
function fastTmp(): string {
  return existsSync('/dev/shm') ? '/dev/shm' : tmpdir();
}

const SECRET = 'root:x:0:0:SECRET-LINE-FROM-THE-HOST:/root:/bin/bash\n';

before(async () => {
  dir = await mkdtemp(join(fastTmp(), 'midimon-stick-safety-'));
  secretFile = join(dir, 'host-passwd');
  await writeFile(secretFile, SECRET);
});

after(async () => {
  await rm(dir, { recursive: true, force: true });
});

/**
 * A stuck read never settles: fail the test instead of hanging the run. A
 * liveness check with a generous bound, not a timing assertion.
 */
async function settles<T>(what: string, p: Promise<T>): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  const hung = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(new Error(`${what} never settled (a blocked read?)`)), 20_000);
  });
  try {
    return await Promise.race([p, hung]);
  } finally {
    clearTimeout(timer);
  }
}

function mkfifo(path: string): void {
  execFileSync('mkfifo', [path]);
}

const MANIFEST: PluginManifest = {
  name: 'probe',
  version: '1.0.0',
  description: 'test',
  author: 'tests',
  license: 'MIT',
  binaryPath: 'probe.wasm',
  checksum: `sha256:${'0'.repeat(64)}`,
  required: [],
  optional: [],
};

/** <root>/midimon-plugins/<folder>/ with a plugin.toml; returns the package folder. */
async function packageDir(stick: string, folder: string, manifest: PluginManifest | null = MANIFEST): Promise<string> {
  const d = join(stick, 'midimon-plugins', folder);
  await mkdir(d, { recursive: true });
  if (manifest !== null) await writeFile(join(d, 'plugin.toml'), renderManifest(manifest));
  return d;
}

const noSandbox: InstallOptions = {
  pluginsDir: '',
  signature: 'if-present',
  trustedKeys: async () => [],
  sandboxCheck: async () => {
    throw new MidimonError('internal', 'the sandbox must not be reached');
  },
};

function options(pluginsDir: string, signature: InstallOptions['signature'] = 'if-present'): InstallOptions {
  return { ...noSandbox, pluginsDir, signature };
}

test('a plugin.toml that links to a host file is refused as a link, and the file content appears nowhere', async () => {
  const stick = join(dir, 'stick-link-toml');
  const d = await packageDir(stick, 'evil-1.0.0', null);
  await symlink(secretFile, join(d, 'plugin.toml'));
  const scan = await scanStick(stick);
  assert.deepEqual(scan.packages, []);
  assert.equal(scan.problems.length, 1);
  const e = scan.problems[0]?.error;
  assert.ok(e);
  assert.equal(refusalOf(e), 'link');
  assert.doesNotMatch(JSON.stringify(scan.problems), /SECRET|root:x/);
  // The CLI path (a package directory named directly) follows the same rule.
  await assert.rejects(readPackage(d), (err) => refusalOf(err) === 'link' && !/SECRET/.test((err as Error).message));
});

test('a .wasm that links to a host file is refused before it is hashed: its SHA-256 is never printed', async () => {
  const stick = join(dir, 'stick-link-wasm');
  const d = await packageDir(stick, 'probe-1.0.0');
  await symlink(secretFile, join(d, 'probe.wasm'));
  const [pkg] = (await scanStick(stick)).packages;
  assert.ok(pkg);
  const hostHash = createHash('sha256').update(SECRET).digest('hex');
  await assert.rejects(installPackage(pkg, options(join(dir, 'p-link'))), (e) => {
    assert.ok(isMidimonError(e));
    assert.equal(refusalOf(e), 'link');
    assert.ok(!JSON.stringify(e.toJSON()).includes(hostHash), 'the host file hash leaked');
    assert.match(e.message, /probe: binary\.path: .*probe\.wasm is a symbolic link/);
    return true;
  });
});

test('a folder on the way to the binary that is a link is refused too (binary.path = "lib/x.wasm", lib -> /)', async () => {
  const stick = join(dir, 'stick-link-dir');
  const d = await packageDir(stick, 'probe-1.0.0', { ...MANIFEST, binaryPath: 'lib/host-passwd' });
  await symlink(dir, join(d, 'lib'));
  const [pkg] = (await scanStick(stick)).packages;
  assert.ok(pkg);
  await assert.rejects(installPackage(pkg, options(join(dir, 'p-linkdir'))), (e) => refusalOf(e) === 'link' && /lib is a symbolic link/.test((e as Error).message));
});

test('a link in midimon-plugins/ is one refused folder; midimon-plugins itself as a link is refused as a whole', async () => {
  const stick = join(dir, 'stick-link-folder');
  await packageDir(stick, 'good-1.0.0');
  await symlink(join(dir, 'stick-link-toml', 'midimon-plugins', 'evil-1.0.0'), join(stick, 'midimon-plugins', 'evil'));
  const scan = await scanStick(stick);
  assert.deepEqual(scan.packages.map((p) => p.manifest.name), ['probe']);
  assert.deepEqual(scan.problems.map((p) => refusalOf(p.error)), ['link']);

  const other = join(dir, 'stick-link-root');
  await mkdir(other);
  await symlink(join(stick, 'midimon-plugins'), join(other, 'midimon-plugins'));
  const whole = await scanStick(other);
  assert.deepEqual(whole.packages, []);
  assert.deepEqual(whole.problems.map((p) => refusalOf(p.error)), ['link']);
});

test('a FIFO as plugin.toml neither blocks the scan nor any thread: five scans in parallel still leave the pool free', async () => {
  const stick = join(dir, 'stick-fifo-toml');
  const d = await packageDir(stick, 'fifo-1.0.0', null);
  mkfifo(join(d, 'plugin.toml'));
  // More scans than libuv has threads (4): a read blocked in the pool would starve every later fs call.
  const scans = await settles('scans of a FIFO manifest', Promise.all([1, 2, 3, 4, 5].map(() => scanStick(stick))));
  for (const s of scans) assert.deepEqual(s.problems.map((p) => refusalOf(p.error)), ['not_a_file']);
  await settles('a file read after the scans', readFile(secretFile));
});

test('a FIFO as the .wasm or the .sig is refused at once; the install lock of the caller is never stuck', async () => {
  const stick = join(dir, 'stick-fifo-wasm');
  const d = await packageDir(stick, 'probe-1.0.0');
  mkfifo(join(d, 'probe.wasm'));
  const [pkg] = (await scanStick(stick)).packages;
  assert.ok(pkg);
  await settles('install of a FIFO binary', assert.rejects(installPackage(pkg, options(join(dir, 'p-fifo'))), (e) => refusalOf(e) === 'not_a_file'));

  // A real binary with a FIFO where the signature goes: refused, not treated as "unsigned".
  const s2 = join(dir, 'stick-fifo-sig');
  const bytes = Buffer.from([0, 0x61, 0x73, 0x6d, 1, 0, 0, 0]);
  const sha = createHash('sha256').update(bytes).digest('hex');
  const d2 = await packageDir(s2, 'probe-1.0.0', { ...MANIFEST, checksum: `sha256:${sha}` });
  await writeFile(join(d2, 'probe.wasm'), bytes);
  mkfifo(join(d2, 'probe.wasm.sig'));
  const [pkg2] = (await scanStick(s2)).packages;
  assert.ok(pkg2);
  await settles('install with a FIFO signature', assert.rejects(installPackage(pkg2, options(join(dir, 'p-fifo-sig'))), (e) => isMidimonError(e, 'signature_invalid') && refusalOf(e) === 'not_a_file'));
});

test('a socket (or any non-regular file) is refused without being opened', async () => {
  const stick = join(dir, 'stick-socket');
  const d = await packageDir(stick, 'sock-1.0.0', null);
  const server = createServer();
  await new Promise<void>((resolve) => server.listen(join(d, 'plugin.toml'), resolve));
  try {
    const scan = await scanStick(stick);
    assert.deepEqual(scan.problems.map((p) => refusalOf(p.error)), ['not_a_file']);
  } finally {
    server.close();
  }
});

test('an oversize plugin.toml (16 MB) is refused by its size, before a byte is read or parsed', async () => {
  const stick = join(dir, 'stick-big-toml');
  const d = await packageDir(stick, 'big-1.0.0');
  await truncate(join(d, 'plugin.toml'), 16 * 1024 * 1024);
  const scan = await scanStick(stick);
  assert.deepEqual(scan.packages, []);
  const e = scan.problems[0]?.error;
  assert.ok(e);
  assert.equal(refusalOf(e), 'too_large');
  assert.equal(e.kind, 'config_invalid');
  assert.match(e.message, new RegExp(`16777216 bytes, the limit is ${MAX_MANIFEST_BYTES}`));
});

test('readStickFile reads a file of exactly the limit, refuses one byte more, and reports a missing file as missing', async () => {
  const f = join(dir, 'exact.bin');
  await writeFile(f, Buffer.alloc(100, 7));
  assert.equal((await readStickFile(f, { maxBytes: 100 })).length, 100);
  await assert.rejects(readStickFile(f, { maxBytes: 99 }), (e) => refusalOf(e) === 'too_large');
  await assert.rejects(readStickFile(join(dir, 'nope'), { maxBytes: 10 }), (e) => isMidimonError(e, 'not_found') && refusalOf(e) === 'missing');
});

test('a broken manifest is quoted only from the stick\'s own regular file, one line, bounded, without control characters', async () => {
  const stick = join(dir, 'stick-bad-toml');
  const d = await packageDir(stick, 'bad-1.0.0', null);
  await writeFile(join(d, 'plugin.toml'), `[plugin]\nname = "x\u001b[2J${'A'.repeat(5000)}\n`);
  const scan = await scanStick(stick);
  const e = scan.problems[0]?.error;
  assert.ok(e);
  assert.equal(e.kind, 'config_parse');
  assert.ok(e.message.length <= 240, `message is ${e.message.length} characters`);
  assert.doesNotMatch(e.message, /[\u0000-\u001f]/);
  // A name with a terminal escape in a well-formed file is shown, but defused.
  await writeFile(join(d, 'plugin.toml'), renderManifest({ ...MANIFEST, name: 'x\u001b[2Jy' }));
  const again = (await scanStick(stick)).problems[0]?.error;
  assert.ok(again);
  assert.match(again.message, /plugin\.name 'x\?\[2Jy' must match/);
  assert.equal(shown('a\nb\u009bc', 10), 'a?b?c');
});

test('a manifest whose version no plugin could have (huge, or with control characters) is refused at scan time', async () => {
  const stick = join(dir, 'stick-bad-version');
  await packageDir(stick, 'v-1.0.0', { ...MANIFEST, version: `1.0.0\n${'9'.repeat(100)}` });
  const scan = await scanStick(stick);
  assert.deepEqual(scan.packages, []);
  assert.match(scan.problems[0]?.error.message ?? '', /plugin\.version must be a version/);
});

test('10,000 bad folders: the scan looks at a bounded number, in name order, and says where it stopped', async () => {
  const stick = join(dir, 'stick-10k');
  const root = join(stick, 'midimon-plugins');
  await mkdir(root, { recursive: true });
  execFileSync('bash', ['-c', 'mkdir bad-{00000..09999}'], { cwd: root });
  // Entries beyond maxEntries are never even listed.
  const entries = await scanStick(stick, { limits: { maxEntries: 1000 } });
  assert.deepEqual(entries.stopped, { reason: 'entries', limit: 1000 });
  assert.ok(entries.problems.length <= 200);
  let examined = 0;
  const scan = await scanStick(stick, { beforeFolder: () => void examined++ });
  assert.deepEqual(scan.stopped, { reason: 'entries', limit: 2000 });
  assert.equal(examined, 200);
  assert.equal(scan.problems.length, 200);
  assert.ok(scan.problems.every((p) => refusalOf(p.error) === 'missing'));
  // A stick with fewer entries than maxEntries but more folders than maxFolders.
  const folders = await scanStick(stick, { limits: { maxEntries: 20_000, maxFolders: 50 } });
  assert.deepEqual(folders.stopped, { reason: 'folders', limit: 50 });
  assert.equal(folders.problems[0]?.dir, join(root, 'bad-00000'));
});

test('the time budget stops a slow stick between folders', async () => {
  const stick = join(dir, 'stick-slow');
  for (const n of ['a', 'b', 'c', 'd']) await packageDir(stick, `${n}-1.0.0`);
  let t = 0;
  // Each folder "takes" 4 s on this clock; the budget is 10 s.
  const scan = await scanStick(stick, { now: () => t, beforeFolder: () => void (t += 4000) });
  assert.deepEqual(scan.stopped, { reason: 'time', limit: 10_000 });
  assert.equal(scan.packages.length, 3);
});

test('hidden entries and plain files beside the packages are not packages and not problems', async () => {
  const stick = join(dir, 'stick-macos');
  await packageDir(stick, 'good-1.0.0');
  await writeFile(join(stick, 'midimon-plugins', '._good-1.0.0'), 'AppleDouble');
  await mkdir(join(stick, 'midimon-plugins', '.Trashes'));
  await writeFile(join(stick, 'midimon-plugins', 'README.txt'), 'hello');
  const scan = await scanStick(stick);
  assert.equal(scan.packages.length, 1);
  assert.deepEqual(scan.problems, []);
  assert.deepEqual(await scanStick(join(dir, 'no-such-stick')), { mountPoint: join(dir, 'no-such-stick'), packages: [], problems: [] });
});

test('a package found on a stick is read only from that stick\'s filesystem (st_dev)', async () => {
  const stick = join(dir, 'stick-dev');
  const d = await packageDir(stick, 'probe-1.0.0');
  await writeFile(join(d, 'probe.wasm'), 'x');
  const [pkg] = (await scanStick(stick)).packages;
  assert.ok(pkg?.dev !== undefined);
  const moved: StickPackage = { ...pkg, dev: pkg.dev + 1 };
  await assert.rejects(installPackage(moved, options(join(dir, 'p-dev'))), (e) => refusalOf(e) === 'other_filesystem');
});
