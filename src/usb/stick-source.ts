/**
 * Where the box looks for sticks. On a Pi: /proc/self/mountinfo, mounts
 * under [usb] mount_roots (/media). A documented test seam lets simulation
 * and black-box tests offer a folder as a stick without a mount namespace:
 *
 *   MIDIMON_MEDIA_ROOT=DIR   sticks are mounts under DIR (instead of [usb] mount_roots);
 *                            without MIDIMON_MOUNTINFO, every folder directly in DIR
 *                            counts as a mounted stick (move one in to "plug it in")
 *   MIDIMON_MOUNTINFO=FILE   read FILE (proc(5) mountinfo format) instead of
 *                            /proc/self/mountinfo
 */
import { lstat, opendir, readFile } from 'node:fs/promises';
import { isAbsolute, join, resolve } from 'node:path';

export interface StickSource {
  /** Replaces /proc/self/mountinfo. */
  readonly readMountInfo?: () => Promise<string>;
  /** Replaces [usb] mount_roots. */
  readonly mediaRoots?: readonly string[];
}

/** A simulated media root lists at most this many folders (it is a test seam, not a file browser). */
const MAX_SIMULATED_STICKS = 64;

/** mountinfo escapes space, tab, newline and backslash as octal. */
function escape(path: string): string {
  return path.replace(/[ \t\n\\]/g, (c) => `\\${c.charCodeAt(0).toString(8).padStart(3, '0')}`);
}

/**
 * mountinfo lines for the folders in `root`, as if each were a stick mounted
 * there. The inode number is the mount id, so a folder replaced by another
 * (a different stick in the same place) is seen as a new mount.
 */
export async function foldersAsMountInfo(root: string): Promise<string> {
  const lines: string[] = [];
  let dir;
  try {
    dir = await opendir(root);
  } catch {
    return '';
  }
  for await (const d of dir) {
    if (!d.isDirectory() || d.name.startsWith('.')) continue;
    const path = join(root, d.name);
    const s = await lstat(path).catch(() => undefined);
    if (s === undefined) continue;
    lines.push(`${s.ino} 1 0:0 / ${escape(path)} ro,nosuid,nodev,noexec - simulated ${escape(path)} ro`);
    if (lines.length >= MAX_SIMULATED_STICKS) break;
  }
  return lines.join('\n');
}

export function stickSourceFromEnv(env: Readonly<Record<string, string | undefined>>, cwd = process.cwd()): StickSource {
  const abs = (p: string | undefined) => (p === undefined || p === '' ? undefined : isAbsolute(p) ? p : resolve(cwd, p));
  const mediaRoot = abs(env['MIDIMON_MEDIA_ROOT']);
  const mountInfo = abs(env['MIDIMON_MOUNTINFO']);
  return {
    ...(mediaRoot === undefined ? {} : { mediaRoots: [mediaRoot] }),
    ...(mountInfo !== undefined
      ? { readMountInfo: () => readFile(mountInfo, 'utf8') }
      : mediaRoot !== undefined
        ? { readMountInfo: () => foldersAsMountInfo(mediaRoot) }
        : {}),
  };
}
