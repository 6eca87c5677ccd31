import { open, rename, mkdir, unlink } from 'node:fs/promises';
import { dirname, basename, join } from 'node:path';
import { randomBytes } from 'node:crypto';

/** Writes and fsyncs a file (no rename): for files staged in a directory that is itself swapped in. */
export async function writeFileSynced(path: string, data: string | Uint8Array, mode = 0o644): Promise<void> {
  const fh = await open(path, 'w', mode);
  try {
    await fh.writeFile(data);
    await fh.sync();
  } finally {
    await fh.close();
  }
}

/** Makes a rename inside `dir` durable. Some filesystems refuse fsync on directories; the rename is still atomic. */
export async function syncDirectory(dir: string): Promise<void> {
  const dh = await open(dir, 'r');
  try {
    await dh.sync();
  } catch {
    // See above: atomic, just not yet durable.
  } finally {
    await dh.close();
  }
}

/**
 * Writes a file so that readers (and a power cut) see either the old or the
 * new content, never half of it: temp file in the same directory, fsync,
 * rename over the target, fsync the directory.
 */
export async function writeFileAtomic(path: string, data: string | Uint8Array, mode = 0o644): Promise<void> {
  const dir = dirname(path);
  await mkdir(dir, { recursive: true });
  const tmp = join(dir, `.${basename(path)}.${process.pid}.${randomBytes(4).toString('hex')}.tmp`);
  let renamed = false;
  try {
    await writeFileSynced(tmp, data, mode);
    await rename(tmp, path);
    renamed = true;
    await syncDirectory(dir);
  } finally {
    if (!renamed) await unlink(tmp).catch(() => undefined);
  }
}
