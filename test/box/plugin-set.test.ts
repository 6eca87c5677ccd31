import { test, after } from 'node:test';
import assert from 'node:assert/strict';
import { copyFile, mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { generateKeyPairSync, sign } from 'node:crypto';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { PluginSet } from '../../src/box/plugin-set.js';
import { Problems } from '../../src/box/problems.js';
import { boxConfigSchema } from '../../src/config/schema.js';
import { silentLogger } from '../../src/log.js';
import { PluginHost } from '../../src/plugins/host.js';
import { StateStore } from '../../src/state/state-store.js';

const repo = fileURLToPath(new URL('../../', import.meta.url));
const dir = await mkdtemp(join(tmpdir(), 'midimon-pluginset-'));
const host = new PluginHost({ log: silentLogger(), stateDir: dir, spareWorker: false });
after(async () => {
  await host.stop();
  await rm(dir, { recursive: true, force: true });
});

test('[plugins.NAME] signature policy: "required" refuses an unsigned file with a banner, a trusted signature loads it, a forged one does not', async () => {
  const wasm = join(dir, 'as.wasm');
  await copyFile(join(repo, 'plugins/as-template/as-template.wasm'), wasm);
  const author = generateKeyPairSync('ed25519');
  const state = new StateStore({ dir, log: silentLogger() });
  await state.start();
  const problems = new Problems();
  const set = new PluginSet({ host, log: silentLogger(), state, problems, trustedKeys: async () => [author.publicKey] });
  const config = boxConfigSchema.parse({ modes: [{ name: 'A' }], plugins: { as: { path: wasm, signature: 'required' } } });

  await set.apply(config, join(dir, 'config.toml'));
  assert.equal(host.get('as'), undefined);
  assert.equal(problems.banner()?.kind, 'signature_invalid');
  assert.match(set.entry('as').error ?? '', /unsigned/);

  const bytes = await readFile(wasm);
  await writeFile(`${wasm}.sig`, sign(null, bytes, generateKeyPairSync('ed25519').privateKey).toString('base64'));
  await set.apply(boxConfigSchema.parse({ ...config, limits: { profile: 'desktop' } }), join(dir, 'config.toml'));
  assert.equal(host.get('as'), undefined, 'a signature by an untrusted key is refused');

  await writeFile(`${wasm}.sig`, sign(null, bytes, author.privateKey).toString('base64'));
  await set.apply(boxConfigSchema.parse({ ...config, limits: { profile: 'pi' } }), join(dir, 'config.toml'));
  assert.ok(host.get('as'));
  assert.equal(problems.banner(), undefined);
  await state.stop();
});
