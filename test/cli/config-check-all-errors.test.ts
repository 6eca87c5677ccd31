// `midimon config check` reports every problem at once: schema errors,
// cross-references (unknown mode, footswitch, plugin), missing plugin files and
// trailing commas all in one run, each with file, line and field; the indices
// named are the file's own even where refused entries came before them.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { main } from '../../src/cli/main.js';
import { loadConfigFile, validateConfigText } from '../../src/config/load.js';
import { MidimonError } from '../../src/errors.js';

const BAD = `version = 1
[timing]
long_press_ms = "slow"
colour = 3

[[devices.footswitches]]
name = "left"
pin = 99

[[devices.footswitches]]
name = "right"
pin = 5

[[modes]]
name = "Live"
[[modes.mappings]]
trigger = { type = "Note", note = 200 }
action = { type = "SendMidi", message = { type = "note_on", note = 60 } }
[[modes.mappings]]
trigger = { type = "Footswitch", switch = "middle", gesture = "press" }
action = { type = "ModeChange", mode = "Nowhere" }
[[modes.mappings]]
trigger = { type = "Footswitch", switch = "left", gesture = "press" }
action = { type = "Plugin", plugin = "ghost", action = "x" }
[[modes.mappings]]
trigger = { type = "Footswitch", switch = "right", gesture = "press" }
action = { type = "Plugin", plugin = "broken", action = "x" }

[plugins.broken]
path = "broken.wasm"
lanez = "realtime"
[plugins.missing]
path = "missing.wasm"

[[routes]]
name = "thru"
from = "keys"
to = "synth"
modes = ["Live", "Studio"]
`;

test('one config check run reports schema, reference and plugin-file errors together, each with line and field', async () => {
  const dir = await mkdtemp(join(tmpdir(), 'midimon-check-all-'));
  try {
    await writeFile(join(dir, 'c.toml'), BAD);
    let out = '';
    const code = await main(['config', 'check', 'c.toml', '--json'], { stdout: (t) => (out += t), stderr: (t) => (out += t), env: { MIDIMON_STATE_DIR: join(dir, 'state') }, cwd: dir });
    assert.equal(code, 1);
    const result = JSON.parse(out) as { ok: boolean; kind: string; issues: Array<{ file: string; line?: number; path: string; message: string }> };
    assert.equal(result.kind, 'config_invalid');
    const got = result.issues.map((i) => `${i.line}: ${i.path}`);
    assert.deepEqual(got, [
      '3: timing.long_press_ms',
      '4: timing.colour',
      '8: devices.footswitches[0].pin',
      // mapping 0: two schema errors; the entries after it keep their own indices.
      '17: modes[0].mappings[0].trigger.note',
      '18: modes[0].mappings[0].action.message',
      '20: modes[0].mappings[1].trigger.switch',
      '21: modes[0].mappings[1].action.mode',
      '24: modes[0].mappings[2].action.plugin',
      '31: plugins.broken.lanez',
      '33: plugins.missing.path',
      '39: routes[0].modes[1]',
    ]);
    assert.ok(result.issues.every((i) => i.file === join(dir, 'c.toml')));
    const msg = (path: string) => result.issues.find((i) => i.path === path)?.message ?? '';
    assert.match(msg('modes[0].mappings[1].action.mode'), /^mode "Live" mapping 1: ModeChange to unknown mode "Nowhere"/);
    assert.match(msg('modes[0].mappings[1].trigger.switch'), /unknown footswitch "middle" \(footswitches: "right", "left"\)/);
    assert.match(msg('modes[0].mappings[2].action.plugin'), /unknown plugin "ghost"/);
    // "left" (refused for its pin) and "broken" (refused for a key) still exist: no invented unknown-name errors.
    assert.ok(!result.issues.some((i) => /unknown footswitch "left"|unknown plugin "broken"/.test(i.message)), JSON.stringify(result.issues));
    assert.match(msg('plugins.missing.path'), /plugin file not found/);
    // The box loads through the same path: its refusal carries every issue, and says how many more there are.
    await assert.rejects(loadConfigFile(join(dir, 'c.toml')), (e: unknown) => {
      assert.ok(e instanceof MidimonError);
      assert.equal((e.details?.['issues'] as unknown[]).length, 11);
      assert.match(e.message, /\(and 10 more\)$/);
      return true;
    });
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
});

test('trailing commas are all reported, beside the schema errors of the same file', async () => {
  const text = 'version = 1\n[timing]\nlong_press_ms = -1\n[[modes]]\nname = "A"\n[[modes.mappings]]\ntrigger = { type = "Note", note = 60, }\naction = { type = "ModeChange", mode = "B", }\n';
  const r = await validateConfigText(text, 'c.toml', { checkPluginFiles: false });
  assert.equal(r.ok, false);
  assert.equal(!r.ok && r.kind, 'config_invalid');
  assert.deepEqual(
    !r.ok && r.issues.map((i) => `${i.line}: ${i.path}: ${i.message.split(':')[0]}`),
    ['3: timing.long_press_ms: long_press_ms must be >= 0 ms, found integer -1', '7: : TOML syntax error', '8: modes[0].mappings[0].action.mode: mode "A" mapping 0', '8: : TOML syntax error'],
  );
});

test('a malformed mode is not cut (others name it): the schema errors alone, as before', async () => {
  const text = 'version = 1\n[[modes]]\nname = 5\n[[modes]]\nname = "B"\n[[modes.mappings]]\ntrigger = { type = "Note", note = 60 }\naction = { type = "ModeChange", mode = "C" }\n';
  const r = await validateConfigText(text, 'c.toml', { checkPluginFiles: false });
  assert.equal(r.ok, false);
  assert.deepEqual(!r.ok && r.issues.map((i) => i.path), ['modes[0].name']);
});

test('a TOML syntax error stops there: nothing after it can be read', async () => {
  const r = await validateConfigText('version = 1\n[timing\nlong_press_ms = -1\n', 'c.toml');
  assert.equal(r.ok, false);
  assert.equal(!r.ok && r.kind, 'config_parse');
  assert.equal(!r.ok && r.issues.length, 1);
});
