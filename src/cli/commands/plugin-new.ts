import { access, mkdir, readdir, readFile, writeFile } from 'node:fs/promises';
import { join, relative, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';
import { argError } from '../arg-errors.js';
import { MidimonError, toMidimonError } from '../../errors.js';
import { PLUGIN_NAME } from '../../plugins/runtime/metadata.js';
import { EXIT_FAILURE, EXIT_OK, UsageError, type CommandRunner } from '../io.js';
import { parseManifest, renderManifest } from '../../plugins/manifest.js';

export type PluginLang = 'rust' | 'assemblyscript';

const TEMPLATES: Readonly<Record<PluginLang, string>> = { rust: 'wasm-template', assemblyscript: 'as-template' };
/** Build outputs and per-template files that a new plugin gets fresh. */
const SKIP = new Set(['target', 'node_modules', 'plugin.toml', 'README.md']);

/** plugins/ of this checkout, from src/ (tsx) or dist/src/ (compiled). */
async function templatesRoot(): Promise<string> {
  for (const up of ['../../../plugins', '../../../../plugins']) {
    const dir = fileURLToPath(new URL(up, import.meta.url));
    try {
      await access(join(dir, TEMPLATES.rust, 'plugin.toml'));
      return dir;
    } catch {
      // try the next layout
    }
  }
  throw new MidimonError('not_found', 'plugin templates not found: expected plugins/wasm-template and plugins/as-template beside src/');
}

async function listFiles(dir: string, base = dir): Promise<string[]> {
  const out: string[] = [];
  for (const e of await readdir(dir, { withFileTypes: true })) {
    if (SKIP.has(e.name) || e.name.endsWith('.wasm')) continue;
    const p = join(dir, e.name);
    if (e.isDirectory()) out.push(...(await listFiles(p, base)));
    else if (e.isFile()) out.push(relative(base, p));
  }
  return out.sort();
}

export interface NewPluginOptions {
  readonly name: string;
  readonly lang: PluginLang;
  readonly dir: string;
  readonly author?: string;
  readonly description?: string;
}

/**
 * Copies a template (plugins/wasm-template or plugins/as-template), renames
 * it everywhere (crate, metadata, build files), and writes a fresh
 * plugin.toml and README. Returns the files written, relative to `dir`.
 */
export async function newPlugin(options: NewPluginOptions): Promise<string[]> {
  const { name, lang, dir } = options;
  const root = await templatesRoot();
  const template = TEMPLATES[lang];
  const src = join(root, template);
  const tmplManifest = parseManifest(await readFile(join(src, 'plugin.toml'), 'utf8'), join(src, 'plugin.toml'));
  const author = options.author ?? 'Your Name';
  const description = options.description ?? `TODO: what ${name} does`;

  try {
    if ((await readdir(dir)).length > 0) throw new MidimonError('bad_request', `${dir} already exists and is not empty`, { details: { file: dir } });
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code !== 'ENOENT') throw err;
  }
  const files = await listFiles(src);
  const written: string[] = [];
  for (const rel of files) {
    let text = await readFile(join(src, rel), 'utf8');
    text = text
      .replaceAll(`"description": "${tmplManifest.description}"`, `"description": "${description}"`)
      .replaceAll(`"author": "${tmplManifest.author}"`, `"author": "${author}"`)
      .replaceAll(template, name)
      .replaceAll(template.replaceAll('-', '_'), name.replaceAll('-', '_'));
    const target = join(dir, rel);
    await mkdir(join(target, '..'), { recursive: true });
    await writeFile(target, text, { mode: rel.endsWith('.sh') ? 0o755 : 0o644 });
    written.push(rel);
  }
  const manifest = renderManifest({ ...tmplManifest, name, version: '0.1.0', description, author, binaryPath: `${name}.wasm`, required: [], optional: [] });
  await writeFile(join(dir, 'plugin.toml'), manifest.replace(/^checksum = .*$/m, 'checksum = "sha256:" # filled in by `midimon plugin pack`'));
  await writeFile(join(dir, 'README.md'), readme(name, lang, description));
  written.push('plugin.toml', 'README.md');
  return written.sort();
}

function readme(name: string, lang: PluginLang, description: string): string {
  const build = lang === 'rust' ? 'Rust: rustup `wasm32-wasip1`, or Debian\'s `rustc` + `libstd-rust-dev-wasm32`' : 'AssemblyScript (`npm install --save-dev assemblyscript`)';
  return `# ${name}

${description}

Made from the midimon-box ${lang === 'rust' ? 'wasm-template' : 'as-template'} (see its README for the ABI and return codes).

## Actions
- \`hello\`: logs the request it received.
- \`note\`: sends a note-on (velocity from the trigger).

## Build, try, pack
\`\`\`sh
./build.sh                                   # ${build}
midimon plugin run ${name}.wasm hello note --velocity 100
midimon plugin pack . --out /media/usb       # checks it, writes plugin.toml's checksum, copies to the stick
\`\`\`
Declare every capability the plugin requests in plugin.toml (\`[capabilities]\`), or \`pack\` refuses it.
`;
}

const USAGE = 'usage: midimon plugin new NAME [--lang rust|assemblyscript] [--dir DIR] [--author TEXT] [--description TEXT]';

export const run: CommandRunner = async (argv, io) => {
  let parsed;
  try {
    parsed = parseArgs({
      args: [...argv],
      allowPositionals: true,
      options: {
        lang: { type: 'string' },
        dir: { type: 'string' },
        author: { type: 'string' },
        description: { type: 'string' },
        help: { type: 'boolean', short: 'h' },
      },
    });
  } catch (err) {
    throw new UsageError(`${argError(err, 'plugin new').message}\n${USAGE}`);
  }
  const { values, positionals } = parsed;
  if (values.help === true) {
    io.stdout(`${USAGE}\n`);
    return EXIT_OK;
  }
  const [name, ...more] = positionals;
  if (name === undefined || more.length > 0) throw new UsageError(USAGE);
  const lang = values.lang ?? 'rust';
  if (lang !== 'rust' && lang !== 'assemblyscript') throw new UsageError(`--lang must be rust or assemblyscript, got '${lang}'`);
  if (!PLUGIN_NAME.test(name)) throw new UsageError(`plugin name '${name}' must match [A-Za-z0-9][A-Za-z0-9_.-]* (at most 64 characters)`);
  if (lang === 'rust' && name.includes('.')) throw new UsageError(`plugin name '${name}': a Rust crate name cannot contain '.'`);
  // Both end up inside a JSON string in Rust/AssemblyScript source: keep them plain.
  for (const [opt, v] of [['author', values.author], ['description', values.description]] as const) {
    if (v !== undefined && (v.length === 0 || v.length > 200 || /["\\`$\n\r]/.test(v))) throw new UsageError(`--${opt} must be 1-200 characters without quotes, backslashes, backticks, '$' or newlines`);
  }
  const dir = resolve(io.cwd, values.dir ?? name);
  try {
    const files = await newPlugin({
      name, lang, dir,
      ...(values.author === undefined ? {} : { author: values.author }),
      ...(values.description === undefined ? {} : { description: values.description }),
    });
    io.stdout(`created ${lang} plugin '${name}' in ${dir}:\n${files.map((f) => `  ${f}`).join('\n')}\n\nnext: cd ${relative(io.cwd, dir) || '.'} && ./build.sh && midimon plugin run ${name}.wasm hello\n`);
    return EXIT_OK;
  } catch (err) {
    const e = toMidimonError(err);
    io.stderr(`midimon plugin new: ${e.kind}: ${e.message}\n`);
    return EXIT_FAILURE;
  }
};
