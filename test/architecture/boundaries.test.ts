import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readdirSync, readFileSync, statSync, existsSync } from 'node:fs';
import { join, relative, resolve, dirname } from 'node:path';
import { fileURLToPath } from 'node:url';

const src = fileURLToPath(new URL('../../src/', import.meta.url));

function tsFiles(dir: string): string[] {
  if (!existsSync(dir)) return [];
  return readdirSync(dir).flatMap((n) => {
    const p = join(dir, n);
    return statSync(p).isDirectory() ? tsFiles(p) : n.endsWith('.ts') ? [p] : [];
  });
}

function importsOf(file: string): string[] {
  const text = readFileSync(file, 'utf8');
  const re = /(?:^|\n)\s*(?:import|export)[^'"\n;]*?from\s*['"]([^'"]+)['"]|import\(\s*['"]([^'"]+)['"]\s*\)/g;
  const out: string[] = [];
  for (const m of text.matchAll(re)) out.push((m[1] ?? m[2]) as string);
  return out;
}

// The pure domains: their logic is tested without I/O and must stay that way.
for (const domain of ['engine', 'menu']) {
  test(`src/${domain} imports nothing but its own files (no node:*, no drivers)`, () => {
    const dir = join(src, domain);
    const files = tsFiles(dir);
    assert.ok(files.length > 0, `src/${domain} has no files`);
    for (const f of files) {
      for (const spec of importsOf(f)) {
        const where = `${relative(src, f)} imports '${spec}'`;
        assert.ok(spec.startsWith('.'), `${where}: only relative imports inside src/${domain}`);
        const target = resolve(dirname(f), spec);
        assert.ok(target.startsWith(dir), `${where}: leaves src/${domain}`);
      }
    }
  });
}

// A cycle (box.ts <-> control-handlers.ts was one) means two modules cannot be understood or tested apart.
test('src has no import cycles (type-only imports included)', () => {
  const graph = new Map<string, string[]>();
  for (const f of tsFiles(src)) {
    graph.set(f, importsOf(f).filter((s) => s.startsWith('.')).map((s) => resolve(dirname(f), s).replace(/\.js$/, '.ts')));
  }
  const done = new Set<string>();
  const path: string[] = [];
  const visit = (file: string): void => {
    path.push(file);
    for (const next of graph.get(file) ?? []) {
      const at = path.indexOf(next);
      assert.ok(at < 0, `import cycle: ${path.slice(at).concat(next).map((p) => relative(src, p)).join(' -> ')}`);
      if (!done.has(next)) visit(next);
    }
    path.pop();
    done.add(file);
  };
  for (const f of graph.keys()) if (!done.has(f)) visit(f);
});
