import type { LogLevel } from '../lanes/protocol.js';
import type { PluginLimits } from '../types.js';

/** Longest line kept from a plugin; the rest of the line is counted as dropped. */
export const MAX_LINE_BYTES = 1024;

export type OutputSource = 'stdout' | 'stderr';
export type EmitLine = (level: LogLevel, line: string, fields: Readonly<Record<string, string | number>>) => void;

interface LineBuffer {
  chunks: Uint8Array[];
  len: number;
  discarding: boolean;
}

/**
 * Turns a plugin's stdout/stderr bytes (and log host calls) into log lines,
 * at most N lines and B bytes per window: a plugin printing 1 MiB per call
 * costs the journal one truncated line and a "dropped" summary. Works on
 * bytes so a flood is skipped with indexOf, never decoded.
 */
export class OutputLimiter {
  readonly #limits: Pick<PluginLimits, 'logLinesPerWindow' | 'logBytesPerWindow' | 'logWindowMs'>;
  readonly #now: () => number;
  readonly #emit: EmitLine;
  readonly #buffers: Record<OutputSource, LineBuffer> = { stdout: newBuffer(), stderr: newBuffer() };
  #windowStart = Number.NEGATIVE_INFINITY;
  #lines = 0;
  #bytes = 0;
  #droppedLines = 0;
  #droppedBytes = 0;

  constructor(limits: Pick<PluginLimits, 'logLinesPerWindow' | 'logBytesPerWindow' | 'logWindowMs'>, emit: EmitLine, now: () => number = () => performance.now()) {
    this.#limits = limits;
    this.#emit = emit;
    this.#now = now;
  }

  /** `perLine` runs before each completed line is handled (the host charges fuel there; it may throw to stop). */
  write(source: OutputSource, bytes: Uint8Array, perLine: () => void = () => undefined): void {
    const buf = this.#buffers[source];
    let i = 0;
    while (i < bytes.length) {
      const nl = bytes.indexOf(10, i);
      const end = nl === -1 ? bytes.length : nl;
      const segment = bytes.subarray(i, end);
      if (buf.discarding) {
        this.#droppedBytes += segment.length;
      } else {
        const take = Math.min(MAX_LINE_BYTES - buf.len, segment.length);
        if (take > 0) buf.chunks.push(segment.slice(0, take));
        buf.len += take;
        if (segment.length > take) {
          buf.discarding = true;
          this.#droppedBytes += segment.length - take;
        }
      }
      if (nl === -1) break;
      perLine();
      this.#flushBuffer(source);
      i = nl + 1;
    }
  }

  /** A message from the `log` host function (already decoded, level 0-3). */
  message(level: LogLevel, text: string): boolean {
    const line = text.length > MAX_LINE_BYTES ? `${text.slice(0, MAX_LINE_BYTES)}...` : text;
    return this.#admit(level, Buffer.byteLength(line), () => line, { source: 'log' });
  }

  /** End of a call: emit partial lines and say what was dropped. */
  flush(): void {
    this.#flushBuffer('stdout');
    this.#flushBuffer('stderr');
    this.#reportDropped();
  }

  #flushBuffer(source: OutputSource): void {
    const buf = this.#buffers[source];
    if (buf.len === 0 && !buf.discarding) return;
    const chunks = buf.chunks;
    const size = buf.len;
    const truncated = buf.discarding;
    // Reset in place: write() holds a reference to this buffer across lines.
    buf.chunks = [];
    buf.len = 0;
    buf.discarding = false;
    // Decoded only if admitted: a flood is counted, never decoded.
    const text = (): string => new TextDecoder().decode(Buffer.concat(chunks, size)) + (truncated ? '...' : '');
    this.#admit(source === 'stderr' ? 'warn' : 'info', size, text, { source });
  }

  #admit(level: LogLevel, size: number, line: () => string, fields: Record<string, string>): boolean {
    const now = this.#now();
    if (now - this.#windowStart >= this.#limits.logWindowMs) {
      this.#reportDropped();
      this.#windowStart = now;
      this.#lines = 0;
      this.#bytes = 0;
    }
    if (this.#lines + 1 > this.#limits.logLinesPerWindow || this.#bytes + size > this.#limits.logBytesPerWindow) {
      this.#droppedLines += 1;
      this.#droppedBytes += size;
      return false;
    }
    this.#lines += 1;
    this.#bytes += size;
    this.#emit(level, line(), fields);
    return true;
  }

  #reportDropped(): void {
    if (this.#droppedLines === 0 && this.#droppedBytes === 0) return;
    this.#emit('warn', 'plugin output rate-limited', { droppedLines: this.#droppedLines, droppedBytes: this.#droppedBytes });
    this.#droppedLines = 0;
    this.#droppedBytes = 0;
  }
}

function newBuffer(): LineBuffer {
  return { chunks: [], len: 0, discarding: false };
}
