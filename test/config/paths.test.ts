import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtemp, rm, mkdir, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { resolveServicePaths, resolveCliPaths, simulatedPaths } from '../../src/config/paths.js';

async function withDir(fn: (dir: string) => Promise<void>): Promise<void> {
  const dir = await mkdtemp(join(tmpdir(), 'midimon-paths-'));
  try {
    await fn(dir);
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
}

test('explicit settings win: flag over MIDIMON_CONFIG; systemd directories; MIDIMON_SOCKET', () =>
  withDir(async (dir) => {
    const p = await resolveServicePaths({
      configFlag: 'my.toml',
      env: { MIDIMON_CONFIG: '/nope.toml', STATE_DIRECTORY: join(dir, 's') + ':/other', RUNTIME_DIRECTORY: join(dir, 'r'), MIDIMON_SIMULATE: '1' },
      cwd: dir,
    });
    assert.equal(p.configPath, join(dir, 'my.toml'));
    assert.equal(p.stateDir, join(dir, 's'));
    assert.equal(p.runtimeDir, join(dir, 'r'));
    assert.equal(p.socketPath, join(dir, 'r', 'control.sock'));
    const q = await resolveServicePaths({ env: { MIDIMON_SOCKET: join(dir, 'x', 'ctl.sock'), MIDIMON_STATE_DIR: join(dir, 'st'), MIDIMON_SIMULATE: '1' }, cwd: dir });
    assert.equal(q.socketPath, join(dir, 'x', 'ctl.sock'));
    assert.equal(q.runtimeDir, join(dir, 'x'));
    assert.equal(q.stateDir, join(dir, 'st'));
    assert.equal(q.configPath, join(dir, '.sim', 'config.toml'));
  }));

test('MIDIMON_SIMULATE=1 puts everything under ./.sim/ and creates the directories', () =>
  withDir(async (dir) => {
    const p = await resolveServicePaths({ env: { MIDIMON_SIMULATE: '1' }, cwd: dir });
    assert.deepEqual(p, simulatedPaths(dir));
    assert.deepEqual(p, {
      configPath: join(dir, '.sim', 'config.toml'),
      stateDir: join(dir, '.sim', 'state'),
      runtimeDir: join(dir, '.sim', 'run'),
      socketPath: join(dir, '.sim', 'run', 'control.sock'),
      simulated: true,
    });
  }));

test('when the system directories are not usable the service simulates; when they are, it uses them', () =>
  withDir(async (dir) => {
    // A regular file where a directory should be: mkdir fails even for root.
    await writeFile(join(dir, 'blocker'), '');
    const blocked = { configPath: join(dir, 'blocker', 'etc', 'config.toml'), stateDir: join(dir, 'blocker', 'lib'), runtimeDir: join(dir, 'blocker', 'run'), socketPath: join(dir, 'blocker', 'run', 'control.sock'), simulated: false };
    const p = await resolveServicePaths({ env: {}, cwd: dir, system: blocked });
    assert.deepEqual(p, simulatedPaths(dir));
    const usable = { configPath: join(dir, 'etc', 'config.toml'), stateDir: join(dir, 'lib'), runtimeDir: join(dir, 'run'), socketPath: join(dir, 'run', 'control.sock'), simulated: false };
    assert.deepEqual(await resolveServicePaths({ env: {}, cwd: dir, system: usable }), usable);
  }));

test('the CLI finds a simulated box running from this directory', () =>
  withDir(async (dir) => {
    await mkdir(join(dir, '.sim'), { recursive: true });
    await writeFile(join(dir, '.sim', 'config.toml'), '');
    const p = await resolveCliPaths({ env: {}, cwd: dir, system: { configPath: join(dir, 'none', 'c.toml'), stateDir: join(dir, 'none'), runtimeDir: join(dir, 'none'), socketPath: join(dir, 'none', 's.sock'), simulated: false } });
    assert.equal(p.socketPath, join(dir, '.sim', 'run', 'control.sock'));
    const q = await resolveCliPaths({ socketFlag: '/tmp/x.sock', configFlag: 'c.toml', env: {}, cwd: dir });
    assert.equal(q.socketPath, '/tmp/x.sock');
    assert.equal(q.configPath, join(dir, 'c.toml'));
  }));
