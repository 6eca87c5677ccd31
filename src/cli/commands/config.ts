import { readFile } from 'node:fs/promises';
import { installedPluginNames } from '../../config/installed-plugin-names.js';
import { noExtraArguments } from '../arg-errors.js';
import { resolve } from 'node:path';
import { stringify } from 'smol-toml';
import { isMidimonError } from '../../errors.js';
import { EXIT_FAILURE, EXIT_OK, EXIT_USAGE, UsageError, type CliIo } from '../io.js';
import { configJsonSchema, type BoxConfig } from '../../config/schema.js';
import { loadConfigFile, validateConfigText } from '../../config/load.js';
import { formatIssue } from '../../config/issues.js';
import { ensureDefaultConfig } from '../../config/default-config.js';
import { installConfigFile } from '../../config/install-config.js';
import { COMMON_HELP, cliPaths, clientFor, parseCli, reportError } from '../../control/cli-support.js';

const USAGE = `usage: midimon config <subcommand> [options]

subcommands:
  check [FILE]   validate a config file offline (default: the box's config); exit 1 on errors
  show           the effective config with every default filled in (TOML, or --json)
  schema         JSON Schema of the config file, for editors
  path           where the config file is
  init [FILE]    write the commented default config if FILE (default: the box's config) does not exist
  install FILE   validate FILE and, only if it is valid, replace the box's config with it
                 atomically (temp + fsync + rename); the running box reloads it

options:
${COMMON_HELP}  --file          (show) read the file on disk instead of asking the running service
`;

export async function run(argv: readonly string[], io: CliIo): Promise<number> {
  const { values, positionals } = parseCli(argv, { file: { type: 'boolean', default: false } }, 'config');
  const [sub, ...args] = positionals;
  if (values.help || sub === undefined) {
    io.stdout(USAGE);
    return sub === undefined && !values.help ? EXIT_USAGE : EXIT_OK;
  }
  // check and init take one FILE; show, schema and path nothing.
  noExtraArguments(args, sub === 'check' || sub === 'init' || sub === 'install' ? 1 : 0, `config ${sub}`);
  switch (sub) {
    case 'check':
      return check(io, args[0], values);
    case 'show':
      return show(io, values);
    case 'schema':
      io.stdout(`${JSON.stringify(configJsonSchema(), null, 2)}\n`);
      return EXIT_OK;
    case 'path':
      return path(io, values);
    case 'init': {
      // Provisioning runs this as root: the service itself may not write /etc (ProtectSystem=strict).
      const file = args[0] === undefined ? (await cliPaths(io, values)).configPath : resolve(io.cwd, args[0]);
      const wrote = await ensureDefaultConfig(file);
      io.stdout(wrote ? `wrote the default config to ${file}\n` : `${file} exists; left as it is\n`);
      return EXIT_OK;
    }
    case 'install':
      if (args[0] === undefined) throw new UsageError(`config install needs the FILE to install\n${USAGE}`);
      return install(io, resolve(io.cwd, args[0]), values);
    default:
      throw new UsageError(`unknown subcommand '${sub}'\n${USAGE}`);
  }
}

interface Flags {
  readonly socket?: string | undefined;
  readonly config?: string | undefined;
  readonly json: boolean;
  readonly file?: boolean;
}

/** Offline: never talks to the service, so it is safe to run before saving over the live file. */
async function check(io: CliIo, fileArg: string | undefined, flags: Flags): Promise<number> {
  const paths = await cliPaths(io, flags);
  const file = fileArg === undefined ? paths.configPath : resolve(io.cwd, fileArg);
  let text: string;
  try {
    text = await readFile(file, 'utf8');
  } catch (err) {
    const message = `cannot read ${file}: ${(err as NodeJS.ErrnoException).code === 'ENOENT' ? 'no such file' : (err as Error).message}`;
    if (flags.json) io.stdout(`${JSON.stringify({ ok: false, file, issues: [{ file, path: '', message }] })}\n`);
    else io.stderr(`midimon config check: ${message}\n`);
    return EXIT_FAILURE;
  }
  // Mappings may name plugins installed from a stick, which the file does not list: the box accepts them, so does check.
  const result = await validateConfigText(text, file, { extraPluginNames: await installedPluginNames(paths.stateDir) });
  if (flags.json) {
    io.stdout(`${JSON.stringify(result.ok ? { ok: true, file, warnings: result.warnings } : { ok: false, file, kind: result.kind, issues: result.issues })}\n`);
    return result.ok ? EXIT_OK : EXIT_FAILURE;
  }
  if (result.ok) {
    const c = result.config;
    // Valid, but a mapping will not do what it says: said, and still exit 0 (the box takes this config).
    for (const w of result.warnings) io.stdout(`${formatIssue({ ...w, message: `warning: ${w.message}` })}\n`);
    io.stdout(`${file}: OK (${c.modes.length} mode${c.modes.length === 1 ? '' : 's'}, ${c.routes.length} route${c.routes.length === 1 ? '' : 's'}, ${Object.keys(c.plugins).length} plugin${Object.keys(c.plugins).length === 1 ? '' : 's'}${result.warnings.length === 0 ? '' : `; ${result.warnings.length} warning${result.warnings.length === 1 ? '' : 's'}`})\n`);
    return EXIT_OK;
  }
  for (const issue of result.issues) io.stdout(`${formatIssue(issue)}\n`);
  io.stderr(`${file}: ${result.issues.length} problem${result.issues.length === 1 ? '' : 's'}; the running box keeps its current config until this is fixed\n`);
  return EXIT_FAILURE;
}

/** The safe way to change the config over SSH (docs/hardware.md "Read-only root"): never a half-written or invalid file. */
async function install(io: CliIo, source: string, flags: Flags): Promise<number> {
  const paths = await cliPaths(io, flags);
  try {
    const r = await installConfigFile(source, paths.configPath, { extraPluginNames: await installedPluginNames(paths.stateDir) });
    if (flags.json) io.stdout(`${JSON.stringify({ ok: true, ...r })}\n`);
    else io.stdout(r.changed ? `installed ${source} as ${r.path} (${r.hash}); the running box reloads it\n` : `${r.path} already has this content (${r.hash}); nothing written\n`);
    return EXIT_OK;
  } catch (err) {
    if (!flags.json && isMidimonError(err) && (err.kind === 'config_parse' || err.kind === 'config_invalid')) {
      const issues = (err.details?.['issues'] ?? []) as Parameters<typeof formatIssue>[0][];
      for (const issue of issues) io.stdout(`${formatIssue(issue)}\n`);
      io.stderr(`midimon config install: ${source} has ${issues.length} problem${issues.length === 1 ? '' : 's'}; ${paths.configPath} was not changed\n`);
      return EXIT_FAILURE;
    }
    return reportError(io, 'config install', err, flags.json);
  }
}

async function show(io: CliIo, flags: Flags): Promise<number> {
  const paths = await cliPaths(io, flags);
  let config: BoxConfig;
  try {
    if (flags.file === true) throw new Error('offline');
    config = (await clientFor(paths, io).request({ cmd: 'config.show' })).config;
  } catch (err) {
    if (flags.file !== true && !isMidimonError(err, 'not_found')) return reportError(io, 'config show', err, flags.json);
    if (flags.file !== true) io.stderr(`midimon config show: service not running; showing ${paths.configPath} with defaults\n`);
    try {
      config = (await loadConfigFile(paths.configPath)).config;
    } catch (loadErr) {
      return reportError(io, 'config show', loadErr, flags.json);
    }
  }
  io.stdout(flags.json ? `${JSON.stringify(config, null, 2)}\n` : stringify(config));
  return EXIT_OK;
}

async function path(io: CliIo, flags: Flags): Promise<number> {
  const paths = await cliPaths(io, flags);
  let file = paths.configPath;
  try {
    file = (await clientFor(paths, io).request({ cmd: 'config.path' })).path;
  } catch (err) {
    if (!isMidimonError(err, 'not_found')) return reportError(io, 'config path', err, flags.json);
  }
  io.stdout(flags.json ? `${JSON.stringify({ path: file })}\n` : `${file}\n`);
  return EXIT_OK;
}
