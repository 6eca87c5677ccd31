/**
 * Finds mounted USB sticks in /proc/self/mountinfo. fs.watch sees nothing
 * when a filesystem is mounted, so the watcher polls (about once a second,
 * like the MIDI ports). The udev rule mounts sticks read-only under /media.
 */
import { readFile } from 'node:fs/promises';
import type { Logger } from '../log.js';
import type { Scheduler } from '../runtime/ports.js';

export interface MountEntry {
  /** Unique per mount: the same mount point mounted again (another stick) gets a new id. */
  readonly mountId: string;
  readonly mountPoint: string;
  readonly source: string;
  readonly fsType: string;
}

/** mountinfo escapes space, tab, newline and backslash as octal (\040). */
function unescape(field: string): string {
  return field.replace(/\\([0-7]{3})/g, (_m, oct: string) => String.fromCharCode(parseInt(oct, 8)));
}

/** `36 35 98:0 /mnt1 /mnt2 rw,noatime master:1 - ext3 /dev/root rw,errors=continue` (proc(5)). */
export function parseMountInfo(text: string): MountEntry[] {
  const out: MountEntry[] = [];
  for (const line of text.split('\n')) {
    const fields = line.split(' ');
    const sep = fields.indexOf('-');
    const mountId = fields[0] ?? '';
    const mountPoint = fields[4];
    const fsType = fields[sep + 1];
    const source = fields[sep + 2];
    if (sep < 6 || mountPoint === undefined || fsType === undefined || source === undefined) continue;
    out.push({ mountId, mountPoint: unescape(mountPoint), fsType, source: unescape(source) });
  }
  return out;
}

export interface StickWatcherOptions {
  readonly log: Logger;
  readonly scheduler: Scheduler;
  /** Mount points under these directories are sticks. Default ['/media']. */
  readonly roots?: readonly string[];
  readonly pollMs?: number;
  /** Default: read /proc/self/mountinfo. */
  readonly readMountInfo?: () => Promise<string>;
  /** The sticks mounted now, by mount point (a stick mounted again shows up with a new mountId). */
  readonly onChange: (sticks: readonly MountEntry[]) => void;
}

export class StickWatcher {
  readonly #opts: StickWatcherOptions;
  #sticks: readonly MountEntry[] = [];
  #timer: unknown;
  #running = false;

  constructor(options: StickWatcherOptions) {
    this.#opts = options;
  }

  /** Mount points of the sticks mounted now. */
  get sticks(): readonly string[] {
    return this.#sticks.map((m) => m.mountPoint);
  }

  start(): void {
    this.#running = true;
    void this.poll().finally(() => this.#arm());
  }

  stop(): void {
    this.#running = false;
    if (this.#timer !== undefined) this.#opts.scheduler.clearTimeout(this.#timer);
    this.#timer = undefined;
  }

  async poll(): Promise<void> {
    let text: string;
    try {
      text = await (this.#opts.readMountInfo ?? (() => readFile('/proc/self/mountinfo', 'utf8')))();
    } catch (err) {
      this.#opts.log.debug({ err }, 'cannot read mountinfo');
      return;
    }
    const roots = (this.#opts.roots ?? ['/media']).map((r) => (r.endsWith('/') ? r : `${r}/`));
    const sticks = parseMountInfo(text)
      .filter((m) => roots.some((r) => m.mountPoint.startsWith(r)))
      .sort((a, b) => (a.mountPoint < b.mountPoint ? -1 : a.mountPoint > b.mountPoint ? 1 : 0));
    const key = (list: readonly MountEntry[]) => list.map((m) => `${m.mountId} ${m.mountPoint}`);
    const before = new Set(key(this.#sticks));
    const now = new Set(key(sticks));
    if (before.size === now.size && [...now].every((k) => before.has(k))) return;
    const added = sticks.filter((m) => !before.has(`${m.mountId} ${m.mountPoint}`));
    const removed = this.#sticks.filter((m) => !now.has(`${m.mountId} ${m.mountPoint}`));
    this.#sticks = sticks;
    for (const s of removed) this.#opts.log.info({ mount: s.mountPoint }, 'USB stick removed');
    for (const s of added) this.#opts.log.info({ mount: s.mountPoint, fsType: s.fsType }, 'USB stick mounted');
    this.#opts.onChange(sticks);
  }

  #arm(): void {
    if (!this.#running) return;
    this.#timer = this.#opts.scheduler.setTimeout(() => void this.poll().finally(() => this.#arm()), this.#opts.pollMs ?? 1000);
  }
}
