import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { renderConfigReference, spliceReference } from '../../src/config/docs.js';
import { configJsonSchema } from '../../src/config/schema.js';

const PAGE = join(import.meta.dirname, '..', '..', 'docs', 'configuration.md');

test('docs/configuration.md reference is current (regenerate: node --import tsx scripts/gen-config-docs.ts)', async () => {
  const page = await readFile(PAGE, 'utf8');
  assert.equal(page, spliceReference(page, renderConfigReference()));
});

test('every key of the box sections appears in the reference with its default and range', () => {
  const ref = renderConfigReference();
  assert.match(ref, /\| `pin` \| integer \| \*required\* \| 0\.\.27 \|/);
  assert.match(ref, /\| `address` \| integer \| `60` \| 3\.\.119 \|/);
  assert.match(ref, /\| `signature` \| string \| `"if-present"` \| `"required"`, `"if-present"`, `"off"` \|/);
  const schema = configJsonSchema() as { properties: Record<string, unknown> };
  for (const section of Object.keys(schema.properties)) assert.ok(ref.includes(`| \`${section}\` |`), `top-level ${section} documented`);
});
