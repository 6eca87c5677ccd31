import assert from 'node:assert/strict';
import { createHash } from 'node:crypto';
import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { test } from 'node:test';
import { parseManifest } from '../../src/plugins/manifest.js';
import { EXAMPLES, PLUGINS_DIR, wasmPath } from './helpers/example-host.js';

// The guide's size targets (bytes) for the plugins it names.
const SIZE_TARGETS: Partial<Record<(typeof EXAMPLES)[number], number>> = { 'wasm-minimal': 2048, 'wasm-template': 120 * 1024 };

for (const name of EXAMPLES) {
  test(`${name}: plugin.toml names the committed .wasm and its sha256`, async () => {
    const file = join(PLUGINS_DIR, name, 'plugin.toml');
    const m = parseManifest(await readFile(file, 'utf8'), file);
    assert.equal(m.name, name);
    assert.equal(m.binaryPath, `${name}.wasm`);
    const bytes = await readFile(wasmPath(name));
    assert.equal(m.checksum, `sha256:${createHash('sha256').update(bytes).digest('hex')}`, 'stale checksum: run npm run plugins');
    const target = SIZE_TARGETS[name];
    if (target !== undefined) assert.ok(bytes.length < target, `${name}.wasm is ${bytes.length} bytes, target < ${target}`);
    const readme = await readFile(join(PLUGINS_DIR, name, 'README.md'), 'utf8');
    for (const section of ['## Actions', '## Capabilities', '## Build']) assert.ok(readme.includes(section), `${name}/README.md lacks '${section}'`);
  });
}
