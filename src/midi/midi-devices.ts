/**
 * Keeps the configured MIDI ports open while devices come and go. RtMidi has
 * no hot-plug events, so ports are re-enumerated every poll (about once a
 * second); names are matched without the ALSA ` client:port` suffix, so a
 * controller replugged under a new suffix is simply opened again. Sending to
 * an output that is gone drops the message with a counted, rate-limited
 * warning: the MIDI path never throws.
 */
import type { Logger } from '../log.js';
import type { MidiInEvent } from '../engine/inputs.js';
import { deviceMatches, stripPortSuffix } from '../engine/name-pattern.js';
import type { DeviceEvent } from '../engine/types.js';
import type { IgnoreTypes, MidiBackend, MidiInputPort, MidiOutputPort, MidiScheduler } from './midi-backend.js';

export interface MidiPortSpec {
  /** Name pattern (substring, glob or /regex/), matched without the ` client:port` suffix. */
  readonly name: string;
  readonly alias?: string | undefined;
}

export interface MidiDevicesSettings {
  /** Empty: open every input found. */
  readonly inputs: readonly MidiPortSpec[];
  /** Empty: open every output found. */
  readonly outputs: readonly MidiPortSpec[];
  readonly pollIntervalMs: number;
  /** What an input must deliver (clock/sysex/active sensing), from the routes. Default: none of them. */
  readonly inputNeeds?: ((device: string, alias: string | undefined) => { sysex: boolean; clock: boolean; activeSensing: boolean }) | undefined;
}

export interface MidiDevicesOptions extends MidiDevicesSettings {
  readonly backend: MidiBackend;
  readonly scheduler: MidiScheduler;
  readonly log: Logger;
  readonly onMessage: (event: MidiInEvent) => void;
  readonly onDevice: (event: DeviceEvent) => void;
}

export interface PortStatus {
  /** Full OS port name, with suffix. */
  readonly port: string;
  /** Name without the suffix: what events, the display and patterns use. */
  readonly name: string;
  readonly alias: string | undefined;
  readonly since: number;
}

interface OpenIn extends PortStatus {
  readonly handle: MidiInputPort;
  ignore: IgnoreTypes;
}

interface OpenOut extends PortStatus {
  readonly handle: MidiOutputPort;
}

const DROP_LOG_INTERVAL_MS = 5000;

export class MidiDevices {
  readonly #backend: MidiBackend;
  readonly #scheduler: MidiScheduler;
  readonly #log: Logger;
  readonly #onMessage: (event: MidiInEvent) => void;
  readonly #onDevice: (event: DeviceEvent) => void;
  #settings: MidiDevicesSettings;
  readonly #inputs = new Map<string, OpenIn>();
  readonly #outputs = new Map<string, OpenOut>();
  /** pattern -> outputs it matches; rebuilt whenever outputs change. */
  readonly #routeCache = new Map<string, OpenOut[]>();
  readonly #failedOpen = new Set<string>();
  readonly #lastSeen = new Map<string, number>();
  #timer: unknown = null;
  #running = false;
  #dropped = 0;
  #droppedSinceLog = 0;
  #lastDropLog = -Infinity;

  constructor(options: MidiDevicesOptions) {
    this.#backend = options.backend;
    this.#scheduler = options.scheduler;
    this.#log = options.log.child({ component: 'midi' });
    this.#onMessage = options.onMessage;
    this.#onDevice = options.onDevice;
    this.#settings = options;
  }

  get backendKind(): string {
    return this.#backend.kind;
  }

  /** Messages dropped because no open output matched or a send failed. */
  get droppedMessages(): number {
    return this.#dropped;
  }

  start(): void {
    if (this.#running) return;
    this.#running = true;
    this.poll();
  }

  stop(): void {
    this.#running = false;
    if (this.#timer !== null) this.#scheduler.clearTimeout(this.#timer);
    this.#timer = null;
    for (const port of [...this.#inputs.keys()]) this.#closeInput(port, false);
    for (const port of [...this.#outputs.keys()]) this.#closeOutput(port, false);
  }

  /** Hot reload: ports whose match changed are closed or opened on the spot; the rest stay open. */
  reconfigure(settings: MidiDevicesSettings): void {
    this.#settings = settings;
    for (const [port, open] of [...this.#inputs]) {
      const spec = findSpec(settings.inputs, open.name);
      if (spec === null || spec.alias !== open.alias) this.#closeInput(port, true);
      else this.#applyIgnore(open);
    }
    for (const [port, open] of [...this.#outputs]) {
      const spec = findSpec(settings.outputs, open.name);
      if (spec === null || spec.alias !== open.alias) this.#closeOutput(port, true);
    }
    this.#failedOpen.clear();
    if (this.#running) this.poll();
  }

  /** Re-enumerates now (also runs on the poll timer). */
  poll(): void {
    if (this.#timer !== null) this.#scheduler.clearTimeout(this.#timer);
    this.#timer = null;
    try {
      this.#syncInputs(this.#backend.listInputs());
      this.#syncOutputs(this.#backend.listOutputs());
    } catch (err) {
      this.#log.warn({ err }, 'MIDI port enumeration failed; retrying');
    }
    if (this.#running) this.#timer = this.#scheduler.setTimeout(() => this.poll(), this.#settings.pollIntervalMs);
  }

  /** Sends to every open output matching `pattern` ("*" = all); returns how many ports got it. Never throws. */
  send(pattern: string, bytes: readonly number[]): number {
    let targets = this.#routeCache.get(pattern);
    if (targets === undefined) {
      targets = [...this.#outputs.values()].filter((o) => pattern === '*' || deviceMatches(pattern, o.name, o.alias));
      this.#routeCache.set(pattern, targets);
    }
    let sent = 0;
    for (const out of targets) {
      try {
        out.handle.send(bytes);
        sent++;
      } catch (err) {
        this.#drop(`send to "${out.name}" failed: ${(err as Error).message}`);
      }
    }
    if (targets.length === 0) this.#drop(`no open MIDI output matches "${pattern}"`);
    return sent;
  }

  /**
   * The device an injected message (`midimon send`) should appear to come
   * from: an open input whose name or alias is `name` (case-insensitive) or
   * that `name` matches as a pattern; else a configured input whose pattern
   * or alias is `name`, so a setup can be tried while its controller is
   * unplugged. null when nothing fits.
   */
  resolveInput(name: string): { device: string; alias: string | undefined } | null {
    const lower = name.toLowerCase();
    const open = [...this.#inputs.values()];
    const exact = open.find((o) => o.name.toLowerCase() === lower || o.alias?.toLowerCase() === lower || o.port.toLowerCase() === lower);
    const hit = exact ?? open.find((o) => deviceMatches(name, o.name, o.alias));
    if (hit !== undefined) return { device: hit.name, alias: hit.alias };
    const spec = this.#settings.inputs.find((s) => s.name.toLowerCase() === lower || s.alias?.toLowerCase() === lower);
    if (spec !== undefined) return { device: plainName(spec.name) ?? name, alias: spec.alias };
    // No [devices.midi] inputs: every port is opened, so any name is a plausible device.
    if (this.#settings.inputs.length === 0) return { device: stripPortSuffix(name), alias: undefined };
    return null;
  }

  /** Names `midimon send` accepts, for its error message. */
  inputNames(): string[] {
    const names = new Set<string>();
    for (const o of this.#inputs.values()) names.add(o.alias ?? o.name);
    for (const s of this.#settings.inputs) names.add(s.alias ?? s.name);
    return [...names];
  }

  status(): { inputs: PortStatus[]; outputs: PortStatus[]; lastSeen: Record<string, number> } {
    const strip = ({ port, name, alias, since }: PortStatus): PortStatus => ({ port, name, alias, since });
    return {
      inputs: [...this.#inputs.values()].map(strip),
      outputs: [...this.#outputs.values()].map(strip),
      lastSeen: Object.fromEntries(this.#lastSeen),
    };
  }

  // --------------------------------------------------------------- inputs

  #syncInputs(listed: string[]): void {
    const present = new Set(listed);
    for (const port of [...this.#inputs.keys()]) if (!present.has(port)) this.#closeInput(port, true);
    for (const port of listed) {
      if (this.#inputs.has(port)) continue;
      const name = stripPortSuffix(port);
      const spec = findSpec(this.#settings.inputs, name);
      if (spec === null) continue;
      const alias = spec.alias;
      const ignore = this.#ignoreFor(name, alias);
      let handle: MidiInputPort;
      try {
        handle = this.#backend.openInput(
          port,
          (bytes) => this.#onMessage(alias === undefined ? { type: 'midi', device: name, bytes, at: this.#scheduler.now() } : { type: 'midi', device: name, alias, bytes, at: this.#scheduler.now() }),
          ignore,
        );
      } catch (err) {
        this.#openFailed(port, 'input', err);
        continue;
      }
      this.#failedOpen.delete(port);
      this.#inputs.set(port, { port, name, alias, since: this.#scheduler.now(), handle, ignore });
      this.#log.info({ port, device: name, alias, ignore }, 'MIDI input connected');
      this.#onDevice({ type: 'device', change: 'connected', direction: 'input', device: name, at: this.#scheduler.now() });
    }
  }

  #closeInput(port: string, announce: boolean): void {
    const open = this.#inputs.get(port);
    if (open === undefined) return;
    this.#inputs.delete(port);
    try {
      open.handle.close();
    } catch (err) {
      this.#log.debug({ err, port }, 'closing a vanished MIDI input failed');
    }
    this.#lastSeen.set(open.name, this.#scheduler.now());
    if (!announce) return;
    this.#log.warn({ port, device: open.name }, 'MIDI input disconnected');
    this.#onDevice({ type: 'device', change: 'disconnected', direction: 'input', device: open.name, at: this.#scheduler.now() });
  }

  #ignoreFor(name: string, alias: string | undefined): IgnoreTypes {
    const needs = this.#settings.inputNeeds?.(name, alias) ?? { sysex: false, clock: false, activeSensing: false };
    return { sysex: !needs.sysex, timing: !needs.clock, activeSensing: !needs.activeSensing };
  }

  #applyIgnore(open: OpenIn): void {
    const next = this.#ignoreFor(open.name, open.alias);
    if (next.sysex === open.ignore.sysex && next.timing === open.ignore.timing && next.activeSensing === open.ignore.activeSensing) return;
    open.handle.setIgnoreTypes(next);
    open.ignore = next;
  }

  // -------------------------------------------------------------- outputs

  #syncOutputs(listed: string[]): void {
    const present = new Set(listed);
    for (const port of [...this.#outputs.keys()]) if (!present.has(port)) this.#closeOutput(port, true);
    for (const port of listed) {
      if (this.#outputs.has(port)) continue;
      const name = stripPortSuffix(port);
      const spec = findSpec(this.#settings.outputs, name);
      if (spec === null) continue;
      let handle: MidiOutputPort;
      try {
        handle = this.#backend.openOutput(port);
      } catch (err) {
        this.#openFailed(port, 'output', err);
        continue;
      }
      this.#failedOpen.delete(port);
      this.#outputs.set(port, { port, name, alias: spec.alias, since: this.#scheduler.now(), handle });
      this.#routeCache.clear();
      this.#log.info({ port, device: name, alias: spec.alias }, 'MIDI output connected');
      this.#onDevice({ type: 'device', change: 'connected', direction: 'output', device: name, at: this.#scheduler.now() });
    }
  }

  #closeOutput(port: string, announce: boolean): void {
    const open = this.#outputs.get(port);
    if (open === undefined) return;
    this.#outputs.delete(port);
    this.#routeCache.clear();
    try {
      open.handle.close();
    } catch (err) {
      this.#log.debug({ err, port }, 'closing a vanished MIDI output failed');
    }
    this.#lastSeen.set(open.name, this.#scheduler.now());
    if (!announce) return;
    this.#log.warn({ port, device: open.name }, 'MIDI output disconnected');
    this.#onDevice({ type: 'device', change: 'disconnected', direction: 'output', device: open.name, at: this.#scheduler.now() });
  }

  #openFailed(port: string, direction: 'input' | 'output', err: unknown): void {
    if (this.#failedOpen.has(port)) return; // retried every poll, logged once
    this.#failedOpen.add(port);
    this.#log.warn({ err, port }, `cannot open MIDI ${direction}; will retry`);
  }

  #drop(reason: string): void {
    this.#dropped++;
    this.#droppedSinceLog++;
    const now = this.#scheduler.now();
    if (now - this.#lastDropLog < DROP_LOG_INTERVAL_MS) return;
    this.#log.warn({ dropped: this.#droppedSinceLog, total: this.#dropped }, `MIDI message dropped: ${reason}`);
    this.#lastDropLog = now;
    this.#droppedSinceLog = 0;
  }
}

/** A pattern that is a plain name (not /regex/ or a glob) is also the device name. */
function plainName(pattern: string): string | null {
  return pattern.startsWith('/') || /[*?[]/.test(pattern) ? null : pattern;
}

function findSpec(specs: readonly MidiPortSpec[], name: string): MidiPortSpec | null {
  if (specs.length === 0) return { name: '*' };
  return specs.find((s) => deviceMatches(s.name, name, undefined)) ?? null;
}
