/**
 * Replaces the box's config file with a new one, but only if the new one is
 * valid: the running box hot-reloads whatever lands at its path, and on a
 * read-only-root box a power cut during an editor's in-place save would leave
 * a torn file. So the text is validated first (as it will be read at the
 * target, relative plugin paths included), then written temp + fsync +
 * rename + directory fsync (src/util/atomic-write.ts).
 */
import { chmod, readFile, stat } from 'node:fs/promises';
import { MidimonError } from '../errors.js';
import { writeFileAtomic } from '../util/atomic-write.js';
import { configError, hashText, validateConfigText, type ValidateOptions } from './load.js';

export interface InstalledConfig {
  readonly path: string;
  /** Same short hash `midimon status` reports once the box has reloaded it. */
  readonly hash: string;
  /** false when the target already had exactly this text (nothing written). */
  readonly changed: boolean;
}

/** Validates `text` as the config at `target` and swaps it in atomically; throws config_parse/config_invalid naming `source`. */
export async function installConfigText(text: string, target: string, source: string, options: ValidateOptions = {}): Promise<InstalledConfig> {
  const result = await validateConfigText(text, target, options);
  if (!result.ok) throw configError(source, result.kind, result.issues.map((i) => ({ ...i, file: source })));
  const hash = hashText(text);
  const current = await readFile(target, 'utf8').catch(() => undefined);
  if (current === text) return { path: target, hash, changed: false };
  // Keep the permissions the old file had (provisioning makes it 0664, group midimon).
  const mode = (await stat(target).catch(() => undefined))?.mode;
  const keep = mode === undefined ? 0o664 : mode & 0o777;
  await writeFileAtomic(target, text, keep);
  // open() applied the umask; the content is already whole, this only restores group write.
  await chmod(target, keep);
  return { path: target, hash, changed: true };
}

/** `installConfigText` for a file (e.g. a copy edited over SSH). */
export async function installConfigFile(source: string, target: string, options: ValidateOptions = {}): Promise<InstalledConfig> {
  let text: string;
  try {
    text = await readFile(source, 'utf8');
  } catch (err) {
    const code = (err as NodeJS.ErrnoException).code;
    throw new MidimonError(code === 'ENOENT' ? 'not_found' : 'permission_denied', `cannot read ${source}: ${code === 'ENOENT' ? 'no such file' : (err as Error).message}`, { details: { file: source }, cause: err });
  }
  return installConfigText(text, target, source, options);
}
