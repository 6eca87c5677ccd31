import {
  closeSync, constants, fstatSync, fsyncSync, lstatSync, mkdirSync, openSync, readSync, readdirSync,
  renameSync, rmdirSync, unlinkSync, writeSync, type Stats,
} from 'node:fs';
import { join } from 'node:path';
import { ERRNO, errnoFromNode } from './wasi-errors.js';

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
  #nextFd = PREOPEN_FD + 1;

  constructor(root: string) {
    this.#root = root;
    this.#fds.set(PREOPEN_FD, { kind: 'dir', rel: '' });
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
    try {
      const st = lstatSync(host);
      if (st.isDirectory()) {
        if (oflags & (OFLAGS.CREAT | OFLAGS.TRUNC)) return fail(ERRNO.ISDIR);
        const fd = this.#nextFd++;
        this.#fds.set(fd, { kind: 'dir', rel });
        return ok(fd);
      }
    } catch {
      // Does not exist yet: O_CREAT below decides.
    }
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
      const n = e.append ? writeSync(e.host, from) : writeSync(e.host, from, 0, from.length, e.pos);
      e.pos = e.append ? fstatSync(e.host).size : e.pos + n;
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
    return this.#pathOp(dirFd, path, (host) => mkdirSync(host));
  }

  unlink(dirFd: number, path: string): number {
    return this.#pathOp(dirFd, path, (host) => {
      if (lstatSync(host).isDirectory()) throw Object.assign(new Error('is a directory'), { code: 'EISDIR' });
      unlinkSync(host);
    });
  }

  rmdir(dirFd: number, path: string): number {
    return this.#pathOp(dirFd, path, (host) => rmdirSync(host));
  }

  rename(oldFd: number, oldPath: string, newFd: number, newPath: string): number {
    const from = this.resolve(oldFd, oldPath);
    if (!('value' in from)) return from.errno;
    const to = this.resolve(newFd, newPath);
    if (!('value' in to)) return to.errno;
    if (from.value.rel === '' || to.value.rel === '') return ERRNO.NOTCAPABLE;
    try {
      renameSync(from.value.host, to.value.host);
      return ERRNO.SUCCESS;
    } catch (err) {
      return errnoFromNode(err);
    }
  }

  closeAll(): void {
    for (const fd of [...this.#fds.keys()]) if (fd !== PREOPEN_FD) this.close(fd);
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
