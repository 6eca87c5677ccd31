/**
 * Writes one new mapping into the config file on disk (MIDI learn, from the
 * CLI or the OLED menu): surgical text insertion, the whole result validated
 * like any edit, refused when the file changed meanwhile, the previous file
 * kept as `config.toml.bak`, both written atomically. Never a half-written
 * or invalid config: on any failure the file is untouched.
 */
import { chmod, readFile, stat } from 'node:fs/promises';
import { dirname } from 'node:path';
import { MidimonError } from '../errors.js';
import { configError, validateConfigText, type ValidateOptions } from '../config/load.js';
import { insertMapping, type InsertResult, type MappingTarget, type NewMapping } from '../config/mapping-insert.js';
import { writeFileAtomic } from '../util/atomic-write.js';

export interface FileEdit extends InsertResult {
  readonly file: string;
  readonly backup: string;
}

export const backupPath = (configPath: string): string => `${configPath}.bak`;

export interface FileEditOptions {
  readonly validate?: ValidateOptions;
  /** Test seam: runs after validation, before the on-disk comparison (where a concurrent save would land). */
  readonly beforeWrite?: () => Promise<void>;
}

export async function addMappingToFile(file: string, target: MappingTarget, mapping: NewMapping, options: FileEditOptions = {}): Promise<FileEdit> {
  const before = await readConfig(file);
  const edit = insertMapping(before, target, mapping);
  const checked = await validateConfigText(edit.text, file, options.validate ?? {});
  if (!checked.ok) {
    const e = configError(file, checked.kind, checked.issues);
    throw new MidimonError(e.kind, `the new mapping would make the config invalid, nothing was written: ${e.message}`, { details: { ...e.details, inserted: edit.inserted } });
  }
  await options.beforeWrite?.();
  const mode = (await stat(file)).mode & 0o777;
  const backup = backupPath(file);
  // Someone saved the file while we worked (an editor, a second learn): their edit wins, ours is refused.
  if ((await readConfig(file)) !== before) throw changedOnDisk(file);
  await write(backup, before, mode);
  if ((await readConfig(file)) !== before) throw changedOnDisk(file);
  await write(file, edit.text, mode);
  return { ...edit, file, backup };
}

function changedOnDisk(file: string): MidimonError {
  return new MidimonError('bad_request', `${file} changed on disk while the mapping was being added; nothing was written (run learn again)`, { details: { file, reason: 'changed_on_disk' } });
}

async function readConfig(file: string): Promise<string> {
  try {
    return await readFile(file, 'utf8');
  } catch (err) {
    throw fileError(file, err, 'read');
  }
}

async function write(path: string, text: string, mode: number): Promise<void> {
  try {
    await writeFileAtomic(path, text, mode);
    // The umask may have narrowed it (0664 for the midimon group would become 0644).
    if (((await stat(path)).mode & 0o777) !== mode) await chmod(path, mode);
  } catch (err) {
    throw fileError(path, err, 'write');
  }
}

function fileError(path: string, err: unknown, what: 'read' | 'write'): MidimonError {
  const code = (err as NodeJS.ErrnoException).code;
  if (code === 'ENOENT') return new MidimonError('not_found', `config file not found: ${path}`, { details: { file: path }, cause: err });
  if (code === 'EACCES' || code === 'EPERM' || code === 'EROFS') {
    return new MidimonError('permission_denied', `cannot ${what} ${path}: the service needs write access to ${dirname(path)} (provisioning/install.sh sets it up: group midimon, mode 0775, and ReadWritePaths in the unit)`, { details: { file: path, code }, cause: err });
  }
  return new MidimonError('device_io', `cannot ${what} ${path}: ${(err as Error).message}`, { details: { file: path, code }, cause: err });
}
