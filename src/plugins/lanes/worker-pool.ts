import { extname } from 'node:path';
import { fileURLToPath } from 'node:url';
import { Worker } from 'node:worker_threads';
import type { PluginLimits } from '../types.js';

// Same extension as this module: .js from dist/, .ts in development. Node 20's
// workers do not inherit tsx's loader hooks (tsx registers them in the main
// thread only), so a .ts worker is started through a tiny bootstrap that
// registers tsx in the worker first.
const WORKER_EXT = extname(fileURLToPath(import.meta.url));
const WORKER_URL = new URL(`./plugin-worker${WORKER_EXT}`, import.meta.url);

function spawn(limits: Pick<PluginLimits, 'stackSizeMb' | 'heapMb'>): Worker {
  const options = { resourceLimits: { stackSizeMb: limits.stackSizeMb, maxOldGenerationSizeMb: limits.heapMb } };
  if (WORKER_EXT !== '.ts') return new Worker(WORKER_URL, options);
  const tsx = import.meta.resolve('tsx/esm/api');
  const boot = `import(${JSON.stringify(tsx)}).then((api) => { api.register(); return import(${JSON.stringify(WORKER_URL.href)}); })`;
  return new Worker(boot, { ...options, eval: true });
}

const PREWARM_DELAY_MS = 50;

interface Spare {
  readonly worker: Worker;
  dead: boolean;
}

/**
 * Keeps one idle, pre-spawned worker per resource-limit shape, so loading a
 * plugin or replacing a terminated worker does not wait 50-150 ms (250 ms
 * under tsx) for a thread to boot. Idle spares are unref'd: they never keep
 * the process alive. The host owns the pool and stops it last.
 */
export class WorkerPool {
  readonly #spares = new Map<string, Spare>();
  readonly #enabled: boolean;
  #stopped = false;

  /** `enabled: false` spawns on demand only (one-shot CLI runs, where a spare would only compete for CPU). */
  constructor(enabled = true) {
    this.#enabled = enabled;
  }

  /** A ready (or booting) worker with these limits; a replacement spare starts booting right away. */
  take(limits: Pick<PluginLimits, 'stackSizeMb' | 'heapMb'>, refill = true): Worker {
    const key = `${limits.stackSizeMb}/${limits.heapMb}`;
    const spare = this.#spares.get(key);
    this.#spares.delete(key);
    const worker = spare !== undefined && !spare.dead ? spare.worker : spawn(limits);
    worker.removeAllListeners();
    worker.ref();
    // Later, in its own event-loop turn: new Worker() costs the calling thread ~1 ms, which must
    // not add up with a terminate() and a reload in the turn that handles a timeout.
    if (refill && !this.#stopped && this.#enabled) setTimeout(() => this.prewarm(limits), PREWARM_DELAY_MS).unref();
    return worker;
  }

  prewarm(limits: Pick<PluginLimits, 'stackSizeMb' | 'heapMb'>): void {
    const key = `${limits.stackSizeMb}/${limits.heapMb}`;
    if (this.#stopped || !this.#enabled || this.#spares.has(key)) return;
    const spare: Spare = { worker: spawn(limits), dead: false };
    spare.worker.unref();
    spare.worker.on('error', () => undefined);
    spare.worker.on('exit', () => {
      spare.dead = true;
      if (this.#spares.get(key) === spare) this.#spares.delete(key);
    });
    this.#spares.set(key, spare);
  }

  async stop(): Promise<void> {
    this.#stopped = true;
    const spares = [...this.#spares.values()];
    this.#spares.clear();
    await Promise.all(spares.map((s) => s.worker.terminate()));
  }
}
