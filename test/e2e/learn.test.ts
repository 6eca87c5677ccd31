// MIDI learn end to end: the real daemon in simulation, `midimon learn --add`
// waiting while `midimon send` plays the control, then the config file on
// disk (comments and every other byte kept, backup beside it), the box's
// reload (`midimon status`), and the new mapping firing (`midimon monitor
// --json`). Public surfaces only.
import { test, after } from 'node:test';
import assert from 'node:assert/strict';
import { spawn, type ChildProcess } from 'node:child_process';
import { mkdtemp, readFile, rm, stat, writeFile } from 'node:fs/promises';
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

const CONFIG = `# My stage rig.   Hand-written; keep every comment!
version = 1

[devices.midi]
inputs = [{ name = "Keystation", alias = "keys" }]  # the only keyboard
outputs = [{ name = "Synth", alias = "synth" }]

[mode_switching]
initial_mode = "Practice"

[[modes]]
name = "Live"        # on stage
mappings = [
  # inline mappings, on purpose
  { trigger = { type = "CC", cc = 7 }, action = { type = "Panic" } },
]

[[modes]]
name = "Practice"    # at home
# nothing mapped yet
`;

const midimon = (...argv: string[]) => midimonIn(dir, argv);

const events: MonitorEvent[] = [];
const listening = () => events.filter((e) => e.type === 'notice' && e.code === 'learn' && e.message.endsWith('listening for a control')).length;

/** Runs `midimon learn ARGV`; once the box says (on the monitor) that it listens, plays note 61 on keys. */
async function learnWhilePlaying(...argv: string[]): Promise<{ code: number; out: string; err: string }> {
  const before = listening();
  const learning = midimon('learn', ...argv);
  await until('learn to listen', () => (listening() > before ? true : undefined));
  assert.equal((await midimon('send', 'keys', 'note', '61', '100', '--hold', '5')).code, 0);
  return learning;
}

test('midimon learn --add: the mapping is written surgically, the box reloads, and it fires', async () => {
  dir = await mkdtemp(join(tmpdir(), 'midimon-e2e-learn-'));
  const config = join(dir, 'config.toml');
  await writeFile(config, CONFIG);
  const daemon = spawn(process.execPath, [join(repo, 'bin/midimon-daemon.js'), '--simulate', '--config', config, '--socket', join(dir, 'control.sock')], {
    cwd: dir,
    stdio: ['ignore', 'ignore', 'pipe'],
    env: { ...process.env, MIDIMON_LOG_LEVEL: 'warn' },
  });
  children.push(daemon);
  let daemonErr = '';
  daemon.stderr?.on('data', (d: Buffer) => (daemonErr += d.toString()));
  const detail = () => daemonErr;
  await until('the simulated keyboard', async () => {
    const r = await midimon('status', '--json');
    if (r.code !== 0) return undefined;
    const s = JSON.parse(r.out) as { mode: { name: string }; devices: Array<{ kind: string; connected: boolean }> };
    return s.devices.some((d) => d.kind === 'midi-in' && d.connected) ? s : undefined;
  }, { detail });

  // `midimon monitor --json` in its own process: it says when learn listens, and what fires.
  const monitor = spawn(process.execPath, [join(repo, 'bin/midimon.js'), 'monitor', '--json', '--socket', join(dir, 'control.sock')], { cwd: dir, stdio: ['ignore', 'pipe', 'ignore'] });
  children.push(monitor);
  let partial = '';
  monitor.stdout?.on('data', (d: Buffer) => {
    const lines = (partial + d.toString()).split('\n');
    partial = lines.pop() ?? '';
    for (const l of lines) if (l.trim() !== '') events.push(JSON.parse(l) as MonitorEvent);
  });
  await until('the monitor', async () => {
    await midimon('send', 'keys', 'cc', '119', '0');
    return events.some((e) => e.type === 'midi-in' && e.bytes[1] === 119) ? true : undefined;
  }, { detail });
  // Nothing arrives: a clear timeout, nothing written.
  const quiet = await midimon('learn', '--timeout', '0.3');
  assert.equal(quiet.code, 1);
  assert.match(quiet.err, /midimon learn: nothing arrived within 0\.3 s: press a key or pad, move a knob, or step on a footswitch/);
  // A mode that does not exist is refused before anything waits.
  const unknown = await midimon('learn', '--mode', 'Encore', '--action', 'ModeNext', '--add');
  assert.equal(unknown.code, 1);
  assert.match(unknown.err, /no mode named 'Encore' \(modes: Live, Practice\)/);

  // An action that would make the config invalid: refused, the file untouched.
  const invalid = await learnWhilePlaying('--mode', 'Practice', '--action', 'Mode:Nowhere', '--add', '--timeout', '20');
  assert.equal(invalid.code, 1, invalid.out);
  assert.match(invalid.err, /the new mapping would make the config invalid, nothing was written: .*Nowhere/);
  assert.equal(await readFile(config, 'utf8'), CONFIG);
  await assert.rejects(stat(`${config}.bak`), /ENOENT/);

  // The real thing: learn a key for Practice that steps to the next mode.
  const learned = await learnWhilePlaying('--mode', 'Practice', '--action', 'ModeNext', '--add', '--timeout', '20');
  assert.equal(learned.code, 0, `${learned.err}; daemon: ${daemonErr}`);
  const block = '[[modes.mappings]]\ndescription = "learned: keys note 61 ch1"\ntrigger = { type = "Note", note = 61, channel = 1, device = "keys" }\naction = { type = "ModeChange", mode = "next" }';
  assert.equal(learned.out, `# under [[modes]] name = "Practice"\n${block}\n`);
  assert.match(learned.err, /learned keys note 61 ch1 for mode Practice\nadded as mapping 1 at .*config\.toml:22 \(previous file: .*config\.toml\.bak\); applied\n$/);
  assert.equal(await readFile(config, 'utf8'), `${CONFIG}\n${block}\n`, 'the old text byte for byte, then the new block');
  assert.equal(await readFile(`${config}.bak`, 'utf8'), CONFIG);

  // The box runs the file on disk now.
  const status = JSON.parse((await midimon('status', '--json')).out) as { mode: { name: string }; config: { up_to_date: boolean; last_error: unknown } };
  assert.deepEqual({ up: status.config.up_to_date, error: status.config.last_error, mode: status.mode.name }, { up: true, error: null, mode: 'Practice' });

  // And the key fires the new mapping, as `midimon monitor --json` shows.
  assert.equal((await midimon('send', 'keys', 'note', '61', '100', '--hold', '5')).code, 0);
  const fired = await until('the learned mapping to fire', () => events.find((e): e is Extract<MonitorEvent, { type: 'trigger' }> => e.type === 'trigger'), { detail });
  assert.deepEqual({ mode: fired.mode, mapping: fired.mapping, trigger: fired.trigger, description: fired.description }, { mode: 'Practice', mapping: 1, trigger: 'Note', description: 'learned: keys note 61 ch1' });
  const switched = await until('the mode change', () => events.find((e): e is Extract<MonitorEvent, { type: 'mode' }> => e.type === 'mode'), { detail });
  assert.deepEqual({ name: switched.name, previous: switched.previous, source: switched.source }, { name: 'Live', previous: 'Practice', source: 'mapping' });
  // A second learn into the inline-array mode keeps that shape.
  const inline = await learnWhilePlaying('--mode', 'Live', '--action', 'type = "SendMidi", output = "synth", message = "cc", cc = 20, value = "pass"', '--add', '--timeout', '20');
  assert.equal(inline.code, 0, inline.err);
  const text = await readFile(config, 'utf8');
  assert.ok(text.includes('  { trigger = { type = "CC", cc = 7 }, action = { type = "Panic" } },\n  { description = "learned: keys note 61 ch1", trigger = { type = "Note", note = 61, channel = 1, device = "keys" }, action = { type = "SendMidi", output = "synth", message = "cc", cc = 20, value = "pass" } },\n]'), text);
  assert.equal(await readFile(`${config}.bak`, 'utf8'), `${CONFIG}\n${block}\n`, 'the backup is the file before this edit');

  monitor.kill('SIGTERM');
  daemon.kill('SIGTERM');
  const code = await new Promise<number | null>((resolve) => (daemon.exitCode !== null ? resolve(daemon.exitCode) : daemon.once('exit', (c) => resolve(c))));
  assert.equal(code, 0, daemonErr);
});
