// Entry of the plugin process: one child process, supervised by the main
// process (process-lane.ts), that holds every isolated plugin's worker thread
// and the compiler for them. A fatal V8 error in plugin code (which no worker
// resource limit contains) ends this process, never the one carrying MIDI.
import { setFlagsFromString } from 'node:v8';
import { pino } from 'pino';
import { resolveLimits } from '../limits.js';
import {
  PLUGIN_PROCESS_TEST_HOOKS, parseToPluginProcess, type CompiledPlugin, type FromPluginProcess, type HostToWorker, type LoadRequest, type SlotOutcome,
} from './protocol.js';
import type { PluginLimits, ProfileName } from '../types.js';
import { COMPILE_TIMEOUT_MS, PluginWorker, type WorkerOutcome } from './worker-client.js';
import { WorkerPool } from './worker-pool.js';

// As in the main process (host.ts): compile everything in the compiler worker, nothing lazily later.
setFlagsFromString('--no-wasm-lazy-compilation');

const send = process.send?.bind(process);
if (send === undefined) throw new Error('plugin-process must be started with an IPC channel (child_process.fork)');
const post = (m: FromPluginProcess): void => {
  // After the parent went away there is nobody to tell; the disconnect handler ends us.
  if (process.connected) send(m);
};

const testHooks = process.env[PLUGIN_PROCESS_TEST_HOOKS] === '1';
const profile: ProfileName = process.env['MIDIMON_PLUGIN_PROFILE'] === 'pi' ? 'pi' : 'desktop';
const spare = process.env['MIDIMON_PLUGIN_SPARE'] !== '0';

// PluginWorker logs only its own trouble (a malformed message): forward it to the main process's journal.
const log = pino({ level: 'info' }, {
  write: (line: string) => {
    const rec = JSON.parse(line) as { level: number; msg: string };
    post({ t: 'log', level: rec.level >= 50 ? 'error' : rec.level >= 40 ? 'warn' : 'info', msg: rec.msg });
  },
});

const pool = new WorkerPool(spare);
let compiler: PluginWorker | undefined;

interface Slot {
  readonly worker: PluginWorker;
  /** The last compiled bytes, so that a reload after a timeout skips the compiler. */
  cache?: { readonly bytes: Uint8Array; readonly limits: string; readonly compiled: CompiledPlugin };
  queue: Promise<unknown>;
}
const slots = new Map<number, Slot>();

function slotFor(n: number, limits: PluginLimits): Slot {
  let s = slots.get(n);
  if (s === undefined) {
    const worker = new PluginWorker(limits, {
      // One IPC message per call's batch (its typed arrays serialise as bytes with 'advanced' serialization).
      onHostCalls: (batch) => post({ t: 'event', slot: n, msg: { t: 'host_calls', batch } }),
      onLog: (msg) => post({ t: 'event', slot: n, msg }),
      // The slot's compiled module stays valid for the new worker: the reload that follows skips the compiler.
      onRespawn: (reason) => post({ t: 'respawn', slot: n, reason }),
    }, log.child({ slot: n }), pool);
    s = { worker, queue: Promise.resolve() };
    slots.set(n, s);
  }
  return s;
}

let compileQueue: Promise<unknown> = Promise.resolve();

/** One compile at a time (the compiler worker takes one request at a time), in arrival order. */
function compile(bytes: Uint8Array, limits: PluginLimits): Promise<WorkerOutcome> {
  const run = compileQueue.then(() => compileNow(bytes, limits));
  compileQueue = run.catch(() => undefined);
  return run;
}

function compileNow(bytes: Uint8Array, limits: PluginLimits): Promise<WorkerOutcome> {
  compiler ??= new PluginWorker(
    { ...resolveLimits(profile), stackSizeMb: 4, heapMb: 256 },
    { onHostCalls: () => undefined, onLog: () => undefined, onRespawn: () => undefined },
    log.child({ worker: 'compiler' }),
    pool,
    false,
  );
  return compiler.call({ t: 'compile', bytes, limits }, COMPILE_TIMEOUT_MS);
}

/** A load with bytes: compile (or reuse the slot's module), then load the compiled module into the slot's worker. */
async function load(slot: Slot, req: LoadRequest, timeoutMs: number, firstTimeoutMs: number): Promise<WorkerOutcome> {
  if (req.source.kind !== 'bytes') return slot.worker.call(req, timeoutMs, firstTimeoutMs);
  const bytes = req.source.bytes;
  const limitsKey = JSON.stringify(req.limits);
  const c = slot.cache;
  let compiled: CompiledPlugin;
  if (c !== undefined && c.limits === limitsKey && Buffer.compare(c.bytes, bytes) === 0) {
    compiled = c.compiled;
  } else {
    const out = await compile(bytes, req.limits);
    if (out.t !== 'response' || out.response.t !== 'compiled') return out;
    compiled = out.response.compiled;
    slot.cache = { bytes, limits: limitsKey, compiled };
  }
  return slot.worker.call({ ...req, source: { kind: 'compiled', ...compiled } }, timeoutMs, firstTimeoutMs);
}

function strip(o: WorkerOutcome): SlotOutcome {
  if (o.t !== 'response' || o.response.t !== 'loaded') return o;
  const { compiled: _module, ...rest } = o.response;
  return { t: 'response', response: rest };
}

function call(n: number, req: HostToWorker, timeoutMs: number, firstTimeoutMs: number): void {
  const slot = slotFor(n, req.t === 'load' ? req.limits : resolveLimits(profile));
  const job = async (): Promise<void> => {
    let outcome: WorkerOutcome;
    try {
      outcome = req.t === 'load' ? await load(slot, req, timeoutMs, firstTimeoutMs) : await slot.worker.call(req, timeoutMs, firstTimeoutMs);
    } catch (err) {
      // Our own bug, not the plugin's: still exactly one answer per call.
      outcome = { t: 'crashed', message: `plugin process: ${(err as Error).message}` };
    }
    post({ t: 'outcome', slot: n, id: req.id, outcome: strip(outcome) });
  };
  const run = slot.queue.then(job, job);
  slot.queue = run.catch(() => undefined);
}

process.on('message', (raw: unknown) => {
  const msg = parseToPluginProcess(raw);
  if (msg === undefined) {
    post({ t: 'log', level: 'error', msg: 'plugin process: malformed message from the host ignored' });
    return;
  }
  switch (msg.t) {
    case 'call':
      call(msg.slot, msg.req, msg.timeoutMs, msg.firstTimeoutMs);
      return;
    case 'close': {
      const s = slots.get(msg.slot);
      slots.delete(msg.slot);
      void s?.worker.stop();
      return;
    }
    case 'test_fatal':
      if (testHooks) slots.get(msg.slot)?.worker.testFatal();
      return;
  }
});

// The main process is our only reason to exist: without it, stop (its supervisor starts a new one).
const shutdown = (): void => {
  void Promise.all([...slots.values()].map((s) => s.worker.stop()))
    .then(() => compiler?.stop())
    .then(() => pool.stop())
    .finally(() => process.exit(0));
};
process.on('disconnect', shutdown);
// A host that stopped while this process was still booting disconnected before the handler existed.
if (!process.connected) shutdown();

post({ t: 'ready' });
