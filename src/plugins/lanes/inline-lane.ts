import { createPluginServer } from './plugin-server.js';
import type { HostToWorker, LogMessage, WorkerResponse, WorkerToHost } from './protocol.js';
import type { HostCallBatch } from './send-batch.js';
import type { PluginLane, WorkerOutcome, WorkerRequest } from './worker-client.js';

export interface InlineHooks {
  readonly onHostCalls: (batch: HostCallBatch) => void;
  readonly onLog: (msg: LogMessage) => void;
  /** A call held the thread longer than `overrunMs` (wall clock, measured around the call), whatever it returned. */
  readonly onOverrun?: (ms: number) => void;
  readonly overrunMs?: number;
  /** Milliseconds, monotonic; default performance.now (tests pass a fake). */
  readonly clock?: () => number;
}

/**
 * The realtime lane: the plugin's instance lives on the calling (MIDI)
 * thread and each request runs synchronously, so a note reaches the plugin
 * and its `midi_send` reaches the output with no thread hop. Fuel is the only
 * bound on a call's time here (nothing can pre-empt the thread), which is why
 * the host caps this lane's fuel far below the isolated lane's, and the
 * wall time of every call is measured too: a call that overruns
 * (`onOverrun`) counts as a fault, and repeated faults move the plugin to a
 * worker (PluginHost).
 *
 * Host calls and log lines are held until the call returns and then
 * delivered in order, before the outcome: the engine is never re-entered
 * while plugin code is on the stack.
 */
export class InlineLane implements PluginLane {
  readonly #hooks: InlineHooks;
  readonly #serve: (msg: HostToWorker) => void;
  #held: WorkerToHost[] = [];
  #nextId = 1;
  #stopped = false;

  constructor(hooks: InlineHooks) {
    this.#hooks = hooks;
    this.#serve = createPluginServer((m) => this.#held.push(m));
  }

  call(req: WorkerRequest): Promise<WorkerOutcome> {
    if (this.#stopped) return Promise.resolve({ t: 'crashed', message: 'plugin unloaded' });
    const id = this.#nextId++;
    this.#held = [];
    const clock = this.#hooks.clock ?? performance.now.bind(performance);
    const t0 = clock();
    this.#serve({ ...req, id } as HostToWorker);
    const ms = clock() - t0;
    const out = this.#held;
    this.#held = [];
    let response: WorkerResponse | undefined;
    for (const m of out) {
      switch (m.t) {
        case 'host_calls':
          this.#hooks.onHostCalls(m.batch);
          break;
        case 'log':
          this.#hooks.onLog(m);
          break;
        case 'running':
          break;
        default:
          if (m.id === id) response = m;
      }
    }
    // Fuel bounds a call's time only as well as the cost model prices what it does: time is the last word.
    if (ms > (this.#hooks.overrunMs ?? Number.POSITIVE_INFINITY)) this.#hooks.onOverrun?.(ms);
    if (response === undefined) return Promise.resolve({ t: 'crashed', message: `realtime lane gave no answer to '${req.t}'` });
    return Promise.resolve({ t: 'response', response });
  }

  stop(): Promise<void> {
    this.#stopped = true;
    return Promise.resolve();
  }
}
