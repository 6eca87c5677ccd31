// A menu "enter" control that takes a mapping's trigger (the default long
// press opens the menu, so long-press mappings never fire) is a warning in
// `midimon config check` and, at load, in the log and `midimon status`.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdir, mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { MidimonBox } from '../../src/box/box.js';
import { main } from '../../src/cli/main.js';
import { ControlClient } from '../../src/control/client.js';
import { menuShadows } from '../../src/config/menu-shadows.js';
import { boxConfigSchema } from '../../src/config/schema.js';
import { ManualScheduler } from '../../src/gpio/manual-scheduler.js';
import { silentLogger } from '../../src/log.js';

const SWITCHES = '[[devices.footswitches]]\nname = "left"\npin = 17\n[[devices.footswitches]]\nname = "right"\npin = 27\n';
const LONG_LEFT = '[[global_mappings]]\ntrigger = { type = "Footswitch", switch = "left", gesture = "long" }\naction = { type = "ModeChange", mode = "next" }\n';
const MODES = '[[modes]]\nname = "A"\n[[modes]]\nname = "B"\n';

function parse(raw: unknown) {
  return boxConfigSchema.parse(raw);
}

const fsMapping = (sw: string, gesture: string) => ({ trigger: { type: 'Footswitch', switch: sw, gesture }, action: { type: 'ModeChange', mode: 'next' } });

test('the default controls shadow long presses of every switch, nothing else', () => {
  const config = parse({
    devices: { footswitches: [{ name: 'left', pin: 17 }, { name: 'right', pin: 27 }] },
    modes: [{ name: 'A', mappings: [fsMapping('left', 'press'), fsMapping('right', 'long'), fsMapping('left', 'double')] }],
    global_mappings: [fsMapping('left', 'long'), fsMapping('right', 'release')],
  });
  assert.deepEqual(
    menuShadows(config).map((s) => [s.path.join('.'), s.input]),
    [
      ['global_mappings.0.trigger', 'switch "left" long press (the default menu controls)'],
      ['modes.0.mappings.1.trigger', 'switch "right" long press (the default menu controls)'],
    ],
  );
});

test('explicit controls: only "enter" shadows while the menu is closed; notes and CCs too, per channel and range', () => {
  const note = (n: number, extra: object = {}) => ({ trigger: { type: 'Note', note: n, ...extra }, action: { type: 'ModeChange', mode: 'next' } });
  const cc = (n: number, extra: object = {}) => ({ trigger: { type: 'CC', cc: n, ...extra }, action: { type: 'ModeChange', mode: 'next' } });
  const config = parse({
    devices: { footswitches: [{ name: 'left', pin: 17 }] },
    menu: {
      controls: [
        { control: 'enter', switch: 'left', gesture: 'double' },
        { control: 'next', switch: 'left', gesture: 'press' },
        { control: 'enter', note: 36, channel: 10 },
        { control: 'enter', cc: 80 },
      ],
    },
    modes: [
      {
        name: 'A',
        mappings: [
          fsMapping('left', 'long'), // 0: free now
          fsMapping('left', 'press'), // 1: "next" only listens inside the menu
          fsMapping('left', 'double'), // 2: shadowed
          note(30, { note_max: 40 }), // 3: 36 is in range, any channel
          note(36, { channel: 1 }), // 4: other channel
          note(36, { channel: [9, 10] }), // 5: shadowed
          cc(80, { max_value: 63 }), // 6: the menu takes values >= 64 only
          cc(80), // 7: shadowed
        ],
      },
    ],
  });
  assert.deepEqual(
    menuShadows(config).map((s) => [s.mapping, s.input]),
    [
      ['modes[0].mappings[2]', 'switch "left" double press'],
      ['modes[0].mappings[3]', 'note 36'],
      ['modes[0].mappings[5]', 'note 36'],
      ['modes[0].mappings[7]', 'CC 80 at values >= 64'],
    ],
  );
});

test('config check prints the warning with file, line and field, and still exits 0', async () => {
  const dir = await mkdtemp(join(tmpdir(), 'midimon-shadow-check-'));
  try {
    await writeFile(join(dir, 'c.toml'), `version = 1\n${SWITCHES}${MODES}${LONG_LEFT}`);
    const run = async (...extra: string[]) => {
      let out = '';
      const code = await main(['config', 'check', 'c.toml', ...extra], { stdout: (t) => (out += t), stderr: (t) => (out += t), env: { MIDIMON_STATE_DIR: join(dir, 'state') }, cwd: dir });
      return { code, out };
    };
    const text = await run();
    assert.equal(text.code, 0, text.out);
    assert.match(text.out, /c\.toml:13:\d+: global_mappings\[0\]\.trigger: warning: never fires: switch "left" long press \(the default menu controls\) opens the menu/);
    assert.match(text.out, /OK \(2 modes, 0 routes, 0 plugins; 1 warning\)/);
    const json = JSON.parse((await run('--json')).out) as { ok: boolean; warnings: Array<{ line: number; path: string }> };
    assert.equal(json.ok, true);
    assert.deepEqual(json.warnings.map((w) => [w.line, w.path]), [[13, 'global_mappings[0].trigger']]);
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
});

test('at load the box shows the warning in status; a config that frees the gesture clears it', async () => {
  const dir = await mkdtemp(join(tmpdir(), 'midimon-shadow-box-'));
  const configPath = join(dir, 'config.toml');
  await writeFile(configPath, `version = 1\n${SWITCHES}${MODES}${LONG_LEFT}`);
  await mkdir(join(dir, 'run'), { recursive: true });
  const socketPath = join(dir, 'run', 'control.sock');
  const warnings: string[] = [];
  const log = silentLogger();
  const box = new MidimonBox({
    paths: { configPath, stateDir: join(dir, 'state'), runtimeDir: join(dir, 'run'), socketPath, simulated: true },
    log: Object.assign(Object.create(log) as typeof log, { warn: (_o: unknown, msg?: string) => void warnings.push(msg ?? '') }),
    simulate: true,
    version: 'test',
    scheduler: new ManualScheduler(Date.UTC(2026, 0, 1, 12)),
    onRestart: () => undefined,
    onShutdown: () => undefined,
    readMountInfo: async () => '',
  });
  try {
    await box.start();
    const client = new ControlClient({ socketPath });
    const status = await client.request({ cmd: 'status' });
    const shown = status.recent_errors.find((e) => e.message.includes('never fires'));
    assert.ok(shown, JSON.stringify(status.recent_errors));
    assert.match(shown.message, /^global_mappings\[0\]\.trigger: never fires: switch "left" long press/);
    assert.equal(shown.source, `${configPath}:13`);
    assert.ok(box.problems.active().some((p) => p.severity === 'warning' && p.message === shown.message));
    assert.ok(warnings.some((w) => w.includes('never fires')), warnings.join('\n'));
    // Opening the menu with a double press frees the long press: the warning goes.
    await writeFile(configPath, `version = 1\n${SWITCHES}${MODES}${LONG_LEFT}[[menu.controls]]\ncontrol = "enter"\nswitch = "right"\ngesture = "double"\n`);
    await box.config.reload('test');
    assert.ok(!box.problems.active().some((p) => p.message.includes('never fires')));
  } finally {
    await box.stop();
    await rm(dir, { recursive: true, force: true });
  }
});
