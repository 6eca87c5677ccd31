import { test } from 'node:test';
import assert from 'node:assert/strict';
import fc from 'fast-check';
import { parse, stringify } from 'smol-toml';
import { TomlLocator } from '../../src/config/toml-locate.js';

const DOC = `# comment with [brackets] and key = "value"
title = """
[not.a.table]
fake = 1
"""
lit = 'C:\\path # not a comment'
"quoted key" = 1
dotted.inner.leaf = true   # trailing [comment]

[devices.display]
height = 48

[[modes]]
name = "A"

[[modes]]
name = "B"
mappings = [
  { trigger = { type = "Note", note = 130 }, action = { type = "X" } },
  # a comment between elements
  { trigger = { type = "CC", cc = 1 } },
]

[[modes]]
name = "C"

[[modes.mappings]]
trigger.type = "Note"

[[plugins.list]]
x = 1
[plugins.list.sub]
y = 2
`;

test('the fixture is valid TOML (the locator only runs on parsed documents)', () => {
  assert.doesNotThrow(() => parse(DOC));
});

test('keys are located through comments, multi-line strings, quoted and dotted keys, arrays of tables and inline tables', () => {
  const loc = new TomlLocator(DOC);
  const at = (...path: (string | number)[]) => {
    const p = loc.locate(path);
    return p === undefined ? undefined : `${p.line}:${p.column}`;
  };
  assert.equal(at('title'), '2:1');
  assert.equal(at('not'), undefined, 'text inside a multi-line string is not a table');
  assert.equal(at('lit'), '6:1');
  assert.equal(at('quoted key'), '7:1');
  assert.equal(at('dotted', 'inner', 'leaf'), '8:1');
  assert.equal(at('devices', 'display', 'height'), '11:1');
  assert.equal(at('modes', 0, 'name'), '14:1');
  assert.equal(at('modes', 1, 'name'), '17:1');
  assert.equal(at('modes', 1, 'mappings', 0, 'trigger', 'note'), '19:32');
  assert.equal(at('modes', 1, 'mappings', 1, 'trigger', 'cc'), '21:30');
  assert.equal(at('modes', 2, 'mappings', 0, 'trigger', 'type'), '28:1', '[[modes.mappings]] appends to the latest [[modes]]');
  assert.equal(at('plugins', 'list', 0, 'sub', 'y'), '33:1');
  assert.equal(at('modes', 1, 'mappings', 0, 'trigger', 'velocity'), '19:5', 'an absent key falls back to its nearest written ancestor');
  assert.equal(at('nothing', 'here'), undefined);
});

// Property: for any document smol-toml writes, every scalar leaf is located on a line that names its key.
const key = fc.oneof(fc.stringMatching(/^[a-z][a-z_]{0,7}$/), fc.stringMatching(/^[a-z .#=\[\]"'-]{1,6}$/));
const scalar = fc.oneof(fc.integer(), fc.boolean(), fc.string({ maxLength: 12 }));
const table: fc.Arbitrary<Record<string, unknown>> = fc.letrec((tie) => ({
  t: fc.dictionary(key, fc.oneof({ depthSize: 'small' }, scalar, scalar, tie('t'), fc.array(tie('t'), { maxLength: 3 }), fc.array(scalar, { maxLength: 3 })), { maxKeys: 5 }),
})).t as fc.Arbitrary<Record<string, unknown>>;

function leaves(value: unknown, path: (string | number)[], out: Array<(string | number)[]>): void {
  if (Array.isArray(value)) value.forEach((v, i) => (typeof v === 'object' && v !== null ? leaves(v, [...path, i], out) : undefined));
  else if (typeof value === 'object' && value !== null) for (const [k, v] of Object.entries(value)) typeof v === 'object' && v !== null ? leaves(v, [...path, k], out) : out.push([...path, k]);
}

test('property: every scalar written by smol-toml is located on a line naming its key', () => {
  fc.assert(
    fc.property(table, (doc) => {
      const text = stringify(doc);
      const loc = new TomlLocator(text);
      const lines = text.split('\n');
      const paths: Array<(string | number)[]> = [];
      leaves(parse(text), [], paths);
      for (const p of paths) {
        const pos = loc.locate(p);
        assert.ok(pos !== undefined, `not located: ${JSON.stringify(p)}\n${text}`);
        const last = p[p.length - 1] as string;
        const rest = (lines[pos.line - 1] ?? '').slice(pos.column - 1);
        assert.ok(rest.startsWith(last) || rest.startsWith(JSON.stringify(last)) || rest.startsWith(`'${last}'`), `${JSON.stringify(p)} -> ${pos.line}:${pos.column}\n${text}`);
      }
    }),
    { numRuns: 200, seed: 42 },
  );
});
