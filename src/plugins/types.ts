import type { MidimonError } from '../errors.js';

/**
 * Capabilities a plugin may request in its metadata. The guide lists Network,
 * Filesystem and Process; Midi (the `midimon.midi_send` host function) is ours
 * and granted by default because it can only emit MIDI through the engine.
 */
export const CAPABILITIES = ['Network', 'Filesystem', 'Process', 'Midi'] as const;
export type Capability = (typeof CAPABILITIES)[number];
export const DEFAULT_GRANTS: readonly Capability[] = ['Midi'];

export function isCapability(v: unknown): v is Capability {
  return typeof v === 'string' && (CAPABILITIES as readonly string[]).includes(v);
}

/**
 * Capabilities desktop MIDIMon plugins may declare that this box never
 * grants (no audio device or system control is exposed to plugins): such a
 * plugin loads, and is shown as asking for them.
 */
export const UNAVAILABLE_CAPABILITIES = ['Audio', 'SystemControl'] as const;
export type UnavailableCapability = (typeof UNAVAILABLE_CAPABILITIES)[number];
export type DeclaredCapability = Capability | UnavailableCapability;

// Upstream MIDIMon serialises capabilities in lowercase and calls Process "subprocess"; the guide capitalises.
const CAPABILITY_ALIASES: Readonly<Record<string, DeclaredCapability>> = {
  network: 'Network',
  filesystem: 'Filesystem',
  process: 'Process',
  subprocess: 'Process',
  midi: 'Midi',
  audio: 'Audio',
  systemcontrol: 'SystemControl',
};

/** A declared capability name, matched case-insensitively ("subprocess" = Process); undefined when unknown. */
export function parseCapabilityName(v: unknown): DeclaredCapability | undefined {
  return typeof v === 'string' ? CAPABILITY_ALIASES[v.toLowerCase()] : undefined;
}

export const KNOWN_CAPABILITY_NAMES = 'Network, Filesystem, Process (or subprocess), Midi, and Audio, SystemControl (never granted here); any case';

/** Validated metadata returned by a plugin's `init()`. */
export interface PluginMetadata {
  readonly name: string;
  readonly version: string;
  readonly description: string;
  readonly author: string;
  readonly license: string;
  readonly type: 'action';
  readonly capabilities: readonly Capability[];
  /** Declared capabilities this box never grants (e.g. audio): the plugin loads, those stay off. */
  readonly unavailable?: readonly UnavailableCapability[];
  readonly homepage?: string;
}

export type ProfileName = 'desktop' | 'pi';

/**
 * Where a plugin runs. `isolated`: its own worker thread with a wall-clock
 * timeout, so a runaway plugin never delays MIDI. `realtime`: on the MIDI
 * thread, no thread hop, fuel capped (limits.ts), no Filesystem.
 */
export const LANES = ['isolated', 'realtime'] as const;
export type Lane = (typeof LANES)[number];

/** Every bound the sandbox enforces on one plugin (see limits.ts for the profiles). */
export interface PluginLimits {
  /** Fuel for one `execute` round (alloc + execute + dealloc). */
  readonly fuelPerExecute: number;
  /** Fuel for instantiation (start section) and `init()` together. */
  readonly fuelPerInit: number;
  /** Linear memory cap in bytes (rounded down to 64 KiB pages). */
  readonly memoryBytes: number;
  /** Wall-clock bound of any single call into the worker (load, execute). */
  readonly timeoutMs: number;
  /** Worker thread stack (bounds recursion depth). */
  readonly stackSizeMb: number;
  /** Worker JS heap (wasm memory is not part of it; memoryBytes bounds that). */
  readonly heapMb: number;
  /** Fuel charged per 64 KiB page requested by memory.grow. */
  readonly growCostPerPage: number;
  /** Plugin output (stdout/stderr/log host function) allowed per window. */
  readonly logLinesPerWindow: number;
  readonly logBytesPerWindow: number;
  readonly logWindowMs: number;
}

export type JsonValue = null | boolean | number | string | readonly JsonValue[] | { readonly [k: string]: JsonValue };

/** What the engine knows when an action fires; becomes the request's `context`. */
export interface ExecuteContext {
  /** 0-127, or null when the trigger carries no velocity (e.g. a footswitch). */
  readonly velocity?: number | null;
  readonly currentMode?: number | null;
  /** Unix epoch ms; defaults to Date.now(). */
  readonly timestamp?: number;
  /** Extra context fields (added after the guide's three, never overriding them). */
  readonly extra?: Readonly<Record<string, JsonValue>>;
}

/** Calls a plugin makes to the `midimon` import module; delivered in order, asynchronously. */
export type HostCall =
  | { readonly fn: 'midi_send'; readonly bytes: readonly number[] }
  | { readonly fn: 'set_mode'; readonly mode: string }
  | { readonly fn: 'log'; readonly level: 0 | 1 | 2 | 3; readonly message: string };

export type HostCallHandler = (plugin: string, call: HostCall) => void;

/** What `execute`'s return code means (the guide's table). */
export type CodeMeaning = 'ok' | 'invalid_memory_read' | 'invalid_json' | 'action_failed' | 'plugin_defined';

export function codeMeaning(code: number): CodeMeaning {
  switch (code) {
    case 0:
      return 'ok';
    case 1:
      return 'invalid_memory_read';
    case 2:
      return 'invalid_json';
    case 3:
      return 'action_failed';
    default:
      return 'plugin_defined';
  }
}

/** Cost of one call: fuel of the `execute` export alone, fuel including alloc/dealloc, time in the worker. */
export interface CallCost {
  readonly fuel: number;
  readonly fuelTotal: number;
  readonly micros: number;
}

/**
 * Result of `PluginHost.execute`: never a rejection for plugin faults.
 * - `returned`: the plugin ran and returned `code` (0 = success).
 * - `error`: the call failed (kind from the stable list: out_of_fuel, timeout, trap, ...);
 *   the instance was discarded and the next call gets a fresh one.
 */
export type ExecuteResult =
  | ({ readonly status: 'returned'; readonly code: number; readonly meaning: CodeMeaning } & CallCost)
  | ({ readonly status: 'error'; readonly error: MidimonError } & CallCost);

export interface LoadedPlugin {
  readonly name: string;
  readonly metadata: PluginMetadata;
  readonly sha256: string;
  readonly size: number;
  readonly requested: readonly Capability[];
  readonly granted: readonly Capability[];
  /** Requested but not granted: the plugin loads, those calls fail with a permission error. */
  readonly denied: readonly Capability[];
  readonly limits: PluginLimits;
  readonly lane: Lane;
  /** Fuel and time of the start section + `init()`. */
  readonly initFuel: number;
  readonly initMicros: number;
  /** Total load time in the host (read, checksum, instrument, compile, instantiate, init). */
  readonly loadMicros: number;
}

/**
 * ready: loaded, calls run. respawning: its thread or process was replaced (timeout, crash) and the
 * plugin is being loaded again, with back-off while reloads fail. failed: reloads kept failing, the host
 * stopped trying; calls fail at once with `plugin_failed` until the plugin is loaded again.
 */
export type PluginState = 'ready' | 'respawning' | 'failed';

/**
 * The host lost a plugin's instance outside a normal call result, or gave up on it: the one event
 * for "plugin crashed / restarted / failed" (PluginHostOptions.onPluginFault). Anything the plugin
 * started (notes) will not be ended by it.
 */
export interface PluginFault {
  /** timeout: a call outlived its deadline and the thread was terminated; crashed: its thread or the plugin process died; reload_failed: loading it again failed. */
  readonly reason: 'timeout' | 'crashed' | 'reload_failed';
  /** What the host does next: reload it (respawning), or nothing until it is loaded again (failed). */
  readonly state: 'respawning' | 'failed';
  readonly message: string;
}

export interface PluginStatus {
  readonly name: string;
  readonly state: PluginState;
  readonly lane: Lane;
  readonly version: string;
  readonly sha256: string;
  readonly requested: readonly Capability[];
  readonly granted: readonly Capability[];
  readonly calls: number;
  readonly errors: number;
  readonly lastError?: { readonly kind: string; readonly message: string };
}

/** What the engine needs from the plugin host (PluginHost implements it; tests can pass a fake). */
export interface PluginExecutor {
  execute(name: string, action: string, context?: ExecuteContext, params?: Readonly<Record<string, JsonValue>>): Promise<ExecuteResult>;
}
