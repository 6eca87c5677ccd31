// The issue-12 scenario through public surfaces only: the daemon in simulation
// with the example config, `midimon monitor --json` watching MIDI out,
// `midimon mode Chords`, a key sent with `midimon send`, `midimon mode Live`:
// the chord's four note-offs go out. Then the key's late release sends no
// orphan note-off, and `midimon panic` answers.
import { test, after } from 'node:test';
import assert from 'node:assert/strict';
import { spawn, type ChildProcess } from 'node:child_process';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { midimonIn, until } from './helpers/cli.js';

const repo = fileURLToPath(new URL('../../', import.meta.url));
let dir = '';
const children: ChildProcess[] = [];

after(async () => {
  for (const c of children) if (c.exitCode === null) c.kill('SIGKILL');
  if (dir !== '') await rm(dir, { recursive: true, force: true });
});

const midimon = (...argv: string[]) => midimonIn(dir, argv);

const waitFor = <T>(what: string, probe: () => Promise<T | undefined> | T | undefined): Promise<T> => until(what, probe);

interface OutEvent {
  readonly type: string;
  readonly output?: string;
  readonly bytes?: readonly number[];
  readonly code?: string;
}

test('Chords: a key plays the chord plugin, switching to Live ends all four notes, and nothing is left or orphaned', async () => {
  dir = await mkdtemp(join(tmpdir(), 'midimon-chords-e2e-'));
  const socket = join(dir, 'control.sock');
  const daemon = spawn(process.execPath, [join(repo, 'bin/midimon-daemon.js'), '--simulate', '--config', join(dir, 'config.toml'), '--socket', socket], {
    cwd: dir,
    stdio: ['ignore', 'ignore', 'pipe'],
    env: { ...process.env, MIDIMON_LOG_LEVEL: 'warn' },
  });
  children.push(daemon);
  let stderr = '';
  daemon.stderr?.on('data', (d: Buffer) => (stderr += d.toString()));
  await waitFor('the control socket', async () => ((await midimon('status')).code === 0 ? true : undefined));
  // Generous: the plugin process boots first (seconds under tsx on a loaded machine).
  await until('plugins loaded', async () => ((await midimon('plugin', 'list')).out.match(/: loaded/g)?.length === 2 ? true : undefined), { tries: 2400 });

  const monitor = spawn(process.execPath, [join(repo, 'bin/midimon.js'), 'monitor', '--json', '--only', 'midi-in,midi-out,notice', '--socket', socket], { stdio: ['ignore', 'pipe', 'pipe'] });
  children.push(monitor);
  const events: OutEvent[] = [];
  let buffered = '';
  monitor.stdout?.on('data', (d: Buffer) => {
    buffered += d.toString();
    const lines = buffered.split('\n');
    buffered = lines.pop() ?? '';
    for (const l of lines) if (l.trim() !== '') events.push(JSON.parse(l) as OutEvent);
  });
  monitor.stderr?.resume();
  await waitFor('the monitor stream', async () => {
    // A harmless CC from the pads shows up as midi-in once the stream is live.
    await midimon('send', 'pads', 'cc', '99', '1');
    return events.length > 0 ? true : undefined;
  });

  assert.equal((await midimon('mode', 'Chords')).code, 0);
  assert.equal((await midimon('send', 'keys', 'note', '60', '100')).code, 0);
  const synth = (status: number) => () => events.filter((e) => e.type === 'midi-out' && e.bytes?.[0] === status && e.output === 'synth').map((e) => e.bytes?.[1]);
  const on = await waitFor('the maj7 chord', () => {
    const notes = synth(0x90)();
    return notes.length >= 4 ? notes : undefined;
  });
  assert.deepEqual(on, [60, 64, 67, 71]);

  assert.equal((await midimon('mode', 'Live')).code, 0);
  const off = await waitFor('the chord released by the mode switch', () => {
    const notes = synth(0x80)();
    return notes.length >= 4 ? notes : undefined;
  });
  assert.deepEqual([...off].sort(), [60, 64, 67, 71]);

  // The key comes up in Live, whose keys-thru route never carried its note-on: no orphan note-off.
  assert.equal((await midimon('send', 'keys', 'off', '60')).code, 0);
  const panic = await midimon('panic', '--json');
  assert.equal(panic.code, 0, panic.err);
  assert.ok((JSON.parse(panic.out) as { channels: number }).channels >= 1);
  await waitFor('the panic notice', () => (events.some((e) => e.type === 'notice' && e.code === 'panic') ? true : undefined));
  assert.deepEqual(synth(0x80)().length, 4, 'no note-off beyond the chord\'s four');
  assert.deepEqual(synth(0x90)().length, 4);

  monitor.kill('SIGTERM');
  daemon.kill('SIGTERM');
  await waitFor('the daemon to exit', () => (daemon.exitCode !== null ? true : undefined));
  assert.equal(daemon.exitCode, 0, stderr);
});
