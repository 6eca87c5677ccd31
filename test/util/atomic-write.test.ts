import assert from 'node:assert/strict';
import { mkdtempSync, mkdirSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { test } from 'node:test';
import { writeFileAtomic } from '../../src/util/atomic-write.js';

test('writeFileAtomic replaces the content and leaves no temp file behind', async () => {
  const dir = mkdtempSync(join(tmpdir(), 'midimon-atomic-'));
  const target = join(dir, 'state.json');
  writeFileSync(target, '{"old":true}\n');
  await writeFileAtomic(target, '{"new":true}\n');
  assert.equal(readFileSync(target, 'utf8'), '{"new":true}\n');
  assert.deepEqual(readdirSync(dir), ['state.json']);
});

test('when the final rename fails, the error reaches the caller and no temp file is left in the directory', async () => {
  const dir = mkdtempSync(join(tmpdir(), 'midimon-atomic-'));
  // A non-empty directory where the file should go: rename() over it fails (EISDIR/ENOTEMPTY).
  const target = join(dir, 'state.json');
  mkdirSync(target);
  writeFileSync(join(target, 'x'), '');
  await assert.rejects(writeFileAtomic(target, '{"new":true}\n'), (e: NodeJS.ErrnoException) => ['EISDIR', 'ENOTEMPTY', 'EEXIST'].includes(e.code ?? ''));
  assert.deepEqual(readdirSync(dir), ['state.json']);
  assert.deepEqual(readdirSync(target), ['x']);
});
