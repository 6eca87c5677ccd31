import { MidimonError } from '../errors.js';
import type { PluginLimits, ProfileName } from './types.js';

const MiB = 1024 * 1024;
export const WASM_PAGE = 65536;

/**
 * desktop: the plugin guide's defaults (100M fuel, 128 MiB, 5 s).
 * pi: sized for a Pi 3/4 (Cortex-A53/A72, 1-4 GiB shared with the MIDI path):
 * 10M fuel is ~20-40 ms of wasm there, far above the guide's "< 1 ms per
 * action" yet small enough that a runaway action ends before a musician
 * notices; init gets 50M for one-off setup (parsing a config); 16 MiB of
 * linear memory per plugin; 3 s wall clock; 1 MiB stack (~10k frames).
 * The wall clock is a backstop for what fuel does not see, sized so that fuel
 * binds first on the slowest Pi: burning all 50M init fuel, cold, is estimated
 * at ~1.5 s on a Pi 3 (0.6 s on a Pi 4), so 3 s never refuses a plugin that
 * stays within its fuel, while a runaway loop still ends by fuel. One value
 * serves load and execute because an execute after a failure re-instantiates
 * and reruns init inside that call. docs/hardware.md "Calibrating the pi
 * profile" has the method and figures; docs/plugins.md the other limits.
 */
export const PROFILES: Readonly<Record<ProfileName, PluginLimits>> = {
  desktop: {
    fuelPerExecute: 100_000_000,
    fuelPerInit: 100_000_000,
    memoryBytes: 128 * MiB,
    timeoutMs: 5000,
    stackSizeMb: 4,
    heapMb: 64,
    growCostPerPage: 64,
    logLinesPerWindow: 100,
    logBytesPerWindow: 16 * 1024,
    logWindowMs: 1000,
  },
  pi: {
    fuelPerExecute: 10_000_000,
    fuelPerInit: 50_000_000,
    memoryBytes: 16 * MiB,
    timeoutMs: 3000,
    stackSizeMb: 1,
    heapMb: 32,
    growCostPerPage: 64,
    logLinesPerWindow: 20,
    logBytesPerWindow: 4 * 1024,
    logWindowMs: 1000,
  },
};

/**
 * Host functions charge the caller's fuel for the work they do on its behalf,
 * so fuel bounds time spent in host code too (wasmtime charges nothing there,
 * but wasm's own memory.copy costs 1 per byte, and a 16 MiB fd_write would
 * otherwise cost a few fuel): HOST_CALL_FUEL per call (one call from wasm
 * into JS is ~0.5-0.8 us here, what a plain loop does with ~1000 fuel), 1 per
 * byte copied, scanned or filled, HOST_LINE_FUEL per output line.
 */
export const HOST_CALL_FUEL = 1000;
export const HOST_LINE_FUEL = 400;
/** Per iovec of fd_write/fd_read: each one is a bounds check and a view, even when empty. */
export const HOST_IOVEC_FUEL = 150;
/** All rates are sized so that a flood of any host function holds the thread about as long as a plain loop of the same fuel (bench/plugin.bench.ts, section 5): midi_send copies into a JS array for the engine, an output line is split, counted and rate-limited. */
export const MIDI_SEND_FUEL_PER_BYTE = 10;
/**
 * Per directory entry fd_readdir reads: each call reads, sorts and encodes the whole directory again,
 * measured at 5.5 us per entry here (1,024 entries, loaded 2-vCPU VM), ~8k fuel at HOST_CALL_FUEL's rate.
 */
export const HOST_DIRENT_FUEL = 8000;

/**
 * The realtime lane runs a plugin on the MIDI thread, where fuel is the only
 * bound on a call's time (nothing can pre-empt the thread; host functions
 * charge fuel too). 500k fuel is ~30x what the example plugins use per action
 * (7-17k, host-call charges included) and ~0.3 ms of an endless loop here, an estimated 1-2 ms on a Pi 3/4;
 * init (rerun after any failure) gets twice that.
 */
export const REALTIME_FUEL_PER_EXECUTE = 500_000;
export const REALTIME_FUEL_PER_INIT = 1_000_000;
/**
 * A realtime call (load/reload included) holding the MIDI thread longer than
 * this, by wall clock, counts as a fault whatever it returned: fuel prices
 * operators, not every engine slow path. 10 ms is ~20x the worst failing call
 * the bench measures here (0.2-0.5 ms p50) and an audible delay, yet above a
 * GC pause or a preemption on a busy machine (it takes 3 in a minute to move).
 */
export const REALTIME_OVERRUN_MS = 10;
/**
 * Instantiation runs no plugin code, so fuel cannot bound it, yet what a module
 * declares within every cap can take long: 4 tables of 65,536 funcref entries
 * from element segments took 190-400 ms here. A realtime plugin is therefore
 * loaded first in a worker (compile, instantiate, start, init, under the
 * wall-clock timeout); only when `new WebAssembly.Instance` took at most this
 * there (best of 3) does its instance move to the MIDI thread, else it stays
 * in that worker (isolated lane). Reinstantiating after a failure costs the
 * MIDI thread about as much again, at most 3 times a minute (REALTIME_FAULTS_TO_ISOLATE).
 */
export const REALTIME_INSTANTIATE_MS = 5;

/** Limits for the realtime lane: the isolated lane's, with fuel capped and the main thread's stack (V8's ~1 MiB). */
export function realtimeLimits(limits: PluginLimits): PluginLimits {
  return {
    ...limits,
    fuelPerExecute: Math.min(limits.fuelPerExecute, REALTIME_FUEL_PER_EXECUTE),
    fuelPerInit: Math.min(limits.fuelPerInit, REALTIME_FUEL_PER_INIT),
    stackSizeMb: 1,
  };
}

/** ARM boards get the tight profile unless the operator says otherwise. */
export function defaultProfile(arch: string = process.arch): ProfileName {
  return arch === 'arm' || arch === 'arm64' ? 'pi' : 'desktop';
}

export function isProfileName(v: unknown): v is ProfileName {
  return v === 'desktop' || v === 'pi';
}

/** Profile + overrides, with every number checked (a zero or NaN limit would silently disable a bound). */
export function resolveLimits(profile: ProfileName, ...overrides: ReadonlyArray<Partial<PluginLimits> | undefined>): PluginLimits {
  const out: Record<string, number> = { ...PROFILES[profile] };
  for (const o of overrides) {
    if (o === undefined) continue;
    for (const [k, v] of Object.entries(o)) {
      if (v === undefined) continue;
      if (!(k in out)) throw new MidimonError('config_invalid', `unknown plugin limit '${k}'`, { details: { key: k } });
      if (typeof v !== 'number' || !Number.isFinite(v) || v <= 0) {
        throw new MidimonError('config_invalid', `plugin limit '${k}' must be a positive number, got ${String(v)}`, { details: { key: k } });
      }
      out[k] = v;
    }
  }
  const limits = out as unknown as PluginLimits;
  if (limits.memoryBytes < WASM_PAGE) throw new MidimonError('config_invalid', `plugin limit 'memoryBytes' must be at least one 64 KiB page`);
  return limits;
}

export function memoryPages(limits: PluginLimits): number {
  return Math.floor(limits.memoryBytes / WASM_PAGE);
}

/**
 * What one execute (or one instantiation's start + init) may hand the engine
 * through host calls. Everything a call sends crosses to the main thread (and
 * from the plugin process) as one batch at the end of the call, and the main
 * thread then hands each message to the engine: these two numbers bound that
 * work per call. Before the bound, 1,024 `midi_send` of 4 KiB crossed as
 * `number[]` messages and blocked the event loop 0.75-1.6 s
 * (bench/host-calls.bench.ts has the figure before and after).
 * - HOST_CALLS_PER_EXECUTE: `midi_send`, `set_mode` and `log` calls together.
 *   The example plugins make 1-8 per action; a panic over 16 channels is 32.
 * - HOST_BYTES_PER_EXECUTE: their payload (MIDI bytes, mode names, log text).
 *   A 64 KiB SysEx dump (the size the SysEx routes guarantee) fits twice.
 * The call that would pass either bound ends the execute with `send_limit`
 * (naming the plugin and the bound); what was sent before it is delivered.
 */
export const HOST_CALLS_PER_EXECUTE = 1024;
export const HOST_BYTES_PER_EXECUTE = 128 * 1024;
