import { createConnection } from 'node:net';
import { MidimonError, type ErrorKind } from '../errors.js';
import type { ControlCommand, ControlRequest, ControlResponse, ControlResults } from './protocol.js';

export interface ControlClientOptions {
  readonly socketPath: string;
  /** Give up on a service that accepted the connection but does not answer. */
  readonly timeoutMs?: number;
}

type RequestOf<C extends ControlCommand> = Omit<Extract<ControlRequest, { cmd: C }>, 'id'>;

/** One request per connection: the CLI asks one thing and exits. */
export class ControlClient {
  readonly #opts: ControlClientOptions;

  constructor(options: ControlClientOptions) {
    this.#opts = options;
  }

  /** Sends one request; resolves with its result or rejects with the service's MidimonError. */
  async request<C extends ControlCommand>(req: RequestOf<C> & { cmd: C }): Promise<ControlResults[C]> {
    const response = (await this.#roundTrip(JSON.stringify(req))) as ControlResponse<C>;
    if (response.ok) return response.result;
    throw new MidimonError(response.error.kind, response.error.message, response.error.details === undefined ? {} : { details: response.error.details });
  }

  /** Raw line in, parsed response out (for tools and tests). */
  #roundTrip(line: string): Promise<unknown> {
    const path = this.#opts.socketPath;
    return new Promise((resolve, reject) => {
      const socket = createConnection(path);
      let buffer = '';
      let settled = false;
      const finish = (err: Error | undefined, value?: unknown) => {
        if (settled) return;
        settled = true;
        clearTimeout(timer);
        socket.destroy();
        if (err === undefined) resolve(value);
        else reject(err);
      };
      const timer = setTimeout(
        () => finish(new MidimonError('timeout', `midimon service did not answer within ${this.#opts.timeoutMs ?? 10_000} ms (socket ${path})`)),
        this.#opts.timeoutMs ?? 10_000,
      );
      socket.setEncoding('utf8');
      socket.once('connect', () => socket.write(`${line}\n`));
      socket.on('data', (chunk: string) => {
        buffer += chunk;
        const nl = buffer.indexOf('\n');
        if (nl < 0) return;
        try {
          finish(undefined, JSON.parse(buffer.slice(0, nl)));
        } catch (err) {
          finish(new MidimonError('internal', `malformed answer from the midimon service: ${(err as Error).message}`));
        }
      });
      socket.on('error', (err: NodeJS.ErrnoException) => finish(connectError(path, err)));
      socket.on('close', () => finish(new MidimonError('internal', `midimon service closed the connection without answering (socket ${path})`)));
    });
  }
}

export function connectError(path: string, err: NodeJS.ErrnoException): MidimonError {
  const hint = "start it with 'sudo systemctl start midimon' or 'npm start'";
  let kind: ErrorKind = 'not_found';
  let message: string;
  switch (err.code) {
    case 'ENOENT':
      message = `midimon service is not running (no socket at ${path}): ${hint}`;
      break;
    case 'ECONNREFUSED':
      message = `midimon service is not running (stale socket at ${path}): ${hint}`;
      break;
    case 'EACCES':
    case 'EPERM':
      kind = 'permission_denied';
      message = `permission denied on ${path}: add your user to the midimon group ('sudo usermod -aG midimon $USER', then log in again) or use sudo`;
      break;
    default:
      kind = 'internal';
      message = `cannot connect to the midimon service at ${path}: ${err.message}`;
  }
  return new MidimonError(kind, message, { details: { socket: path, code: err.code }, cause: err });
}
