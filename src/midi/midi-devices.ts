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
import { PortNotes } from './port-notes.js';
import { describeIdentity, type PortIdentity } from './port-identity.js';
import { SysexAssembler, describeProblem, type AssemblerProblem } from './sysex-assembler.js';

export interface MidiPortSpec {
  /** Name pattern (substring, glob or /regex/), matched without the ` client:port` suffix. */
  readonly name: string;
  readonly alias?: string | undefined;
  /** Only the port on this USB socket path ("1-1.2"): tells identical controllers apart. */
  readonly usb_port?: string | undefined;
  /** Only the device with this USB serial number. */
  readonly serial?: string | undefined;
}

/** A port the backend lists right now, where it is, and which config entry (if any) claims it: `midimon devices`. */
export interface SeenPort {
  readonly direction: 'input' | 'output';
  readonly port: string;
  readonly name: string;
  readonly identity?: PortIdentity;
  readonly open: boolean;
  /** The alias (or pattern) of the [devices.midi] entry that matched; null when none did. */
  readonly matched: string | null;
}

export interface MidiDevicesSettings {
  /** Empty: open every input found. */
  readonly inputs: readonly MidiPortSpec[];
  /** Empty: open every output found. */
  readonly outputs: readonly MidiPortSpec[];
  readonly pollIntervalMs: number;
  /** What an input must deliver (clock/sysex/active sensing), from the routes. Default: none of them. */
  readonly inputNeeds?: ((device: string, alias: string | undefined) => { sysex: boolean; clock: boolean; activeSensing: boolean }) | undefined;
  /** [sysex] max_bytes: a SysEx growing past it while being reassembled is dropped whole. Default 256 KiB. */
  readonly sysexMaxBytes?: number | undefined;
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
  readonly usbPath?: string;
  readonly serial?: string;
}

interface OpenIn extends PortStatus {
  readonly handle: MidiInputPort;
  ignore: IgnoreTypes;
  readonly sysex: SysexAssembler;
}

interface OpenOut extends PortStatus {
  readonly handle: MidiOutputPort;
}

const DROP_LOG_INTERVAL_MS = 5000;
const DEFAULT_SYSEX_MAX_BYTES = 262_144;

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
  /** Notes per real port: no note-off where no note-on went, stuck notes ended on replug. */
  readonly #portNotes = new PortNotes();
  /** Identity per listed port, read once when the port first appears (procfs/sysfs on a Pi). */
  readonly #identities = new Map<string, PortIdentity | undefined>();
  #timer: unknown = null;
  #running = false;
  #dropped = 0;
  #sysexProblems = 0;
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
    for (const open of this.#inputs.values()) open.sysex.maxBytes = settings.sysexMaxBytes ?? DEFAULT_SYSEX_MAX_BYTES;
    for (const [port, open] of [...this.#inputs]) {
      const spec = findSpec(settings.inputs, open.name, this.#identity(port));
      if (spec === null || spec.alias !== open.alias) this.#closeInput(port, true);
      else this.#applyIgnore(open);
    }
    for (const [port, open] of [...this.#outputs]) {
      const spec = findSpec(settings.outputs, open.name, this.#identity(port));
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
      const inputs = this.#backend.listInputs();
      const outputs = this.#backend.listOutputs();
      this.#forgetIdentities([...inputs, ...outputs]);
      this.#syncInputs(inputs);
      this.#syncOutputs(outputs);
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
      if (!this.#portNotes.admit(out.name, bytes)) continue;
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

  /** Every port the backend lists now, with where it is and which config entry claims it. */
  seen(): SeenPort[] {
    const row = (direction: 'input' | 'output', port: string, specs: readonly MidiPortSpec[], open: boolean): SeenPort => {
      const identity = this.#identity(port);
      const spec = findSpec(specs, stripPortSuffix(port), identity);
      return { direction, port, name: stripPortSuffix(port), ...(identity === undefined ? {} : { identity }), open, matched: spec === null ? null : (spec.alias ?? spec.name) };
    };
    return [
      ...this.#backend.listInputs().map((p) => row('input', p, this.#settings.inputs, this.#inputs.has(p))),
      ...this.#backend.listOutputs().map((p) => row('output', p, this.#settings.outputs, this.#outputs.has(p))),
    ];
  }

  status(): { inputs: PortStatus[]; outputs: PortStatus[]; lastSeen: Record<string, number> } {
    const strip = ({ port, name, alias, since, usbPath, serial }: PortStatus): PortStatus => ({
      port, name, alias, since, ...(usbPath === undefined ? {} : { usbPath }), ...(serial === undefined ? {} : { serial }),
    });
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
      const identity = this.#identity(port);
      const spec = findSpec(this.#settings.inputs, name, identity);
      if (spec === null) continue;
      const alias = spec.alias;
      const ignore = this.#ignoreFor(name, alias);
      const sysex = new SysexAssembler(this.#settings.sysexMaxBytes ?? DEFAULT_SYSEX_MAX_BYTES);
      const deliver = (bytes: number[]) =>
        this.#onMessage(alias === undefined ? { type: 'midi', device: name, bytes, at: this.#scheduler.now() } : { type: 'midi', device: name, alias, bytes, at: this.#scheduler.now() });
      const problem = (p: AssemblerProblem) => this.#sysexProblem(p, name);
      let handle: MidiInputPort;
      try {
        handle = this.#backend.openInput(port, (bytes) => sysex.feed(bytes, deliver, problem), ignore);
      } catch (err) {
        this.#openFailed(port, 'input', err);
        continue;
      }
      this.#failedOpen.delete(port);
      this.#inputs.set(port, { port, name, alias, since: this.#scheduler.now(), handle, ignore, sysex, ...located(identity) });
      this.#log.info({ port, device: name, alias, ignore, where: describeIdentity(identity) }, 'MIDI input connected');
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
    open.sysex.reset((p) => this.#sysexProblem(p, open.name));
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
      const identity = this.#identity(port);
      const spec = findSpec(this.#settings.outputs, name, identity);
      if (spec === null) continue;
      let handle: MidiOutputPort;
      try {
        handle = this.#backend.openOutput(port);
      } catch (err) {
        this.#openFailed(port, 'output', err);
        continue;
      }
      this.#failedOpen.delete(port);
      this.#outputs.set(port, { port, name, alias: spec.alias, since: this.#scheduler.now(), handle, ...located(identity) });
      this.#routeCache.clear();
      this.#log.info({ port, device: name, alias: spec.alias, where: describeIdentity(identity) }, 'MIDI output connected');
      this.#endStaleNotes(port, name, handle);
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

  /** A synth unplugged mid-note still sounds it: now that it is back, end what it was left holding. */
  #endStaleNotes(port: string, name: string, handle: MidiOutputPort): void {
    const owed = this.#portNotes.reopened(name);
    if (owed.length === 0) return;
    this.#log.info({ port, notes: owed.length }, 'MIDI output back: ending the notes it held when it vanished');
    for (const bytes of owed) {
      try {
        handle.send(bytes);
      } catch (err) {
        this.#drop(`send to "${name}" failed: ${(err as Error).message}`);
      }
    }
  }

  #identity(port: string): PortIdentity | undefined {
    if (!this.#identities.has(port)) {
      let id: PortIdentity | undefined;
      try {
        id = this.#backend.identify?.(port);
      } catch (err) {
        this.#log.debug({ err, port }, 'cannot tell where a MIDI port is');
      }
      this.#identities.set(port, id);
    }
    return this.#identities.get(port);
  }

  /** A port gone from the listing may come back elsewhere (replugged into another socket). */
  #forgetIdentities(listed: readonly string[]): void {
    const present = new Set(listed);
    for (const port of [...this.#identities.keys()]) if (!present.has(port)) this.#identities.delete(port);
  }

  #openFailed(port: string, direction: 'input' | 'output', err: unknown): void {
    if (this.#failedOpen.has(port)) return; // retried every poll, logged once
    this.#failedOpen.add(port);
    this.#log.warn({ err, port }, `cannot open MIDI ${direction}; will retry`);
  }

  /** SysEx dropped while reassembling: counted and logged (rate-limited like other drops). */
  #sysexProblem(p: AssemblerProblem, device: string): void {
    this.#sysexProblems++;
    this.#drop(describeProblem(p, device));
  }

  /** SysEx dropped at the inputs (oversized, cut short, stray data). */
  get sysexProblems(): number {
    return this.#sysexProblems;
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

/**
 * The config entry a port belongs to: its name must match, and where the entry
 * pins a USB socket or serial, the port must be there. Entries that pin a
 * location win over plain name matches, so "Launchkey on 1-1.2" and a generic
 * "Launchkey" can coexist.
 */
export function findSpec(specs: readonly MidiPortSpec[], name: string, identity: PortIdentity | undefined): MidiPortSpec | null {
  if (specs.length === 0) return { name: '*' };
  const candidates = specs.filter((s) => deviceMatches(s.name, name, undefined) && locationMatches(s, identity));
  return candidates.find((s) => s.usb_port !== undefined || s.serial !== undefined) ?? candidates[0] ?? null;
}

export function locationMatches(spec: Pick<MidiPortSpec, 'usb_port' | 'serial'>, where: { usbPath?: string | undefined; serial?: string | undefined } | undefined): boolean {
  if (spec.usb_port !== undefined && where?.usbPath !== spec.usb_port) return false;
  if (spec.serial !== undefined && where?.serial !== spec.serial) return false;
  return true;
}

function located(identity: PortIdentity | undefined): { usbPath?: string; serial?: string } {
  return { ...(identity?.usbPath === undefined ? {} : { usbPath: identity.usbPath }), ...(identity?.serial === undefined ? {} : { serial: identity.serial }) };
}
