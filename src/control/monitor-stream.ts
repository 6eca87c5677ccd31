import type { Socket } from 'node:net';
import type { MonitorEvent, MonitorSubscribe } from './monitor-protocol.js';

export interface MonitorStreamOptions {
  /** Events waiting for the next flush; more are counted as dropped. */
  readonly maxQueued?: number;
  /** Bytes the kernel/Node may hold for a slow reader before events are dropped instead of buffered. */
  readonly maxBuffered?: number;
}

const RETRY_MS = 50;

/**
 * One `monitor` connection. The box publishes synchronously on the MIDI
 * path, so publishing only appends to a bounded queue; serialising and
 * writing happen on the next turn of the event loop. A client that reads
 * slowly (or not at all) makes events drop, counted and reported with a
 * `dropped` event once it catches up: MIDI never waits for a monitor and
 * the box never buffers without bound.
 */
export class MonitorStream {
  readonly #socket: Socket;
  readonly #maxQueued: number;
  readonly #maxBuffered: number;
  readonly #queue: MonitorEvent[] = [];
  #dropped = 0;
  #scheduled = false;
  #retry: NodeJS.Timeout | undefined;
  #unsubscribe: (() => void) | null = null;

  constructor(socket: Socket, options: MonitorStreamOptions = {}) {
    this.#socket = socket;
    this.#maxQueued = options.maxQueued ?? 1000;
    // Room for the largest SysEx the box passes ([sysex] max_bytes 256 KiB: up to ~1 MiB as JSON numbers),
    // seen twice (in and out), and the events right behind it: with 256 KiB a slow reader lost the note after a 64 KiB dump.
    this.#maxBuffered = options.maxBuffered ?? 2 * 1024 * 1024;
  }

  /** Subscribes; the subscription ends when the socket closes. */
  start(subscribe: MonitorSubscribe): void {
    this.#unsubscribe = subscribe((e) => this.push(e));
    this.#socket.once('close', () => this.stop());
    // A monitor is quiet when nothing plays: it must not hit the idle timeout.
    this.#socket.setTimeout(0);
    this.#socket.on('drain', () => this.#schedule());
  }

  stop(): void {
    clearTimeout(this.#retry);
    this.#unsubscribe?.();
    this.#unsubscribe = null;
    this.#queue.length = 0;
  }

  get dropped(): number {
    return this.#dropped;
  }

  push(event: MonitorEvent): void {
    if (this.#unsubscribe === null) return;
    if (this.#queue.length >= this.#maxQueued) {
      this.#dropped++;
      return;
    }
    this.#queue.push(event);
    this.#schedule();
  }

  #schedule(): void {
    if (this.#scheduled) return;
    this.#scheduled = true;
    setImmediate(() => {
      this.#scheduled = false;
      this.#flush();
    });
  }

  #flush(): void {
    const socket = this.#socket;
    if (socket.destroyed) return this.stop();
    const lines: string[] = [];
    let budget = this.#maxBuffered - socket.writableLength;
    if (this.#dropped > 0 && budget > 0) {
      const at = this.#queue[0]?.at ?? Date.now();
      lines.push(JSON.stringify({ type: 'dropped', at, count: this.#dropped } satisfies MonitorEvent));
      this.#dropped = 0;
    }
    for (const e of this.#queue.splice(0)) {
      if (budget <= 0) {
        this.#dropped++;
        continue;
      }
      const line = JSON.stringify(e);
      budget -= line.length + 1;
      lines.push(line);
    }
    if (lines.length > 0) socket.write(`${lines.join('\n')}\n`);
    // Events were dropped: report it once the reader catches up, even if no new event comes
    // ('drain' only fires when a write was refused, which the budget may have prevented).
    if (this.#dropped > 0 && this.#retry === undefined) {
      this.#retry = setTimeout(() => {
        this.#retry = undefined;
        this.#schedule();
      }, RETRY_MS);
      this.#retry.unref();
    }
  }
}
