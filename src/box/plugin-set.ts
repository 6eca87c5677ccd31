import { z } from 'zod';
import type { BoxConfig, PluginConfig } from '../config/schema.js';
import { resolvePluginPath } from '../config/load.js';
import { MidimonError, toMidimonError } from '../errors.js';
import type { Logger } from '../log.js';
import { PROFILES, defaultProfile } from '../plugins/limits.js';
import type { PluginHost } from '../plugins/host.js';
import type { Capability, Lane, PluginLimits, PluginState, ProfileName } from '../plugins/types.js';
import type { StateStore } from '../state/state-store.js';
import { verifySignature } from '../usb/installer.js';
import { readFile } from 'node:fs/promises';
import type { KeyObject } from 'node:crypto';
import type { Problems } from './problems.js';

/** One plugin as `midimon status`, the menu and the OLED see it. */
export interface PluginEntry {
  readonly name: string;
  readonly enabled: boolean;
  readonly loaded: boolean;
  readonly lane: Lane;
  readonly version?: string;
  readonly requested: readonly Capability[];
  readonly granted: readonly Capability[];
  /** Declared but never granted on this box (desktop MIDIMon's audio, systemcontrol). */
  readonly unavailable?: readonly string[];
  readonly error?: string;
  /** The host's view of a loaded plugin: ready, respawning (being reloaded), failed (reloads kept failing). */
  readonly state?: PluginState;
}

/** A plugin installed from a USB stick into the state directory. */
export interface InstalledEntry {
  readonly name: string;
  readonly version: string;
  readonly wasmPath: string;
}

/** Enable/disable from the menu or CLI overrides the config's `enabled`, and survives restarts. */
const overridesSchema = z.record(z.string(), z.boolean());
const SECTION = 'plugin-enabled';

/**
 * Keeps the plugin host in line with the config: loads what is configured
 * and enabled, unloads what is not, reloads only plugins whose entry changed.
 * A plugin that fails to load is reported (OLED banner, status) and the rest
 * of the box runs on.
 */
export class PluginSet {
  readonly #host: PluginHost;
  readonly #log: Logger;
  readonly #state: StateStore;
  readonly #problems: Problems;
  readonly #now: () => number;
  readonly #trustedKeys: () => Promise<readonly KeyObject[]>;
  #config: BoxConfig | undefined;
  #configPath = '';
  /** Plugins installed from USB sticks (state dir); the config's entry for the same name wins. */
  #installed: readonly InstalledEntry[] = [];
  /** JSON of the config entry each loaded plugin was loaded with. */
  readonly #loadedWith = new Map<string, string>();
  readonly #errors = new Map<string, string>();
  #queue: Promise<void> = Promise.resolve();

  readonly #onReset: (name: string) => void;

  constructor(options: {
    host: PluginHost;
    log: Logger;
    state: StateStore;
    problems: Problems;
    trustedKeys: () => Promise<readonly KeyObject[]>;
    now?: () => number;
    /** The plugin's instance was unloaded or replaced (the engine ends the notes it held). */
    onReset?: (name: string) => void;
  }) {
    this.#onReset = options.onReset ?? (() => undefined);
    this.#host = options.host;
    this.#trustedKeys = options.trustedKeys;
    this.#log = options.log.child({ component: 'plugin-set' });
    this.#state = options.state;
    this.#problems = options.problems;
    this.#now = options.now ?? Date.now;
  }

  /** Applies a config; loads run one at a time so a reload never races a menu toggle. */
  apply(config: BoxConfig, configPath: string): Promise<void> {
    this.#config = config;
    this.#configPath = configPath;
    return this.#serial(() => this.#reconcile());
  }

  /** Replaces the list of stick-installed plugins and loads/unloads to match. */
  setInstalled(installed: readonly InstalledEntry[]): Promise<void> {
    this.#installed = installed;
    // A re-installed build keeps its path (so its fingerprint): forget it so the new file loads.
    for (const p of installed) if (this.#config?.plugins[p.name] === undefined) this.#loadedWith.delete(p.name);
    return this.#serial(() => this.#reconcile());
  }

  installedNames(): string[] {
    return this.#installed.map((p) => p.name);
  }

  #all(): Readonly<Record<string, PluginConfig>> {
    const out: Record<string, PluginConfig> = {};
    for (const p of this.#installed) out[p.name] = { path: p.wasmPath, enabled: true, capabilities: [], signature: 'if-present', lane: 'isolated' };
    return { ...out, ...(this.#config?.plugins ?? {}) };
  }

  list(): PluginEntry[] {
    const config = this.#config;
    if (config === undefined) return [];
    return Object.keys(this.#all()).map((name) => this.entry(name));
  }

  entry(name: string): PluginEntry {
    const loaded = this.#host.get(name);
    const error = this.#errors.get(name);
    const state = loaded === undefined ? undefined : this.#host.status().find((s) => s.name === name)?.state;
    return {
      name,
      enabled: this.#enabled(name),
      loaded: loaded !== undefined,
      lane: loaded?.lane ?? this.#configured(name).lane,
      ...(loaded === undefined ? {} : { version: loaded.metadata.version }),
      requested: loaded?.requested ?? [],
      granted: loaded?.granted ?? this.#configured(name).capabilities,
      ...(loaded?.metadata.unavailable === undefined ? {} : { unavailable: loaded.metadata.unavailable }),
      ...(error === undefined ? {} : { error }),
      ...(state === undefined ? {} : { state }),
    };
  }

  async setEnabled(name: string, enabled: boolean): Promise<PluginEntry> {
    this.#configured(name);
    const overrides = { ...this.#overrides(), [name]: enabled };
    await this.#state.setSection(SECTION, overrides);
    await this.#serial(() => this.#reconcile());
    return this.entry(name);
  }

  /** Grants persist per plugin name + SHA-256 (the host's grants store); the plugin is reloaded to link them. */
  async setGrant(name: string, capability: Capability, granted: boolean): Promise<PluginEntry> {
    const entry = this.#configured(name);
    if (this.#host.get(name) === undefined) {
      throw new MidimonError('not_found', `plugin '${name}' is not loaded, so there is no build to grant ${capability} to${this.#errors.has(name) ? `: ${this.#errors.get(name) ?? ''}` : ''}`);
    }
    if (!granted && entry.capabilities.includes(capability)) {
      throw new MidimonError('permission_denied', `${capability} is granted to '${name}' in ${this.#configPath} ([plugins.${name}].capabilities): remove it there`);
    }
    if (granted) await this.#host.grant(name, capability);
    else await this.#host.revoke(name, capability);
    // The host links grants at instantiation: load again so the change takes effect now.
    this.#loadedWith.delete(name);
    await this.#serial(() => this.#reconcile());
    return this.entry(name);
  }

  stop(): Promise<void> {
    return this.#queue;
  }

  #configured(name: string): PluginConfig {
    const entry = this.#all()[name];
    if (entry === undefined) throw new MidimonError('not_found', `no plugin named '${name}' in ${this.#configPath || 'the config'}`);
    return entry;
  }

  #overrides(): Record<string, boolean> {
    return this.#state.section(SECTION, overridesSchema, {});
  }

  #enabled(name: string): boolean {
    return this.#overrides()[name] ?? this.#all()[name]?.enabled ?? false;
  }

  #serial(job: () => Promise<void>): Promise<void> {
    const run = this.#queue.then(job, job);
    this.#queue = run.catch(() => undefined);
    return run;
  }

  async #reconcile(): Promise<void> {
    const config = this.#config;
    if (config === undefined) return;
    const plugins = this.#all();
    for (const name of [...this.#loadedWith.keys()]) {
      if (plugins[name] === undefined || !this.#enabled(name)) {
        await this.#host.unload(name);
        this.#loadedWith.delete(name);
        this.#onReset(name);
        this.#log.info({ plugin: name }, plugins[name] === undefined ? 'plugin removed from config: unloaded' : 'plugin disabled: unloaded');
      }
    }
    for (const name of [...this.#errors.keys()]) {
      if (plugins[name] === undefined || !this.#enabled(name)) {
        this.#errors.delete(name);
        this.#problems.resolve(`plugin:${name}`);
      }
    }
    for (const [name, entry] of Object.entries(plugins)) {
      if (!this.#enabled(name)) continue;
      const fingerprint = JSON.stringify({ entry, profile: config.limits.profile });
      if (this.#loadedWith.get(name) === fingerprint) continue;
      await this.#load(name, entry, config.limits.profile, fingerprint);
    }
  }

  async #load(name: string, entry: PluginConfig, boxProfile: BoxConfig['limits']['profile'], fingerprint: string): Promise<void> {
    const path = resolvePluginPath(this.#configPath, entry.path);
    try {
      const bytes = await readPluginFile(path);
      // [plugins.NAME] signature: "required" refuses an unsigned file, "if-present" checks NAME.wasm.sig when there is one.
      await verifySignature(`${path}.sig`, bytes, name, { signature: entry.signature, trustedKeys: this.#trustedKeys });
      await this.#host.load(name, { bytes }, { limits: limitsFor(entry, boxProfile), grants: entry.capabilities, lane: entry.lane });
      this.#onReset(name);
      this.#loadedWith.set(name, fingerprint);
      this.#errors.delete(name);
      this.#problems.resolve(`plugin:${name}`);
    } catch (err) {
      const e = toMidimonError(err);
      // Keep the previous build running if there was one (the host replaces only on success).
      this.#errors.set(name, `${e.kind}: ${e.message}`);
      this.#log.error({ plugin: name, path, kind: e.kind, err: e.message }, 'plugin failed to load');
      this.#problems.report({ key: `plugin:${name}`, at: this.#now(), severity: 'error', kind: e.kind, message: `plugin ${name}: ${e.message}`, source: path });
    }
  }
}

/** The config's per-plugin profile and overrides as host limits. */
export function limitsFor(entry: PluginConfig, boxProfile: BoxConfig['limits']['profile']): Partial<PluginLimits> {
  const choice = entry.profile ?? boxProfile;
  const profile: ProfileName = choice === 'auto' ? defaultProfile() : choice;
  const limits: { -readonly [K in keyof PluginLimits]?: PluginLimits[K] } = { ...PROFILES[profile] };
  if (entry.fuel !== undefined) limits.fuelPerExecute = entry.fuel;
  if (entry.init_fuel !== undefined) limits.fuelPerInit = entry.init_fuel;
  if (entry.memory_mb !== undefined) limits.memoryBytes = entry.memory_mb * 1024 * 1024;
  if (entry.timeout_ms !== undefined) limits.timeoutMs = entry.timeout_ms;
  return limits;
}

async function readPluginFile(path: string): Promise<Uint8Array> {
  try {
    return await readFile(path);
  } catch (err) {
    throw new MidimonError('not_found', `cannot read ${path}: ${(err as Error).message}`, { details: { file: path } });
  }
}
