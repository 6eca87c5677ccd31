import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { createPublicKey, generateKeyPairSync, verify } from 'node:crypto';
import { cp, mkdir, mkdtemp, readdir, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, test } from 'node:test';
import { promisify } from 'node:util';
import { parse as parseToml } from 'smol-toml';
import { keyId, parseManifest, STICK_PLUGIN_DIR } from '../../src/plugins/manifest.js';
import { main } from '../../src/cli/main.js';
import type { CliIo } from '../../src/cli/io.js';
import { ExampleHost } from './helpers/example-host.js';

const exec = promisify(execFile);
const REPO = join(import.meta.dirname, '..', '..');
let dir: string;

function io(cwd: string): CliIo & { out: string[]; err: string[] } {
  const out: string[] = [];
  const err: string[] = [];
  return { out, err, stdout: (t) => void out.push(t), stderr: (t) => void err.push(t), env: {}, cwd };
}

/** Compiles an AssemblyScript plugin with the repo's asc (no Rust needed). */
async function buildAs(pluginDir: string, name: string): Promise<void> {
  const asc = join(REPO, 'node_modules', 'assemblyscript', 'bin', 'asc.js');
  await exec(process.execPath, [asc, join(pluginDir, 'assembly', 'index.ts'), '--config', join(pluginDir, 'asconfig.json'), '--target', 'release', '-o', join(pluginDir, `${name}.wasm`)], { cwd: REPO });
}

before(async () => {
  dir = await mkdtemp(join(tmpdir(), 'midimon-kit-'));
});
after(async () => rm(dir, { recursive: true, force: true }));

test('plugin new scaffolds an AssemblyScript plugin that builds, runs and that plugin pack accepts and signs', async () => {
  const cli = io(dir);
  assert.equal(await main(['plugin', 'new', 'foot-pedal', '--lang', 'assemblyscript', '--author', 'Jo Doe'], cli), 0, cli.err.join(''));
  const pdir = join(dir, 'foot-pedal');
  assert.deepEqual((await readdir(pdir)).sort(), ['README.md', 'asconfig.json', 'assembly', 'build.sh', 'plugin.toml']);
  const src = await readFile(join(pdir, 'assembly', 'index.ts'), 'utf8');
  assert.ok(src.includes('"name": "foot-pedal"') && src.includes('"author": "Jo Doe"') && !src.includes('as-template'));
  const fresh = parseManifest(await readFile(join(pdir, 'plugin.toml'), 'utf8'), 'plugin.toml');
  assert.equal(fresh.name, 'foot-pedal');
  assert.equal(fresh.binaryPath, 'foot-pedal.wasm');

  await buildAs(pdir, 'foot-pedal');
  const h = await ExampleHost.create();
  try {
    await h.host.load('foot-pedal', { path: join(pdir, 'foot-pedal.wasm') });
    assert.deepEqual(await h.run('foot-pedal', 'hello'), { code: 0, calls: [{ fn: 'log', level: 1, message: 'hello from foot-pedal' }] });
  } finally {
    await h.stop();
  }

  const { privateKey, publicKey } = generateKeyPairSync('ed25519');
  await writeFile(join(dir, 'key.pem'), privateKey.export({ type: 'pkcs8', format: 'pem' }));
  const stick = join(dir, 'stick');
  const packIo = io(dir);
  assert.equal(await main(['plugin', 'pack', 'foot-pedal', '--out', 'stick', '--sign', 'key.pem', '--json'], packIo), 0, packIo.err.join(''));
  const event = JSON.parse(packIo.out.join('')) as Record<string, unknown>;
  assert.equal(event['event'], 'packed');
  assert.equal(event['keyId'], keyId(publicKey));

  const wasm = await readFile(join(pdir, 'foot-pedal.wasm'));
  const checksum = `sha256:${event['sha256'] as string}`;
  assert.equal(parseManifest(await readFile(join(pdir, 'plugin.toml'), 'utf8'), 'plugin.toml').checksum, checksum, 'plugin.toml updated in place');

  const out = join(stick, STICK_PLUGIN_DIR, 'foot-pedal-0.1.0');
  assert.deepEqual((await readdir(out)).sort(), ['foot-pedal.wasm', 'foot-pedal.wasm.sig', 'plugin.toml']);
  assert.deepEqual(await readFile(join(out, 'foot-pedal.wasm')), wasm);
  const manifest = parseToml(await readFile(join(out, 'plugin.toml'), 'utf8')) as { binary: { path: string; checksum: string }; plugin: { name: string } };
  assert.deepEqual({ ...manifest.binary }, { path: 'foot-pedal.wasm', checksum });
  const sig = Buffer.from((await readFile(join(out, 'foot-pedal.wasm.sig'), 'utf8')).trim(), 'base64');
  const pem = publicKey.export({ type: 'spki', format: 'pem' });
  assert.equal(verify(null, wasm, createPublicKey(pem), sig), true, 'signature verifies with the public key');
  assert.equal(verify(null, Buffer.concat([wasm, Buffer.from([0])]), publicKey, sig), false, 'and only for these bytes');
});

test('plugin pack refuses a manifest that disagrees with the plugin, naming file and field', async () => {
  // Reuses the plugin the first test built (asc takes seconds).
  const pdir = join(dir, 'liar');
  await cp(join(dir, 'foot-pedal'), pdir, { recursive: true });
  const toml = join(pdir, 'plugin.toml');
  const original = await readFile(toml, 'utf8');

  const cases: [string, string][] = [
    [original.replace('version = "0.1.0"', 'version = "0.2.0"'), 'plugin.version is "0.2.0" but the plugin\'s init() metadata says "0.1.0"'],
    [original.replace('required = []', 'required = ["Filesystem"]'), 'capabilities.required + capabilities.optional is ["Filesystem"] but the plugin\'s init() metadata says []'],
    [original.replace('required = []', 'required = ["Disk"]'), 'capabilities.required contains unknown capability "Disk"'],
    [original.replace(/^license = .*$/m, ''), 'plugin.license is missing'],
    [original.replace('name = "foot-pedal"', 'name = "liar"'), 'plugin.name is "liar" but the plugin\'s init() metadata says "foot-pedal"'],
    [original.replace('path = "foot-pedal.wasm"', 'path = "../foot-pedal.wasm"'), 'binary.path must be relative'],
    [original.replace('path = "foot-pedal.wasm"', 'path = "gone.wasm"'), 'binary.path "gone.wasm": ENOENT'],
  ];
  for (const [content, message] of cases) {
    await writeFile(toml, content);
    const r = io(dir);
    assert.equal(await main(['plugin', 'pack', 'liar', '--out', 'stick2'], r), 1, message);
    const err = r.err.join('');
    assert.ok(err.includes(toml) && err.includes(message), `${err} should name ${toml} and say ${message}`);
    assert.equal(await readFile(toml, 'utf8'), content, 'a refused pack leaves plugin.toml alone');
  }
  await assert.rejects(readdir(join(dir, 'stick2')), { code: 'ENOENT' });

  await writeFile(toml, original);
  const { privateKey } = generateKeyPairSync('ec', { namedCurve: 'P-256' });
  await writeFile(join(dir, 'ec.pem'), privateKey.export({ type: 'pkcs8', format: 'pem' }));
  const r = io(dir);
  assert.equal(await main(['plugin', 'pack', 'liar', '--sign', 'ec.pem'], r), 1);
  assert.match(r.err.join(''), /signature_invalid: --sign .*ec\.pem: key type is ec, expected ed25519/);
});

test('plugin new refuses bad names and non-empty directories; usage errors exit 2', async () => {
  assert.equal(await main(['plugin', 'new', 'bad/name'], io(dir)), 2);
  assert.equal(await main(['plugin', 'new', 'dotted.name', '--lang', 'rust'], io(dir)), 2);
  assert.equal(await main(['plugin', 'new', 'x', '--lang', 'cobol'], io(dir)), 2);
  assert.equal(await main(['plugin', 'pack'], io(dir)), 2);
  await mkdir(join(dir, 'occupied'), { recursive: true });
  await writeFile(join(dir, 'occupied', 'notes.txt'), 'mine');
  const r = io(dir);
  assert.equal(await main(['plugin', 'new', 'fresh', '--lang', 'assemblyscript', '--dir', 'occupied'], r), 1);
  assert.deepEqual(await readdir(join(dir, 'occupied')), ['notes.txt']);
  assert.match(r.err.join(''), /already exists and is not empty/);
});

test('plugin new --lang rust copies the Rust template with the crate renamed', async () => {
  const cli = io(dir);
  assert.equal(await main(['plugin', 'new', 'my_fx', '--dir', 'rust-fx'], cli), 0, cli.err.join(''));
  const pdir = join(dir, 'rust-fx');
  const cargo = await readFile(join(pdir, 'Cargo.toml'), 'utf8');
  assert.match(cargo, /^name = "my_fx"$/m);
  const lib = await readFile(join(pdir, 'src', 'lib.rs'), 'utf8');
  assert.ok(lib.includes('"name": "my_fx"') && !lib.includes('wasm-template'));
  const lock = await readFile(join(pdir, 'Cargo.lock'), 'utf8');
  assert.ok(lock.includes('name = "my_fx"'));
  assert.deepEqual((await readdir(join(pdir, 'src'))).sort(), ['host.rs', 'lib.rs']);
  assert.equal((await readdir(pdir)).some((f) => f.endsWith('.wasm') || f === 'target'), false);
});
