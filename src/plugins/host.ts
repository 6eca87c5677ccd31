import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { setFlagsFromString } from 'node:v8';
import { MidimonError } from '../errors.js';
import type { Logger } from '../log.js';
import { GrantStore } from './grants.js';
import { InlineLane } from './lanes/inline-lane.js';
import { REALTIME_INSTANTIATE_MS, REALTIME_OVERRUN_MS, defaultProfile, realtimeLimits, resolveLimits } from './limits.js';
import { PLUGIN_NAME, validateMetadata } from './runtime/metadata.js';
import { PluginProcess, ProcessLane } from './lanes/process-lane.js';
import type { CompiledPlugin, LoadSource, LogMessage } from './lanes/protocol.js';
import { buildRequest } from './runtime/request.js';
import { forEachHostCall, type HostCallBatch } from './lanes/send-batch.js';
import {
  DEFAULT_GRANTS, codeMeaning, type Capability, type ExecuteContext, type ExecuteResult, type HostCallHandler, type PluginExecutor,
  type HostCall, type JsonValue, type Lane, type LoadedPlugin, type PluginFault, type PluginLimits, type PluginState, type PluginStatus, type ProfileName,
} from './types.js';
import { realScheduler, type Scheduler } from '../util/scheduler.js';
import { COMPILE_TIMEOUT_MS, PluginWorker, type PluginLane, type RespawnReason, type WorkerOutcome } from './lanes/worker-client.js';
import { WorkerPool } from './lanes/worker-pool.js';

export type { Capability, ExecuteContext, ExecuteResult, HostCall, HostCallHandler, JsonValue, Lane, LoadedPlugin, PluginExecutor, PluginFault, PluginLimits, PluginStatus } from './types.js';

// V8 compiles wasm functions lazily, on the thread that first calls them: in the realtime lane that
// would be the MIDI thread (3.2 ms for one 600 KB function here, 0.15 ms eager). Eager compilation
// puts all of it in the compiler worker. The flag is process-wide and read at each compile.
setFlagsFromString('--no-wasm-lazy-compilation');

/** A realtime plugin that fails this often within REALTIME_FAULT_WINDOW_MS moves to its own thread. */
export const REALTIME_FAULTS_TO_ISOLATE = 3;
export const REALTIME_FAULT_WINDOW_MS = 60_000;

/**
 * Reloading a plugin whose thread or process was replaced: the first attempt at once, then after
 * these delays while attempts keep failing; after the last one the plugin is marked failed.
 */
export const RELOAD_BACKOFF_MS: readonly number[] = [1000, 2000, 4000, 8000];

/**
 * Isolation when the caller does not choose: the supervised plugin process, so that a fatal V8 error
 * in plugin code never stops MIDI (docs/decisions.md). One-shot CLI runs pass 'thread'.
 */
export const DEFAULT_ISOLATION: 'process' | 'thread' = 'process';

/** Largest plugin file accepted (the guide's plugins are 300 B - 1 MB). */
export const MAX_PLUGIN_BYTES = 32 * 1024 * 1024;

export interface PluginHostOptions {
  readonly log: Logger;
  /** Holds grants.json and plugin-data/<name>/. */
  readonly stateDir: string;
  /** Default: by architecture (arm/arm64 -> pi). */
  readonly profile?: ProfileName;
  /** Overrides for every plugin (per-plugin ones go to load()). */
  readonly limits?: Partial<PluginLimits>;
  /** Grants from the config file, by plugin name (in addition to grants.json). */
  readonly grants?: Readonly<Record<string, readonly Capability[]>>;
  /** midimon.* host calls, in the order the plugin made them, after the fact. */
  readonly onHostCall?: HostCallHandler;
  /** Keep one pre-booted worker so loads and respawns skip thread start-up (default true; the CLI turns it off). */
  readonly spareWorker?: boolean;
  /** Monotonic milliseconds for timing realtime calls (REALTIME_OVERRUN_MS); default performance.now. Tests pass a fake. */
  readonly clock?: () => number;
  /**
   * Where isolated plugins' threads live. `process`: in one supervised child process, so that a
   * fatal V8 error in plugin code cannot stop this one. `thread`: in this process (one-shot CLI
   * runs, where there is no MIDI to protect, and the bench's side-by-side figure). Default: DEFAULT_ISOLATION.
   */
  readonly isolation?: 'process' | 'thread';
  /** A plugin's instance was lost (timeout, crash, its process died) or the host gave up on it. */
  readonly onPluginFault?: (plugin: string, fault: PluginFault) => void;
  /** Timers for reload back-off (a fake one in tests). */
  readonly scheduler?: Scheduler;
}

export type PluginSource = { readonly path: string } | { readonly bytes: Uint8Array };

export interface LoadOptions {
  readonly limits?: Partial<PluginLimits>;
  /** Extra grants for this plugin (from its config entry). */
  readonly grants?: readonly Capability[];
  /** Default `isolated` (own worker thread); see Lane. */
  readonly lane?: Lane;
}

interface Entry {
  info: LoadedPlugin;
  lane: PluginLane;
  /** When the realtime lane's recent calls failed or overran (see REALTIME_FAULTS_TO_ISOLATE). */
  realtimeFaults: number[];
  /** Set by the realtime lane when the current call overran REALTIME_OVERRUN_MS. */
  overran: boolean;
  /** Builds the isolated lane for this plugin (used when a realtime plugin keeps failing). */
  readonly makeIsolated: () => PluginLane;
  readonly bytes: Uint8Array;
  /** Compiled in this process, for lanes in it (realtime, or isolation 'thread'); the plugin process compiles its own. */
  compiled: CompiledPlugin | undefined;
  readonly configGrants: readonly Capability[];
  queue: Promise<unknown>;
  needsReload: boolean;
  /** A reload is running (a respawn it causes must not schedule another). */
  reloading: boolean;
  /** Reloads failed in a row; reset by a good one. */
  reloadFailures: number;
  /** Pending back-off timer before the next reload attempt. */
  reloadTimer: unknown;
  state: PluginState;
  calls: number;
  errors: number;
  lastError?: { kind: string; message: string };
}

/**
 * Runs MIDIMon WASM plugins under fuel, memory, stack and wall-clock limits,
 * each in its own warm worker thread (isolated lane) or, when asked, on the
 * calling thread with capped fuel (realtime lane, see InlineLane). Nothing a
 * plugin does rejects a promise; an isolated plugin never blocks the caller's
 * event loop, a realtime one at most until its capped fuel runs out.
 * execute() always resolves with a result; after any failure the plugin's
 * next call gets a fresh instance.
 */
export class PluginHost implements PluginExecutor {
  readonly #opts: PluginHostOptions;
  readonly #log: Logger;
  readonly #profile: ProfileName;
  readonly #grants: GrantStore;
  readonly #plugins = new Map<string, Entry>();
  readonly #pool: WorkerPool;
  readonly #scheduler: Scheduler;
  readonly #process: PluginProcess | undefined;
  #compiler: PluginWorker | undefined;
  #compileQueue: Promise<unknown> = Promise.resolve();
  #started: Promise<void> | undefined;

  constructor(options: PluginHostOptions) {
    this.#opts = options;
    this.#log = options.log.child({ component: 'plugins' });
    this.#profile = options.profile ?? defaultProfile();
    this.#grants = new GrantStore(options.stateDir, this.#log);
    this.#scheduler = options.scheduler ?? realScheduler;
    const inProcess = (options.isolation ?? DEFAULT_ISOLATION) === 'thread';
    // With the plugin process, this one only runs the compiler worker (for realtime plugins): no spares.
    this.#pool = new WorkerPool(inProcess && (options.spareWorker ?? true));
    this.#process = inProcess ? undefined : new PluginProcess({ log: this.#log, profile: this.#profile, spareWorker: options.spareWorker ?? true });
  }

  /** The plugin process (isolation 'process'): its pid and how many times it was started. */
  processInfo(): { readonly pid: number | undefined; readonly generation: number } | undefined {
    return this.#process === undefined ? undefined : { pid: this.#process.pid, generation: this.#process.generation };
  }

  /**
   * Test hook: the plugin's worker provokes a real V8 fatal error (heap limit, SIGABRT of its
   * process). Ignored unless the plugin process was started with PLUGIN_PROCESS_TEST_HOOKS=1 in its
   * environment; no config, CLI or control command reaches it.
   */
  testProvokeFatal(name: string): void {
    const lane = this.#plugins.get(name)?.lane;
    if (lane instanceof ProcessLane) lane.testFatal();
  }

  get profile(): ProfileName {
    return this.#profile;
  }

  /** Reads the grants store and boots a spare worker. load() calls it if you did not. */
  start(): Promise<void> {
    if (this.#started === undefined) {
      if (this.#process === undefined) this.#pool.prewarm(resolveLimits(this.#profile, this.#opts.limits));
      // The plugin process boots while the caller reads its config: the first isolated load does not wait for all of it.
      else if (this.#opts.spareWorker ?? true) this.#process.prewarm();
      this.#started = this.#grants.load();
    }
    return this.#started;
  }

  /**
   * Reads, checksums, checks, instruments, compiles and initialises a plugin
   * in a new worker. Rejects with a MidimonError of a load kind
   * (invalid_module, missing_export, bad_signature, forbidden_import,
   * memory_too_large, bad_metadata, bad_pointer, out_of_fuel, timeout, ...).
   * A plugin already loaded under `name` is replaced only if the new one loads.
   */
  async load(name: string, source: PluginSource, options: LoadOptions = {}): Promise<LoadedPlugin> {
    const t0 = performance.now();
    if (!PLUGIN_NAME.test(name)) throw new MidimonError('bad_request', `plugin name '${name}' must match [A-Za-z0-9][A-Za-z0-9_.-]*`);
    await this.start();
    const bytes = 'bytes' in source ? source.bytes : await readPlugin(source.path);
    if (bytes.length > MAX_PLUGIN_BYTES) throw new MidimonError('invalid_module', `plugin is ${bytes.length} bytes, the limit is ${MAX_PLUGIN_BYTES}`);
    // WebCrypto hashes off the main thread.
    const sha256 = Buffer.from(await crypto.subtle.digest('SHA-256', bytes)).toString('hex');
    const laneName = options.lane ?? 'isolated';
    const resolved = resolveLimits(this.#profile, this.#opts.limits, options.limits);
    const limits = laneName === 'realtime' ? realtimeLimits(resolved) : resolved;
    const configGrants = [...(this.#opts.grants?.[name] ?? []), ...(options.grants ?? [])];
    if (laneName === 'realtime' && configGrants.includes('Filesystem')) throw realtimeFilesystem(name);
    const log = this.#log.child({ plugin: name });
    const granted = this.#effectiveGrants(name, sha256, configGrants, laneName);
    if (laneName === 'realtime' && this.#grants.get(name, sha256).includes('Filesystem')) {
      log.warn('stored Filesystem grant not linked: a realtime plugin must not do file I/O on the MIDI thread');
    }
    let entry: Entry | undefined;
    const onHostCall = (call: HostCall): void => this.#opts.onHostCall?.(name, call);
    // Per call into the plugin, the main thread's work is bounded by HOST_CALLS_PER_EXECUTE / HOST_BYTES_PER_EXECUTE.
    const onHostCalls = (batch: HostCallBatch): void => {
      if (this.#opts.onHostCall !== undefined) forEachHostCall(batch, onHostCall);
    };
    const onLog = (m: LogMessage): void => log[m.level](m.fields, m.msg);
    const hooks = {
      onHostCalls,
      onLog,
      onRespawn: (reason: RespawnReason) => {
        if (entry !== undefined && this.#plugins.get(name) === entry) this.#respawned(entry, reason);
      },
    };
    const makeIsolated = (): PluginLane => this.#process?.lane(hooks) ?? new PluginWorker(limits, hooks, log, this.#pool);
    const onOverrun = (): void => {
      if (entry !== undefined) entry.overran = true;
    };
    let lane: PluginLane = laneName === 'realtime'
      ? new InlineLane({ onHostCalls, onLog, onOverrun, overrunMs: REALTIME_OVERRUN_MS, ...(this.#opts.clock === undefined ? {} : { clock: this.#opts.clock }) })
      : makeIsolated();
    let compiled: CompiledPlugin | undefined;
    try {
      // A lane in this process gets a module compiled here (off-thread); the plugin process compiles its own.
      if (!(lane instanceof ProcessLane)) compiled = await this.#compile(bytes, limits);
    } catch (err) {
      await lane.stop();
      throw err;
    }
    const request = { t: 'load' as const, name, limits, granted, dataDir: this.#dataDir(name, granted) };
    let runsIn: Lane = laneName;
    let outcome: WorkerOutcome | undefined;
    if (laneName === 'realtime') {
      // Instantiation is not metered: it first runs (with start and init) in a worker, under the wall clock.
      const trial = makeIsolated();
      const t = await trial.call({ ...request, source: loadSource(trial, bytes, compiled), measure: true }, limits.timeoutMs, COMPILE_TIMEOUT_MS);
      const us = t.t === 'response' && t.response.t === 'loaded' ? (t.response.instantiateMicros ?? 0) : 0;
      if (t.t === 'response' && t.response.t === 'loaded' && us > REALTIME_INSTANTIATE_MS * 1000) {
        await lane.stop();
        lane = trial;
        runsIn = 'isolated';
        outcome = t;
        log.warn(
          { instantiateMicros: us, limitMs: REALTIME_INSTANTIATE_MS },
          `instantiating the plugin took ${(us / 1000).toFixed(1)} ms in a worker, more than the realtime lane's ${REALTIME_INSTANTIATE_MS} ms: it runs in its own thread (isolated lane)`,
        );
      } else {
        await trial.stop();
        if (t.t !== 'response' || t.response.t !== 'loaded') outcome = t;
      }
    }
    outcome ??= await lane.call({ ...request, source: loadSource(lane, bytes, compiled) }, limits.timeoutMs, COMPILE_TIMEOUT_MS);
    if (outcome.t !== 'response' || outcome.response.t !== 'loaded') {
      await lane.stop();
      throw outcomeError(outcome, limits.timeoutMs, 'load');
    }
    const res = outcome.response;
    const metadata = validateMetadata(res.metadata);
    const requested = metadata.capabilities;
    const denied = requested.filter((c) => !granted.includes(c));
    for (const cap of denied) log.warn({ capability: cap }, `plugin requests ${cap}, which is not granted: calls needing it will fail with a permission error`);
    if (metadata.name !== name) log.info({ metadataName: metadata.name }, 'plugin metadata name differs from its configured name');
    const info: LoadedPlugin = {
      name, metadata, sha256, size: bytes.length, requested, granted, denied, limits, lane: runsIn,
      initFuel: res.fuel, initMicros: res.micros, loadMicros: Math.round((performance.now() - t0) * 1000),
    };
    entry = {
      info, lane, realtimeFaults: [], overran: false, makeIsolated, bytes, compiled, configGrants, queue: Promise.resolve(),
      needsReload: false, reloading: false, reloadFailures: 0, reloadTimer: undefined, state: 'ready', calls: 0, errors: 0,
    };
    const old = this.#plugins.get(name);
    this.#plugins.set(name, entry);
    if (old !== undefined) await this.#dispose(old);
    log.info({ version: metadata.version, sha256, granted, lane: runsIn, fuel: res.fuel, micros: res.micros }, 'plugin loaded');
    return info;
  }

  /** Runs one action. Never rejects for plugin faults: see ExecuteResult. */
  execute(name: string, action: string, context: ExecuteContext = {}, params?: Readonly<Record<string, JsonValue>>): Promise<ExecuteResult> {
    const entry = this.#plugins.get(name);
    if (entry === undefined) {
      return Promise.resolve({ status: 'error', error: new MidimonError('not_found', `no plugin named '${name}' is loaded`), fuel: 0, fuelTotal: 0, micros: 0 });
    }
    const request = buildRequest(action, context, params);
    return this.#enqueue(entry, async () => {
      entry.calls += 1;
      if (entry.state === 'failed' || entry.reloadTimer !== undefined) {
        // Failed, or backing off between reload attempts: no reload per call (a note flood must not drive a reload loop).
        return this.#failed(entry, this.#unavailable(entry), { fuel: 0, fuelTotal: 0, micros: 0 });
      }
      if (entry.needsReload) {
        const err = await this.#reload(entry);
        if (err !== undefined) return this.#failed(entry, err, { fuel: 0, fuelTotal: 0, micros: 0 });
      }
      entry.overran = false;
      const outcome = await entry.lane.call({ t: 'execute', request }, entry.info.limits.timeoutMs);
      const live = entry.info.lane === 'realtime' && this.#plugins.get(entry.info.name) === entry;
      if (outcome.t === 'response' && outcome.response.t === 'executed') {
        const r = outcome.response;
        if (live && entry.overran) this.#realtimeFault(entry, 'overran');
        return { status: 'returned', code: r.code, meaning: codeMeaning(r.code), fuel: r.fuel, fuelTotal: r.fuelTotal, micros: r.micros };
      }
      const cost = outcome.t === 'response' && outcome.response.t === 'failed' ? outcome.response : { fuel: 0, fuelTotal: 0, micros: entry.info.limits.timeoutMs * 1000 };
      const result = this.#failed(entry, outcomeError(outcome, entry.info.limits.timeoutMs, 'execute'), cost);
      // Only the plugin's own faults count, and only while this entry is the live one (not after unload/replace).
      const ownFault = outcome.t === 'response';
      if (live && (ownFault || entry.overran)) this.#realtimeFault(entry, entry.overran ? 'overran' : 'failed');
      return result;
    });
  }

  /**
   * Each failure in the realtime lane costs the MIDI thread up to the capped
   * fuel plus a fresh instance's init on the next call, and a call that
   * overran REALTIME_OVERRUN_MS held it longer than fuel allows for; a plugin
   * that keeps failing or overrunning is moved to its own thread (until it is
   * loaded again).
   */
  #realtimeFault(entry: Entry, reason: 'failed' | 'overran'): void {
    const now = performance.now();
    entry.realtimeFaults = [...entry.realtimeFaults.filter((t) => now - t < REALTIME_FAULT_WINDOW_MS), now];
    if (entry.realtimeFaults.length < REALTIME_FAULTS_TO_ISOLATE) return;
    const inline = entry.lane;
    entry.lane = entry.makeIsolated();
    entry.info = { ...entry.info, lane: 'isolated' };
    entry.realtimeFaults = [];
    void inline.stop();
    this.#log.warn(
      { plugin: entry.info.name, faults: REALTIME_FAULTS_TO_ISOLATE, windowMs: REALTIME_FAULT_WINDOW_MS, overrunMs: REALTIME_OVERRUN_MS, last: reason },
      `plugin failed or overran ${REALTIME_OVERRUN_MS} ms ${REALTIME_FAULTS_TO_ISOLATE} times within ${REALTIME_FAULT_WINDOW_MS / 1000} s in the realtime lane (last call: ${reason}): moved to its own thread (isolated lane) until it is loaded again`,
    );
    // Load the plugin into its new lane before the next call runs.
    this.#scheduleReload(entry, 0);
  }

  /** Grants a capability to this build (name + SHA-256) of a loaded plugin; persisted; effective from its next instance. */
  grant(name: string, cap: Capability): Promise<readonly Capability[]> {
    return this.#changeGrant(name, cap, true);
  }

  /** Revokes a stored grant (grants from the config file stay until the config changes). */
  revoke(name: string, cap: Capability): Promise<readonly Capability[]> {
    return this.#changeGrant(name, cap, false);
  }

  get(name: string): LoadedPlugin | undefined {
    return this.#plugins.get(name)?.info;
  }

  status(): PluginStatus[] {
    return [...this.#plugins.values()].map((e) => ({
      name: e.info.name,
      state: e.state,
      lane: e.info.lane,
      version: e.info.metadata.version,
      sha256: e.info.sha256,
      requested: e.info.requested,
      granted: e.info.granted,
      calls: e.calls,
      errors: e.errors,
      ...(e.lastError === undefined ? {} : { lastError: e.lastError }),
    }));
  }

  async unload(name: string): Promise<void> {
    const entry = this.#plugins.get(name);
    if (entry === undefined) return;
    this.#plugins.delete(name);
    await this.#dispose(entry);
  }

  async stop(): Promise<void> {
    await Promise.all([...this.#plugins.keys()].map((n) => this.unload(n)));
    await this.#compiler?.stop();
    this.#compiler = undefined;
    await this.#process?.stop();
    await this.#pool.stop();
  }

  async #dispose(entry: Entry): Promise<void> {
    if (entry.reloadTimer !== undefined) this.#scheduler.clearTimeout(entry.reloadTimer);
    entry.reloadTimer = undefined;
    await entry.lane.stop();
  }

  /**
   * Checks, instruments and compiles in one long-lived compiler worker: its
   * JIT stays warm (a cold instrumenter takes ~100 ms on a 100 KB plugin, a
   * warm one ~5 ms) and the main thread only receives the compiled module.
   */
  #compile(bytes: Uint8Array, limits: PluginLimits): Promise<CompiledPlugin> {
    const compiler = (this.#compiler ??= new PluginWorker(
      { ...resolveLimits(this.#profile, this.#opts.limits), stackSizeMb: 4, heapMb: 256 },
      { onHostCalls: () => undefined, onLog: (m) => this.#log[m.level](m.fields, m.msg), onRespawn: () => undefined },
      this.#log.child({ worker: 'compiler' }),
      this.#pool,
      false,
    ));
    const job = async (): Promise<CompiledPlugin> => {
      const outcome = await compiler.call({ t: 'compile', bytes, limits }, COMPILE_TIMEOUT_MS);
      if (outcome.t === 'response' && outcome.response.t === 'compiled') return outcome.response.compiled;
      throw outcomeError(outcome, COMPILE_TIMEOUT_MS, 'load');
    };
    const run = this.#compileQueue.then(job, job);
    this.#compileQueue = run.catch(() => undefined);
    return run;
  }

  #effectiveGrants(name: string, sha256: string, configGrants: readonly Capability[], lane: Lane): Capability[] {
    const revoked = this.#grants.revoked(name, sha256);
    const defaults = DEFAULT_GRANTS.filter((c) => !revoked.includes(c));
    const all = [...new Set([...defaults, ...this.#grants.get(name, sha256), ...configGrants])].sort();
    return lane === 'realtime' ? all.filter((c) => c !== 'Filesystem') : all;
  }

  /** Per-plugin directory: unrelated plugins never share one. */
  #dataDir(name: string, granted: readonly Capability[]): string | null {
    return granted.includes('Filesystem') ? join(this.#opts.stateDir, 'plugin-data', name) : null;
  }

  async #changeGrant(name: string, cap: Capability, add: boolean): Promise<readonly Capability[]> {
    const entry = this.#plugins.get(name);
    if (entry === undefined) throw new MidimonError('not_found', `no plugin named '${name}' is loaded`);
    if (add && cap === 'Filesystem' && entry.info.lane === 'realtime') throw realtimeFilesystem(name);
    await this.start();
    const { sha256 } = entry.info;
    const stored = this.#grants.get(name, sha256).filter((c) => c !== cap);
    // A default grant (Midi) is taken back by recording it as revoked; granting it again clears that.
    const revoked = this.#grants.revoked(name, sha256).filter((c) => c !== cap);
    await this.#grants.set(name, sha256, add ? [...stored, cap] : stored, !add && DEFAULT_GRANTS.includes(cap) ? [...revoked, cap] : revoked);
    const granted = this.#effectiveGrants(name, sha256, entry.configGrants, entry.info.lane);
    entry.info = { ...entry.info, granted, denied: entry.info.requested.filter((c) => !granted.includes(c)) };
    this.#log.info({ plugin: name, capability: cap, granted }, add ? 'capability granted' : 'capability revoked');
    await this.#enqueue(entry, async () => {
      if (!entry.needsReload) await entry.lane.call({ t: 'grants', granted, dataDir: this.#dataDir(name, granted) }, entry.info.limits.timeoutMs);
    });
    return granted;
  }

  #enqueue<T>(entry: Entry, job: () => Promise<T>): Promise<T> {
    const run = entry.queue.then(job, job);
    entry.queue = run.catch(() => undefined);
    return run;
  }

  /** The plugin's thread or process was replaced: say so (one event), and load it again. */
  #respawned(entry: Entry, reason: RespawnReason): void {
    // A reload in progress answers for itself (its failure schedules the next attempt).
    if (entry.reloading || entry.reloadTimer !== undefined || entry.state === 'failed') return;
    const message = reason === 'timeout' ? 'a call outlived its deadline: its thread was terminated' : 'its thread or the plugin process died';
    this.#fault(entry, { reason, state: 'respawning', message });
    this.#scheduleReload(entry, 0);
  }

  #fault(entry: Entry, fault: PluginFault): void {
    try {
      this.#opts.onPluginFault?.(entry.info.name, fault);
    } catch (err) {
      this.#log.error({ plugin: entry.info.name, err: (err as Error).message }, 'onPluginFault handler threw');
    }
  }

  /** Loads the plugin into its fresh lane after `delayMs`, before the next call runs. */
  #scheduleReload(entry: Entry, delayMs: number): void {
    entry.needsReload = true;
    entry.state = 'respawning';
    const run = (): void => {
      entry.reloadTimer = undefined;
      if (this.#plugins.get(entry.info.name) !== entry) return;
      void this.#enqueue(entry, async () => {
        if (entry.needsReload && entry.state !== 'failed') await this.#reload(entry);
      });
    };
    if (delayMs <= 0) run();
    else entry.reloadTimer = this.#scheduler.setTimeout(run, delayMs);
  }

  async #reload(entry: Entry): Promise<MidimonError | undefined> {
    const { name, limits, granted } = entry.info;
    entry.reloading = true;
    let outcome: WorkerOutcome;
    try {
      if (!(entry.lane instanceof ProcessLane) && entry.compiled === undefined) entry.compiled = await this.#compile(entry.bytes, limits);
      outcome = await entry.lane.call(
        { t: 'load', name, source: loadSource(entry.lane, entry.bytes, entry.compiled), limits, granted, dataDir: this.#dataDir(name, granted) },
        limits.timeoutMs,
        COMPILE_TIMEOUT_MS,
      );
    } catch (err) {
      outcome = { t: 'crashed', message: (err as Error).message };
    } finally {
      entry.reloading = false;
    }
    if (outcome.t === 'response' && outcome.response.t === 'loaded') {
      entry.needsReload = false;
      entry.reloadFailures = 0;
      entry.state = 'ready';
      return undefined;
    }
    const error = outcomeError(outcome, limits.timeoutMs, 'load');
    entry.needsReload = true;
    entry.reloadFailures += 1;
    entry.lastError = { kind: error.kind, message: error.message };
    if (this.#plugins.get(name) !== entry) return error;
    const delay = RELOAD_BACKOFF_MS[entry.reloadFailures - 1];
    if (delay === undefined) {
      entry.state = 'failed';
      this.#log.error({ plugin: name, attempts: entry.reloadFailures, kind: error.kind, err: error.message }, 'plugin failed to reload repeatedly: stopped until it is loaded again');
      this.#fault(entry, { reason: 'reload_failed', state: 'failed', message: `${entry.reloadFailures} reloads in a row failed; last: ${error.message}` });
    } else {
      this.#log.warn({ plugin: name, attempt: entry.reloadFailures, retryInMs: delay, kind: error.kind, err: error.message }, 'plugin reload failed: retrying after a pause');
      this.#fault(entry, { reason: 'reload_failed', state: 'respawning', message: error.message });
      this.#scheduleReload(entry, delay);
    }
    return error;
  }

  #unavailable(entry: Entry): MidimonError {
    const last = entry.lastError === undefined ? '' : `; last error: ${entry.lastError.message}`;
    return entry.state === 'failed'
      ? new MidimonError('plugin_failed', `plugin '${entry.info.name}' stopped after ${entry.reloadFailures} failed reloads; load it again (config reload, or disable and enable it)${last}`, { details: { plugin: entry.info.name } })
      : new MidimonError('plugin_failed', `plugin '${entry.info.name}' is restarting (reload attempt ${entry.reloadFailures + 1} pending)${last}`, { details: { plugin: entry.info.name } });
  }

  #failed(entry: Entry, error: MidimonError, cost: { fuel: number; fuelTotal: number; micros: number }): ExecuteResult {
    entry.errors += 1;
    entry.lastError = { kind: error.kind, message: error.message };
    this.#log.warn({ plugin: entry.info.name, kind: error.kind, err: error.message }, 'plugin call failed; instance discarded');
    return { status: 'error', error, fuel: cost.fuel, fuelTotal: cost.fuelTotal, micros: cost.micros };
  }
}

/** What a load request carries: the bytes across the process boundary, a module compiled here otherwise. */
function loadSource(lane: PluginLane, bytes: Uint8Array, compiled: CompiledPlugin | undefined): LoadSource {
  if (lane instanceof ProcessLane || compiled === undefined) return { kind: 'bytes', bytes };
  return { kind: 'compiled', ...compiled };
}

function realtimeFilesystem(name: string): MidimonError {
  return new MidimonError('bad_request', `plugin '${name}' runs in the realtime lane, which has no Filesystem (file I/O would stall MIDI); use lane = "isolated" for it`, { details: { plugin: name, capability: 'Filesystem' } });
}

async function readPlugin(path: string): Promise<Uint8Array> {
  try {
    return await readFile(path);
  } catch (err) {
    throw new MidimonError('not_found', `cannot read plugin ${path}: ${(err as Error).message}`, { cause: err });
  }
}

function outcomeError(outcome: WorkerOutcome, timeoutMs: number, stage: 'load' | 'execute'): MidimonError {
  switch (outcome.t) {
    case 'timeout':
      return new MidimonError('timeout', `plugin ${stage} did not finish within ${outcome.timeoutMs} ms; its worker was terminated and restarted`, { details: { timeoutMs } });
    case 'crashed':
      return new MidimonError('trap', `plugin stopped during ${stage}: ${outcome.message}`);
    case 'response':
      if (outcome.response.t === 'failed') return MidimonError.fromJSON(outcome.response.error);
      return new MidimonError('internal', `unexpected worker response '${outcome.response.t}' to ${stage}`);
  }
}
