import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtemp, rm, writeFile, readFile, readdir } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { z } from 'zod';
import { StateStore } from '../../src/state/state-store.js';
import { silentLogger } from '../../src/log.js';

async function withDir(fn: (dir: string) => Promise<void>): Promise<void> {
  const dir = await mkdtemp(join(tmpdir(), 'midimon-state-'));
  try {
    await fn(dir);
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
}

test('mode and sections survive a restart', () =>
  withDir(async (dir) => {
    const a = new StateStore({ dir, log: silentLogger() });
    await a.start();
    assert.equal(a.mode, null);
    void a.setMode('Drive');
    await a.setSection('plugins', { looper: { grants: ['Midi'] } });
    await a.stop();
    const b = new StateStore({ dir, log: silentLogger() });
    await b.start();
    assert.equal(b.mode, 'Drive');
    const schema = z.record(z.string(), z.object({ grants: z.array(z.string()) }));
    assert.deepEqual(b.section('plugins', schema, {}), { looper: { grants: ['Midi'] } });
    assert.deepEqual(b.section('other', schema, {}), {});
    // Atomic writes leave no temp files behind.
    assert.deepEqual(await readdir(dir), ['state.json']);
  }));

test('a burst of updates ends with the last value on disk', () =>
  withDir(async (dir) => {
    const s = new StateStore({ dir, log: silentLogger() });
    await s.start();
    const writes = ['A', 'B', 'C', 'D', 'E'].map((m) => s.setMode(m));
    await Promise.all(writes);
    assert.equal(JSON.parse(await readFile(join(dir, 'state.json'), 'utf8')).mode, 'E');
  }));

test('a corrupt state file is kept aside as .corrupt and defaults are used', () =>
  withDir(async (dir) => {
    await writeFile(join(dir, 'state.json'), '{"version":1,"mode":');
    const s = new StateStore({ dir, log: silentLogger() });
    await s.start();
    assert.equal(s.mode, null);
    assert.equal(await readFile(join(dir, 'state.json.corrupt'), 'utf8'), '{"version":1,"mode":');
    await s.setMode('A');
    assert.equal(JSON.parse(await readFile(join(dir, 'state.json'), 'utf8')).mode, 'A');
  }));

test('a state file of the wrong shape counts as corrupt', () =>
  withDir(async (dir) => {
    await writeFile(join(dir, 'state.json'), '{"version":7}');
    const s = new StateStore({ dir, log: silentLogger() });
    await s.start();
    assert.deepEqual(s.snapshot, { version: 1, mode: null, sections: {} });
    assert.deepEqual((await readdir(dir)).sort(), ['state.json.corrupt']);
  }));

test('an invalid section falls back to the given default', () =>
  withDir(async (dir) => {
    const s = new StateStore({ dir, log: silentLogger() });
    await s.start();
    await s.setSection('grants', 'not a record');
    assert.deepEqual(s.section('grants', z.record(z.string(), z.array(z.string())), {}), {});
  }));
