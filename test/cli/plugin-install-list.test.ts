// `midimon plugin install <stick root>` lists the packages on that stick (name,
// version, whether each verifies or why not) instead of failing on a missing
// plugin.toml; extra arguments are refused. Through the CLI against a box on
// its fakes with the real control socket.
import { test, after, before } from 'node:test';
import assert from 'node:assert/strict';
import { appendFile, cp, mkdir, mkdtemp, readdir, rm, symlink, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { MidimonBox } from '../../src/box/box.js';
import { packPlugin } from '../../src/cli/commands/plugin-pack.js';
import { main } from '../../src/cli/main.js';
import { ManualScheduler } from '../../src/gpio/manual-scheduler.js';
import { silentLogger } from '../../src/log.js';

const repo = fileURLToPath(new URL('../../', import.meta.url));
let dir: string;
let box: MidimonBox;
let stick: string;
let name: string;
let version: string;
let good: string;

async function midimon(...argv: string[]): Promise<{ code: number; out: string; err: string }> {
  let out = '';
  let err = '';
  const code = await main([...argv, '--socket', join(dir, 'run', 'control.sock')], { stdout: (t) => (out += t), stderr: (t) => (err += t), env: {}, cwd: dir });
  return { code, out, err };
}

before(async () => {
  dir = await mkdtemp(join(tmpdir(), 'midimon-install-list-'));
  const src = join(dir, 'as-src');
  await cp(join(repo, 'plugins/as-template'), src, { recursive: true });
  stick = join(dir, 'stick');
  const packed = await packPlugin(src, { out: stick });
  name = packed.manifest.name;
  version = packed.manifest.version.replaceAll('.', '\\.');
  const pkgs = join(stick, 'midimon-plugins');
  const [first] = await readdir(pkgs);
  assert.ok(first);
  good = first;
  // Same package, one byte more in the binary: its checksum no longer matches.
  await cp(join(pkgs, good), join(pkgs, 'tampered-1.0.0'), { recursive: true });
  await appendFile(join(pkgs, 'tampered-1.0.0', `${name}.wasm`), Buffer.from([0]));
  // Same package with a signature the box cannot check (it trusts no keys).
  await cp(join(pkgs, good), join(pkgs, 'signed-1.0.0'), { recursive: true });
  await writeFile(join(pkgs, 'signed-1.0.0', `${name}.wasm.sig`), `${Buffer.alloc(64, 1).toString('base64')}\n`);
  await mkdir(join(pkgs, 'empty-1.0.0'));
  await writeFile(join(dir, 'secret'), 'x');
  await mkdir(join(pkgs, 'linked-1.0.0'));
  await symlink(join(dir, 'secret'), join(pkgs, 'linked-1.0.0', 'plugin.toml'));

  const configPath = join(dir, 'config.toml');
  await writeFile(configPath, `version = 1\n[[modes]]\nname = "A"\n[usb]\nmount_roots = ["${dir}/media"]\n`);
  await mkdir(join(dir, 'run'), { recursive: true });
  box = new MidimonBox({
    paths: { configPath, stateDir: join(dir, 'state'), runtimeDir: join(dir, 'run'), socketPath: join(dir, 'run', 'control.sock'), simulated: true },
    log: silentLogger(),
    simulate: true,
    version: 'test',
    scheduler: new ManualScheduler(Date.UTC(2026, 0, 1, 12)),
    onRestart: () => undefined,
    onShutdown: () => undefined,
    readMountInfo: async () => '',
  });
  await box.start();
});

after(async () => {
  await box.stop();
  await rm(dir, { recursive: true, force: true });
});

test('a stick root lists every package folder: name, version, verifies or why not', async () => {
  const r = await midimon('plugin', 'install', stick);
  assert.equal(r.code, 0, r.err);
  assert.match(r.out, new RegExp(`^${stick}: 5 package folders, 1 verifies\\n`));
  assert.match(r.out, new RegExp(`^${name} ${version}: verifies \\(checksum ok, unsigned\\)\\n  ${join(stick, 'midimon-plugins', good)}$`, 'm'));
  assert.match(r.out, new RegExp(`^${name} ${version}: refused: .*SHA-256 [0-9a-f]{64}, but .* says`, 'm'));
  assert.match(r.out, new RegExp(`^${name} ${version}: refused: ${name}: signed, but the box trusts no keys yet`, 'm'));
  assert.match(r.out, /^empty-1\.0\.0: refused: midimon-plugins\/empty-1\.0\.0\/plugin\.toml is missing/m);
  assert.match(r.out, /^linked-1\.0\.0: refused: midimon-plugins\/linked-1\.0\.0\/plugin\.toml is a symbolic link/m);
  assert.match(r.out, /install one with: midimon plugin install PATH/);
  // Listing installs nothing.
  assert.ok(!box.pluginSet.list().some((p) => p.name === name));

  // The midimon-plugins folder itself is the same stick; --json carries the same facts.
  const json = JSON.parse((await midimon('plugin', 'install', join(stick, 'midimon-plugins'), '--json')).out) as { installed: boolean; stick: string; packages: Array<{ name: string; verifies: boolean; reason?: string }> };
  assert.equal(json.installed, false);
  assert.deepEqual(json.packages.map((p) => p.verifies), [true, false, false, false, false]);
  assert.ok(json.packages.filter((p) => !p.verifies).every((p) => (p.reason ?? '') !== ''));
});

test('a folder that is neither a package nor a stick still says what it expected; a package folder installs', async () => {
  const r = await midimon('plugin', 'install', join(dir, 'as-src', '..', 'run'));
  assert.equal(r.code, 1);
  assert.match(r.err, /plugin\.toml is missing \(expected a package laid out by 'midimon plugin pack'\)/);
  const ok = await midimon('plugin', 'install', join(stick, 'midimon-plugins', good));
  assert.equal(ok.code, 0, ok.err);
  assert.match(ok.out, new RegExp(`^installed ${name} ${version}`));
});

test('extra arguments are refused, not ignored', async () => {
  const r = await midimon('plugin', 'install', stick, 'more');
  assert.equal(r.code, 2);
  assert.match(r.err, /unexpected extra argument 'more' \(see 'midimon plugin install --help'\)/);
  assert.equal(r.out, '');
});
