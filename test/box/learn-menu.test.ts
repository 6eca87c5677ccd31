// The OLED menu's Learn flow on the composed box (fake MIDI, manual clock):
// Menu > MIDI learn > mode, a pad is hit, "Mode next", Save: the config file
// gains the mapping (comments kept, backup made), the box reloads, and the
// pad now switches modes. Leaving the page stops listening.
import { test, after, before } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtemp, readFile, rm, writeFile, mkdir } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { MidimonBox } from '../../src/box/box.js';
import { plugSimulatedDevices } from '../../src/box/simulation.js';
import { ManualScheduler } from '../../src/gpio/manual-scheduler.js';
import { silentLogger } from '../../src/log.js';
import { menuView } from '../../src/menu/index.js';

const CONFIG = `# Rig for the learn test: every comment must survive.
version = 1

[devices.midi]
inputs = [{ name = "PadKontrol", alias = "pads" }]   # the pads
outputs = [{ name = "Synth", alias = "synth" }]

[[devices.footswitches]]
name = "left"
pin = 17
[[devices.footswitches]]
name = "right"
pin = 27

[[modes]]
name = "Live"   # first

[[modes.mappings]]
description = "pad 40 answers with CC 9"
trigger = { type = "Note", note = 40 }
action = { type = "SendMidi", output = "synth", message = "cc", cc = 9, value = 1 }
# end of Live

[[modes]]
name = "Practice"
`;

let dir: string;
let configPath: string;
let box: MidimonBox;
let clock: ManualScheduler;

async function waitFor<T>(what: string, probe: () => T | undefined | false | null | Promise<T | undefined | false | null>): Promise<T> {
  // Bounded polling for file writes and the reload; never a timing assertion.
  for (let i = 0; i < 12_000; i++) {
    const v = await probe();
    if (v !== undefined && v !== false && v !== null) return v;
    await sleep(10);
  }
  assert.fail(`timed out waiting for ${what}`);
}

const t = () => clock.now();
const view = () => menuView(box.menu.state, box.menuContext());

function choose(label: string): void {
  for (let i = 0; i < 30; i++) {
    const v = view();
    assert.ok(v?.kind === 'list', `a list page, not ${v?.kind}`);
    if (v.items[v.selected]?.label === label) return box.menu.input('select', t());
    box.menu.input('next', t());
  }
  assert.fail(`no row '${label}'`);
}

const pad = (note: number) => box.sends.send({ input: 'pads', messages: [[0x99, note, 100]], release: [[0x89, note, 0]], hold_ms: 0 });
const synthCc9 = () => (box.simulation.midi?.sent('Synth:Synth MIDI 1 30:0') ?? []).filter((m) => m[0] === 0xb0 && m[1] === 9).length;

before(async () => {
  dir = await mkdtemp(join(tmpdir(), 'midimon-learn-menu-'));
  configPath = join(dir, 'config.toml');
  await writeFile(configPath, CONFIG);
  await mkdir(join(dir, 'run'), { recursive: true });
  clock = new ManualScheduler(Date.UTC(2026, 0, 1, 12));
  box = new MidimonBox({
    paths: { configPath, stateDir: join(dir, 'state'), runtimeDir: join(dir, 'run'), socketPath: join(dir, 'run', 'control.sock'), simulated: true },
    log: silentLogger(),
    simulate: true,
    version: 'test',
    scheduler: clock,
    controlSocket: false,
  });
  await box.start();
  const config = box.config.current?.config;
  assert.ok(config);
  plugSimulatedDevices(box, config, silentLogger());
  await waitFor('pads connected', () => box.midi?.devices.inputNames().length);
});

after(async () => {
  await box.stop();
  await rm(dir, { recursive: true, force: true });
});

test('leaving the Learn page stops listening: the next pad hit plays its mapping', async () => {
  box.menu.input('enter', t());
  choose('MIDI learn');
  choose('1 Live');
  assert.equal(box.learn.menuState()?.state, 'waiting');
  box.menu.input('back', t());
  assert.equal(box.learn.menuState(), undefined);
  for (let i = 0; i < 5 && box.menu.open; i++) box.menu.input('back', t());
  await pad(40);
  assert.equal(synthCc9(), 1, 'the pad reached the engine');
});

test('Menu > MIDI learn > Practice, hit a pad, Mode next, Save: written, reloaded, and it fires', async () => {
  box.setMode({ name: 'Practice' }, 'socket');
  box.menu.input('enter', t());
  choose('MIDI learn');
  choose('2 Practice');
  assert.deepEqual(view()?.kind === 'list' && view()?.title, 'Learn Practice');
  // The footswitch that steps the menu still steps it; the pad is learned (and not played).
  box.menu.input('next', t());
  await pad(41);
  const captured = view();
  assert.ok(captured?.kind === 'list');
  assert.equal(captured.title, 'pads note 41 ch10');
  choose('Mode next');
  assert.equal(view()?.kind, 'confirm');
  box.menu.input('next', t());
  box.menu.input('select', t()); // Save
  assert.equal(box.menu.open, false);

  const text = await waitFor('the mapping in the file', async () => {
    const s = await readFile(configPath, 'utf8');
    return s.includes('learned: pads note 41') ? s : undefined;
  });
  assert.equal(
    text,
    `${CONFIG}\n[[modes.mappings]]\ndescription = "learned: pads note 41 ch10"\ntrigger = { type = "Note", note = 41, channel = 10, device = "pads" }\naction = { type = "ModeChange", mode = "next" }\n`,
  );
  assert.equal(await readFile(`${configPath}.bak`, 'utf8'), CONFIG);
  await waitFor('the reload', () => box.config.current?.config.modes[1]?.mappings.length === 1);
  assert.equal(box.problems.recent()[0]?.message, 'Learned pads note 41 ch10 -> Mode next (Practice)');
  // The learned pad now switches from Practice to the next mode (wraps to Live).
  await pad(41);
  assert.equal(box.modeInfo()?.name, 'Live');
});
