/**
 * An in-memory MIDI backend: real, scriptable code used by tests and by the
 * simulated box. Ports can be plugged, unplugged and replugged under another
 * ALSA suffix; messages can be injected into inputs; everything sent to
 * outputs is captured. It honours ignoreTypes like RtMidi does.
 */
import type { IgnoreTypes, MidiBackend, MidiInputPort, MidiOutputPort } from './midi-backend.js';
import type { PortIdentity } from './port-identity.js';

interface OpenInput {
  readonly port: string;
  readonly onMessage: (bytes: number[]) => void;
  ignore: IgnoreTypes;
  open: boolean;
}

export interface SentMessage {
  readonly port: string;
  readonly bytes: number[];
}

export class FakeMidiBackend implements MidiBackend {
  readonly kind = 'fake';
  readonly #inputs: string[] = [];
  readonly #outputs: string[] = [];
  readonly #openInputs: OpenInput[] = [];
  readonly #openOutputs = new Map<string, number>();
  readonly #sent: SentMessage[] = [];
  readonly #identities = new Map<string, PortIdentity>();
  /** Called synchronously for every message sent (benches timestamp here). */
  onSend: ((port: string, bytes: readonly number[]) => void) | null = null;

  constructor(ports: { inputs?: readonly string[]; outputs?: readonly string[] } = {}) {
    this.#inputs.push(...(ports.inputs ?? []));
    this.#outputs.push(...(ports.outputs ?? []));
  }

  // ------------------------------------------------------------ scripting

  /** Where a port is (USB socket, serial), as the RtMidi backend reads it from /sys on a Pi. */
  setIdentity(portName: string, identity: PortIdentity): void {
    this.#identities.set(portName, identity);
  }

  identify(portName: string): PortIdentity | undefined {
    return this.#identities.get(portName);
  }

  addInput(portName: string): void {
    if (!this.#inputs.includes(portName)) this.#inputs.push(portName);
  }

  removeInput(portName: string): void {
    remove(this.#inputs, portName);
    // Like ALSA: an open input of a vanished port just goes silent.
  }

  addOutput(portName: string): void {
    if (!this.#outputs.includes(portName)) this.#outputs.push(portName);
  }

  removeOutput(portName: string): void {
    remove(this.#outputs, portName);
  }

  /** Delivers a message to every open input on `portName`; returns how many received it. */
  inject(portName: string, bytes: readonly number[]): number {
    if (!this.#inputs.includes(portName)) return 0;
    let delivered = 0;
    for (const input of this.#openInputs) {
      if (!input.open || input.port !== portName || ignored(bytes, input.ignore)) continue;
      input.onMessage(bytes.slice());
      delivered++;
    }
    return delivered;
  }

  /** Messages sent so far (optionally to one port), oldest first. */
  sent(portName?: string): number[][] {
    return this.#sent.filter((s) => portName === undefined || s.port === portName).map((s) => s.bytes);
  }

  sentMessages(): readonly SentMessage[] {
    return this.#sent;
  }

  clearSent(): void {
    this.#sent.length = 0;
  }

  /** Open input port names (one entry per open handle). */
  openInputs(): string[] {
    return this.#openInputs.filter((i) => i.open).map((i) => i.port);
  }

  openOutputs(): string[] {
    return [...this.#openOutputs.entries()].flatMap(([port, n]) => Array<string>(n).fill(port));
  }

  ignoreTypesOf(portName: string): IgnoreTypes | undefined {
    return this.#openInputs.find((i) => i.open && i.port === portName)?.ignore;
  }

  // ------------------------------------------------------------ contract

  listInputs(): string[] {
    return [...this.#inputs];
  }

  listOutputs(): string[] {
    return [...this.#outputs];
  }

  openInput(portName: string, onMessage: (bytes: number[]) => void, ignore: IgnoreTypes): MidiInputPort {
    if (!this.#inputs.includes(portName)) throw new Error(`no MIDI input port "${portName}"`);
    const input: OpenInput = { port: portName, onMessage, ignore, open: true };
    this.#openInputs.push(input);
    return {
      setIgnoreTypes: (next) => {
        input.ignore = next;
      },
      close: () => {
        input.open = false;
        remove(this.#openInputs, input);
      },
    };
  }

  openOutput(portName: string): MidiOutputPort {
    if (!this.#outputs.includes(portName)) throw new Error(`no MIDI output port "${portName}"`);
    this.#openOutputs.set(portName, (this.#openOutputs.get(portName) ?? 0) + 1);
    let open = true;
    return {
      send: (bytes) => {
        if (!open) throw new Error(`MIDI output "${portName}" is closed`);
        if (!this.#outputs.includes(portName)) throw new Error(`MIDI output "${portName}" vanished`);
        const copy = bytes.slice();
        this.#sent.push({ port: portName, bytes: copy });
        this.onSend?.(portName, copy);
      },
      close: () => {
        if (!open) return;
        open = false;
        const n = (this.#openOutputs.get(portName) ?? 1) - 1;
        if (n <= 0) this.#openOutputs.delete(portName);
        else this.#openOutputs.set(portName, n);
      },
    };
  }

  close(): void {
    // Nothing to release: no enumeration handles.
  }
}

function remove<T>(list: T[], item: T): void {
  const i = list.indexOf(item);
  if (i >= 0) list.splice(i, 1);
}

function ignored(bytes: readonly number[], ignore: IgnoreTypes): boolean {
  const s = bytes[0];
  if (s === 0xf0) return ignore.sysex;
  if (s === 0xf8 || s === 0xf1) return ignore.timing;
  if (s === 0xfe) return ignore.activeSensing;
  return false;
}
