// MIDI learn's file edit: the new mapping lands in the mode's mappings in the
// shape the file already uses, and every byte of the user's file (comments,
// blank lines, odd spacing, CRLF) is still there, in order.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readFile } from 'node:fs/promises';
import { fileURLToPath } from 'node:url';
import { parse } from 'smol-toml';
import { insertMapping, type MappingTarget, type NewMapping } from '../../src/config/mapping-insert.js';
import { validateConfigText } from '../../src/config/load.js';
import { isMidimonError } from '../../src/errors.js';

const MAPPING: NewMapping = {
  description: 'learned: keys note 60 ch1 "quoted" \\ ü',
  trigger: { type: 'Note', note: 60, channel: 1, device: 'keys' },
  action: { type: 'ModeChange', mode: 'next' },
};
const EXPECTED = { description: MAPPING.description, trigger: MAPPING.trigger, action: MAPPING.action };

/** Every byte of `before` survives in `after`, in order, and nothing else was removed. */
function assertOnlyAdded(before: string, after: string): void {
  let i = 0;
  for (let j = 0; j < after.length && i < before.length; j++) if (after[j] === before[i]) i++;
  assert.equal(i, before.length, 'the original text is a subsequence of the edited text');
  // The additions are contiguous apart from (at most) one comma for an old last array element.
  let p = 0;
  while (p < before.length && before[p] === after[p]) p++;
  let s = 0;
  while (s < before.length - p && before[before.length - 1 - s] === after[after.length - 1 - s]) s++;
  const unmatched = before.slice(p, before.length - s);
  assert.ok(unmatched.length === 0 || after.slice(p, p + 1) === ',', `one insertion (or a comma and one insertion), not a rewrite: ${JSON.stringify(unmatched)}`);
}

/** Each comment, from its # to the end of its line. */
function comments(text: string): string[] {
  return text.match(/#[^\r\n]*/g) ?? [];
}

async function check(before: string, target: MappingTarget, where: (doc: Record<string, unknown>) => unknown[]): Promise<string> {
  const r = insertMapping(before, target, MAPPING);
  assertOnlyAdded(before, r.text);
  const after = comments(r.text);
  for (const c of comments(before)) assert.ok(after.includes(c), `comment kept: ${c}`);
  const list = JSON.parse(JSON.stringify(where(parse(r.text) as Record<string, unknown>))) as unknown[];
  assert.deepEqual(list[r.index], EXPECTED);
  assert.equal(list.length, r.index + 1, 'appended as the last mapping');
  const v = await validateConfigText(r.text, 'config.toml', { checkPluginFiles: false });
  assert.ok(v.ok, JSON.stringify(!v.ok && v.issues));
  return r.text;
}

const modeMappings = (i: number) => (doc: Record<string, unknown>) => ((doc['modes'] as Array<Record<string, unknown>>)[i]?.['mappings'] ?? []) as unknown[];
const globalMappings = (doc: Record<string, unknown>) => (doc['global_mappings'] ?? []) as unknown[];

const COMMENTED = `# My rig. Do not lose these notes!
version = 1 # format

[devices.midi]   # ports
inputs = [
  { name = "Keystation", alias = "keys" }, # the keyboard
]

# ---- modes ----------------------------------------------------
[[modes]]   # first mode
name = "Verse"      # the quiet one
# its mappings follow

[[modes.mappings]]
description = "pad"   # hit it
trigger = { type = "Note", note = 36 }
action = { type = "SendMidi", message = "cc", cc = 1, value = 1 } # cc 1
# a comment after the last mapping of Verse

# a comment that introduces Chorus
[[modes]]
name = "Chorus"
description = """
multi-line [[not a header]]
"""

[[modes]]
name = "Bridge"
[[modes.mappings]]
trigger = { type = "CC", cc = 7 }
[modes.mappings.action]   # a sub-table of that mapping
type = "Panic"

# trailing words at the end of the file`;

test('a heavily commented config: the mapping goes into the mode, every comment and byte stays', async () => {
  const verse = await check(COMMENTED, { mode: 'Verse' }, modeMappings(0));
  // After Verse's last mapping and the comment that ends it, before the comment that leads into Chorus.
  assert.ok(verse.includes('# cc 1\n# a comment after the last mapping of Verse\n\n[[modes.mappings]]\ndescription = "learned'), verse);
  assert.ok(verse.includes('action = { type = "ModeChange", mode = "next" }\n\n# a comment that introduces Chorus\n[[modes]]'), verse);
  // A mode without mappings gets its first block after its last key (a multi-line string here).
  const chorus = await check(COMMENTED, { mode: 'Chorus' }, modeMappings(1));
  assert.ok(chorus.indexOf('learned: keys') > chorus.indexOf('"""\n', chorus.indexOf('multi-line')));
  // The last mapping ends in a sub-table: the new block follows it, inside Bridge.
  await check(COMMENTED, { mode: 'Bridge' }, modeMappings(2));
  // Global: no global mappings yet, appended at the end.
  await check(COMMENTED, { global: true }, globalMappings);
});

test('the example config: each mode and the global mappings', async () => {
  const example = await readFile(fileURLToPath(new URL('../../docs/example-config.toml', import.meta.url)), 'utf8');
  const doc = parse(example) as { modes: Array<{ name: string }> };
  for (const [i, m] of doc.modes.entries()) await check(example, { mode: m.name }, modeMappings(i));
  await check(example, { global: true }, globalMappings);
});

test('CRLF files stay CRLF', async () => {
  const crlf = COMMENTED.replace(/\n/g, '\r\n');
  for (const target of [{ mode: 'Verse' }, { mode: 'Chorus' }, { global: true }] as const) {
    const r = insertMapping(crlf, target, MAPPING);
    assert.equal(/(^|[^\r])\n/.test(r.text), false, 'no bare LF');
    assertOnlyAdded(crlf, r.text);
  }
  const inline = '[[modes]]\r\nname = "A"\r\nmappings = [\r\n  { trigger = { type = "CC", cc = 7 }, action = { type = "Panic" } }\r\n]\r\n';
  const r = await check(inline, { mode: 'A' }, modeMappings(0));
  assert.equal(/(^|[^\r])\n/.test(r), false);
});

test('inline arrays of mappings: empty, one line, multi-line with and without a trailing comma', async () => {
  await check('[[modes]]\nname = "A"\nmappings = []\n', { mode: 'A' }, modeMappings(0));
  await check('[[modes]]\nname = "A"\nmappings = [{ trigger = { type = "CC", cc = 7 }, action = { type = "Panic" } }] # one\n', { mode: 'A' }, modeMappings(0));
  const noComma = await check('[[modes]]\nname = "A"\nmappings = [\n    { trigger = { type = "CC", cc = 7 }, action = { type = "Panic" } } # last, no comma\n]\n', { mode: 'A' }, modeMappings(0));
  assert.match(noComma, /\{ type = "Panic" \} \}, # last, no comma\n    \{ description = "learned/);
  await check('[[modes]]\nname = "A"\nmappings = [\n  { trigger = { type = "CC", cc = 7 }, action = { type = "Panic" } },\n  # a comment before the bracket\n]\n', { mode: 'A' }, modeMappings(0));
  await check('[[modes]]\nname = "A"\nmappings = [\n  # nothing yet\n]\n', { mode: 'A' }, modeMappings(0));
  await check('global_mappings = [] # none\n[[modes]]\nname = "A"\n', { global: true }, globalMappings);
});

test('modes written as an inline array of tables, with and without mappings', async () => {
  const text = '# modes inline\nmodes = [\n  { name = "A" }, # no mappings\n  { name = "B", mappings = [{ trigger = { type = "CC", cc = 7 }, action = { type = "Panic" } }] },\n  {},\n]\n';
  await check(text.replace('  {},\n', ''), { mode: 'A' }, modeMappings(0));
  await check(text.replace('  {},\n', ''), { mode: 'B' }, modeMappings(1));
});

test('[[global_mappings]] blocks: after the last one', async () => {
  const text = '[[global_mappings]]\ntrigger = { type = "CC", cc = 1 }\naction = { type = "Panic" }\n\n[[modes]] # m\nname = "A"\n';
  const out = await check(text, { global: true }, globalMappings);
  assert.ok(out.indexOf('learned') < out.indexOf('[[modes]]'));
});

test('a last line without a line break, and a mode at the end of the file', async () => {
  await check('[[modes]]\nname = "A"', { mode: 'A' }, modeMappings(0));
  await check('[[modes]]\nname = "A"\n[[modes.mappings]]\ntrigger = { type = "CC", cc = 7 }\naction = { type = "Panic" } # end', { mode: 'A' }, modeMappings(0));
});

test('an unknown mode and an unparsable file are refused with what and where', () => {
  assert.throws(
    () => insertMapping(COMMENTED, { mode: 'Outro' }, MAPPING),
    (e: unknown) => isMidimonError(e) && e.kind === 'not_found' && e.message === "no mode named 'Outro' in the config file (modes: Verse, Chorus, Bridge)",
  );
  assert.throws(
    () => insertMapping('[[modes]\nname = "A"\n', { mode: 'A' }, MAPPING),
    (e: unknown) => isMidimonError(e) && e.kind === 'config_parse' && /line 1/.test(e.message),
  );
});
