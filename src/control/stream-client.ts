import { createConnection } from 'node:net';
import { MidimonError } from '../errors.js';
import { connectError } from './client.js';
import type { MonitorEvent } from './monitor-protocol.js';
import type { ControlResponse } from './protocol.js';

export interface MonitorConnection {
  /** Resolves once the box accepted the subscription (events flow after this). */
  readonly ready: Promise<void>;
  /** Resolves when the connection ends (the box stopped, or close() was called). */
  readonly closed: Promise<void>;
  close(): void;
}

/**
 * Subscribes to the box's event stream (`monitor`): the first line is the
 * answer, every further line one MonitorEvent.
 */
export function openMonitor(socketPath: string, onEvent: (event: MonitorEvent) => void, options: { timeoutMs?: number } = {}): MonitorConnection {
  const socket = createConnection(socketPath);
  let accepted = false;
  let buffer = '';
  let readyResolve!: () => void;
  let readyReject!: (err: Error) => void;
  const ready = new Promise<void>((resolve, reject) => {
    readyResolve = resolve;
    readyReject = reject;
  });
  // The caller may only await `closed`; a refused subscription must not surface as an unhandled rejection.
  ready.catch(() => undefined);
  const timeoutMs = options.timeoutMs ?? 10_000;
  const timer = setTimeout(() => {
    readyReject(new MidimonError('timeout', `midimon service did not answer within ${timeoutMs} ms (socket ${socketPath})`));
    socket.destroy();
  }, timeoutMs);
  const closed = new Promise<void>((resolve) => socket.once('close', () => resolve()));
  socket.setEncoding('utf8');
  socket.once('connect', () => socket.write(`${JSON.stringify({ cmd: 'monitor' })}\n`));
  socket.on('data', (chunk: string) => {
    buffer += chunk;
    let nl: number;
    while ((nl = buffer.indexOf('\n')) >= 0) {
      const line = buffer.slice(0, nl);
      buffer = buffer.slice(nl + 1);
      let parsed: unknown;
      try {
        parsed = JSON.parse(line);
      } catch (err) {
        readyReject(new MidimonError('internal', `malformed line from the midimon service: ${(err as Error).message}`));
        socket.destroy();
        return;
      }
      if (!accepted) {
        clearTimeout(timer);
        const r = parsed as ControlResponse<'monitor'>;
        if (!r.ok) {
          readyReject(new MidimonError(r.error.kind, r.error.message));
          socket.destroy();
          return;
        }
        accepted = true;
        readyResolve();
        continue;
      }
      onEvent(parsed as MonitorEvent);
    }
  });
  socket.on('error', (err: NodeJS.ErrnoException) => {
    clearTimeout(timer);
    readyReject(connectError(socketPath, err));
  });
  socket.on('close', () => {
    clearTimeout(timer);
    if (!accepted) readyReject(new MidimonError('internal', `midimon service closed the connection without answering (socket ${socketPath})`));
  });
  return { ready, closed, close: () => socket.destroy() };
}
