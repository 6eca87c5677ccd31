import { readFile, rename } from 'node:fs/promises';
import { join } from 'node:path';
import { z } from 'zod';
import type { Logger } from '../log.js';
import { writeFileAtomic } from '../util/atomic-write.js';

/**
 * What the box remembers across restarts, kept apart from the owner's config
 * (the config is theirs to edit and back up; this is ours to rewrite).
 * Well-known fields are typed here; other domains (plugin grants, plugin
 * index) keep their own section under `sections`, validated by their schema.
 */
const stateFileSchema = z.object({
  version: z.literal(1),
  mode: z.string().nullable().default(null),
  sections: z.record(z.string(), z.unknown()).default({}),
});

export type BoxState = z.output<typeof stateFileSchema>;

export interface StateStoreOptions {
  readonly dir: string;
  readonly log: Logger;
  readonly fileName?: string;
}

const EMPTY: BoxState = { version: 1, mode: null, sections: {} };

export class StateStore {
  readonly #path: string;
  readonly #log: Logger;
  #state: BoxState = EMPTY;
  /** Writes are chained: each write sees every update made before it, and a burst collapses into few writes. */
  #writing: Promise<void> = Promise.resolve();
  #dirty = false;
  #started = false;

  constructor(options: StateStoreOptions) {
    this.#path = join(options.dir, options.fileName ?? 'state.json');
    this.#log = options.log.child({ component: 'state' });
  }

  get path(): string {
    return this.#path;
  }

  /** Loads the file; a missing file means defaults, a corrupt one is kept aside as .corrupt and defaults are used. */
  async start(): Promise<void> {
    this.#started = true;
    let text: string;
    try {
      text = await readFile(this.#path, 'utf8');
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code !== 'ENOENT') this.#log.warn({ err }, 'cannot read state file; starting from defaults');
      this.#state = structuredClone(EMPTY);
      return;
    }
    let parsed: BoxState | undefined;
    let problem = '';
    try {
      const r = stateFileSchema.safeParse(JSON.parse(text));
      if (r.success) parsed = r.data;
      else problem = r.error.issues.map((i) => `${i.path.join('.')}: ${i.message}`).join('; ');
    } catch (err) {
      problem = (err as Error).message;
    }
    if (parsed !== undefined) {
      this.#state = parsed;
      return;
    }
    const aside = `${this.#path}.corrupt`;
    await rename(this.#path, aside).catch(() => undefined);
    this.#log.error({ file: this.#path, keptAs: aside, problem }, 'state file is corrupt: kept aside, starting from defaults');
    this.#state = structuredClone(EMPTY);
  }

  /** Waits for pending writes. */
  async stop(): Promise<void> {
    await this.flush();
    this.#started = false;
  }

  get snapshot(): Readonly<BoxState> {
    return this.#state;
  }

  get mode(): string | null {
    return this.#state.mode;
  }

  setMode(name: string | null): Promise<void> {
    if (this.#state.mode === name) return this.#writing;
    this.#state = { ...this.#state, mode: name };
    return this.#scheduleWrite();
  }

  /** A domain's own section, validated by that domain's schema; invalid or absent -> fallback (logged when invalid). */
  section<T>(name: string, schema: z.ZodType<T>, fallback: T): T {
    const value = this.#state.sections[name];
    if (value === undefined) return fallback;
    const r = schema.safeParse(value);
    if (r.success) return r.data;
    this.#log.warn({ section: name, problem: r.error.message }, 'state section invalid; using defaults');
    return fallback;
  }

  setSection(name: string, value: unknown): Promise<void> {
    this.#state = { ...this.#state, sections: { ...this.#state.sections, [name]: structuredClone(value) } };
    return this.#scheduleWrite();
  }

  flush(): Promise<void> {
    return this.#writing;
  }

  #scheduleWrite(): Promise<void> {
    if (!this.#started) throw new Error('StateStore used before start()');
    if (this.#dirty) return this.#writing;
    this.#dirty = true;
    this.#writing = this.#writing.then(async () => {
      this.#dirty = false;
      try {
        await writeFileAtomic(this.#path, `${JSON.stringify(this.#state, null, 2)}\n`, 0o640);
      } catch (err) {
        this.#log.error({ err, file: this.#path }, 'cannot write state file');
      }
    });
    return this.#writing;
  }
}
