import { randomFillSync } from 'node:crypto';
import type { GuestMemory } from '../runtime/guest-memory.js';
import { WASI_SIGNATURES } from '../runtime/import-signatures.js';
import { HOST_CALL_FUEL, HOST_DIRENT_FUEL, HOST_IOVEC_FUEL, HOST_LINE_FUEL } from '../limits.js';
import type { OutputLimiter } from '../runtime/output-limiter.js';
import type { Capability } from '../types.js';
import { ConfinedFs, PREOPEN_FD, PREOPEN_NAME, type Filestat, type Result } from './wasi-fs.js';
import { ERRNO, ProcExit } from './wasi-errors.js';

type WasiFn = (...args: Array<number | bigint>) => number | undefined;

export interface WasiContext {
  readonly memory: GuestMemory;
  readonly output: OutputLimiter;
  /** The data directory (present only when Filesystem is granted). */
  readonly fs: ConfinedFs | null;
  readonly isGranted: (cap: Capability) => boolean;
  /** Called when a call needed a capability the plugin was not granted; logs once per capability. */
  readonly denied: (cap: Capability, fn: string) => void;
  /** Takes fuel for work done on the plugin's behalf; throws (out_of_fuel) when there is not enough. */
  readonly charge: (units: number) => void;
}

const n = (v: number | bigint | undefined): number => (typeof v === 'bigint' ? Number(v) : (v ?? 0));
const big = (v: number | bigint | undefined): bigint => (typeof v === 'bigint' ? v : BigInt(v ?? 0));

/**
 * Our own wasi_snapshot_preview1 (node:wasi is documented as unsafe for
 * untrusted code and followed a symlink out of a preopen in our tests).
 * Implemented: fd_write to stdout/stderr (to the rate-limited log), clocks,
 * random, empty args/env, proc_exit, sched_yield, and with Filesystem the
 * confined data directory. Everything else answers ENOSYS.
 */
export function createWasiImports(ctx: WasiContext): Record<string, WasiFn> {
  const { memory, output, charge } = ctx;
  const chargeLine = (): void => charge(HOST_LINE_FUEL);
  const sum = (chunks: readonly Uint8Array[]): number => chunks.reduce((a, c) => a + c.length, 0);
  const u32 = (ptr: number | bigint | undefined, value: number): boolean => {
    const v = memory.view(n(ptr), 4);
    if (v === undefined) return false;
    v.setUint32(0, value >>> 0, true);
    return true;
  };
  const u64 = (ptr: number | bigint | undefined, value: bigint): boolean => {
    const v = memory.view(n(ptr), 8);
    if (v === undefined) return false;
    v.setBigUint64(0, BigInt.asUintN(64, value), true);
    return true;
  };
  /** iovec list -> views (undefined if any iovec is outside memory). */
  const iovecs = (iovs: number | bigint | undefined, count: number | bigint | undefined): Uint8Array[] | undefined => {
    const c = n(count) >>> 0;
    if (c > 1024) return undefined;
    charge(c * HOST_IOVEC_FUEL);
    const table = memory.view(n(iovs), c * 8);
    if (table === undefined) return undefined;
    const out: Uint8Array[] = [];
    for (let i = 0; i < c; i++) {
      const b = memory.bytes(table.getUint32(i * 8, true), table.getUint32(i * 8 + 4, true));
      if (b === undefined) return undefined;
      out.push(b);
    }
    return out;
  };
  const path = (ptr: number | bigint | undefined, len: number | bigint | undefined): string | undefined => {
    charge(n(len) >>> 0);
    return memory.string(n(ptr), n(len));
  };
  /** Filesystem functions go through here: no grant, no data directory. */
  const withFs = (fn: string, body: (fs: ConfinedFs) => number): number => {
    if (ctx.fs === null) {
      ctx.denied('Filesystem', fn);
      return ERRNO.NOTCAPABLE;
    }
    return body(ctx.fs);
  };
  const writeFilestat = (ptr: number | bigint | undefined, r: Result<Filestat>): number => {
    if (!('value' in r)) return r.errno;
    const v = memory.view(n(ptr), 64);
    if (v === undefined) return ERRNO.FAULT;
    const s = r.value;
    v.setBigUint64(0, 0n, true);
    v.setBigUint64(8, s.ino, true);
    v.setUint8(16, s.filetype);
    v.setBigUint64(24, s.nlink, true);
    v.setBigUint64(32, s.size, true);
    v.setBigUint64(40, s.atimNs, true);
    v.setBigUint64(48, s.mtimNs, true);
    v.setBigUint64(56, s.ctimNs, true);
    return ERRNO.SUCCESS;
  };
  const zeroPair = (a: number | bigint | undefined, b: number | bigint | undefined): number =>
    u32(a, 0) && u32(b, 0) ? ERRNO.SUCCESS : ERRNO.FAULT;

  const impl: Record<string, WasiFn> = {
    args_get: () => ERRNO.SUCCESS,
    args_sizes_get: zeroPair,
    environ_get: () => ERRNO.SUCCESS,
    environ_sizes_get: zeroPair,
    clock_res_get: (_id, out) => (u64(out, 1000n) ? ERRNO.SUCCESS : ERRNO.FAULT),
    clock_time_get: (id, _precision, out) => {
      const clock = n(id);
      if (clock < 0 || clock > 3) return ERRNO.INVAL;
      const ns = clock === 0 ? BigInt(Date.now()) * 1_000_000n : process.hrtime.bigint();
      return u64(out, ns) ? ERRNO.SUCCESS : ERRNO.FAULT;
    },
    random_get: (buf, len) => {
      charge(n(len) >>> 0);
      const b = memory.bytes(n(buf), n(len));
      if (b === undefined) return ERRNO.FAULT;
      for (let off = 0; off < b.length; off += 65536) randomFillSync(b, off, Math.min(65536, b.length - off));
      return ERRNO.SUCCESS;
    },
    proc_exit: (code) => {
      throw new ProcExit(n(code));
    },
    sched_yield: () => ERRNO.SUCCESS,
    fd_write: (fd, iovs, count, nwritten) => {
      const f = n(fd);
      const chunks = iovecs(iovs, count);
      if (chunks === undefined) return ERRNO.FAULT;
      charge(sum(chunks));
      let total = 0;
      if (f === 1 || f === 2) {
        for (const c of chunks) {
          output.write(f === 1 ? 'stdout' : 'stderr', c, chargeLine);
          total += c.length;
        }
      } else if (ctx.fs?.has(f) === true) {
        for (const c of chunks) {
          const r = ctx.fs.write(f, c.slice());
          if (!('value' in r)) return r.errno;
          total += r.value;
          // A short write (the data directory's quota) ends the call, as on a full disk.
          if (r.value < c.length) break;
        }
      } else {
        return ERRNO.BADF;
      }
      return u32(nwritten, total) ? ERRNO.SUCCESS : ERRNO.FAULT;
    },
    fd_read: (fd, iovs, count, nread) => {
      const f = n(fd);
      const chunks = iovecs(iovs, count);
      if (chunks === undefined) return ERRNO.FAULT;
      if (f === 0) return u32(nread, 0) ? ERRNO.SUCCESS : ERRNO.FAULT;
      if (ctx.fs?.has(f) !== true) return ERRNO.BADF;
      let total = 0;
      // Charged for the buffers offered, before reading: the read itself must stay within the fuel bound.
      charge(sum(chunks));
      for (const c of chunks) {
        const r = ctx.fs.read(f, c);
        if (!('value' in r)) return r.errno;
        total += r.value;
        if (r.value < c.length) break;
      }
      return u32(nread, total) ? ERRNO.SUCCESS : ERRNO.FAULT;
    },
    fd_fdstat_get: (fd, out) => {
      const f = n(fd);
      const v = memory.view(n(out), 24);
      if (v === undefined) return ERRNO.FAULT;
      let filetype: number;
      let flags = 0;
      let rights = 0n;
      if (f >= 0 && f <= 2) {
        filetype = 2; // character device
        rights = f === 0 ? 1n << 1n : 1n << 6n;
      } else if (ctx.fs?.has(f) === true) {
        const r = ctx.fs.fdstat(f);
        if (!('value' in r)) return r.errno;
        ({ filetype, flags, rights } = r.value);
      } else {
        return ERRNO.BADF;
      }
      v.setUint8(0, filetype);
      v.setUint16(2, flags, true);
      v.setBigUint64(8, rights, true);
      v.setBigUint64(16, rights, true);
      return ERRNO.SUCCESS;
    },
    fd_prestat_get: (fd, out) => {
      // No grant: no preopens, so wasi-libc's preopen scan ends at fd 3 with EBADF.
      if (n(fd) !== PREOPEN_FD || ctx.fs === null) return ERRNO.BADF;
      const v = memory.view(n(out), 8);
      if (v === undefined) return ERRNO.FAULT;
      v.setUint8(0, 0);
      v.setUint32(4, PREOPEN_NAME.length, true);
      return ERRNO.SUCCESS;
    },
    fd_prestat_dir_name: (fd, ptr, len) => {
      if (n(fd) !== PREOPEN_FD || ctx.fs === null) return ERRNO.BADF;
      const b = memory.bytes(n(ptr), Math.min(n(len), PREOPEN_NAME.length));
      if (b === undefined) return ERRNO.FAULT;
      b.set(new TextEncoder().encode(PREOPEN_NAME).subarray(0, b.length));
      return ERRNO.SUCCESS;
    },
    fd_close: (fd) => (ctx.fs?.has(n(fd)) === true ? ctx.fs.close(n(fd)) : ERRNO.BADF),
    fd_sync: (fd) => (ctx.fs?.has(n(fd)) === true ? ctx.fs.sync(n(fd)) : ERRNO.BADF),
    fd_datasync: (fd) => (ctx.fs?.has(n(fd)) === true ? ctx.fs.sync(n(fd)) : ERRNO.BADF),
    fd_seek: (fd, offset, whence, out) => {
      if (ctx.fs?.has(n(fd)) !== true) return n(fd) <= 2 ? ERRNO.SPIPE : ERRNO.BADF;
      const r = ctx.fs.seek(n(fd), big(offset), n(whence));
      if (!('value' in r)) return r.errno;
      return u64(out, r.value) ? ERRNO.SUCCESS : ERRNO.FAULT;
    },
    fd_tell: (fd, out) => {
      if (ctx.fs?.has(n(fd)) !== true) return n(fd) <= 2 ? ERRNO.SPIPE : ERRNO.BADF;
      const r = ctx.fs.seek(n(fd), 0n, 1);
      if (!('value' in r)) return r.errno;
      return u64(out, r.value) ? ERRNO.SUCCESS : ERRNO.FAULT;
    },
    fd_filestat_get: (fd, out) => {
      if (ctx.fs?.has(n(fd)) !== true) return ERRNO.BADF;
      return writeFilestat(out, ctx.fs.fdFilestat(n(fd)));
    },
    fd_readdir: (fd, buf, bufLen, cookie, used) => {
      if (ctx.fs?.has(n(fd)) !== true) return ERRNO.BADF;
      // The cookie is an index into the listing (what we hand out as d_next); a negative one is no index.
      const start = big(cookie);
      if (start < 0n) return ERRNO.INVAL;
      const r = ctx.fs.entries(n(fd));
      if (!('value' in r)) return r.errno;
      // Every call reads the whole directory again: charged per entry read, plus the bytes offered.
      charge(r.value.length * HOST_DIRENT_FUEL + (n(bufLen) >>> 0));
      const out = memory.bytes(n(buf), n(bufLen));
      if (out === undefined) return ERRNO.FAULT;
      const enc = new TextEncoder();
      const head = new DataView(new ArrayBuffer(24));
      const headBytes = new Uint8Array(head.buffer);
      let len = 0;
      // Entries are written whole or cut at the buffer's end (the guest sees used == bufLen and asks again).
      for (let i = Number(start < BigInt(r.value.length) ? start : BigInt(r.value.length)); i < r.value.length && len < out.length; i++) {
        const e = r.value[i] as { name: string; type: number; ino: bigint };
        const name = enc.encode(e.name);
        head.setBigUint64(0, BigInt(i + 1), true);
        head.setBigUint64(8, e.ino, true);
        head.setUint32(16, name.length, true);
        head.setUint8(20, e.type);
        for (const part of [headBytes, name]) {
          const take = Math.min(part.length, out.length - len);
          out.set(part.subarray(0, take), len);
          len += take;
        }
      }
      return u32(used, len) ? ERRNO.SUCCESS : ERRNO.FAULT;
    },
    path_open: (dirFd, _dirflags, p, pLen, oflags, rightsBase, _rightsInh, fdflags, out) =>
      withFs('path_open', (fs) => {
        const s = path(p, pLen);
        if (s === undefined) return ERRNO.FAULT;
        const r = fs.open(n(dirFd), s, n(oflags), big(rightsBase), n(fdflags));
        if (!('value' in r)) return r.errno;
        return u32(out, r.value) ? ERRNO.SUCCESS : ERRNO.FAULT;
      }),
    path_filestat_get: (dirFd, _flags, p, pLen, out) =>
      withFs('path_filestat_get', (fs) => {
        const s = path(p, pLen);
        return s === undefined ? ERRNO.FAULT : writeFilestat(out, fs.pathFilestat(n(dirFd), s));
      }),
    path_create_directory: (dirFd, p, pLen) =>
      withFs('path_create_directory', (fs) => {
        const s = path(p, pLen);
        return s === undefined ? ERRNO.FAULT : fs.mkdir(n(dirFd), s);
      }),
    path_unlink_file: (dirFd, p, pLen) =>
      withFs('path_unlink_file', (fs) => {
        const s = path(p, pLen);
        return s === undefined ? ERRNO.FAULT : fs.unlink(n(dirFd), s);
      }),
    path_remove_directory: (dirFd, p, pLen) =>
      withFs('path_remove_directory', (fs) => {
        const s = path(p, pLen);
        return s === undefined ? ERRNO.FAULT : fs.rmdir(n(dirFd), s);
      }),
    path_rename: (oldFd, op, opLen, newFd, np, npLen) =>
      withFs('path_rename', (fs) => {
        const a = path(op, opLen);
        const b = path(np, npLen);
        return a === undefined || b === undefined ? ERRNO.FAULT : fs.rename(n(oldFd), a, n(newFd), b);
      }),
    // The guide's Network capability has no preview1 implementation here: granted or not, sockets are unavailable.
    sock_accept: () => denyOr('Network', 'sock_accept'),
    sock_recv: () => denyOr('Network', 'sock_recv'),
    sock_send: () => denyOr('Network', 'sock_send'),
    sock_shutdown: () => denyOr('Network', 'sock_shutdown'),
  };
  function denyOr(cap: Capability, fn: string): number {
    if (ctx.isGranted(cap)) return ERRNO.NOSYS;
    ctx.denied(cap, fn);
    return ERRNO.NOTCAPABLE;
  }
  const out: Record<string, WasiFn> = {};
  for (const name of Object.keys(WASI_SIGNATURES)) {
    const f = impl[name] ?? ((): number => ERRNO.NOSYS);
    out[name] = (...args) => {
      charge(HOST_CALL_FUEL);
      return f(...args);
    };
  }
  return out;
}
