/**
 * The contract every MIDI backend implements: RtMidi on a Pi, the in-memory
 * fake in tests and in the simulated box. Ports are addressed by their full
 * name as the OS lists it (with ALSA's ` client:port` suffix); the device
 * manager strips suffixes and matches patterns, backends stay dumb.
 */
import type { PortIdentity } from './port-identity.js';

/** RtMidi's ignoreTypes: true means "do not deliver". */
export interface IgnoreTypes {
  readonly sysex: boolean;
  readonly timing: boolean;
  readonly activeSensing: boolean;
}

export interface MidiInputPort {
  setIgnoreTypes(ignore: IgnoreTypes): void;
  close(): void;
}

export interface MidiOutputPort {
  /** May throw when the device vanished; the device manager counts and logs that. */
  send(bytes: readonly number[]): void;
  close(): void;
}

export interface MidiBackend {
  /** "rtmidi" or "fake": shown in logs and `midimon status`. */
  readonly kind: string;
  /** Port names as listed right now (ALSA re-enumerates on every call). */
  listInputs(): string[];
  listOutputs(): string[];
  openInput(portName: string, onMessage: (bytes: number[]) => void, ignore: IgnoreTypes): MidiInputPort;
  openOutput(portName: string): MidiOutputPort;
  /** Where a listed port physically is (USB socket, serial); optional: backends that cannot tell leave it out. */
  identify?(portName: string): PortIdentity | undefined;
  /** Releases enumeration handles; open ports are closed by their owners first. */
  close(): void;
}

/** The timer the device manager polls with (structurally the same as the GPIO Scheduler). */
export interface MidiScheduler {
  now(): number;
  setTimeout(fn: () => void, ms: number): unknown;
  clearTimeout(handle: unknown): void;
}
