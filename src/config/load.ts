import { readFile, stat } from 'node:fs/promises';
import { findInlineTableTrailingCommas } from './toml-strict.js';
import { pruneInvalid } from './prune.js';
import { menuShadows } from './menu-shadows.js';
import { createHash } from 'node:crypto';
import { dirname, isAbsolute, resolve } from 'node:path';
import { parse, TomlError } from 'smol-toml';
import type { z } from 'zod';
import { MidimonError } from '../errors.js';
import { boxConfigSchema, configJsonSchema, type BoxConfig } from './schema.js';
import { KeySuggester } from './key-suggest.js';
import { checkEngineReferences } from './mappings-schema.js';
import { TomlLocator, type KeyPath } from './toml-locate.js';
import { customIssue, fromZodIssue, type ConfigIssue } from './issues.js';

/** A validated config and where it came from. */
export interface LoadedConfig {
  readonly config: BoxConfig;
  readonly path: string;
  /** sha256 (first 16 hex digits) of the file bytes: "which version is applied". */
  readonly hash: string;
  /** 'builtin' when the box fell back to its default because the file was unusable. */
  readonly origin: 'file' | 'builtin';
  /** Valid, but not doing what it says (e.g. a mapping the menu shadows); logged and shown at load. */
  readonly warnings?: readonly ConfigIssue[];
}

export interface ValidateOptions {
  /** Plugin names known besides the config's own [plugins.*] (e.g. installed from USB). */
  readonly extraPluginNames?: readonly string[];
  /** Check that enabled plugins' .wasm files exist (default true). */
  readonly checkPluginFiles?: boolean;
}

export type ValidationResult = { readonly ok: true; readonly config: BoxConfig; readonly warnings: readonly ConfigIssue[] } | { readonly ok: false; readonly issues: readonly ConfigIssue[]; readonly kind: 'config_parse' | 'config_invalid' };

let cachedSuggester: KeySuggester | undefined;
/** Built on first need: the JSON Schema walk is only for explaining errors. */
function suggester(): KeySuggester {
  cachedSuggester ??= new KeySuggester(configJsonSchema());
  return cachedSuggester;
}

export function hashText(text: string): string {
  return createHash('sha256').update(text).digest('hex').slice(0, 16);
}

/** Resolves a plugin's path the way the loader does: relative to the config file's directory. */
export function resolvePluginPath(configPath: string, pluginPath: string): string {
  return isAbsolute(pluginPath) ? pluginPath : resolve(dirname(configPath), pluginPath);
}

/** Parses and validates config text; never throws for user mistakes. */
export async function validateConfigText(text: string, file: string, options: ValidateOptions = {}): Promise<ValidationResult> {
  let raw: unknown;
  try {
    raw = parse(text, { unsafeKeyBehaviour: 'throw' });
  } catch (err) {
    if (err instanceof TomlError) {
      const first = err.message.replace(/^Invalid TOML document: /, '').split('\n')[0] ?? err.message;
      return { ok: false, kind: 'config_parse', issues: [{ file, line: err.line, column: err.column, path: '', message: `TOML syntax error: ${first}` }] };
    }
    throw err;
  }
  // From here on every stage runs and all problems are reported at once (a
  // TOML syntax error above stops there: the parser cannot know what was meant after it).
  const issues: ConfigIssue[] = [];
  for (const comma of findInlineTableTrailingCommas(text)) {
    issues.push({ file, line: comma.line, column: comma.column, path: '', message: 'TOML syntax error: trailing comma in an inline table ({ a = 1, } is not TOML; remove the last comma)' });
  }
  const locator = new TomlLocator(text);
  const parsed = boxConfigSchema.safeParse(raw, { reportInput: true });
  let config: BoxConfig | undefined;
  let extraPlugins: readonly string[] = [];
  let extraSwitches: readonly string[] = [];
  let toOriginal = (p: KeyPath): KeyPath => p;
  if (parsed.success) config = parsed.data;
  else {
    const ctx = { file, locator, raw, suggester: suggester() };
    issues.push(...parsed.error.issues.flatMap((i) => fromZodIssue(i, ctx)));
    // The cross-checks below still run on what the schema accepted.
    const pruned = pruneInvalid(raw, parsed.error.issues.flatMap(issuePaths));
    const again = pruned === undefined ? undefined : boxConfigSchema.safeParse(pruned.raw);
    if (pruned !== undefined && again?.success === true) {
      config = again.data;
      extraPlugins = pruned.knownPlugins;
      extraSwitches = pruned.knownSwitches;
      toOriginal = pruned.toOriginal;
    }
  }
  if (config === undefined) return { ok: false, kind: issues.some((i) => i.message.startsWith('TOML syntax error')) ? 'config_parse' : 'config_invalid', issues: sortIssues(issues) };
  const already = new Set(issues.map((i) => i.path));
  const cross = (path: KeyPath, message: string) => {
    const original = toOriginal(path);
    const issue = customIssue(file, locator, original, renumber(message, path, original));
    if (!already.has(issue.path)) issues.push(issue);
  };
  const pluginNames = [...Object.keys(config.plugins), ...extraPlugins, ...(options.extraPluginNames ?? [])];
  for (const ref of checkEngineReferences(config, pluginNames)) cross(ref.path, ref.message);
  for (const ref of checkFootswitchReferences(config, extraSwitches)) cross(ref.path, ref.message);
  if (options.checkPluginFiles !== false) {
    for (const [name, plugin] of Object.entries(config.plugins)) {
      if (!plugin.enabled) continue;
      const full = resolvePluginPath(file, plugin.path);
      const st = await stat(full).catch(() => undefined);
      if (st === undefined || !st.isFile()) {
        cross(['plugins', name, 'path'], `plugin file not found: ${full} (set enabled = false to keep the entry without the file)`);
      }
    }
  }
  if (issues.length > 0) {
    const onlySyntax = issues.every((i) => i.message.startsWith('TOML syntax error'));
    return { ok: false, kind: onlySyntax ? 'config_parse' : 'config_invalid', issues: sortIssues(issues) };
  }
  const warnings = menuShadows(config).map((w) => customIssue(file, locator, w.path, w.message));
  return { ok: true, config, warnings };
}

/** Footswitch triggers must name a switch under [[devices.footswitches]]: the engine cannot know the devices. */
function checkFootswitchReferences(config: BoxConfig, extraNames: readonly string[] = []): Array<{ path: (string | number)[]; message: string }> {
  const names = [...config.devices.footswitches.map((f) => f.name), ...extraNames];
  const known = names.length === 0 ? 'no footswitches are configured under [[devices.footswitches]]' : `footswitches: ${names.map((n) => `"${n}"`).join(', ')}`;
  const out: Array<{ path: (string | number)[]; message: string }> = [];
  const check = (mappings: BoxConfig['global_mappings'], base: (string | number)[]) =>
    mappings.forEach((m, j) => {
      if (m.trigger.type === 'Footswitch' && !names.includes(m.trigger.switch))
        out.push({ path: [...base, j, 'trigger', 'switch'], message: `unknown footswitch "${m.trigger.switch}" (${known})` });
    });
  config.modes.forEach((mode, i) => check(mode.mappings, ['modes', i, 'mappings']));
  check(config.global_mappings, ['global_mappings']);
  config.menu.controls?.forEach((c, i) => {
    if (c.switch !== undefined && !names.includes(c.switch))
      out.push({ path: ['menu', 'controls', i, 'switch'], message: `unknown footswitch "${c.switch}" (${known})` });
  });
  return out;
}

/** The cross-checks name entries by index ("mode "Live" mapping 2"): after cutting, say the file's index. */
function renumber(message: string, pruned: KeyPath, original: KeyPath): string {
  const at = pruned.findIndex((p, i) => p !== original[i]);
  if (at < 0) return message;
  const [from, to] = [pruned[at], original[at]];
  const list = pruned[at - 1];
  if (list === 'mappings' || list === 'global_mappings') return message.replace(new RegExp(`(^|\\b)mapping ${from}:`), `$1mapping ${to}:`);
  if (list === 'on_enter' || list === 'on_exit') return message.replace(`${list}[${from}]`, `${list}[${to}]`);
  return message;
}

/** Where in the file a zod issue is (an unknown key: the key itself). */
function issuePaths(issue: z.core.$ZodIssue): KeyPath[] {
  const path = issue.path.filter((p): p is string | number => typeof p !== 'symbol');
  return issue.code === 'unrecognized_keys' ? issue.keys.map((k) => [...path, k]) : [path];
}

function sortIssues(issues: ConfigIssue[]): ConfigIssue[] {
  return issues.sort((a, b) => (a.line ?? Infinity) - (b.line ?? Infinity) || (a.column ?? 0) - (b.column ?? 0) || a.path.localeCompare(b.path));
}

/** Builds the one error a rejected config raises: kind, a readable summary, and every issue in details. */
export function configError(file: string, kind: 'config_parse' | 'config_invalid', issues: readonly ConfigIssue[]): MidimonError {
  const first = issues[0];
  const summary = first === undefined ? 'invalid config' : `${first.path === '' ? '' : `${first.path}: `}${first.message}`;
  const more = issues.length > 1 ? ` (and ${issues.length - 1} more)` : '';
  const where = first?.line === undefined ? file : `${file}:${first.line}`;
  return new MidimonError(kind, `${kind === 'config_parse' ? 'cannot parse' : 'invalid config'} ${where}: ${summary}${more}`, { details: { file, issues } });
}

/** Reads, parses, validates and cross-checks a config file; throws MidimonError(config_parse|config_invalid|not_found). */
export async function loadConfigFile(path: string, options: ValidateOptions = {}): Promise<LoadedConfig> {
  let text: string;
  try {
    text = await readFile(path, 'utf8');
  } catch (err) {
    const code = (err as NodeJS.ErrnoException).code;
    if (code === 'ENOENT') throw new MidimonError('not_found', `config file not found: ${path}`, { details: { file: path }, cause: err });
    if (code === 'EACCES') throw new MidimonError('permission_denied', `cannot read config file ${path}: permission denied`, { details: { file: path }, cause: err });
    throw new MidimonError('config_parse', `cannot read config file ${path}: ${(err as Error).message}`, { details: { file: path, issues: [] }, cause: err });
  }
  const result = await validateConfigText(text, path, options);
  if (!result.ok) throw configError(path, result.kind, result.issues);
  return { config: result.config, path, hash: hashText(text), origin: 'file', ...(result.warnings.length === 0 ? {} : { warnings: result.warnings }) };
}
