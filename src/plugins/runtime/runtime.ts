import { mkdirSync } from 'node:fs';
import { MidimonError } from '../../errors.js';
import { checkModule } from './abi.js';
import { GuestMemory } from './guest-memory.js';
import { createHostFunctions } from './host-functions.js';
import { REALTIME_INSTANTIATE_MS, memoryPages } from '../limits.js';
import { METADATA_MAX_BYTES, parseMetadata } from './metadata.js';
import { OutputLimiter } from './output-limiter.js';
import type { CompiledPlugin, LoadSource, LogLevel } from '../lanes/protocol.js';
import { SendBatch, type HostCallBatch } from '../lanes/send-batch.js';
import { hoistStart } from './start-hoist.js';
import type { Capability, PluginLimits, PluginMetadata } from '../types.js';
import { ConfinedFs } from '../wasi/wasi-fs.js';
import { HostTrap, ProcExit } from '../wasi/wasi-errors.js';
import { createWasiImports } from '../wasi/wasi-shim.js';
import { inspectModule, instrument } from '../wasm/instrument.js';

const ENCODER = new TextEncoder();

export interface RuntimeHooks {
  /** The host calls of one call into the plugin (execute, or start + init), once it ended, in order. */
  readonly hostCalls: (batch: HostCallBatch) => void;
  readonly log: (level: LogLevel, msg: string, fields: Readonly<Record<string, string | number>>) => void;
}

export interface Cost {
  readonly fuel: number;
  readonly fuelTotal: number;
  readonly micros: number;
}

/** A call that failed: the error plus what it cost until then. */
export class CallFailure {
  constructor(
    readonly error: MidimonError,
    readonly cost: Cost,
  ) {}
}

type Fn = (...args: Array<number | bigint>) => unknown;

interface Live {
  readonly fuel: WebAssembly.Global;
  readonly growFailed: WebAssembly.Global;
  readonly init: Fn;
  readonly execute: Fn;
  readonly alloc: Fn;
  /** Absent in plugins written for desktop MIDIMon, which never calls it. */
  readonly dealloc: Fn | undefined;
  readonly memory: GuestMemory;
  readonly fs: ConfinedFs | null;
}

/**
 * One plugin inside its worker: compiles (ABI checks, start hoisting, fuel
 * instrumentation), instantiates with our WASI shim and host functions, runs
 * init/execute under fuel and memory limits, and turns every trap into a
 * typed error. After any failure the instance is dropped; the next call
 * instantiates afresh from the compiled module (start + init rerun).
 */
export class PluginRuntime {
  readonly #name: string;
  readonly #limits: PluginLimits;
  readonly #hooks: RuntimeHooks;
  readonly #output: OutputLimiter;
  readonly #deniedLogged = new Set<Capability>();
  #granted: Set<Capability>;
  #dataDir: string | null;
  #compiled: CompiledPlugin | undefined;
  #live: Live | undefined;
  readonly #batch: SendBatch;

  constructor(name: string, limits: PluginLimits, granted: readonly Capability[], dataDir: string | null, hooks: RuntimeHooks) {
    this.#name = name;
    this.#limits = limits;
    this.#granted = new Set(granted);
    this.#dataDir = dataDir;
    this.#hooks = hooks;
    this.#output = new OutputLimiter(limits, hooks.log);
    this.#batch = new SendBatch(name);
  }

  /** Compile (if given bytes), instantiate, run start + init; `running` fires when plugin code is about to run. */
  load(source: LoadSource, running: () => void, measure = false): { metadata: PluginMetadata; compiled: CompiledPlugin; instantiateMicros?: number } & Cost {
    const t0 = performance.now();
    try {
      this.#compiled = source.kind === 'bytes' ? compilePlugin(source.bytes, this.#limits) : source;
    } catch (err) {
      throw new CallFailure(err instanceof MidimonError ? err : new MidimonError('invalid_module', String(err)), { fuel: 0, fuelTotal: 0, micros: micros(t0) });
    }
    running();
    const r = this.#instantiate(measure);
    return { ...r, compiled: this.#compiled };
  }

  execute(request: string): { code: number } & Cost {
    const live = this.#live ?? this.#instantiate().live;
    const budget = this.#limits.fuelPerExecute;
    const bytes = ENCODER.encode(request);
    live.fuel.value = BigInt(budget);
    live.growFailed.value = 0;
    const t0 = performance.now();
    let before: number | undefined;
    try {
      // 0 is accepted: desktop MIDIMon writes the request at whatever alloc returns, and its minimal example returns 0.
      const ptr = Number(live.alloc(bytes.length)) >>> 0;
      const view = live.memory.bytes(ptr, bytes.length);
      if (view === undefined) {
        throw new MidimonError('bad_pointer', `alloc(${bytes.length}) returned ${ptr}: the ${bytes.length}-byte request would end at ${ptr + bytes.length}, past the plugin's memory (${live.memory.size} bytes)`, { details: { ptr, len: bytes.length } });
      }
      view.set(bytes);
      before = remaining(live);
      const code = Number(live.execute(ptr, bytes.length)) | 0;
      const fuel = before - remaining(live);
      live.dealloc?.(ptr, bytes.length);
      return { code, fuel, fuelTotal: budget - remaining(live), micros: micros(t0) };
    } catch (err) {
      this.#discard();
      // After a trap in execute, its fuel is what it burnt until the trap (a negative remainder counts as the full budget).
      const left = Math.max(0, remaining(live));
      const fuel = before === undefined ? 0 : before - Math.min(before, left);
      throw new CallFailure(this.#classify(err, live), { fuel, fuelTotal: budget - left, micros: micros(t0) });
    } finally {
      this.#output.flush();
      this.#flushCalls();
    }
  }

  /** New grants take effect on the next instance (imports are linked at instantiation). */
  setGrants(granted: readonly Capability[], dataDir: string | null): void {
    this.#granted = new Set(granted);
    this.#dataDir = dataDir;
    this.#deniedLogged.clear();
    this.#discard();
  }

  #instantiate(measure = false): { live: Live; metadata: PluginMetadata; instantiateMicros?: number } & Cost {
    const compiled = this.#compiled;
    if (compiled === undefined) throw new CallFailure(new MidimonError('internal', 'plugin not loaded'), { fuel: 0, fuelTotal: 0, micros: 0 });
    const t0 = performance.now();
    const budget = this.#limits.fuelPerInit;
    const memory = new GuestMemory();
    let live: Live | undefined;
    let fs: ConfinedFs | null = null;
    try {
      if (this.#granted.has('Filesystem') && this.#dataDir !== null) {
        mkdirSync(this.#dataDir, { recursive: true, mode: 0o700 });
        fs = new ConfinedFs(this.#dataDir);
      }
      const isGranted = (c: Capability): boolean => this.#granted.has(c);
      const denied = (c: Capability, fn: string): void => this.#denied(c, fn);
      // Bound to the instance's fuel global once it exists (host calls before that, none, are free).
      let meter: WebAssembly.Global | undefined;
      const charge = (units: number): void => {
        if (meter === undefined) return;
        const left = Number(meter.value as bigint) - units;
        meter.value = BigInt(left);
        if (left < 0) throw new HostTrap('out_of_fuel', 'fuel ran out in a host call');
      };
      const imports = {
        wasi_snapshot_preview1: createWasiImports({ memory, output: this.#output, fs, isGranted, denied, charge }),
        midimon: createHostFunctions({ memory, output: this.#output, isGranted, denied, charge, batch: this.#batch }),
      };
      let instance: WebAssembly.Instance;
      let instantiateMicros: number | undefined;
      try {
        const ti = performance.now();
        instance = new WebAssembly.Instance(compiled.module, imports);
        if (measure) {
          // No plugin code runs here (the start function is hoisted out), so repeating it is harmless:
          // the best of up to 3 keeps one preemption on a busy machine from deciding the lane.
          instantiateMicros = micros(ti);
          for (let i = 0; i < 2 && instantiateMicros > REALTIME_INSTANTIATE_MS * 1000; i++) {
            const tr = performance.now();
            new WebAssembly.Instance(compiled.module, imports);
            instantiateMicros = Math.min(instantiateMicros, micros(tr));
          }
        }
      } catch (err) {
        if (err instanceof WebAssembly.LinkError) throw new MidimonError('invalid_module', `cannot link plugin: ${err.message}`);
        throw err;
      }
      const ex = instance.exports;
      const mem = ex['memory'];
      if (!(mem instanceof WebAssembly.Memory)) throw new MidimonError('missing_export', "plugin does not export 'memory'");
      memory.bind(mem);
      const fuelG = ex[compiled.fuelGlobal];
      const growG = ex[compiled.growFailedGlobal];
      if (!(fuelG instanceof WebAssembly.Global) || !(growG instanceof WebAssembly.Global)) throw new MidimonError('internal', 'instrumented module lacks its meter globals');
      meter = fuelG;
      live = { fuel: fuelG, growFailed: growG, init: fn(ex, 'init'), execute: fn(ex, 'execute'), alloc: fn(ex, 'alloc'), dealloc: typeof ex['dealloc'] === 'function' ? fn(ex, 'dealloc') : undefined, memory, fs };
      live.fuel.value = BigInt(budget);
      if (compiled.startExport !== null) fn(ex, compiled.startExport)();
      // wasm32-wasip1 reactors (Rust cdylib) run their constructors from _initialize, once, first.
      if (typeof ex['_initialize'] === 'function') fn(ex, '_initialize')();
      const packed = BigInt.asUintN(64, BigInt(live.init() as bigint));
      const ptr = Number(packed >> 32n);
      const len = Number(packed & 0xffffffffn);
      if (len > METADATA_MAX_BYTES) {
        throw new MidimonError('bad_metadata', `metadata length ${len} exceeds the ${METADATA_MAX_BYTES}-byte cap`, { details: { field: '(length)', ptr, len } });
      }
      const raw = memory.bytes(ptr, len);
      if (raw === undefined) {
        throw new MidimonError('bad_pointer', `init() returned metadata at ${ptr}+${len}, outside the plugin's memory (${memory.size} bytes)`, { details: { field: '(pointer)', ptr, len } });
      }
      const metadata = parseMetadata(raw.slice());
      this.#live = live;
      const used = budget - remaining(live);
      return { live, metadata, fuel: used, fuelTotal: used, micros: micros(t0), ...(instantiateMicros === undefined ? {} : { instantiateMicros }) };
    } catch (err) {
      this.#discard();
      // Not yet this.#live: files the failed start/init opened are closed here.
      fs?.closeAll();
      const used = live === undefined ? 0 : budget - remaining(live);
      throw new CallFailure(this.#classify(err, live), { fuel: used, fuelTotal: used, micros: micros(t0) });
    } finally {
      this.#output.flush();
      this.#flushCalls();
    }
  }

  /** One batch per call into the plugin, before its outcome; what was sent before a failure is delivered too. */
  #flushCalls(): void {
    const batch = this.#batch.take();
    if (batch !== undefined) this.#hooks.hostCalls(batch);
  }

  #denied(cap: Capability, fn: string): void {
    if (this.#deniedLogged.has(cap)) return;
    this.#deniedLogged.add(cap);
    this.#hooks.log('warn', `plugin used capability ${cap}, which is not granted: ${fn} refused`, { capability: cap, function: fn });
  }

  #discard(): void {
    this.#live?.fs?.closeAll();
    this.#live = undefined;
  }

  #classify(err: unknown, live: Live | undefined): MidimonError {
    if (err instanceof CallFailure) return err.error;
    if (err instanceof ProcExit) return new MidimonError('plugin_exit', `plugin called proc_exit(${err.code})`, { details: { code: err.code } });
    if (err instanceof HostTrap && err.kind !== 'out_of_fuel') return new MidimonError(err.kind, err.message);
    if (err instanceof MidimonError) return err;
    const message = err instanceof Error ? err.message : String(err);
    if (live !== undefined && remaining(live) < 0) {
      return new MidimonError('out_of_fuel', `plugin ran out of fuel (limit ${this.#limits.fuelPerExecute} per execute, ${this.#limits.fuelPerInit} for init)`);
    }
    if (live !== undefined && live.growFailed.value === 1) {
      return new MidimonError('memory_limit', `plugin trapped after memory.grow failed at the ${this.#limits.memoryBytes}-byte limit: ${message}`);
    }
    if (err instanceof RangeError && /call stack/i.test(message)) {
      return new MidimonError('stack_overflow', `plugin exhausted the ${this.#limits.stackSizeMb} MiB stack (runaway recursion)`);
    }
    return new MidimonError('trap', `plugin trapped: ${message}`, { details: { plugin: this.#name } });
  }
}

/** Bytes -> checked, start-hoisted, instrumented, compiled module. Throws MidimonError (load kinds). */
export function compilePlugin(bytes: Uint8Array, limits: PluginLimits): CompiledPlugin {
  if (!WebAssembly.validate(bytes)) {
    try {
      new WebAssembly.Module(bytes);
    } catch (err) {
      throw new MidimonError('invalid_module', `not a valid WebAssembly module: ${(err as Error).message}`);
    }
  }
  const pages = memoryPages(limits);
  const info = inspectModule(bytes);
  checkModule(info, pages);
  const hoisted = hoistStart(bytes, new Set(info.exports.map((e) => e.name)));
  const out = instrument(hoisted.bytes, { maxMemoryPages: pages, growCostPerPage: limits.growCostPerPage });
  let module: WebAssembly.Module;
  try {
    module = new WebAssembly.Module(out.bytes);
  } catch (err) {
    throw new MidimonError('invalid_module', `instrumented module does not compile: ${(err as Error).message}`, { cause: err });
  }
  return { module, fuelGlobal: out.fuelGlobal, growFailedGlobal: out.growFailedGlobal, startExport: hoisted.startExport };
}

function fn(ex: WebAssembly.Exports, name: string): Fn {
  const f = ex[name];
  if (typeof f !== 'function') throw new MidimonError('missing_export', `plugin does not export function '${name}'`);
  return f as Fn;
}

function remaining(live: Live): number {
  return Number(live.fuel.value as bigint);
}

function micros(t0: number): number {
  return Math.round((performance.now() - t0) * 1000);
}
