// `send` and `monitor` on the composed box (fake MIDI, manual clock), over the
// real control socket: an injected message takes the path a port's would, and
// the monitor reports it in, the trigger, the plugin call and the MIDI out.
import { test, after, before } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtemp, readFile, rm, writeFile, mkdir } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { setTimeout as sleep } from 'node:timers/promises';
import { MidimonBox } from '../../src/box/box.js';
import { plugSimulatedDevices, seedSimulation } from '../../src/box/simulation.js';
import { ControlClient } from '../../src/control/client.js';
import type { SendRequest } from '../../src/control/protocol.js';
import type { MonitorEvent } from '../../src/control/monitor-protocol.js';
import { openMonitor, type MonitorConnection } from '../../src/control/stream-client.js';
import { ManualScheduler } from '../../src/gpio/manual-scheduler.js';
import { silentLogger } from '../../src/log.js';
import { isMidimonError } from '../../src/errors.js';

const repo = fileURLToPath(new URL('../../', import.meta.url));
const SYNTH = 'Synth:Synth MIDI 1 30:0';

let dir: string;
let box: MidimonBox;
let clock: ManualScheduler;
let client: ControlClient;
let monitor: MonitorConnection;
const events: MonitorEvent[] = [];

async function waitFor<T>(what: string, probe: () => T | undefined | false | null): Promise<T> {
  // Bounded polling for socket round trips and plugin workers; never a timing assertion. Generous: the
  // first plugin load waits for the plugin process to boot (seconds on a loaded machine).
  for (let i = 0; i < 12_000; i++) {
    const v = probe();
    if (v !== undefined && v !== false && v !== null) return v;
    await sleep(10);
  }
  assert.fail(`timed out waiting for ${what}`);
}

before(async () => {
  dir = await mkdtemp(join(tmpdir(), 'midimon-send-'));
  const configPath = join(dir, 'config.toml');
  const example = await readFile(join(repo, 'docs/example-config.toml'), 'utf8');
  await writeFile(configPath, `${example.replaceAll('"../plugins/', `"${repo}plugins/`)}\n[usb]\nenabled = false\n`);
  const stateDir = join(dir, 'state');
  await mkdir(join(dir, 'run'), { recursive: true });
  await seedSimulation(configPath, stateDir, silentLogger());
  clock = new ManualScheduler(Date.UTC(2026, 0, 1, 12));
  const socketPath = join(dir, 'run', 'control.sock');
  box = new MidimonBox({ paths: { configPath, stateDir, runtimeDir: join(dir, 'run'), socketPath, simulated: true }, log: silentLogger(), simulate: true, version: 'test', scheduler: clock });
  await box.start();
  const config = box.config.current?.config;
  assert.ok(config);
  plugSimulatedDevices(box, config, silentLogger());
  client = new ControlClient({ socketPath });
  await waitFor('plugins loaded', () => box.pluginSet.list().every((p) => p.loaded));
  monitor = openMonitor(socketPath, (e) => events.push(e));
  await monitor.ready;
});

after(async () => {
  monitor.close();
  await box.stop();
  await rm(dir, { recursive: true, force: true });
});

test('send cc as "keys" (an alias): the mapping fires and the monitor shows in, trigger and out', async () => {
  events.length = 0;
  box.simulation.midi?.clearSent();
  const r = await client.request({ cmd: 'send', input: 'keys', messages: [[0xb0, 1, 127]] });
  assert.deepEqual(r, { input: 'Keystation:Keystation MIDI 1', alias: 'keys', delivered: 1, duration_ms: 0 });
  // The mapping's CC 74, besides the route that passes the keyboard thru.
  assert.deepEqual(box.simulation.midi?.sent(SYNTH).filter((m) => m[1] === 74), [[0xb0, 74, 127]]);
  await waitFor('the mapped cc out', () => events.some((e) => e.type === 'midi-out' && e.bytes[1] === 74));
  assert.deepEqual(events[0], { type: 'midi-in', at: clock.now(), device: 'Keystation:Keystation MIDI 1', alias: 'keys', bytes: [0xb0, 1, 127], text: 'cc ch1 #1 = 127', injected: true });
  const trigger = events.find((e) => e.type === 'trigger');
  assert.ok(trigger?.type === 'trigger' && trigger.mode === 'Setlist' && trigger.trigger === 'CC', JSON.stringify(trigger));
  assert.deepEqual(events.find((e) => e.type === 'midi-out' && e.bytes[1] === 74), { type: 'midi-out', at: clock.now(), output: 'synth', bytes: [0xb0, 74, 127], text: 'cc ch1 #74 = 127', ports: 1 });
  assert.ok(events.indexOf(trigger) < events.findIndex((e) => e.type === 'midi-out' && e.bytes[1] === 74), 'trigger before its output');
});

test('send with hold: the release follows by the box clock, and the answer waits for it', async () => {
  box.setMode({ name: 'Live' }, 'socket');
  box.simulation.midi?.clearSent();
  const pending = client.request({ cmd: 'send', input: 'pads', messages: [[0x99, 36, 100]], release: [[0x89, 36, 0]], hold_ms: 900 });
  // LongPress (hold_ms 800) fires only once the box clock passes 800 ms with the pad held.
  await waitFor('the note delivered', () => events.some((e) => e.type === 'midi-in' && e.bytes[1] === 36));
  assert.deepEqual(box.simulation.midi?.sent(SYNTH).filter((m) => m[0] === 0xc9), []);
  clock.advance(900);
  const r = await pending;
  assert.equal(r.delivered, 2);
  assert.equal(r.duration_ms, 900);
  assert.deepEqual(box.simulation.midi?.sent(SYNTH).filter((m) => m[0] === 0xc9), [[0xc9, 5]]);
});

test('a footswitch gesture goes through the menu and engine like a real switch: the mode event is 1-based', async () => {
  box.setMode({ name: 'Setlist' }, 'socket');
  await waitFor('the Setlist mode event', () => events.some((e) => e.type === 'mode' && e.name === 'Setlist'));
  events.length = 0;
  await client.request({ cmd: 'send', input: 'right', gesture: 'long' });
  const mode = await waitFor('mode event', () => events.find((e): e is Extract<MonitorEvent, { type: 'mode' }> => e.type === 'mode'));
  assert.equal(box.modeInfo()?.name, 'Chords');
  assert.deepEqual({ name: mode.name, number: mode.number, count: mode.count, previous: mode.previous }, { name: 'Chords', number: 2, count: 3, previous: 'Setlist' });
  assert.deepEqual(events.find((e) => e.type === 'footswitch'), { type: 'footswitch', at: clock.now(), switch: 'right', gesture: 'long', injected: true });
});

test('a plugin call is reported with its result, fuel and microseconds', async () => {
  box.setMode({ name: 'Chords' }, 'socket');
  events.length = 0;
  await client.request({ cmd: 'send', input: 'keys', messages: [[0x90, 60, 100]] });
  const call = await waitFor('plugin event', () => events.find((e): e is Extract<MonitorEvent, { type: 'plugin' }> => e.type === 'plugin'));
  assert.equal(call.plugin, 'chord');
  assert.equal(call.action, 'play');
  assert.equal(call.status, 'returned');
  assert.equal(call.code, 0);
  assert.ok((call.fuel ?? 0) > 0, 'fuel measured');
  assert.equal(typeof call.us, 'number');
  await client.request({ cmd: 'send', input: 'keys', messages: [[0x80, 60, 0]] });
  box.setMode({ name: 'Setlist' }, 'socket');
  // The stream is asynchronous: let this test's events arrive before the next one starts counting.
  await waitFor('the note-off and mode events', () => events.some((e) => e.type === 'midi-in' && e.bytes[0] === 0x80) && events.some((e) => e.type === 'mode' && e.name === 'Setlist'));
});

test('bad sends are refused with what and where, and nothing reaches the engine', async () => {
  events.length = 0;
  box.simulation.midi?.clearSent();
  const cases: Array<[SendRequest, RegExp]> = [
    [{ input: 'nosuch', messages: [[0x90, 60, 100]] }, /no MIDI input named 'nosuch' \(inputs: keys, pads\)/],
    [{ input: 'keys', messages: [[0x41, 0x90]] }, /not one whole MIDI message/],
    [{ input: 'keys', messages: [[0x90, 60, 300]] }, /messages\[0\]\[2\]/],
    [{ input: 'middle', gesture: 'press' }, /no footswitch named 'middle' \(footswitches: left, right\)/],
  ];
  for (const [req, pattern] of cases) {
    await assert.rejects(client.request({ cmd: 'send', ...req }), (e: unknown) => isMidimonError(e) && pattern.test(e.message), JSON.stringify(req));
  }
  await sleep(20);
  assert.equal(events.filter((e) => e.type === 'midi-in').length, 0);
  assert.deepEqual(box.simulation.midi?.sent(SYNTH), []);
});
