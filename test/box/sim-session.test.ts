// An interactive simulation around the real box (example config, real
// plugins, a manual clock): the keyboard's sustain key holds a note across a
// footswitch mode switch, System > Restart re-creates the box in-process and
// the keys play into the new one, System > Shut down says what it did and
// hands over to the process owner, and the ALSA virtual ports are opened
// (or not) through an injected port factory.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { mkdir, mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { PassThrough, Writable } from 'node:stream';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { setTimeout as sleep } from 'node:timers/promises';
import { pino } from 'pino';
import { MidimonBox } from '../../src/box/box.js';
import { SIM_SHUTDOWN_MESSAGE, SimSession, type SimBoxHooks } from '../../src/box/sim-session.js';
import { seedSimulation } from '../../src/box/simulation.js';
import type { VirtualPortFactory } from '../../src/box/sim-virtual-ports.js';
import { ManualScheduler } from '../../src/gpio/manual-scheduler.js';
import { choose as chooseAt } from './helpers/menu.js';

const choose = (box: MidimonBox, clock: ManualScheduler, label: string | RegExp) => chooseAt(box, clock.now(), label);

const repo = fileURLToPath(new URL('../../', import.meta.url));
const SYNTH = 'Synth:Synth MIDI 1 30:0';

let dir: string;
let configPath: string;
const logs: string[] = [];
const log = pino(
  { level: 'info' },
  new Writable({
    write(chunk: Buffer, _enc, cb) {
      logs.push((JSON.parse(chunk.toString()) as { msg: string }).msg);
      cb();
    },
  }),
);

before(async () => {
  dir = await mkdtemp(join(tmpdir(), 'midimon-sim-'));
  configPath = join(dir, 'config.toml');
  const example = await readFile(join(repo, 'docs/example-config.toml'), 'utf8');
  await writeFile(configPath, example.replaceAll('"../plugins/', `"${repo}plugins/`));
  await mkdir(join(dir, 'run'), { recursive: true });
});

after(async () => {
  await rm(dir, { recursive: true, force: true });
});

async function waitFor<T>(what: string, probe: () => T | undefined | false | null): Promise<T> {
  // Bounded polling for plugin workers and restarts; never a timing assertion.
  for (let i = 0; i < 12_000; i++) {
    const v = probe();
    if (v !== undefined && v !== false && v !== null) return v;
    await sleep(10);
  }
  assert.fail(`timed out waiting for ${what}`);
}

function ttyInput() {
  return Object.assign(new PassThrough(), { isTTY: true, setRawMode: () => undefined });
}

let sessions = 0;

/** Each session has its own state (the saved mode would otherwise carry over between tests). */
async function session(opts: { clock: ManualScheduler; factory?: VirtualPortFactory; seq?: boolean; onShutdown?: () => void }) {
  const stateDir = join(dir, `state-${++sessions}`);
  await seedSimulation(configPath, stateDir, log);
  const created: MidimonBox[] = [];
  const s = new SimSession({
    log,
    createBox: (hooks: SimBoxHooks) => {
      const box = new MidimonBox({
        paths: { configPath, stateDir, runtimeDir: join(dir, 'run'), socketPath: join(dir, 'run', 'control.sock'), simulated: true },
        log,
        simulate: true,
        version: 'test',
        scheduler: opts.clock,
        controlSocket: false,
        watchConfig: false,
        ...hooks,
      });
      created.push(box);
      return box;
    },
    input: ttyInput(),
    output: Object.assign(new PassThrough(), { isTTY: false }),
    noOled: false,
    onInterrupt: () => undefined,
    onShutdown: opts.onShutdown ?? (() => undefined),
    onFatal: (err) => assert.fail(String(err)),
    socketPath: join(dir, 'run', 'control.sock'),
    scheduler: opts.clock,
    virtualPorts: { sequencerPresent: async () => opts.seq ?? false, factory: async () => opts.factory ?? assert.fail('no factory without a sequencer') },
  });
  return { s, created };
}

test('the sustain key holds a note across a footswitch mode switch: a route still active carries it, one that ends releases it', async () => {
  const clock = new ManualScheduler(Date.UTC(2026, 0, 1, 12));
  const { s } = await session({ clock });
  await s.start();
  try {
    const box = s.box;
    assert.equal(box.modeInfo()?.name, 'Setlist');
    const kb = s.keyboard;
    assert.ok(kb, 'stdin is a terminal: the keyboard is on');
    const sent = () => box.simulation.midi?.sent(SYNTH) ?? [];
    const offs = () => sent().filter((m) => (m[0] ?? 0) >> 4 === 8 && m[1] === 60);
    box.simulation.midi?.clearSent();
    kb.handle(' z');
    assert.deepEqual(sent(), [[0xb0, 64, 127], [0x90, 60, 100]], 'sustain and the note go through keys-thru');
    clock.advance(2000);
    assert.deepEqual(offs(), [], 'sustain keeps the key down: no note-off');

    // q twice: "double press left: straight to Live"; keys-thru routes in Live too, so the note keeps sounding.
    kb.handle('q');
    clock.advance(100);
    kb.handle('q');
    clock.advance(2000);
    assert.equal(box.modeInfo()?.name, 'Live');
    assert.deepEqual(offs(), [], 'still sounding in the new mode');
    box.simulation.midi?.clearSent();
    kb.handle(' ');
    assert.deepEqual(offs(), [[0x80, 60, 0]], 'letting go ends it at the synth, once');

    // Again, then Shift-W (long right: next mode, Live -> Setlist -> Chords): keys-thru ends with Setlist.
    box.simulation.midi?.clearSent();
    kb.handle(' z');
    kb.handle('W');
    clock.advance(2000);
    assert.equal(box.modeInfo()?.name, 'Setlist');
    kb.handle('W');
    clock.advance(2000);
    assert.equal(box.modeInfo()?.name, 'Chords');
    assert.deepEqual(offs(), [[0x80, 60, 0]], 'the route that ended released its note at the switch (docs/engine.md, No stuck notes)');
    box.simulation.midi?.clearSent();
    kb.handle(' ');
    assert.deepEqual(offs(), [], 'the late key release is not sent twice');
    assert.match(kb.statusLine(), /sustain off/);
  } finally {
    await s.stop();
  }
});

test('System > Restart re-creates the box in this process; the keyboard plays into the new box', async () => {
  const clock = new ManualScheduler(Date.UTC(2026, 0, 1, 12));
  const { s, created } = await session({ clock });
  await s.start();
  try {
    const first = s.box;
    await waitFor('plugins loaded', () => first.pluginSet.list().every((p) => p.loaded));
    first.menu.input('enter', clock.now());
    choose(first, clock, 'System');
    choose(first, clock, 'Restart service');
    choose(first, clock, 'Restart');
    await waitFor('the restart', () => s.restarts === 1);
    assert.equal(created.length, 2);
    assert.notEqual(s.box, first);
    assert.equal(first.midi, null, 'the old box is stopped');
    assert.ok(s.box.modeInfo() !== null, 'the new box runs');
    assert.ok(logs.some((l) => /System > Restart/.test(l)));
    s.box.simulation.midi?.clearSent();
    s.keyboard?.handle('z');
    assert.deepEqual(s.box.simulation.midi?.sent(SYNTH), [[0x90, 60, 100]]);
  } finally {
    await s.stop();
  }
});

test('System > Shut down in simulation says what it did and hands over to the owner (who exits)', async () => {
  const clock = new ManualScheduler(Date.UTC(2026, 0, 1, 12));
  let shutdowns = 0;
  const { s } = await session({ clock, onShutdown: () => shutdowns++ });
  await s.start();
  try {
    const box = s.box;
    box.menu.input('enter', clock.now());
    choose(box, clock, 'System');
    choose(box, clock, 'Shut down');
    assert.equal(shutdowns, 0, 'the dialog asks first');
    choose(box, clock, 'Shut down');
    assert.equal(shutdowns, 1);
    assert.ok(logs.includes(SIM_SHUTDOWN_MESSAGE));
  } finally {
    await s.stop();
  }
});

test('ALSA virtual ports: opened where the sequencer exists, fed to the input the keys play as, fed by every output', async () => {
  const clock = new ManualScheduler(Date.UTC(2026, 0, 1, 12));
  const opened: string[] = [];
  const out: number[][] = [];
  let deliver: (bytes: number[]) => void = () => undefined;
  const factory: VirtualPortFactory = {
    openInput: (name, onMessage) => {
      opened.push(`in:${name}`);
      deliver = onMessage;
      return { close: () => opened.push(`closed in:${name}`) };
    },
    openOutput: (name) => {
      opened.push(`out:${name}`);
      return { send: (b) => out.push([...b]), close: () => opened.push(`closed out:${name}`) };
    },
  };
  const { s } = await session({ clock, factory, seq: true });
  await s.start();
  try {
    assert.deepEqual(opened, ['in:midimon-box in', 'out:midimon-box out']);
    const box = s.box;
    box.simulation.midi?.clearSent();
    deliver([0x90, 64, 80]);
    assert.deepEqual(box.simulation.midi?.sent(SYNTH), [[0x90, 64, 80]], 'plays as keys (keys-thru routes it)');
    assert.ok(out.some((m) => m[0] === 0x90 && m[1] === 64), 'the box output is copied to "midimon-box out"');
    s.keyboard?.handle('\t');
    assert.equal(s.playsAs()?.name, 'pads');
  } finally {
    await s.stop();
  }
  assert.deepEqual(opened.slice(2), ['closed in:midimon-box in', 'closed out:midimon-box out']);
});

test('without a sequencer: one clear log line and no ports; a failing factory is a warning, not a crash', async () => {
  const clock = new ManualScheduler(Date.UTC(2026, 0, 1, 12));
  logs.length = 0;
  const { s } = await session({ clock, seq: false });
  await s.start();
  await s.stop();
  assert.equal(logs.filter((l) => /virtual MIDI ports/.test(l)).length, 1);
  assert.ok(logs.some((l) => /no ALSA sequencer \(\/dev\/snd\/seq\).*midimon send/.test(l)));

  logs.length = 0;
  const broken: VirtualPortFactory = {
    openInput: () => ({ close: () => undefined }),
    openOutput: () => {
      throw new Error('Failed to initialise RtMidi');
    },
  };
  const second = await session({ clock, factory: broken, seq: true });
  await second.s.start();
  await second.s.stop();
  assert.ok(logs.some((l) => /could not open the ALSA virtual ports \(Failed to initialise RtMidi\)/.test(l)), logs.join('\n'));
});
