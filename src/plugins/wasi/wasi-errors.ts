/** WASI preview1 errno values used by the shim (the full list is in the preview1 witx). */
export const ERRNO = {
  SUCCESS: 0,
  ACCES: 2,
  BADF: 8,
  EXIST: 20,
  FAULT: 21,
  INVAL: 28,
  IO: 29,
  ISDIR: 31,
  LOOP: 32,
  MFILE: 33,
  NAMETOOLONG: 37,
  NOENT: 44,
  NOSPC: 51,
  NOSYS: 52,
  NOTDIR: 54,
  NOTEMPTY: 55,
  PERM: 63,
  SPIPE: 70,
  NOTCAPABLE: 76,
} as const;

/**
 * proc_exit inside a reactor call: thrown through the wasm frames and caught
 * by the runtime (not an Error, so no plugin-visible stack is built).
 */
export class ProcExit {
  constructor(readonly code: number) {}
}

/** A host function found the plugin's arguments unusable (e.g. a pointer outside memory). */
export class HostTrap {
  constructor(
    readonly kind: 'bad_pointer' | 'out_of_fuel' | 'send_limit',
    readonly message: string,
  ) {}
}

/** Maps a Node fs error to the closest WASI errno. */
export function errnoFromNode(err: unknown): number {
  switch ((err as NodeJS.ErrnoException).code) {
    case 'ENOENT':
      return ERRNO.NOENT;
    case 'EEXIST':
      return ERRNO.EXIST;
    case 'EISDIR':
      return ERRNO.ISDIR;
    case 'ENOTDIR':
      return ERRNO.NOTDIR;
    case 'ENOTEMPTY':
      return ERRNO.NOTEMPTY;
    case 'ELOOP':
      return ERRNO.LOOP;
    case 'EACCES':
      return ERRNO.ACCES;
    case 'EPERM':
      return ERRNO.PERM;
    case 'ENOSPC':
      return ERRNO.NOSPC;
    case 'ENAMETOOLONG':
      return ERRNO.NAMETOOLONG;
    case 'EBADF':
      return ERRNO.BADF;
    case 'EINVAL':
      return ERRNO.INVAL;
    default:
      return ERRNO.IO;
  }
}
