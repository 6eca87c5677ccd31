// What a newcomer hit with `midimon config check`: mappings to plugins installed
// on the box (the box accepts them, so must check).
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdir, mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { main } from '../../src/cli/main.js';

async function check(dir: string, env: Record<string, string>): Promise<{ code: number; out: string }> {
  let out = '';
  const code = await main(['config', 'check', 'c.toml'], { stdout: (t) => (out += t), stderr: (t) => (out += t), env, cwd: dir });
  return { code, out };
}

test('config check accepts mappings to plugins installed from a stick, as the box does', async () => {
  const dir = await mkdtemp(join(tmpdir(), 'midimon-check-'));
  try {
    await writeFile(
      join(dir, 'c.toml'),
      'version = 1\n[[modes]]\nname = "A"\n[[modes.mappings]]\ntrigger = { type = "Note", note = 60 }\naction = { type = "Plugin", plugin = "octaver", action = "play" }\n',
    );
    const state = join(dir, 'state');
    const none = await check(dir, { MIDIMON_STATE_DIR: state });
    assert.equal(none.code, 1);
    assert.match(none.out, /octaver/);
    await mkdir(join(state, 'plugins', 'octaver'), { recursive: true });
    await writeFile(join(state, 'plugins', 'octaver', 'plugin.toml'), 'name = "octaver"\nversion = "1.0.0"\n');
    const installed = await check(dir, { MIDIMON_STATE_DIR: state });
    assert.equal(installed.code, 0, installed.out);
    // A half-written install (no manifest) is not an installed plugin.
    await mkdir(join(state, 'plugins', 'broken'), { recursive: true });
    await writeFile(join(dir, 'c.toml'), 'version = 1\n[[modes]]\nname = "A"\n[[modes.mappings]]\ntrigger = { type = "Note", note = 60 }\naction = { type = "Plugin", plugin = "broken", action = "play" }\n');
    assert.equal((await check(dir, { MIDIMON_STATE_DIR: state })).code, 1);
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
});
