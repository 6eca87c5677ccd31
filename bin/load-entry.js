// Runs an entry point from the compiled dist/ when `npm run build` produced it,
// otherwise from the TypeScript sources through tsx (a dev checkout, `npm ci` without a build).
import { existsSync } from 'node:fs';
import { fileURLToPath, pathToFileURL } from 'node:url';

/** @param {string} entry path below src/ and dist/ without extension, e.g. 'cli/bin' */
export async function loadEntry(entry) {
  const compiled = fileURLToPath(new URL(`../dist/${entry}.js`, import.meta.url));
  if (existsSync(compiled)) {
    await import(pathToFileURL(compiled).href);
    return;
  }
  const { register } = await import('tsx/esm/api');
  register();
  await import(new URL(`../src/${entry}.ts`, import.meta.url).href);
}
