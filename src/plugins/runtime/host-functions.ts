import type { GuestMemory } from './guest-memory.js';
import type { OutputLimiter } from './output-limiter.js';
import type { LogLevel } from '../lanes/protocol.js';
import { HOST_CALL_FUEL, MIDI_SEND_FUEL_PER_BYTE } from '../limits.js';
import type { SendBatch } from '../lanes/send-batch.js';
import type { Capability } from '../types.js';
import { HostTrap } from '../wasi/wasi-errors.js';

/**
 * Largest MIDI message a plugin may send in one call: a 64 KiB SysEx dump goes out whole (issue 16);
 * what one execute may send in all is bounded by HOST_BYTES_PER_EXECUTE, the engine's `[sysex] max_bytes` applies after.
 */
export const MIDI_SEND_MAX = 64 * 1024;
export const MODE_NAME_MAX = 256;
const LEVELS: readonly LogLevel[] = ['debug', 'info', 'warn', 'error'];

export interface HostFunctionContext {
  readonly memory: GuestMemory;
  readonly output: OutputLimiter;
  readonly isGranted: (cap: Capability) => boolean;
  readonly denied: (cap: Capability, fn: string) => void;
  /** Collects the call (delivered in order, after the fact, in one batch); throws send_limit past the per-execute bounds. */
  readonly batch: SendBatch;
  /** Takes fuel for work done on the plugin's behalf; throws (out_of_fuel) when there is not enough. */
  readonly charge: (units: number) => void;
}

/**
 * The `midimon` import module. Calls are fire-and-forget: the plugin gets 0
 * when the call was accepted and forwarded, -1 when refused; the engine acts
 * on it after the plugin returns. A pointer outside memory traps (bad_pointer).
 */
export function createHostFunctions(ctx: HostFunctionContext): Record<string, (...args: number[]) => number | undefined> {
  const bytes = (fn: string, ptr: number, len: number, perByte = 1): Uint8Array => {
    // Bounds first (a view costs nothing): a wild pointer is reported as bad_pointer, not as fuel.
    const b = ctx.memory.bytes(ptr, len);
    if (b === undefined) throw new HostTrap('bad_pointer', `${fn}: range ${ptr >>> 0}+${len >>> 0} is outside the plugin's memory (${ctx.memory.size} bytes)`);
    ctx.charge(HOST_CALL_FUEL + perByte * b.length);
    return b;
  };
  return {
    midi_send: (ptr, len) => {
      const b = bytes('midi_send', ptr, len, MIDI_SEND_FUEL_PER_BYTE);
      if (!ctx.isGranted('Midi')) {
        ctx.denied('Midi', 'midi_send');
        return -1;
      }
      if (b.length === 0 || b.length > MIDI_SEND_MAX) return -1;
      ctx.batch.midi(b);
      return 0;
    },
    set_mode: (ptr, len) => {
      const b = bytes('set_mode', ptr, len);
      if (b.length === 0 || b.length > MODE_NAME_MAX) return -1;
      let mode: string;
      try {
        mode = new TextDecoder('utf-8', { fatal: true }).decode(b);
      } catch {
        return -1;
      }
      ctx.batch.mode(mode, b.length);
      return 0;
    },
    log: (level, ptr, len) => {
      const b = bytes('log', ptr, Math.min(len >>> 0, 4096));
      const lvl = level >= 0 && level <= 3 ? (level as 0 | 1 | 2 | 3) : 1;
      const message = new TextDecoder().decode(b);
      // Rate-limited like stdout; the admitted ones reach the engine too.
      if (ctx.output.message(LEVELS[lvl] ?? 'info', message)) ctx.batch.log(lvl, message, b.length);
      return undefined;
    },
  };
}
