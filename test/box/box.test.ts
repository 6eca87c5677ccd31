// The whole box on its fakes, wired by the composition root: MIDI in -> engine
// -> MIDI out, footswitches -> plugins -> host calls, the OLED menu, hot reload
// and the control socket. Timers of the box run on a manual clock; plugin
// workers and file watching are real, so the test waits for their effects.
import { test, after, before } from 'node:test';
import assert from 'node:assert/strict';
import { cp, mkdtemp, readFile, rename, rm, writeFile, mkdir } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { setTimeout as sleep } from 'node:timers/promises';
import { MidimonBox } from '../../src/box/box.js';
import { plugSimulatedDevices, seedSimulation } from '../../src/box/simulation.js';
import { ControlClient } from '../../src/control/client.js';
import { packPlugin } from '../../src/cli/commands/plugin-pack.js';
import { main as cli } from '../../src/cli/main.js';
import { ManualScheduler } from '../../src/gpio/manual-scheduler.js';
import { silentLogger } from '../../src/log.js';

const repo = fileURLToPath(new URL('../../', import.meta.url));
const KEYS = 'Keystation:Keystation MIDI 1 20:0';
const SYNTH = 'Synth:Synth MIDI 1 30:0';

let dir: string;
let box: MidimonBox;
let clock: ManualScheduler;
let configPath: string;
let client: ControlClient;
let stickMounted = false;

async function waitFor<T>(what: string, probe: () => T | undefined | false | null): Promise<T> {
  // Bounded polling for work done by real worker threads, the plugin process and fs events; never a timing
  // assertion. Generous: the first plugin load waits for the plugin process to boot (seconds on a loaded machine).
  for (let i = 0; i < 12_000; i++) {
    const v = probe();
    if (v !== undefined && v !== false && v !== null) return v;
    await sleep(10);
  }
  assert.fail(`timed out waiting for ${what}`);
}

function sent(): number[][] {
  return box.simulation.midi?.sent(SYNTH) ?? [];
}

/** A short press is classified once the double-press window has passed. */
function tap(name: string): void {
  const fs = box.simulation.footswitches;
  assert.ok(fs, 'simulated footswitches');
  fs.press(name);
  clock.advance(30);
  fs.release(name);
  clock.advance(400);
}

before(async () => {
  dir = await mkdtemp(join(tmpdir(), 'midimon-box-'));
  configPath = join(dir, 'config.toml');
  const example = await readFile(join(repo, 'docs/example-config.toml'), 'utf8');
  await writeFile(configPath, `${example.replaceAll('"../plugins/', `"${repo}plugins/`)}\n[usb]\nmount_roots = ["${dir}/media"]\nsignature = "if-present"\n`);
  await mkdir(join(dir, 'media', 'stick'), { recursive: true });
  const stateDir = join(dir, 'state');
  await mkdir(join(dir, 'run'), { recursive: true });
  await seedSimulation(configPath, stateDir, silentLogger());
  clock = new ManualScheduler(Date.UTC(2026, 0, 1, 12));
  const socketPath = join(dir, 'run', 'control.sock');
  box = new MidimonBox({
    paths: { configPath, stateDir, runtimeDir: join(dir, 'run'), socketPath, simulated: true },
    log: silentLogger(),
    simulate: true,
    version: 'test',
    scheduler: clock,
    onRestart: () => undefined,
    onShutdown: () => undefined,
    readMountInfo: async () => `36 35 8:1 / / rw - ext4 /dev/root rw\n${stickMounted ? `40 35 8:17 / ${dir}/media/stick ro - vfat /dev/sda1 ro\n` : ''}`,
  });
  await box.start();
  const config = box.config.current?.config;
  assert.ok(config);
  plugSimulatedDevices(box, config, silentLogger());
  client = new ControlClient({ socketPath });
  await waitFor('plugins loaded', () => box.pluginSet.list().every((p) => p.loaded));
});

after(async () => {
  await box.stop();
  await rm(dir, { recursive: true, force: true });
});

test('starts in the first mode with the configured devices connected', async () => {
  const status = await client.request({ cmd: 'status' });
  assert.equal(status.mode?.name, 'Setlist');
  assert.equal(status.simulated, true);
  const names = status.devices.filter((d) => d.connected).map((d) => `${d.kind}:${d.name}`);
  for (const d of ['midi-in:keys', 'midi-in:pads', 'midi-out:synth', 'footswitch:left', 'footswitch:right']) assert.ok(names.includes(d), `${d} in ${names.join(', ')}`);
  assert.deepEqual(
    status.plugins.map((p) => [p.name, p.loaded, p.lane]),
    [
      ['setlist', true, 'isolated'],
      ['chord', true, 'realtime'],
    ],
  );
});

test('a key in Chords mode runs the realtime chord plugin: its maj7 reaches the synth within microtasks, with no thread hop', async () => {
  box.setMode({ name: 'Chords' }, 'socket');
  box.simulation.midi?.clearSent();
  try {
    box.simulation.midi?.inject(KEYS, [0x90, 60, 100]);
    // Only microtasks pass here, never an event-loop turn, so nothing could come back from a worker thread.
    for (let i = 0; i < 10; i++) await Promise.resolve();
    assert.deepEqual(sent(), [[0x90, 60, 100], [0x90, 64, 100], [0x90, 67, 100], [0x90, 71, 100]]);
  } finally {
    // The chord route plays in every mode, so its notes stay on until the plugin releases them.
    await box.plugins.execute('chord', 'release', {}, { root: 60, shape: 'maj7' });
    box.setMode({ name: 'Setlist' }, 'socket');
  }
  assert.deepEqual(sent().slice(4), [[0x80, 60, 0], [0x80, 64, 0], [0x80, 67, 0], [0x80, 71, 0]]);
});

test('a pad runs the setlist plugin, whose host calls send MIDI and switch the mode', async () => {
  box.simulation.midi?.clearSent();
  // Setlist mode: pad 48 = the plugin's goto "Encore" -> its song 3: program 0, mode Chords.
  const pads = box.simulation.midi?.listInputs().find((p) => p.startsWith('PadKontrol'));
  assert.ok(pads);
  box.simulation.midi?.inject(pads, [0x99, 48, 100]);
  const out = await waitFor('program change from the plugin', () => sent().find((m) => m[0] === 0xc0));
  assert.deepEqual(out, [0xc0, 0]);
  await waitFor('mode switched by the plugin', () => box.modeInfo()?.name === 'Chords');
  const position = await readFile(join(dir, 'state/plugin-data/setlist/position'), 'utf8');
  assert.equal(position.trim(), '2');
  box.simulation.midi?.inject(pads, [0x89, 48, 0]);
  // The release goes to the same plugin mapping (event "release"); this plugin answers it like the
  // press. Wait for that answer here, or it lands in the next test's MIDI (the plugin process is a hop away).
  await waitFor('the release call answered', () => sent().filter((m) => m[0] === 0xc0).length >= 2);
});

test('keys are routed thru to the synth in Live mode, and leaving the mode releases held notes', async () => {
  box.setMode({ name: 'Live' }, 'socket');
  box.simulation.midi?.clearSent();
  box.simulation.midi?.inject(KEYS, [0x90, 64, 100]);
  const on = sent().find((m) => m[0] === 0x90 && m[1] === 64);
  assert.ok(on, `note-on thru, got ${JSON.stringify(sent())}`);
  await client.request({ cmd: 'mode', target: { name: 'Chords' } });
  const off = sent().find((m) => (m[0] === 0x80 || (m[0] === 0x90 && m[2] === 0)) && m[1] === 64);
  assert.ok(off, `note-off on leaving Live, got ${JSON.stringify(sent())}`);
});

test('the OLED menu opens with the configured control and switches modes without firing mappings', async () => {
  box.setMode({ name: 'Setlist' }, 'socket');
  box.simulation.midi?.clearSent();
  const fs = box.simulation.footswitches;
  assert.ok(fs);
  // Double press of the right switch opens the menu (docs/example-config.toml [menu]).
  fs.press('right');
  clock.advance(30);
  fs.release('right');
  clock.advance(50);
  fs.press('right');
  clock.advance(30);
  fs.release('right');
  clock.advance(400);
  assert.equal(box.menu.open, true);
  // Root page: first entry is Modes. Select it, step to the second mode, select.
  tap('right');
  tap('left');
  tap('right');
  assert.equal(box.modeInfo()?.name, 'Chords');
  await sleep(50);
  assert.equal(sent().find((m) => m[0] === 0xc0), undefined, 'no setlist call fired while navigating the menu');
});

test('a broken config edit is rejected, shown, and the running config keeps working; a fix is applied', async () => {
  const good = await readFile(configPath, 'utf8');
  // Rename-over, as editors do.
  await writeFile(`${configPath}.new`, good.replace('timeout_s = 30', 'timeout_s = "soon"'));
  await rename(`${configPath}.new`, configPath);
  const rejected = await waitFor('rejected config', () => box.config.lastError);
  assert.equal(rejected.error.kind, 'config_invalid');
  assert.equal(box.problems.banner()?.key, 'config');
  const status = await client.request({ cmd: 'status' });
  assert.equal(status.config.up_to_date, false);
  assert.match(status.config.last_error?.message ?? '', /menu\.timeout_s/);
  // Still running on the last good config: MIDI keeps flowing.
  box.setMode({ name: 'Live' }, 'socket');
  box.simulation.midi?.clearSent();
  box.simulation.midi?.inject(KEYS, [0x90, 60, 90]);
  assert.ok(sent().some((m) => m[0] === 0x90 && m[1] === 60));
  box.simulation.midi?.inject(KEYS, [0x80, 60, 0]);

  await writeFile(configPath, good.replace('timeout_s = 30', 'timeout_s = 45'));
  await waitFor('fixed config applied', () => box.config.lastError === undefined && box.config.current?.config.menu.timeout_s === 45);
  assert.equal(box.problems.banner(), undefined);
});

test('disabling a plugin over the control socket unloads it and survives a restart of the plugin set', async () => {
  const r = await client.request({ cmd: 'plugin.disable', name: 'chord' });
  assert.equal(r.enabled, false);
  assert.equal(box.plugins.get('chord'), undefined);
  const list = await client.request({ cmd: 'plugin.list' });
  assert.deepEqual(list.plugins.find((p) => p.name === 'chord')?.loaded, false);
  await box.state.flush();
  const state = JSON.parse(await readFile(join(dir, 'state/state.json'), 'utf8')) as { sections: Record<string, unknown> };
  assert.deepEqual(state.sections['plugin-enabled'], { chord: false });
  await client.request({ cmd: 'plugin.enable', name: 'chord' });
  assert.ok(box.plugins.get('chord'));
});

test('unknown modes and plugins are clear errors over the socket', async () => {
  await assert.rejects(client.request({ cmd: 'mode', target: { name: 'Nope' } }), (e: Error & { kind?: string }) => e.kind === 'not_found' && /Setlist/.test(e.message));
  await assert.rejects(client.request({ cmd: 'plugin.enable', name: 'ghost' }), (e: Error & { kind?: string }) => e.kind === 'not_found');
});

test('screenshot over the socket is a PNG of the OLED', async () => {
  const shot = await client.request({ cmd: 'screenshot' });
  const png = Buffer.from(shot.png_base64, 'base64');
  assert.deepEqual([...png.subarray(1, 4)].map((c) => String.fromCharCode(c)).join(''), 'PNG');
  assert.equal(shot.height, 64);
});

test('a plugin on a USB stick shows in the menu context, installs after verification, loads, and can be mapped', async () => {
  const src = join(dir, 'as-src');
  await cp(join(repo, 'plugins/as-template'), src, { recursive: true });
  await packPlugin(src, { out: join(dir, 'media', 'stick') });
  stickMounted = true;
  clock.advance(1100); // the stick watcher polls mountinfo once a second
  const pkg = await waitFor('stick package listed', () => box.menuContext().usb.packages[0]);
  assert.equal(box.menuContext().usb.present, true);
  const listed = await runCli(['plugin', 'install']);
  assert.equal(listed.code, 0);
  assert.match(listed.out, new RegExp(`${pkg.name} .*${pkg.path.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')}`));
  // On the box itself: Menu > Plugins > Install from USB > the package > confirm "Install".
  const t = () => clock.now();
  box.menu.input('enter', t());
  box.menu.input('next', t()); // Plugins
  box.menu.input('select', t());
  for (const _ of box.pluginSet.list()) box.menu.input('next', t()); // past the installed plugins
  box.menu.input('select', t()); // Install from USB
  box.menu.input('select', t()); // the package
  box.menu.input('next', t()); // the dialog starts on Cancel
  box.menu.input('select', t()); // Install
  await waitFor('installed plugin loaded', () => box.pluginSet.list().find((p) => p.name === pkg.name && p.loaded));
  assert.ok(box.problems.recent().some((p) => p.message === `installed ${pkg.name} ${pkg.version}`));
  for (let i = 0; i < 10 && box.menu.open; i++) box.menu.input('back', t());
  assert.equal(box.menu.open, false);
  // Mappings may now name it, although config.toml does not list it.
  const text = await readFile(configPath, 'utf8');
  await writeFile(configPath, text.replace('action = { type = "Plugin", plugin = "chord", action = "arp"', `action = { type = "Plugin", plugin = "${pkg.name}", action = "arp"`));
  await waitFor('config naming the installed plugin applied', () => box.config.current?.config.modes.some((m) => m.mappings.some((x) => x.action.type === 'Plugin' && x.action.plugin === pkg.name)));
  assert.equal(box.config.lastError, undefined);
  stickMounted = false;
  clock.advance(1100);
  await waitFor('stick removed', () => !box.menuContext().usb.present);
});

async function runCli(argv: string[]): Promise<{ code: number; out: string; err: string }> {
  let out = '';
  let err = '';
  const code = await cli([...argv, '--socket', join(dir, 'run', 'control.sock')], { stdout: (t) => (out += t), stderr: (t) => (err += t), env: {}, cwd: dir });
  return { code, out, err };
}

test('midimon plugin list/disable/grant talk to the running box', async () => {
  const list = await runCli(['plugin', 'list']);
  assert.equal(list.code, 0, list.err);
  assert.match(list.out, /^setlist 0\.1\.0: loaded; granted Filesystem,Midi/m);
  const bad = await runCli(['plugin', 'grant', 'chord', 'Telepathy']);
  assert.equal(bad.code, 2);
  const off = await runCli(['plugin', 'disable', 'chord']);
  assert.equal(off.code, 0, off.err);
  assert.match(off.out, /chord: disabled/);
  assert.equal(box.plugins.get('chord'), undefined);
  const on = await runCli(['plugin', 'enable', 'chord']);
  assert.match(on.out, /chord: enabled/);
  const ghost = await runCli(['plugin', 'enable', 'ghost']);
  assert.equal(ghost.code, 1);
  assert.match(ghost.err, /no plugin named 'ghost'/);
});

test('reloads while MIDI streams: nothing lost, no stuck notes, a changed route releases what it held', async () => {
  box.setMode({ name: 'Live' }, 'socket');
  box.simulation.midi?.clearSent();
  const base = await readFile(configPath, 'utf8');
  const variants = [
    base.replace('timeout_s = 45', 'timeout_s = 46'),
    base.replace('drop_active_sensing = true', 'drop_active_sensing = true\ntranspose = 12'),
    base.replace('timeout_s = 45', 'timeout_s = 47'),
    base,
  ];
  let injected = 0;
  for (let batch = 0; batch < 8; batch++) {
    for (let i = 0; i < 100; i++) {
      const note = 40 + ((batch * 100 + i) % 40);
      box.simulation.midi?.inject(KEYS, [0x90, note, 90]);
      box.simulation.midi?.inject(KEYS, [0x80, note, 0]);
      injected++;
    }
    box.simulation.midi?.inject(KEYS, [0x90, 100 + batch, 90]); // held across the reload
    await writeFile(configPath, variants[batch % variants.length] ?? base);
    const r = await box.config.reload('test under load');
    assert.notEqual(r.applied === false && r.reason !== 'unchanged', true, JSON.stringify(r));
    box.simulation.midi?.inject(KEYS, [0x80, 100 + batch, 0]);
  }
  const out = sent().filter((m) => (m[0] ?? 0) >> 4 === 0x9 || (m[0] ?? 0) >> 4 === 0x8);
  const ons = out.filter((m) => (m[0] ?? 0) >> 4 === 0x9 && (m[2] ?? 0) > 0);
  assert.equal(ons.length, injected + 8, 'every note-on reached the synth');
  // Replay what the synth heard: nothing may still sound.
  const sounding = new Set<number>();
  for (const m of out) {
    if ((m[0] ?? 0) >> 4 === 0x9 && (m[2] ?? 0) > 0) sounding.add(m[1] ?? -1);
    else sounding.delete(m[1] ?? -1);
  }
  assert.deepEqual([...sounding], []);
  assert.deepEqual(Object.values(box.midi?.loop.snapshot()?.heldNotes ?? {}).flat(), []);
});

test('reloading device sections restarts only those parts: a new display controller and footswitch timing apply in place', async () => {
  const text = await readFile(configPath, 'utf8');
  const fsBefore = box.simulation.footswitches;
  const midiBefore = box.midi;
  await writeFile(
    configPath,
    `${text.replace('[[devices.footswitches]]\nname = "left"', '[devices.footswitch_timing]\nlong_press_ms = 900\n\n[[devices.footswitches]]\nname = "left"')}\n[devices.display]\ncontroller = "sh1106"\nheight = 32\n`,
  );
  const r = await box.config.reload('test devices');
  assert.equal(r.applied, true, JSON.stringify(r));
  if (r.applied) assert.ok(r.changed.some((k) => k.startsWith('devices.display')) && r.changed.some((k) => k.startsWith('devices.footswitch_timing')), r.changed.join(','));
  const shot = await client.request({ cmd: 'screenshot' });
  assert.equal(shot.height, 32);
  assert.notEqual(box.simulation.footswitches, fsBefore, 'footswitches restarted with the new timing');
  assert.equal(box.midi, midiBefore, 'the MIDI runtime was reconfigured in place, not rebuilt');
  // The new timing is live: a 700 ms hold is no longer a long press (900 ms now), so the global
  // "hold right: next mode" mapping does not fire (with 600 ms it would switch Chords -> Live).
  box.setMode({ name: 'Chords' }, 'socket');
  const fs = box.simulation.footswitches;
  assert.ok(fs);
  fs.press('right');
  clock.advance(700);
  fs.release('right');
  clock.advance(400);
  // It is a plain press instead (the global "Right: next song" mapping).
  assert.equal(box.midi?.loop.lastTrigger?.description, 'Right: next song (in every mode)', 'a 700 ms hold must not count as the (900 ms) long press');
  box.setMode({ name: 'Chords' }, 'socket');
  fs.press('right');
  clock.advance(950);
  fs.release('right');
  clock.advance(400);
  assert.equal(box.modeInfo()?.name, 'Live', 'a 950 ms hold is the long press');
  await writeFile(configPath, text);
  await box.config.reload('test restore');
});

test('switching a plugin\'s lane in the config reloads just that plugin into the other lane, and the chord still plays', async () => {
  const text = await readFile(configPath, 'utf8');
  assert.ok(text.includes('lane = "realtime"'));
  try {
    await writeFile(configPath, text.replace('lane = "realtime"', 'lane = "isolated"'));
    const r = await box.config.reload('test lane');
    assert.equal(r.applied, true, JSON.stringify(r));
    await waitFor('chord reloaded isolated', () => box.plugins.get('chord')?.lane === 'isolated');
    assert.equal(box.plugins.get('setlist')?.lane, 'isolated');
    box.setMode({ name: 'Chords' }, 'socket');
    box.simulation.midi?.clearSent();
    box.simulation.midi?.inject(KEYS, [0x90, 60, 100]);
    // From the worker now: the notes arrive after the event loop turned.
    await waitFor('chord from the isolated lane', () => sent().length === 4);
    assert.deepEqual(sent(), [[0x90, 60, 100], [0x90, 64, 100], [0x90, 67, 100], [0x90, 71, 100]]);
    await box.plugins.execute('chord', 'release', {}, { root: 60, shape: 'maj7' });
  } finally {
    box.setMode({ name: 'Setlist' }, 'socket');
    await writeFile(configPath, text);
    await box.config.reload('test restore');
  }
  await waitFor('chord back in the realtime lane', () => box.plugins.get('chord')?.lane === 'realtime');
});

test('unplugging a controller shows on the OLED banner, and plugging it back in reconnects it', async () => {
  const midi = box.simulation.midi;
  assert.ok(midi);
  midi.removeInput(KEYS);
  clock.advance(1000);
  const banner = box.problems.banner();
  assert.equal(banner?.kind, 'device_disconnected');
  assert.match(banner?.message ?? '', /Keystation/);
  const keys = async (): Promise<boolean | undefined> =>
    (await client.request({ cmd: 'status' })).devices.find((d) => d.name === 'keys' && d.kind === 'midi-in')?.connected;
  assert.equal(await keys(), false);
  midi.addInput(KEYS.replace('20:0', '24:0'));
  clock.advance(1000);
  assert.equal(await keys(), true);
});
