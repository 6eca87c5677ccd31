// Every trigger kind of docs/engine.md, driven through `midimon send` against the
// real daemon in simulation, checked through `midimon monitor --json` (a second
// real process): public surfaces only. Each mapping answers with its own CC
// number on the synth, so the monitor's midi-out events say which one fired.
import { test, after } from 'node:test';
import assert from 'node:assert/strict';
import { spawn, type ChildProcess } from 'node:child_process';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { setTimeout as sleep } from 'node:timers/promises';
import type { MonitorEvent } from '../../src/control/monitor-protocol.js';
import { midimonIn, until } from './helpers/cli.js';

const repo = fileURLToPath(new URL('../../', import.meta.url));
let dir = '';
const children: ChildProcess[] = [];

after(async () => {
  for (const c of children) if (c.exitCode === null) c.kill('SIGKILL');
  if (dir !== '') await rm(dir, { recursive: true, force: true });
});

const out = (cc: number) => `action = { type = "SendMidi", output = "synth", message = "cc", cc = ${cc}, value = 1 }`;

/** One mapping per trigger kind; CC n on the synth says mapping n fired. */
const CONFIG = `
version = 1
[devices.midi]
inputs = [{ name = "Keystation", alias = "keys" }, { name = "PadKontrol", alias = "pads" }]
outputs = [{ name = "Synth", alias = "synth" }]
[[devices.footswitches]]
name = "left"
pin = 17
[[devices.footswitches]]
name = "right"
pin = 27
[mode_switching]
initial_mode = "All"
program_change_channel = 16
[menu]
controls = [{ control = "enter", switch = "right", gesture = "double" }, { control = "select", switch = "right", gesture = "press" }, { control = "back", switch = "right", gesture = "long" }]
[[modes]]
name = "All"
[[modes.mappings]]
trigger = { type = "Note", note = 60, velocity_min = 64, device = "keys" }
${out(1)}
[[modes.mappings]]
trigger = { type = "VelocityRange", note = 61, min_velocity = 10, max_velocity = 30 }
${out(2)}
[[modes.mappings]]
trigger = { type = "LongPress", note = 62, hold_ms = 300 }
${out(3)}
[[modes.mappings]]
trigger = { type = "DoubleTap", note = 63, window_ms = 2000 }
${out(4)}
[[modes.mappings]]
trigger = { type = "NoteChord", notes = [48, 52, 55], window_ms = 5000 }
${out(5)}
[[modes.mappings]]
trigger = { type = "CC", cc = 20, min_value = 100, max_value = 127, channel = 3 }
${out(6)}
[[modes.mappings]]
trigger = { type = "EncoderTurn", cc = 21, encoding = "twos-complement", direction = "ccw" }
${out(7)}
[[modes.mappings]]
trigger = { type = "ProgramChange", program = 7, channel = 1 }
${out(8)}
[[modes.mappings]]
trigger = { type = "PitchBend", min_value = -8192, max_value = -4000 }
${out(9)}
[[modes.mappings]]
trigger = { type = "Aftertouch", kind = "channel", min_value = 50 }
${out(10)}
[[modes.mappings]]
trigger = { type = "Aftertouch", kind = "poly", note = 64, min_value = 50 }
${out(11)}
[[modes.mappings]]
trigger = { type = "Footswitch", switch = "left", gesture = "press" }
${out(12)}
[[modes.mappings]]
trigger = { type = "Footswitch", switch = "left", gesture = "long" }
${out(13)}
[[modes]]
name = "Other"
[[modes.mappings]]
trigger = { type = "Note", note = 60 }
${out(99)}
`;

const midimon = (...argv: string[]) => midimonIn(dir, argv);

const waitFor = <T>(what: string, probe: () => Promise<T | undefined> | T | undefined): Promise<T> => until(what, probe, { stepMs: 25 });

test('every trigger kind fires from `midimon send`, seen as MIDI out by `midimon monitor --json`', async () => {
  dir = await mkdtemp(join(tmpdir(), 'midimon-e2e-send-'));
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
  const status = await waitFor('the control socket', async () => {
    const r = await midimon('status', '--json');
    return r.code === 0 ? (JSON.parse(r.out) as { mode: { name: string }; devices: Array<{ name: string; connected: boolean }> }) : undefined;
  });
  assert.equal(status.mode.name, 'All');
  await waitFor('the simulated inputs', async () => {
    const s = JSON.parse((await midimon('status', '--json')).out) as { devices: Array<{ kind: string; name: string; connected: boolean }> };
    return s.devices.filter((d) => d.connected && d.kind === 'midi-in').length === 2 ? true : undefined;
  });

  // The monitor as a user runs it: its own process, one JSON object per line.
  const monitor = spawn(process.execPath, [join(repo, 'bin/midimon.js'), 'monitor', '--json', '--socket', join(dir, 'control.sock')], { cwd: dir, stdio: ['ignore', 'pipe', 'pipe'] });
  children.push(monitor);
  let monitorErr = '';
  monitor.stderr?.on('data', (d: Buffer) => (monitorErr += d.toString()));
  const events: MonitorEvent[] = [];
  let partial = '';
  monitor.stdout?.on('data', (d: Buffer) => {
    partial += d.toString();
    const lines = partial.split('\n');
    partial = lines.pop() ?? '';
    for (const l of lines) if (l.trim() !== '') events.push(JSON.parse(l) as MonitorEvent);
  });
  // The monitor is subscribed once it reports the events of a probe send.
  await waitFor('the monitor', async () => {
    await midimon('send', 'keys', 'cc', '119', '0');
    return events.some((e) => e.type === 'midi-in' && e.bytes[1] === 119) ? true : undefined;
  });

  const fired = (cc: number) => events.filter((e) => e.type === 'midi-out' && e.output === 'synth' && e.bytes[0] === 0xb0 && e.bytes[1] === cc).length;
  const send = async (...argv: string[]) => {
    const r = await midimon('send', ...argv);
    assert.equal(r.code, 0, `midimon send ${argv.join(' ')}: ${r.err}`);
  };
  const expectFired = async (cc: number, what: string) => {
    await waitFor(what, () => (fired(cc) > 0 ? true : undefined));
  };

  // Note: below velocity_min nothing; at it, the mapping; from the other input (device filter) nothing.
  await send('keys', 'note', '60', '30', '--hold', '10');
  await send('pads', 'note', '60', '100', '--hold', '10');
  await send('keys', 'note', 'C4', '100', '--hold', '10');
  await expectFired(1, 'Note');
  // VelocityRange: 40 is outside 10-30, 20 inside.
  await send('keys', 'note', '61', '40', '--hold', '10');
  await send('keys', 'note', '61', '20', '--hold', '10');
  await expectFired(2, 'VelocityRange');
  // LongPress: released early = nothing; held past hold_ms = the mapping.
  await send('keys', 'note', '62', '100', '--hold', '20');
  await send('keys', 'note', '62', '100', '--hold', '700');
  await expectFired(3, 'LongPress');
  // DoubleTap: two note-ons within the window.
  await send('keys', 'note', '63', '100', '--hold', '20', '--repeat', '2', '--interval', '100');
  await expectFired(4, 'DoubleTap');
  // NoteChord: three notes down together.
  await send('keys', 'note', '48');
  await send('keys', 'note', '52');
  await send('keys', 'note', '55');
  await expectFired(5, 'NoteChord');
  for (const n of ['48', '52', '55']) await send('keys', 'off', n);
  // CC with a channel filter and a value range.
  await send('keys', 'cc', '20', '110');
  await send('keys', 'cc', '20', '50', '--channel', '3');
  await send('keys', 'cc', '20', '110', '--channel', '3');
  await expectFired(6, 'CC');
  // EncoderTurn: 127 is one step counter-clockwise in two's complement.
  await send('keys', 'cc', '21', '1');
  await send('keys', 'cc', '21', '127');
  await expectFired(7, 'EncoderTurn');
  // ProgramChange on channel 1 (channel 16 would switch modes).
  await send('keys', 'pc', '7');
  await expectFired(8, 'ProgramChange');
  await send('keys', 'bend', '-6000', '--hold', '10');
  await expectFired(9, 'PitchBend');
  await send('keys', 'at', '80', '--hold', '10');
  await expectFired(10, 'Aftertouch (channel)');
  await send('keys', 'poly', '64', '80', '--hold', '10');
  await expectFired(11, 'Aftertouch (poly)');
  await send('left', 'press');
  await expectFired(12, 'Footswitch press');
  await send('left', 'long');
  await expectFired(13, 'Footswitch long');

  // The filters held: each mapping fired exactly once.
  for (let cc = 1; cc <= 13; cc++) assert.equal(fired(cc), 1, `mapping ${cc} fired once`);

  // Program Change mode switching (channel 16, 0-based program): PC 1 selects mode 2, "Other".
  await send('pads', 'pc', '1', '--channel', '16');
  const mode = await waitFor('the mode event', () => events.find((e): e is Extract<MonitorEvent, { type: 'mode' }> => e.type === 'mode' && e.name === 'Other'));
  assert.deepEqual({ number: mode.number, count: mode.count, source: mode.source }, { number: 2, count: 2, source: 'program-change' });
  await send('keys', 'note', '60', '100', '--hold', '10');
  await expectFired(99, 'the Other mode mapping');
  assert.equal(fired(1), 1, "All's Note mapping no longer fires");

  // What the monitor says about input and triggers.
  const injected = events.filter((e) => e.type === 'midi-in');
  assert.ok(injected.every((e) => e.type === 'midi-in' && e.injected), 'all input came from send');
  assert.ok(events.some((e) => e.type === 'trigger' && e.trigger === 'LongPress' && e.mode === 'All'));
  assert.ok(events.some((e) => e.type === 'footswitch' && e.switch === 'left' && e.gesture === 'long' && e.injected));

  // A bad send is refused with what and where; the monitor sees nothing of it.
  // The stream is asynchronous: let the last send's release arrive before counting.
  await waitFor('the last release', () => (events.filter((e) => e.type === 'midi-in' && e.bytes[0] === 0x80 && e.bytes[1] === 60).length >= 4 ? true : undefined));
  await sleep(200);
  const before = events.length;
  const bad = await midimon('send', 'nowhere', 'note', '60');
  assert.equal(bad.code, 1);
  assert.match(bad.err, /no MIDI input named 'nowhere' \(inputs: keys, pads\)/);
  const badRaw = await midimon('send', 'keys', 'raw', '41', '90');
  assert.equal(badRaw.code, 1);
  assert.match(badRaw.err, /not one whole MIDI message/);
  await sleep(100);
  assert.equal(events.slice(before).filter((e) => e.type === 'midi-in').length, 0);

  // Stopping the box ends the monitor's stream; the monitor exits.
  const monitorExit = new Promise<number | null>((resolve) => monitor.once('exit', (code) => resolve(code)));
  const daemonExit = new Promise<number | null>((resolve) => daemon.once('exit', (code) => resolve(code)));
  daemon.kill('SIGTERM');
  assert.equal(await daemonExit, 0, daemonErr);
  assert.equal(await monitorExit, 0, `${monitorErr} ${partial} ${JSON.stringify(events.slice(-2))}`);
  assert.match(monitorErr, /the box closed the stream/);
  assert.doesNotMatch(daemonErr, /uncaught|unhandled/i);
});
