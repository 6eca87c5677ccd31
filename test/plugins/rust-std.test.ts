import assert from 'node:assert/strict';
import { mkdirSync, mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, test } from 'node:test';
import { fileURLToPath } from 'node:url';
import { PluginHost } from '../../src/plugins/host.js';
import { captureLog } from './helpers/capture-log.js';

// A real Rust std plugin (built by Debian's rustc for wasm32-wasi, committed
// beside its source): std::fs and println! must work through our own WASI shim.
const WASM = fileURLToPath(new URL('../fixtures/hostile/rust-std-fs.wasm', import.meta.url));
const stateDir = mkdtempSync(join(tmpdir(), 'midimon-rust-'));
const dataDir = join(stateDir, 'plugin-data', 'rust');
const { log, lines } = captureLog();
const host = new PluginHost({ log, stateDir, profile: 'desktop' });
const stdout = () => lines.filter((l) => l.plugin === 'rust' && l['source'] === 'stdout').map((l) => l.msg);

before(async () => {
  mkdirSync(dataDir, { recursive: true });
  writeFileSync(join(dataDir, 'setlist.toml'), 'songs = ["intro", "outro"]\n');
  writeFileSync(join(stateDir, 'plugin-data', 'outside.txt'), 'not yours');
  await host.load('rust', { path: WASM }, { grants: ['Filesystem'] });
});
after(() => host.stop());

test('std::fs::read_to_string("setlist.toml") reads the plugin data directory', async () => {
  const r = await host.execute('rust', 'read');
  assert.equal(r.status === 'returned' && r.code, 0);
  assert.deepEqual(stdout().at(-1), 'read: songs = ["intro", "outro"]');
});

test('std::fs::write("state.txt") lands in the data directory', async () => {
  const r = await host.execute('rust', 'write');
  assert.equal(r.status === 'returned' && r.code, 0);
  assert.equal(readFileSync(join(dataDir, 'state.txt'), 'utf8'), 'saved by rust');
});

test('"../outside.txt" from Rust std fails inside the plugin, not in the host', async () => {
  const r = await host.execute('rust', 'escape');
  assert.equal(r.status === 'returned' && r.code, 4);
  assert.match(stdout().at(-1) ?? '', /^read failed: /);
});
