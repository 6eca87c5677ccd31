// The setlist on the composed box (fake MIDI, manual clock), the example config:
// footswitches step songs in every mode, the OLED shows the song, Program Change
// jumps while the menu is open or a broken edit is refused, the menu's Setlist page
// picks a song, and the position survives a restart (state file) and a stale one falls back.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtemp, readFile, rm, writeFile, mkdir } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { setTimeout as sleep } from 'node:timers/promises';
import { MidimonBox } from '../../src/box/box.js';
import { plugSimulatedDevices, seedSimulation } from '../../src/box/simulation.js';
import { Framebuffer } from '../../src/display/framebuffer.js';
import { drawText, textWidth } from '../../src/display/layout.js';
import { ManualScheduler } from '../../src/gpio/manual-scheduler.js';
import { silentLogger, type Logger } from '../../src/log.js';

const repo = fileURLToPath(new URL('../../', import.meta.url));
const SYNTH = 'Synth:Synth MIDI 1 30:0';
const LIVE_ENTER = [[0xb0, 0, 1], [0xb0, 32, 0], [0xc0, 12], [0xc9, 0]];

async function waitFor<T>(what: string, probe: () => T | undefined | false | null): Promise<T> {
  // Bounded polling for file writes and the display; never a timing assertion.
  for (let i = 0; i < 500; i++) {
    const v = probe();
    if (v !== undefined && v !== false && v !== null) return v;
    await sleep(10);
  }
  assert.fail(`timed out waiting for ${what}`);
}

interface Rig {
  readonly dir: string;
  readonly configPath: string;
  readonly clock: ManualScheduler;
  box: MidimonBox;
  readonly logs: Array<{ level: number; msg: string }>;
}

function recordingLogger(into: Array<{ level: number; msg: string }>): Logger {
  const base = silentLogger();
  const make = (bindings: object): Logger =>
    new Proxy(base, {
      get(target, prop) {
        if (prop === 'child') return (b: object) => make({ ...bindings, ...b });
        const levels: Record<string, number> = { trace: 10, debug: 20, info: 30, warn: 40, error: 50, fatal: 60 };
        const level = levels[String(prop)];
        if (level !== undefined) return (a: unknown, b?: unknown) => void into.push({ level, msg: typeof a === 'string' ? a : String(b ?? '') });
        return Reflect.get(target, prop) as unknown;
      },
    });
  return make({});
}

async function startBox(dir: string, configPath: string, clock: ManualScheduler, logs: Rig['logs']): Promise<MidimonBox> {
  const box = new MidimonBox({
    paths: { configPath, stateDir: join(dir, 'state'), runtimeDir: join(dir, 'run'), socketPath: join(dir, 'run', 'control.sock'), simulated: true },
    log: recordingLogger(logs),
    simulate: true,
    version: 'test',
    scheduler: clock,
    controlSocket: false,
    watchConfig: false,
  });
  await box.start();
  const config = box.config.current?.config;
  assert.ok(config);
  plugSimulatedDevices(box, config, silentLogger());
  return box;
}

async function rig(): Promise<Rig> {
  const dir = await mkdtemp(join(tmpdir(), 'midimon-setlist-box-'));
  const configPath = join(dir, 'config.toml');
  const example = await readFile(join(repo, 'docs/example-config.toml'), 'utf8');
  await writeFile(configPath, `${example.replaceAll('"../plugins/', `"${repo}plugins/`)}\n[usb]\nenabled = false\n`);
  await mkdir(join(dir, 'run'), { recursive: true });
  await seedSimulation(configPath, join(dir, 'state'), silentLogger());
  const clock = new ManualScheduler(Date.UTC(2026, 0, 1, 12));
  const logs: Rig['logs'] = [];
  return { dir, configPath, clock, logs, box: await startBox(dir, configPath, clock, logs) };
}

function tap(r: Rig, name: string): void {
  const fs = r.box.simulation.footswitches;
  assert.ok(fs, 'simulated footswitches');
  fs.press(name);
  r.clock.advance(30);
  fs.release(name);
  r.clock.advance(400);
}

/** The example without its Encore song (and the pad that jumps to it by name). */
function withoutEncore(text: string): string {
  const out = text.replace('  { mode = "Live", name = "Encore" },\n', '').replace('{ type = "SetlistGoto", song = "Encore" }', '{ type = "SetlistGoto", song = 1 }');
  assert.notEqual(out, text);
  return out;
}

const sent = (r: Rig) => r.box.simulation.midi?.sent(SYNTH) ?? [];
const keys = (r: Rig) => r.box.simulation.midi?.listInputs().find((p) => p.startsWith('Keystation')) ?? '';

/** The panel's header rows hold `name` in large glyphs right of the number box (what the status screen draws). */
function headerShows(panel: Framebuffer, name: string, number: string, count: string): boolean {
  const expected = new Framebuffer(128, 16);
  const boxW = textWidth(number, 2) + textWidth(count) + 6;
  drawText(expected, boxW + 4, 0, name, { scale: 2 });
  for (let y = 0; y < 16; y++) for (let x = boxW + 4; x < 128; x++) if (panel.get(x, y) !== expected.get(x, y)) return false;
  return true;
}

test('footswitches step songs in every mode, the OLED header shows the song, the position is saved and survives a restart', async () => {
  const r = await rig();
  try {
    assert.equal(r.box.modeInfo()?.name, 'Setlist');
    assert.deepEqual(r.box.setlistInfo(), {
      position: null,
      count: 3,
      song: null,
      mode: null,
      next: 'Opener',
      songs: [
        { number: 1, name: 'Opener', mode: 'Live' },
        { number: 2, name: 'Blue Ballad', mode: 'Chords' },
        { number: 3, name: 'Encore', mode: 'Live' },
      ],
    });
    r.box.simulation.midi?.clearSent();
    tap(r, 'right');
    assert.equal(r.box.modeInfo()?.name, 'Live');
    assert.deepEqual(sent(r), LIVE_ENTER, "song 1's mode runs its on_enter (bank + program)");
    const oled = r.box.simulation.oled;
    assert.ok(oled);
    // The display controller draws on the box clock.
    await waitFor('the song on the OLED', () => (r.clock.advance(100), headerShows(oled.panel(), 'Opener', '1', '/3')));
    // Live has no footswitch mapping of its own: the global "next song" still works there (the README walkthrough).
    tap(r, 'right');
    assert.equal(r.box.modeInfo()?.name, 'Chords');
    assert.equal(r.box.setlistInfo()?.song, 'Blue Ballad');

    await r.box.state.flush();
    const state = JSON.parse(await readFile(join(r.dir, 'state', 'state.json'), 'utf8')) as { sections: Record<string, unknown> };
    assert.deepEqual(state.sections['setlist'], { index: 1, name: 'Blue Ballad' });

    await r.box.stop();
    r.box = await startBox(r.dir, r.configPath, r.clock, r.logs);
    assert.equal(r.box.setlistInfo()?.position, 2, 'restored after a restart');
    assert.equal(r.box.modeInfo()?.name, 'Chords');
    r.box.simulation.midi?.clearSent();
    tap(r, 'right');
    assert.equal(r.box.setlistInfo()?.song, 'Encore');
    assert.deepEqual(sent(r), LIVE_ENTER, 'next continues from the restored song');
  } finally {
    await r.box.stop();
    await rm(r.dir, { recursive: true, force: true });
  }
});

test('Program Change recall keeps working while the menu is open and while a broken edit is refused; the menu\'s Setlist page picks a song', async () => {
  const r = await rig();
  try {
    const fs = r.box.simulation.footswitches;
    assert.ok(fs);
    // Open the menu (double press right), then PC 2 on channel 15: song 3.
    fs.press('right');
    r.clock.advance(30);
    fs.release('right');
    r.clock.advance(50);
    fs.press('right');
    r.clock.advance(30);
    fs.release('right');
    r.clock.advance(400);
    assert.equal(r.box.menu.open, true);
    r.box.simulation.midi?.inject(keys(r), [0xce, 2]);
    assert.equal(r.box.setlistInfo()?.song, 'Encore', 'PC selects a song while the menu is open');
    assert.equal(r.box.menu.open, true, 'and the menu stays open');

    // The menu's Setlist entry: root -> Setlist (before System) -> song 2.
    const root = r.box.menuContext();
    assert.deepEqual(root.setlist, { position: 3, songs: [{ number: 1, name: 'Opener' }, { number: 2, name: 'Blue Ballad' }, { number: 3, name: 'Encore' }] });
    r.box.menu.input('back', r.clock.now());
    r.box.menu.input('enter', r.clock.now());
    for (let i = 0; i < 5; i++) r.box.menu.input('next', r.clock.now()); // Modes, Plugins, MIDI devices, Errors, Tempo, Setlist
    r.box.menu.input('select', r.clock.now());
    r.box.menu.input('next', r.clock.now());
    r.box.menu.input('select', r.clock.now());
    assert.equal(r.box.setlistInfo()?.song, 'Blue Ballad');
    assert.equal(r.box.modeInfo()?.name, 'Chords');
    assert.equal(r.box.menu.open, false, 'picking a song closes the menu (the status screen shows it)');

    // A broken edit keeps the last good config: PC recall goes on.
    const good = await readFile(r.configPath, 'utf8');
    await writeFile(r.configPath, good.replace('program_change_channel = 15', 'program_change_channel = "fifteen"'));
    const refused = await r.box.config.reload('test');
    assert.equal(refused.applied, false);
    r.box.simulation.midi?.inject(keys(r), [0xce, 0]);
    assert.equal(r.box.setlistInfo()?.song, 'Opener');

    // A good edit that removes the last two songs: the position (song 1) stays; editing it away falls back with a log line.
    r.box.simulation.midi?.inject(keys(r), [0xce, 2]);
    await writeFile(r.configPath, withoutEncore(good).replace('  { mode = "Chords", name = "Blue Ballad" },\n', ''));
    const applied = await r.box.config.reload('test');
    assert.equal(applied.applied, true, JSON.stringify(applied));
    assert.deepEqual([r.box.setlistInfo()?.position, r.box.setlistInfo()?.song], [1, 'Opener']);
    assert.ok(r.logs.some((l) => l.level === 40 && /song 3 "Encore" is no longer in the setlist; now on song 1 "Opener"/.test(l.msg)), 'says so in the log');
  } finally {
    await r.box.stop();
    await rm(r.dir, { recursive: true, force: true });
  }
});

test('a stale saved position (songs removed while the box was off) falls back to the last song with a log line', async () => {
  const r = await rig();
  try {
    r.box.simulation.midi?.inject(keys(r), [0xce, 2]);
    assert.equal(r.box.setlistInfo()?.song, 'Encore');
    await r.box.stop();
    const text = await readFile(r.configPath, 'utf8');
    await writeFile(r.configPath, withoutEncore(text));
    r.box = await startBox(r.dir, r.configPath, r.clock, r.logs);
    assert.deepEqual([r.box.setlistInfo()?.position, r.box.setlistInfo()?.song], [2, 'Blue Ballad']);
    assert.ok(r.logs.some((l) => l.level === 40 && /saved setlist position: song 3 "Encore" is no longer in the setlist; now on song 2 "Blue Ballad"/.test(l.msg)));
    await r.box.state.flush();
    const state = JSON.parse(await readFile(join(r.dir, 'state', 'state.json'), 'utf8')) as { sections: Record<string, unknown> };
    assert.deepEqual(state.sections['setlist'], { index: 1, name: 'Blue Ballad' }, 'the fallback is saved');
  } finally {
    await r.box.stop();
    await rm(r.dir, { recursive: true, force: true });
  }
});
