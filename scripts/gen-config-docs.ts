// Regenerates the key reference in docs/configuration.md from the config
// schema: node --import tsx scripts/gen-config-docs.ts
import { readFile, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { renderConfigReference, spliceReference } from '../src/config/docs.js';

const page = join(import.meta.dirname, '..', 'docs', 'configuration.md');
await writeFile(page, spliceReference(await readFile(page, 'utf8'), renderConfigReference()));
process.stdout.write(`updated ${page}\n`);
