/**
 * USB/ALSA MIDI through `@julusian/midi` (RtMidi). Loaded lazily: on a
 * machine without /dev/snd/seq constructing a port throws "Failed to
 * initialise RtMidi", which `create()` turns into a typed error so the caller
 * can fall back to the fake backend with one log line.
 */
import { access, constants } from 'node:fs/promises';
import { MidimonError } from '../errors.js';
import type { HostPathUse } from '../system/unit-sandbox.js';

/** The ALSA sequencer RtMidi opens (snd_seq_open on "default"). */
export const ALSA_SEQ_DEVICE = '/dev/snd/seq';

/** What RtMidiBackend opens (checked against midimon.service by the unit-sandbox test). */
export function midiUses(): HostPathUse[] {
  return [{ path: ALSA_SEQ_DEVICE, access: 'write', kind: 'device', group: 'audio', deviceClass: 'char-alsa', by: 'USB MIDI (RtMidi, ALSA sequencer)' }];
}
import type { IgnoreTypes, MidiBackend, MidiInputPort, MidiOutputPort } from './midi-backend.js';
import { SysfsPortIdentifier, type PortIdentity } from './port-identity.js';

type MidiModule = typeof import('@julusian/midi/lazy');
type RtInput = InstanceType<MidiModule['Input']>;
type RtOutput = InstanceType<MidiModule['Output']>;

export class RtMidiBackend implements MidiBackend {
  readonly kind = 'rtmidi';
  readonly #midi: MidiModule;
  /** Long-lived handles used only to enumerate (ALSA re-enumerates on getPortCount). */
  readonly #enumIn: RtInput;
  readonly #enumOut: RtOutput;

  private constructor(midi: MidiModule, enumIn: RtInput, enumOut: RtOutput) {
    this.#midi = midi;
    this.#enumIn = enumIn;
    this.#enumOut = enumOut;
  }

  /** Loads the native binding and opens the ALSA sequencer; throws MidimonError('device_unavailable'). */
  static async create(deps: { access?: (path: string, mode: number) => Promise<void>; load?: () => Promise<MidiModule> } = {}): Promise<RtMidiBackend> {
    let midi: MidiModule;
    try {
      midi = await (deps.load ?? (() => import('@julusian/midi/lazy')))();
      midi.verifyLibraryLoaded();
    } catch (cause) {
      throw new MidimonError('device_unavailable', `RtMidi native library unavailable: ${firstLine(cause)}`, { cause });
    }
    // RtMidi only says "Failed to initialise": tell a missing sequencer from a forbidden one.
    try {
      await (deps.access ?? access)(ALSA_SEQ_DEVICE, constants.R_OK | constants.W_OK);
    } catch (cause) {
      const code = (cause as NodeJS.ErrnoException).code;
      const why = code === 'ENOENT' ? 'absent (snd-seq not loaded)' : code === 'EACCES' ? 'permission denied (the service user needs the audio group)' : firstLine(cause);
      throw new MidimonError('device_unavailable', `${ALSA_SEQ_DEVICE}: ${why}`, { cause, details: { path: ALSA_SEQ_DEVICE, code: code ?? null } });
    }
    let enumIn: RtInput | undefined;
    try {
      enumIn = new midi.Input();
      const enumOut = new midi.Output();
      return new RtMidiBackend(midi, enumIn, enumOut);
    } catch (cause) {
      enumIn?.destroy();
      throw new MidimonError('device_unavailable', `no ALSA MIDI sequencer: ${firstLine(cause)}`, { cause });
    }
  }

  listInputs(): string[] {
    return names(this.#enumIn);
  }

  listOutputs(): string[] {
    return names(this.#enumOut);
  }

  readonly #where = new SysfsPortIdentifier();

  identify(portName: string): PortIdentity | undefined {
    return this.#where.identify(portName);
  }

  openInput(portName: string, onMessage: (bytes: number[]) => void, ignore: IgnoreTypes): MidiInputPort {
    const input = new this.#midi.Input();
    try {
      input.ignoreTypes(ignore.sysex, ignore.timing, ignore.activeSensing);
      input.on('message', (_delta, message) => onMessage(message));
      input.openPortByName(portName);
    } catch (err) {
      input.destroy();
      throw err;
    }
    return {
      setIgnoreTypes: (next) => input.ignoreTypes(next.sysex, next.timing, next.activeSensing),
      close: () => {
        input.removeAllListeners('message');
        input.closePort();
        input.destroy();
      },
    };
  }

  openOutput(portName: string): MidiOutputPort {
    const output = new this.#midi.Output();
    try {
      output.openPortByName(portName);
    } catch (err) {
      output.destroy();
      throw err;
    }
    return {
      send: (bytes) => sendWhole(output, bytes),
      close: () => {
        output.closePort();
        output.destroy();
      },
    };
  }

  close(): void {
    this.#enumIn.destroy();
    this.#enumOut.destroy();
  }
}

/**
 * SysEx longer than one ALSA sequencer event is sent as equal spans of
 * ALSA_SYSEX_SPAN bytes (the last one shorter, ending in F7). RtMidi 6's ALSA
 * output encodes each call into one sequencer event sized to the call, and a
 * single event over ~16 KB exceeds the client's output pool and is refused
 * with only a warning on stderr (thestk/rtmidi#387), so a 64 KiB dump sent in
 * one call never arrives. alsa-lib's encoder emits a SysEx event whenever its
 * buffer fills, and RtMidi sizes that buffer to the largest call so far: with
 * every call at most ALSA_SYSEX_SPAN bytes and the spans exactly that long,
 * each span becomes one event and the encoder stays inside the SysEx between
 * calls. Nothing else is sent on the port in between (one synchronous loop).
 */
export const ALSA_SYSEX_SPAN = 256;

export function sendWhole(output: { sendMessage(message: number[]): void }, bytes: readonly number[]): void {
  if (bytes.length <= ALSA_SYSEX_SPAN || bytes[0] !== 0xf0) {
    output.sendMessage(bytes as number[]);
    return;
  }
  for (let at = 0; at < bytes.length; at += ALSA_SYSEX_SPAN) output.sendMessage(bytes.slice(at, at + ALSA_SYSEX_SPAN) as number[]);
}

function names(port: RtInput | RtOutput): string[] {
  const n = port.getPortCount();
  const out: string[] = [];
  for (let i = 0; i < n; i++) out.push(port.getPortName(i));
  return out;
}

function firstLine(err: unknown): string {
  return (err instanceof Error ? err.message : String(err)).split('\n')[0] ?? '';
}
