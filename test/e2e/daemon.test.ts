// The service as systemd runs it (the daemon entry, a real process): it comes up in
// simulation, answers the CLI over its socket, reloads on SIGHUP, keeps running on a
// broken edit, and stops cleanly on SIGTERM, removing its socket.
import { test, after } from 'node:test';
import assert from 'node:assert/strict';
import { spawn, type ChildProcess } from 'node:child_process';
import { existsSync } from 'node:fs';
import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { setTimeout as sleep } from 'node:timers/promises';
import { main as cli } from '../../src/cli/main.js';

const repo = fileURLToPath(new URL('../../', import.meta.url));
let dir = '';
let child: ChildProcess | undefined;

after(async () => {
  if (child !== undefined && child.exitCode === null) child.kill('SIGKILL');
  if (dir !== '') await rm(dir, { recursive: true, force: true });
});

async function midimon(...argv: string[]): Promise<{ code: number; out: string; err: string }> {
  let out = '';
  let err = '';
  const code = await cli([...argv, '--socket', join(dir, 'control.sock')], { stdout: (t) => (out += t), stderr: (t) => (err += t), env: {}, cwd: dir });
  return { code, out, err };
}

async function until<T>(what: string, probe: () => Promise<T | undefined>): Promise<T> {
  // Bounded polling of a real process; no timing is asserted.
  for (let i = 0; i < 300; i++) {
    const v = await probe();
    if (v !== undefined) return v;
    await sleep(50);
  }
  assert.fail(`timed out waiting for ${what}`);
}

test('the daemon runs in simulation, serves the CLI, reloads on SIGHUP and stops on SIGTERM', async () => {
  dir = await mkdtemp(join(tmpdir(), 'midimon-daemon-'));
  const config = join(dir, 'config.toml');
  let stderr = '';
  child = spawn(process.execPath, [join(repo, 'bin/midimon-daemon.js'), '--simulate', '--config', config, '--socket', join(dir, 'control.sock')], {
    cwd: dir,
    stdio: ['ignore', 'pipe', 'pipe'],
    env: { ...process.env, MIDIMON_LOG_LEVEL: 'warn' },
  });
  child.stderr?.on('data', (d: Buffer) => (stderr += d.toString()));
  child.stdout?.resume();

  const status = await until('the control socket', async () => {
    const r = await midimon('status', '--json');
    return r.code === 0 ? (JSON.parse(r.out) as { mode: { name: string }; simulated: boolean; config: { path: string } }) : undefined;
  });
  assert.equal(status.simulated, true);
  assert.equal(status.mode.name, 'Setlist');
  assert.equal(status.config.path, config);
  await until('plugins loaded', async () => ((await midimon('plugin', 'list')).out.match(/: loaded/g)?.length === 2 ? true : undefined));

  // SIGHUP (what `systemctl reload midimon` sends) applies an edit; the mode list changes.
  const text = await readFile(config, 'utf8');
  await writeFile(config, text.replace('name = "Chords"', 'name = "Pads"').replaceAll('mode = "Chords"', 'mode = "Pads"'));
  child.kill('SIGHUP');
  await until('the edited config', async () => ((await midimon('mode', 'Pads')).code === 0 ? true : undefined));

  // A broken edit is refused; the box keeps running the last good config.
  await writeFile(config, text.replace('[[modes]]', '[[modes]]\nbogus = 1'));
  child.kill('SIGHUP');
  const refused = await until('the rejection', async () => {
    const r = await midimon('status', '--json');
    const s = JSON.parse(r.out) as { config: { last_error: { message: string } | null }; mode: { name: string } };
    return s.config.last_error === null ? undefined : s;
  });
  assert.match(refused.config.last_error?.message ?? '', /bogus/);
  assert.equal(refused.mode.name, 'Pads');

  const exited = new Promise<number | null>((resolve) => child?.once('exit', (code) => resolve(code)));
  child.kill('SIGTERM');
  assert.equal(await exited, 0, stderr);
  assert.equal(existsSync(join(dir, 'control.sock')), false, 'socket removed on stop');
  assert.doesNotMatch(stderr, /uncaught|unhandled/i);
});
