// Containment end to end: the real daemon in simulation with an isolated plugin
// (the chord plugin in the default lane, so in the supervised plugin process).
// While `midimon send` floods MIDI through a thru route, a test hook makes the
// plugin's worker provoke a real V8 fatal error ("Reached heap limit"): the
// plugin process dies with SIGABRT, the daemon does not. `midimon monitor
// --json` (its own process) must see every message come out, in order, while
// the plugin process dies and restarts, and the plugin must play again after.
import { test, after } from 'node:test';
import assert from 'node:assert/strict';
import { spawn, type ChildProcess } from 'node:child_process';
import { readdir, readFile, mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import type { MonitorEvent } from '../../src/control/monitor-protocol.js';
import { midimonIn, until } from './helpers/cli.js';

const repo = fileURLToPath(new URL('../../', import.meta.url));
let dir = '';
const children: ChildProcess[] = [];

after(async () => {
  for (const c of children) if (c.exitCode === null) c.kill('SIGKILL');
  if (dir !== '') await rm(dir, { recursive: true, force: true });
});

const CONFIG = `
version = 1
[devices.midi]
inputs = [{ name = "Keystation", alias = "keys" }]
outputs = [{ name = "Synth", alias = "synth" }]
[[modes]]
name = "Live"
[[modes.mappings]]
trigger = { type = "Note", note = 60 }
action = { type = "Plugin", plugin = "victim", action = "play", params = { shape = "maj7" } }
[[routes]]
name = "thru"
from = "keys"
to = "synth"
types = ["cc"]
[[routes]]
name = "victim-out"
from = "plugin:victim"
to = "synth"
[plugins.victim]
path = "${repo}plugins/chord/chord.wasm"
capabilities = ["Midi"]
`;

const midimon = (...argv: string[]) => midimonIn(dir, argv);

/** The daemon's children whose command line names the plugin process entry. */
async function pluginProcesses(daemonPid: number): Promise<number[]> {
  const pids: number[] = [];
  for (const name of await readdir('/proc')) {
    if (!/^\d+$/.test(name)) continue;
    try {
      const stat = await readFile(`/proc/${name}/stat`, 'utf8');
      const ppid = Number(stat.slice(stat.lastIndexOf(')') + 2).split(' ')[1]);
      if (ppid === daemonPid && (await readFile(`/proc/${name}/cmdline`, 'utf8')).includes('plugin-process')) pids.push(Number(name));
    } catch {
      // Gone between readdir and read.
    }
  }
  return pids;
}

test('a V8 fatal error in a plugin ends only the plugin process: a MIDI flood through the real daemon loses nothing, the plugin restarts', { skip: process.platform !== 'linux' ? 'reads /proc' : false }, async () => {
  dir = await mkdtemp(join(tmpdir(), 'midimon-e2e-crash-'));
  const config = join(dir, 'config.toml');
  await writeFile(config, CONFIG);
  const daemon = spawn(process.execPath, [join(repo, 'bin/midimon-daemon.js'), '--simulate', '--config', config, '--socket', join(dir, 'control.sock')], {
    cwd: dir,
    stdio: ['ignore', 'pipe', 'pipe'],
    // Both hooks: the daemon's (SIGURG) and the plugin process's (its worker obeys test_fatal).
    env: { ...process.env, MIDIMON_LOG_LEVEL: 'warn', MIDIMON_TEST_HOOKS: '1', MIDIMON_PLUGIN_TEST_HOOKS: '1' },
  });
  children.push(daemon);
  // The log (JSON lines on stdout) and anything on stderr, together.
  let stderr = '';
  daemon.stdout?.on('data', (d: Buffer) => (stderr += d.toString()));
  daemon.stderr?.on('data', (d: Buffer) => (stderr += d.toString()));
  const daemonPid = daemon.pid ?? 0;
  // Generous budgets (bounded polling, no timing asserted): a Node process under tsx takes seconds to boot here.
  const waitFor = <T>(what: string, probe: () => Promise<T | undefined> | T | undefined): Promise<T> =>
    until(what, probe, { tries: Number(process.env['E2E_TRIES'] ?? 2400), stepMs: 50, detail: () => stderr.slice(-3000) });

  await waitFor('the control socket', async () => ((await midimon('status')).code === 0 ? true : undefined));
  await waitFor('the plugin loaded', async () => (/victim [^:]*: loaded/.test((await midimon('plugin', 'list')).out) ? true : undefined));
  const [first] = await pluginProcesses(daemonPid);
  assert.ok(first !== undefined, 'an isolated plugin runs in a child process of the daemon');

  const monitor = spawn(process.execPath, [join(repo, 'bin/midimon.js'), 'monitor', '--json', '--only', 'midi-in,midi-out,dropped', '--socket', join(dir, 'control.sock')], { stdio: ['ignore', 'pipe', 'pipe'] });
  children.push(monitor);
  monitor.stderr?.resume();
  const events: MonitorEvent[] = [];
  let partial = '';
  monitor.stdout?.on('data', (d: Buffer) => {
    partial += d.toString();
    const lines = partial.split('\n');
    partial = lines.pop() ?? '';
    for (const l of lines) if (l.trim() !== '') events.push(JSON.parse(l) as MonitorEvent);
  });
  await waitFor('the monitor', async () => {
    await midimon('send', 'keys', 'cc', '119', '0');
    return events.some((e) => e.type === 'midi-in') ? true : undefined;
  });
  const from = events.length;

  // The plugin plays before the crash.
  const synth = (start = 0): Array<readonly number[]> => events.slice(start).flatMap((e) => (e.type === 'midi-out' && e.output === 'synth' ? [e.bytes] : []));
  const chordNotes = (): number[] => synth(from).filter((b) => b[0] === 0x90).map((b) => b[1] ?? -1);
  assert.equal((await midimon('send', 'keys', 'note', '60', '100', '--hold', '20')).code, 0);
  await waitFor('the chord before the crash', () => (chordNotes().length >= 4 ? true : undefined));

  // The flood: CC 1-100 (the monitor probe's CC 119 aside) with a running value, one `midimon send` after another, before, during and after the crash.
  const sent: Array<[number, number]> = [];
  const flood = async (n: number): Promise<void> => {
    for (let i = 0; i < n; i++) {
      const k = sent.length;
      const msg: [number, number] = [1 + (k % 100), Math.floor(k / 100) % 128];
      const r = await midimon('send', 'keys', 'cc', String(msg[0]), String(msg[1]));
      assert.equal(r.code, 0, `midimon send during the crash: ${r.err}`);
      sent.push(msg);
    }
  };
  await flood(50);
  daemon.kill('SIGURG');
  // Until the plugin process has died and a new one runs the plugin again, keep flooding.
  let second: number | undefined;
  await waitFor('the plugin process to die and restart', async () => {
    await flood(10);
    if (!/plugin process died \(signal SIGABRT\)/.test(stderr)) return undefined;
    second = (await pluginProcesses(daemonPid)).find((p) => p !== first);
    return second !== undefined && /victim [^:]*: loaded/.test((await midimon('plugin', 'list')).out) ? true : undefined;
  });
  await flood(50);
  assert.equal(daemon.exitCode, null, 'the daemon is still running');
  assert.notEqual(second, first);

  // Every CC that went in came out on the synth, in order, unchanged; the monitor dropped nothing.
  const out = (): Array<[number, number]> =>
    synth(from).filter((b) => b[0] === 0xb0 && b[1] !== 119).map((b) => [b[1] ?? -1, b[2] ?? -1]);
  await waitFor('every flooded message out', () => (out().length >= sent.length ? true : undefined));
  assert.deepEqual(out(), sent);
  assert.equal(events.filter((e) => e.type === 'dropped').length, 0, 'the monitor dropped events: the count above would not prove anything');

  // The plugin in its new process plays again.
  const before = chordNotes().length;
  let polls = 0;
  await waitFor('the chord after the restart', async () => {
    if (chordNotes().length >= before + 4) return true;
    // A call that met the plugin still reloading fails (and is logged): try again now and then.
    if (polls++ % 20 === 0) await midimon('send', 'keys', 'note', '60', '100', '--hold', '20');
    return undefined;
  });
  assert.deepEqual(chordNotes().slice(-4), [60, 64, 67, 71]);

  monitor.kill('SIGTERM');
  const exited = new Promise<number | null>((resolve) => daemon.once('exit', (code) => resolve(code)));
  daemon.kill('SIGTERM');
  assert.equal(await exited, 0, stderr);
  assert.doesNotMatch(stderr, /uncaught exception|unhandled promise rejection/i);
});
