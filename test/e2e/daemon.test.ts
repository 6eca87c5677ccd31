// The service as systemd runs it (the daemon entry, a real process): it comes up in
// simulation, answers the CLI over its socket, reloads on SIGHUP, keeps running on a
// broken edit, and stops cleanly on SIGTERM, removing its socket.
import { test, after } from 'node:test';
import assert from 'node:assert/strict';
import { spawn, type ChildProcess } from 'node:child_process';
import { existsSync } from 'node:fs';
import { mkdtemp, readFile, rename, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { midimonIn, until } from './helpers/cli.js';

const repo = fileURLToPath(new URL('../../', import.meta.url));
let dir = '';
let child: ChildProcess | undefined;

after(async () => {
  if (child !== undefined && child.exitCode === null) child.kill('SIGKILL');
  if (dir !== '') await rm(dir, { recursive: true, force: true });
});

const midimon = (...argv: string[]) => midimonIn(dir, argv);

const waitFor = <T>(what: string, probe: () => Promise<T | undefined> | T | undefined): Promise<T> => until(what, probe, { tries: 300 });

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

  const status = await waitFor('the control socket', async () => {
    const r = await midimon('status', '--json');
    return r.code === 0 ? (JSON.parse(r.out) as { mode: { name: string }; simulated: boolean; config: { path: string } }) : undefined;
  });
  assert.equal(status.simulated, true);
  assert.equal(status.mode.name, 'Setlist');
  assert.equal(status.config.path, config);
  // Generous: the plugin process boots first (seconds under tsx on a loaded machine).
  await until('plugins loaded', async () => ((await midimon('plugin', 'list')).out.match(/: loaded/g)?.length === 2 ? true : undefined), { tries: 2400 });

  // SIGHUP (what `systemctl reload midimon` sends) applies an edit; the mode list changes.
  const text = await readFile(config, 'utf8');
  // Saved the way editors save (write aside, rename over): the box also watches the file, and a
  // truncate-then-write could be read half-way (an empty file) before the SIGHUP.
  const save = async (body: string): Promise<void> => {
    await writeFile(`${config}.tmp`, body);
    await rename(`${config}.tmp`, config);
  };
  await save(text.replace('name = "Chords"', 'name = "Pads"').replaceAll('mode = "Chords"', 'mode = "Pads"'));
  child.kill('SIGHUP');
  await waitFor('the edited config', async () => ((await midimon('mode', 'Pads')).code === 0 ? true : undefined));

  // A broken edit is refused; the box keeps running the last good config.
  await save(text.replace('[[modes]]', '[[modes]]\nbogus = 1'));
  child.kill('SIGHUP');
  const refused = await waitFor('the rejection', async () => {
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
