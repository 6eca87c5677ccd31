/**
 * Reading files from a USB stick someone else prepared. A stick may hold
 * symbolic links (to /etc/passwd, to the box's own state), FIFOs and device
 * nodes, or huge files. The rules, whatever the mount options say:
 *  - never follow a link: every path component is lstat'ed, the file itself
 *    is opened with O_NOFOLLOW;
 *  - open with O_NONBLOCK and fstat the descriptor before reading: only a
 *    regular file is read, so a FIFO or device never blocks a thread;
 *  - the descriptor must be on the stick's filesystem (st_dev), whatever
 *    the path said;
 *  - read through that descriptor, at most `maxBytes` (+1 to notice growth).
 * Messages name the file and the reason, never its content or its hash.
 */
import { constants } from 'node:fs';
import { lstat, open } from 'node:fs/promises';
import { join } from 'node:path';
import { MidimonError, type ErrorKind } from '../errors.js';

/** Why a file on a stick was refused: stable codes (docs/hardware.md lists them). */
export type StickRefusal = 'missing' | 'link' | 'not_a_file' | 'not_a_folder' | 'too_large' | 'other_filesystem' | 'unreadable';

const REASONS: Readonly<Record<StickRefusal, string>> = {
  missing: 'is missing',
  link: 'is a symbolic link (a stick may hold only plain files and folders)',
  not_a_file: 'is not a regular file',
  not_a_folder: 'is not a folder',
  too_large: 'is too large',
  other_filesystem: 'is not on the stick',
  unreadable: 'cannot be read',
};

const OPEN_FLAGS = constants.O_RDONLY | constants.O_NOFOLLOW | constants.O_NONBLOCK | constants.O_NOCTTY;

/**
 * Text from a stick made safe to show: control characters (terminal escapes,
 * newlines) become '?', and it is cut at `max` characters.
 */
export function shown(text: string, max = 120): string {
  // eslint-disable-next-line no-control-regex
  const clean = text.replace(/[\u0000-\u001f\u007f-\u009f\u2028\u2029]/g, '?');
  return clean.length > max ? `${clean.slice(0, max - 1)}…` : clean;
}

export function stickRefusal(kind: ErrorKind, path: string, reason: StickRefusal, extra = ''): MidimonError {
  return new MidimonError(kind, `${shown(path, 200)} ${REASONS[reason]}${extra}`, { details: { file: path, reason } });
}

export function refusalOf(err: unknown): StickRefusal | undefined {
  const r = err instanceof MidimonError ? err.details?.['reason'] : undefined;
  return typeof r === 'string' && r in REASONS ? (r as StickRefusal) : undefined;
}

export interface StickFileOptions {
  readonly maxBytes: number;
  /** st_dev of the stick's filesystem; a file elsewhere is refused. Omitted: any filesystem (a folder copied over SSH). */
  readonly dev?: number | undefined;
  /** Kind of the too-large refusal (e.g. invalid_module for a plugin binary). Default bad_request. */
  readonly tooLargeKind?: ErrorKind;
}

function ioError(path: string, err: unknown): MidimonError {
  const code = (err as NodeJS.ErrnoException).code;
  if (code === 'ENOENT' || code === 'ENOTDIR') return stickRefusal('not_found', path, 'missing');
  if (code === 'ELOOP') return stickRefusal('bad_request', path, 'link');
  return stickRefusal(code === 'EACCES' || code === 'EPERM' ? 'permission_denied' : 'device_io', path, 'unreadable', ` (${code ?? 'error'})`);
}

/** lstat that refuses links and entries of the wrong type. */
export async function lstatStick(path: string, want: 'file' | 'folder', dev?: number): Promise<{ size: number; dev: number }> {
  let s;
  try {
    s = await lstat(path);
  } catch (err) {
    throw ioError(path, err);
  }
  if (s.isSymbolicLink()) throw stickRefusal('bad_request', path, 'link');
  if (want === 'file' && !s.isFile()) throw stickRefusal('bad_request', path, 'not_a_file');
  if (want === 'folder' && !s.isDirectory()) throw stickRefusal('bad_request', path, 'not_a_folder');
  if (dev !== undefined && s.dev !== dev) throw stickRefusal('bad_request', path, 'other_filesystem');
  return { size: s.size, dev: s.dev };
}

/**
 * `base/rel`, where rel may name sub-folders: every folder on the way must be
 * a real folder (not a link) on the same filesystem. Returns the full path.
 */
export async function stickPath(base: string, rel: string, dev?: number): Promise<string> {
  const parts = rel.split(/[\\/]/).filter((p) => p !== '' && p !== '.');
  if (parts.length === 0 || parts.includes('..') || rel.startsWith('/')) throw stickRefusal('bad_request', join(base, rel), 'other_filesystem');
  let dir = base;
  for (const p of parts.slice(0, -1)) {
    dir = join(dir, p);
    await lstatStick(dir, 'folder', dev);
  }
  return join(dir, parts[parts.length - 1] as string);
}

/** Reads one regular file from a stick under the rules above. */
export async function readStickFile(path: string, options: StickFileOptions): Promise<Buffer> {
  // Refuse before opening: opening a device node may have side effects of its own.
  const pre = await lstatStick(path, 'file', options.dev);
  const tooLarge = (size: number) => stickRefusal(options.tooLargeKind ?? 'bad_request', path, 'too_large', ` (${size} bytes, the limit is ${options.maxBytes})`);
  if (pre.size > options.maxBytes) throw tooLarge(pre.size);
  let fh;
  try {
    fh = await open(path, OPEN_FLAGS);
  } catch (err) {
    throw ioError(path, err);
  }
  try {
    // The entry may have been swapped between lstat and open: the descriptor is what counts.
    const s = await fh.stat();
    if (!s.isFile()) throw stickRefusal('bad_request', path, 'not_a_file');
    if (options.dev !== undefined && s.dev !== options.dev) throw stickRefusal('bad_request', path, 'other_filesystem');
    if (s.size > options.maxBytes) throw tooLarge(s.size);
    const buf = Buffer.alloc(Math.min(s.size, options.maxBytes) + 1);
    let filled = 0;
    while (filled < buf.length) {
      const { bytesRead } = await fh.read(buf, filled, buf.length - filled, null);
      if (bytesRead === 0) break;
      filled += bytesRead;
    }
    // One byte more than fstat promised: the file grew while being read.
    if (filled > options.maxBytes) throw tooLarge(filled);
    if (filled > s.size) throw stickRefusal('device_io', path, 'unreadable', ' (it changed while being read)');
    return buf.subarray(0, filled);
  } catch (err) {
    if (err instanceof MidimonError) throw err;
    throw ioError(path, err);
  } finally {
    await fh.close().catch(() => undefined);
  }
}
