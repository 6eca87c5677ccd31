import { fork, type ChildProcess } from 'node:child_process';
import { extname } from 'node:path';
import { fileURLToPath } from 'node:url';
import type { Logger } from '../../log.js';
import { parseProcessMessage, type SlotOutcome, type ToPluginProcess } from './protocol.js';
import type { ProfileName } from '../types.js';
import type { PluginLane, WorkerHooks, WorkerOutcome, WorkerRequest } from './worker-client.js';

// .js from dist/, .ts in development (started with tsx's loader, as the worker bootstrap does).
const EXT = extname(fileURLToPath(import.meta.url));
const ENTRY = new URL(`./plugin-process${EXT}`, import.meta.url);

/**
 * How long past a call's own deadline the main process waits for the plugin
 * process to answer at all. The process enforces every plugin deadline itself
 * (terminating worker threads); this only catches a process that stopped
 * answering, which is then killed and restarted.
 */
export const PROCESS_GRACE_MS = 5000;
/** Extra wait for an answer while the process is still booting (a Node process under tsx takes 10+ s on a loaded machine). */
const BOOT_ALLOWANCE_MS = 120_000;
/** Restart delays after the plugin process dies, growing while it keeps dying soon after a start. */
const RESTART_DELAYS_MS = [0, 100, 500, 2000, 5000];
/** A process that lived this long is healthy again: the next death restarts it at once. */
const HEALTHY_AFTER_MS = 30_000;

export interface PluginProcessOptions {
  readonly log: Logger;
  readonly profile: ProfileName;
  /** Keep a pre-booted worker in the process (off for one-shot CLI runs). */
  readonly spareWorker: boolean;
}

interface Pending {
  readonly resolve: (o: WorkerOutcome) => void;
  readonly timer: NodeJS.Timeout;
}

interface SlotHandle {
  readonly hooks: WorkerHooks;
  pending: Map<number, Pending>;
}

/**
 * Main-process side of the plugin process: starts it on first use, routes
 * each lane's calls and events by slot, and when it dies (a V8 fatal error in
 * plugin code, a kill, an unanswered call) answers every call in flight with
 * `crashed`, starts a new one (with back-off while it keeps dying) and tells
 * every lane to reload. The MIDI path never waits on it.
 */
export class PluginProcess {
  readonly #opts: PluginProcessOptions;
  readonly #log: Logger;
  readonly #slots = new Map<number, SlotHandle>();
  #child: ChildProcess | undefined;
  #startedAt = 0;
  #deaths = 0;
  #restartTimer: NodeJS.Timeout | undefined;
  #ready = false;
  #inFlight = 0;
  #nextSlot = 1;
  #nextId = 1;
  #stopped = false;
  /** Times the process was (re)started: a test and `status` can see restarts. */
  #generation = 0;

  constructor(options: PluginProcessOptions) {
    this.#opts = options;
    this.#log = options.log.child({ component: 'plugin-process' });
  }

  /** The running process's pid (undefined while none runs). */
  get pid(): number | undefined {
    return this.#child?.pid;
  }

  get generation(): number {
    return this.#generation;
  }

  lane(hooks: WorkerHooks): ProcessLane {
    const slot = this.#nextSlot++;
    this.#slots.set(slot, { hooks, pending: new Map() });
    return new ProcessLane(this, slot);
  }

  /** Starts the process now (idle, it does not keep the host alive), so that the first load finds it booting or ready. */
  prewarm(): void {
    if (!this.#stopped) this.#ensure();
  }

  /** @internal ProcessLane's call. */
  call(slot: number, req: WorkerRequest, timeoutMs: number, firstTimeoutMs: number): Promise<WorkerOutcome> {
    const handle = this.#slots.get(slot);
    if (handle === undefined || this.#stopped) return Promise.resolve({ t: 'crashed', message: 'plugin unloaded' });
    const child = this.#ensure();
    const id = this.#nextId++;
    return new Promise<WorkerOutcome>((resolve) => {
      // firstTimeoutMs covers compiling, timeoutMs the plugin's own code after it.
      const backstop = (req.t === 'load' ? firstTimeoutMs + timeoutMs : timeoutMs) + PROCESS_GRACE_MS + (this.#ready ? 0 : BOOT_ALLOWANCE_MS);
      const timer = setTimeout(() => this.#unresponsive(child, backstop), backstop);
      this.#track(1);
      handle.pending.set(id, {
        resolve: (o) => {
          this.#track(-1);
          resolve(o);
        },
        timer,
      });
      this.#send(child, { t: 'call', slot, req: { ...req, id }, timeoutMs, firstTimeoutMs } as ToPluginProcess);
    });
  }

  /** @internal */
  close(slot: number): void {
    const handle = this.#slots.get(slot);
    if (handle === undefined) return;
    this.#slots.delete(slot);
    this.#settleAll(handle, 'plugin unloaded');
    if (this.#child !== undefined) this.#send(this.#child, { t: 'close', slot });
  }

  /** @internal Test hook (see PLUGIN_PROCESS_TEST_HOOKS). */
  testFatal(slot: number): void {
    if (this.#child !== undefined) this.#send(this.#child, { t: 'test_fatal', slot });
  }

  async stop(): Promise<void> {
    this.#stopped = true;
    clearTimeout(this.#restartTimer);
    for (const h of this.#slots.values()) this.#settleAll(h, 'plugin host stopped');
    const child = this.#child;
    this.#child = undefined;
    if (child === undefined || child.exitCode !== null || child.signalCode !== null) return;
    const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()));
    // An idle child is unref'd: hold the loop open until its exit arrives, or stop() would never settle.
    child.ref();
    // Disconnecting asks it to stop its workers and exit; a process that does not is killed.
    child.disconnect();
    const kill = setTimeout(() => child.kill('SIGKILL'), 2000);
    await exited;
    clearTimeout(kill);
  }

  #ensure(): ChildProcess {
    if (this.#child !== undefined) return this.#child;
    const tsx = EXT === '.ts' ? ['--import', import.meta.resolve('tsx')] : [];
    const child = fork(fileURLToPath(ENTRY), [], {
      execArgv: [...tsx, '--no-wasm-lazy-compilation'],
      serialization: 'advanced',
      stdio: ['ignore', 'inherit', 'inherit', 'ipc'],
      env: { ...process.env, MIDIMON_PLUGIN_PROFILE: this.#opts.profile, MIDIMON_PLUGIN_SPARE: this.#opts.spareWorker ? '1' : '0' },
    });
    this.#child = child;
    this.#ready = false;
    this.#inFlight = 0;
    this.#startedAt = performance.now();
    this.#generation += 1;
    child.on('message', (raw: unknown) => this.#onMessage(child, raw));
    child.on('exit', (code, signal) => this.#onExit(child, code, signal));
    child.on('error', (err) => this.#log.error({ err: err.message }, 'plugin process error'));
    // Idle, it must not keep the host alive (the host's stop() ends it); with calls in flight it does (#track).
    child.unref();
    child.channel?.unref();
    return child;
  }

  /** Holds the event loop open while calls are in flight, so their answers (or the process's exit) always arrive. */
  #track(delta: number): void {
    const before = this.#inFlight;
    this.#inFlight = Math.max(0, before + delta);
    const child = this.#child;
    if (child === undefined) return;
    if (before === 0 && this.#inFlight > 0) {
      child.ref();
      child.channel?.ref();
    } else if (before > 0 && this.#inFlight === 0) {
      child.unref();
      child.channel?.unref();
    }
  }

  #send(child: ChildProcess, msg: ToPluginProcess): void {
    if (!child.connected) return;
    child.send(msg, (err) => {
      if (err !== null && err !== undefined) this.#log.warn({ err: err.message }, 'could not reach the plugin process');
    });
  }

  #onMessage(child: ChildProcess, raw: unknown): void {
    if (child !== this.#child) return;
    const msg = parseProcessMessage(raw);
    if (msg === undefined) {
      this.#log.error('plugin process sent a malformed message; ignored');
      return;
    }
    switch (msg.t) {
      case 'ready':
        this.#ready = true;
        return;
      case 'log':
        this.#log[msg.level](msg.msg);
        return;
      case 'event': {
        const h = this.#slots.get(msg.slot);
        if (h === undefined) return;
        if (msg.msg.t === 'host_calls') h.hooks.onHostCalls(msg.msg.batch);
        else h.hooks.onLog(msg.msg);
        return;
      }
      case 'respawn':
        this.#slots.get(msg.slot)?.hooks.onRespawn(msg.reason);
        return;
      case 'outcome': {
        const h = this.#slots.get(msg.slot);
        const p = h?.pending.get(msg.id);
        if (h === undefined || p === undefined) return;
        h.pending.delete(msg.id);
        clearTimeout(p.timer);
        p.resolve(toOutcome(msg.outcome));
        return;
      }
    }
  }

  #unresponsive(child: ChildProcess, ms: number): void {
    if (child !== this.#child) return;
    this.#log.error({ waitedMs: ms }, 'plugin process stopped answering: killed and restarted');
    // Its exit (and the restart) follows; the calls in flight are answered now.
    for (const h of this.#slots.values()) this.#settleAll(h, `the plugin process stopped answering for ${ms} ms and was killed`);
    child.kill('SIGKILL');
  }

  #onExit(child: ChildProcess, code: number | null, signal: NodeJS.Signals | null): void {
    if (child !== this.#child) return;
    this.#child = undefined;
    if (this.#stopped) return;
    const lived = performance.now() - this.#startedAt;
    this.#deaths = lived > HEALTHY_AFTER_MS ? 1 : this.#deaths + 1;
    const delay = RESTART_DELAYS_MS[Math.min(this.#deaths - 1, RESTART_DELAYS_MS.length - 1)] ?? 0;
    const why = signal !== null ? `signal ${signal}` : `exit code ${String(code)}`;
    this.#log.error({ code, signal, livedMs: Math.round(lived), restartInMs: delay, plugins: this.#slots.size }, `plugin process died (${why}): every isolated plugin is reloaded in a new one`);
    for (const h of this.#slots.values()) this.#settleAll(h, `the plugin process died (${why})`);
    this.#restartTimer = setTimeout(() => {
      this.#restartTimer = undefined;
      if (this.#stopped) return;
      // Each lane reloads its plugin (host.ts), which starts the new process.
      for (const h of [...this.#slots.values()]) h.hooks.onRespawn('crashed');
    }, delay);
    this.#restartTimer.unref();
  }

  #settleAll(h: SlotHandle, message: string): void {
    const pending = h.pending;
    h.pending = new Map();
    for (const p of pending.values()) {
      clearTimeout(p.timer);
      p.resolve({ t: 'crashed', message });
    }
  }
}

/** The same shape, minus the compiled module a `loaded` answer carries within one process. */
const toOutcome = (o: SlotOutcome): WorkerOutcome => o;

/** One isolated plugin's lane: its slot in the shared plugin process. */
export class ProcessLane implements PluginLane {
  readonly #process: PluginProcess;
  readonly #slot: number;

  constructor(process: PluginProcess, slot: number) {
    this.#process = process;
    this.#slot = slot;
  }

  call(req: WorkerRequest, timeoutMs: number, firstTimeoutMs = timeoutMs): Promise<WorkerOutcome> {
    return this.#process.call(this.#slot, req, timeoutMs, firstTimeoutMs);
  }

  /** Test hook: provoke a real V8 fatal error in this plugin's worker (ignored unless test hooks are on). */
  testFatal(): void {
    this.#process.testFatal(this.#slot);
  }

  stop(): Promise<void> {
    this.#process.close(this.#slot);
    return Promise.resolve();
  }
}

