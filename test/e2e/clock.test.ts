// The MIDI clock end to end, through public surfaces only: the daemon in
// simulation, `midimon tempo` to drive it, `midimon monitor --json` to watch
// FA/F8/FC leave, and `midimon send` to play an external clock it follows.
import { test, after } from 'node:test';
import assert from 'node:assert/strict';
import { spawn, type ChildProcess } from 'node:child_process';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { setTimeout as sleep } from 'node:timers/promises';
import { midimonIn, until } from './helpers/cli.js';

const repo = fileURLToPath(new URL('../../', import.meta.url));
let dir = '';
let child: ChildProcess | undefined;

after(async () => {
  if (child !== undefined && child.exitCode === null) child.kill('SIGKILL');
  if (dir !== '') await rm(dir, { recursive: true, force: true });
});

const midimon = (...argv: string[]) => midimonIn(dir, argv);

const waitFor = <T>(what: string, probe: () => Promise<T | undefined> | T | undefined): Promise<T> => until(what, probe);

interface Tempo {
  bpm: number;
  running: boolean;
  source: string;
  locked: boolean;
  tick: number;
}

const CONFIG = `
[devices.midi]
inputs = [{ name = "Drum Machine", alias = "drums" }]
outputs = [{ name = "Synth", alias = "synth" }]

[clock]
bpm = 150
outputs = ["synth"]
input = "drums"

[[modes]]
name = "Main"
`;

test('master clock out (FA, F8..., FC) and an external clock followed, over the CLI', async () => {
  dir = await mkdtemp(join(tmpdir(), 'midimon-clock-'));
  const config = join(dir, 'config.toml');
  await writeFile(config, CONFIG);
  child = spawn(process.execPath, [join(repo, 'bin/midimon-daemon.js'), '--simulate', '--config', config, '--socket', join(dir, 'control.sock')], {
    cwd: dir,
    stdio: ['ignore', 'ignore', 'pipe'],
    env: { ...process.env, MIDIMON_LOG_LEVEL: 'warn' },
  });
  child.stderr?.resume();

  const first = await waitFor('the control socket', async () => {
    const r = await midimon('status', '--json');
    return r.code === 0 ? (JSON.parse(r.out) as { tempo: Tempo }) : undefined;
  });
  assert.deepEqual([first.tempo.bpm, first.tempo.running, first.tempo.source], [150, false, 'internal']);

  // Watch the synth output while the clock starts, and restarts (a watcher that subscribes late still sees one Start).
  const watching = midimon('monitor', '--json', '--only', 'midi-out', '--count', '60');
  await sleep(500);
  const started = await midimon('tempo', 'start', '--json');
  assert.equal(started.code, 0, started.err);
  await sleep(200);
  assert.equal((await midimon('tempo', 'start')).code, 0);
  const seen = await watching;
  assert.equal(seen.code, 0, seen.err);
  const out = seen.out.trim().split('\n').map((l) => JSON.parse(l) as { output: string; bytes: number[] });
  const bytes = out.map((e) => e.bytes[0]);
  assert.ok(bytes.every((b) => b === 0xfa || b === 0xf8), `only clock messages: ${bytes.join(',')}`);
  const fa = bytes.lastIndexOf(0xfa);
  assert.ok(fa >= 0 && bytes[fa + 1] === 0xf8 && bytes[fa + 2] === 0xf8, 'Start, then ticks');
  assert.ok(out.every((e) => e.output === 'synth'));
  const running = await waitFor('ticks counted', async () => {
    const t = JSON.parse((await midimon('tempo', '--json')).out) as Tempo;
    return t.tick > 24 ? t : undefined;
  });
  assert.equal(running.running, true);

  // Stop: FC, then silence until the next Start (the watcher's count is filled by a restart).
  const stopping = midimon('monitor', '--json', '--only', 'midi-out', '--count', '400');
  await sleep(1500);
  assert.equal((await midimon('tempo', 'stop')).code, 0);
  await sleep(300);
  assert.equal((await midimon('tempo', 'start')).code, 0);
  const around = (await stopping).out.trim().split('\n').map((l) => (JSON.parse(l) as { bytes: number[] }).bytes[0]);
  const fc = around.indexOf(0xfc);
  assert.ok(fc >= 0, 'Stop sent FC');
  assert.equal(around[fc + 1], 0xfa, 'no tick between Stop and the next Start');
  assert.equal((await midimon('tempo', 'stop')).code, 0);

  // Follow the drum machine: Start, then a steady clock played into its input.
  assert.equal((await midimon('tempo', 'source', 'external')).code, 0);
  const refused = await midimon('tempo', '100');
  assert.notEqual(refused.code, 0, 'tempo comes from the external clock now');
  assert.match(refused.err, /external MIDI clock/);
  assert.equal((await midimon('send', 'drums', 'raw', 'FA')).code, 0);
  // Watched while it plays: 500 ms after the last tick the box (rightly) declares the clock lost.
  const sending = midimon('send', 'drums', 'raw', 'F8', '--repeat', '400', '--interval', '25');
  const followed = await waitFor('lock on the external clock', async () => {
    const t = JSON.parse((await midimon('tempo', '--json')).out) as Tempo;
    return t.locked && t.tick >= 39 ? t : undefined;
  });
  // 25 ms per tick is 100 BPM; the box's timers on a loaded machine stretch it a little, never the other way much.
  assert.equal(followed.source, 'external');
  assert.equal(followed.running, true);
  assert.ok(followed.bpm > 40 && followed.bpm <= 110, `followed ${followed.bpm} BPM`);
  assert.equal((await midimon('send', 'drums', 'raw', 'FC')).code, 0);
  const sent = await sending;
  assert.equal(sent.code, 0, sent.err);
  const stopped = JSON.parse((await midimon('tempo', '--json')).out) as Tempo;
  assert.equal(stopped.running, false);
  const status = await midimon('status');
  assert.match(status.out, /^tempo: {3}\d+\.\d BPM, stopped, following external clock, bar \d+ beat \d\/4/m);

  child.kill('SIGTERM');
  await new Promise((resolve) => child?.once('exit', resolve));
});
