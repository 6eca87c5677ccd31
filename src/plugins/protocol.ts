import type { SerializedError } from '../errors.js';
import { PLUGIN_ERROR_KINDS, OTHER_ERROR_KINDS } from '../errors.js';
import { isCapability, type Capability, type HostCall, type PluginLimits } from './types.js';

/**
 * The worker protocol: discriminated unions in both directions, checked by
 * hand-written guards at the boundary (no `any`, no switch on untyped data).
 * Requests carry an `id`; a worker answers each with exactly one response,
 * and may send any number of `host_call`/`log` messages before it, in order.
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
  readonly compiled: CompiledPlugin;
  readonly fuel: number;
  readonly micros: number;
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

export interface HostCallMessage {
  readonly t: 'host_call';
  readonly call: HostCall;
}

export type LogLevel = 'debug' | 'info' | 'warn' | 'error';

export interface LogMessage {
  readonly t: 'log';
  readonly level: LogLevel;
  readonly msg: string;
  readonly fields: Readonly<Record<string, string | number>>;
}

export type WorkerResponse = LoadedResponse | ExecutedResponse | FailedResponse | CompiledResponse | AckResponse;
export type WorkerToHost = WorkerResponse | RunningMessage | HostCallMessage | LogMessage;

// ---- guards -----------------------------------------------------------------

type Obj = Record<string, unknown>;
const isObj = (v: unknown): v is Obj => typeof v === 'object' && v !== null && !Array.isArray(v);
const isNum = (v: unknown): v is number => typeof v === 'number' && Number.isFinite(v);
const isStr = (v: unknown): v is string => typeof v === 'string';
const KINDS: readonly string[] = [...PLUGIN_ERROR_KINDS, ...OTHER_ERROR_KINDS];

function isSerializedError(v: unknown): v is SerializedError {
  return isObj(v) && v['name'] === 'MidimonError' && isStr(v['kind']) && KINDS.includes(v['kind']) && isStr(v['message']);
}

function isHostCall(v: unknown): v is HostCall {
  if (!isObj(v)) return false;
  switch (v['fn']) {
    case 'midi_send':
      return Array.isArray(v['bytes']) && v['bytes'].every((b) => Number.isInteger(b) && b >= 0 && b <= 255);
    case 'set_mode':
      return isStr(v['mode']);
    case 'log':
      return (v['level'] === 0 || v['level'] === 1 || v['level'] === 2 || v['level'] === 3) && isStr(v['message']);
    default:
      return false;
  }
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
      return isNum(v['id']) && isCompiled(v['compiled']) && isNum(v['fuel']) && isNum(v['micros']) ? (v as unknown as LoadedResponse) : undefined;
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
    case 'host_call':
      return isHostCall(v['call']) ? (v as unknown as HostCallMessage) : undefined;
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
      return sourceOk && isStr(v['name']) && isLimits(v['limits']) && isGrantList(v['granted']) && isDataDir(v['dataDir'])
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
