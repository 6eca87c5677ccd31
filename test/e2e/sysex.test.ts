// SysEx through the real daemon in simulation, driven by `midimon send` and
// watched by `midimon monitor --json` (a second real process): a 64 KiB dump
// through a route byte-exact, a SysEx trigger's captures substituted into a
// SendMidi sysex, and a dump over [sysex] max_bytes dropped with a notice.
import { test, after } from 'node:test';
import assert from 'node:assert/strict';
import { spawn, type ChildProcess } from 'node:child_process';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
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
inputs = [{ name = "Keystation", alias = "keys" }, { name = "PadKontrol", alias = "pads" }]
outputs = [{ name = "Synth", alias = "synth" }]
[sysex]
max_bytes = 70000
[[modes]]
name = "Edit"
[[modes.mappings]]
trigger = { type = "SysEx", pattern = "F0 7E ?? 06 02 $maker $family:2 * F7", device = "pads" }
action = { type = "SendMidi", output = "synth", message = "sysex", bytes = "F0 7D $family $maker F7" }
[[routes]]
name = "dumps"
from = "keys"
to = "synth"
types = ["sysex", "note"]
`;

const midimon = (...argv: string[]) => midimonIn(dir, argv);

/** n bytes: F0, a counting payload, F7 (as `midimon send ... sysex` words without F0/F7). */
function payload(n: number): string[] {
  const out: string[] = [];
  for (let i = 1; i < n - 1; i++) out.push(((i * 7) & 0x7f).toString(16).padStart(2, '0'));
  return out;
}

test('SysEx end to end: a 64 KiB dump through a route byte-exact, captures substituted, an oversized dump dropped with a notice', async () => {
  dir = await mkdtemp(join(tmpdir(), 'midimon-e2e-sysex-'));
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
  const detail = () => daemonErr.slice(-2000);
  await until('the simulated ports', async () => {
    const r = await midimon('status', '--json');
    if (r.code !== 0) return undefined;
    const s = JSON.parse(r.out) as { devices: Array<{ kind: string; connected: boolean }> };
    return s.devices.filter((d) => d.connected && d.kind === 'midi-in').length === 2 ? true : undefined;
  }, { detail });

  const monitor = spawn(process.execPath, [join(repo, 'bin/midimon.js'), 'monitor', '--json', '--socket', join(dir, 'control.sock')], { cwd: dir, stdio: ['ignore', 'pipe', 'pipe'] });
  children.push(monitor);
  const events: MonitorEvent[] = [];
  let partial = '';
  monitor.stdout?.on('data', (d: Buffer) => {
    partial += d.toString();
    const lines = partial.split('\n');
    partial = lines.pop() ?? '';
    for (const l of lines) if (l.trim() !== '') events.push(JSON.parse(l) as MonitorEvent);
  });
  await until('the monitor', async () => {
    await midimon('send', 'keys', 'note', '1', '1');
    return events.some((e) => e.type === 'midi-in' && e.bytes[1] === 1) ? true : undefined;
  }, { stepMs: 50, detail });

  const toSynth = () => events.filter((e): e is Extract<MonitorEvent, { type: 'midi-out' }> => e.type === 'midi-out' && e.output === 'synth');
  // Arrays, not rest arguments: a dump is 65534 words, more than a call's argument list holds.
  const send = async (...argv: Array<string | string[]>) => {
    const words = (['send'] as string[]).concat(...argv);
    const r = await midimonIn(dir, words);
    assert.equal(r.code, 0, `midimon ${words.slice(0, 4).join(' ')} ...: ${r.err}`);
  };

  // 64 KiB: F0 + 65534 data bytes + F7, through the route, between two notes.
  const words = payload(65_536);
  const expected = [0xf0, ...words.map((w) => parseInt(w, 16)), 0xf7];
  await send('keys', 'note', '60', '100', '--hold', '0');
  await send('keys', 'sysex', words);
  await send('keys', 'note', '61', '100', '--hold', '0');
  const dumpOut = await until('the dump on the synth', () => toSynth().find((e) => e.bytes[0] === 0xf0 && e.bytes.length > 1000), { detail });
  assert.equal(dumpOut.bytes.length, 65_536);
  assert.deepEqual(dumpOut.bytes, expected, 'byte-exact');
  await until('the note after the dump', () => toSynth().find((e) => e.bytes[0] === 0x90 && e.bytes[1] === 61), { detail });
  const order = toSynth().filter((e) => e.bytes[0] === 0x90 || e.bytes[0] === 0xf0).map((e) => (e.bytes[0] === 0xf0 ? 'dump' : `note ${e.bytes[1]}`));
  assert.deepEqual(order.slice(-3), ['note 60', 'dump', 'note 61'], 'in order with the notes around it');

  // An Identity Reply from the pads: its captures go into the synth's message.
  await send('pads', 'sysex', 'F0', '7E', '10', '06', '02', '41', '12', '34', '00', '01', 'F7');
  const reply = await until('the substituted SysEx', () => toSynth().find((e) => e.bytes[0] === 0xf0 && e.bytes[1] === 0x7d), { detail });
  assert.deepEqual(reply.bytes, [0xf0, 0x7d, 0x12, 0x34, 0x41, 0xf7]);

  // Over max_bytes: nothing of it reaches the synth, a notice says so.
  const before = toSynth().length;
  await send('keys', 'sysex', payload(70_001));
  const notice = await until('the oversize notice', () => events.find((e) => e.type === 'notice' && e.code === 'sysex_too_large'), { detail });
  assert.match(notice.type === 'notice' ? notice.message : '', /70001 bytes is over sysex.max_bytes = 70000/);
  await send('keys', 'note', '62', '100', '--hold', '0');
  await until('a note after it', () => toSynth().find((e) => e.bytes[0] === 0x90 && e.bytes[1] === 62), { detail });
  assert.deepEqual(toSynth().slice(before).map((e) => e.bytes.length), [3, 3], 'only the note on/off after it, no piece of the dump');
});
