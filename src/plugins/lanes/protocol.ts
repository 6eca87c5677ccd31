import type { SerializedError } from '../../errors.js';
import { PLUGIN_ERROR_KINDS, OTHER_ERROR_KINDS } from '../../errors.js';
import { isHostCallBatch, type HostCallBatch } from './send-batch.js';
import { isCapability, type Capability, type PluginLimits } from '../types.js';

/**
 * The worker protocol: discriminated unions in both directions, checked by
 * hand-written guards at the boundary (no `any`, no switch on untyped data).
 * Requests carry an `id`; a worker answers each with exactly one response,
 * and may send `log` messages and one `host_calls` batch before it.
 */

/** A module the worker already instrumented and compiled: lets a respawn skip both. */
export interface CompiledPlugin {
  readonly module: WebAssembly.Module;
  readonly fuelGlobal: string;
  readonly growFailedGlobal: string;
  /** The hoisted start function's export name (see start-hoist.ts), if the module had one. */
  readonly startExport: string | null;
}

export type LoadSource = { readonly kind: 'bytes'; readonly bytes: Uint8Array } | ({ readonly kind: 'compiled' } & CompiledPlugin);

export interface LoadRequest {
  readonly t: 'load';
  readonly id: number;
  readonly name: string;
  readonly source: LoadSource;
  readonly limits: PluginLimits;
  readonly granted: readonly Capability[];
  /** Host directory preopened as "." when Filesystem is granted. */
  readonly dataDir: string | null;
  /** Report `instantiateMicros` (the realtime lane's trial load, see host.ts). */
  readonly measure?: boolean;
}

export interface ExecuteRequest {
  readonly t: 'execute';
  readonly id: number;
  /** The request JSON, built on the main thread. */
  readonly request: string;
}

export interface GrantsRequest {
  readonly t: 'grants';
  readonly id: number;
  readonly granted: readonly Capability[];
  readonly dataDir: string | null;
}

/** Instrument + compile only (the host's long-lived compiler worker keeps the instrumenter's JIT warm). */
export interface CompileRequest {
  readonly t: 'compile';
  readonly id: number;
  readonly bytes: Uint8Array;
  readonly limits: PluginLimits;
}

export type HostToWorker = LoadRequest | ExecuteRequest | GrantsRequest | CompileRequest;

export interface LoadedResponse {
  readonly t: 'loaded';
  readonly id: number;
  /** Raw metadata object; validated again on the main thread. */
  readonly metadata: unknown;
  /** Absent when the answer crossed the process boundary (a compiled module cannot; the plugin process keeps it). */
  readonly compiled?: CompiledPlugin;
  readonly fuel: number;
  readonly micros: number;
  /** When the load asked to `measure`: `new WebAssembly.Instance` alone (no plugin code runs in it), best of up to 3. */
  readonly instantiateMicros?: number;
}

export interface ExecutedResponse {
  readonly t: 'executed';
  readonly id: number;
  readonly code: number;
  readonly fuel: number;
  readonly fuelTotal: number;
  readonly micros: number;
}

export interface FailedResponse {
  readonly t: 'failed';
  readonly id: number;
  readonly error: SerializedError;
  readonly fuel: number;
  readonly fuelTotal: number;
  readonly micros: number;
}

export interface CompiledResponse {
  readonly t: 'compiled';
  readonly id: number;
  readonly compiled: CompiledPlugin;
}

export interface AckResponse {
  readonly t: 'ack';
  readonly id: number;
}

/** Load progress: compilation is done, plugin code (start, init) starts now and the plugin's timeout applies. */
export interface RunningMessage {
  readonly t: 'running';
  readonly id: number;
}

/** Every host call one load or execute made, in order, sent once it ended (send-batch.ts). */
export interface HostCallsMessage {
  readonly t: 'host_calls';
  readonly batch: HostCallBatch;
}

export type LogLevel = 'debug' | 'info' | 'warn' | 'error';

export interface LogMessage {
  readonly t: 'log';
  readonly level: LogLevel;
  readonly msg: string;
  readonly fields: Readonly<Record<string, string | number>>;
}

export type WorkerResponse = LoadedResponse | ExecutedResponse | FailedResponse | CompiledResponse | AckResponse;
export type WorkerToHost = WorkerResponse | RunningMessage | HostCallsMessage | LogMessage;

// ---- guards -----------------------------------------------------------------

type Obj = Record<string, unknown>;
const isObj = (v: unknown): v is Obj => typeof v === 'object' && v !== null && !Array.isArray(v);
const isNum = (v: unknown): v is number => typeof v === 'number' && Number.isFinite(v);
const isStr = (v: unknown): v is string => typeof v === 'string';
const KINDS: readonly string[] = [...PLUGIN_ERROR_KINDS, ...OTHER_ERROR_KINDS];

function isSerializedError(v: unknown): v is SerializedError {
  return isObj(v) && v['name'] === 'MidimonError' && isStr(v['kind']) && KINDS.includes(v['kind']) && isStr(v['message']);
}

function isCompiled(v: unknown): v is CompiledPlugin {
  return isObj(v) && v['module'] instanceof WebAssembly.Module && isStr(v['fuelGlobal']) && isStr(v['growFailedGlobal']) && (v['startExport'] === null || isStr(v['startExport']));
}

const isCost = (v: Obj): boolean => isNum(v['fuel']) && isNum(v['fuelTotal']) && isNum(v['micros']);

/** Main-thread side: anything the worker sends goes through here first. */
export function parseWorkerMessage(v: unknown): WorkerToHost | undefined {
  if (!isObj(v)) return undefined;
  switch (v['t']) {
    case 'loaded':
      return isNum(v['id']) && (v['compiled'] === undefined || isCompiled(v['compiled'])) && isNum(v['fuel']) && isNum(v['micros']) && (v['instantiateMicros'] === undefined || isNum(v['instantiateMicros']))
        ? (v as unknown as LoadedResponse)
        : undefined;
    case 'executed':
      return isNum(v['id']) && Number.isInteger(v['code']) && isCost(v) ? (v as unknown as ExecutedResponse) : undefined;
    case 'failed':
      return isNum(v['id']) && isSerializedError(v['error']) && isCost(v) ? (v as unknown as FailedResponse) : undefined;
    case 'compiled':
      return isNum(v['id']) && isCompiled(v['compiled']) ? (v as unknown as CompiledResponse) : undefined;
    case 'ack':
      return isNum(v['id']) ? (v as unknown as AckResponse) : undefined;
    case 'running':
      return isNum(v['id']) ? (v as unknown as RunningMessage) : undefined;
    case 'host_calls':
      return isHostCallBatch(v['batch']) ? (v as unknown as HostCallsMessage) : undefined;
    case 'log': {
      const level = v['level'];
      const ok = (level === 'debug' || level === 'info' || level === 'warn' || level === 'error') && isStr(v['msg']) && isObj(v['fields']);
      return ok ? (v as unknown as LogMessage) : undefined;
    }
    default:
      return undefined;
  }
}

function isLimits(v: unknown): v is PluginLimits {
  if (!isObj(v)) return false;
  const keys: ReadonlyArray<keyof PluginLimits> = [
    'fuelPerExecute', 'fuelPerInit', 'memoryBytes', 'timeoutMs', 'stackSizeMb', 'heapMb',
    'growCostPerPage', 'logLinesPerWindow', 'logBytesPerWindow', 'logWindowMs',
  ];
  return keys.every((k) => isNum(v[k]));
}

const isGrantList = (v: unknown): v is Capability[] => Array.isArray(v) && v.every(isCapability);
const isDataDir = (v: unknown): v is string | null => v === null || isStr(v);

/** Worker side: anything the host sends goes through here first. */
export function parseHostMessage(v: unknown): HostToWorker | undefined {
  if (!isObj(v) || !isNum(v['id'])) return undefined;
  switch (v['t']) {
    case 'load': {
      const s = v['source'];
      const sourceOk = isObj(s) && ((s['kind'] === 'bytes' && s['bytes'] instanceof Uint8Array) || (s['kind'] === 'compiled' && isCompiled(s)));
      return sourceOk && isStr(v['name']) && isLimits(v['limits']) && isGrantList(v['granted']) && isDataDir(v['dataDir']) && (v['measure'] === undefined || typeof v['measure'] === 'boolean')
        ? (v as unknown as LoadRequest)
        : undefined;
    }
    case 'execute':
      return isStr(v['request']) ? (v as unknown as ExecuteRequest) : undefined;
    case 'grants':
      return isGrantList(v['granted']) && isDataDir(v['dataDir']) ? (v as unknown as GrantsRequest) : undefined;
    case 'compile':
      return v['bytes'] instanceof Uint8Array && isLimits(v['limits']) ? (v as unknown as CompileRequest) : undefined;
    default:
      return undefined;
  }
}

/**
 * Environment variable that enables the plugin process's test hooks (a real V8
 * fatal error on request, to test containment). Only tests set it; without it
 * the process and its workers ignore the hook messages.
 */
export const PLUGIN_PROCESS_TEST_HOOKS = 'MIDIMON_PLUGIN_TEST_HOOKS';

// ---- the plugin process -------------------------------------------------------
//
// Isolated plugins run in worker threads of one supervised child process (see
// process-lane.ts), so that a fatal V8 error in plugin code ends that process,
// never the one that carries MIDI. Each plugin has a numbered slot there.

/** Main process -> plugin process. A `load` carries the plugin's bytes (a compiled module cannot cross). */
export type ToPluginProcess =
  | { readonly t: 'call'; readonly slot: number; readonly req: HostToWorker; readonly timeoutMs: number; readonly firstTimeoutMs: number }
  | { readonly t: 'close'; readonly slot: number }
  /** Test hook, refused unless the process was started with test hooks (PLUGIN_PROCESS_TEST_HOOKS). */
  | { readonly t: 'test_fatal'; readonly slot: number };

/** What one call to a slot ended with (as WorkerOutcome, but with `loaded` stripped of its module). */
export type SlotOutcome =
  | { readonly t: 'response'; readonly response: WorkerResponse }
  | { readonly t: 'timeout'; readonly timeoutMs: number }
  | { readonly t: 'crashed'; readonly message: string };

/** Plugin process -> main process. */
export type FromPluginProcess =
  | { readonly t: 'ready' }
  | { readonly t: 'event'; readonly slot: number; readonly msg: HostCallsMessage | LogMessage }
  | { readonly t: 'outcome'; readonly slot: number; readonly id: number; readonly outcome: SlotOutcome }
  /** The slot's worker was replaced (timeout or crash inside the process): the plugin must be loaded again. */
  | { readonly t: 'respawn'; readonly slot: number; readonly reason: 'timeout' | 'crashed' }
  /** The process's own log lines (not a plugin's). */
  | { readonly t: 'log'; readonly level: LogLevel; readonly msg: string };

const isLevel = (v: unknown): v is LogLevel => v === 'debug' || v === 'info' || v === 'warn' || v === 'error';

function isSlotOutcome(v: unknown): v is SlotOutcome {
  if (!isObj(v)) return false;
  switch (v['t']) {
    case 'response': {
      const r = parseWorkerMessage(v['response']);
      return r !== undefined && 'id' in r && r.t !== 'running';
    }
    case 'timeout':
      return isNum(v['timeoutMs']);
    case 'crashed':
      return isStr(v['message']);
    default:
      return false;
  }
}

/** Main side: every message from the plugin process is checked (plugin data passes through it). */
export function parseProcessMessage(v: unknown): FromPluginProcess | undefined {
  if (!isObj(v)) return undefined;
  switch (v['t']) {
    case 'ready':
      return { t: 'ready' };
    case 'event': {
      const msg = parseWorkerMessage(v['msg']);
      return isNum(v['slot']) && msg !== undefined && (msg.t === 'host_calls' || msg.t === 'log') ? { t: 'event', slot: v['slot'], msg } : undefined;
    }
    case 'outcome':
      return isNum(v['slot']) && isNum(v['id']) && isSlotOutcome(v['outcome']) ? (v as unknown as FromPluginProcess) : undefined;
    case 'respawn':
      return isNum(v['slot']) && (v['reason'] === 'timeout' || v['reason'] === 'crashed') ? { t: 'respawn', slot: v['slot'], reason: v['reason'] } : undefined;
    case 'log':
      return isLevel(v['level']) && isStr(v['msg']) ? { t: 'log', level: v['level'], msg: v['msg'] } : undefined;
    default:
      return undefined;
  }
}

/** Plugin-process side. */
export function parseToPluginProcess(v: unknown): ToPluginProcess | undefined {
  if (!isObj(v) || !isNum(v['slot'])) return undefined;
  switch (v['t']) {
    case 'call': {
      const req = parseHostMessage(v['req']);
      return req !== undefined && isNum(v['timeoutMs']) && isNum(v['firstTimeoutMs']) ? { t: 'call', slot: v['slot'], req, timeoutMs: v['timeoutMs'], firstTimeoutMs: v['firstTimeoutMs'] } : undefined;
    }
    case 'close':
      return { t: 'close', slot: v['slot'] };
    case 'test_fatal':
      return { t: 'test_fatal', slot: v['slot'] };
    default:
      return undefined;
  }
}
