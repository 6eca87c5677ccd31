// Mistakes `config check` used to let through: each is refused with where and what.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { validateConfigText } from '../../src/config/load.js';
import { findInlineTableTrailingComma } from '../../src/config/toml-strict.js';

const mode = (mapping: string) => `version = 1\n[[modes]]\nname = "A"\n[[modes.mappings]]\n${mapping}\n`;

async function issues(text: string): Promise<string[]> {
  const r = await validateConfigText(text, 'c.toml', { checkPluginFiles: false });
  return r.ok ? [] : r.issues.map((i) => `${i.line ?? '?'}:${i.path}: ${i.message}`);
}

test('a note_on (or note) with velocity 0 is refused: it would be a note-off', async () => {
  for (const message of ['note_on', 'note']) {
    const found = await issues(mode(`trigger = { type = "Note", note = 60 }\naction = { type = "SendMidi", message = "${message}", note = 60, velocity = 0 }`));
    assert.equal(found.length, 1, found.join('\n'));
    assert.match(found[0] ?? '', /^6:modes\[0\]\.mappings\[0\]\.action\.velocity: .*0 would be a note-off/);
  }
  assert.deepEqual(await issues(mode(`trigger = { type = "Note", note = 60 }\naction = { type = "SendMidi", message = "note_on", note = 60, velocity = 1 }`)), []);
});

test('a VelocityRange with neither a band nor bounds is refused', async () => {
  const found = await issues(mode('trigger = { type = "VelocityRange", note = 36 }\naction = { type = "ModeChange", mode = "next" }'));
  assert.equal(found.length, 1, found.join('\n'));
  assert.match(found[0] ?? '', /trigger.*needs band = "soft" \| "medium" \| "hard", or min_velocity/);
  assert.deepEqual(await issues(mode('trigger = { type = "VelocityRange", note = 36, min_velocity = 10 }\naction = { type = "ModeChange", mode = "next" }')), []);
});

test('raw bytes must be whole MIDI messages', async () => {
  const found = await issues(mode('trigger = { type = "Note", note = 60 }\naction = { type = "SendMidi", message = "raw", bytes = [0x41, 0x90] }'));
  assert.equal(found.length, 1, found.join('\n'));
  assert.match(found[0] ?? '', /action\.bytes: .*raw bytes must be whole MIDI messages/);
  assert.deepEqual(await issues(mode('trigger = { type = "Note", note = 60 }\naction = { type = "SendMidi", message = "raw", bytes = [0x90, 60, 100, 0xF0, 0x7E, 0xF7] }')), []);
});

test('a trailing comma in an inline table is a syntax error at its line and column; in an array it is fine', async () => {
  const text = mode('trigger = { type = "Note", note = 60, }\naction = { type = "ModeChange", mode = "next" }');
  assert.deepEqual(await issues(text), ['5:: TOML syntax error: trailing comma in an inline table ({ a = 1, } is not TOML; remove the last comma)']);
  assert.deepEqual(findInlineTableTrailingComma('a = { b = 1, }'), { line: 1, column: 12 });
  assert.equal(findInlineTableTrailingComma('a = [1, 2, ]\nb = { c = [1, ], d = "x, }" } # , }\ne = """{ a, }"""'), null);
  assert.deepEqual(findInlineTableTrailingComma('a = { b = { c = 1 },\n }'), { line: 1, column: 20 });
});
