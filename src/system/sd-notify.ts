import { spawn } from 'node:child_process';
import type { Logger } from '../log.js';

/**
 * Tells systemd we are ready and alive (Type=notify + WatchdogSec). Node has
 * no AF_UNIX datagram sockets and the `sd-notify` addon needs libsystemd-dev
 * to build, so this runs `systemd-notify --pid=<our pid>` (the unit sets
 * NotifyAccess=all). Does nothing outside systemd (no NOTIFY_SOCKET).
 */
export class SystemdNotifier {
  readonly #log: Logger;
  readonly #env: Readonly<Record<string, string | undefined>>;
  #timer: NodeJS.Timeout | undefined;

  constructor(log: Logger, env: Readonly<Record<string, string | undefined>> = process.env) {
    this.#log = log;
    this.#env = env;
  }

  get enabled(): boolean {
    return this.#env['NOTIFY_SOCKET'] !== undefined;
  }

  ready(status: string): void {
    this.#send(['--ready', `--status=${status}`]);
    const usec = Number(this.#env['WATCHDOG_USEC'] ?? 0);
    if (this.enabled && usec > 0 && this.#timer === undefined) {
      // Ping at a third of the interval: a spawn can be slow on a busy Pi.
      this.#timer = setInterval(() => this.#send(['WATCHDOG=1']), Math.max(1000, usec / 3000));
      this.#timer.unref();
    }
  }

  status(text: string): void {
    this.#send([`--status=${text}`]);
  }

  stopping(): void {
    if (this.#timer !== undefined) clearInterval(this.#timer);
    this.#timer = undefined;
    this.#send(['--status=stopping', 'STOPPING=1']);
  }

  #send(args: readonly string[]): void {
    if (!this.enabled) return;
    const child = spawn('systemd-notify', [`--pid=${process.pid}`, ...args], { stdio: 'ignore' });
    child.on('error', (err) => this.#log.warn({ err }, 'systemd-notify failed; systemd may restart the service'));
  }
}
