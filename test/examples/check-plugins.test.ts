import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { appendFile, cp, mkdir, mkdtemp, rm, symlink } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { test } from 'node:test';
import { promisify } from 'node:util';

const exec = promisify(execFile);
const REPO = join(import.meta.dirname, '..', '..');

// The CI gate itself, on the AssemblyScript template only (npm's asc, no
// Rust needed): a committed .wasm that no longer matches its source and its
// manifest is reported, naming the file and the field.
test('check-plugins.sh fails on a stale committed .wasm and names the plugin.toml checksum', async () => {
  const root = await mkdtemp(join(tmpdir(), 'midimon-check-'));
  try {
    await mkdir(join(root, 'plugins'));
    await cp(join(REPO, 'scripts'), join(root, 'scripts'), { recursive: true });
    await cp(join(REPO, 'plugins', 'as-template'), join(root, 'plugins', 'as-template'), { recursive: true });
    await symlink(join(REPO, 'node_modules'), join(root, 'node_modules'));
    await cp(join(REPO, 'package.json'), join(root, 'package.json'));
    await appendFile(join(root, 'plugins', 'as-template', 'as-template.wasm'), Buffer.from([0]));

    const err = await exec('bash', [join(root, 'scripts', 'check-plugins.sh'), 'as-template'], { cwd: root }).then(
      () => assert.fail('check-plugins.sh passed on a tampered .wasm'),
      (e: { code: number; stdout: string }) => e,
    );
    assert.equal(err.code, 1);
    assert.match(err.stdout, /as-template\.wasm differs from a rebuild from source/);
    assert.match(err.stdout, /plugins\/as-template\/plugin\.toml: \[binary\]\.checksum is sha256:[0-9a-f]{64} but as-template\.wasm is sha256:[0-9a-f]{64}/);
    assert.match(err.stdout, /check-plugins: FAILED/);
  } finally {
    await rm(root, { recursive: true, force: true });
  }
});
