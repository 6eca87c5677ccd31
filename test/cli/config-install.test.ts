// `midimon config install FILE`: the documented way to change a box's config over SSH.
// Invalid input never reaches the live file; valid input replaces it whole (temp + rename).
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtemp, readdir, readFile, rm, stat, writeFile, chmod } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { main } from '../../src/cli/main.js';

async function run(dir: string, argv: string[]): Promise<{ code: number; out: string; err: string }> {
  let out = '';
  let err = '';
  const env = { MIDIMON_CONFIG: join(dir, 'etc', 'config.toml'), MIDIMON_STATE_DIR: join(dir, 'state'), MIDIMON_SOCKET: join(dir, 'no.sock') };
  const code = await main(argv, { stdout: (t) => (out += t), stderr: (t) => (err += t), env, cwd: dir });
  return { code, out, err };
}

const GOOD = '[[modes]]\nname = "Live"\n';

test('config install replaces the config only with a valid file, atomically, keeping its mode', async () => {
  const dir = await mkdtemp(join(tmpdir(), 'midimon-cfg-install-'));
  try {
    const live = join(dir, 'etc', 'config.toml');
    assert.equal((await run(dir, ['config', 'init'])).code, 0);
    await chmod(live, 0o664);
    const before = await readFile(live, 'utf8');

    await writeFile(join(dir, 'bad.toml'), '[[modes]]\nname = "Live"\nbogus_key = 1\n');
    const bad = await run(dir, ['config', 'install', 'bad.toml']);
    assert.equal(bad.code, 1);
    assert.match(bad.out, /bad\.toml:3/);
    assert.match(bad.err, /was not changed/);
    assert.equal(await readFile(live, 'utf8'), before);

    await writeFile(join(dir, 'broken.toml'), '[[modes]\n');
    assert.equal((await run(dir, ['config', 'install', 'broken.toml'])).code, 1);
    assert.equal(await readFile(live, 'utf8'), before);
    assert.equal((await run(dir, ['config', 'install', 'missing.toml'])).code, 1);

    await writeFile(join(dir, 'good.toml'), GOOD);
    const inode = (await stat(live)).ino;
    const good = await run(dir, ['config', 'install', 'good.toml']);
    assert.equal(good.code, 0, good.err);
    assert.match(good.out, /installed .*good\.toml as .*config\.toml \([0-9a-f]{16}\)/);
    assert.equal(await readFile(live, 'utf8'), GOOD);
    // A new file renamed over the old one (never rewritten in place), same permissions, no temp left.
    assert.notEqual((await stat(live)).ino, inode);
    assert.equal((await stat(live)).mode & 0o777, 0o664);
    assert.deepEqual(await readdir(join(dir, 'etc')), ['config.toml']);

    const same = await run(dir, ['config', 'install', 'good.toml']);
    assert.match(same.out, /nothing written/);
    assert.equal((await run(dir, ['config', 'install'])).code, 2);
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
});
