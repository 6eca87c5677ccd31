import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtemp, readFile, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { main } from '../../src/cli/main.js';
import { validateConfigText } from '../../src/config/load.js';

async function run(argv: string[]): Promise<{ code: number; out: string }> {
  let out = '';
  const code = await main(argv, { stdout: (t) => (out += t), stderr: (t) => (out += t), env: {}, cwd: '/' });
  return { code, out };
}

test('config init writes a valid default config once and never overwrites an existing one', async () => {
  const dir = await mkdtemp(join(tmpdir(), 'midimon-init-'));
  const file = join(dir, 'config.toml');
  const first = await run(['config', 'init', file]);
  assert.equal(first.code, 0);
  assert.match(first.out, /wrote the default config/);
  const r = await validateConfigText(await readFile(file, 'utf8'), file, { checkPluginFiles: false });
  assert.equal(r.ok, true);
  await writeFile(file, '# mine\n[[modes]]\nname = "Mine"\n');
  const again = await run(['config', 'init', file]);
  assert.match(again.out, /exists; left as it is/);
  assert.equal(await readFile(file, 'utf8'), '# mine\n[[modes]]\nname = "Mine"\n');
});
