/**
 * Scans mounted sticks one at a time. Each stick is scanned once per mount
 * (plugging in a second stick does not rescan the first), scans never
 * overlap (so a stick that stalls in the kernel holds at most one libuv
 * thread, never the pool), and a stick pulled mid-scan is dropped when its
 * scan ends. Every change reaches `onChange` once, with per-stick results
 * the box turns into one summarised problem per stick.
 */
import { basename } from 'node:path';
import { toMidimonError } from '../errors.js';
import type { Logger } from '../log.js';
import type { StickPackage, StickScan } from './installer.js';
import type { MountEntry } from './mounts.js';

export type StickStateName = 'queued' | 'scanning' | 'scanned';

export interface StickState {
  readonly mountPoint: string;
  readonly state: StickStateName;
  /** Set once scanned. */
  readonly scan?: StickScan;
}

export interface StickScannerOptions {
  readonly log: Logger;
  readonly scan: (mountPoint: string) => Promise<StickScan>;
  readonly onChange: () => void;
}

interface Slot {
  readonly id: string;
  readonly mountPoint: string;
  state: StickStateName;
  scan?: StickScan;
}

export class StickScanner {
  readonly #opts: StickScannerOptions;
  /** By mount point, in mount order. */
  #slots = new Map<string, Slot>();
  #draining: Promise<void> | null = null;
  #stopped = false;

  constructor(options: StickScannerOptions) {
    this.#opts = options;
  }

  /** The sticks mounted now (from the mount watcher). */
  update(mounts: readonly MountEntry[]): void {
    const next = new Map<string, Slot>();
    for (const m of mounts) {
      const id = `${m.mountId} ${m.mountPoint}`;
      const old = this.#slots.get(m.mountPoint);
      next.set(m.mountPoint, old !== undefined && old.id === id ? old : { id, mountPoint: m.mountPoint, state: 'queued' });
    }
    this.#slots = next;
    this.#opts.onChange();
    this.#drain();
  }

  sticks(): StickState[] {
    return [...this.#slots.values()].map((s) => ({ mountPoint: s.mountPoint, state: s.state, ...(s.scan === undefined ? {} : { scan: s.scan }) }));
  }

  /** Packages on the sticks scanned so far. */
  packages(): StickPackage[] {
    return [...this.#slots.values()].flatMap((s) => s.scan?.packages ?? []);
  }

  get busy(): boolean {
    return this.#draining !== null;
  }

  /** Resolves when every mounted stick is scanned (tests, and stop()). */
  async idle(): Promise<void> {
    while (this.#draining !== null) await this.#draining;
  }

  /** No further scans start; one in flight finishes (a filesystem call cannot be cancelled) and is dropped. */
  stop(): void {
    this.#stopped = true;
    this.#slots = new Map();
  }

  #drain(): void {
    if (this.#draining !== null || this.#stopped) return;
    this.#draining = (async () => {
      for (;;) {
        const slot = [...this.#slots.values()].find((s) => s.state === 'queued');
        if (slot === undefined || this.#stopped) break;
        slot.state = 'scanning';
        this.#opts.onChange();
        let scan: StickScan;
        try {
          scan = await this.#opts.scan(slot.mountPoint);
        } catch (err) {
          scan = { mountPoint: slot.mountPoint, packages: [], problems: [{ dir: slot.mountPoint, error: toMidimonError(err) }] };
        }
        slot.state = 'scanned';
        // Pulled (or replaced by another stick) while it was being scanned: nothing to show.
        if (this.#slots.get(slot.mountPoint) !== slot) continue;
        slot.scan = scan;
        this.#opts.log.info({ mount: slot.mountPoint, packages: scan.packages.length, refused: scan.problems.length, stopped: scan.stopped?.reason }, 'USB stick scanned');
        this.#opts.onChange();
      }
    })().finally(() => {
      this.#draining = null;
    });
  }
}

const DETAIL_LINES = 20;

/**
 * One problem per stick: how many folders were refused, the first reason,
 * and where the scan stopped early; details list the first few refusals.
 * Undefined when there is nothing to say.
 */
export function summarizeScan(scan: StickScan): { message: string; details: string } | undefined {
  const refused = scan.problems.length;
  if (refused === 0 && scan.stopped === undefined) return undefined;
  const prefix = scan.mountPoint.endsWith('/') ? scan.mountPoint : `${scan.mountPoint}/`;
  const local = (text: string) => text.replaceAll(prefix, '');
  const label = `USB ${basename(scan.mountPoint)}`;
  const parts: string[] = [];
  const first = scan.problems[0];
  if (first !== undefined) parts.push(`${refused} ${refused === 1 ? 'folder' : 'folders'} refused (${local(first.error.message)})`);
  if (scan.stopped !== undefined) {
    const s = scan.stopped;
    parts.push(s.reason === 'time' ? `stopped looking after ${s.limit / 1000} s` : s.reason === 'entries' ? `stopped looking after ${s.limit} entries` : `looked at the first ${s.limit} folders only`);
  }
  const lines = scan.problems.slice(0, DETAIL_LINES).map((p) => `${local(p.dir)}: ${local(p.error.message)}`);
  if (refused > DETAIL_LINES) lines.push(`... and ${refused - DETAIL_LINES} more`);
  if (scan.stopped !== undefined) lines.push(parts[parts.length - 1] as string);
  return { message: `${label}: ${parts.join('; ')}`, details: lines.join('\n') };
}
