import type { Worker } from 'node:worker_threads';
import { MidimonError } from '../../errors.js';
import type { Logger } from '../../log.js';
import { parseWorkerMessage, type CompileRequest, type ExecuteRequest, type GrantsRequest, type LoadRequest, type LogMessage, type WorkerResponse } from './protocol.js';
import type { HostCallBatch } from './send-batch.js';
import type { PluginLimits } from '../types.js';
import type { WorkerPool } from './worker-pool.js';

/**
 * Instrumenting and compiling is our code, not the plugin's: it gets a generous
 * fixed bound.
 * MIDIMON_COMPILE_DEADLINE_MS raises it where the CPU is far slower than any
 * Pi: CI runs the arm64 tests under qemu-user emulation (scripts/arm64-ci.sh).
 */
export const DEFAULT_COMPILE_TIMEOUT_MS = 30_000;
export const COMPILE_TIMEOUT_MS = compileDeadline(process.env['MIDIMON_COMPILE_DEADLINE_MS']);

/** The compile deadline from the environment's value (undefined or empty: the default). */
export function compileDeadline(raw: string | undefined): number {
  if (raw === undefined || raw === '') return DEFAULT_COMPILE_TIMEOUT_MS;
  const ms = Number(raw);
  if (!Number.isSafeInteger(ms) || ms < 1) {
    throw new MidimonError('config_invalid', `MIDIMON_COMPILE_DEADLINE_MS must be a whole number of milliseconds >= 1, got '${raw}'`, { details: { key: 'MIDIMON_COMPILE_DEADLINE_MS' } });
  }
  return ms;
}

export type WorkerRequest = Omit<LoadRequest, 'id'> | Omit<ExecuteRequest, 'id'> | Omit<GrantsRequest, 'id'> | Omit<CompileRequest, 'id'>;
export type WorkerOutcome =
  | { readonly t: 'response'; readonly response: WorkerResponse }
  | { readonly t: 'timeout'; readonly timeoutMs: number }
  | { readonly t: 'crashed'; readonly message: string };

export type RespawnReason = 'timeout' | 'crashed';

export interface WorkerHooks {
  /** One call's host calls, in order, before its outcome (one message per call, whatever it sent). */
  readonly onHostCalls: (batch: HostCallBatch) => void;
  readonly onLog: (msg: LogMessage) => void;
  /** The worker was replaced by a fresh one (after a timeout or crash): the plugin must be loaded into it again. */
  readonly onRespawn: (reason: RespawnReason) => void;
}

/** Where one plugin's instance lives: its own worker thread, or the main (MIDI) thread. */
export interface PluginLane {
  call(req: WorkerRequest, timeoutMs: number, firstTimeoutMs?: number): Promise<WorkerOutcome>;
  stop(): Promise<void>;
}

interface Pending {
  readonly id: number;
  readonly resolve: (o: WorkerOutcome) => void;
  readonly timeoutMs: number;
  timer: NodeJS.Timeout;
}

/**
 * Main-thread handle of one plugin's worker thread. One request at a time
 * (the host queues); a request that outlives its timeout terminates the
 * worker (terminate() stops a wasm loop without blocking this thread), is
 * answered with `timeout`, and a fresh warm worker is spawned at once.
 */
export class PluginWorker implements PluginLane {
  readonly #limits: PluginLimits;
  readonly #hooks: WorkerHooks;
  readonly #log: Logger;
  readonly #pool: WorkerPool;
  readonly #refill: boolean;
  #worker: Worker | undefined;
  #pending: Pending | undefined;
  #nextId = 1;
  #stopped = false;

  /** `refill: false` for a one-of-a-kind worker (the compiler) whose shape needs no spare. */
  constructor(limits: PluginLimits, hooks: WorkerHooks, log: Logger, pool: WorkerPool, refill = true) {
    this.#pool = pool;
    this.#refill = refill;
    this.#limits = limits;
    this.#hooks = hooks;
    this.#log = log;
  }

  start(): void {
    if (this.#worker !== undefined || this.#stopped) return;
    const w = this.#pool.take(this.#limits, this.#refill);
    w.on('message', (raw: unknown) => this.#onMessage(w, raw));
    w.on('error', (err) => this.#onDeath(w, `worker error: ${err.message}`));
    w.on('exit', (code) => this.#onDeath(w, `worker exited with code ${code}`));
    this.#worker = w;
  }

  call(req: WorkerRequest, timeoutMs: number, firstTimeoutMs = timeoutMs): Promise<WorkerOutcome> {
    if (this.#pending !== undefined) throw new Error('PluginWorker: one request at a time');
    this.start();
    const w = this.#worker;
    if (w === undefined) return Promise.resolve({ t: 'crashed', message: 'plugin host stopped' });
    const id = this.#nextId++;
    return new Promise<WorkerOutcome>((resolve) => {
      const pending: Pending = { id, resolve, timeoutMs, timer: setTimeout(() => this.#onTimeout(id, firstTimeoutMs), firstTimeoutMs) };
      this.#pending = pending;
      w.postMessage({ ...req, id });
    });
  }

  /** Test hook: the worker provokes a real V8 fatal error (it obeys only with PLUGIN_PROCESS_TEST_HOOKS set). */
  testFatal(): void {
    this.#worker?.postMessage({ t: 'test_fatal' });
  }

  async stop(): Promise<void> {
    this.#stopped = true;
    this.#settle({ t: 'crashed', message: 'plugin unloaded' });
    const w = this.#worker;
    this.#worker = undefined;
    if (w !== undefined) {
      w.removeAllListeners();
      await w.terminate();
    }
  }

  #onMessage(w: Worker, raw: unknown): void {
    if (w !== this.#worker) return;
    const msg = parseWorkerMessage(raw);
    if (msg === undefined) {
      this.#log.error('plugin worker sent a malformed message; ignored');
      return;
    }
    switch (msg.t) {
      case 'host_calls':
        this.#hooks.onHostCalls(msg.batch);
        return;
      case 'log':
        this.#hooks.onLog(msg);
        return;
      case 'running': {
        // Compilation done: from now on the plugin's own timeout applies.
        const p = this.#pending;
        if (p === undefined || p.id !== msg.id) return;
        clearTimeout(p.timer);
        p.timer = setTimeout(() => this.#onTimeout(p.id, p.timeoutMs), p.timeoutMs);
        return;
      }
      default:
        if (this.#pending?.id === msg.id) this.#settle({ t: 'response', response: msg });
    }
  }

  #onTimeout(id: number, timeoutMs: number): void {
    if (this.#pending?.id !== id) return;
    this.#settle({ t: 'timeout', timeoutMs });
    this.#replace('timeout');
  }

  #onDeath(w: Worker, message: string): void {
    if (w !== this.#worker) return;
    this.#settle({ t: 'crashed', message });
    this.#replace('crashed');
  }

  #settle(o: WorkerOutcome): void {
    const p = this.#pending;
    if (p === undefined) return;
    clearTimeout(p.timer);
    this.#pending = undefined;
    p.resolve(o);
  }

  /** Terminate without waiting (it takes ~15-25 ms off this thread) and spawn the warm replacement now. */
  #replace(reason: RespawnReason): void {
    const old = this.#worker;
    this.#worker = undefined;
    if (old !== undefined) {
      old.removeAllListeners();
      old.on('error', () => undefined);
      old.terminate().catch(() => undefined);
    }
    if (this.#stopped) return;
    this.start();
    this.#hooks.onRespawn(reason);
  }
}
