import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { cp, mkdtemp, readdir, readFile, rm, writeFile, mkdir, rename } from 'node:fs/promises';
import { generateKeyPairSync, type KeyObject } from 'node:crypto';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { packPlugin } from '../../src/cli/commands/plugin-pack.js';
import { isMidimonError } from '../../src/errors.js';
import { silentLogger } from '../../src/log.js';
import { PluginHost } from '../../src/plugins/host.js';
import { installPackage, listInstalled, loadTrustedKeys, scanStick, type InstallOptions, type StickPackage } from '../../src/usb/installer.js';
import { parseMountInfo, StickWatcher } from '../../src/usb/mounts.js';
import { ManualScheduler } from '../../src/gpio/manual-scheduler.js';

const repo = fileURLToPath(new URL('../../', import.meta.url));
let dir: string;
let host: PluginHost;
let keys: { privateKey: KeyObject; publicKey: KeyObject };
let keyFile: string;

before(async () => {
  dir = await mkdtemp(join(tmpdir(), 'midimon-usb-'));
  host = new PluginHost({ log: silentLogger(), stateDir: join(dir, 'host-state'), spareWorker: false });
  keys = generateKeyPairSync('ed25519');
  keyFile = join(dir, 'author.pem');
  await writeFile(keyFile, keys.privateKey.export({ type: 'pkcs8', format: 'pem' }));
  await mkdir(join(dir, 'trusted-keys'));
  await writeFile(join(dir, 'trusted-keys', 'author.pem'), keys.publicKey.export({ type: 'spki', format: 'pem' }));
});

after(async () => {
  await host.stop();
  await rm(dir, { recursive: true, force: true });
});

/** A stick with the AssemblyScript template packed onto it (signed when asked). */
async function makeStick(name: string, sign: boolean): Promise<StickPackage> {
  const src = join(dir, `src-${name}`);
  await cp(join(repo, 'plugins/as-template'), src, { recursive: true });
  const stick = join(dir, `stick-${name}`);
  await packPlugin(src, { out: stick, ...(sign ? { signKey: keyFile } : {}) });
  const scan = await scanStick(stick);
  assert.equal(scan.packages.length, 1);
  return scan.packages[0] as StickPackage;
}

async function options(signature: InstallOptions['signature'], pluginsDir: string): Promise<InstallOptions> {
  return {
    pluginsDir,
    signature,
    trustedKeys: async () => (await loadTrustedKeys(join(dir, 'trusted-keys'))).keys,
    sandboxCheck: async (n, bytes) => {
      try {
        return await host.load(`check.${n}`, { bytes });
      } finally {
        await host.unload(`check.${n}`);
      }
    },
  };
}

test('mountinfo parsing unescapes mount points and the watcher reports sticks under /media as they come and go', async () => {
  const line = (mp: string, src: string) => `36 35 8:1 / ${mp} rw,nosuid - vfat ${src} ro`;
  const entries = parseMountInfo(`${line('/', '/dev/root')}\n${line('/media/midimon-sda1', '/dev/sda1')}\n${line('/media/My\\040Stick', '/dev/sdb1')}\n`);
  assert.deepEqual(entries.map((e) => e.mountPoint), ['/', '/media/midimon-sda1', '/media/My Stick']);
  let text = line('/', '/dev/root');
  const seen: string[][] = [];
  const clock = new ManualScheduler(0);
  const w = new StickWatcher({ log: silentLogger(), scheduler: clock, readMountInfo: async () => text, onChange: (s) => seen.push(s.map((m) => m.mountPoint)) });
  await w.poll();
  text += `\n${line('/media/midimon-sda1', '/dev/sda1')}`;
  await w.poll();
  await w.poll();
  text = line('/', '/dev/root');
  await w.poll();
  assert.deepEqual(seen, [['/media/midimon-sda1'], []]);
});

test('a signed package installs after checksum, signature and sandbox checks; the installed list shows it', async () => {
  const pkg = await makeStick('good', true);
  const pluginsDir = join(dir, 'plugins-good');
  const installed = await installPackage(pkg, await options('required', pluginsDir));
  assert.equal(installed.name, pkg.manifest.name);
  assert.match(installed.signedBy ?? '', /^[0-9a-f]{16}$/);
  const listed = await listInstalled(pluginsDir);
  assert.deepEqual(listed.map((p) => p.name), [pkg.manifest.name]);
  assert.deepEqual(await readFile(listed[0]?.wasmPath ?? ''), await readFile(join(pkg.dir, pkg.manifest.binaryPath)));
  // The installed copy loads like any plugin.
  const loaded = await host.load('installed', { path: listed[0]?.wasmPath ?? '' });
  assert.equal(loaded.sha256, installed.sha256);
  await host.unload('installed');
});

test('a tampered binary is refused with checksum_mismatch and nothing is written', async () => {
  const pkg = await makeStick('tampered', false);
  const wasm = join(pkg.dir, pkg.manifest.binaryPath);
  const bytes = await readFile(wasm);
  bytes[bytes.length - 1] = (bytes[bytes.length - 1] ?? 0) ^ 0xff;
  await writeFile(wasm, bytes);
  const pluginsDir = join(dir, 'plugins-tampered');
  await assert.rejects(installPackage(pkg, await options('off', pluginsDir)), (e) => isMidimonError(e, 'checksum_mismatch') && e.message.includes(pkg.manifest.name));
  assert.deepEqual(await readdir(pluginsDir).catch(() => []), []);
});

test('signature policy: unsigned refused when required; a signature from an untrusted key is refused', async () => {
  const unsigned = await makeStick('unsigned', false);
  await assert.rejects(installPackage(unsigned, await options('required', join(dir, 'p1'))), (e) => isMidimonError(e, 'signature_invalid') && /unsigned/.test(e.message));
  // if-present accepts the unsigned one.
  await installPackage(unsigned, await options('if-present', join(dir, 'p1')));

  const signed = await makeStick('forged', true);
  const other = generateKeyPairSync('ed25519');
  const sig = join(signed.dir, `${signed.manifest.binaryPath}.sig`);
  const { sign } = await import('node:crypto');
  await writeFile(sig, sign(null, await readFile(join(signed.dir, signed.manifest.binaryPath)), other.privateKey).toString('base64'));
  await assert.rejects(installPackage(signed, await options('if-present', join(dir, 'p2'))), (e) => isMidimonError(e, 'signature_invalid') && /does not verify/.test(e.message));
  assert.deepEqual(await readdir(join(dir, 'p2')).catch(() => []), []);
});

test('a manifest that disagrees with the plugin metadata is refused (bad_metadata), naming the field', async () => {
  const pkg = await makeStick('liar', false);
  const toml = join(pkg.dir, 'plugin.toml');
  await writeFile(toml, (await readFile(toml, 'utf8')).replace(/version = "[^"]+"/, 'version = "9.9.9"'));
  const [reread] = (await scanStick(join(dir, 'stick-liar'))).packages;
  assert.ok(reread);
  await assert.rejects(installPackage(reread, await options('off', join(dir, 'p3'))), (e) => isMidimonError(e, 'bad_metadata') && /plugin\.version/.test(e.message));
});

test('reinstalling replaces the old version; a swap cut short by a power cut is recovered', async () => {
  const pkg = await makeStick('again', false);
  const pluginsDir = join(dir, 'plugins-again');
  await installPackage(pkg, await options('off', pluginsDir));
  await installPackage(pkg, await options('off', pluginsDir));
  assert.deepEqual((await readdir(pluginsDir)).filter((e) => !e.startsWith('.')), [pkg.manifest.name]);
  assert.deepEqual((await readdir(pluginsDir)).filter((e) => e.startsWith('.')), []);
  // Simulate a crash between "old aside" and "new in".
  await rename(join(pluginsDir, pkg.manifest.name), join(pluginsDir, `.old-${pkg.manifest.name}`));
  const listed = await listInstalled(pluginsDir);
  assert.deepEqual(listed.map((p) => p.name), [pkg.manifest.name]);
});

test('a broken or foreign key file is skipped with a reason, and the good keys still verify', async () => {
  const keysDir = join(dir, 'mixed-keys');
  await mkdir(keysDir);
  await writeFile(join(keysDir, 'a-broken.pem'), '-----BEGIN PUBLIC KEY-----\nnot base64\n-----END PUBLIC KEY-----\n');
  const { publicKey: ec } = generateKeyPairSync('ec', { namedCurve: 'P-256' });
  await writeFile(join(keysDir, 'b-ec.pem'), ec.export({ type: 'spki', format: 'pem' }));
  await writeFile(join(keysDir, 'c-author.pem'), keys.publicKey.export({ type: 'spki', format: 'pem' }));
  const loaded = await loadTrustedKeys(keysDir);
  assert.equal(loaded.keys.length, 1);
  assert.deepEqual(loaded.skipped.map((s) => s.file.split('/').pop()), ['a-broken.pem', 'b-ec.pem']);
  assert.match(loaded.skipped[1]?.reason ?? '', /ec key, not Ed25519/);
  const pkg = await makeStick('mixed', true);
  const installed = await installPackage(pkg, { ...(await options('required', join(dir, 'p-mixed'))), trustedKeys: async () => loaded.keys });
  assert.match(installed.signedBy ?? '', /^[0-9a-f]{16}$/);
});

test('keys are not even read for an unsigned package under "if-present"', async () => {
  const pkg = await makeStick('nokeys', false);
  let read = false;
  await installPackage(pkg, { ...(await options('if-present', join(dir, 'p-nokeys'))), trustedKeys: async () => ((read = true), []) });
  assert.equal(read, false);
});
