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
 * linear memory per plugin; 250 ms wall clock; 1 MiB stack (~10k frames).
 * docs/plugins.md has the reasoning and measurements.
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
    timeoutMs: 250,
    stackSizeMb: 1,
    heapMb: 32,
    growCostPerPage: 64,
    logLinesPerWindow: 20,
    logBytesPerWindow: 4 * 1024,
    logWindowMs: 1000,
  },
};

/**
 * The realtime lane runs a plugin on the MIDI thread, where fuel is the only
 * bound on a call's time (nothing can pre-empt the thread). 500k fuel is
 * ~1-2 ms of wasm on a Pi 3/4 (0.6 ms here) and ~35x what the example
 * plugins use per action (6-14k); init gets 10x that.
 */
export const REALTIME_FUEL_PER_EXECUTE = 500_000;
export const REALTIME_FUEL_PER_INIT = 5_000_000;

/** Limits for the realtime lane: the isolated lane's, with fuel capped. */
export function realtimeLimits(limits: PluginLimits): PluginLimits {
  return {
    ...limits,
    fuelPerExecute: Math.min(limits.fuelPerExecute, REALTIME_FUEL_PER_EXECUTE),
    fuelPerInit: Math.min(limits.fuelPerInit, REALTIME_FUEL_PER_INIT),
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
