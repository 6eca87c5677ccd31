import { HOST_BYTES_PER_EXECUTE, HOST_CALLS_PER_EXECUTE } from '../limits.js';
import type { HostCall } from '../types.js';
import { HostTrap } from '../wasi/wasi-errors.js';

/**
 * The host calls one plugin call made, as they cross to the main thread (and
 * from the plugin process): one message per call, not one per host call, and
 * the MIDI bytes in one typed array whose buffer is transferred, not copied
 * element by element. Before, each `midi_send` crossed as its own message
 * with a `number[]` (a 4 KiB SysEx is 4,096 tagged values to serialise,
 * check and rebuild on the main thread).
 *
 * `ops` holds three words per call, in call order:
 * - OP_MIDI, offset into `data`, length;
 * - OP_MODE, index into `text`, 0;
 * - OP_LOG, index into `text`, level (0-3).
 */
export interface HostCallBatch {
  readonly ops: Uint32Array;
  readonly data: Uint8Array;
  readonly text: readonly string[];
}

export const OP_MIDI = 0;
export const OP_MODE = 1;
export const OP_LOG = 2;

/** Collects one call's host calls under the per-execute bounds (limits.ts). Lives with the plugin's runtime. */
export class SendBatch {
  readonly #plugin: string;
  readonly #maxCalls: number;
  readonly #maxBytes: number;
  // Sized once for the bounds (12 KiB + 128 KiB), reused across calls; a flush copies out what was used.
  readonly #ops: Uint32Array;
  readonly #data: Uint8Array;
  #text: string[] = [];
  #calls = 0;
  #dataBytes = 0;
  #payload = 0;

  constructor(plugin: string, maxCalls = HOST_CALLS_PER_EXECUTE, maxBytes = HOST_BYTES_PER_EXECUTE) {
    this.#plugin = plugin;
    this.#maxCalls = maxCalls;
    this.#maxBytes = maxBytes;
    this.#ops = new Uint32Array(maxCalls * 3);
    this.#data = new Uint8Array(maxBytes);
  }

  get calls(): number {
    return this.#calls;
  }

  /** Copies the bytes (the plugin's memory may change after the call returns). Throws send_limit past a bound. */
  midi(bytes: Uint8Array): void {
    this.#admit(bytes.length);
    this.#data.set(bytes, this.#dataBytes);
    this.#op(OP_MIDI, this.#dataBytes, bytes.length);
    this.#dataBytes += bytes.length;
  }

  mode(mode: string, byteLength: number): void {
    this.#admit(byteLength);
    this.#op(OP_MODE, this.#text.push(mode) - 1, 0);
  }

  log(level: 0 | 1 | 2 | 3, message: string, byteLength: number): void {
    this.#admit(byteLength);
    this.#op(OP_LOG, this.#text.push(message) - 1, level);
  }

  /** What was collected since the last take (undefined when nothing), and a fresh start for the next call. */
  take(): HostCallBatch | undefined {
    if (this.#calls === 0) return undefined;
    const batch: HostCallBatch = { ops: this.#ops.slice(0, this.#calls * 3), data: this.#data.slice(0, this.#dataBytes), text: this.#text };
    this.#text = [];
    this.#calls = 0;
    this.#dataBytes = 0;
    this.#payload = 0;
    return batch;
  }

  #admit(bytes: number): void {
    if (this.#calls + 1 > this.#maxCalls) {
      throw new HostTrap('send_limit', `plugin '${this.#plugin}' made more than ${this.#maxCalls} host calls (midi_send, set_mode, log) in one call, the limit per execute`);
    }
    if (this.#payload + bytes > this.#maxBytes) {
      throw new HostTrap(
        'send_limit',
        `plugin '${this.#plugin}' sent more than ${this.#maxBytes} bytes through host calls in one call (${this.#payload} sent, ${bytes} more asked), the limit per execute`,
      );
    }
    this.#payload += bytes;
  }

  #op(kind: number, a: number, b: number): void {
    const i = this.#calls * 3;
    this.#ops[i] = kind;
    this.#ops[i + 1] = a;
    this.#ops[i + 2] = b;
    this.#calls += 1;
  }
}

/** The buffers to transfer with a batch (its typed arrays own them: `slice` made them). */
export function batchTransfer(b: HostCallBatch): ArrayBuffer[] {
  return [b.ops.buffer as ArrayBuffer, b.data.buffer as ArrayBuffer];
}

/**
 * Checks a batch from a worker or the plugin process: O(calls), never O(bytes),
 * so checking is no longer the main thread's biggest cost.
 */
export function isHostCallBatch(v: unknown): v is HostCallBatch {
  if (typeof v !== 'object' || v === null) return false;
  const { ops, data, text } = v as Record<string, unknown>;
  if (!(ops instanceof Uint32Array) || !(data instanceof Uint8Array) || !Array.isArray(text)) return false;
  if (ops.length % 3 !== 0 || ops.length / 3 > HOST_CALLS_PER_EXECUTE || data.length > HOST_BYTES_PER_EXECUTE) return false;
  for (let i = 0; i < ops.length; i += 3) {
    const a = ops[i + 1] as number;
    const b = ops[i + 2] as number;
    switch (ops[i]) {
      case OP_MIDI:
        if (b === 0 || a + b > data.length) return false;
        break;
      case OP_MODE:
        if (typeof text[a] !== 'string') return false;
        break;
      case OP_LOG:
        if (typeof text[a] !== 'string' || b > 3) return false;
        break;
      default:
        return false;
    }
  }
  return true;
}

/** Hands each call of a checked batch to `deliver`, in order (MIDI bytes as the engine takes them). */
export function forEachHostCall(b: HostCallBatch, deliver: (call: HostCall) => void): void {
  const { ops, data, text } = b;
  for (let i = 0; i < ops.length; i += 3) {
    const a = ops[i + 1] as number;
    const n = ops[i + 2] as number;
    switch (ops[i]) {
      case OP_MIDI: {
        // A plain loop: Array.from on a typed array is ~25x slower.
        const bytes = new Array<number>(n);
        for (let j = 0; j < n; j++) bytes[j] = data[a + j] as number;
        deliver({ fn: 'midi_send', bytes });
        break;
      }
      case OP_MODE:
        deliver({ fn: 'set_mode', mode: text[a] as string });
        break;
      case OP_LOG:
        deliver({ fn: 'log', level: n as 0 | 1 | 2 | 3, message: text[a] as string });
        break;
    }
  }
}
