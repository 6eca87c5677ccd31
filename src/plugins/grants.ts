import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { MidimonError } from '../errors.js';
import type { Logger } from '../log.js';
import { writeFileAtomic } from '../util/atomic-write.js';
import { isCapability, type Capability } from './types.js';

interface GrantFile {
  readonly version: 1;
  /** key: `${name}@${sha256}` -> granted capabilities. */
  readonly grants: Readonly<Record<string, readonly Capability[]>>;
  /** Same keys -> default grants (Midi) the operator took back. */
  readonly revoked?: Readonly<Record<string, readonly Capability[]>>;
}

/**
 * Grants the operator gave, keyed by plugin name + SHA-256: a new build of a
 * plugin has to be granted again. Persisted in `<stateDir>/grants.json` with
 * atomic writes so a power cut never loses or half-writes them.
 */
export class GrantStore {
  readonly #path: string;
  readonly #log: Logger;
  #grants = new Map<string, Capability[]>();
  #revoked = new Map<string, Capability[]>();
  #loaded = false;

  constructor(stateDir: string, log: Logger) {
    this.#path = join(stateDir, 'grants.json');
    this.#log = log;
  }

  get path(): string {
    return this.#path;
  }

  async load(): Promise<void> {
    let text: string;
    try {
      text = await readFile(this.#path, 'utf8');
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code === 'ENOENT') {
        this.#loaded = true;
        return;
      }
      throw new MidimonError('device_io', `cannot read ${this.#path}: ${(err as Error).message}`, { cause: err });
    }
    try {
      const raw: unknown = JSON.parse(text);
      const grants = (raw as Partial<GrantFile>).grants;
      if (typeof grants !== 'object' || grants === null) throw new Error('no "grants" object');
      for (const [key, caps] of Object.entries(grants)) {
        if (Array.isArray(caps)) this.#grants.set(key, caps.filter(isCapability));
      }
      const revoked = (raw as Partial<GrantFile>).revoked;
      if (typeof revoked === 'object' && revoked !== null) {
        for (const [key, caps] of Object.entries(revoked)) {
          if (Array.isArray(caps)) this.#revoked.set(key, caps.filter(isCapability));
        }
      }
    } catch (err) {
      // A corrupt grants file must not stop the box: start with no grants, loudly.
      this.#log.error({ path: this.#path, err: (err as Error).message }, 'grants file unreadable, starting with no stored grants');
    }
    this.#loaded = true;
  }

  get(name: string, sha256: string): readonly Capability[] {
    return this.#grants.get(`${name}@${sha256}`) ?? [];
  }

  /** Default grants taken back from this build. */
  revoked(name: string, sha256: string): readonly Capability[] {
    return this.#revoked.get(`${name}@${sha256}`) ?? [];
  }

  async set(name: string, sha256: string, caps: readonly Capability[], revoked?: readonly Capability[]): Promise<void> {
    if (!this.#loaded) await this.load();
    const key = `${name}@${sha256}`;
    put(this.#grants, key, caps);
    put(this.#revoked, key, revoked ?? this.revoked(name, sha256));
    const file: GrantFile = { version: 1, grants: sortedRecord(this.#grants), ...(this.#revoked.size === 0 ? {} : { revoked: sortedRecord(this.#revoked) }) };
    await writeFileAtomic(this.#path, `${JSON.stringify(file, null, 2)}\n`);
  }
}

function put(map: Map<string, Capability[]>, key: string, caps: readonly Capability[]): void {
  const sorted = [...new Set(caps)].sort();
  if (sorted.length === 0) map.delete(key);
  else map.set(key, sorted);
}

function sortedRecord(map: Map<string, Capability[]>): Record<string, Capability[]> {
  return Object.fromEntries([...map].sort(([a], [b]) => a.localeCompare(b)));
}
