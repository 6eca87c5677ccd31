import { createServer, createConnection, type Server, type Socket } from 'node:net';
import { chmod, mkdir, unlink } from 'node:fs/promises';
import { dirname } from 'node:path';
import type { Logger } from '../log.js';
import { MidimonError, toMidimonError } from '../errors.js';
import { formatPath } from '../config/issues.js';
import { MonitorStream } from './monitor-stream.js';
import { CONTROL_COMMANDS, MAX_REQUEST_BYTES, controlRequestSchema, dispatch, type ControlHandlers, type ControlResponse } from './protocol.js';

export interface ControlServerOptions {
  readonly socketPath: string;
  readonly handlers: ControlHandlers;
  readonly log: Logger;
  /** File mode of the socket: owner and the service group may talk to the box. */
  readonly mode?: number;
  readonly maxRequestBytes?: number;
  readonly maxConnections?: number;
  readonly idleTimeoutMs?: number;
  /** Bounds of one `monitor` stream (see MonitorStream). */
  readonly monitorMaxQueued?: number;
  readonly monitorMaxBuffered?: number;
}

/**
 * The `midimon` CLI's way in: a Unix socket in the runtime directory, one
 * JSON request per line, answered in order. Bad input gets a clear error,
 * never a crash; an oversized request is answered and the connection closed.
 */
export class ControlServer {
  readonly #opts: ControlServerOptions;
  readonly #log: Logger;
  readonly #sockets = new Set<Socket>();
  #server: Server | undefined;

  constructor(options: ControlServerOptions) {
    this.#opts = options;
    this.#log = options.log.child({ component: 'control' });
  }

  get socketPath(): string {
    return this.#opts.socketPath;
  }

  async start(): Promise<void> {
    const path = this.#opts.socketPath;
    // sun_path holds 108 bytes on Linux; a longer path fails later with an obscure EINVAL.
    if (Buffer.byteLength(path) > 107) {
      throw new MidimonError('bad_request', `control socket path is too long (${Buffer.byteLength(path)} bytes, the limit is 107): ${path}; set MIDIMON_SOCKET to a shorter path`, { details: { socket: path } });
    }
    await mkdir(dirname(path), { recursive: true });
    await this.#removeStale(path);
    const server = createServer((socket) => this.#accept(socket));
    server.maxConnections = this.#opts.maxConnections ?? 16;
    await new Promise<void>((resolve, reject) => {
      server.once('error', reject);
      server.listen(path, () => {
        server.off('error', reject);
        resolve();
      });
    });
    server.on('error', (err) => this.#log.error({ err }, 'control socket error'));
    this.#server = server;
    await chmod(path, this.#opts.mode ?? 0o660);
    this.#log.info({ socket: path }, 'control socket listening');
  }

  async stop(): Promise<void> {
    const server = this.#server;
    if (server === undefined) return;
    this.#server = undefined;
    for (const s of this.#sockets) s.destroy();
    await new Promise<void>((resolve) => server.close(() => resolve()));
    await unlink(this.#opts.socketPath).catch(() => undefined);
  }

  /** A socket file left by a crashed run refuses connections: replace it. A live one means another instance runs. */
  async #removeStale(path: string): Promise<void> {
    const alive = await new Promise<boolean | 'absent'>((resolve) => {
      const c = createConnection(path);
      c.once('connect', () => {
        c.destroy();
        resolve(true);
      });
      c.once('error', (err: NodeJS.ErrnoException) => resolve(err.code === 'ENOENT' ? 'absent' : false));
    });
    if (alive === true) throw new MidimonError('device_unavailable', `another midimon instance is already listening on ${path}`, { details: { socket: path } });
    if (alive === false) {
      this.#log.warn({ socket: path }, 'removing stale control socket from a previous run');
      await unlink(path);
    }
  }

  #accept(socket: Socket): void {
    this.#sockets.add(socket);
    socket.setEncoding('utf8');
    // A client that connects and goes quiet must not hold one of the few connection slots forever.
    socket.setTimeout(this.#opts.idleTimeoutMs ?? 60_000, () => socket.destroy());
    const cap = this.#opts.maxRequestBytes ?? MAX_REQUEST_BYTES;
    let buffer = '';
    let queue: Promise<void> = Promise.resolve();
    let closed = false;
    // Long waits (`learn`) end when their client hangs up.
    const hangup = new AbortController();
    socket.on('close', () => hangup.abort());
    const send = (response: ControlResponse) => {
      if (!socket.destroyed) socket.write(`${JSON.stringify(response)}\n`);
    };
    // After a `monitor` request the connection is a one-way event stream; later lines are ignored.
    const startStream = () => {
      closed = true;
      const stream = new MonitorStream(socket, {
        ...(this.#opts.monitorMaxQueued === undefined ? {} : { maxQueued: this.#opts.monitorMaxQueued }),
        ...(this.#opts.monitorMaxBuffered === undefined ? {} : { maxBuffered: this.#opts.monitorMaxBuffered }),
      });
      stream.start(this.#opts.handlers.monitor);
    };
    socket.on('data', (chunk: string) => {
      if (closed) return;
      buffer += chunk;
      let nl: number;
      while ((nl = buffer.indexOf('\n')) >= 0) {
        const line = buffer.slice(0, nl);
        buffer = buffer.slice(nl + 1);
        if (Buffer.byteLength(line) > cap) return this.#oversized(socket, send, cap, () => (closed = true));
        if (line.trim() === '') continue;
        queue = queue
          .then(() => (closed ? undefined : this.#handleLine(line, hangup.signal)))
          .then((r) => {
            if (r === undefined) return;
            send(r);
            if (r.ok && r.result !== null && typeof r.result === 'object' && 'streaming' in r.result) startStream();
          });
      }
      if (Buffer.byteLength(buffer) > cap) this.#oversized(socket, send, cap, () => (closed = true));
    });
    socket.on('error', (err) => this.#log.debug({ err }, 'control client error'));
    socket.on('close', () => this.#sockets.delete(socket));
  }

  #oversized(socket: Socket, send: (r: ControlResponse) => void, cap: number, markClosed: () => void): void {
    markClosed();
    send({ ok: false, error: { kind: 'bad_request', message: `request too large: the limit is ${cap} bytes per line` } });
    socket.end();
  }

  async #handleLine(line: string, signal: AbortSignal): Promise<ControlResponse> {
    let json: unknown;
    try {
      json = JSON.parse(line);
    } catch (err) {
      return { ok: false, error: { kind: 'bad_request', message: `request is not valid JSON: ${(err as Error).message}` } };
    }
    const id = typeof json === 'object' && json !== null && 'id' in json && (typeof json.id === 'string' || typeof json.id === 'number') ? json.id : undefined;
    const withId = <T extends object>(r: T) => (id === undefined ? r : { id, ...r });
    const cmd = typeof json === 'object' && json !== null && 'cmd' in json ? json.cmd : undefined;
    if (typeof cmd !== 'string' || !(CONTROL_COMMANDS as readonly string[]).includes(cmd)) {
      const what = typeof cmd === 'string' ? `unknown command '${cmd}'` : 'request has no "cmd" string';
      return withId({ ok: false as const, error: { kind: 'bad_request' as const, message: `${what}; known commands: ${CONTROL_COMMANDS.join(', ')}` } });
    }
    const parsed = controlRequestSchema.safeParse(json);
    if (!parsed.success) {
      const problems = parsed.error.issues.map((i) => `${formatPath(i.path.filter((p): p is string | number => typeof p !== 'symbol')) || '(request)'}: ${i.message}`);
      return withId({ ok: false as const, error: { kind: 'bad_request' as const, message: `invalid '${cmd}' request: ${problems.join('; ')}` } });
    }
    if (parsed.data.cmd === 'monitor') return withId({ ok: true as const, result: { streaming: true as const } });
    try {
      const result = await dispatch(this.#opts.handlers, parsed.data, signal);
      return withId({ ok: true as const, result });
    } catch (err) {
      const e = toMidimonError(err);
      if (e.kind === 'internal') this.#log.error({ err, cmd }, 'control command failed');
      return withId({ ok: false as const, error: { kind: e.kind, message: e.message, ...(e.details === undefined ? {} : { details: e.details }) } });
    }
  }
}
