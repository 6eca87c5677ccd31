import { watch, type FSWatcher } from 'node:fs';
import { readFile } from 'node:fs/promises';
import { basename, dirname } from 'node:path';
import type { Logger } from '../log.js';
import { MidimonError, toMidimonError } from '../errors.js';
import type { ConfigStatus, ReloadResult } from '../control/protocol.js';
import { DEFAULT_CONFIG_TOML, ensureDefaultConfig } from './default-config.js';
import { diffConfig, type ConfigDiff } from './diff.js';
import type { ConfigIssue } from './issues.js';
import { hashText, loadConfigFile, validateConfigText, type LoadedConfig, type ValidateOptions } from './load.js';

export interface ConfigApplyContext {
  readonly next: LoadedConfig;
  readonly previous: LoadedConfig | undefined;
  readonly diff: ConfigDiff;
  /** 'start', 'file changed', 'SIGHUP', 'midimon reload', ... */
  readonly reason: string;
}

/**
 * Applies a validated config to the running box, in place: reopen only what
 * `diff` says changed. Throwing rejects the config (the previous one stays
 * "applied" and the error is recorded), so the hook should change nothing
 * before it knows it can change everything.
 */
export type ApplyHook = (ctx: ConfigApplyContext) => void | Promise<void>;

export interface RejectedConfig {
  readonly error: MidimonError;
  readonly at: Date;
  readonly reason: string;
}

export interface Timers {
  setTimeout(fn: () => void, ms: number): unknown;
  clearTimeout(handle: unknown): void;
}

export interface ConfigServiceOptions {
  readonly path: string;
  readonly log: Logger;
  readonly apply: ApplyHook;
  /** Watch the file's directory (default true). */
  readonly watch?: boolean;
  readonly debounceMs?: number;
  /** Write the commented default config when the file does not exist (default true). */
  readonly createDefault?: boolean;
  /** Validation options, re-read on every load (e.g. plugin names installed since). */
  readonly validateOptions?: () => ValidateOptions;
  readonly timers?: Timers;
  readonly now?: () => Date;
}

type Listener<T> = (value: T) => void;

const realTimers: Timers = { setTimeout: (fn, ms) => setTimeout(fn, ms), clearTimeout: (h) => clearTimeout(h as NodeJS.Timeout) };

/**
 * Owns the running config: loads it at start, reloads on file change
 * (debounced; the directory is watched so editors that save by rename work),
 * on SIGHUP and on `midimon reload` (both call `reload(reason)`). A bad edit
 * never replaces a good config: it is kept as `lastError` for status and the
 * display, and emitted as 'rejected'.
 */
export class ConfigService {
  readonly #opts: ConfigServiceOptions;
  readonly #log: Logger;
  readonly #timers: Timers;
  readonly #now: () => Date;
  #current: LoadedConfig | undefined;
  #appliedAt: Date | undefined;
  #lastError: RejectedConfig | undefined;
  #watcher: FSWatcher | undefined;
  #debounce: unknown;
  /** Reloads run one at a time; a request arriving while one waits joins it. */
  #running: Promise<unknown> = Promise.resolve();
  #queued: { promise: Promise<ReloadResult>; reasons: string[] } | undefined;
  readonly #onApplied = new Set<Listener<ConfigApplyContext>>();
  readonly #onRejected = new Set<Listener<RejectedConfig>>();

  constructor(options: ConfigServiceOptions) {
    this.#opts = options;
    this.#log = options.log.child({ component: 'config' });
    this.#timers = options.timers ?? realTimers;
    this.#now = options.now ?? (() => new Date());
  }

  get path(): string {
    return this.#opts.path;
  }

  /** The applied config (undefined only before start()). */
  get current(): LoadedConfig | undefined {
    return this.#current;
  }

  get lastError(): RejectedConfig | undefined {
    return this.#lastError;
  }

  onApplied(fn: Listener<ConfigApplyContext>): () => void {
    this.#onApplied.add(fn);
    return () => this.#onApplied.delete(fn);
  }

  onRejected(fn: Listener<RejectedConfig>): () => void {
    this.#onRejected.add(fn);
    return () => this.#onRejected.delete(fn);
  }

  /**
   * Loads and applies the config. A missing file gets the default written;
   * an invalid one leaves the box on the built-in default with the error
   * recorded, so the box still comes up and can say what is wrong.
   */
  async start(): Promise<LoadedConfig> {
    if (this.#opts.createDefault !== false) {
      try {
        if (await ensureDefaultConfig(this.#opts.path)) this.#log.info({ file: this.#opts.path }, 'no config found: wrote the default config');
      } catch (err) {
        this.#log.warn({ err, file: this.#opts.path }, 'no config found and the default cannot be written');
      }
    }
    const result = await this.reload('start');
    if (!result.applied && this.#current === undefined) {
      const text = DEFAULT_CONFIG_TOML;
      const v = await validateConfigText(text, '(built-in default)', { checkPluginFiles: false });
      if (!v.ok) throw new MidimonError('internal', 'the built-in default config is invalid', { details: { issues: v.issues } });
      const builtin: LoadedConfig = { config: v.config, path: this.#opts.path, hash: hashText(text), origin: 'builtin' };
      this.#log.warn({ file: this.#opts.path }, 'config unusable at start: running on the built-in default until it is fixed');
      await this.#apply(builtin, 'start (built-in default)');
    }
    if (this.#opts.watch !== false) this.#startWatching();
    if (this.#current === undefined) throw new MidimonError('internal', 'no config could be applied');
    return this.#current;
  }

  stop(): void {
    this.#watcher?.close();
    this.#watcher = undefined;
    if (this.#debounce !== undefined) this.#timers.clearTimeout(this.#debounce);
    this.#debounce = undefined;
  }

  /** Re-reads the file and applies it if valid and different. Never throws for a bad config. */
  reload(reason: string): Promise<ReloadResult> {
    if (this.#queued !== undefined) {
      this.#queued.reasons.push(reason);
      return this.#queued.promise;
    }
    const reasons = [reason];
    const promise = this.#running.then(() => {
      this.#queued = undefined;
      return this.#reloadNow(reasons.join(', '));
    });
    this.#queued = { promise, reasons };
    this.#running = promise.catch(() => undefined);
    return promise;
  }

  /** For `midimon status`: is the running config the file on disk? */
  async status(): Promise<ConfigStatus> {
    const disk = await readFile(this.#opts.path, 'utf8').then(hashText, () => null);
    const err = this.#lastError;
    return {
      path: this.#opts.path,
      applied_hash: this.#current?.hash ?? null,
      disk_hash: disk,
      up_to_date: disk !== null && this.#current?.origin === 'file' && this.#current.hash === disk,
      applied_origin: this.#current?.origin ?? null,
      applied_at: this.#appliedAt?.toISOString() ?? null,
      last_error:
        err === undefined
          ? null
          : { kind: err.error.kind, message: err.error.message, at: err.at.toISOString(), issues: (err.error.details?.['issues'] as ConfigIssue[] | undefined) ?? [] },
    };
  }

  async #reloadNow(reason: string): Promise<ReloadResult> {
    let next: LoadedConfig;
    try {
      next = await loadConfigFile(this.#opts.path, this.#opts.validateOptions?.() ?? {});
    } catch (err) {
      const error = toMidimonError(err, 'config_invalid');
      if (reason === 'file changed' && error.kind === 'not_found') {
        // Mid-save by an editor that moves the old file away first: its next event brings the new file.
        this.#log.debug({ file: this.#opts.path }, 'config file momentarily absent');
        return { applied: false, reason: 'invalid', error: this.#errorBody(error) };
      }
      this.#reject(error, reason);
      return { applied: false, reason: 'invalid', error: this.#errorBody(error) };
    }
    if (this.#current?.origin === 'file' && this.#current.hash === next.hash && this.#lastError === undefined) {
      this.#log.debug({ reason }, 'config unchanged');
      return { applied: false, reason: 'unchanged', hash: next.hash };
    }
    try {
      const diff = await this.#apply(next, reason);
      return { applied: true, changed: diff.keys, hash: next.hash };
    } catch (err) {
      const error = toMidimonError(err);
      this.#reject(error, reason);
      return { applied: false, reason: 'apply_failed', error: this.#errorBody(error) };
    }
  }

  async #apply(next: LoadedConfig, reason: string): Promise<ConfigDiff> {
    const previous = this.#current;
    const diff = diffConfig(previous?.config, next.config);
    const ctx: ConfigApplyContext = { next, previous, diff, reason };
    await this.#opts.apply(ctx);
    this.#current = next;
    this.#appliedAt = this.#now();
    // The built-in fallback does not fix the file: its error stays visible.
    if (next.origin === 'file') this.#lastError = undefined;
    this.#log.info({ reason, hash: next.hash, changed: diff.keys }, 'config applied');
    for (const fn of this.#onApplied) fn(ctx);
    return diff;
  }

  #reject(error: MidimonError, reason: string): void {
    const rejected: RejectedConfig = { error, at: this.#now(), reason };
    this.#lastError = rejected;
    this.#log.error({ reason, kind: error.kind, issues: error.details?.['issues'] }, `config rejected, keeping the running config: ${error.message}`);
    for (const fn of this.#onRejected) fn(rejected);
  }

  #errorBody(error: MidimonError) {
    return { kind: error.kind, message: error.message, issues: (error.details?.['issues'] as ConfigIssue[] | undefined) ?? [] };
  }

  /** The directory, not the file: a rename-over replaces the inode a file watch would follow. */
  #startWatching(): void {
    const name = basename(this.#opts.path);
    try {
      this.#watcher = watch(dirname(this.#opts.path), { persistent: false }, (_event, filename) => {
        if (filename !== null && filename !== name) return;
        this.#schedule();
      });
      this.#watcher.on('error', (err) => this.#log.warn({ err }, 'config watch failed; reload with SIGHUP or midimon reload'));
    } catch (err) {
      this.#log.warn({ err }, 'cannot watch the config directory; reload with SIGHUP or midimon reload');
    }
  }

  #schedule(): void {
    if (this.#debounce !== undefined) this.#timers.clearTimeout(this.#debounce);
    this.#debounce = this.#timers.setTimeout(() => {
      this.#debounce = undefined;
      void this.reload('file changed');
    }, this.#opts.debounceMs ?? 100);
  }
}
