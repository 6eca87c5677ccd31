import {
  closeSync, constants, fstatSync, fsyncSync, lstatSync, mkdirSync, openSync, readSync, readdirSync,
  renameSync, rmdirSync, unlinkSync, writeSync, type Stats,
} from 'node:fs';
import { join } from 'node:path';
import { ERRNO, errnoFromNode } from './wasi-errors.js';

/** Files and directories one instance may hold open at once (the preopen aside): past it, EMFILE. */
export const MAX_OPEN_FDS = 64;
/** What one plugin's data directory may hold (file bytes, and files + directories): past it, ENOSPC. */
export const DATA_DIR_MAX_BYTES = 32 * 1024 * 1024;
export const DATA_DIR_MAX_ENTRIES = 1024;

/**
 * Bytes and entries in one data directory, counted once (a walk) and then
 * kept up to date by every write, create, truncate, unlink and rename the
 * plugin makes (no other writer touches the directory while it runs).
 */
export class DirQuota {
  bytes = 0;
  entries = 0;
  constructor(
    readonly maxBytes: number = DATA_DIR_MAX_BYTES,
    readonly maxEntries: number = DATA_DIR_MAX_ENTRIES,
  ) {}

  /** Counts what `root` holds now (symlinks count as entries, never followed; stops counting well past the caps). */
  static measure(root: string, maxBytes = DATA_DIR_MAX_BYTES, maxEntries = DATA_DIR_MAX_ENTRIES): DirQuota {
    const q = new DirQuota(maxBytes, maxEntries);
    const walk = (dir: string): void => {
      let list: string[];
      try {
        list = readdirSync(dir);
      } catch {
        return;
      }
      for (const name of list) {
        if (q.entries > maxEntries * 2) return;
        const p = join(dir, name);
        let st: Stats;
        try {
          st = lstatSync(p);
        } catch {
          continue;
        }
        q.entries += 1;
        if (st.isDirectory()) walk(p);
        else if (st.isFile()) q.bytes += st.size;
      }
    };
    walk(root);
    return q;
  }

  get bytesLeft(): number {
    return Math.max(0, this.maxBytes - this.bytes);
  }

  get entriesFull(): boolean {
    return this.entries >= this.maxEntries;
  }
}

/** One quota per data directory and thread: a plugin's instances come and go, its directory's usage stays. */
const quotas = new Map<string, DirQuota>();
function quotaFor(root: string): DirQuota {
  let q = quotas.get(root);
  if (q === undefined) {
    q = DirQuota.measure(root);
    quotas.set(root, q);
  }
  return q;
}

/** The preopened directory's fd and the name guests see (wasi-libc resolves relative paths against "."). */
export const PREOPEN_FD = 3;
export const PREOPEN_NAME = '.';

const FILETYPE = { UNKNOWN: 0, CHARACTER_DEVICE: 2, DIRECTORY: 3, REGULAR_FILE: 4, SYMBOLIC_LINK: 7 } as const;
const OFLAGS = { CREAT: 1, DIRECTORY: 2, EXCL: 4, TRUNC: 8 } as const;
const FDFLAG_APPEND = 1;
const RIGHT_FD_READ = 1n << 1n;
const RIGHT_FD_WRITE = 1n << 6n;
const ALL_RIGHTS = (1n << 30n) - 1n;

type FdEntry =
  | { readonly kind: 'dir'; readonly rel: string }
  | { readonly kind: 'file'; readonly rel: string; readonly host: number; pos: number; readonly append: boolean };

export interface Filestat {
  readonly filetype: number;
  readonly size: bigint;
  readonly ino: bigint;
  readonly nlink: bigint;
  readonly atimNs: bigint;
  readonly mtimNs: bigint;
  readonly ctimNs: bigint;
}

export type Result<T> = { readonly errno: 0; readonly value: T } | { readonly errno: number };
const ok = <T>(value: T): Result<T> => ({ errno: 0, value });
const fail = <T>(errno: number): Result<T> => ({ errno });

function filetypeOf(st: Stats): number {
  if (st.isSymbolicLink()) return FILETYPE.SYMBOLIC_LINK;
  if (st.isDirectory()) return FILETYPE.DIRECTORY;
  if (st.isFile()) return FILETYPE.REGULAR_FILE;
  return FILETYPE.UNKNOWN;
}

function filestat(st: Stats): Filestat {
  return {
    filetype: filetypeOf(st),
    size: BigInt(st.size),
    ino: BigInt(st.ino),
    nlink: BigInt(st.nlink),
    atimNs: BigInt(Math.round(st.atimeMs * 1e6)),
    mtimNs: BigInt(Math.round(st.mtimeMs * 1e6)),
    ctimNs: BigInt(Math.round(st.ctimeMs * 1e6)),
  };
}

/**
 * One plugin's data directory, exposed to the guest as the preopen ".".
 * Confinement does not trust path strings: absolute paths and ".." are
 * refused outright, every existing component is lstat'ed and a symlink
 * anywhere is refused (the guest cannot create symlinks: path_symlink is
 * ENOSYS), and files are opened with O_NOFOLLOW. Errors are WASI errnos.
 */
export class ConfinedFs {
  readonly #root: string;
  readonly #fds = new Map<number, FdEntry>();
  readonly #quota: DirQuota;
  readonly #maxOpen: number;
  #nextFd = PREOPEN_FD + 1;

  constructor(root: string, options: { quota?: DirQuota; maxOpen?: number } = {}) {
    this.#root = root;
    this.#quota = options.quota ?? quotaFor(root);
    this.#maxOpen = options.maxOpen ?? MAX_OPEN_FDS;
    this.#fds.set(PREOPEN_FD, { kind: 'dir', rel: '' });
  }

  /** Guest fds open now, the preopen aside. */
  get openCount(): number {
    return this.#fds.size - 1;
  }

  has(fd: number): boolean {
    return this.#fds.has(fd);
  }

  isPreopen(fd: number): boolean {
    return fd === PREOPEN_FD;
  }

  fdKind(fd: number): 'dir' | 'file' | undefined {
    return this.#fds.get(fd)?.kind;
  }

  /** Resolves `path` under directory fd `dirFd` to a host path inside the root, or an errno. */
  resolve(dirFd: number, path: string): Result<{ host: string; rel: string }> {
    const dir = this.#fds.get(dirFd);
    if (dir === undefined) return fail(ERRNO.BADF);
    if (dir.kind !== 'dir') return fail(ERRNO.NOTDIR);
    if (path.includes('\0')) return fail(ERRNO.INVAL);
    if (path.startsWith('/')) return fail(ERRNO.NOTCAPABLE);
    const parts = [...(dir.rel === '' ? [] : dir.rel.split('/')), ...path.split('/').filter((p) => p !== '' && p !== '.')];
    if (parts.includes('..')) return fail(ERRNO.NOTCAPABLE);
    // No component may be a symlink: a link planted from outside must not lead out.
    let host = this.#root;
    for (const part of parts) {
      host = join(host, part);
      let st: Stats;
      try {
        st = lstatSync(host);
      } catch (err) {
        if ((err as NodeJS.ErrnoException).code === 'ENOENT') break;
        return fail(errnoFromNode(err));
      }
      if (st.isSymbolicLink()) return fail(ERRNO.NOTCAPABLE);
    }
    return ok({ host: join(this.#root, ...parts), rel: parts.join('/') });
  }

  open(dirFd: number, path: string, oflags: number, rightsBase: bigint, fdflags: number): Result<number> {
    const r = this.resolve(dirFd, path);
    if (r.errno !== 0 || !('value' in r)) return fail(r.errno);
    const { host, rel } = r.value;
    if (this.openCount >= this.#maxOpen) return fail(ERRNO.MFILE);
    if (oflags & OFLAGS.DIRECTORY) {
      try {
        if (!lstatSync(host).isDirectory()) return fail(ERRNO.NOTDIR);
      } catch (err) {
        return fail(errnoFromNode(err));
      }
      const fd = this.#nextFd++;
      this.#fds.set(fd, { kind: 'dir', rel });
      return ok(fd);
    }
    let existing: Stats | undefined;
    try {
      existing = lstatSync(host);
      if (existing.isDirectory()) {
        if (oflags & (OFLAGS.CREAT | OFLAGS.TRUNC)) return fail(ERRNO.ISDIR);
        const fd = this.#nextFd++;
        this.#fds.set(fd, { kind: 'dir', rel });
        return ok(fd);
      }
    } catch {
      // Does not exist yet: O_CREAT below decides.
    }
    const creates = existing === undefined && (oflags & OFLAGS.CREAT) !== 0;
    if (creates && this.#quota.entriesFull) return fail(ERRNO.NOSPC);
    const write = (rightsBase & RIGHT_FD_WRITE) !== 0n;
    const read = (rightsBase & RIGHT_FD_READ) !== 0n || !write;
    let flags = constants.O_NOFOLLOW | (read && write ? constants.O_RDWR : write ? constants.O_WRONLY : constants.O_RDONLY);
    if (oflags & OFLAGS.CREAT) flags |= constants.O_CREAT;
    if (oflags & OFLAGS.EXCL) flags |= constants.O_EXCL;
    if (oflags & OFLAGS.TRUNC) flags |= constants.O_TRUNC;
    const append = (fdflags & FDFLAG_APPEND) !== 0;
    if (append) flags |= constants.O_APPEND;
    try {
      const hostFd = openSync(host, flags, 0o644);
      if (creates) this.#quota.entries += 1;
      if (existing !== undefined && (oflags & OFLAGS.TRUNC) !== 0 && existing.isFile()) this.#quota.bytes = Math.max(0, this.#quota.bytes - existing.size);
      const fd = this.#nextFd++;
      this.#fds.set(fd, { kind: 'file', rel, host: hostFd, pos: 0, append });
      return ok(fd);
    } catch (err) {
      return fail(errnoFromNode(err));
    }
  }

  read(fd: number, into: Uint8Array): Result<number> {
    const e = this.#fds.get(fd);
    if (e === undefined) return fail(ERRNO.BADF);
    if (e.kind !== 'file') return fail(ERRNO.ISDIR);
    try {
      const n = readSync(e.host, into, 0, into.length, e.pos);
      e.pos += n;
      return ok(n);
    } catch (err) {
      return fail(errnoFromNode(err));
    }
  }

  write(fd: number, from: Uint8Array): Result<number> {
    const e = this.#fds.get(fd);
    if (e === undefined) return fail(ERRNO.BADF);
    if (e.kind !== 'file') return fail(ERRNO.ISDIR);
    try {
      // The quota counts a file's length: writing past the end (or seeking far out and writing) grows it.
      const size = fstatSync(e.host).size;
      const start = e.append ? size : e.pos;
      const room = Math.max(0, size + this.#quota.bytesLeft - start);
      const len = Math.min(from.length, room);
      if (len === 0 && from.length > 0) return fail(ERRNO.NOSPC);
      const n = e.append ? writeSync(e.host, from, 0, len) : writeSync(e.host, from, 0, len, e.pos);
      this.#quota.bytes += Math.max(0, start + n - size);
      e.pos = start + n;
      return ok(n);
    } catch (err) {
      return fail(errnoFromNode(err));
    }
  }

  seek(fd: number, offset: bigint, whence: number): Result<bigint> {
    const e = this.#fds.get(fd);
    if (e === undefined) return fail(ERRNO.BADF);
    if (e.kind !== 'file') return fail(ERRNO.SPIPE);
    let base: number;
    if (whence === 0) base = 0;
    else if (whence === 1) base = e.pos;
    else if (whence === 2) base = fstatSync(e.host).size;
    else return fail(ERRNO.INVAL);
    const next = base + Number(offset);
    if (next < 0 || !Number.isSafeInteger(next)) return fail(ERRNO.INVAL);
    e.pos = next;
    return ok(BigInt(next));
  }

  close(fd: number): number {
    const e = this.#fds.get(fd);
    if (e === undefined) return ERRNO.BADF;
    if (fd === PREOPEN_FD) return ERRNO.NOTCAPABLE;
    this.#fds.delete(fd);
    if (e.kind === 'file') {
      try {
        closeSync(e.host);
      } catch (err) {
        return errnoFromNode(err);
      }
    }
    return ERRNO.SUCCESS;
  }

  sync(fd: number): number {
    const e = this.#fds.get(fd);
    if (e === undefined) return ERRNO.BADF;
    if (e.kind !== 'file') return ERRNO.SUCCESS;
    try {
      fsyncSync(e.host);
      return ERRNO.SUCCESS;
    } catch (err) {
      return errnoFromNode(err);
    }
  }

  fdFilestat(fd: number): Result<Filestat> {
    const e = this.#fds.get(fd);
    if (e === undefined) return fail(ERRNO.BADF);
    try {
      return ok(filestat(e.kind === 'file' ? fstatSync(e.host) : lstatSync(join(this.#root, e.rel))));
    } catch (err) {
      return fail(errnoFromNode(err));
    }
  }

  pathFilestat(dirFd: number, path: string): Result<Filestat> {
    const r = this.resolve(dirFd, path);
    if (!('value' in r)) return fail(r.errno);
    try {
      return ok(filestat(lstatSync(r.value.host)));
    } catch (err) {
      return fail(errnoFromNode(err));
    }
  }

  fdstat(fd: number): Result<{ filetype: number; flags: number; rights: bigint }> {
    const e = this.#fds.get(fd);
    if (e === undefined) return fail(ERRNO.BADF);
    return ok({ filetype: e.kind === 'dir' ? FILETYPE.DIRECTORY : FILETYPE.REGULAR_FILE, flags: e.kind === 'file' && e.append ? FDFLAG_APPEND : 0, rights: ALL_RIGHTS });
  }

  /** Directory entries (".", "..", then names) with their filetypes, for fd_readdir. */
  entries(fd: number): Result<Array<{ name: string; type: number; ino: bigint }>> {
    const e = this.#fds.get(fd);
    if (e === undefined) return fail(ERRNO.BADF);
    if (e.kind !== 'dir') return fail(ERRNO.NOTDIR);
    try {
      const list = readdirSync(join(this.#root, e.rel), { withFileTypes: true }).sort((a, b) => (a.name < b.name ? -1 : 1));
      return ok([
        { name: '.', type: FILETYPE.DIRECTORY, ino: 0n },
        { name: '..', type: FILETYPE.DIRECTORY, ino: 0n },
        ...list.map((d) => ({
          name: d.name,
          type: d.isSymbolicLink() ? FILETYPE.SYMBOLIC_LINK : d.isDirectory() ? FILETYPE.DIRECTORY : d.isFile() ? FILETYPE.REGULAR_FILE : FILETYPE.UNKNOWN,
          ino: 0n,
        })),
      ]);
    } catch (err) {
      return fail(errnoFromNode(err));
    }
  }

  mkdir(dirFd: number, path: string): number {
    return this.#pathOp(dirFd, path, (host) => {
      if (this.#quota.entriesFull) throw Object.assign(new Error('data directory full'), { code: 'ENOSPC' });
      mkdirSync(host);
      this.#quota.entries += 1;
    });
  }

  unlink(dirFd: number, path: string): number {
    return this.#pathOp(dirFd, path, (host) => {
      const st = lstatSync(host);
      if (st.isDirectory()) throw Object.assign(new Error('is a directory'), { code: 'EISDIR' });
      unlinkSync(host);
      this.#forget(st);
    });
  }

  rmdir(dirFd: number, path: string): number {
    return this.#pathOp(dirFd, path, (host) => {
      rmdirSync(host);
      this.#quota.entries = Math.max(0, this.#quota.entries - 1);
    });
  }

  rename(oldFd: number, oldPath: string, newFd: number, newPath: string): number {
    const from = this.resolve(oldFd, oldPath);
    if (!('value' in from)) return from.errno;
    const to = this.resolve(newFd, newPath);
    if (!('value' in to)) return to.errno;
    if (from.value.rel === '' || to.value.rel === '') return ERRNO.NOTCAPABLE;
    try {
      let replaced: Stats | undefined;
      try {
        replaced = lstatSync(to.value.host);
      } catch {
        // Nothing there to replace.
      }
      renameSync(from.value.host, to.value.host);
      if (replaced !== undefined && from.value.host !== to.value.host) this.#forget(replaced);
      return ERRNO.SUCCESS;
    } catch (err) {
      return errnoFromNode(err);
    }
  }

  closeAll(): void {
    for (const fd of [...this.#fds.keys()]) if (fd !== PREOPEN_FD) this.close(fd);
  }

  /** An entry left the directory: its bytes (if a file) and its slot are free again. */
  #forget(st: Stats): void {
    if (st.isFile()) this.#quota.bytes = Math.max(0, this.#quota.bytes - st.size);
    this.#quota.entries = Math.max(0, this.#quota.entries - 1);
  }

  #pathOp(dirFd: number, path: string, op: (host: string) => void): number {
    const r = this.resolve(dirFd, path);
    if (!('value' in r)) return r.errno;
    if (r.value.rel === '') return ERRNO.NOTCAPABLE;
    try {
      op(r.value.host);
      return ERRNO.SUCCESS;
    } catch (err) {
      return errnoFromNode(err);
    }
  }
}
