import { test, describe } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtemp, rm, writeFile, mkdir } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { validateConfigText, loadConfigFile } from '../../src/config/load.js';
import { DEFAULT_CONFIG_TOML, DEFAULT_CONFIG_EXAMPLES_TOML } from '../../src/config/default-config.js';
import { formatIssue, type ConfigIssue } from '../../src/config/issues.js';
import { isMidimonError } from '../../src/errors.js';

const MODE = '[[modes]]\nname = "Main"\n';

async function issuesOf(toml: string, file = 'box.toml'): Promise<ConfigIssue[]> {
  const r = await validateConfigText(toml, file, { checkPluginFiles: false });
  assert.equal(r.ok, false, 'expected the config to be rejected');
  return r.ok ? [] : [...r.issues];
}

/** Each case: a config breaking one rule, and the one line `midimon config check` prints for it. */
const CASES: ReadonlyArray<readonly [string, string, string | string[]]> = [
  // [rule, toml (a valid [[modes]] is added after it), expected `config check` line(s)]
  ['unknown top-level key', 'colour = "red"', "box.toml:1:1: colour: unknown key 'colour' (allowed here: version, devices, modes, global_mappings, routes, timing, mode_switching, clock, setlist, sysex, plugins, limits, logging, usb, menu)"],
  ['version is 1', 'version = 2', 'box.toml:1:1: version: expected 1, found integer 2'],
  ['midi input name non-empty', '[devices.midi]\ninputs = [{ name = "" }]', 'box.toml:2:13: devices.midi.inputs[0].name: expected a non-empty string, found string ""'],
  [
    'midi input /regex/ compiles',
    '[devices.midi]\ninputs = [{ name = "/(/" }]',
    'box.toml:2:13: devices.midi.inputs[0].name: invalid regular expression /(/: Invalid regular expression: /(/: Unterminated group',
  ],
  [
    'midi alias length',
    `[devices.midi]\noutputs = [{ name = "a", alias = "${'x'.repeat(33)}" }]`,
    `box.toml:2:26: devices.midi.outputs[0].alias: expected at most 32 characters, found string "${'x'.repeat(33)}"`,
  ],
  [
    'midi aliases unique',
    '[devices.midi]\noutputs = [{ name = "a", alias = "s" }, { name = "b", alias = "s" }]',
    'box.toml:2:55: devices.midi.outputs[1].alias: duplicate alias "s" (already used by entry 0)',
  ],
  [
    'midi port unknown key',
    '[devices.midi]\ninputs = [{ nam = "a" }]',
    ["box.toml:2:11: devices.midi.inputs[0].name: missing required key 'name': expected a string", "box.toml:2:13: devices.midi.inputs[0].nam: unknown key 'nam' (did you mean 'name'?)"],
  ],
  ['poll interval range', '[devices.midi]\npoll_interval_ms = 50', 'box.toml:2:1: devices.midi.poll_interval_ms: expected a value >= 200, found integer 50'],
  ['footswitch pin max', '[[devices.footswitches]]\nname = "a"\npin = 28', 'box.toml:3:1: devices.footswitches[0].pin: expected a value <= 27, found integer 28'],
  ['footswitch pin min', '[[devices.footswitches]]\nname = "a"\npin = -1', 'box.toml:3:1: devices.footswitches[0].pin: expected a value >= 0, found integer -1'],
  ['footswitch pin integer', '[[devices.footswitches]]\nname = "a"\npin = 1.5', 'box.toml:3:1: devices.footswitches[0].pin: expected an integer, found number 1.5'],
  ['footswitch pin required', '[[devices.footswitches]]\nname = "a"', "box.toml:1:1: devices.footswitches[0].pin: missing required key 'pin': expected a number"],
  [
    'footswitch names unique',
    '[[devices.footswitches]]\nname = "a"\npin = 1\n[[devices.footswitches]]\nname = "a"\npin = 2',
    'box.toml:5:1: devices.footswitches[1].name: duplicate name "a" (already used by entry 0)',
  ],
  [
    'footswitch pins unique',
    '[[devices.footswitches]]\nname = "a"\npin = 1\n[[devices.footswitches]]\nname = "b"\npin = 1',
    'box.toml:6:1: devices.footswitches[1].pin: duplicate pin 1 (already used by entry 0)',
  ],
  [
    'footswitch active_low boolean',
    '[[devices.footswitches]]\nname = "a"\npin = 1\nactive_low = "yes"',
    'box.toml:4:1: devices.footswitches[0].active_low: expected a boolean (true or false), found string "yes"',
  ],
  ['footswitch pull enum', '[[devices.footswitches]]\nname = "a"\npin = 1\npull = "high"', 'box.toml:4:1: devices.footswitches[0].pull: expected one of "up", "down", "none", found string "high"'],
  ['debounce range', '[devices.footswitch_timing]\ndebounce_ms = 500', 'box.toml:2:1: devices.footswitch_timing.debounce_ms: expected a value <= 200, found integer 500'],
  ['long press range', '[devices.footswitch_timing]\nlong_press_ms = 10', 'box.toml:2:1: devices.footswitch_timing.long_press_ms: expected a value >= 100, found integer 10'],
  ['double press range', '[devices.footswitch_timing]\ndouble_press_ms = 3000', 'box.toml:2:1: devices.footswitch_timing.double_press_ms: expected a value <= 2000, found integer 3000'],
  ['display controller', '[devices.display]\ncontroller = "ssd1309"', 'box.toml:2:1: devices.display.controller: expected one of "ssd1306", "sh1106", "none", found string "ssd1309"'],
  ['display width', '[devices.display]\nwidth = 96', 'box.toml:2:1: devices.display.width: expected 128, found integer 96'],
  ['display height', '[devices.display]\nheight = 48', 'box.toml:2:1: devices.display.height: expected one of 64, 32, found integer 48'],
  ['display bus', '[devices.display]\nbus = 11', 'box.toml:2:1: devices.display.bus: expected a value <= 10, found integer 11'],
  ['display address', '[devices.display]\naddress = 0x78', 'box.toml:2:1: devices.display.address: expected a value <= 119, found integer 120'],
  ['display rotation', '[devices.display]\nrotation = 90', 'box.toml:2:1: devices.display.rotation: expected one of 0, 180, found integer 90'],
  ['display brightness', '[devices.display]\nbrightness = 256', 'box.toml:2:1: devices.display.brightness: expected a value <= 255, found integer 256'],
  ['display dim_after_s', '[devices.display]\ndim_after_s = -1', 'box.toml:2:1: devices.display.dim_after_s: expected a value >= 0, found integer -1'],
  ['display screensaver', '[devices.display]\nscreensaver = 1', 'box.toml:2:1: devices.display.screensaver: expected a boolean (true or false), found integer 1'],
  ['display unknown key', '[devices.display]\ncontrast = 1', "box.toml:2:1: devices.display.contrast: unknown key 'contrast' (allowed here: controller, width, height, bus, address, rotation, brightness, dim_after_s, screensaver)"],
  ['plugin name', '[plugins.Looper]\npath = "a.wasm"', 'box.toml:1:1: plugins.Looper: invalid name: expected a name matching /^[a-z0-9][a-z0-9_-]{0,63}$/, found string "Looper"'],
  ['plugin path required', '[plugins.looper]\nenabled = true', "box.toml:1:1: plugins.looper.path: missing required key 'path': expected a string"],
  ['plugin enabled boolean', '[plugins.looper]\npath = "a.wasm"\nenabled = "no"', 'box.toml:3:1: plugins.looper.enabled: expected a boolean (true or false), found string "no"'],
  ['plugin profile', '[plugins.looper]\npath = "a.wasm"\nprofile = "server"', 'box.toml:3:1: plugins.looper.profile: expected one of "auto", "pi", "desktop", found string "server"'],
  ['plugin fuel', '[plugins.looper]\npath = "a.wasm"\nfuel = 10', 'box.toml:3:1: plugins.looper.fuel: expected a value >= 1000, found integer 10'],
  ['plugin init_fuel', '[plugins.looper]\npath = "a.wasm"\ninit_fuel = 20_000_000_000', 'box.toml:3:1: plugins.looper.init_fuel: expected a value <= 10000000000, found integer 20000000000'],
  ['plugin memory_mb', '[plugins.looper]\npath = "a.wasm"\nmemory_mb = 1024', 'box.toml:3:1: plugins.looper.memory_mb: expected a value <= 512, found integer 1024'],
  ['plugin timeout_ms', '[plugins.looper]\npath = "a.wasm"\ntimeout_ms = 0', 'box.toml:3:1: plugins.looper.timeout_ms: expected a value >= 1, found integer 0'],
  [
    'plugin capability names',
    '[plugins.looper]\npath = "a.wasm"\ncapabilities = ["Network", "Net"]',
    'box.toml:3:28: plugins.looper.capabilities[1]: expected one of "Network", "Filesystem", "Process", "Midi", found string "Net"',
  ],
  [
    'plugin capabilities unique',
    '[plugins.looper]\npath = "a.wasm"\ncapabilities = ["Midi", "Midi"]',
    'box.toml:3:25: plugins.looper.capabilities[1]: duplicate capability "Midi" (already used by entry 0)',
  ],
  ['plugin signature', '[plugins.looper]\npath = "a.wasm"\nsignature = "maybe"', 'box.toml:3:1: plugins.looper.signature: expected one of "required", "if-present", "off", found string "maybe"'],
  ['plugin lane', '[plugins.looper]\npath = "a.wasm"\nlane = "fast"', 'box.toml:3:1: plugins.looper.lane: expected one of "isolated", "realtime", found string "fast"'],
  [
    'realtime plugin fuel cap',
    '[plugins.chord]\npath = "a.wasm"\nlane = "realtime"\nfuel = 600_000',
    'box.toml:4:1: plugins.chord.fuel: at most 500000 in the realtime lane (the plugin runs on the MIDI thread); use lane = "isolated" for more',
  ],
  [
    'realtime plugin init_fuel cap',
    '[plugins.chord]\npath = "a.wasm"\nlane = "realtime"\ninit_fuel = 2_000_000',
    'box.toml:4:1: plugins.chord.init_fuel: at most 1000000 in the realtime lane (the plugin runs on the MIDI thread); use lane = "isolated" for more',
  ],
  [
    'realtime plugin without timeout',
    '[plugins.chord]\npath = "a.wasm"\nlane = "realtime"\ntimeout_ms = 50',
    'box.toml:4:1: plugins.chord.timeout_ms: has no effect in the realtime lane (nothing can pre-empt the MIDI thread; capped fuel bounds each call); remove it or use lane = "isolated"',
  ],
  [
    'realtime plugin without Filesystem',
    '[plugins.chord]\npath = "a.wasm"\nlane = "realtime"\ncapabilities = ["Midi", "Filesystem"]',
    'box.toml:4:1: plugins.chord.capabilities: Filesystem is not available in the realtime lane (file I/O would stall MIDI); use lane = "isolated"',
  ],
  ['plugin unknown key', '[plugins.looper]\npath = "a.wasm"\nmemory = 4', "box.toml:3:1: plugins.looper.memory: unknown key 'memory' (did you mean 'memory_mb'?)"],
  ['limits profile', '[limits]\nprofile = "fast"', 'box.toml:2:1: limits.profile: expected one of "auto", "pi", "desktop", found string "fast"'],
  [
    'logging level',
    '[logging]\nlevel = "verbose"',
    'box.toml:2:1: logging.level: expected one of "fatal", "error", "warn", "info", "debug", "trace", "silent", found string "verbose"',
  ],
  ['menu timeout', '[menu]\ntimeout_s = 7200', 'box.toml:2:1: menu.timeout_s: expected a value <= 3600, found integer 7200'],
  [
    'footswitch trigger names a configured switch',
    '[[modes.mappings]]\ntrigger = { type = "Footswitch", switch = "left" }\naction = { type = "ModeChange", mode = "Main" }',
    'box.toml:4:34: modes[0].mappings[0].trigger.switch: unknown footswitch "left" (no footswitches are configured under [[devices.footswitches]])',
  ],
];

describe('every schema rule has a failing example with its exact message', () => {
  for (const [rule, snippet, expected] of CASES) {
    test(rule, async () => {
      const issues = await issuesOf(snippet.includes('[[modes') ? `${MODE}${snippet}\n` : `${snippet}\n${MODE}`);
      assert.deepEqual(issues.map(formatIssue), typeof expected === 'string' ? [expected] : expected);
    });
  }
});

describe('engine sections keep their own messages, located in the file', () => {
  test('nested array-of-tables path with line and column', async () => {
    const toml = `${MODE}[[modes]]\nname = "Other"\n[[modes.mappings]]\ntrigger = { type = "Note", note = 130 }\naction = { type = "ModeChange", mode = "Main" }\n`;
    const [issue, ...rest] = await issuesOf(toml);
    assert.equal(rest.length, 0);
    assert.deepEqual(issue, {
      file: 'box.toml',
      line: 6,
      column: 28,
      path: 'modes[1].mappings[0].trigger.note',
      message: 'mode "Other" mapping 0: a MIDI note number must be <= 127, found integer 130',
      expected: 'a value <= 127',
      found: 'integer 130',
    });
  });

  test('an unknown discriminator reports the value, not the table', async () => {
    const toml = `${MODE}[[modes.mappings]]\ntrigger = { type = "Nite", note = 1 }\naction = { type = "ModeChange", mode = "Main" }\n`;
    const issues = await issuesOf(toml);
    assert.equal(issues[0]?.path, 'modes[0].mappings[0].trigger.type');
    assert.equal(issues[0]?.found, 'string "Nite"');
    assert.equal(issues[0]?.line, 4);
  });

  test('cross-references (a ModeChange to an unknown mode) come with a line', async () => {
    const toml = `${MODE}[[modes.mappings]]\ntrigger = { type = "Note", note = 1 }\naction = { type = "ModeChange", mode = "Nope" }\n`;
    const issues = await issuesOf(toml);
    assert.equal(issues.length, 1);
    assert.equal(issues[0]?.path, 'modes[0].mappings[0].action.mode');
    assert.equal(issues[0]?.line, 5);
  });

  test('an unknown key inside a tagged union is matched against the form the user wrote', async () => {
    const toml = `${MODE}[[modes.mappings]]\ntrigger = { type = "Note", note = 1, velocty_min = 3 }\naction = { type = "SendMidi", message = "cc", cc = 1, vaule = 3 }\n`;
    assert.deepEqual((await issuesOf(toml)).map(formatIssue), [
      `box.toml:4:38: modes[0].mappings[0].trigger.velocty_min: mode "Main" mapping 0: unknown key 'velocty_min' (did you mean 'velocity_min'?)`,
      `box.toml:5:55: modes[0].mappings[0].action.vaule: mode "Main" mapping 0: unknown key 'vaule' (did you mean 'value'?)`,
    ]);
  });

  test('missing modes', async () => {
    assert.deepEqual((await issuesOf('')).map(formatIssue), ["box.toml: modes: missing required key 'modes': expected an array"]);
  });

  test('several problems are all reported, in file order', async () => {
    const issues = await issuesOf(`${MODE}[devices.display]\nheight = 48\nrotation = 90\n[menu]\ntimeout = 3\n`);
    assert.deepEqual(
      issues.map((i) => `${i.line}:${i.path}`),
      ['4:devices.display.height', '5:devices.display.rotation', '7:menu.timeout'],
    );
  });
});

test('a TOML syntax error carries line and column from the parser', async () => {
  const r = await validateConfigText(`${MODE}[devices.display]\nheight = \n`, 'box.toml');
  assert.equal(r.ok, false);
  if (r.ok) return;
  assert.equal(r.kind, 'config_parse');
  assert.equal(r.issues.length, 1);
  assert.equal(r.issues[0]?.line, 4);
  assert.equal(r.issues[0]?.column, 10);
  assert.match(r.issues[0]?.message ?? '', /^TOML syntax error: /);
});

test('the default config is valid and fills every default', async () => {
  const r = await validateConfigText(DEFAULT_CONFIG_TOML, '/etc/midimon/config.toml');
  assert.ok(r.ok, r.ok ? '' : r.issues.map(formatIssue).join('\n'));
  if (!r.ok) return;
  assert.equal(r.config.devices.display.address, 0x3c);
  assert.equal(r.config.devices.footswitch_timing.long_press_ms, 600);
  assert.equal(r.config.limits.profile, 'auto');
  assert.equal(r.config.modes.length, 1);
});

test('the commented examples in the default config are valid when uncommented', async () => {
  const r = await validateConfigText(DEFAULT_CONFIG_EXAMPLES_TOML, 'examples.toml');
  assert.ok(r.ok, r.ok ? '' : r.issues.map(formatIssue).join('\n'));
  if (!r.ok) return;
  assert.deepEqual(r.config.devices.footswitches.map((f) => f.pin), [17, 27]);
  assert.equal(r.config.modes[0]?.mappings.length, 2);
  assert.equal(r.config.routes.length, 1);
  assert.ok(!DEFAULT_CONFIG_TOML.includes('#ex'));
});

test('defaults are applied to absent sections', async () => {
  const r = await validateConfigText(`${MODE}[plugins.looper]\npath = "a.wasm"\n`, 'box.toml', { checkPluginFiles: false });
  assert.ok(r.ok);
  if (!r.ok) return;
  assert.deepEqual(r.config.devices.display, {
    controller: 'ssd1306',
    width: 128,
    height: 64,
    bus: 1,
    address: 0x3c,
    rotation: 0,
    brightness: 200,
    dim_after_s: 60,
    screensaver: false,
  });
  assert.deepEqual(r.config.plugins['looper'], { path: 'a.wasm', enabled: true, capabilities: [], signature: 'if-present', lane: 'isolated' });
  assert.equal(r.config.menu.timeout_s, 30);
  assert.equal(r.config.logging.level, 'info');
});

describe('loadConfigFile', () => {
  test('plugin files are resolved against the config directory and must exist when enabled', async () => {
    const dir = await mkdtemp(join(tmpdir(), 'midimon-cfg-'));
    try {
      await mkdir(join(dir, 'plugins'));
      await writeFile(join(dir, 'plugins', 'ok.wasm'), '');
      const file = join(dir, 'config.toml');
      await writeFile(file, `${MODE}[plugins.ok]\npath = "plugins/ok.wasm"\n[plugins.off]\npath = "gone.wasm"\nenabled = false\n[plugins.gone]\npath = "gone.wasm"\n`);
      await assert.rejects(loadConfigFile(file), (e: unknown) => {
        if (!isMidimonError(e, 'config_invalid')) return false;
        const issues = e.details?.['issues'] as ConfigIssue[];
        assert.deepEqual(issues.map(formatIssue), [
          `${file}:9:1: plugins.gone.path: plugin file not found: ${join(dir, 'gone.wasm')} (set enabled = false to keep the entry without the file)`,
        ]);
        assert.equal(e.message, `invalid config ${file}:9: plugins.gone.path: plugin file not found: ${join(dir, 'gone.wasm')} (set enabled = false to keep the entry without the file)`);
        return true;
      });
      await writeFile(file, `${MODE}[plugins.ok]\npath = "plugins/ok.wasm"\n`);
      const loaded = await loadConfigFile(file);
      assert.equal(loaded.origin, 'file');
      assert.match(loaded.hash, /^[0-9a-f]{16}$/);
      assert.deepEqual(Object.keys(loaded.config.plugins), ['ok']);
    } finally {
      await rm(dir, { recursive: true, force: true });
    }
  });

  test('a missing file is not_found; a syntax error is config_parse', async () => {
    const dir = await mkdtemp(join(tmpdir(), 'midimon-cfg-'));
    try {
      await assert.rejects(loadConfigFile(join(dir, 'none.toml')), (e: unknown) => isMidimonError(e, 'not_found'));
      await writeFile(join(dir, 'bad.toml'), 'a = [');
      await assert.rejects(loadConfigFile(join(dir, 'bad.toml')), (e: unknown) => isMidimonError(e, 'config_parse') && Array.isArray(e.details?.['issues']));
    } finally {
      await rm(dir, { recursive: true, force: true });
    }
  });

  test('plugins known from elsewhere (installed index) satisfy Plugin actions', async () => {
    const toml = `${MODE}[[modes.mappings]]\ntrigger = { type = "Note", note = 1 }\naction = { type = "Plugin", plugin = "usb-looper", action = "rec" }\n`;
    assert.equal((await validateConfigText(toml, 'box.toml')).ok, false);
    assert.equal((await validateConfigText(toml, 'box.toml', { extraPluginNames: ['usb-looper'] })).ok, true);
  });
});
